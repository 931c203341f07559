//! The Win32 `DCB` (device control block): its 28-byte layout, its flag bitfield, and how
//! kernel32's SetCommState/GetCommState translate it to and from the driver's four settings
//! IOCTLs.
//!
//! Mapping facts (Microsoft's DCB documentation; kernel32 behaviour as reimplemented by Wine):
//! - SetCommState issues SET_BAUD_RATE, SET_LINE_CONTROL, SET_HANDFLOW, SET_CHARS in this order
//!   and stops at the first failure. An fDtrControl value of 3 fails with
//!   `ERROR_INVALID_PARAMETER` before any IOCTL.
//! - fBinary and fParity are not sent to the driver (Windows supports binary mode only; the driver
//!   checks parity whenever the line control has parity). GetCommState always reports fBinary = 1
//!   and fParity = 0.
//! - ControlHandShake: fDtrControl ENABLE → DTR_CONTROL, HANDSHAKE → DTR_HANDSHAKE;
//!   fOutxCtsFlow → CTS_HANDSHAKE; fOutxDsrFlow → DSR_HANDSHAKE; fDsrSensitivity →
//!   DSR_SENSITIVITY; fAbortOnError → ERROR_ABORT.
//! - FlowReplace: fRtsControl ENABLE → RTS_CONTROL, HANDSHAKE → RTS_HANDSHAKE, TOGGLE →
//!   RTS_CONTROL | RTS_HANDSHAKE (= TRANSMIT_TOGGLE); fOutX → AUTO_TRANSMIT; fInX →
//!   AUTO_RECEIVE; fErrorChar → ERROR_CHAR; fNull → NULL_STRIPPING; fTXContinueOnXoff →
//!   XOFF_CONTINUE.
//! - XonLim/XoffLim → XonLimit/XoffLimit; ByteSize/Parity/StopBits → WordLength/Parity/StopBits
//!   (same encodings); SERIAL_CHARS gets EofChar, ErrorChar, BreakChar = 0, EventChar = EvtChar,
//!   XonChar, XoffChar.

use serial_ioctl::{
    SerialBaudRate, SerialChars, SerialHandflow, SerialIoctl, SerialLineControl, handflow,
};

/// `sizeof(DCB)`.
pub const DCB_SIZE: usize = 28;

/// `fDtrControl`: how DTR is driven.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum DtrControl {
    /// `DTR_CONTROL_DISABLE` (0): DTR off.
    Disable,
    /// `DTR_CONTROL_ENABLE` (1): DTR on.
    #[default]
    Enable,
    /// `DTR_CONTROL_HANDSHAKE` (2): DTR is receive flow control.
    Handshake,
    /// The undefined value 3: SetCommState rejects it.
    Invalid,
}

impl DtrControl {
    /// The 2-bit field value.
    #[must_use]
    pub const fn bits(self) -> u32 {
        match self {
            Self::Disable => 0,
            Self::Enable => 1,
            Self::Handshake => 2,
            Self::Invalid => 3,
        }
    }

    /// The value of a 2-bit field.
    #[must_use]
    pub const fn from_bits(bits: u32) -> Self {
        match bits & 3 {
            0 => Self::Disable,
            1 => Self::Enable,
            2 => Self::Handshake,
            _ => Self::Invalid,
        }
    }
}

/// `fRtsControl`: how RTS is driven.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum RtsControl {
    /// `RTS_CONTROL_DISABLE` (0): RTS off.
    Disable,
    /// `RTS_CONTROL_ENABLE` (1): RTS on.
    #[default]
    Enable,
    /// `RTS_CONTROL_HANDSHAKE` (2): RTS is receive flow control.
    Handshake,
    /// `RTS_CONTROL_TOGGLE` (3): RTS on while there are bytes to send.
    Toggle,
}

impl RtsControl {
    /// The 2-bit field value.
    #[must_use]
    pub const fn bits(self) -> u32 {
        match self {
            Self::Disable => 0,
            Self::Enable => 1,
            Self::Handshake => 2,
            Self::Toggle => 3,
        }
    }

