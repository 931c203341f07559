//! The buffers of every serial IOCTL as named fields, so scenarios and the `ioctl` command can
//! write `baud_rate = 9600` instead of raw bytes and read `errors = PARITY` instead of hex.
//!
//! Each structure is described once as a field layout (offset, width, signedness, flag family);
//! encoding and decoding are generic over the layout.

use serial_ioctl::{InternalIoctl, SerialIoctl};

use crate::names::{FlagSet, parse_number};

/// One field of a request structure.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FieldDef {
    /// The field name in snake case (`amount_in_in_queue`).
    pub name: &'static str,
    /// Byte offset in the buffer.
    pub offset: usize,
    /// Width in bytes: 1, 2 or 4.
    pub width: usize,
    /// Whether the C type is signed (LONG).
    pub signed: bool,
    /// The flag family its bits belong to, if it is a mask.
    pub flags: Option<FlagSet>,
}

const fn field(name: &'static str, offset: usize, width: usize) -> FieldDef {
    FieldDef {
        name,
        offset,
        width,
        signed: false,
        flags: None,
    }
}

const fn signed(name: &'static str, offset: usize) -> FieldDef {
    FieldDef {
        name,
        offset,
        width: 4,
        signed: true,
        flags: None,
    }
}

const fn flags(name: &'static str, offset: usize, width: usize, set: FlagSet) -> FieldDef {
    FieldDef {
        name,
        offset,
        width,
        signed: false,
        flags: Some(set),
    }
}

const BAUD: &[FieldDef] = &[field("baud_rate", 0, 4)];
const QUEUE: &[FieldDef] = &[field("in_size", 0, 4), field("out_size", 4, 4)];
const LINE: &[FieldDef] = &[
    field("stop_bits", 0, 1),
    field("parity", 1, 1),
    field("word_length", 2, 1),
];
const TIMEOUTS: &[FieldDef] = &[
    field("read_interval_timeout", 0, 4),
    field("read_total_timeout_multiplier", 4, 4),
    field("read_total_timeout_constant", 8, 4),
    field("write_total_timeout_multiplier", 12, 4),
    field("write_total_timeout_constant", 16, 4),
];
const CHARS: &[FieldDef] = &[
    field("eof_char", 0, 1),
    field("error_char", 1, 1),
    field("break_char", 2, 1),
    field("event_char", 3, 1),
    field("xon_char", 4, 1),
    field("xoff_char", 5, 1),
];
const HANDFLOW: &[FieldDef] = &[
    flags("control_handshake", 0, 4, FlagSet::ControlHandshake),
    flags("flow_replace", 4, 4, FlagSet::FlowReplace),
    signed("xon_limit", 8),
    signed("xoff_limit", 12),
];
const EVENT_MASK: &[FieldDef] = &[flags("mask", 0, 4, FlagSet::Event)];
const PURGE_MASK: &[FieldDef] = &[flags("mask", 0, 4, FlagSet::Purge)];
const IMMEDIATE: &[FieldDef] = &[field("char", 0, 1)];
const ESCAPE: &[FieldDef] = &[field("escape_char", 0, 1)];
const MODEM_STATUS: &[FieldDef] = &[flags("modem_status", 0, 4, FlagSet::ModemStatus)];
const COMM_STATUS: &[FieldDef] = &[
    flags("errors", 0, 4, FlagSet::SerialError),
    flags("hold_reasons", 4, 4, FlagSet::Hold),
    field("amount_in_in_queue", 8, 4),
    field("amount_in_out_queue", 12, 4),
    field("eof_received", 16, 1),
    field("wait_for_immediate", 17, 1),
];
const XOFF_COUNTER: &[FieldDef] = &[
    field("timeout", 0, 4),
    signed("counter", 4),
    field("xoff_char", 8, 1),
];
const PROPERTIES: &[FieldDef] = &[
    field("packet_length", 0, 2),
    field("packet_version", 2, 2),
    field("service_mask", 4, 4),
    field("reserved1", 8, 4),
    field("max_tx_queue", 12, 4),
    field("max_rx_queue", 16, 4),
    field("max_baud", 20, 4),
    field("prov_sub_type", 24, 4),
    field("prov_capabilities", 28, 4),
    field("settable_params", 32, 4),
    field("settable_baud", 36, 4),
    field("settable_data", 40, 2),
    field("settable_stop_parity", 42, 2),
    field("current_tx_queue", 44, 4),
    field("current_rx_queue", 48, 4),
    field("prov_spec1", 52, 4),
    field("prov_spec2", 56, 4),
    field("prov_char", 60, 2),
];
const DTR_RTS: &[FieldDef] = &[flags("lines", 0, 4, FlagSet::DtrRts)];
const CONFIG_SIZE: &[FieldDef] = &[field("size", 0, 4)];
const STATS: &[FieldDef] = &[
    field("received_count", 0, 4),
    field("transmitted_count", 4, 4),
    field("frame_error_count", 8, 4),
    field("serial_overrun_error_count", 12, 4),
    field("buffer_overrun_error_count", 16, 4),
    field("parity_error_count", 20, 4),
];
const MODEM_CONTROL: &[FieldDef] = &[flags("mcr", 0, 4, FlagSet::ModemControl)];
const FIFO_CONTROL: &[FieldDef] = &[field("fcr", 0, 4)];
const BASIC_SETTINGS: &[FieldDef] = &[
    field("read_interval_timeout", 0, 4),
    field("read_total_timeout_multiplier", 4, 4),
    field("read_total_timeout_constant", 8, 4),
    field("write_total_timeout_multiplier", 12, 4),
    field("write_total_timeout_constant", 16, 4),
    flags("control_handshake", 20, 4, FlagSet::ControlHandshake),
    flags("flow_replace", 24, 4, FlagSet::FlowReplace),
    signed("xon_limit", 28),
    signed("xoff_limit", 32),
    field("rx_fifo", 36, 4),
    field("tx_fifo", 40, 4),
];

