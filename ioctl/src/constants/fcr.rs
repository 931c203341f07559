//! `SERIAL_IOC_FCR_*`: FIFO control register bits in the ULONG of SET_FIFO_CONTROL.

/// `SERIAL_IOC_FCR_FIFO_ENABLE`: enable the FIFOs.
pub const FIFO_ENABLE: u32 = 0x01;
/// `SERIAL_IOC_FCR_RCVR_RESET`: clear the receive FIFO.
pub const RCVR_RESET: u32 = 0x02;
/// `SERIAL_IOC_FCR_XMIT_RESET`: clear the transmit FIFO.
pub const XMIT_RESET: u32 = 0x04;
/// `SERIAL_IOC_FCR_DMA_MODE`: DMA mode select.
pub const DMA_MODE: u32 = 0x08;
/// `SERIAL_IOC_FCR_RCVR_TRIGGER_LSB | _MSB`: the receive-trigger field (bits 6–7).
pub const RCVR_TRIGGER_MASK: u32 = 0xC0;
/// Receive trigger field value: interrupt at 1 byte.
pub const RCVR_TRIGGER_1: u32 = 0x00;
/// Receive trigger field value: interrupt at 4 bytes.
pub const RCVR_TRIGGER_4: u32 = 0x40;
/// Receive trigger field value: interrupt at 8 bytes.
pub const RCVR_TRIGGER_8: u32 = 0x80;
/// Receive trigger field value: interrupt at 14 bytes.
pub const RCVR_TRIGGER_14: u32 = 0xC0;
