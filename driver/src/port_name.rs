//! The names a COM port is known by, as UTF-16 in fixed-size buffers.
//!
//! Win32 opens a serial port as `\\.\COM3`. For a PnP COM port serial.sys makes that work with
//! three names, which the glue repeats (`naming.rs`, Windows only):
//!
//! - the device object is named `\Device\Serial16550_<n>` ([`DeviceName`]; `n` counts the devices
//!   this driver image has added);
//! - a symbolic link `\DosDevices\<PortName>` points at it ([`SymbolicLinkName`]); `PortName` is
//!   the REG_SZ value (e.g. `COM3`) the Ports class installer writes into the device's hardware
//!   key, checked by [`PortName::parse`];
//! - `HKLM\HARDWARE\DEVICEMAP\SERIALCOMM` gets a value named after the device object whose data is
//!   the port name ([`DEVICE_MAP_KEY`]).
//!
//! Everything here is host-independent, allocation-free and panic-free: the buffers are sized for
//! the longest name they can hold, and a name that would not fit is an error, never a truncation.

use core::fmt;

/// Longest accepted `PortName`, in UTF-16 units (`COM256` needs 6; serial.sys's own limit is of
/// the same order).
pub const MAX_PORT_NAME_UNITS: usize = 32;

/// `\` (U+005C), the object-namespace separator: a port name containing it would place the link
/// somewhere other than directly under `\DosDevices`.
const BACKSLASH: u16 = 0x5C;

/// Decimal digits of `u32::MAX`.
const U32_DECIMAL_DIGITS: usize = 10;

/// The prefix of every device object name this driver creates.
pub const DEVICE_NAME_PREFIX: &str = "\\Device\\Serial16550_";

/// The directory the Win32 `\\.\` prefix resolves in.
pub const DOS_DEVICES_PREFIX: &str = "\\DosDevices\\";

/// Buffer size of a [`DeviceName`]: prefix, the widest instance number and the terminator.
pub const DEVICE_NAME_UNITS: usize = DEVICE_NAME_PREFIX.len() + U32_DECIMAL_DIGITS + 1;

/// Buffer size of a [`PortName`]: the longest name and the terminator.
pub const PORT_NAME_UNITS: usize = MAX_PORT_NAME_UNITS + 1;

/// Buffer size of a [`SymbolicLinkName`]: prefix, the longest port name and the terminator.
pub const SYMBOLIC_LINK_NAME_UNITS: usize = DOS_DEVICES_PREFIX.len() + MAX_PORT_NAME_UNITS + 1;

/// The registry value that holds the port name, `PortName` (not terminated: it is passed as a
/// counted UNICODE_STRING).
pub const PORT_NAME_VALUE: [u16; 8] = ascii_units(b"PortName");

/// The device-map key, `SERIALCOMM`, NUL-terminated: `RtlWriteRegistryValue` and
/// `RtlDeleteRegistryValue` take it as a PCWSTR relative to `RTL_REGISTRY_DEVICEMAP`.
pub const DEVICE_MAP_KEY: [u16; 11] = ascii_units(b"SERIALCOMM\0");

/// Widens an ASCII byte string to UTF-16 at compile time.
#[expect(
    clippy::indexing_slicing,
    reason = "`index < N` is the loop condition, and the function only runs in const \
              evaluation, where an out-of-bounds index would be a compile error"
)]
pub(crate) const fn ascii_units<const N: usize>(text: &[u8; N]) -> [u16; N] {
    let mut units = [0; N];
    let mut index = 0;
    while index < N {
        units[index] = text[index] as u16;
        index = index.wrapping_add(1);
    }
    units
}

/// A name would not fit its fixed-size buffer.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct NameTooLong;

/// A NUL-terminated UTF-16 string in a buffer of `N` units (terminator included).
///
/// # Invariants
/// `len < N`, and `units[len..]` are all zero, so the string is always terminated.
#[derive(Copy, Clone, PartialEq, Eq)]
pub struct WideName<const N: usize> {
    units: [u16; N],
    len: usize,
}

impl<const N: usize> WideName<N> {
    /// The empty string.
    const fn empty() -> Self {
        Self {
            units: [0; N],
            len: 0,
        }
    }