/// Which request an IOCTL name refers to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AnyIoctl {
    /// A public IOCTL (`IRP_MJ_DEVICE_CONTROL`).
    Public(SerialIoctl),
    /// An internal IOCTL (`IRP_MJ_INTERNAL_DEVICE_CONTROL`).
    Internal(InternalIoctl),
}

impl AnyIoctl {
    /// Looks a name up: public names first; `INTERNAL_*` / `IOCTL_SERIAL_INTERNAL_*` for internal.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let upper = name.to_ascii_uppercase();
        if upper.starts_with("INTERNAL_") || upper.starts_with("IOCTL_SERIAL_INTERNAL_") {
            let bare = upper
                .trim_start_matches("IOCTL_SERIAL_")
                .trim_start_matches("INTERNAL_");
            return InternalIoctl::from_name(bare).map(Self::Internal);
        }
        SerialIoctl::from_name(name).map(Self::Public)
    }

    /// The control code.
    #[must_use]
    pub const fn code(self) -> u32 {
        match self {
            Self::Public(ioctl) => ioctl.code(),
            Self::Internal(ioctl) => ioctl.code(),
        }
    }

    /// The name (`SET_BAUD_RATE`, `INTERNAL_BASIC_SETTINGS`).
    #[must_use]
    pub fn name(self) -> String {
        match self {
            Self::Public(ioctl) => ioctl.name().to_owned(),
            Self::Internal(ioctl) => format!("INTERNAL_{}", ioctl.name()),
        }
    }

    /// Minimum output length: the output buffer the harness supplies by default.
    #[must_use]
    pub const fn output_size(self) -> usize {
        match self {
            Self::Public(ioctl) => ioctl.output_size(),
            Self::Internal(ioctl) => ioctl.output_size(),
        }
    }

    /// Minimum input length.
    #[must_use]
    pub const fn input_size(self) -> usize {
        match self {
            Self::Public(ioctl) => ioctl.input_size(),
            Self::Internal(ioctl) => ioctl.input_size(),
        }
    }

    /// The layout of the input buffer (empty when the IOCTL takes none).
    #[must_use]
    pub fn input_layout(self) -> &'static [FieldDef] {
        match self {
            Self::Public(ioctl) => match ioctl {
                SerialIoctl::SetBaudRate => BAUD,
                SerialIoctl::SetQueueSize => QUEUE,
                SerialIoctl::SetLineControl => LINE,
                SerialIoctl::ImmediateChar => IMMEDIATE,
                SerialIoctl::SetTimeouts => TIMEOUTS,
                SerialIoctl::SetWaitMask => EVENT_MASK,
                SerialIoctl::Purge => PURGE_MASK,
                SerialIoctl::SetChars => CHARS,
                SerialIoctl::SetHandflow => HANDFLOW,
                SerialIoctl::XoffCounter => XOFF_COUNTER,
                SerialIoctl::LsrmstInsert => ESCAPE,
                SerialIoctl::SetModemControl => MODEM_CONTROL,
                SerialIoctl::SetFifoControl => FIFO_CONTROL,
                _ => &[],
            },
            Self::Internal(InternalIoctl::RestoreSettings) => BASIC_SETTINGS,
            Self::Internal(_) => &[],
        }
    }

    /// The layout of the output buffer (empty when the IOCTL returns none).
    #[must_use]
    pub fn output_layout(self) -> &'static [FieldDef] {
        match self {
            Self::Public(ioctl) => match ioctl {
                SerialIoctl::GetTimeouts => TIMEOUTS,
                SerialIoctl::GetWaitMask | SerialIoctl::WaitOnMask => EVENT_MASK,
                SerialIoctl::GetBaudRate => BAUD,
                SerialIoctl::GetLineControl => LINE,
                SerialIoctl::GetChars => CHARS,
                SerialIoctl::GetHandflow => HANDFLOW,
                SerialIoctl::GetModemStatus => MODEM_STATUS,
                SerialIoctl::GetCommStatus => COMM_STATUS,
                SerialIoctl::GetProperties => PROPERTIES,
                SerialIoctl::GetDtrRts => DTR_RTS,
                SerialIoctl::ConfigSize => CONFIG_SIZE,
                SerialIoctl::GetStats => STATS,
                SerialIoctl::GetModemControl => MODEM_CONTROL,
                _ => &[],
            },
            Self::Internal(InternalIoctl::BasicSettings) => BASIC_SETTINGS,
            Self::Internal(_) => &[],
        }
    }
}

