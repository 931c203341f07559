//! What a client's termios asks of the port, as the IOCTLs that set it: speed → SET_BAUD_RATE,
//! CSIZE / PARENB / PARODD / CMSPAR / CSTOPB → SET_LINE_CONTROL, CRTSCTS / IXON / IXOFF →
//! SET_HANDFLOW, VSTART / VSTOP → SET_CHARS. A speed of 0 (B0) means "hang up": DTR drops.

use rustix::termios::{ControlModes, InputModes, SpecialCodeIndex, Termios};
use serial_ioctl::{SerialChars, SerialHandflow, SerialLineControl, handflow, line_control};

/// The port settings a termios describes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct LineSettings {
    /// Output speed in baud; 0 = hang up (DTR off).
    pub baud: u32,
    /// Data bits, 5..=8.
    pub data_bits: u8,
    /// A `line_control::*_PARITY` code.
    pub parity: u8,
    /// Two stop bits (1.5 with 5 data bits).
    pub two_stop_bits: bool,
    /// CRTSCTS: RTS/CTS hardware handshake.
    pub rts_cts: bool,
    /// IXON: stop sending on XOFF received.
    pub xon_xoff_out: bool,
    /// IXOFF: send XOFF when the receive buffer fills.
    pub xon_xoff_in: bool,
    /// VSTART.
    pub xon_char: u8,
    /// VSTOP.
    pub xoff_char: u8,
}

impl LineSettings {
    /// The settings `termios` asks for.
    #[must_use]
    pub fn from_termios(termios: &Termios) -> Self {
        let control = termios.control_modes;
        let data_bits = match control & ControlModes::CSIZE {
            size if size == ControlModes::CS5 => 5,
            size if size == ControlModes::CS6 => 6,
            size if size == ControlModes::CS7 => 7,
            _ => 8,
        };
        let parity = if !control.contains(ControlModes::PARENB) {
            line_control::NO_PARITY
        } else {
            match (
                control.contains(ControlModes::CMSPAR),
                control.contains(ControlModes::PARODD),
            ) {
                (false, true) => line_control::ODD_PARITY,
                (false, false) => line_control::EVEN_PARITY,
                (true, true) => line_control::MARK_PARITY,
                (true, false) => line_control::SPACE_PARITY,
            }
        };
        Self {
            baud: termios.output_speed(),
            data_bits,
            parity,
            two_stop_bits: control.contains(ControlModes::CSTOPB),
            rts_cts: control.contains(ControlModes::CRTSCTS),
            xon_xoff_out: termios.input_modes.contains(InputModes::IXON),
            xon_xoff_in: termios.input_modes.contains(InputModes::IXOFF),
            xon_char: termios.special_codes[SpecialCodeIndex::VSTART],
            xoff_char: termios.special_codes[SpecialCodeIndex::VSTOP],
        }
    }

    /// SERIAL_LINE_CONTROL for these settings.
    #[must_use]
    pub const fn line_control(&self) -> SerialLineControl {
        let stop_bits = match (self.two_stop_bits, self.data_bits) {
            (false, _) => line_control::STOP_BIT_1,
            (true, 5) => line_control::STOP_BITS_1_5,
            (true, _) => line_control::STOP_BITS_2,
        };
        SerialLineControl {
            stop_bits,
            parity: self.parity,
            word_length: self.data_bits,
        }
    }

    /// SERIAL_HANDFLOW for these settings on a ring of `ring` bytes: DTR on; RTS on, or RTS/CTS
    /// handshake; XON/XOFF in either direction; receive flow control holds the peer at 7/8 full and
    /// releases it at half.
    #[must_use]
    pub fn handflow(&self, ring: usize) -> SerialHandflow {
        let mut control_handshake = handflow::DTR_CONTROL;
        let mut flow_replace = handflow::RTS_CONTROL;
        if self.rts_cts {
            control_handshake |= handflow::CTS_HANDSHAKE;
            flow_replace = handflow::RTS_HANDSHAKE;
        }
        if self.xon_xoff_out {
            flow_replace |= handflow::AUTO_TRANSMIT;
        }
        if self.xon_xoff_in {
            flow_replace |= handflow::AUTO_RECEIVE;
        }
        let ring = i32::try_from(ring).unwrap_or(i32::MAX);
        SerialHandflow {
            control_handshake,
            flow_replace,
            xon_limit: ring / 2,
            xoff_limit: ring / 8,
        }
    }

    /// SERIAL_CHARS with these XON/XOFF characters and nothing else special.
    #[must_use]
    pub const fn chars(&self) -> SerialChars {
        SerialChars {
            eof_char: 0,
            error_char: 0,
            break_char: 0,
            event_char: 0,
            xon_char: self.xon_char,
            xoff_char: self.xoff_char,
        }
    }
}

