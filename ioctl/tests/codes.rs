//! Control codes against the numeric values of serial-semantics §2, and the enum round trips.

use std::collections::HashSet;

use serial_ioctl::*;

/// Every public code with its value from the spec table, written out by hand.
const PUBLIC: [(SerialIoctl, u32, &str); 37] = [
    (SerialIoctl::SetBaudRate, 0x001B_0004, "SET_BAUD_RATE"),
    (SerialIoctl::SetQueueSize, 0x001B_0008, "SET_QUEUE_SIZE"),
    (SerialIoctl::SetLineControl, 0x001B_000C, "SET_LINE_CONTROL"),
    (SerialIoctl::SetBreakOn, 0x001B_0010, "SET_BREAK_ON"),
    (SerialIoctl::SetBreakOff, 0x001B_0014, "SET_BREAK_OFF"),
    (SerialIoctl::ImmediateChar, 0x001B_0018, "IMMEDIATE_CHAR"),
    (SerialIoctl::SetTimeouts, 0x001B_001C, "SET_TIMEOUTS"),
    (SerialIoctl::GetTimeouts, 0x001B_0020, "GET_TIMEOUTS"),
    (SerialIoctl::SetDtr, 0x001B_0024, "SET_DTR"),
    (SerialIoctl::ClrDtr, 0x001B_0028, "CLR_DTR"),
    (SerialIoctl::ResetDevice, 0x001B_002C, "RESET_DEVICE"),
    (SerialIoctl::SetRts, 0x001B_0030, "SET_RTS"),
    (SerialIoctl::ClrRts, 0x001B_0034, "CLR_RTS"),
    (SerialIoctl::SetXoff, 0x001B_0038, "SET_XOFF"),
    (SerialIoctl::SetXon, 0x001B_003C, "SET_XON"),
    (SerialIoctl::GetWaitMask, 0x001B_0040, "GET_WAIT_MASK"),
    (SerialIoctl::SetWaitMask, 0x001B_0044, "SET_WAIT_MASK"),
    (SerialIoctl::WaitOnMask, 0x001B_0048, "WAIT_ON_MASK"),
    (SerialIoctl::Purge, 0x001B_004C, "PURGE"),
    (SerialIoctl::GetBaudRate, 0x001B_0050, "GET_BAUD_RATE"),
    (SerialIoctl::GetLineControl, 0x001B_0054, "GET_LINE_CONTROL"),
    (SerialIoctl::GetChars, 0x001B_0058, "GET_CHARS"),
    (SerialIoctl::SetChars, 0x001B_005C, "SET_CHARS"),
    (SerialIoctl::GetHandflow, 0x001B_0060, "GET_HANDFLOW"),
    (SerialIoctl::SetHandflow, 0x001B_0064, "SET_HANDFLOW"),
    (SerialIoctl::GetModemStatus, 0x001B_0068, "GET_MODEMSTATUS"),
    (SerialIoctl::GetCommStatus, 0x001B_006C, "GET_COMMSTATUS"),
    (SerialIoctl::XoffCounter, 0x001B_0070, "XOFF_COUNTER"),
    (SerialIoctl::GetProperties, 0x001B_0074, "GET_PROPERTIES"),
    (SerialIoctl::GetDtrRts, 0x001B_0078, "GET_DTRRTS"),
    (SerialIoctl::LsrmstInsert, 0x001B_007C, "LSRMST_INSERT"),
    (SerialIoctl::ConfigSize, 0x001B_0080, "CONFIG_SIZE"),
    (SerialIoctl::GetStats, 0x001B_008C, "GET_STATS"),
    (SerialIoctl::ClearStats, 0x001B_0090, "CLEAR_STATS"),
    (
        SerialIoctl::GetModemControl,
        0x001B_0094,
        "GET_MODEM_CONTROL",
    ),
    (
        SerialIoctl::SetModemControl,
        0x001B_0098,
        "SET_MODEM_CONTROL",
    ),
    (SerialIoctl::SetFifoControl, 0x001B_009C, "SET_FIFO_CONTROL"),
];