/// A decoded field value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldValue {
    /// Its definition.
    pub def: FieldDef,
    /// The value (sign-extended for LONG fields, then stored as the two's-complement `i64`).
    pub value: i64,
}

impl FieldValue {
    /// `name = value` with flag names where the field has them.
    #[must_use]
    pub fn describe(&self) -> String {
        match self.def.flags {
            Some(set) => format!(
                "{} = {} ({:#x})",
                self.def.name,
                set.format(u32::try_from(self.value).unwrap_or(u32::MAX)),
                self.value
            ),
            None if self.def.signed => format!("{} = {}", self.def.name, self.value),
            None => format!("{} = {} ({:#x})", self.def.name, self.value, self.value),
        }
    }
}

/// Reads every field of `layout` that `data` is long enough for.
#[must_use]
pub fn decode(layout: &[FieldDef], data: &[u8]) -> Vec<FieldValue> {
    layout
        .iter()
        .filter_map(|def| {
            let bytes = data.get(def.offset..def.offset + def.width)?;
            let mut raw = [0u8; 8];
            raw.get_mut(..def.width)?.copy_from_slice(bytes);
            let unsigned = u64::from_le_bytes(raw);
            let value = if def.signed {
                i64::from(i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]))
            } else {
                i64::try_from(unsigned).unwrap_or(i64::MAX)
            };
            Some(FieldValue { def: *def, value })
        })
        .collect()
}

/// Parses a field value written in text: a number (decimal, `0x..`, `MAX`, negative for LONG
/// fields), flag names for mask fields, or a one-character string for a byte field (`'A'`).
///
/// # Errors
/// A message when the text is none of these or does not fit the field.
pub fn parse_value(def: &FieldDef, text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Some(inner) = text
        .strip_prefix('\'')
        .and_then(|rest| rest.strip_suffix('\''))
        && def.width == 1
        && inner.len() == 1
    {
        return Ok(i64::from(inner.as_bytes().first().copied().unwrap_or(0)));
    }
    if def.signed
        && let Some(negative) = text.strip_prefix('-')
    {
        let magnitude =
            parse_number(negative).ok_or_else(|| format!("'{text}' is not a number"))?;
        return i64::try_from(magnitude)
            .map(|m| -m)
            .map_err(|_| format!("'{text}' is out of range"));
    }
    if let Some(set) = def.flags {
        return set.parse(text).map(i64::from);
    }
    parse_number(text)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or_else(|| format!("'{text}' is not a number for {}", def.name))
}