    /// The value of a 2-bit field.
    #[must_use]
    pub const fn from_bits(bits: u32) -> Self {
        match bits & 3 {
            0 => Self::Disable,
            1 => Self::Enable,
            2 => Self::Handshake,
            _ => Self::Toggle,
        }
    }
}

/// Bit positions in the DCB's flag DWORD.
mod bit {
    pub const BINARY: u32 = 1 << 0;
    pub const PARITY: u32 = 1 << 1;
    pub const OUTX_CTS_FLOW: u32 = 1 << 2;
    pub const OUTX_DSR_FLOW: u32 = 1 << 3;
    pub const DTR_CONTROL_SHIFT: u32 = 4;
    pub const DSR_SENSITIVITY: u32 = 1 << 6;
    pub const TX_CONTINUE_ON_XOFF: u32 = 1 << 7;
    pub const OUT_X: u32 = 1 << 8;
    pub const IN_X: u32 = 1 << 9;
    pub const ERROR_CHAR: u32 = 1 << 10;
    pub const NULL: u32 = 1 << 11;
    pub const RTS_CONTROL_SHIFT: u32 = 12;
    pub const ABORT_ON_ERROR: u32 = 1 << 14;
    pub const DUMMY_SHIFT: u32 = 15;
}

/// The Win32 `DCB`, with the bitfield spelled out as fields.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // One bool per documented DCB flag.
pub struct Dcb {
    /// `BaudRate`.
    pub baud_rate: u32,
    /// `fBinary`: must be TRUE on Windows.
    pub binary: bool,
    /// `fParity`: parity checking requested.
    pub parity_check: bool,
    /// `fOutxCtsFlow`: transmit only while CTS is on.
    pub outx_cts_flow: bool,
    /// `fOutxDsrFlow`: transmit only while DSR is on.
    pub outx_dsr_flow: bool,
    /// `fDtrControl`.
    pub dtr_control: DtrControl,
    /// `fDsrSensitivity`: ignore received bytes while DSR is off.
    pub dsr_sensitivity: bool,
    /// `fTXContinueOnXoff`: keep transmitting after sending XOFF.
    pub tx_continue_on_xoff: bool,
    /// `fOutX`: honour received XON/XOFF.
    pub out_x: bool,
    /// `fInX`: send XON/XOFF as the receive buffer fills and drains.
    pub in_x: bool,
    /// `fErrorChar`: replace bytes received with parity errors by `error_char`.
    pub error_char_enabled: bool,
    /// `fNull`: discard received NUL bytes.
    pub null_stripping: bool,
    /// `fRtsControl`.
    pub rts_control: RtsControl,
    /// `fAbortOnError`: a line error aborts reads and writes until ClearCommError.
    pub abort_on_error: bool,
    /// `fDummy2`: the 17 reserved bits, kept so a DCB round-trips exactly.
    pub reserved_bits: u32,
    /// `wReserved`: must be 0.
    pub reserved: u16,
    /// `XonLim`: fill level at or below which XON is sent (bytes in the buffer).
    pub xon_lim: u16,
    /// `XoffLim`: free space at or below which XOFF is sent.
    pub xoff_lim: u16,
    /// `ByteSize`: data bits, 5–8.
    pub byte_size: u8,
    /// `Parity`: NOPARITY 0, ODDPARITY 1, EVENPARITY 2, MARKPARITY 3, SPACEPARITY 4.
    pub parity: u8,
    /// `StopBits`: ONESTOPBIT 0, ONE5STOPBITS 1, TWOSTOPBITS 2.
    pub stop_bits: u8,
    /// `XonChar`.
    pub xon_char: u8,
    /// `XoffChar`.
    pub xoff_char: u8,
    /// `ErrorChar`.
    pub error_char: u8,
    /// `EofChar`.
    pub eof_char: u8,
    /// `EvtChar`: receiving it raises EV_RXFLAG.
    pub evt_char: u8,
    /// `wReserved1`.
    pub reserved1: u16,
}