#[test]
fn public_codes_match_the_spec_table() {
    for (ioctl, code, name) in PUBLIC {
        assert_eq!(ioctl.code(), code, "{ioctl:?}");
        assert_eq!(ioctl.name(), name, "{ioctl:?}");
    }
}

#[test]
fn named_constants_match_the_spec_table() {
    let constants = [
        (IOCTL_SERIAL_SET_BAUD_RATE, 0x001B_0004),
        (IOCTL_SERIAL_SET_QUEUE_SIZE, 0x001B_0008),
        (IOCTL_SERIAL_SET_LINE_CONTROL, 0x001B_000C),
        (IOCTL_SERIAL_SET_BREAK_ON, 0x001B_0010),
        (IOCTL_SERIAL_SET_BREAK_OFF, 0x001B_0014),
        (IOCTL_SERIAL_IMMEDIATE_CHAR, 0x001B_0018),
        (IOCTL_SERIAL_SET_TIMEOUTS, 0x001B_001C),
        (IOCTL_SERIAL_GET_TIMEOUTS, 0x001B_0020),
        (IOCTL_SERIAL_SET_DTR, 0x001B_0024),
        (IOCTL_SERIAL_CLR_DTR, 0x001B_0028),
        (IOCTL_SERIAL_RESET_DEVICE, 0x001B_002C),
        (IOCTL_SERIAL_SET_RTS, 0x001B_0030),
        (IOCTL_SERIAL_CLR_RTS, 0x001B_0034),
        (IOCTL_SERIAL_SET_XOFF, 0x001B_0038),
        (IOCTL_SERIAL_SET_XON, 0x001B_003C),
        (IOCTL_SERIAL_GET_WAIT_MASK, 0x001B_0040),
        (IOCTL_SERIAL_SET_WAIT_MASK, 0x001B_0044),
        (IOCTL_SERIAL_WAIT_ON_MASK, 0x001B_0048),
        (IOCTL_SERIAL_PURGE, 0x001B_004C),
        (IOCTL_SERIAL_GET_BAUD_RATE, 0x001B_0050),
        (IOCTL_SERIAL_GET_LINE_CONTROL, 0x001B_0054),
        (IOCTL_SERIAL_GET_CHARS, 0x001B_0058),
        (IOCTL_SERIAL_SET_CHARS, 0x001B_005C),
        (IOCTL_SERIAL_GET_HANDFLOW, 0x001B_0060),
        (IOCTL_SERIAL_SET_HANDFLOW, 0x001B_0064),
        (IOCTL_SERIAL_GET_MODEMSTATUS, 0x001B_0068),
        (IOCTL_SERIAL_GET_COMMSTATUS, 0x001B_006C),
        (IOCTL_SERIAL_XOFF_COUNTER, 0x001B_0070),
        (IOCTL_SERIAL_GET_PROPERTIES, 0x001B_0074),
        (IOCTL_SERIAL_GET_DTRRTS, 0x001B_0078),
        (IOCTL_SERIAL_LSRMST_INSERT, 0x001B_007C),
        (IOCTL_SERIAL_CONFIG_SIZE, 0x001B_0080),
        (IOCTL_SERIAL_GET_COMMCONFIG, 0x001B_0084),
        (IOCTL_SERIAL_SET_COMMCONFIG, 0x001B_0088),
        (IOCTL_SERIAL_GET_STATS, 0x001B_008C),
        (IOCTL_SERIAL_CLEAR_STATS, 0x001B_0090),
        (IOCTL_SERIAL_GET_MODEM_CONTROL, 0x001B_0094),
        (IOCTL_SERIAL_SET_MODEM_CONTROL, 0x001B_0098),
        (IOCTL_SERIAL_SET_FIFO_CONTROL, 0x001B_009C),
        (IOCTL_SERIAL_APPLY_DEFAULT_CONFIGURATION, 0x001B_00A0),
        (IOCTL_SERIAL_SET_INTERVAL_TIMER_RESOLUTION, 0x001B_00A4),
        (IOCTL_SERIAL_INTERNAL_DO_WAIT_WAKE, 0x001B_0004),
        (IOCTL_SERIAL_INTERNAL_CANCEL_WAIT_WAKE, 0x001B_0008),
        (IOCTL_SERIAL_INTERNAL_BASIC_SETTINGS, 0x001B_000C),
        (IOCTL_SERIAL_INTERNAL_RESTORE_SETTINGS, 0x001B_0010),
    ];
    for (index, (actual, expected)) in constants.into_iter().enumerate() {
        assert_eq!(actual, expected, "constant #{index}");
    }
}

