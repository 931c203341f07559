//! `SERIAL_EV_*`: event bits for SET/GET_WAIT_MASK and WAIT_ON_MASK (serial-semantics §3.2).

/// `SERIAL_EV_RXCHAR`: a byte was stored in the input stream.
pub const RXCHAR: u32 = 0x0001;
/// `SERIAL_EV_RXFLAG`: the event character was received.
pub const RXFLAG: u32 = 0x0002;
/// `SERIAL_EV_TXEMPTY`: the driver's transmit queue drained.
pub const TXEMPTY: u32 = 0x0004;
/// `SERIAL_EV_CTS`: CTS changed.
pub const CTS: u32 = 0x0008;
/// `SERIAL_EV_DSR`: DSR changed.
pub const DSR: u32 = 0x0010;
/// `SERIAL_EV_RLSD`: carrier detect (DCD) changed.
pub const RLSD: u32 = 0x0020;
/// `SERIAL_EV_BREAK`: a break was received.
pub const BREAK: u32 = 0x0040;
/// `SERIAL_EV_ERR`: a framing, overrun or parity error occurred.
pub const ERR: u32 = 0x0080;
/// `SERIAL_EV_RING`: a ring indication ended (trailing edge).
pub const RING: u32 = 0x0100;
/// `SERIAL_EV_PERR`: printer error; accepted in a mask, never raised.
pub const PERR: u32 = 0x0200;
/// `SERIAL_EV_RX80FULL`: the receive buffer reached 80 % full.
pub const RX80FULL: u32 = 0x0400;
/// `SERIAL_EV_EVENT1`: provider event 1; accepted in a mask, never raised.
pub const EVENT1: u32 = 0x0800;
/// `SERIAL_EV_EVENT2`: provider event 2; accepted in a mask, never raised.
pub const EVENT2: u32 = 0x1000;
/// Every defined event bit; SET_WAIT_MASK rejects any other.
pub const VALID_MASK: u32 = 0x1FFF;
