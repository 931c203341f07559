//! NTSTATUS values, NT_SUCCESS and their printed form.

use serial_ioctl::NtStatus;

#[test]
fn values_match_the_spec_table() {
    let expected: [(NtStatus, u32); 16] = [
        (NtStatus::SUCCESS, 0x0000_0000),
        (NtStatus::TIMEOUT, 0x0000_0102),
        (NtStatus::PENDING, 0x0000_0103),
        (NtStatus::SERIAL_MORE_WRITES, 0x4000_0008),
        (NtStatus::SERIAL_COUNTER_TIMEOUT, 0x4000_000C),
        (NtStatus::INVALID_PARAMETER, 0xC000_000D),
        (NtStatus::INVALID_DEVICE_REQUEST, 0xC000_0010),
        (NtStatus::ACCESS_DENIED, 0xC000_0022),
        (NtStatus::BUFFER_TOO_SMALL, 0xC000_0023),
        (NtStatus::DELETE_PENDING, 0xC000_0056),
        (NtStatus::INSUFFICIENT_RESOURCES, 0xC000_009A),
        (NtStatus::CANCELLED, 0xC000_0120),
        (NtStatus::SHARED_IRQ_BUSY, 0xC000_016C),
        (NtStatus::INVALID_DEVICE_STATE, 0xC000_0184),
        (NtStatus::NOT_IMPLEMENTED, 0xC000_0002),
        (NtStatus::UNSUCCESSFUL, 0xC000_0001),
    ];
    for (status, value) in expected {
        assert_eq!(status.as_u32(), value, "{status:?}");
        assert_eq!(
            NtStatus::from_name(status.name()),
            Some(status),
            "{status:?}"
        );
    }
    assert_eq!(NtStatus::CANCELLED.0, -1_073_741_536);
}

#[test]
fn nt_success_includes_informational_codes() {
    for status in [
        NtStatus::SUCCESS,
        NtStatus::TIMEOUT,
        NtStatus::PENDING,
        NtStatus::SERIAL_MORE_WRITES,
        NtStatus::SERIAL_COUNTER_TIMEOUT,
    ] {
        assert!(status.is_success(), "{status}");
    }
    for status in [
        NtStatus::CANCELLED,
        NtStatus::BUFFER_TOO_SMALL,
        NtStatus::INVALID_PARAMETER,
        NtStatus::UNSUCCESSFUL,
    ] {
        assert!(!status.is_success(), "{status}");
    }
}

#[test]
fn display_prints_name_and_hex() {
    assert_eq!(NtStatus::TIMEOUT.to_string(), "STATUS_TIMEOUT (0x00000102)");
    assert_eq!(
        NtStatus::CANCELLED.to_string(),
        "STATUS_CANCELLED (0xC0000120)"
    );
    assert_eq!(NtStatus(0x1234).to_string(), "STATUS_UNKNOWN (0x00001234)");
}

#[test]
fn from_name_accepts_short_and_lowercase_names() {
    assert_eq!(
        NtStatus::from_name("STATUS_TIMEOUT"),
        Some(NtStatus::TIMEOUT)
    );
    assert_eq!(NtStatus::from_name("timeout"), Some(NtStatus::TIMEOUT));
    assert_eq!(
        NtStatus::from_name("status_buffer_too_small"),
        Some(NtStatus::BUFFER_TOO_SMALL)
    );
    assert_eq!(NtStatus::from_name("STATUS_UNKNOWN"), None);
    assert_eq!(NtStatus::from_name(""), None);
}
