//! Register offsets and bit assignments of the 16550A (uart16550.md §1-§2), and the decoding of
//! register values that several parts of the model share.

use super::line::{FrameFormat, Parity, StopBits};

/// RBR (read) / THR (write) with DLAB = 0; DLL with DLAB = 1.
pub const RBR_THR_DLL: u8 = 0;
/// IER with DLAB = 0; DLM with DLAB = 1.
pub const IER_DLM: u8 = 1;
/// IIR (read) / FCR (write).
pub const IIR_FCR: u8 = 2;
/// Line control register.
pub const LCR: u8 = 3;
/// Modem control register.
pub const MCR: u8 = 4;
/// Line status register (writes are ignored).
pub const LSR: u8 = 5;
/// Modem status register (writes are ignored).
pub const MSR: u8 = 6;
/// Scratch register.
pub const SCR: u8 = 7;

/// Depth of each FIFO.
pub const FIFO_DEPTH: usize = 16;

/// Interrupt enable register bits.
pub mod ier {
    /// Received data available and character timeout.
    pub const ERBFI: u8 = 0x01;
    /// Transmitter holding register empty.
    pub const ETBEI: u8 = 0x02;
    /// Receiver line status.
    pub const ELSI: u8 = 0x04;
    /// Modem status.
    pub const EDSSI: u8 = 0x08;
    /// The bits that stick.
    pub const MASK: u8 = 0x0F;
}

/// Interrupt identification register values.
pub mod iir {
    /// Bit 0: no interrupt pending.
    pub const NO_INTERRUPT: u8 = 0x01;
    /// Receiver line status.
    pub const RECEIVER_LINE_STATUS: u8 = 0x06;
    /// Received data available.
    pub const RECEIVED_DATA: u8 = 0x04;
    /// Character timeout.
    pub const CHARACTER_TIMEOUT: u8 = 0x0C;
    /// Transmitter holding register empty.
    pub const THR_EMPTY: u8 = 0x02;
    /// Modem status.
    pub const MODEM_STATUS: u8 = 0x00;
    /// Bits 7:6 when the FIFOs are enabled.
    pub const FIFOS_ENABLED: u8 = 0xC0;
    /// Bits 3:0, the cause field.
    pub const CAUSE_MASK: u8 = 0x0F;
}

/// FIFO control register bits.
pub mod fcr {
    /// Enable both FIFOs.
    pub const ENABLE: u8 = 0x01;
    /// Clear the receive FIFO (self-clearing).
    pub const RX_RESET: u8 = 0x02;
    /// Clear the transmit FIFO (self-clearing).
    pub const TX_RESET: u8 = 0x04;
    /// DMA mode select (stored, no effect in the model).
    pub const DMA_MODE: u8 = 0x08;
    /// Receive trigger level field.
    pub const TRIGGER_MASK: u8 = 0xC0;
    /// Trigger at 1 byte.
    pub const TRIGGER_1: u8 = 0x00;
    /// Trigger at 4 bytes.
    pub const TRIGGER_4: u8 = 0x40;
    /// Trigger at 8 bytes.
    pub const TRIGGER_8: u8 = 0x80;
    /// Trigger at 14 bytes.
    pub const TRIGGER_14: u8 = 0xC0;
}

/// Line control register bits.
pub mod lcr {
    /// Word length field: 0 = 5 bits … 3 = 8 bits.
    pub const WORD_LENGTH_MASK: u8 = 0x03;
    /// 8 data bits.
    pub const WORD_8: u8 = 0x03;
    /// 1.5 or 2 stop bits.
    pub const STOP_BITS: u8 = 0x04;
    /// Parity enable.
    pub const PARITY_ENABLE: u8 = 0x08;
    /// Even parity select.
    pub const EVEN_PARITY: u8 = 0x10;
    /// Stick parity.
    pub const STICK_PARITY: u8 = 0x20;
    /// Set break: SOUT held spacing.
    pub const BREAK: u8 = 0x40;
    /// Divisor latch access.
    pub const DLAB: u8 = 0x80;
}

/// Modem control register bits.
pub mod mcr {
    /// Data terminal ready.
    pub const DTR: u8 = 0x01;
    /// Request to send.
    pub const RTS: u8 = 0x02;
    /// Output 1.
    pub const OUT1: u8 = 0x04;
    /// Output 2 (interrupt gate on PC boards).
    pub const OUT2: u8 = 0x08;
    /// Local loopback.
    pub const LOOP: u8 = 0x10;
    /// The bits that stick on a 16550A.
    pub const MASK: u8 = 0x1F;
}

/// Line status register bits.
pub mod lsr {
    /// Data ready.
    pub const DR: u8 = 0x01;
    /// Overrun error.
    pub const OE: u8 = 0x02;
    /// Parity error.
    pub const PE: u8 = 0x04;
    /// Framing error.
    pub const FE: u8 = 0x08;
    /// Break interrupt.
    pub const BI: u8 = 0x10;
    /// Transmitter holding register (TX FIFO) empty.
    pub const THRE: u8 = 0x20;
    /// Transmitter empty: THR/FIFO and shift register.
    pub const TEMT: u8 = 0x40;
    /// An errored byte is in the receive FIFO.
    pub const RX_FIFO_ERROR: u8 = 0x80;
    /// The error bits cleared by reading LSR.
    pub const ERRORS: u8 = OE | PE | FE | BI;
}