impl Default for Dcb {
    /// 9600 8N1, binary, DTR and RTS on, no flow control, XON 0x11 / XOFF 0x13.
    fn default() -> Self {
        Self {
            baud_rate: 9600,
            binary: true,
            parity_check: false,
            outx_cts_flow: false,
            outx_dsr_flow: false,
            dtr_control: DtrControl::Enable,
            dsr_sensitivity: false,
            tx_continue_on_xoff: false,
            out_x: false,
            in_x: false,
            error_char_enabled: false,
            null_stripping: false,
            rts_control: RtsControl::Enable,
            abort_on_error: false,
            reserved_bits: 0,
            reserved: 0,
            xon_lim: 2048,
            xoff_lim: 512,
            byte_size: 8,
            parity: 0,
            stop_bits: 0,
            xon_char: 0x11,
            xoff_char: 0x13,
            error_char: 0,
            eof_char: 0,
            evt_char: 0,
            reserved1: 0,
        }
    }
}

/// The four settings SetCommState sends, in the order it sends them.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CommSettings {
    /// For SET_BAUD_RATE.
    pub baud: SerialBaudRate,
    /// For SET_LINE_CONTROL.
    pub line: SerialLineControl,
    /// For SET_HANDFLOW.
    pub handflow: SerialHandflow,
    /// For SET_CHARS.
    pub chars: SerialChars,
}

impl CommSettings {
    /// The IOCTLs and input buffers SetCommState issues, in order: the four settings, then DTR
    /// and RTS driven as fDtrControl / fRtsControl say when the driver does not handshake them
    /// (SET_DTR / CLR_DTR, SET_RTS / CLR_RTS), as Windows' and Wine's SetCommState do.
    #[must_use]
    pub fn requests(&self) -> Vec<(SerialIoctl, Vec<u8>)> {
        let dtr = match self.handflow.control_handshake & handflow::DTR_MASK {
            0 => Some(SerialIoctl::ClrDtr),
            handflow::DTR_CONTROL => Some(SerialIoctl::SetDtr),
            _ => None,
        };
        let rts = match self.handflow.flow_replace & handflow::RTS_MASK {
            0 => Some(SerialIoctl::ClrRts),
            handflow::RTS_CONTROL => Some(SerialIoctl::SetRts),
            _ => None,
        };
        let lines = dtr.into_iter().chain(rts).map(|ioctl| (ioctl, Vec::new()));
        [
            (
                SerialIoctl::SetBaudRate,
                bytemuck::bytes_of(&self.baud).to_vec(),
            ),
            (
                SerialIoctl::SetLineControl,
                bytemuck::bytes_of(&self.line).to_vec(),
            ),
            (
                SerialIoctl::SetHandflow,
                bytemuck::bytes_of(&self.handflow).to_vec(),
            ),
            (
                SerialIoctl::SetChars,
                bytemuck::bytes_of(&self.chars).to_vec(),
            ),
        ]
        .into_iter()
        .chain(lines)
        .collect()
    }
}

impl Dcb {
    /// The flag DWORD as laid out in memory.
    #[must_use]
    pub fn bits(&self) -> u32 {
        let flag = |on: bool, bit: u32| if on { bit } else { 0 };
        flag(self.binary, bit::BINARY)
            | flag(self.parity_check, bit::PARITY)
            | flag(self.outx_cts_flow, bit::OUTX_CTS_FLOW)
            | flag(self.outx_dsr_flow, bit::OUTX_DSR_FLOW)
            | (self.dtr_control.bits() << bit::DTR_CONTROL_SHIFT)
            | flag(self.dsr_sensitivity, bit::DSR_SENSITIVITY)
            | flag(self.tx_continue_on_xoff, bit::TX_CONTINUE_ON_XOFF)
            | flag(self.out_x, bit::OUT_X)
            | flag(self.in_x, bit::IN_X)
            | flag(self.error_char_enabled, bit::ERROR_CHAR)
            | flag(self.null_stripping, bit::NULL)
            | (self.rts_control.bits() << bit::RTS_CONTROL_SHIFT)
            | flag(self.abort_on_error, bit::ABORT_ON_ERROR)
            | ((self.reserved_bits & 0x1_FFFF) << bit::DUMMY_SHIFT)
    }

