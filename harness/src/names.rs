//! Symbolic names for the bit masks scenarios and reports use: event masks, purge flags, error
//! words, hold reasons, handshake and flow bits, modem status, CE_* errors.
//!
//! Names are matched ASCII case-insensitively, with or without the header prefix
//! (`RXCHAR`, `EV_RXCHAR` and `SERIAL_EV_RXCHAR` are one name).

use serial_ioctl::{error, ev, handflow, hold, mcr, msr, purge};

use crate::win32::errors as ce;

/// A family of flag names.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum FlagSet {
    /// `SERIAL_EV_*` / `EV_*`.
    Event,
    /// `SERIAL_PURGE_*` / `PURGE_*`.
    Purge,
    /// `SERIAL_ERROR_*` (the driver's error word).
    SerialError,
    /// Win32 `CE_*` (ClearCommError).
    CommError,
    /// `SERIAL_TX_WAITING_*` / `SERIAL_RX_WAITING_*`.
    Hold,
    /// `SERIAL_HANDFLOW.ControlHandShake` bits.
    ControlHandshake,
    /// `SERIAL_HANDFLOW.FlowReplace` bits.
    FlowReplace,
    /// Modem status register bits (`CTS`, `DCTS`, …; Win32 `MS_CTS_ON` …).
    ModemStatus,
    /// `SERIAL_DTR_STATE` / `SERIAL_RTS_STATE` (GET_DTRRTS).
    DtrRts,
    /// Modem control register bits (GET/SET_MODEM_CONTROL).
    ModemControl,
}

impl FlagSet {
    /// The names and bits of this family, and the prefixes a name may carry.
    fn table(self) -> (&'static [(&'static str, u32)], &'static [&'static str]) {
        match self {
            Self::Event => (EVENTS, &["SERIAL_EV_", "EV_"]),
            Self::Purge => (PURGE, &["SERIAL_PURGE_", "PURGE_"]),
            Self::SerialError => (SERIAL_ERRORS, &["SERIAL_ERROR_"]),
            Self::CommError => (COMM_ERRORS, &["CE_"]),
            Self::Hold => (HOLDS, &["SERIAL_"]),
            Self::ControlHandshake => (CONTROL, &["SERIAL_"]),
            Self::FlowReplace => (FLOW, &["SERIAL_"]),
            Self::ModemStatus => (MODEM_STATUS, &["SERIAL_MSR_", "MS_"]),
            Self::DtrRts => (DTR_RTS, &["SERIAL_"]),
            Self::ModemControl => (MODEM_CONTROL, &["SERIAL_IOC_MCR_", "MCR_"]),
        }
    }

    /// Parses `text`: names joined by `|`, `,`, `+` or spaces, or a number (`0x..` allowed);
    /// empty text and `0` are 0.
    ///
    /// # Errors
    /// A message naming the unknown flag and listing the known ones.
    pub fn parse(self, text: &str) -> Result<u32, String> {
        let mut value = 0u32;
        for word in text
            .split(|c: char| c == '|' || c == ',' || c == '+' || c.is_whitespace())
            .filter(|word| !word.is_empty())
        {
            value |= self.parse_one(word)?;
        }
        Ok(value)
    }

    fn parse_one(self, word: &str) -> Result<u32, String> {
        if let Some(number) = parse_number(word) {
            return u32::try_from(number).map_err(|_| format!("{word} does not fit in 32 bits"));
        }
        let (table, prefixes) = self.table();
        let upper = word.to_ascii_uppercase();
        let mut bare = upper.as_str();
        for prefix in prefixes {
            if let Some(rest) = bare.strip_prefix(prefix) {
                bare = rest;
                break;
            }
        }
        let bare = if self == Self::ModemStatus {
            bare.strip_suffix("_ON").unwrap_or(bare)
        } else {
            bare
        };
        table
            .iter()
            .find(|(name, _)| *name == bare)
            .map(|(_, bit)| *bit)
            .ok_or_else(|| {
                let known: Vec<&str> = table.iter().map(|(name, _)| *name).collect();
                format!("unknown flag '{word}' (known: {})", known.join(", "))
            })
    }

    /// Formats `value` as names joined by `|` (`0` for none, leftover bits in hex).
    #[must_use]
    pub fn format(self, value: u32) -> String {
        let (table, _) = self.table();
        let mut rest = value;
        let mut names = Vec::new();
        for (name, bit) in table {
            // Multi-bit values (TRANSMIT_TOGGLE) only when all their bits are present.
            if *bit != 0 && rest & bit == *bit && value & bit == *bit {
                names.push((*name).to_owned());
                rest &= !bit;
            }
        }
        if rest != 0 {
            names.push(format!("0x{rest:X}"));
        }
        if names.is_empty() {
            "0".to_owned()
        } else {
            names.join("|")
        }
    }
}

