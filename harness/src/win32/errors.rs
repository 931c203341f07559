//! Status and error-word mappings between the driver (NTSTATUS, `SERIAL_ERROR_*`) and Win32
//! (`GetLastError` codes, `CE_*`).
//!
//! NTSTATUS → Win32 follows RtlNtStatusToDosError for the statuses a serial driver completes with.
//! Whether a Win32 call reports success follows the documented rule for overlapped I/O: the call
//! succeeds iff `NT_SUCCESS(status)`, so `STATUS_TIMEOUT` is a successful ReadFile/WriteFile with a
//! short count (COMMTIMEOUTS remarks) and `STATUS_CANCELLED` fails with
//! `ERROR_OPERATION_ABORTED`.

use serial_ioctl::{NtStatus, error};

/// `ERROR_SUCCESS`.
pub const ERROR_SUCCESS: u32 = 0;
/// `ERROR_INVALID_FUNCTION`.
pub const ERROR_INVALID_FUNCTION: u32 = 1;
/// `ERROR_FILE_NOT_FOUND`.
pub const ERROR_FILE_NOT_FOUND: u32 = 2;
/// `ERROR_PATH_NOT_FOUND`.
pub const ERROR_PATH_NOT_FOUND: u32 = 3;
/// `ERROR_ACCESS_DENIED`.
pub const ERROR_ACCESS_DENIED: u32 = 5;
/// `ERROR_INVALID_HANDLE`.
pub const ERROR_INVALID_HANDLE: u32 = 6;
/// `ERROR_BAD_COMMAND`.
pub const ERROR_BAD_COMMAND: u32 = 22;
/// `ERROR_GEN_FAILURE`.
pub const ERROR_GEN_FAILURE: u32 = 31;
/// `ERROR_INVALID_PARAMETER`.
pub const ERROR_INVALID_PARAMETER: u32 = 87;
/// `ERROR_INSUFFICIENT_BUFFER`.
pub const ERROR_INSUFFICIENT_BUFFER: u32 = 122;
/// `WAIT_TIMEOUT` (also the Win32 value of `STATUS_TIMEOUT`).
pub const WAIT_TIMEOUT: u32 = 258;
/// `ERROR_OPERATION_ABORTED`.
pub const ERROR_OPERATION_ABORTED: u32 = 995;
/// `ERROR_IO_INCOMPLETE`.
pub const ERROR_IO_INCOMPLETE: u32 = 996;
/// `ERROR_IO_PENDING`.
pub const ERROR_IO_PENDING: u32 = 997;
/// `ERROR_IRQ_BUSY`.
pub const ERROR_IRQ_BUSY: u32 = 1119;
/// `ERROR_MORE_WRITES`.
pub const ERROR_MORE_WRITES: u32 = 1120;
/// `ERROR_COUNTER_TIMEOUT`.
pub const ERROR_COUNTER_TIMEOUT: u32 = 1121;
/// `ERROR_IO_DEVICE`: "The request could not be performed because of an I/O device error."
pub const ERROR_IO_DEVICE: u32 = 1117;
/// `ERROR_DEVICE_NOT_CONNECTED`.
pub const ERROR_DEVICE_NOT_CONNECTED: u32 = 1167;
/// `ERROR_NO_SYSTEM_RESOURCES`.
pub const ERROR_NO_SYSTEM_RESOURCES: u32 = 1450;
/// `ERROR_NOT_SUPPORTED`.
pub const ERROR_NOT_SUPPORTED: u32 = 50;
/// `ERROR_SEM_TIMEOUT`.
pub const ERROR_SEM_TIMEOUT: u32 = 121;

/// `STATUS_OBJECT_NAME_NOT_FOUND` (named with every other status in `serial_ioctl::NtStatus`).
pub const STATUS_OBJECT_NAME_NOT_FOUND: NtStatus = NtStatus::OBJECT_NAME_NOT_FOUND;
/// `STATUS_OBJECT_PATH_NOT_FOUND`.
pub const STATUS_OBJECT_PATH_NOT_FOUND: NtStatus = NtStatus::OBJECT_PATH_NOT_FOUND;
/// `STATUS_INVALID_HANDLE`.
pub const STATUS_INVALID_HANDLE: NtStatus = NtStatus::INVALID_HANDLE;
/// `STATUS_NOT_SUPPORTED`.
pub const STATUS_NOT_SUPPORTED: NtStatus = NtStatus::NOT_SUPPORTED;

