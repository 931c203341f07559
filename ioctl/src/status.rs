//! NTSTATUS values the serial driver completes requests with (serial-semantics §3.4).

use core::fmt;

/// An NTSTATUS completion code: negative values are errors, zero and positive values succeed.
#[repr(transparent)]
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct NtStatus(pub i32);

impl NtStatus {
    /// `STATUS_SUCCESS`: normal completion.
    pub const SUCCESS: Self = Self(0);
    /// `STATUS_TIMEOUT`: a read/write/immediate timeout expired; a success code carrying a short count.
    pub const TIMEOUT: Self = Self(0x0000_0102);
    /// `STATUS_PENDING`: the request was queued and completes later.
    pub const PENDING: Self = Self(0x0000_0103);
    /// `STATUS_SERIAL_MORE_WRITES`: an XOFF counter was ended by a later write (informational).
    pub const SERIAL_MORE_WRITES: Self = Self(0x4000_0008);
    /// `STATUS_SERIAL_COUNTER_TIMEOUT`: an XOFF counter's timer expired (informational).
    pub const SERIAL_COUNTER_TIMEOUT: Self = Self(0x4000_000C);
    /// `STATUS_INVALID_PARAMETER`: validation failed, or the IOCTL code is unknown.
    pub const INVALID_PARAMETER: Self = Self(0xC000_000Du32 as i32);
    /// `STATUS_INVALID_DEVICE_REQUEST`: an IOCTL arrived on a port that is not open.
    pub const INVALID_DEVICE_REQUEST: Self = Self(0xC000_0010u32 as i32);
    /// `STATUS_ACCESS_DENIED`: create while the port is already open.
    pub const ACCESS_DENIED: Self = Self(0xC000_0022u32 as i32);
    /// `STATUS_BUFFER_TOO_SMALL`: the input or output buffer is shorter than the structure.
    pub const BUFFER_TOO_SMALL: Self = Self(0xC000_0023u32 as i32);
    /// `STATUS_DELETE_PENDING`: the device is being removed.
    pub const DELETE_PENDING: Self = Self(0xC000_0056u32 as i32);
    /// `STATUS_INSUFFICIENT_RESOURCES`: an allocation failed (open, SET_QUEUE_SIZE).
    pub const INSUFFICIENT_RESOURCES: Self = Self(0xC000_009Au32 as i32);
    /// `STATUS_CANCELLED`: cancel, purge, cleanup or abort-on-error ended the request.
    pub const CANCELLED: Self = Self(0xC000_0120u32 as i32);
    /// `STATUS_SHARED_IRQ_BUSY`: create failed because another open device uses the interrupt.
    pub const SHARED_IRQ_BUSY: Self = Self(0xC000_016Cu32 as i32);
    /// `STATUS_INVALID_DEVICE_STATE`: a queue is in a state that cannot accept the request.
    pub const INVALID_DEVICE_STATE: Self = Self(0xC000_0184u32 as i32);
    /// `STATUS_NOT_IMPLEMENTED`: named so it can be recognised; never used for a serial IOCTL.
    pub const NOT_IMPLEMENTED: Self = Self(0xC000_0002u32 as i32);
    /// `STATUS_UNSUCCESSFUL`: named so it can be recognised; never used for a serial IOCTL.
    pub const UNSUCCESSFUL: Self = Self(0xC000_0001u32 as i32);
    /// `STATUS_IO_DEVICE_ERROR`: the UART stayed broken through recovery; the device failed.
    pub const IO_DEVICE_ERROR: Self = Self(0xC000_0185u32 as i32);
    /// `STATUS_DEVICE_NOT_CONNECTED`: the UART vanished (registers read 0xFF); the device failed.
    pub const DEVICE_NOT_CONNECTED: Self = Self(0xC000_009Du32 as i32);
    /// `STATUS_OBJECT_NAME_NOT_FOUND`: CreateFile on a port that does not exist.
    pub const OBJECT_NAME_NOT_FOUND: Self = Self(0xC000_0034u32 as i32);
    /// `STATUS_OBJECT_PATH_NOT_FOUND`.
    pub const OBJECT_PATH_NOT_FOUND: Self = Self(0xC000_003Au32 as i32);
    /// `STATUS_INVALID_HANDLE`.
    pub const INVALID_HANDLE: Self = Self(0xC000_0008u32 as i32);
    /// `STATUS_NOT_SUPPORTED`: what Windows' I/O manager and some drivers answer an unknown
    /// request with.
    pub const NOT_SUPPORTED: Self = Self(0xC000_00BBu32 as i32);