#[test]
fn ctl_code_packs_fields_like_the_c_macro() {
    assert_eq!(
        ctl_code(FILE_DEVICE_SERIAL_PORT, 1, METHOD_BUFFERED, FILE_ANY_ACCESS),
        0x001B_0004
    );
    // Device 0x22 (FILE_DEVICE_UNKNOWN), fn 0x800, METHOD_NEITHER, FILE_WRITE_ACCESS.
    assert_eq!(ctl_code(0x22, 0x800, 3, 2), 0x0022_A003);
}

#[test]
fn internal_codes_match_the_spec_table() {
    let expected = [
        (InternalIoctl::DoWaitWake, 0x001B_0004, "DO_WAIT_WAKE", 0, 0),
        (
            InternalIoctl::CancelWaitWake,
            0x001B_0008,
            "CANCEL_WAIT_WAKE",
            0,
            0,
        ),
        (
            InternalIoctl::BasicSettings,
            0x001B_000C,
            "BASIC_SETTINGS",
            0,
            44,
        ),
        (
            InternalIoctl::RestoreSettings,
            0x001B_0010,
            "RESTORE_SETTINGS",
            44,
            0,
        ),
    ];
    assert_eq!(InternalIoctl::ALL.len(), expected.len());
    for (ioctl, code, name, input, output) in expected {
        assert_eq!(ioctl.code(), code, "{ioctl:?}");
        assert_eq!(ioctl.name(), name, "{ioctl:?}");
        assert_eq!(ioctl.input_size(), input, "{ioctl:?} input");
        assert_eq!(ioctl.output_size(), output, "{ioctl:?} output");
        assert_eq!(InternalIoctl::from_code(code), Some(ioctl));
        assert_eq!(InternalIoctl::from_name(name), Some(ioctl));
        let full = format!("ioctl_serial_internal_{}", name.to_lowercase());
        assert_eq!(InternalIoctl::from_name(&full), Some(ioctl), "{full}");
    }
    assert_eq!(InternalIoctl::from_code(0x001B_0014), None);
    assert_eq!(InternalIoctl::from_name("SET_BAUD_RATE"), None);
}

#[test]
fn all_lists_37_distinct_codes_in_table_order() {
    let listed: Vec<SerialIoctl> = PUBLIC.iter().map(|(ioctl, _, _)| *ioctl).collect();
    assert_eq!(SerialIoctl::ALL.to_vec(), listed);
    let codes: HashSet<u32> = SerialIoctl::ALL.iter().map(|ioctl| ioctl.code()).collect();
    assert_eq!(codes.len(), 37);
}

#[test]
fn from_code_inverts_code() {
    for ioctl in SerialIoctl::ALL {
        assert_eq!(SerialIoctl::from_code(ioctl.code()), Some(ioctl));
    }
}

#[test]
fn unsupported_and_foreign_codes_are_unknown() {
    for code in [
        0,
        IOCTL_SERIAL_GET_COMMCONFIG,
        IOCTL_SERIAL_SET_COMMCONFIG,
        IOCTL_SERIAL_APPLY_DEFAULT_CONFIGURATION,
        IOCTL_SERIAL_SET_INTERVAL_TIMER_RESOLUTION,
        0x001B_0000,
        0x001B_0005, // METHOD_IN_DIRECT variant of SET_BAUD_RATE
        0x002B_0004, // another device type
        u32::MAX,
    ] {
        assert_eq!(SerialIoctl::from_code(code), None, "{code:#x}");
    }
}