/// Parses a decimal or `0x` hexadecimal number (with optional `_` separators).
#[must_use]
pub fn parse_number(text: &str) -> Option<u64> {
    let clean: String = text.chars().filter(|c| *c != '_').collect();
    if let Some(hex) = clean
        .strip_prefix("0x")
        .or_else(|| clean.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16).ok()
    } else if clean.eq_ignore_ascii_case("MAX") {
        Some(u64::from(u32::MAX))
    } else {
        clean.parse().ok()
    }
}

const EVENTS: &[(&str, u32)] = &[
    ("RXCHAR", ev::RXCHAR),
    ("RXFLAG", ev::RXFLAG),
    ("TXEMPTY", ev::TXEMPTY),
    ("CTS", ev::CTS),
    ("DSR", ev::DSR),
    ("RLSD", ev::RLSD),
    ("BREAK", ev::BREAK),
    ("ERR", ev::ERR),
    ("RING", ev::RING),
    ("PERR", ev::PERR),
    ("RX80FULL", ev::RX80FULL),
    ("EVENT1", ev::EVENT1),
    ("EVENT2", ev::EVENT2),
];

const PURGE: &[(&str, u32)] = &[
    ("TXABORT", purge::TXABORT),
    ("RXABORT", purge::RXABORT),
    ("TXCLEAR", purge::TXCLEAR),
    ("RXCLEAR", purge::RXCLEAR),
];

const SERIAL_ERRORS: &[(&str, u32)] = &[
    ("BREAK", error::BREAK),
    ("FRAMING", error::FRAMING),
    ("OVERRUN", error::OVERRUN),
    ("QUEUEOVERRUN", error::QUEUEOVERRUN),
    ("PARITY", error::PARITY),
];

const COMM_ERRORS: &[(&str, u32)] = &[
    ("RXOVER", ce::CE_RXOVER),
    ("OVERRUN", ce::CE_OVERRUN),
    ("RXPARITY", ce::CE_RXPARITY),
    ("FRAME", ce::CE_FRAME),
    ("BREAK", ce::CE_BREAK),
];

const HOLDS: &[(&str, u32)] = &[
    ("TX_WAITING_FOR_CTS", hold::TX_WAITING_FOR_CTS),
    ("TX_WAITING_FOR_DSR", hold::TX_WAITING_FOR_DSR),
    ("TX_WAITING_FOR_DCD", hold::TX_WAITING_FOR_DCD),
    ("TX_WAITING_FOR_XON", hold::TX_WAITING_FOR_XON),
    ("TX_WAITING_XOFF_SENT", hold::TX_WAITING_XOFF_SENT),
    ("TX_WAITING_ON_BREAK", hold::TX_WAITING_ON_BREAK),
    ("RX_WAITING_FOR_DSR", hold::RX_WAITING_FOR_DSR),
];

