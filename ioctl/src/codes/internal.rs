//! The four internal serial IOCTLs (`IRP_MJ_INTERNAL_DEVICE_CONTROL`), used by kernel clients.

use super::{IoctlRow, row};
use crate::codes::*;
use crate::status::strip_prefix_ignore_case;
use crate::structs::SerialBasicSettings;

/// One of the internal `IOCTL_SERIAL_INTERNAL_*` requests.
///
/// Their codes equal SET_BAUD_RATE..SET_LINE_CONTROL; only the major function tells them apart.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum InternalIoctl {
    /// `IOCTL_SERIAL_INTERNAL_DO_WAIT_WAKE`: arm system wake.
    DoWaitWake,
    /// `IOCTL_SERIAL_INTERNAL_CANCEL_WAIT_WAKE`: disarm system wake.
    CancelWaitWake,
    /// `IOCTL_SERIAL_INTERNAL_BASIC_SETTINGS`: return current settings, then apply basic ones.
    BasicSettings,
    /// `IOCTL_SERIAL_INTERNAL_RESTORE_SETTINGS`: apply settings saved by `BasicSettings`.
    RestoreSettings,
}

impl InternalIoctl {
    /// Every internal IOCTL, in function-number order.
    pub const ALL: [Self; 4] = [
        Self::DoWaitWake,
        Self::CancelWaitWake,
        Self::BasicSettings,
        Self::RestoreSettings,
    ];

    /// The table row: code, name, minimum input and output lengths (serial-semantics §2).
    #[rustfmt::skip]
    const fn row(self) -> IoctlRow {
        const SETTINGS: usize = size_of::<SerialBasicSettings>();
        match self {
            Self::DoWaitWake => row(IOCTL_SERIAL_INTERNAL_DO_WAIT_WAKE, "DO_WAIT_WAKE", 0, 0),
            Self::CancelWaitWake => row(IOCTL_SERIAL_INTERNAL_CANCEL_WAIT_WAKE, "CANCEL_WAIT_WAKE", 0, 0),
            Self::BasicSettings => row(IOCTL_SERIAL_INTERNAL_BASIC_SETTINGS, "BASIC_SETTINGS", 0, SETTINGS),
            Self::RestoreSettings => row(IOCTL_SERIAL_INTERNAL_RESTORE_SETTINGS, "RESTORE_SETTINGS", SETTINGS, 0),
        }
    }

    /// The `IOCTL_SERIAL_INTERNAL_*` control code.
    #[must_use]
    pub const fn code(self) -> u32 {
        self.row().code
    }

    /// The internal IOCTL with this control code, or `None`.
    #[must_use]
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|ioctl| ioctl.code() == code)
    }

    /// The header name without the `IOCTL_SERIAL_INTERNAL_` prefix, e.g. `"BASIC_SETTINGS"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        self.row().name
    }

    /// The internal IOCTL named `name`, with or without the `IOCTL_SERIAL_INTERNAL_` prefix,
    /// ASCII case-insensitive.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let bare = strip_prefix_ignore_case(name, "IOCTL_SERIAL_INTERNAL_");
        Self::ALL
            .into_iter()
            .find(|ioctl| ioctl.name().eq_ignore_ascii_case(bare))
    }

    /// Minimum input buffer length; shorter input completes `STATUS_BUFFER_TOO_SMALL`.
    #[must_use]
    pub const fn input_size(self) -> usize {
        self.row().input
    }

    /// Minimum output buffer length; shorter output completes `STATUS_BUFFER_TOO_SMALL`.
    #[must_use]
    pub const fn output_size(self) -> usize {
        self.row().output
    }
}
