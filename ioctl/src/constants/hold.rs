//! `SERIAL_TX_WAITING_*` / `SERIAL_RX_WAITING_*`: `SERIAL_STATUS.HoldReasons` bits (serial-semantics §9.1).

/// `SERIAL_TX_WAITING_FOR_CTS`: transmit held until CTS rises.
pub const TX_WAITING_FOR_CTS: u32 = 0x0000_0001;
/// `SERIAL_TX_WAITING_FOR_DSR`: transmit held until DSR rises.
pub const TX_WAITING_FOR_DSR: u32 = 0x0000_0002;
/// `SERIAL_TX_WAITING_FOR_DCD`: transmit held until DCD rises.
pub const TX_WAITING_FOR_DCD: u32 = 0x0000_0004;
/// `SERIAL_TX_WAITING_FOR_XON`: transmit held by XOFF until XON.
pub const TX_WAITING_FOR_XON: u32 = 0x0000_0008;
/// `SERIAL_TX_WAITING_XOFF_SENT`: we sent XOFF and have not yet sent XON.
pub const TX_WAITING_XOFF_SENT: u32 = 0x0000_0010;
/// `SERIAL_TX_WAITING_ON_BREAK`: transmit held while sending a break.
pub const TX_WAITING_ON_BREAK: u32 = 0x0000_0020;
/// `SERIAL_RX_WAITING_FOR_DSR`: received bytes dropped while DSR is low (DSR sensitivity).
pub const RX_WAITING_FOR_DSR: u32 = 0x0000_0040;
