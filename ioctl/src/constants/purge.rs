//! `SERIAL_PURGE_*`: the ULONG mask of IOCTL_SERIAL_PURGE (serial-semantics §7).

/// `SERIAL_PURGE_TXABORT`: cancel the current and queued writes and XOFF counters.
pub const TXABORT: u32 = 0x0000_0001;
/// `SERIAL_PURGE_RXABORT`: cancel the current and queued reads.
pub const RXABORT: u32 = 0x0000_0002;
/// `SERIAL_PURGE_TXCLEAR`: discard the driver's transmit buffer, if it has one.
pub const TXCLEAR: u32 = 0x0000_0004;
/// `SERIAL_PURGE_RXCLEAR`: empty the receive (typeahead) buffer.
pub const RXCLEAR: u32 = 0x0000_0008;
/// Every defined purge bit; PURGE rejects any other, and a zero mask.
pub const VALID_MASK: u32 = 0x0000_000F;