/// Whether the UART reaches `baud` from `clock_hz` (the engine's own rule).
#[must_use]
pub fn rate_available(baud: u32, clock_hz: u32) -> bool {
    serial_engine::line::divisor_for(baud, clock_hz).is_ok()
}

/// The valid rates nearest `baud` from `clock_hz`: the closest below and the closest above, of the
/// rates `clock_hz / 16 / divisor`, as far as they exist.
#[must_use]
pub fn nearest_rates(baud: u32, clock_hz: u32) -> Vec<u32> {
    let top = clock_hz / 16;
    if top == 0 {
        return Vec::new();
    }
    let divisor = (u64::from(top) / u64::from(baud.max(1))).clamp(1, 65_535);
    let mut rates: Vec<u32> = [divisor + 1, divisor, divisor.saturating_sub(1)]
        .into_iter()
        .filter(|d| (1..=65_535).contains(d))
        .filter_map(|d| u32::try_from(u64::from(top) / d).ok())
        .filter(|&rate| rate != baud && rate_available(rate, clock_hz))
        .collect();
    rates.sort_unstable();
    rates.dedup();
    let below = rates.iter().copied().filter(|&r| r < baud).max();
    let above = rates.iter().copied().filter(|&r| r > baud).min();
    below.into_iter().chain(above).collect()
}

/// The message for a rate the UART cannot make.
#[must_use]
pub fn unsupported_rate_message(baud: u32, clock_hz: u32) -> String {
    let nearest: Vec<String> = nearest_rates(baud, clock_hz)
        .iter()
        .map(ToString::to_string)
        .collect();
    let top = clock_hz / 16;
    let mut message = format!(
        "{baud} baud is not available from a {clock_hz} Hz UART clock (the highest rate is {top})"
    );
    if !nearest.is_empty() {
        message.push_str(&format!("; nearest: {}", nearest.join(", ")));
    }
    if baud > top {
        message.push_str("; a faster clock (--clock 14745600 reaches 921600) allows more");
    }
    message.push_str("; the port keeps its previous rate");
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> Termios {
        let mut termios = rustix::termios::tcgetattr(
            rustix::pty::openpt(rustix::pty::OpenptFlags::RDWR | rustix::pty::OpenptFlags::NOCTTY)
                .unwrap(),
        )
        .unwrap();
        termios.make_raw();
        termios
    }

    #[test]
    fn termios_fields_map_to_the_serial_settings() {
        let mut termios = raw();
        termios.set_speed(19_200).unwrap();
        termios.control_modes.remove(ControlModes::CSIZE);
        termios.control_modes |= ControlModes::CS7
            | ControlModes::PARENB
            | ControlModes::PARODD
            | ControlModes::CSTOPB
            | ControlModes::CRTSCTS;
        termios.input_modes |= InputModes::IXOFF;
        let settings = LineSettings::from_termios(&termios);
        assert_eq!(settings.baud, 19_200);
        assert_eq!(
            settings.line_control(),
            SerialLineControl {
                stop_bits: line_control::STOP_BITS_2,
                parity: line_control::ODD_PARITY,
                word_length: 7
            }
        );
        let flow = settings.handflow(4096);
        assert_eq!(
            flow.control_handshake,
            handflow::DTR_CONTROL | handflow::CTS_HANDSHAKE
        );
        assert_eq!(
            flow.flow_replace,
            handflow::RTS_HANDSHAKE | handflow::AUTO_RECEIVE
        );
        assert_eq!((flow.xon_limit, flow.xoff_limit), (2048, 512));
    }

    #[test]
    fn five_bits_with_cstopb_is_one_and_a_half_stop_bits_and_cmspar_is_mark_or_space() {
        let mut termios = raw();
        termios.control_modes.remove(ControlModes::CSIZE);
        termios.control_modes |=
            ControlModes::CS5 | ControlModes::CSTOPB | ControlModes::PARENB | ControlModes::CMSPAR;
        let settings = LineSettings::from_termios(&termios);
        assert_eq!(
            settings.line_control().stop_bits,
            line_control::STOP_BITS_1_5
        );
        assert_eq!(settings.parity, line_control::SPACE_PARITY);
        termios.control_modes |= ControlModes::PARODD;
        assert_eq!(
            LineSettings::from_termios(&termios).parity,
            line_control::MARK_PARITY
        );
    }

    #[test]
    fn unsupported_rates_name_their_nearest_valid_neighbours() {
        assert!(rate_available(115_200, 1_843_200));
        assert!(!rate_available(230_400, 1_843_200));
        assert!(rate_available(921_600, 14_745_600));
        assert_eq!(nearest_rates(100_000, 1_843_200), [57_600, 115_200]);
        assert_eq!(nearest_rates(230_400, 1_843_200), [115_200]);
        let message = unsupported_rate_message(230_400, 1_843_200);
        assert!(message.contains("nearest: 115200"), "{message}");
        assert!(message.contains("--clock"), "{message}");
    }
}