    /// Appends `more`, keeping room for the terminator.
    fn push_units(&mut self, more: impl IntoIterator<Item = u16>) -> Result<(), NameTooLong> {
        for unit in more {
            let next = self
                .len
                .checked_add(1)
                .filter(|&next| next < N)
                .ok_or(NameTooLong)?;
            *self.units.get_mut(self.len).ok_or(NameTooLong)? = unit;
            self.len = next;
        }
        Ok(())
    }

    /// Appends `text` as UTF-16.
    fn push_str(&mut self, text: &str) -> Result<(), NameTooLong> {
        self.push_units(text.encode_utf16())
    }

    /// Appends `value` in decimal, without leading zeros.
    fn push_decimal(&mut self, value: u32) -> Result<(), NameTooLong> {
        let mut digits = [0_u8; U32_DECIMAL_DIGITS];
        let mut start = U32_DECIMAL_DIGITS;
        let mut rest = value;
        loop {
            start = start.checked_sub(1).ok_or(NameTooLong)?;
            let digit = u8::try_from(rest % 10).map_err(|_| NameTooLong)?;
            *digits.get_mut(start).ok_or(NameTooLong)? = b'0'.saturating_add(digit);
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let digits = digits.get(start..).ok_or(NameTooLong)?;
        self.push_units(digits.iter().map(|&digit| u16::from(digit)))
    }

    /// The string without its terminator.
    #[must_use]
    pub fn as_units(&self) -> &[u16] {
        // Never `None`: `len < N` (type invariant).
        self.units.get(..self.len).unwrap_or_default()
    }

    /// The string with its terminator, as a PCWSTR argument expects it.
    #[must_use]
    pub fn as_units_with_nul(&self) -> &[u16] {
        // Never `None`: `len < N` (type invariant).
        self.units.get(..=self.len).unwrap_or_default()
    }

    /// `UNICODE_STRING::Length`: bytes without the terminator.
    #[must_use]
    pub fn byte_len(&self) -> u16 {
        // The buffers of this module hold at most a few dozen units, far below the limit.
        u16::try_from(self.len.saturating_mul(2)).unwrap_or(u16::MAX)
    }

    /// Bytes including the terminator: the `ValueLength` of a REG_SZ value.
    #[must_use]
    pub fn byte_len_with_nul(&self) -> u32 {
        u32::try_from(self.len.saturating_add(1).saturating_mul(2)).unwrap_or(u32::MAX)
    }
}

impl<const N: usize> fmt::Display for WideName<N> {
    /// The string as text, for debug output; unpaired surrogates show as U+FFFD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        char::decode_utf16(self.as_units().iter().copied())
            .map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER))
            .try_for_each(|character| fmt::Write::write_char(f, character))
    }
}

impl<const N: usize> fmt::Debug for WideName<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Write::write_char(f, '"')?;
        fmt::Display::fmt(self, f)?;
        fmt::Write::write_char(f, '"')
    }
}

/// The name of this driver's device object: `\Device\Serial16550_<instance>`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DeviceName {
    name: WideName<DEVICE_NAME_UNITS>,
    instance: u32,
}

impl DeviceName {
    /// The device name for `instance`.
    ///
    /// # Errors
    /// [`NameTooLong`] cannot happen: the buffer holds the prefix and every `u32` (see the tests);
    /// the `Result` keeps the construction free of panics.
    pub fn new(instance: u32) -> Result<Self, NameTooLong> {
        let mut name = WideName::empty();
        name.push_str(DEVICE_NAME_PREFIX)?;
        name.push_decimal(instance)?;
        Ok(Self { name, instance })
    }

    /// The instance number the name was built from.
    #[must_use]
    pub const fn instance(&self) -> u32 {
        self.instance
    }
}

impl core::ops::Deref for DeviceName {
    type Target = WideName<DEVICE_NAME_UNITS>;

    fn deref(&self) -> &Self::Target {
        &self.name
    }
}

impl fmt::Display for DeviceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.name.fmt(f)
    }
}