/// Builds a buffer from `(name, value)` pairs over `layout`; unnamed fields are 0. The buffer is
/// exactly as long as the layout.
///
/// # Errors
/// A message for an unknown field name or a value that does not fit its width.
pub fn encode(layout: &[FieldDef], values: &[(String, i64)]) -> Result<Vec<u8>, String> {
    let size = layout
        .iter()
        .map(|def| def.offset + def.width)
        .max()
        .unwrap_or(0);
    // Structures with trailing padding (XOFF_COUNTER, COMMPROP) are padded to 4 bytes.
    let size = if size > 4 { size.div_ceil(4) * 4 } else { size };
    let mut buffer = vec![0u8; size];
    for (name, value) in values {
        let def = find_field(layout, name).ok_or_else(|| {
            let known: Vec<&str> = layout.iter().map(|def| def.name).collect();
            format!("unknown field '{name}' (fields: {})", known.join(", "))
        })?;
        let bytes = encode_value(def, *value)?;
        if let Some(target) = buffer.get_mut(def.offset..def.offset + def.width) {
            target.copy_from_slice(&bytes);
        }
    }
    Ok(buffer)
}

/// The field of `layout` called `name` (or its short alias), ASCII case-insensitive.
#[must_use]
pub fn find_field<'a>(layout: &'a [FieldDef], name: &str) -> Option<&'a FieldDef> {
    layout.iter().find(|def| {
        def.name.eq_ignore_ascii_case(name)
            || alias(def.name).is_some_and(|short| short.eq_ignore_ascii_case(name))
    })
}

/// Short names accepted for the timeout fields (`ri`, `rm`, `rc`, `wm`, `wc`).
fn alias(name: &str) -> Option<&'static str> {
    match name {
        "read_interval_timeout" => Some("ri"),
        "read_total_timeout_multiplier" => Some("rm"),
        "read_total_timeout_constant" => Some("rc"),
        "write_total_timeout_multiplier" => Some("wm"),
        "write_total_timeout_constant" => Some("wc"),
        _ => None,
    }
}

fn encode_value(def: &FieldDef, value: i64) -> Result<Vec<u8>, String> {
    let out_of_range = || format!("{value} does not fit {} ({} bytes)", def.name, def.width);
    let bytes = match (def.width, def.signed) {
        (1, _) => vec![u8::try_from(value).map_err(|_| out_of_range())?],
        (2, _) => u16::try_from(value)
            .map_err(|_| out_of_range())?
            .to_le_bytes()
            .to_vec(),
        (4, true) => i32::try_from(value)
            .map_err(|_| out_of_range())?
            .to_le_bytes()
            .to_vec(),
        (4, false) => u32::try_from(value)
            .map_err(|_| out_of_range())?
            .to_le_bytes()
            .to_vec(),
        _ => return Err(out_of_range()),
    };
    Ok(bytes)
}

