//! Structure layouts: sizes and field offsets as in the C headers (serial-semantics §3).

use core::mem::{align_of, offset_of, size_of};

use serial_ioctl::*;

#[test]
fn sizes_match_the_spec_table() {
    assert_eq!(size_of::<SerialBaudRate>(), 4);
    assert_eq!(size_of::<SerialLineControl>(), 3);
    assert_eq!(size_of::<SerialTimeouts>(), 20);
    assert_eq!(size_of::<SerialQueueSize>(), 8);
    assert_eq!(size_of::<SerialChars>(), 6);
    assert_eq!(size_of::<SerialHandflow>(), 16);
    assert_eq!(size_of::<SerialStatus>(), 20);
    assert_eq!(size_of::<SerialXoffCounter>(), 12);
    assert_eq!(size_of::<SerialPerfStats>(), 24);
    assert_eq!(size_of::<SerialBasicSettings>(), 44);
    assert_eq!(size_of::<SerialCommProp>(), 64);
}

#[test]
fn alignments_match_c() {
    assert_eq!(align_of::<SerialLineControl>(), 1);
    assert_eq!(align_of::<SerialChars>(), 1);
    assert_eq!(align_of::<SerialStatus>(), 4);
    assert_eq!(align_of::<SerialCommProp>(), 4);
}

#[test]
fn commprop_field_offsets() {
    let offsets = [
        (offset_of!(SerialCommProp, packet_length), 0),
        (offset_of!(SerialCommProp, packet_version), 2),
        (offset_of!(SerialCommProp, service_mask), 4),
        (offset_of!(SerialCommProp, reserved1), 8),
        (offset_of!(SerialCommProp, max_tx_queue), 12),
        (offset_of!(SerialCommProp, max_rx_queue), 16),
        (offset_of!(SerialCommProp, max_baud), 20),
        (offset_of!(SerialCommProp, prov_sub_type), 24),
        (offset_of!(SerialCommProp, prov_capabilities), 28),
        (offset_of!(SerialCommProp, settable_params), 32),
        (offset_of!(SerialCommProp, settable_baud), 36),
        (offset_of!(SerialCommProp, settable_data), 40),
        (offset_of!(SerialCommProp, settable_stop_parity), 42),
        (offset_of!(SerialCommProp, current_tx_queue), 44),
        (offset_of!(SerialCommProp, current_rx_queue), 48),
        (offset_of!(SerialCommProp, prov_spec1), 52),
        (offset_of!(SerialCommProp, prov_spec2), 56),
        (offset_of!(SerialCommProp, prov_char), 60),
        (offset_of!(SerialCommProp, reserved), 62),
    ];
    for (index, (actual, expected)) in offsets.into_iter().enumerate() {
        assert_eq!(actual, expected, "field #{index}");
    }
}

#[test]
fn status_field_offsets() {
    assert_eq!(offset_of!(SerialStatus, errors), 0);
    assert_eq!(offset_of!(SerialStatus, hold_reasons), 4);
    assert_eq!(offset_of!(SerialStatus, amount_in_in_queue), 8);
    assert_eq!(offset_of!(SerialStatus, amount_in_out_queue), 12);
    assert_eq!(offset_of!(SerialStatus, eof_received), 16);
    assert_eq!(offset_of!(SerialStatus, wait_for_immediate), 17);
    assert_eq!(offset_of!(SerialStatus, reserved), 18);
}

#[test]
fn xoff_counter_field_offsets() {
    assert_eq!(offset_of!(SerialXoffCounter, timeout), 0);
    assert_eq!(offset_of!(SerialXoffCounter, counter), 4);
    assert_eq!(offset_of!(SerialXoffCounter, xoff_char), 8);
    assert_eq!(offset_of!(SerialXoffCounter, reserved), 9);
}

#[test]
fn basic_settings_field_offsets() {
    assert_eq!(offset_of!(SerialBasicSettings, timeouts), 0);
    assert_eq!(offset_of!(SerialBasicSettings, handflow), 20);
    assert_eq!(offset_of!(SerialBasicSettings, rx_fifo), 36);
    assert_eq!(offset_of!(SerialBasicSettings, tx_fifo), 40);
}

#[test]
fn handflow_limits_are_signed_and_little_endian_on_the_wire() {
    let mut bytes = [0u8; 16];
    bytes[8..12].copy_from_slice(&(-1i32).to_le_bytes());
    bytes[12..16].copy_from_slice(&512i32.to_le_bytes());
    let handflow: SerialHandflow = decode(&bytes).unwrap();
    assert_eq!(handflow.xon_limit, -1);
    assert_eq!(handflow.xoff_limit, 512);
}