/// Why a `PortName` value cannot name a COM port.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum PortNameError {
    /// Empty (or only NULs).
    Empty,
    /// Longer than [`MAX_PORT_NAME_UNITS`] (also: the registry value did not fit the read buffer).
    TooLong,
    /// Contains `\`, which would put the link outside `\DosDevices`.
    ContainsBackslash,
    /// Contains a NUL before its end.
    ContainsNul,
    /// The registry value exists but is not a REG_SZ.
    NotAString,
}

/// A validated port name such as `COM3`: 1 to [`MAX_PORT_NAME_UNITS`] UTF-16 units, no `\`, no
/// NUL.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PortName(WideName<PORT_NAME_UNITS>);

impl PortName {
    /// Checks the data of a `PortName` registry value. Trailing NULs (the REG_SZ terminator,
    /// whether or not the reader counted it) are dropped first.
    ///
    /// # Errors
    /// The [`PortNameError`] of the first rule the value breaks, checked in the order empty, too
    /// long, backslash, NUL.
    pub fn parse(registry_data: &[u16]) -> Result<Self, PortNameError> {
        let end = registry_data
            .iter()
            .rposition(|&unit| unit != 0)
            .map_or(0, |last| last.saturating_add(1));
        let units = registry_data.get(..end).unwrap_or_default();
        if units.is_empty() {
            return Err(PortNameError::Empty);
        }
        if units.len() > MAX_PORT_NAME_UNITS {
            return Err(PortNameError::TooLong);
        }
        if units.contains(&BACKSLASH) {
            return Err(PortNameError::ContainsBackslash);
        }
        if units.contains(&0) {
            return Err(PortNameError::ContainsNul);
        }
        let mut name = WideName::empty();
        name.push_units(units.iter().copied())
            .map_err(|NameTooLong| PortNameError::TooLong)?;
        Ok(Self(name))
    }
}

