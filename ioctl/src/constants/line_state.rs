//! `SERIAL_*_STATE`: line-state bits; GET_DTRRTS reports DTR/RTS, the rest mirror the MSR.

/// `SERIAL_DTR_STATE`: DTR is raised.
pub const DTR_STATE: u32 = 0x0000_0001;
/// `SERIAL_RTS_STATE`: RTS is raised.
pub const RTS_STATE: u32 = 0x0000_0002;
/// `SERIAL_CTS_STATE`: CTS is on.
pub const CTS_STATE: u32 = 0x0000_0010;
/// `SERIAL_DSR_STATE`: DSR is on.
pub const DSR_STATE: u32 = 0x0000_0020;
/// `SERIAL_RI_STATE`: RI is on.
pub const RI_STATE: u32 = 0x0000_0040;
/// `SERIAL_DCD_STATE`: DCD is on.
pub const DCD_STATE: u32 = 0x0000_0080;
