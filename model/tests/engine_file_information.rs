//! IRP_MJ_QUERY_INFORMATION / IRP_MJ_SET_INFORMATION as serial.sys answers them: a COM port has no
//! size and no position, so GetFileSizeEx sees 0, SetEndOfFile succeeds, a seek fails, and with
//! ERROR_ABORT a latched line error fails them like reads and writes.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_engine::file_information::{
    FILE_ALLOCATION_INFORMATION, FILE_END_OF_FILE_INFORMATION, FILE_POSITION_INFORMATION,
    FILE_STANDARD_INFORMATION,
};
use serial_ioctl::{NtStatus, handflow as hf};
use serial_model::kernel::{Completion, Machine, Operation};
use serial_model::uart::LineErrors;

/// `FileBasicInformation`: times and attributes, which a port does not answer.
const FILE_BASIC_INFORMATION: u32 = 4;

fn query(m: &mut Machine, class: u32, len: usize) -> Completion {
    m.call(0, Operation::QueryInformation { class, len })
}

fn set(m: &mut Machine, class: u32, len: usize) -> Completion {
    m.call(
        0,
        Operation::SetInformation {
            class,
            input: vec![0x5A; len],
        },
    )
}

#[test]
fn get_file_size_sees_an_empty_file_and_the_position_is_zero() {
    let mut m = peer_machine();
    let standard = query(&mut m, FILE_STANDARD_INFORMATION, 24);
    assert_eq!(
        (standard.status, standard.information),
        (NtStatus::SUCCESS, 24)
    );
    assert_eq!(
        standard.output, [0; 24],
        "every field zero, the padding too"
    );
    let position = query(&mut m, FILE_POSITION_INFORMATION, 8);
    assert_eq!(
        (position.status, position.output),
        (NtStatus::SUCCESS, vec![0; 8])
    );
}

#[test]
fn a_short_buffer_or_another_class_is_refused() {
    let mut m = peer_machine();
    let short = query(&mut m, FILE_STANDARD_INFORMATION, 16);
    assert_eq!(
        (short.status, short.information),
        (NtStatus::BUFFER_TOO_SMALL, 0)
    );
    let basic = query(&mut m, FILE_BASIC_INFORMATION, 40);
    assert_eq!(
        (basic.status, basic.information),
        (NtStatus::INVALID_PARAMETER, 0)
    );
}

#[test]
fn set_end_of_file_and_allocation_are_accepted_and_a_seek_is_not() {
    let mut m = peer_machine();
    assert_eq!(
        set(&mut m, FILE_END_OF_FILE_INFORMATION, 8).status,
        NtStatus::SUCCESS
    );
    assert_eq!(
        set(&mut m, FILE_ALLOCATION_INFORMATION, 8).status,
        NtStatus::SUCCESS
    );
    assert_eq!(
        set(&mut m, FILE_POSITION_INFORMATION, 8).status,
        NtStatus::INVALID_PARAMETER
    );
    // Nothing about the port changed: data still flows.
    let at = m.now();
    let end = peer_send(&mut m, b"ok", at);
    m.run_until(end + char_time(9600));
    assert_eq!(read_now(&mut m, 0, 2), b"ok");
}

#[test]
fn with_error_abort_a_latched_error_fails_them_until_get_commstatus() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::ERROR_ABORT,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    let framing = LineErrors {
        parity: false,
        framing: true,
        break_condition: false,
    };
    let at = m.now();
    let end = peer_send_char(&mut m, 0x41, framing, at);
    m.run_until(end + char_time(9600));
    assert_eq!(
        query(&mut m, FILE_STANDARD_INFORMATION, 24).status,
        NtStatus::CANCELLED
    );
    assert_eq!(
        set(&mut m, FILE_END_OF_FILE_INFORMATION, 8).status,
        NtStatus::CANCELLED
    );
    assert_ne!(
        comm_status(&mut m, 0).errors,
        0,
        "the framing error is latched"
    );
    assert_eq!(
        query(&mut m, FILE_STANDARD_INFORMATION, 24).status,
        NtStatus::SUCCESS
    );
}