impl core::ops::Deref for PortName {
    type Target = WideName<PORT_NAME_UNITS>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl fmt::Display for PortName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The Win32-visible link to the device: `\DosDevices\<PortName>`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct SymbolicLinkName(WideName<SYMBOLIC_LINK_NAME_UNITS>);

impl SymbolicLinkName {
    /// The link for `port`.
    ///
    /// # Errors
    /// [`NameTooLong`] cannot happen: the buffer holds the prefix and the longest valid port name
    /// (see the tests); the `Result` keeps the construction free of panics.
    pub fn for_port(port: &PortName) -> Result<Self, NameTooLong> {
        let mut name = WideName::empty();
        name.push_str(DOS_DEVICES_PREFIX)?;
        name.push_units(port.as_units().iter().copied())?;
        Ok(Self(name))
    }
}

impl core::ops::Deref for SymbolicLinkName {
    type Target = WideName<SYMBOLIC_LINK_NAME_UNITS>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl fmt::Display for SymbolicLinkName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
#[expect(
    clippy::unwrap_used,
    reason = "in a test an unexpected Err should fail loudly"
)]
mod tests {
    use super::*;

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().collect()
    }

    fn port(text: &str) -> PortName {
        PortName::parse(&wide(text)).unwrap()
    }

    #[test]
    fn device_names_count_up_from_the_prefix() {
        assert_eq!(
            DeviceName::new(0).unwrap().to_string(),
            r"\Device\Serial16550_0"
        );
        assert_eq!(
            DeviceName::new(17).unwrap().to_string(),
            r"\Device\Serial16550_17"
        );
        assert_eq!(DeviceName::new(17).unwrap().instance(), 17);
    }

    #[test]
    fn the_widest_instance_number_fits() {
        let name = DeviceName::new(u32::MAX).unwrap();
        assert_eq!(name.to_string(), r"\Device\Serial16550_4294967295");
        assert_eq!(name.as_units().len(), DEVICE_NAME_UNITS - 1);
    }

    #[test]
    fn every_name_is_terminated_and_counted_in_bytes() {
        let name = DeviceName::new(3).unwrap();
        let text = wide(r"\Device\Serial16550_3");
        assert_eq!(name.as_units(), text.as_slice());
        assert_eq!(name.as_units_with_nul().last(), Some(&0));
        assert_eq!(name.as_units_with_nul().len(), text.len() + 1);
        assert_eq!(usize::from(name.byte_len()), text.len() * 2);
        assert_eq!(name.byte_len_with_nul() as usize, (text.len() + 1) * 2);
    }

    #[test]
    fn a_registry_port_name_is_accepted_with_or_without_its_terminator() {
        assert_eq!(port("COM3").to_string(), "COM3");
        assert_eq!(PortName::parse(&wide("COM3\0")), Ok(port("COM3")));
        assert_eq!(PortName::parse(&wide("COM12\0\0\0")), Ok(port("COM12")));
        // The REG_SZ data written for `COM3`: four units and the terminator, 10 bytes.
        assert_eq!(port("COM3").as_units_with_nul(), wide("COM3\0").as_slice());
        assert_eq!(port("COM3").byte_len_with_nul(), 10);
    }

    #[test]
    fn empty_port_names_are_refused() {
        assert_eq!(PortName::parse(&[]), Err(PortNameError::Empty));
        assert_eq!(PortName::parse(&[0, 0]), Err(PortNameError::Empty));
    }

    #[test]
    fn port_names_longer_than_the_limit_are_refused() {
        let longest = "C".repeat(MAX_PORT_NAME_UNITS);
        assert_eq!(port(&longest).as_units().len(), MAX_PORT_NAME_UNITS);
        let too_long = "C".repeat(MAX_PORT_NAME_UNITS + 1);
        assert_eq!(
            PortName::parse(&wide(&too_long)),
            Err(PortNameError::TooLong)
        );
    }

    #[test]
    fn port_names_that_leave_dos_devices_are_refused() {
        assert_eq!(
            PortName::parse(&wide(r"..\Device\Harddisk0")),
            Err(PortNameError::ContainsBackslash)
        );
        assert_eq!(
            PortName::parse(&wide(r"COM3\")),
            Err(PortNameError::ContainsBackslash)
        );
    }

    #[test]
    fn port_names_with_an_inner_nul_are_refused() {
        assert_eq!(
            PortName::parse(&wide("CO\0M3")),
            Err(PortNameError::ContainsNul)
        );
    }

    #[test]
    fn non_ascii_port_names_survive_unchanged() {
        let name = port("Port\u{e9}\u{1F50C}");
        assert_eq!(name.as_units(), wide("Port\u{e9}\u{1F50C}").as_slice());
        assert_eq!(name.to_string(), "Port\u{e9}\u{1F50C}");
    }

    #[test]
    fn the_link_lives_in_dos_devices() {
        let link = SymbolicLinkName::for_port(&port("COM3")).unwrap();
        assert_eq!(link.to_string(), r"\DosDevices\COM3");
        assert_eq!(link.as_units_with_nul().last(), Some(&0));
    }

    #[test]
    fn the_link_of_the_longest_port_name_fits() {
        let longest = port(&"X".repeat(MAX_PORT_NAME_UNITS));
        let link = SymbolicLinkName::for_port(&longest).unwrap();
        assert_eq!(link.as_units().len(), SYMBOLIC_LINK_NAME_UNITS - 1);
    }

    #[test]
    fn fixed_registry_names_are_spelled_right() {
        assert_eq!(PORT_NAME_VALUE.as_slice(), wide("PortName").as_slice());
        assert_eq!(DEVICE_MAP_KEY.as_slice(), wide("SERIALCOMM\0").as_slice());
    }

    #[test]
    fn a_full_buffer_reports_too_long_instead_of_truncating() {
        let mut name = WideName::<4>::empty();
        assert_eq!(name.push_str("abc"), Ok(()));
        assert_eq!(name.push_str("d"), Err(NameTooLong));
        assert_eq!(name.to_string(), "abc");
        assert_eq!(name.as_units_with_nul(), wide("abc\0").as_slice());
    }

    #[test]
    fn unpaired_surrogates_display_as_replacement_characters() {
        let name = PortName::parse(&[0x43, 0xD800, 0x31]).unwrap();
        assert_eq!(name.to_string(), "C\u{FFFD}1");
    }
}