#[test]
fn names_round_trip_with_and_without_prefix_in_any_case() {
    for ioctl in SerialIoctl::ALL {
        let name = ioctl.name();
        assert_eq!(SerialIoctl::from_name(name), Some(ioctl));
        assert_eq!(SerialIoctl::from_name(&name.to_lowercase()), Some(ioctl));
        assert_eq!(
            SerialIoctl::from_name(&format!("IOCTL_SERIAL_{name}")),
            Some(ioctl)
        );
        assert_eq!(
            SerialIoctl::from_name(&format!("Ioctl_Serial_{}", name.to_lowercase())),
            Some(ioctl)
        );
    }
    for unknown in [
        "",
        "IOCTL_SERIAL_",
        "GET_COMMCONFIG",
        "SET_BAUD",
        "IOCTL_SERIAL_SET_BAUD_RATE_X",
    ] {
        assert_eq!(SerialIoctl::from_name(unknown), None, "{unknown:?}");
    }
}

#[test]
fn buffer_sizes_match_the_spec_table() {
    // (ioctl, minimum input, minimum output) from the In → Out column of §2.
    let expected = [
        (SerialIoctl::SetBaudRate, 4, 0),
        (SerialIoctl::SetQueueSize, 8, 0),
        (SerialIoctl::SetLineControl, 3, 0),
        (SerialIoctl::SetBreakOn, 0, 0),
        (SerialIoctl::SetBreakOff, 0, 0),
        (SerialIoctl::ImmediateChar, 1, 0),
        (SerialIoctl::SetTimeouts, 20, 0),
        (SerialIoctl::GetTimeouts, 0, 20),
        (SerialIoctl::SetDtr, 0, 0),
        (SerialIoctl::ClrDtr, 0, 0),
        (SerialIoctl::ResetDevice, 0, 0),
        (SerialIoctl::SetRts, 0, 0),
        (SerialIoctl::ClrRts, 0, 0),
        (SerialIoctl::SetXoff, 0, 0),
        (SerialIoctl::SetXon, 0, 0),
        (SerialIoctl::GetWaitMask, 0, 4),
        (SerialIoctl::SetWaitMask, 4, 0),
        (SerialIoctl::WaitOnMask, 0, 4),
        (SerialIoctl::Purge, 4, 0),
        (SerialIoctl::GetBaudRate, 0, 4),
        (SerialIoctl::GetLineControl, 0, 3),
        (SerialIoctl::GetChars, 0, 6),
        (SerialIoctl::SetChars, 6, 0),
        (SerialIoctl::GetHandflow, 0, 16),
        (SerialIoctl::SetHandflow, 16, 0),
        (SerialIoctl::GetModemStatus, 0, 4),
        (SerialIoctl::GetCommStatus, 0, 20),
        (SerialIoctl::XoffCounter, 12, 0),
        (SerialIoctl::GetProperties, 0, 64),
        (SerialIoctl::GetDtrRts, 0, 4),
        (SerialIoctl::LsrmstInsert, 1, 0),
        (SerialIoctl::ConfigSize, 0, 4),
        (SerialIoctl::GetStats, 0, 24),
        (SerialIoctl::ClearStats, 0, 0),
        (SerialIoctl::GetModemControl, 0, 4),
        (SerialIoctl::SetModemControl, 4, 0),
        (SerialIoctl::SetFifoControl, 4, 0),
    ];
    assert_eq!(expected.len(), SerialIoctl::ALL.len());
    for (ioctl, input, output) in expected {
        assert_eq!(ioctl.input_size(), input, "{ioctl:?} input");
        assert_eq!(ioctl.output_size(), output, "{ioctl:?} output");
    }
}