    /// Sets every flag field from a flag DWORD.
    pub fn set_bits(&mut self, bits: u32) {
        let on = |mask: u32| bits & mask != 0;
        self.binary = on(bit::BINARY);
        self.parity_check = on(bit::PARITY);
        self.outx_cts_flow = on(bit::OUTX_CTS_FLOW);
        self.outx_dsr_flow = on(bit::OUTX_DSR_FLOW);
        self.dtr_control = DtrControl::from_bits(bits >> bit::DTR_CONTROL_SHIFT);
        self.dsr_sensitivity = on(bit::DSR_SENSITIVITY);
        self.tx_continue_on_xoff = on(bit::TX_CONTINUE_ON_XOFF);
        self.out_x = on(bit::OUT_X);
        self.in_x = on(bit::IN_X);
        self.error_char_enabled = on(bit::ERROR_CHAR);
        self.null_stripping = on(bit::NULL);
        self.rts_control = RtsControl::from_bits(bits >> bit::RTS_CONTROL_SHIFT);
        self.abort_on_error = on(bit::ABORT_ON_ERROR);
        self.reserved_bits = bits >> bit::DUMMY_SHIFT;
    }

    /// The 28-byte structure as it sits in memory (little-endian), `DCBlength` = 28.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; DCB_SIZE] {
        let mut bytes = [0u8; DCB_SIZE];
        let mut put = |offset: usize, value: &[u8]| {
            if let Some(target) = bytes.get_mut(offset..offset + value.len()) {
                target.copy_from_slice(value);
            }
        };
        put(0, &u32::try_from(DCB_SIZE).unwrap_or(28).to_le_bytes());
        put(4, &self.baud_rate.to_le_bytes());
        put(8, &self.bits().to_le_bytes());
        put(12, &self.reserved.to_le_bytes());
        put(14, &self.xon_lim.to_le_bytes());
        put(16, &self.xoff_lim.to_le_bytes());
        put(
            18,
            &[
                self.byte_size,
                self.parity,
                self.stop_bits,
                self.xon_char,
                self.xoff_char,
                self.error_char,
                self.eof_char,
                self.evt_char,
            ],
        );
        put(26, &self.reserved1.to_le_bytes());
        bytes
    }

    /// Reads a DCB from its 28-byte memory image (`DCBlength` is not checked).
    #[must_use]
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: &[u8; DCB_SIZE] = bytes.get(..DCB_SIZE)?.try_into().ok()?;
        let u16_at = |offset: usize| u16::from_le_bytes([bytes[offset], bytes[offset + 1]]);
        let u32_at = |offset: usize| {
            u32::from_le_bytes([
                bytes[offset],
                bytes[offset + 1],
                bytes[offset + 2],
                bytes[offset + 3],
            ])
        };
        let mut dcb = Self {
            baud_rate: u32_at(4),
            reserved: u16_at(12),
            xon_lim: u16_at(14),
            xoff_lim: u16_at(16),
            byte_size: bytes[18],
            parity: bytes[19],
            stop_bits: bytes[20],
            xon_char: bytes[21],
            xoff_char: bytes[22],
            error_char: bytes[23],
            eof_char: bytes[24],
            evt_char: bytes[25],
            reserved1: u16_at(26),
            ..Self::default()
        };
        dcb.set_bits(u32_at(8));
        Some(dcb)
    }

    /// What SetCommState sends for this DCB.
    ///
    /// # Errors
    /// `ERROR_INVALID_PARAMETER` (87) when fDtrControl is 3, before any IOCTL is sent.
    pub fn to_settings(&self) -> Result<CommSettings, u32> {
        let mut control = 0;
        let mut flow = 0;
        match self.dtr_control {
            DtrControl::Disable => {}
            DtrControl::Enable => control |= handflow::DTR_CONTROL,
            DtrControl::Handshake => control |= handflow::DTR_HANDSHAKE,
            DtrControl::Invalid => return Err(crate::win32::errors::ERROR_INVALID_PARAMETER),
        }
        flow |= match self.rts_control {
            RtsControl::Disable => 0,
            RtsControl::Enable => handflow::RTS_CONTROL,
            RtsControl::Handshake => handflow::RTS_HANDSHAKE,
            RtsControl::Toggle => handflow::RTS_CONTROL | handflow::RTS_HANDSHAKE,
        };
        let set = |on: bool, bit: u32| if on { bit } else { 0 };
        control |= set(self.outx_cts_flow, handflow::CTS_HANDSHAKE)
            | set(self.outx_dsr_flow, handflow::DSR_HANDSHAKE)
            | set(self.dsr_sensitivity, handflow::DSR_SENSITIVITY)
            | set(self.abort_on_error, handflow::ERROR_ABORT);
        flow |= set(self.error_char_enabled, handflow::ERROR_CHAR)
            | set(self.null_stripping, handflow::NULL_STRIPPING)
            | set(self.tx_continue_on_xoff, handflow::XOFF_CONTINUE)
            | set(self.out_x, handflow::AUTO_TRANSMIT)
            | set(self.in_x, handflow::AUTO_RECEIVE);
        Ok(CommSettings {
            baud: SerialBaudRate {
                baud_rate: self.baud_rate,
            },
            line: SerialLineControl {
                stop_bits: self.stop_bits,
                parity: self.parity,
                word_length: self.byte_size,
            },
            handflow: SerialHandflow {
                control_handshake: control,
                flow_replace: flow,
                xon_limit: i32::from(self.xon_lim),
                xoff_limit: i32::from(self.xoff_lim),
            },
            chars: SerialChars {
                eof_char: self.eof_char,
                error_char: self.error_char,
                break_char: 0,
                event_char: self.evt_char,
                xon_char: self.xon_char,
                xoff_char: self.xoff_char,
            },
        })
    }

    /// The DCB GetCommState builds from the driver's four settings.
    #[must_use]
    pub fn from_settings(settings: &CommSettings) -> Self {
        let control = settings.handflow.control_handshake;
        let flow = settings.handflow.flow_replace;
        let dtr_control = match control & handflow::DTR_MASK {
            handflow::DTR_CONTROL => DtrControl::Enable,
            handflow::DTR_HANDSHAKE => DtrControl::Handshake,
            0 => DtrControl::Disable,
            _ => DtrControl::Invalid,
        };
        let rts_control = match flow & handflow::RTS_MASK {
            handflow::RTS_CONTROL => RtsControl::Enable,
            handflow::RTS_HANDSHAKE => RtsControl::Handshake,
            handflow::TRANSMIT_TOGGLE => RtsControl::Toggle,
            _ => RtsControl::Disable,
        };
        // Limits are LONG in the driver and WORD in the DCB; out-of-range values saturate.
        let limit = |value: i32| u16::try_from(value.max(0)).unwrap_or(u16::MAX);
        Self {
            baud_rate: settings.baud.baud_rate,
            binary: true,
            parity_check: false,
            outx_cts_flow: control & handflow::CTS_HANDSHAKE != 0,
            outx_dsr_flow: control & handflow::DSR_HANDSHAKE != 0,
            dtr_control,
            dsr_sensitivity: control & handflow::DSR_SENSITIVITY != 0,
            tx_continue_on_xoff: flow & handflow::XOFF_CONTINUE != 0,
            out_x: flow & handflow::AUTO_TRANSMIT != 0,
            in_x: flow & handflow::AUTO_RECEIVE != 0,
            error_char_enabled: flow & handflow::ERROR_CHAR != 0,
            null_stripping: flow & handflow::NULL_STRIPPING != 0,
            rts_control,
            abort_on_error: control & handflow::ERROR_ABORT != 0,
            reserved_bits: 0,
            reserved: 0,
            xon_lim: limit(settings.handflow.xon_limit),
            xoff_lim: limit(settings.handflow.xoff_limit),
            byte_size: settings.line.word_length,
            parity: settings.line.parity,
            stop_bits: settings.line.stop_bits,
            xon_char: settings.chars.xon_char,
            xoff_char: settings.chars.xoff_char,
            error_char: settings.chars.error_char,
            eof_char: settings.chars.eof_char,
            evt_char: settings.chars.event_char,
            reserved1: 0,
        }
    }

    /// Every field as `(name, value)`, for reports and scenario expectations. Names follow the
    /// Win32 spelling in snake case (`f_outx_cts_flow`, `xon_lim`, `byte_size`).
    #[must_use]
    pub fn fields(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("baud_rate", u64::from(self.baud_rate)),
            ("f_binary", u64::from(self.binary)),
            ("f_parity", u64::from(self.parity_check)),
            ("f_outx_cts_flow", u64::from(self.outx_cts_flow)),
            ("f_outx_dsr_flow", u64::from(self.outx_dsr_flow)),
            ("f_dtr_control", u64::from(self.dtr_control.bits())),
            ("f_dsr_sensitivity", u64::from(self.dsr_sensitivity)),
            ("f_tx_continue_on_xoff", u64::from(self.tx_continue_on_xoff)),
            ("f_out_x", u64::from(self.out_x)),
            ("f_in_x", u64::from(self.in_x)),
            ("f_error_char", u64::from(self.error_char_enabled)),
            ("f_null", u64::from(self.null_stripping)),
            ("f_rts_control", u64::from(self.rts_control.bits())),
            ("f_abort_on_error", u64::from(self.abort_on_error)),
            ("xon_lim", u64::from(self.xon_lim)),
            ("xoff_lim", u64::from(self.xoff_lim)),
            ("byte_size", u64::from(self.byte_size)),
            ("parity", u64::from(self.parity)),
            ("stop_bits", u64::from(self.stop_bits)),
            ("xon_char", u64::from(self.xon_char)),
            ("xoff_char", u64::from(self.xoff_char)),
            ("error_char", u64::from(self.error_char)),
            ("eof_char", u64::from(self.eof_char)),
            ("evt_char", u64::from(self.evt_char)),
        ]
    }

    /// Sets the field `name` (as in [`Dcb::fields`]) to `value`.
    ///
    /// # Errors
    /// A message for an unknown field or a value that does not fit.
    pub fn set_field(&mut self, name: &str, value: u64) -> Result<(), String> {
        let too_big = || format!("{value} does not fit DCB field {name}");
        let flag = |value: u64| -> Result<bool, String> {
            match value {
                0 => Ok(false),
                1 => Ok(true),
                _ => Err(format!("DCB flag {name} is 0 or 1, not {value}")),
            }
        };
        let byte = |value: u64| u8::try_from(value).map_err(|_| too_big());
        let word = |value: u64| u16::try_from(value).map_err(|_| too_big());
        match name {
            "baud_rate" => self.baud_rate = u32::try_from(value).map_err(|_| too_big())?,
            "f_binary" => self.binary = flag(value)?,
            "f_parity" => self.parity_check = flag(value)?,
            "f_outx_cts_flow" => self.outx_cts_flow = flag(value)?,
            "f_outx_dsr_flow" => self.outx_dsr_flow = flag(value)?,
            "f_dtr_control" if value <= 3 => {
                self.dtr_control = DtrControl::from_bits(u32::try_from(value).unwrap_or(0));
            }
            "f_dsr_sensitivity" => self.dsr_sensitivity = flag(value)?,
            "f_tx_continue_on_xoff" => self.tx_continue_on_xoff = flag(value)?,
            "f_out_x" => self.out_x = flag(value)?,
            "f_in_x" => self.in_x = flag(value)?,
            "f_error_char" => self.error_char_enabled = flag(value)?,
            "f_null" => self.null_stripping = flag(value)?,
            "f_rts_control" if value <= 3 => {
                self.rts_control = RtsControl::from_bits(u32::try_from(value).unwrap_or(0));
            }
            "f_abort_on_error" => self.abort_on_error = flag(value)?,
            "xon_lim" => self.xon_lim = word(value)?,
            "xoff_lim" => self.xoff_lim = word(value)?,
            "byte_size" => self.byte_size = byte(value)?,
            "parity" => self.parity = byte(value)?,
            "stop_bits" => self.stop_bits = byte(value)?,
            "xon_char" => self.xon_char = byte(value)?,
            "xoff_char" => self.xoff_char = byte(value)?,
            "error_char" => self.error_char = byte(value)?,
            "eof_char" => self.eof_char = byte(value)?,
            "evt_char" => self.evt_char = byte(value)?,
            "f_dtr_control" | "f_rts_control" => return Err(too_big()),
            _ => {
                let known: Vec<&str> = self.fields().iter().map(|(name, _)| *name).collect();
                return Err(format!(
                    "unknown DCB field '{name}' (known: {})",
                    known.join(", ")
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bitfield_follows_the_win32_layout() {
        let dcb = Dcb {
            binary: true,
            outx_cts_flow: true,
            dtr_control: DtrControl::Handshake,
            rts_control: RtsControl::Toggle,
            abort_on_error: true,
            ..Dcb::default()
        };
        assert_eq!(dcb.bits(), 0x1 | 0x4 | (2 << 4) | (3 << 12) | (1 << 14));
        let mut back = Dcb::default();
        back.set_bits(dcb.bits());
        assert_eq!(back, dcb);
    }

    #[test]
    fn every_flag_pattern_round_trips() {
        let mut dcb = Dcb::default();
        for bits in [0u32, 0x7FFF, 0xFFFF_FFFF, 0x1234_5678, 0x30, 0x3000] {
            dcb.set_bits(bits);
            assert_eq!(dcb.bits(), bits, "{bits:#x}");
        }
    }

    #[test]
    fn the_memory_image_is_28_bytes_little_endian() {
        let dcb = Dcb {
            baud_rate: 115_200,
            xon_lim: 0x0102,
            xoff_lim: 0x0304,
            byte_size: 7,
            parity: 2,
            stop_bits: 2,
            evt_char: b'\n',
            ..Dcb::default()
        };
        let bytes = dcb.to_bytes();
        assert_eq!(bytes[0..4], [28, 0, 0, 0]);
        assert_eq!(bytes[4..8], 115_200u32.to_le_bytes());
        assert_eq!(bytes[14..18], [0x02, 0x01, 0x04, 0x03]);
        assert_eq!(bytes[18..21], [7, 2, 2]);
        assert_eq!(bytes[25], b'\n');
        assert_eq!(Dcb::from_bytes(&bytes), Some(dcb));
        assert_eq!(Dcb::from_bytes(&bytes[..27]), None);
    }

    #[test]
    fn set_comm_state_sends_the_documented_handflow() {
        let dcb = Dcb {
            outx_cts_flow: true,
            outx_dsr_flow: true,
            dtr_control: DtrControl::Handshake,
            dsr_sensitivity: true,
            tx_continue_on_xoff: true,
            out_x: true,
            in_x: true,
            error_char_enabled: true,
            null_stripping: true,
            rts_control: RtsControl::Toggle,
            abort_on_error: true,
            xon_lim: 100,
            xoff_lim: 200,
            ..Dcb::default()
        };
        let settings = dcb.to_settings().unwrap();
        assert_eq!(
            settings.handflow.control_handshake,
            handflow::DTR_HANDSHAKE
                | handflow::CTS_HANDSHAKE
                | handflow::DSR_HANDSHAKE
                | handflow::DSR_SENSITIVITY
                | handflow::ERROR_ABORT
        );
        assert_eq!(
            settings.handflow.flow_replace,
            handflow::TRANSMIT_TOGGLE
                | handflow::AUTO_TRANSMIT
                | handflow::AUTO_RECEIVE
                | handflow::ERROR_CHAR
                | handflow::NULL_STRIPPING
                | handflow::XOFF_CONTINUE
        );
        assert_eq!(
            (settings.handflow.xon_limit, settings.handflow.xoff_limit),
            (100, 200)
        );
        let order: Vec<_> = settings
            .requests()
            .iter()
            .map(|(ioctl, _)| *ioctl)
            .collect();
        assert_eq!(
            order,
            [
                SerialIoctl::SetBaudRate,
                SerialIoctl::SetLineControl,
                SerialIoctl::SetHandflow,
                SerialIoctl::SetChars
            ],
            "handshaken DTR and toggled RTS are the driver's to drive"
        );
    }

    #[test]
    fn set_comm_state_drives_dtr_and_rts_as_the_dcb_says() {
        let order = |dtr_control, rts_control| -> Vec<SerialIoctl> {
            let dcb = Dcb {
                dtr_control,
                rts_control,
                ..Dcb::default()
            };
            dcb.to_settings()
                .unwrap()
                .requests()
                .iter()
                .skip(4)
                .map(|(ioctl, _)| *ioctl)
                .collect()
        };
        assert_eq!(
            order(DtrControl::Enable, RtsControl::Enable),
            [SerialIoctl::SetDtr, SerialIoctl::SetRts]
        );
        assert_eq!(
            order(DtrControl::Disable, RtsControl::Disable),
            [SerialIoctl::ClrDtr, SerialIoctl::ClrRts]
        );
        assert_eq!(
            order(DtrControl::Handshake, RtsControl::Enable),
            [SerialIoctl::SetRts]
        );
    }

    #[test]
    fn set_comm_state_sends_chars_with_break_char_zero() {
        let dcb = Dcb {
            eof_char: 0x1A,
            error_char: b'?',
            evt_char: b'\r',
            xon_char: 0x11,
            xoff_char: 0x13,
            ..Dcb::default()
        };
        let chars = dcb.to_settings().unwrap().chars;
        assert_eq!(
            chars,
            SerialChars {
                eof_char: 0x1A,
                error_char: b'?',
                break_char: 0,
                event_char: b'\r',
                xon_char: 0x11,
                xoff_char: 0x13
            }
        );
    }

    #[test]
    fn invalid_dtr_control_fails_before_any_ioctl() {
        let dcb = Dcb {
            dtr_control: DtrControl::Invalid,
            ..Dcb::default()
        };
        assert_eq!(dcb.to_settings(), Err(87));
    }

    #[test]
    fn get_comm_state_reports_binary_and_no_parity_flag() {
        let dcb = Dcb {
            binary: false,
            parity_check: true,
            parity: 2,
            ..Dcb::default()
        };
        let back = Dcb::from_settings(&dcb.to_settings().unwrap());
        assert!(back.binary);
        assert!(!back.parity_check);
        assert_eq!(back.parity, 2);
        let normalized = Dcb {
            binary: true,
            parity_check: false,
            ..dcb
        };
        assert_eq!(back, normalized);
    }

    #[test]
    fn fields_can_be_set_by_name() {
        let mut dcb = Dcb::default();
        dcb.set_field("f_outx_cts_flow", 1).unwrap();
        dcb.set_field("f_rts_control", 2).unwrap();
        dcb.set_field("byte_size", 7).unwrap();
        assert!(dcb.outx_cts_flow);
        assert_eq!(dcb.rts_control, RtsControl::Handshake);
        assert_eq!(dcb.byte_size, 7);
        assert!(dcb.set_field("f_null", 2).is_err());
        assert!(dcb.set_field("byte_size", 300).is_err());
        assert!(dcb.set_field("nonsense", 0).unwrap_err().contains("known"));
    }
}