/// Win32 `CE_RXOVER`: receive queue overflow.
pub const CE_RXOVER: u32 = 0x0001;
/// Win32 `CE_OVERRUN`: hardware overrun.
pub const CE_OVERRUN: u32 = 0x0002;
/// Win32 `CE_RXPARITY`: parity error.
pub const CE_RXPARITY: u32 = 0x0004;
/// Win32 `CE_FRAME`: framing error.
pub const CE_FRAME: u32 = 0x0008;
/// Win32 `CE_BREAK`: break received.
pub const CE_BREAK: u32 = 0x0010;

/// `SERIAL_ERROR_*` → `CE_*`, as ClearCommError reports the driver's error word.
const ERROR_TO_CE: [(u32, u32); 5] = [
    (error::BREAK, CE_BREAK),
    (error::FRAMING, CE_FRAME),
    (error::OVERRUN, CE_OVERRUN),
    (error::QUEUEOVERRUN, CE_RXOVER),
    (error::PARITY, CE_RXPARITY),
];

/// Maps a `SERIAL_STATUS.Errors` word to the `CE_*` bits ClearCommError returns. Unknown bits
/// are dropped, as kernel32 does.
#[must_use]
pub fn comm_errors_from_serial(errors: u32) -> u32 {
    ERROR_TO_CE
        .iter()
        .filter(|(serial, _)| errors & serial != 0)
        .fold(0, |ce, (_, bit)| ce | bit)
}

/// The inverse of [`comm_errors_from_serial`] (for building expectations from `CE_*` names).
#[must_use]
pub fn serial_errors_from_comm(ce: u32) -> u32 {
    ERROR_TO_CE
        .iter()
        .filter(|(_, bit)| ce & bit != 0)
        .fold(0, |serial, (bit, _)| serial | bit)
}

/// The Win32 error code RtlNtStatusToDosError gives for `status`.
#[must_use]
pub fn win32_error_from_ntstatus(status: NtStatus) -> u32 {
    match status {
        NtStatus::SUCCESS => ERROR_SUCCESS,
        NtStatus::TIMEOUT => WAIT_TIMEOUT,
        NtStatus::PENDING => ERROR_IO_PENDING,
        NtStatus::SERIAL_MORE_WRITES => ERROR_MORE_WRITES,
        NtStatus::SERIAL_COUNTER_TIMEOUT => ERROR_COUNTER_TIMEOUT,
        NtStatus::INVALID_PARAMETER => ERROR_INVALID_PARAMETER,
        NtStatus::INVALID_DEVICE_REQUEST | NtStatus::NOT_IMPLEMENTED => ERROR_INVALID_FUNCTION,
        NtStatus::ACCESS_DENIED | NtStatus::DELETE_PENDING => ERROR_ACCESS_DENIED,
        NtStatus::BUFFER_TOO_SMALL => ERROR_INSUFFICIENT_BUFFER,
        NtStatus::INSUFFICIENT_RESOURCES => ERROR_NO_SYSTEM_RESOURCES,
        NtStatus::CANCELLED => ERROR_OPERATION_ABORTED,
        NtStatus::SHARED_IRQ_BUSY => ERROR_IRQ_BUSY,
        NtStatus::INVALID_DEVICE_STATE => ERROR_BAD_COMMAND,
        NtStatus::UNSUCCESSFUL => ERROR_GEN_FAILURE,
        NtStatus::IO_DEVICE_ERROR => ERROR_IO_DEVICE,
        NtStatus::DEVICE_NOT_CONNECTED => ERROR_DEVICE_NOT_CONNECTED,
        STATUS_OBJECT_NAME_NOT_FOUND => ERROR_FILE_NOT_FOUND,
        STATUS_OBJECT_PATH_NOT_FOUND => ERROR_PATH_NOT_FOUND,
        STATUS_INVALID_HANDLE => ERROR_INVALID_HANDLE,
        STATUS_NOT_SUPPORTED => ERROR_NOT_SUPPORTED,
        _ => ERROR_GEN_FAILURE,
    }
}

