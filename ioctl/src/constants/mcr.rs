//! `SERIAL_IOC_MCR_*`: modem control register bits in the ULONG of GET/SET_MODEM_CONTROL.

/// `SERIAL_IOC_MCR_DTR`: drive DTR.
pub const DTR: u32 = 0x01;
/// `SERIAL_IOC_MCR_RTS`: drive RTS.
pub const RTS: u32 = 0x02;
/// `SERIAL_IOC_MCR_OUT1`: user output 1.
pub const OUT1: u32 = 0x04;
/// `SERIAL_IOC_MCR_OUT2`: user output 2; gates the interrupt line on PC boards.
pub const OUT2: u32 = 0x08;
/// `SERIAL_IOC_MCR_LOOP`: internal loopback.
pub const LOOP: u32 = 0x10;