/// Modem status register bits.
pub mod msr {
    /// CTS changed.
    pub const DCTS: u8 = 0x01;
    /// DSR changed.
    pub const DDSR: u8 = 0x02;
    /// RI went from asserted to not asserted.
    pub const TERI: u8 = 0x04;
    /// DCD changed.
    pub const DDCD: u8 = 0x08;
    /// Clear to send.
    pub const CTS: u8 = 0x10;
    /// Data set ready.
    pub const DSR: u8 = 0x20;
    /// Ring indicator.
    pub const RI: u8 = 0x40;
    /// Data carrier detect.
    pub const DCD: u8 = 0x80;
    /// The four delta bits.
    pub const DELTAS: u8 = 0x0F;
}

/// One interrupt cause, in IIR priority order (highest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum InterruptCause {
    /// OE/PE/FE/BI latched in LSR (ELSI).
    ReceiverLineStatus,
    /// Character timeout (ERBFI, FIFO mode).
    CharacterTimeout,
    /// Receive level at or above the trigger, or DR in 16450 mode (ERBFI).
    ReceivedData,
    /// THR/TX FIFO empty (ETBEI).
    ThrEmpty,
    /// A modem-status delta bit (EDSSI).
    ModemStatus,
}

impl InterruptCause {
    /// The IIR bits 3:0 for this cause.
    pub const fn iir_code(self) -> u8 {
        match self {
            Self::ReceiverLineStatus => iir::RECEIVER_LINE_STATUS,
            Self::CharacterTimeout => iir::CHARACTER_TIMEOUT,
            Self::ReceivedData => iir::RECEIVED_DATA,
            Self::ThrEmpty => iir::THR_EMPTY,
            Self::ModemStatus => iir::MODEM_STATUS,
        }
    }
}

/// Which register an access reached, after DLAB decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Register {
    /// Receive buffer.
    Rbr,
    /// Transmit holding.
    Thr,
    /// Divisor latch low.
    Dll,
    /// Divisor latch high.
    Dlm,
    /// Interrupt enable.
    Ier,
    /// Interrupt identification.
    Iir,
    /// FIFO control.
    Fcr,
    /// Line control.
    Lcr,
    /// Modem control.
    Mcr,
    /// Line status.
    Lsr,
    /// Modem status.
    Msr,
    /// Scratch.
    Scr,
}

impl Register {
    /// Decodes an offset (only bits 2:0 count) for a read or a write with the given DLAB.
    pub const fn decode(offset: u8, write: bool, dlab: bool) -> Self {
        match (offset & 7, write, dlab) {
            (0, _, true) => Self::Dll,
            (0, false, false) => Self::Rbr,
            (0, true, false) => Self::Thr,
            (1, _, true) => Self::Dlm,
            (1, _, false) => Self::Ier,
            (2, false, _) => Self::Iir,
            (2, true, _) => Self::Fcr,
            (3, _, _) => Self::Lcr,
            (4, _, _) => Self::Mcr,
            (5, _, _) => Self::Lsr,
            (6, _, _) => Self::Msr,
            _ => Self::Scr,
        }
    }
}

/// Receive trigger level programmed by FCR bits 7:6.
pub const fn trigger_level(fcr_value: u8) -> usize {
    match fcr_value & fcr::TRIGGER_MASK {
        fcr::TRIGGER_1 => 1,
        fcr::TRIGGER_4 => 4,
        fcr::TRIGGER_8 => 8,
        _ => 14,
    }
}

/// The divisor actually used for timing: 0 behaves as 65 536 (the counter wraps), and is flagged
/// separately as undefined.
pub const fn effective_divisor(divisor: u16) -> u64 {
    if divisor == 0 { 65_536 } else { divisor as u64 }
}

/// Baud × 1000 for a divisor, rounded to the nearest millibaud.
pub fn baud_millis(clock_hz: u32, divisor: u16) -> u64 {
    let denominator = 16 * effective_divisor(divisor);
    (u64::from(clock_hz) * 1000 + denominator / 2) / denominator
}

/// Decodes LCR into a frame format at the rate given by `divisor`.
pub fn frame_from_lcr(lcr_value: u8, clock_hz: u32, divisor: u16) -> FrameFormat {
    let data_bits = 5 + (lcr_value & lcr::WORD_LENGTH_MASK);
    let parity = if lcr_value & lcr::PARITY_ENABLE == 0 {
        Parity::None
    } else {
        match (
            lcr_value & lcr::STICK_PARITY != 0,
            lcr_value & lcr::EVEN_PARITY != 0,
        ) {
            (false, false) => Parity::Odd,
            (false, true) => Parity::Even,
            (true, false) => Parity::Mark,
            (true, true) => Parity::Space,
        }
    };
    let stop_bits = match (lcr_value & lcr::STOP_BITS != 0, data_bits) {
        (false, _) => StopBits::One,
        (true, 5) => StopBits::OneAndHalf,
        (true, _) => StopBits::Two,
    };
    FrameFormat {
        baud_millis: baud_millis(clock_hz, divisor),
        data_bits,
        parity,
        stop_bits,
    }
}

/// Clock cycles of one character: half bits × 8 × divisor (a bit is 16 × divisor cycles).
pub fn character_cycles(format: &FrameFormat, divisor: u16) -> u64 {
    format.half_bits() * 8 * effective_divisor(divisor)
}

/// Clock cycles of one bit.
pub fn bit_cycles(divisor: u16) -> u64 {
    16 * effective_divisor(divisor)
}