/// The NTSTATUS a Win32 error most likely stands for, when only the Win32 error is known (for
/// example a failed CreateFileW). `None` for codes with no serial meaning.
#[must_use]
pub fn ntstatus_from_win32(code: u32) -> Option<NtStatus> {
    Some(match code {
        ERROR_SUCCESS => NtStatus::SUCCESS,
        ERROR_INVALID_FUNCTION => NtStatus::INVALID_DEVICE_REQUEST,
        ERROR_FILE_NOT_FOUND => STATUS_OBJECT_NAME_NOT_FOUND,
        ERROR_PATH_NOT_FOUND => STATUS_OBJECT_PATH_NOT_FOUND,
        ERROR_ACCESS_DENIED => NtStatus::ACCESS_DENIED,
        ERROR_INVALID_HANDLE => STATUS_INVALID_HANDLE,
        ERROR_INVALID_PARAMETER => NtStatus::INVALID_PARAMETER,
        ERROR_INSUFFICIENT_BUFFER => NtStatus::BUFFER_TOO_SMALL,
        WAIT_TIMEOUT | ERROR_SEM_TIMEOUT => NtStatus::TIMEOUT,
        ERROR_OPERATION_ABORTED => NtStatus::CANCELLED,
        ERROR_IO_PENDING => NtStatus::PENDING,
        ERROR_IRQ_BUSY => NtStatus::SHARED_IRQ_BUSY,
        ERROR_MORE_WRITES => NtStatus::SERIAL_MORE_WRITES,
        ERROR_COUNTER_TIMEOUT => NtStatus::SERIAL_COUNTER_TIMEOUT,
        ERROR_NO_SYSTEM_RESOURCES => NtStatus::INSUFFICIENT_RESOURCES,
        ERROR_BAD_COMMAND => NtStatus::INVALID_DEVICE_STATE,
        ERROR_GEN_FAILURE => NtStatus::UNSUCCESSFUL,
        ERROR_IO_DEVICE => NtStatus::IO_DEVICE_ERROR,
        ERROR_DEVICE_NOT_CONNECTED => NtStatus::DEVICE_NOT_CONNECTED,
        ERROR_NOT_SUPPORTED => STATUS_NOT_SUPPORTED,
        _ => return None,
    })
}

/// The `ERROR_*` name of a Win32 code this module knows, for reports.
#[must_use]
pub fn win32_error_name(code: u32) -> Option<&'static str> {
    WIN32_NAMES
        .iter()
        .find(|(value, _)| *value == code)
        .map(|(_, name)| *name)
}

/// The Win32 code named `name` (with or without `ERROR_`), or a number.
#[must_use]
pub fn win32_error_from_name(name: &str) -> Option<u32> {
    if let Some(number) = crate::names::parse_number(name) {
        return u32::try_from(number).ok();
    }
    let upper = name.to_ascii_uppercase();
    WIN32_NAMES
        .iter()
        .find(|(_, known)| *known == upper || known.strip_prefix("ERROR_") == Some(upper.as_str()))
        .map(|(value, _)| *value)
}

const WIN32_NAMES: [(u32, &str); 22] = [
    (ERROR_SUCCESS, "ERROR_SUCCESS"),
    (ERROR_INVALID_FUNCTION, "ERROR_INVALID_FUNCTION"),
    (ERROR_FILE_NOT_FOUND, "ERROR_FILE_NOT_FOUND"),
    (ERROR_PATH_NOT_FOUND, "ERROR_PATH_NOT_FOUND"),
    (ERROR_ACCESS_DENIED, "ERROR_ACCESS_DENIED"),
    (ERROR_INVALID_HANDLE, "ERROR_INVALID_HANDLE"),
    (ERROR_BAD_COMMAND, "ERROR_BAD_COMMAND"),
    (ERROR_GEN_FAILURE, "ERROR_GEN_FAILURE"),
    (ERROR_NOT_SUPPORTED, "ERROR_NOT_SUPPORTED"),
    (ERROR_INVALID_PARAMETER, "ERROR_INVALID_PARAMETER"),
    (ERROR_SEM_TIMEOUT, "ERROR_SEM_TIMEOUT"),
    (ERROR_INSUFFICIENT_BUFFER, "ERROR_INSUFFICIENT_BUFFER"),
    (WAIT_TIMEOUT, "WAIT_TIMEOUT"),
    (ERROR_OPERATION_ABORTED, "ERROR_OPERATION_ABORTED"),
    (ERROR_IO_INCOMPLETE, "ERROR_IO_INCOMPLETE"),
    (ERROR_IO_PENDING, "ERROR_IO_PENDING"),
    (ERROR_IRQ_BUSY, "ERROR_IRQ_BUSY"),
    (ERROR_MORE_WRITES, "ERROR_MORE_WRITES"),
    (ERROR_COUNTER_TIMEOUT, "ERROR_COUNTER_TIMEOUT"),
    (ERROR_NO_SYSTEM_RESOURCES, "ERROR_NO_SYSTEM_RESOURCES"),
    (ERROR_IO_DEVICE, "ERROR_IO_DEVICE"),
    (ERROR_DEVICE_NOT_CONNECTED, "ERROR_DEVICE_NOT_CONNECTED"),
];

