//! Modem status register (MSR) bits, as returned by GET_MODEMSTATUS and inserted by
//! LSRMST (serial-semantics §3.3). The low nibble holds change flags, the high nibble line states.

/// MSR DCTS: CTS changed since the last read.
pub const DCTS: u8 = 0x01;
/// MSR DDSR: DSR changed since the last read.
pub const DDSR: u8 = 0x02;
/// MSR TERI: ring indicator went from on to off.
pub const TERI: u8 = 0x04;
/// MSR DDCD: DCD changed since the last read.
pub const DDCD: u8 = 0x08;
/// MSR CTS: clear to send is on.
pub const CTS: u8 = 0x10;
/// MSR DSR: data set ready is on.
pub const DSR: u8 = 0x20;
/// MSR RI: ring indicator is on.
pub const RI: u8 = 0x40;
/// MSR DCD: data carrier detect is on.
pub const DCD: u8 = 0x80;
