//! `SERIAL_ERROR_*`: latched error bits in `SERIAL_STATUS.Errors` (serial-semantics §3.3, §9.2).
//!
//! These differ from the Win32 `CE_*` values that `ClearCommError` reports.

/// `SERIAL_ERROR_BREAK`: a break was received.
pub const BREAK: u32 = 0x0000_0001;
/// `SERIAL_ERROR_FRAMING`: a framing error was received.
pub const FRAMING: u32 = 0x0000_0002;
/// `SERIAL_ERROR_OVERRUN`: the hardware receive buffer overran.
pub const OVERRUN: u32 = 0x0000_0004;
/// `SERIAL_ERROR_QUEUEOVERRUN`: the driver's receive buffer overflowed.
pub const QUEUEOVERRUN: u32 = 0x0000_0008;
/// `SERIAL_ERROR_PARITY`: a parity error was received.
pub const PARITY: u32 = 0x0000_0010;