/// What a Win32 call (ReadFile, WriteFile, DeviceIoControl, GetOverlappedResult) reports for a
/// request the driver completed with `status` and `information`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Win32Outcome {
    /// The BOOL the call returns.
    pub success: bool,
    /// `GetLastError()` after a failure; `ERROR_SUCCESS` after success.
    pub error: u32,
    /// `*lpNumberOfBytesTransferred`.
    pub transferred: usize,
}

impl Win32Outcome {
    /// The documented view: success iff `NT_SUCCESS(status)`; the count is the Information, so a
    /// timed-out read succeeds with a short count; a failure sets the mapped error.
    #[must_use]
    pub fn of(status: NtStatus, information: usize) -> Self {
        if status.is_success() {
            Self {
                success: true,
                error: ERROR_SUCCESS,
                transferred: information,
            }
        } else {
            Self {
                success: false,
                error: win32_error_from_ntstatus(status),
                transferred: information,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_is_a_successful_short_transfer() {
        let outcome = Win32Outcome::of(NtStatus::TIMEOUT, 3);
        assert!(outcome.success);
        assert_eq!(outcome.transferred, 3);
        assert_eq!(outcome.error, ERROR_SUCCESS);
    }

    #[test]
    fn cancelled_fails_with_operation_aborted() {
        let outcome = Win32Outcome::of(NtStatus::CANCELLED, 0);
        assert!(!outcome.success);
        assert_eq!(outcome.error, ERROR_OPERATION_ABORTED);
    }

    #[test]
    fn driver_statuses_map_to_their_win32_codes() {
        let cases = [
            (NtStatus::INVALID_PARAMETER, ERROR_INVALID_PARAMETER),
            (NtStatus::INVALID_DEVICE_REQUEST, ERROR_INVALID_FUNCTION),
            (NtStatus::ACCESS_DENIED, ERROR_ACCESS_DENIED),
            (NtStatus::BUFFER_TOO_SMALL, ERROR_INSUFFICIENT_BUFFER),
            (NtStatus::SERIAL_MORE_WRITES, ERROR_MORE_WRITES),
            (NtStatus::SERIAL_COUNTER_TIMEOUT, ERROR_COUNTER_TIMEOUT),
            (NtStatus::INSUFFICIENT_RESOURCES, ERROR_NO_SYSTEM_RESOURCES),
            (NtStatus::IO_DEVICE_ERROR, ERROR_IO_DEVICE),
            (NtStatus::DEVICE_NOT_CONNECTED, ERROR_DEVICE_NOT_CONNECTED),
        ];
        for (status, code) in cases {
            assert_eq!(win32_error_from_ntstatus(status), code, "{status}");
            assert_eq!(ntstatus_from_win32(code), Some(status), "{code}");
        }
    }

    #[test]
    fn serial_errors_map_to_ce_bits_and_back() {
        assert_eq!(comm_errors_from_serial(error::PARITY), CE_RXPARITY);
        assert_eq!(comm_errors_from_serial(error::QUEUEOVERRUN), CE_RXOVER);
        assert_eq!(
            comm_errors_from_serial(error::BREAK | error::FRAMING | error::OVERRUN),
            CE_BREAK | CE_FRAME | CE_OVERRUN
        );
        assert_eq!(comm_errors_from_serial(0x100), 0);
        for bits in 0..32 {
            assert_eq!(serial_errors_from_comm(comm_errors_from_serial(bits)), bits);
        }
    }

    #[test]
    fn every_status_the_harness_meets_is_named_in_one_place() {
        let error = crate::win32::comm::CommError::Driver {
            ioctl: serial_ioctl::SerialIoctl::GetStats,
            status: STATUS_NOT_SUPPORTED,
        };
        assert_eq!(
            error.to_string(),
            "IOCTL_SERIAL_GET_STATS completed STATUS_NOT_SUPPORTED (0xC00000BB)"
        );
        for status in [
            STATUS_OBJECT_NAME_NOT_FOUND,
            STATUS_OBJECT_PATH_NOT_FOUND,
            STATUS_INVALID_HANDLE,
            NtStatus::IO_DEVICE_ERROR,
        ] {
            assert_ne!(status.name(), "STATUS_UNKNOWN");
            assert_eq!(crate::port::status_text(status), status.name());
            assert_eq!(NtStatus::from_name(status.name()), Some(status));
        }
    }

    #[test]
    fn error_names_round_trip() {
        assert_eq!(win32_error_from_name("INVALID_PARAMETER"), Some(87));
        assert_eq!(win32_error_from_name("ERROR_OPERATION_ABORTED"), Some(995));
        assert_eq!(win32_error_from_name("0x3E3"), Some(995));
        assert_eq!(win32_error_name(995), Some("ERROR_OPERATION_ABORTED"));
    }
}
