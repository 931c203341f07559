//! Baud-rate divisors, line-control encoding and character times (serial-semantics.md §2, §3.1).

use serial_ioctl::{SerialLineControl, line_control};

use crate::kernel::Duration;
use crate::uart::{LCR_BREAK, LCR_PARITY_MASK, LCR_STOP_2, LCR_WORD_MASK};

/// Why a baud rate cannot be programmed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct InvalidBaud;

/// The 16-bit divisor for `baud` on a UART clocked at `clock_hz`.
///
/// Rejects zero and negative rates (the IOCTL field is read as signed), rates whose 16× clock
/// overflows or exceeds the UART clock, and, from 9600 baud up, rates whose divisor truncation
/// leaves a remainder of 1 % of the clock or more. 56 000 baud at 1.8432 MHz maps to divisor 2,
/// as in serial.sys.
///
/// # Errors
/// `InvalidBaud` for an unachievable rate; the caller keeps the old one.
pub fn divisor_for(baud: u32, clock_hz: u32) -> Result<u16, InvalidBaud> {
    if i32::try_from(baud).map_or(true, |signed| signed <= 0) {
        return Err(InvalidBaud);
    }
    if clock_hz == 1_843_200 && baud == 56_000 {
        return Ok(2);
    }
    let sixteen_x = baud.checked_mul(16).ok_or(InvalidBaud)?;
    if sixteen_x > clock_hz {
        return Err(InvalidBaud);
    }
    let divisor = clock_hz.checked_div(sixteen_x).ok_or(InvalidBaud)?;
    let remainder = clock_hz.checked_rem(sixteen_x).ok_or(InvalidBaud)?;
    if baud >= 9600 && remainder >= clock_hz.checked_div(100).ok_or(InvalidBaud)? {
        return Err(InvalidBaud);
    }
    u16::try_from(divisor)
        .map_err(|_| InvalidBaud)
        .and_then(|d| if d == 0 { Err(InvalidBaud) } else { Ok(d) })
}

/// Why a line control cannot be programmed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct InvalidLineControl;

/// The LCR value (without DLAB and break) for a SERIAL_LINE_CONTROL.
///
/// # Errors
/// `InvalidLineControl` for word lengths outside 5..=8, unknown parity or stop-bit codes, 1.5 stop
/// bits with other than 5 data bits, or 2 stop bits with 5 data bits.
pub fn lcr_for(control: &SerialLineControl) -> Result<u8, InvalidLineControl> {
    let word = match control.word_length {
        5 => 0x00,
        6 => 0x01,
        7 => 0x02,
        8 => 0x03,
        _ => return Err(InvalidLineControl),
    };
    let parity = match control.parity {
        line_control::NO_PARITY => 0x00,
        line_control::ODD_PARITY => 0x08,
        line_control::EVEN_PARITY => 0x18,
        line_control::MARK_PARITY => 0x28,
        line_control::SPACE_PARITY => 0x38,
        _ => return Err(InvalidLineControl),
    };
    let stop = match (control.stop_bits, control.word_length) {
        (line_control::STOP_BIT_1, _) => 0x00,
        (line_control::STOP_BITS_1_5, 5) => LCR_STOP_2,
        (line_control::STOP_BITS_2, 6..=8) => LCR_STOP_2,
        _ => return Err(InvalidLineControl),
    };
    Ok(word | parity | stop)
}

/// The SERIAL_LINE_CONTROL an LCR value encodes (bit 2 reads back as 1.5 stop bits with 5-bit
/// words, 2 otherwise).
#[must_use]
pub fn line_control_of(lcr: u8) -> SerialLineControl {
    let word_length = 5u8.saturating_add(lcr & LCR_WORD_MASK);
    let parity = match lcr & LCR_PARITY_MASK {
        0x08 => line_control::ODD_PARITY,
        0x18 => line_control::EVEN_PARITY,
        0x28 => line_control::MARK_PARITY,
        0x38 => line_control::SPACE_PARITY,
        _ => line_control::NO_PARITY,
    };
    let stop_bits = match (lcr & LCR_STOP_2 != 0, word_length) {
        (false, _) => line_control::STOP_BIT_1,
        (true, 5) => line_control::STOP_BITS_1_5,
        (true, _) => line_control::STOP_BITS_2,
    };
    SerialLineControl {
        stop_bits,
        parity,
        word_length,
    }
}

/// The data mask for received bytes under an LCR (5 bits → 0x1F … 8 bits → 0xFF).
#[must_use]
pub const fn data_mask(lcr: u8) -> u8 {
    match lcr & LCR_WORD_MASK {
        0 => 0x1F,
        1 => 0x3F,
        2 => 0x7F,
        _ => 0xFF,
    }
}

