//! `SERIAL_HANDFLOW` bits: `ControlHandShake` and `FlowReplace` (serial-semantics §3.3, §10).

/// `SERIAL_DTR_MASK`: the DTR mode field of ControlHandShake (value 3 is invalid).
pub const DTR_MASK: u32 = 0x0000_0003;
/// `SERIAL_DTR_CONTROL`: DTR held on.
pub const DTR_CONTROL: u32 = 0x0000_0001;
/// `SERIAL_DTR_HANDSHAKE`: DTR is receive flow control.
pub const DTR_HANDSHAKE: u32 = 0x0000_0002;
/// `SERIAL_CTS_HANDSHAKE`: transmit only while CTS is on.
pub const CTS_HANDSHAKE: u32 = 0x0000_0008;
/// `SERIAL_DSR_HANDSHAKE`: transmit only while DSR is on.
pub const DSR_HANDSHAKE: u32 = 0x0000_0010;
/// `SERIAL_DCD_HANDSHAKE`: transmit only while DCD is on.
pub const DCD_HANDSHAKE: u32 = 0x0000_0020;
/// `SERIAL_OUT_HANDSHAKEMASK`: all transmit handshakes (CTS | DSR | DCD).
pub const OUT_HANDSHAKEMASK: u32 = 0x0000_0038;
/// `SERIAL_DSR_SENSITIVITY`: drop received bytes while DSR is off.
pub const DSR_SENSITIVITY: u32 = 0x0000_0040;
/// `SERIAL_ERROR_ABORT`: a line error cancels reads and writes until GET_COMMSTATUS.
pub const ERROR_ABORT: u32 = 0x8000_0000;
/// `SERIAL_CONTROL_INVALID`: ControlHandShake bits that SET_HANDFLOW rejects.
pub const CONTROL_INVALID: u32 = 0x7FFF_FF84;

/// `SERIAL_AUTO_TRANSMIT`: received XON/XOFF gate our transmit.
pub const AUTO_TRANSMIT: u32 = 0x0000_0001;
/// `SERIAL_AUTO_RECEIVE`: send XOFF/XON as the receive buffer fills and drains.
pub const AUTO_RECEIVE: u32 = 0x0000_0002;
/// `SERIAL_ERROR_CHAR`: replace bytes with errors by the error character.
pub const ERROR_CHAR: u32 = 0x0000_0004;
/// `SERIAL_NULL_STRIPPING`: drop received NUL bytes.
pub const NULL_STRIPPING: u32 = 0x0000_0008;
/// `SERIAL_BREAK_CHAR`: insert the break character when a break is received.
pub const BREAK_CHAR: u32 = 0x0000_0010;
/// `SERIAL_RTS_MASK`: the RTS mode field of FlowReplace.
pub const RTS_MASK: u32 = 0x0000_00C0;
/// `SERIAL_RTS_CONTROL`: RTS held on.
pub const RTS_CONTROL: u32 = 0x0000_0040;
/// `SERIAL_RTS_HANDSHAKE`: RTS is receive flow control.
pub const RTS_HANDSHAKE: u32 = 0x0000_0080;
/// `SERIAL_TRANSMIT_TOGGLE`: RTS on only while transmitting.
pub const TRANSMIT_TOGGLE: u32 = 0x0000_00C0;
/// `SERIAL_XOFF_CONTINUE`: keep transmitting after we send XOFF.
pub const XOFF_CONTINUE: u32 = 0x8000_0000;
/// `SERIAL_FLOW_INVALID`: FlowReplace bits that SET_HANDFLOW rejects.
pub const FLOW_INVALID: u32 = 0x7FFF_FF20;
