//! What travels on a serial line: frame formats, characters with their end times, line errors.

use super::Time;

/// Parity rule of a frame (LCR bits 3-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parity {
    /// No parity bit.
    #[default]
    None,
    /// Parity bit makes the number of ones odd.
    Odd,
    /// Parity bit makes the number of ones even.
    Even,
    /// Stick parity, bit always 1.
    Mark,
    /// Stick parity, bit always 0.
    Space,
}

/// Stop bits of a frame (LCR bit 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StopBits {
    /// One stop bit.
    #[default]
    One,
    /// One and a half stop bits (LCR bit 2 with 5-bit words).
    OneAndHalf,
    /// Two stop bits (LCR bit 2 with 6-8 bit words).
    Two,
}

impl StopBits {
    /// Length in half bits.
    pub const fn half_bits(self) -> u64 {
        match self {
            Self::One => 2,
            Self::OneAndHalf => 3,
            Self::Two => 4,
        }
    }
}

/// Shape and speed of the characters on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameFormat {
    /// Baud rate × 1000. Exact for every rate that is a whole number of millibaud (all standard
    /// rates); a UART divisor that does not divide evenly is rounded to the nearest millibaud.
    pub baud_millis: u64,
    /// Data bits, 5 to 8.
    pub data_bits: u8,
    /// Parity rule.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
}

impl Default for FrameFormat {
    /// 9600 baud 8N1.
    fn default() -> Self {
        Self::eight_n_one(9600)
    }
}

impl FrameFormat {
    /// A frame at `baud` with the given shape.
    pub const fn new(baud: u32, data_bits: u8, parity: Parity, stop_bits: StopBits) -> Self {
        Self {
            baud_millis: baud as u64 * 1000,
            data_bits,
            parity,
            stop_bits,
        }
    }

    /// The common 8 data bits, no parity, 1 stop bit frame.
    pub const fn eight_n_one(baud: u32) -> Self {
        Self::new(baud, 8, Parity::None, StopBits::One)
    }

    /// Frame length in half bits: start + data + parity + stop.
    pub const fn half_bits(&self) -> u64 {
        let parity = match self.parity {
            Parity::None => 0,
            _ => 1,
        };
        2 * (1 + self.data_bits as u64 + parity) + self.stop_bits.half_bits()
    }

    /// Exact character time in seconds, as `(numerator, denominator)`.
    fn character_seconds(&self) -> (u128, u128) {
        (
            u128::from(self.half_bits()) * 1000,
            2 * u128::from(self.baud_millis.max(1)),
        )
    }

    /// Duration of `count` back-to-back characters in 100 ns units, rounded up. Computing each
    /// character of a burst from the burst's start keeps the burst free of cumulative rounding.
    pub fn characters_time(&self, count: u64) -> Time {
        let (num, den) = self.character_seconds();
        let units = (u128::from(count) * num * 10_000_000).div_ceil(den);
        Time::try_from(units).unwrap_or(Time::MAX)
    }

    /// One character time in 100 ns units, rounded up.
    pub fn character_time(&self) -> Time {
        self.characters_time(1)
    }

    /// Mask of the data bits.
    pub const fn data_mask(&self) -> u8 {
        match self.data_bits {
            0..=4 => 0x0F,
            5 => 0x1F,
            6 => 0x3F,
            7 => 0x7F,
            _ => 0xFF,
        }
    }

    /// The parity bit this frame puts on the line after `data`, if it has one.
    pub const fn parity_bit(&self, data: u8) -> Option<bool> {
        let ones_odd = (data & self.data_mask()).count_ones() % 2 == 1;
        match self.parity {
            Parity::None => None,
            Parity::Odd => Some(!ones_odd),
            Parity::Even => Some(ones_odd),
            Parity::Mark => Some(true),
            Parity::Space => Some(false),
        }
    }

    /// Whether a receiver set to `self` samples a sender running at `other`'s rate correctly:
    /// rates within 3 % of each other.
    pub const fn rate_matches(&self, other: &FrameFormat) -> bool {
        let ours = self.baud_millis as u128;
        let theirs = other.baud_millis as u128;
        let diff = ours.abs_diff(theirs);
        diff * 100 <= ours * 3
    }
}

/// Line conditions carried by one character, set by the sender or a fault injector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineErrors {
    /// The parity bit on the line is the inverse of the sender's rule (a receiver that checks
    /// parity reports PE).
    pub parity: bool,
    /// The stop bit is spacing (the receiver reports FE).
    pub framing: bool,
    /// A break: the line is held spacing for at least a whole character (the receiver loads one
    /// 0x00 with BI).
    pub break_condition: bool,
}

impl LineErrors {
    /// No error.
    pub const NONE: Self = Self {
        parity: false,
        framing: false,
        break_condition: false,
    };
    /// A break.
    pub const BREAK: Self = Self {
        parity: false,
        framing: false,
        break_condition: true,
    };
}

/// One character on a line. `at` is the instant its last stop bit ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineChar {
    /// End of the last stop bit, 100 ns units (rounded up from the exact instant).
    pub at: Time,
    /// The data bits as sent (bits above the frame's data bits are ignored).
    pub data: u8,
    /// The sender's frame format.
    pub format: FrameFormat,
    /// Errors on the line for this character.
    pub errors: LineErrors,
}

/// Modem-status inputs of a UART (true = asserted; MSR bits 7:4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModemInputs {
    /// Clear to send.
    pub cts: bool,
    /// Data set ready.
    pub dsr: bool,
    /// Ring indicator.
    pub ri: bool,
    /// Data carrier detect.
    pub dcd: bool,
}

impl ModemInputs {
    /// All four inputs asserted.
    pub const ALL: Self = Self {
        cts: true,
        dsr: true,
        ri: true,
        dcd: true,
    };
}

/// Modem-control outputs of a UART as seen on its pins (true = asserted), plus the break state of
/// SOUT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ModemOutputs {
    /// Data terminal ready.
    pub dtr: bool,
    /// Request to send.
    pub rts: bool,
    /// User output 1.
    pub out1: bool,
    /// User output 2 (gates the interrupt on PC boards).
    pub out2: bool,
    /// SOUT is held spacing (LCR bit 6, not in loopback).
    pub break_condition: bool,
}