/// Bits on the wire per character, doubled so 1.5 stop bits stay exact.
const fn half_bits_per_char(lcr: u8) -> u64 {
    // start + data + parity, in half bits: (1 + 5..8 + 0..1) × 2.
    let data_half: u64 = match lcr & LCR_WORD_MASK {
        0 => 12,
        1 => 14,
        2 => 16,
        _ => 18,
    };
    let parity_half = if lcr & 0x08 != 0 { 2 } else { 0 };
    let stop_half = match (lcr & LCR_STOP_2 != 0, lcr & LCR_WORD_MASK) {
        (false, _) => 2,
        (true, 0) => 3,
        (true, _) => 4,
    };
    data_half
        .saturating_add(parity_half)
        .saturating_add(stop_half)
}

/// Time on the wire of one character, rounded up to the next 100 ns.
#[must_use]
pub fn character_time(lcr: u8, divisor: u16, clock_hz: u32) -> Duration {
    let half_bits = half_bits_per_char(lcr & !(LCR_BREAK | 0x80));
    // seconds = half_bits / 2 × 16 × divisor / clock; in 100 ns units × 10^7.
    let numerator = u128::from(half_bits)
        .saturating_mul(8)
        .saturating_mul(u128::from(divisor))
        .saturating_mul(10_000_000);
    let clock = u128::from(clock_hz.max(1));
    let units = numerator.div_ceil(clock);
    Duration::from_100ns(u64::try_from(units).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const CLOCK: u32 = 1_843_200;

    #[test]
    fn standard_rates_have_their_divisors() {
        assert_eq!(divisor_for(115_200, CLOCK), Ok(1));
        assert_eq!(divisor_for(9600, CLOCK), Ok(12));
        assert_eq!(divisor_for(300, CLOCK), Ok(384));
        assert_eq!(divisor_for(56_000, CLOCK), Ok(2));
        assert_eq!(divisor_for(75, CLOCK), Ok(1536));
    }

    #[test]
    fn unachievable_rates_are_rejected() {
        assert_eq!(divisor_for(0, CLOCK), Err(InvalidBaud));
        assert_eq!(
            divisor_for(u32::MAX, CLOCK),
            Err(InvalidBaud),
            "negative as LONG"
        );
        assert_eq!(
            divisor_for(230_400, CLOCK),
            Err(InvalidBaud),
            "16 × baud above the clock"
        );
        assert_eq!(
            divisor_for(128_000, CLOCK),
            Err(InvalidBaud),
            "1 % rule above 9600"
        );
        assert_eq!(
            divisor_for(0x1000_0000, CLOCK),
            Err(InvalidBaud),
            "16 × baud overflows"
        );
        assert!(
            divisor_for(1234, CLOCK).is_ok(),
            "below 9600 any rate passes"
        );
    }

    #[test]
    fn line_control_round_trips() {
        for word_length in 5..=8u8 {
            for parity in 0..=4u8 {
                for stop_bits in 0..=2u8 {
                    let control = SerialLineControl {
                        stop_bits,
                        parity,
                        word_length,
                    };
                    match lcr_for(&control) {
                        Ok(lcr) => assert_eq!(line_control_of(lcr), control),
                        Err(_) => assert!(
                            (stop_bits == 1 && word_length != 5)
                                || (stop_bits == 2 && word_length == 5)
                        ),
                    }
                }
            }
        }
        assert!(
            lcr_for(&SerialLineControl {
                stop_bits: 0,
                parity: 5,
                word_length: 8
            })
            .is_err()
        );
        assert!(
            lcr_for(&SerialLineControl {
                stop_bits: 3,
                parity: 0,
                word_length: 8
            })
            .is_err()
        );
        assert!(
            lcr_for(&SerialLineControl {
                stop_bits: 0,
                parity: 0,
                word_length: 9
            })
            .is_err()
        );
    }

    #[test]
    fn character_times_match_the_baud_rate() {
        // 8N1 at 115200: 10 bits = 86.805 µs → 869 × 100 ns rounded up.
        assert_eq!(character_time(0x03, 1, CLOCK).as_100ns(), 869);
        // 8N1 at 9600: 1.0417 ms.
        assert_eq!(character_time(0x03, 12, CLOCK).as_100ns(), 10_417);
        // 8E2 at 300 baud: 12 bits = 40 ms.
        assert_eq!(
            character_time(0x03 | 0x18 | 0x04, 384, CLOCK).as_100ns(),
            400_000
        );
    }
}