/// Parses a line-control shorthand: data bits, parity letter, stop bits (`8N1`, `7E1`, `5N1.5`,
/// `8N2`). Parity letters: N O E M S.
///
/// # Errors
/// A message when the text is not in that form.
pub fn parse_line(text: &str) -> Result<(u8, u8, u8), String> {
    let upper = text.trim().to_ascii_uppercase();
    let mut chars = upper.chars();
    let bad = || format!("'{text}' is not a line setting like 8N1, 7E1 or 5N1.5");
    let bits = chars
        .next()
        .and_then(|c| c.to_digit(10))
        .and_then(|d| u8::try_from(d).ok())
        .ok_or_else(bad)?;
    let parity = match chars.next().ok_or_else(bad)? {
        'N' => 0,
        'O' => 1,
        'E' => 2,
        'M' => 3,
        'S' => 4,
        _ => return Err(bad()),
    };
    let stop = match chars.as_str() {
        "1" => 0,
        "1.5" | "15" => 1,
        "2" => 2,
        _ => return Err(bad()),
    };
    Ok((bits, parity, stop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comm_status_decodes_with_flag_names() {
        let mut data = vec![0u8; 20];
        data[0] = 0x10; // PARITY
        data[8] = 3;
        data[17] = 1;
        let fields = decode(
            AnyIoctl::Public(SerialIoctl::GetCommStatus).output_layout(),
            &data,
        );
        assert_eq!(fields.len(), 6);
        assert_eq!(fields[0].describe(), "errors = PARITY (0x10)");
        assert_eq!(fields[2].value, 3);
        assert_eq!(fields[5].value, 1);
    }

    #[test]
    fn handflow_encodes_names_and_negative_limits() {
        let layout = AnyIoctl::Public(SerialIoctl::SetHandflow).input_layout();
        let control = parse_value(&layout[0], "DTR_CONTROL|CTS_HANDSHAKE").unwrap();
        let xon = parse_value(&layout[2], "-1").unwrap();
        let buffer = encode(
            layout,
            &[
                ("control_handshake".into(), control),
                ("xon_limit".into(), xon),
            ],
        )
        .unwrap();
        assert_eq!(buffer.len(), 16);
        assert_eq!(buffer[0..4], 0x09u32.to_le_bytes());
        assert_eq!(buffer[8..12], (-1i32).to_le_bytes());
        let back = decode(layout, &buffer);
        assert_eq!(back[2].value, -1);
    }

    #[test]
    fn timeouts_accept_short_names_and_max() {
        let layout = AnyIoctl::Public(SerialIoctl::SetTimeouts).input_layout();
        let max = parse_value(&layout[0], "MAX").unwrap();
        let buffer = encode(layout, &[("ri".into(), max), ("rc".into(), 100)]).unwrap();
        assert_eq!(buffer[0..4], [0xFF; 4]);
        assert_eq!(buffer[8..12], 100u32.to_le_bytes());
        assert!(encode(layout, &[("nope".into(), 1)]).is_err());
        assert!(encode(layout, &[("ri".into(), -1)]).is_err());
    }

    #[test]
    fn xoff_counter_input_is_padded_to_its_c_size() {
        let layout = AnyIoctl::Public(SerialIoctl::XoffCounter).input_layout();
        assert_eq!(encode(layout, &[]).unwrap().len(), 12);
        let props = AnyIoctl::Public(SerialIoctl::GetProperties).output_layout();
        assert_eq!(encode(props, &[]).unwrap().len(), 64);
    }

    #[test]
    fn names_find_public_and_internal_ioctls() {
        assert_eq!(
            AnyIoctl::from_name("get_baud_rate"),
            Some(AnyIoctl::Public(SerialIoctl::GetBaudRate))
        );
        assert_eq!(
            AnyIoctl::from_name("INTERNAL_BASIC_SETTINGS"),
            Some(AnyIoctl::Internal(InternalIoctl::BasicSettings))
        );
        assert_eq!(
            AnyIoctl::from_name("IOCTL_SERIAL_INTERNAL_RESTORE_SETTINGS"),
            Some(AnyIoctl::Internal(InternalIoctl::RestoreSettings))
        );
        assert_eq!(AnyIoctl::from_name("GET_COMMCONFIG"), None);
    }

    #[test]
    fn line_shorthand_parses() {
        assert_eq!(parse_line("8N1").unwrap(), (8, 0, 0));
        assert_eq!(parse_line("7e2").unwrap(), (7, 2, 2));
        assert_eq!(parse_line("5N1.5").unwrap(), (5, 0, 1));
        assert!(parse_line("8X1").is_err());
        assert!(parse_line("8N3").is_err());
    }

    #[test]
    fn byte_fields_take_quoted_characters() {
        let layout = AnyIoctl::Public(SerialIoctl::ImmediateChar).input_layout();
        assert_eq!(parse_value(&layout[0], "'A'").unwrap(), 65);
    }
}