    /// Every named status with its `STATUS_*` name, for [`name`](Self::name) and
    /// [`from_name`](Self::from_name).
    const NAMED: [(Self, &'static str); 22] = [
        (Self::SUCCESS, "STATUS_SUCCESS"),
        (Self::TIMEOUT, "STATUS_TIMEOUT"),
        (Self::PENDING, "STATUS_PENDING"),
        (Self::SERIAL_MORE_WRITES, "STATUS_SERIAL_MORE_WRITES"),
        (
            Self::SERIAL_COUNTER_TIMEOUT,
            "STATUS_SERIAL_COUNTER_TIMEOUT",
        ),
        (Self::INVALID_PARAMETER, "STATUS_INVALID_PARAMETER"),
        (
            Self::INVALID_DEVICE_REQUEST,
            "STATUS_INVALID_DEVICE_REQUEST",
        ),
        (Self::ACCESS_DENIED, "STATUS_ACCESS_DENIED"),
        (Self::BUFFER_TOO_SMALL, "STATUS_BUFFER_TOO_SMALL"),
        (Self::DELETE_PENDING, "STATUS_DELETE_PENDING"),
        (
            Self::INSUFFICIENT_RESOURCES,
            "STATUS_INSUFFICIENT_RESOURCES",
        ),
        (Self::CANCELLED, "STATUS_CANCELLED"),
        (Self::SHARED_IRQ_BUSY, "STATUS_SHARED_IRQ_BUSY"),
        (Self::INVALID_DEVICE_STATE, "STATUS_INVALID_DEVICE_STATE"),
        (Self::NOT_IMPLEMENTED, "STATUS_NOT_IMPLEMENTED"),
        (Self::UNSUCCESSFUL, "STATUS_UNSUCCESSFUL"),
        (Self::IO_DEVICE_ERROR, "STATUS_IO_DEVICE_ERROR"),
        (Self::DEVICE_NOT_CONNECTED, "STATUS_DEVICE_NOT_CONNECTED"),
        (Self::OBJECT_NAME_NOT_FOUND, "STATUS_OBJECT_NAME_NOT_FOUND"),
        (Self::OBJECT_PATH_NOT_FOUND, "STATUS_OBJECT_PATH_NOT_FOUND"),
        (Self::INVALID_HANDLE, "STATUS_INVALID_HANDLE"),
        (Self::NOT_SUPPORTED, "STATUS_NOT_SUPPORTED"),
    ];

    /// `NT_SUCCESS`: true for success and informational codes (value ≥ 0), including
    /// [`TIMEOUT`](Self::TIMEOUT) and [`PENDING`](Self::PENDING).
    #[must_use]
    pub const fn is_success(self) -> bool {
        self.0 >= 0
    }

    /// The code as the unsigned 32-bit pattern it is usually written in (`0xC0000120`).
    #[must_use]
    pub const fn as_u32(self) -> u32 {
        self.0.cast_unsigned()
    }

    /// The `STATUS_*` name, or `"STATUS_UNKNOWN"` for a value this crate does not name.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::NAMED
            .iter()
            .find(|(status, _)| *status == self)
            .map_or("STATUS_UNKNOWN", |(_, name)| name)
    }

    /// The status with this name, ASCII case-insensitive, with or without the `STATUS_` prefix.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let bare = strip_prefix_ignore_case(name, "STATUS_");
        Self::NAMED
            .iter()
            .find(|(_, known)| {
                strip_prefix_ignore_case(known, "STATUS_").eq_ignore_ascii_case(bare)
            })
            .map(|(status, _)| *status)
    }
}

impl fmt::Display for NtStatus {
    /// Prints the name and the hex value, e.g. `STATUS_TIMEOUT (0x00000102)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (0x{:08X})", self.name(), self.as_u32())
    }
}

/// `text` without a leading `prefix` (compared ASCII case-insensitively), or `text` unchanged.
pub(crate) fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> &'a str {
    match (text.get(..prefix.len()), text.get(prefix.len()..)) {
        (Some(head), Some(rest)) if head.eq_ignore_ascii_case(prefix) => rest,
        _ => text,
    }
}
