//! Device paths for CreateFileW.
//!
//! `COM1`–`COM9` also work as bare names, but `COM10` and up (and any name that is not a DOS
//! device) only through the `\\.\` prefix, so the harness always uses it.

/// The Win32 device path of a port name: `COM3` → `\\.\COM3`. A name that already has a
/// `\\.\` or `\\?\` prefix is kept as it is.
#[must_use]
pub fn device_path(port: &str) -> String {
    let trimmed = port.trim();
    if trimmed.starts_with(r"\\.\") || trimmed.starts_with(r"\\?\") {
        trimmed.to_owned()
    } else {
        format!(r"\\.\{trimmed}")
    }
}

/// The path as a NUL-terminated UTF-16 string for the `W` APIs.
#[must_use]
pub fn wide(path: &str) -> Vec<u16> {
    path.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Whether `name` looks like a COM port name (`COM` followed by digits, any case).
#[must_use]
pub fn is_com_name(name: &str) -> bool {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper
        .strip_prefix(r"\\.\")
        .or_else(|| upper.strip_prefix(r"\\?\"))
        .unwrap_or(&upper);
    bare.strip_prefix("COM")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_port_gets_the_device_prefix() {
        assert_eq!(device_path("COM3"), r"\\.\COM3");
        assert_eq!(device_path("COM10"), r"\\.\COM10");
        assert_eq!(device_path(r"\\.\COM10"), r"\\.\COM10");
        assert_eq!(device_path(" COM4 "), r"\\.\COM4");
    }

    #[test]
    fn wide_paths_are_nul_terminated() {
        assert_eq!(wide("A"), vec![0x41, 0]);
    }

    #[test]
    fn com_names_are_recognised() {
        assert!(is_com_name("COM1"));
        assert!(is_com_name("com10"));
        assert!(is_com_name(r"\\.\COM12"));
        assert!(!is_com_name("COM"));
        assert!(!is_com_name("model"));
    }
}