const CONTROL: &[(&str, u32)] = &[
    ("DTR_CONTROL", handflow::DTR_CONTROL),
    ("DTR_HANDSHAKE", handflow::DTR_HANDSHAKE),
    ("CTS_HANDSHAKE", handflow::CTS_HANDSHAKE),
    ("DSR_HANDSHAKE", handflow::DSR_HANDSHAKE),
    ("DCD_HANDSHAKE", handflow::DCD_HANDSHAKE),
    ("DSR_SENSITIVITY", handflow::DSR_SENSITIVITY),
    ("ERROR_ABORT", handflow::ERROR_ABORT),
];

const FLOW: &[(&str, u32)] = &[
    ("AUTO_TRANSMIT", handflow::AUTO_TRANSMIT),
    ("AUTO_RECEIVE", handflow::AUTO_RECEIVE),
    ("ERROR_CHAR", handflow::ERROR_CHAR),
    ("NULL_STRIPPING", handflow::NULL_STRIPPING),
    ("BREAK_CHAR", handflow::BREAK_CHAR),
    ("TRANSMIT_TOGGLE", handflow::TRANSMIT_TOGGLE),
    ("RTS_CONTROL", handflow::RTS_CONTROL),
    ("RTS_HANDSHAKE", handflow::RTS_HANDSHAKE),
    ("XOFF_CONTINUE", handflow::XOFF_CONTINUE),
];

const MODEM_STATUS: &[(&str, u32)] = &[
    ("DCTS", msr::DCTS as u32),
    ("DDSR", msr::DDSR as u32),
    ("TERI", msr::TERI as u32),
    ("DDCD", msr::DDCD as u32),
    ("CTS", msr::CTS as u32),
    ("DSR", msr::DSR as u32),
    ("RING", msr::RI as u32),
    ("RI", msr::RI as u32),
    ("RLSD", msr::DCD as u32),
    ("DCD", msr::DCD as u32),
];

const DTR_RTS: &[(&str, u32)] = &[
    ("DTR_STATE", serial_ioctl::line_state::DTR_STATE),
    ("RTS_STATE", serial_ioctl::line_state::RTS_STATE),
];

const MODEM_CONTROL: &[(&str, u32)] = &[
    ("DTR", mcr::DTR),
    ("RTS", mcr::RTS),
    ("OUT1", mcr::OUT1),
    ("OUT2", mcr::OUT2),
    ("LOOP", mcr::LOOP),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_with_or_without_prefixes() {
        assert_eq!(FlagSet::Event.parse("RXCHAR|ev_txempty").unwrap(), 0x5);
        assert_eq!(FlagSet::Event.parse("SERIAL_EV_BREAK, ERR").unwrap(), 0xC0);
        assert_eq!(FlagSet::Purge.parse("PURGE_RXCLEAR").unwrap(), 0x8);
        assert_eq!(
            FlagSet::ModemStatus.parse("MS_CTS_ON|MS_RLSD_ON").unwrap(),
            0x90
        );
        assert_eq!(FlagSet::CommError.parse("CE_RXPARITY").unwrap(), 0x4);
        assert_eq!(FlagSet::Event.parse("0x1FFF").unwrap(), 0x1FFF);
        assert_eq!(FlagSet::Event.parse("").unwrap(), 0);
        assert!(
            FlagSet::Event
                .parse("RXCHARS")
                .unwrap_err()
                .contains("RXCHARS")
        );
    }

    #[test]
    fn values_format_as_names() {
        assert_eq!(FlagSet::Event.format(0x5), "RXCHAR|TXEMPTY");
        assert_eq!(FlagSet::Event.format(0), "0");
        assert_eq!(FlagSet::FlowReplace.format(0xC0), "TRANSMIT_TOGGLE");
        assert_eq!(FlagSet::FlowReplace.format(0x40), "RTS_CONTROL");
        assert_eq!(FlagSet::Purge.format(0x30), "0x30");
    }

    #[test]
    fn numbers_parse_in_decimal_hex_and_max() {
        assert_eq!(parse_number("1_000"), Some(1000));
        assert_eq!(parse_number("0xFF"), Some(255));
        assert_eq!(parse_number("MAX"), Some(0xFFFF_FFFF));
        assert_eq!(parse_number("x"), None);
    }
}
