//! Hex text for byte buffers: scenarios write `"68 65 6C"` or `"68656c"`, reports print the same.

use std::fmt::Write as _;

/// Parses hex digits into bytes. Spaces, `:` , `-`, `_` and a leading `0x` per group are ignored.
///
/// # Errors
/// A message naming the offending character or an odd digit count.
pub fn parse(text: &str) -> Result<Vec<u8>, String> {
    let mut digits = Vec::new();
    for group in text.split(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '_' | ',')) {
        let group = group
            .strip_prefix("0x")
            .or_else(|| group.strip_prefix("0X"))
            .unwrap_or(group);
        for c in group.chars() {
            let value = c
                .to_digit(16)
                .ok_or_else(|| format!("'{c}' is not a hex digit"))?;
            digits.push(u8::try_from(value).map_err(|_| format!("'{c}' is not a hex digit"))?);
        }
    }
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits ({})", digits.len()));
    }
    Ok(digits
        .chunks_exact(2)
        .map(|pair| match pair {
            [high, low] => (high << 4) | low,
            _ => 0,
        })
        .collect())
}

/// Formats bytes as space-separated upper-case hex pairs (`"68 65 6C"`).
#[must_use]
pub fn format(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 3);
    for (index, byte) in bytes.iter().enumerate() {
        if index > 0 {
            text.push(' ');
        }
        let _ = write!(text, "{byte:02X}");
    }
    text
}

/// Formats bytes for a human: quoted text when printable ASCII, else hex; long buffers shortened.
#[must_use]
pub fn describe(bytes: &[u8]) -> String {
    const LIMIT: usize = 64;
    let shown = bytes.get(..LIMIT).unwrap_or(bytes);
    let more = if bytes.len() > LIMIT {
        format!(" … ({} bytes)", bytes.len())
    } else {
        String::new()
    };
    if !shown.is_empty() && shown.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("\"{}\"{more}", String::from_utf8_lossy(shown))
    } else if shown.is_empty() {
        "(no bytes)".to_owned()
    } else {
        format!("[{}]{more}", format(shown))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_spellings_scenarios_use() {
        assert_eq!(parse("68 65 6c").unwrap(), b"hel");
        assert_eq!(parse("68656C").unwrap(), b"hel");
        assert_eq!(parse("0x11 0x13").unwrap(), [0x11, 0x13]);
        assert_eq!(parse("").unwrap(), Vec::<u8>::new());
        assert!(parse("6").unwrap_err().contains("odd"));
        assert!(parse("zz").unwrap_err().contains("'z'"));
    }

    #[test]
    fn formats_and_describes() {
        assert_eq!(format(&[0x00, 0xAB]), "00 AB");
        assert_eq!(describe(b"hello"), "\"hello\"");
        assert_eq!(describe(&[0x11]), "[11]");
        assert_eq!(describe(&[]), "(no bytes)");
    }
}
