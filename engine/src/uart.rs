//! 16550 register facts the driver relies on (bit positions and interrupt identifiers).
//! The model implements the same datasheet independently; these are the driver's view.

/// IER: received data available and character timeout.
pub const IER_RDA: u8 = 0x01;
/// IER: transmitter holding register empty.
pub const IER_THRE: u8 = 0x02;
/// IER: receiver line status.
pub const IER_RLS: u8 = 0x04;
/// IER: modem status.
pub const IER_MS: u8 = 0x08;
/// IER value while the port is open: every cause enabled.
pub const IER_ALL: u8 = IER_RDA | IER_THRE | IER_RLS | IER_MS;

/// IIR bit 0: 1 = no interrupt pending.
pub const IIR_NO_INTERRUPT: u8 = 0x01;
/// IIR bits 3:1 mask.
pub const IIR_ID_MASK: u8 = 0x0E;
/// IIR: receiver line status.
pub const IIR_RLS: u8 = 0x06;
/// IIR: received data available.
pub const IIR_RDA: u8 = 0x04;
/// IIR: character timeout.
pub const IIR_CTI: u8 = 0x0C;
/// IIR: transmitter holding register empty.
pub const IIR_THRE: u8 = 0x02;
/// IIR: modem status.
pub const IIR_MS: u8 = 0x00;
/// IIR bits 7:6 read 11 when the FIFOs are enabled.
pub const IIR_FIFOS_ENABLED: u8 = 0xC0;

/// LCR: word-length field (5..8 bits = 0..3).
pub const LCR_WORD_MASK: u8 = 0x03;
/// LCR: 2 stop bits (1.5 with 5-bit words).
pub const LCR_STOP_2: u8 = 0x04;
/// LCR: parity field (enable, even, stick).
pub const LCR_PARITY_MASK: u8 = 0x38;
/// LCR: transmit break.
pub const LCR_BREAK: u8 = 0x40;
/// LCR: divisor latch access.
pub const LCR_DLAB: u8 = 0x80;

/// MCR: DTR.
pub const MCR_DTR: u8 = 0x01;
/// MCR: RTS.
pub const MCR_RTS: u8 = 0x02;
/// MCR: OUT1.
pub const MCR_OUT1: u8 = 0x04;
/// MCR: OUT2, which gates the UART's interrupt onto the PC bus.
pub const MCR_OUT2: u8 = 0x08;
/// MCR: loopback.
pub const MCR_LOOP: u8 = 0x10;

/// LSR: data ready.
pub const LSR_DR: u8 = 0x01;
/// LSR: overrun error.
pub const LSR_OE: u8 = 0x02;
/// LSR: parity error.
pub const LSR_PE: u8 = 0x04;
/// LSR: framing error.
pub const LSR_FE: u8 = 0x08;
/// LSR: break interrupt.
pub const LSR_BI: u8 = 0x10;
/// LSR: transmitter holding register (FIFO) empty.
pub const LSR_THRE: u8 = 0x20;
/// LSR: transmitter empty (holding register and shift register).
pub const LSR_TEMT: u8 = 0x40;
/// LSR: the error bits.
pub const LSR_ERRORS: u8 = LSR_OE | LSR_PE | LSR_FE | LSR_BI;
/// LSR: an errored byte is somewhere in the receive FIFO (FIFO mode).
pub const LSR_FIFO_ERROR: u8 = 0x80;

/// The receive FIFO's trigger level in bytes for an FCR value.
#[must_use]
pub const fn trigger_level(fcr: u8) -> usize {
    match fcr & FCR_TRIGGER_MASK {
        FCR_TRIGGER_1 => 1,
        FCR_TRIGGER_4 => 4,
        FCR_TRIGGER_8 => 8,
        _ => 14,
    }
}

/// FCR: FIFO enable.
pub const FCR_ENABLE: u8 = 0x01;
/// FCR: receive FIFO reset.
pub const FCR_RX_RESET: u8 = 0x02;
/// FCR: transmit FIFO reset.
pub const FCR_TX_RESET: u8 = 0x04;
/// FCR: receive trigger 1 byte.
pub const FCR_TRIGGER_1: u8 = 0x00;
/// FCR: receive trigger 4 bytes.
pub const FCR_TRIGGER_4: u8 = 0x40;
/// FCR: receive trigger 8 bytes.
pub const FCR_TRIGGER_8: u8 = 0x80;
/// FCR: receive trigger 14 bytes.
pub const FCR_TRIGGER_14: u8 = 0xC0;
/// FCR: receive trigger field.
pub const FCR_TRIGGER_MASK: u8 = 0xC0;

/// MSR: delta CTS.
pub const MSR_DCTS: u8 = 0x01;
/// MSR: delta DSR.
pub const MSR_DDSR: u8 = 0x02;
/// MSR: trailing edge of RI.
pub const MSR_TERI: u8 = 0x04;
/// MSR: delta DCD.
pub const MSR_DDCD: u8 = 0x08;
/// MSR: CTS asserted.
pub const MSR_CTS: u8 = 0x10;
/// MSR: DSR asserted.
pub const MSR_DSR: u8 = 0x20;
/// MSR: RI asserted.
pub const MSR_RI: u8 = 0x40;
/// MSR: DCD asserted.
pub const MSR_DCD: u8 = 0x80;
