//! Receive errors end to end (serial-semantics.md §9.2–§9.4, §12.1): parity, framing, overrun and
//! break from a scripted peer; the latched error word and the statistics; ERROR_CHAR and
//! BREAK_CHAR replacement, NULL_STRIPPING, queue overrun, and LSRMST_INSERT records.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{
    NtStatus, SerialIoctl, SerialLineControl, SerialPerfStats, error, handflow as hf, line_control,
    lsrmst, msr,
};
use serial_model::kernel::{Completion, Machine, Operation};
use serial_model::uart::{FrameFormat, LineErrors, Parity, StopBits};

const PARITY: LineErrors = LineErrors {
    parity: true,
    framing: false,
    break_condition: false,
};
const FRAMING: LineErrors = LineErrors {
    parity: false,
    framing: true,
    break_condition: false,
};

/// LSR bits as the records carry them.
const LSR_DR: u8 = 0x01;
const LSR_OE: u8 = 0x02;
const LSR_PE: u8 = 0x04;
const LSR_FE: u8 = 0x08;
const LSR_BI: u8 = 0x10;

fn finish(mut m: Machine) {
    m.close(0);
    assert!(m.finish().is_empty());
}

fn stats(m: &mut Machine) -> SerialPerfStats {
    let c = ok(ioctl(m, 0, SerialIoctl::GetStats, &[], 24));
    output!(SerialPerfStats, c)
}

/// A peer machine at 9600 8E1 on both ends, so parity errors can be injected.
fn even_parity_machine(tweak: impl FnOnce(&mut serial_model::kernel::MachineConfig)) -> Machine {
    let mut m = peer_machine_with(tweak);
    let lc = SerialLineControl {
        stop_bits: line_control::STOP_BIT_1,
        parity: line_control::EVEN_PARITY,
        word_length: 8,
    };
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetLineControl,
        &bytes!(lc),
        0,
    ));
    m.board_mut().peer().unwrap().set_format(FrameFormat::new(
        9600,
        8,
        Parity::Even,
        StopBits::One,
    ));
    m
}

fn special_chars(m: &mut Machine, error_char: u8, break_char: u8) {
    let mut chars = get_chars(m, 0);
    chars.error_char = error_char;
    chars.break_char = break_char;
    ok(set_chars(m, 0, chars));
}

fn flow(m: &mut Machine, extra: u32) -> Completion {
    set_handflow(m, 0, hf::DTR_CONTROL, hf::RTS_CONTROL | extra, 0, 0)
}

/// Everything in the ring, without waiting (a read with ReadIntervalTimeout = MAXDWORD; unlike
/// GET_COMMSTATUS it leaves the latched errors alone).
fn drain(m: &mut Machine) -> Vec<u8> {
    set_timeouts(m, 0, u32::MAX, 0, 0, 0, 0);
    ok(m.call(0, Operation::Read { len: 4096 })).output
}

/// Gates the UART interrupt (OUT2 off) while the peer sends `bytes`, then opens it again: the
/// 16-byte receive FIFO overflows.
fn overflow_the_fifo(m: &mut Machine, bytes: &[u8]) {
    ok(ioctl(
        m,
        0,
        SerialIoctl::SetModemControl,
        &0x03u32.to_le_bytes(),
        0,
    ));
    let at = m.now();
    let end = peer_send(m, bytes, at);
    m.run_until(end + crate::MS);
    ok(ioctl(
        m,
        0,
        SerialIoctl::SetModemControl,
        &0x0Bu32.to_le_bytes(),
        0,
    ));
    m.run_for(crate::MS);
}

// ----- errors, error word, statistics ----------------------------------------------------------

#[test]
fn parity_error_latches_and_counts_and_the_byte_is_kept() {
    let mut m = even_parity_machine(|_| {});
    let at = m.now();
    let end = peer_send(&mut m, b"a", at);
    let end = peer_send_char(&mut m, b'p', PARITY, end);
    let end = peer_send(&mut m, b"b", end);
    m.run_until(end + MS);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.errors, error::PARITY);
    assert_eq!(
        drain(&mut m),
        b"apb",
        "without ERROR_CHAR the byte is delivered"
    );
    let s = stats(&mut m);
    assert_eq!((s.parity_error_count, s.frame_error_count), (1, 0));
    assert_eq!(s.received_count, 3);
    finish(m);
}

#[test]
fn framing_error_latches_and_counts() {
    let mut m = peer_machine();
    let at = m.now();
    let mut end = at;
    for _ in 0..2 {
        end = peer_send_char(&mut m, b'f', FRAMING, end);
    }
    m.run_until(end + MS);
    assert_eq!(comm_status(&mut m, 0).errors, error::FRAMING);
    let s = stats(&mut m);
    assert_eq!((s.frame_error_count, s.parity_error_count), (2, 0));
    assert_eq!(drain(&mut m), b"ff");
    finish(m);
}

#[test]
fn break_latches_break_only() {
    let mut m = even_parity_machine(|_| {});
    let at = m.now();
    let end = peer_break(&mut m, at);
    m.run_until(end + MS);
    assert_eq!(comm_status(&mut m, 0).errors, error::BREAK);
    let s = stats(&mut m);
    assert_eq!(
        (
            s.frame_error_count,
            s.parity_error_count,
            s.serial_overrun_error_count
        ),
        (0, 0, 0),
        "a break is no framing or parity error"
    );
    finish(m);
}

#[test]
fn uart_overrun_latches_overrun_and_keeps_the_fifo() {
    let mut m = peer_machine();
    let data = payload(20);
    overflow_the_fifo(&mut m, &data);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.errors, error::OVERRUN);
    assert_eq!(status.amount_in_in_queue, 16);
    assert_eq!(drain(&mut m), data[..16], "the FIFO's 16 bytes survive");
    let s = stats(&mut m);
    assert_eq!(s.serial_overrun_error_count, 1);
    assert_eq!(s.buffer_overrun_error_count, 0);
    finish(m);
}

#[test]
fn queue_overrun_when_the_ring_is_full() {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
    let data = payload(131);
    let at = m.now();
    let end = peer_send(&mut m, &data, at);
    m.run_until(end + MS);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.errors, error::QUEUEOVERRUN);
    assert_eq!(status.amount_in_in_queue, 128);
    let s = stats(&mut m);
    assert_eq!(s.buffer_overrun_error_count, 3);
    assert_eq!(s.received_count, 131);
    assert_eq!(drain(&mut m), data[..128], "the first 128 bytes, unchanged");
    finish(m);
}

#[test]
fn queue_overrun_with_error_abort_cancels_reads_and_writes() {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::ERROR_ABORT,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let write = m.submit(0, Operation::Write { data: payload(5) });
    m.run_for(MS);
    let at = m.now();
    let end = peer_send(&mut m, &payload(129), at);
    m.run_until(end + MS);
    let w = m.completion(write).expect("cancelled by the overrun");
    assert_eq!((w.status, w.information), (NtStatus::CANCELLED, 0));
    assert_eq!(w.completed_at, end);
    let read = m.call(0, Operation::Read { len: 1 });
    assert_eq!(
        read.status,
        NtStatus::CANCELLED,
        "blocked until GET_COMMSTATUS"
    );
    assert_eq!(comm_status(&mut m, 0).errors, error::QUEUEOVERRUN);
    assert_eq!(read_now(&mut m, 0, 1), payload(1));
    finish(m);
}

// ----- ERROR_CHAR, BREAK_CHAR, NULL_STRIPPING ------------------------------------------------------

#[test]
fn error_char_replaces_bytes_with_parity_or_framing_errors() {
    let mut m = even_parity_machine(|_| {});
    special_chars(&mut m, b'?', b'#');
    ok(flow(&mut m, hf::ERROR_CHAR));
    let at = m.now();
    let end = peer_send(&mut m, b"a", at);
    let end = peer_send_char(&mut m, b'p', PARITY, end);
    let end = peer_send(&mut m, b"b", end);
    let end = peer_send_char(&mut m, b'f', FRAMING, end);
    let end = peer_send(&mut m, b"c", end);
    m.run_until(end + MS);
    assert_eq!(drain(&mut m), b"a?b?c");
    assert_eq!(
        comm_status(&mut m, 0).errors,
        error::PARITY | error::FRAMING
    );
    let s = stats(&mut m);
    assert_eq!((s.parity_error_count, s.frame_error_count), (1, 1));
    assert_eq!(s.received_count, 5, "replaced bytes were received too");
    finish(m);
}

#[test]
fn error_char_marks_a_uart_overrun() {
    let mut m = peer_machine();
    special_chars(&mut m, b'?', b'#');
    ok(flow(&mut m, hf::ERROR_CHAR));
    let data: Vec<u8> = (b'A'..=b'T').collect();
    overflow_the_fifo(&mut m, &data);
    let got = drain(&mut m);
    assert_eq!(got.len(), 17, "16 FIFO bytes and one error char: {got:?}");
    assert_eq!(got.iter().filter(|&&b| b == b'?').count(), 1);
    let kept: Vec<u8> = got.iter().copied().filter(|&b| b != b'?').collect();
    assert_eq!(kept, data[..16]);
    assert_eq!(comm_status(&mut m, 0).errors, error::OVERRUN);
    finish(m);
}

#[test]
fn error_char_overwrites_the_last_stored_byte_when_the_ring_overflows() {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
    special_chars(&mut m, b'?', b'#');
    ok(flow(&mut m, hf::ERROR_CHAR));
    let data: Vec<u8> = (0..130u32).map(|i| b'a' + (i % 26) as u8).collect();
    let at = m.now();
    let end = peer_send(&mut m, &data, at);
    m.run_until(end + MS);
    let got = drain(&mut m);
    assert_eq!(got.len(), 128);
    assert_eq!(got[..127], data[..127]);
    assert_eq!(got[127], b'?', "the last stored byte became the error char");
    assert_eq!(comm_status(&mut m, 0).errors, error::QUEUEOVERRUN);
    finish(m);
}

#[test]
fn break_char_is_inserted_for_a_break() {
    let mut m = peer_machine();
    special_chars(&mut m, b'?', b'#');
    ok(flow(&mut m, hf::BREAK_CHAR | hf::NULL_STRIPPING));
    let at = m.now();
    let end = peer_send(&mut m, b"x", at);
    let end = peer_break(&mut m, end);
    let end = peer_send(&mut m, b"y", end);
    m.run_until(end + MS);
    assert_eq!(
        drain(&mut m),
        b"x#y",
        "break char in place of the break (its NUL stripped)"
    );
    assert_eq!(comm_status(&mut m, 0).errors, error::BREAK);

    // Without NULL_STRIPPING the break char still comes first.
    ok(flow(&mut m, hf::BREAK_CHAR));
    let at = m.now();
    let end = peer_break(&mut m, at);
    m.run_until(end + MS);
    assert_eq!(drain(&mut m).first(), Some(&b'#'));
    // ERROR_CHAR does not apply to a break.
    ok(flow(&mut m, hf::ERROR_CHAR | hf::NULL_STRIPPING));
    let at = m.now();
    let end = peer_break(&mut m, at);
    m.run_until(end + MS);
    assert_eq!(drain(&mut m), b"");
    finish(m);
}

#[test]
fn null_stripping_drops_received_nuls() {
    let mut m = peer_machine();
    ok(flow(&mut m, hf::NULL_STRIPPING));
    let at = m.now();
    let end = peer_send(&mut m, b"\0a\0\0b\0", at);
    m.run_until(end + MS);
    assert_eq!(drain(&mut m), b"ab");
    ok(flow(&mut m, 0));
    let at = m.now();
    let end = peer_send(&mut m, b"\0c", at);
    m.run_until(end + MS);
    assert_eq!(drain(&mut m), b"\0c", "kept once stripping is off");
    finish(m);
}

// ----- LSRMST_INSERT -------------------------------------------------------------------------------

const ESC: u8 = 0xFF;

fn lsrmst(m: &mut Machine, escape: u8) -> Completion {
    ioctl(m, 0, SerialIoctl::LsrmstInsert, &[escape], 0)
}

#[test]
fn lsrmst_escape_char_is_validated() {
    let mut m = peer_machine();
    let c = ok(lsrmst(&mut m, ESC));
    assert_eq!(c.information, 0, "no output buffer (README deviation)");
    for clash in [0x11, 0x13] {
        assert_eq!(
            lsrmst(&mut m, clash).status,
            NtStatus::INVALID_PARAMETER,
            "escape {clash:#x} equals XON/XOFF"
        );
    }
    ok(lsrmst(&mut m, 0));
    ok(flow(&mut m, hf::ERROR_CHAR));
    assert_eq!(
        lsrmst(&mut m, ESC).status,
        NtStatus::INVALID_PARAMETER,
        "not while ERROR_CHAR replacement is on"
    );
    ok(lsrmst(&mut m, 0));
    ok(flow(&mut m, 0));
    ok(lsrmst(&mut m, ESC));
    // A rejected change keeps the escape char that was set.
    assert_eq!(lsrmst(&mut m, 0x13).status, NtStatus::INVALID_PARAMETER);
    let at = m.now();
    let end = peer_send(&mut m, &[ESC], at);
    m.run_until(end + MS);
    assert_eq!(drain(&mut m), [ESC, lsrmst::ESCAPE], "escape still active");
    finish(m);
}

#[test]
fn lsrmst_escapes_a_received_escape_char() {
    let mut m = peer_machine();
    ok(lsrmst(&mut m, ESC));
    let at = m.now();
    let end = peer_send(&mut m, &[b'a', ESC, b'b'], at);
    m.run_until(end + MS);
    assert_eq!(drain(&mut m), [b'a', ESC, lsrmst::ESCAPE, b'b']);
    finish(m);
}

#[test]
fn lsrmst_records_line_status_errors_with_their_data() {
    let mut m = even_parity_machine(|_| {});
    ok(lsrmst(&mut m, ESC));
    let at = m.now();
    let end = peer_send(&mut m, b"a", at);
    let end = peer_send_char(&mut m, b'p', PARITY, end);
    let end = peer_send(&mut m, b"b", end);
    let end = peer_send_char(&mut m, b'f', FRAMING, end);
    let end = peer_break(&mut m, end);
    m.run_until(end + MS);
    let got = drain(&mut m);
    assert_eq!(got.len(), 1 + 4 + 1 + 4 + 4, "{got:02x?}");
    assert_eq!(got[0], b'a');
    let record = |at: usize, error: u8, data: u8| {
        assert_eq!(got[at..at + 2], [ESC, lsrmst::LSR_DATA], "{got:02x?}");
        assert_eq!(
            got[at + 2] & (LSR_DR | LSR_OE | LSR_PE | LSR_FE | LSR_BI),
            LSR_DR | error,
            "{got:02x?}"
        );
        assert_eq!(got[at + 3], data, "{got:02x?}");
    };
    record(1, LSR_PE, b'p');
    assert_eq!(got[5], b'b');
    record(6, LSR_FE, b'f');
    record(10, LSR_BI, 0x00);
    assert_eq!(
        comm_status(&mut m, 0).errors,
        error::PARITY | error::FRAMING | error::BREAK,
        "errors latch as well"
    );
    assert_eq!(
        stats(&mut m).received_count,
        5,
        "record data bytes count as received"
    );
    finish(m);
}

#[test]
fn lsrmst_records_an_overrun() {
    let mut m = peer_machine();
    ok(lsrmst(&mut m, ESC));
    let data: Vec<u8> = (b'A'..=b'T').collect();
    overflow_the_fifo(&mut m, &data);
    let got = drain(&mut m);
    let at = got
        .windows(2)
        .position(|w| w == [ESC, lsrmst::LSR_DATA])
        .expect("an LSR record");
    assert_eq!(
        got[at + 2] & (LSR_OE | LSR_DR),
        LSR_OE | LSR_DR,
        "{got:02x?}"
    );
    let mut rest = got.clone();
    rest.drain(at..at + 3);
    assert_eq!(rest, data[..16], "the record carries the FIFO's next byte");
    finish(m);
}

#[test]
fn lsrmst_records_modem_status_changes() {
    let mut m = peer_machine();
    ok(lsrmst(&mut m, ESC));
    let at = m.now() + MS;
    peer_lines(&mut m, lines(true, false, false, false), at);
    peer_lines(&mut m, lines(true, true, false, true), at + MS);
    m.run_until(at + 2 * MS);
    assert_eq!(
        drain(&mut m),
        [
            ESC,
            lsrmst::MST,
            msr::CTS | msr::DCTS,
            ESC,
            lsrmst::MST,
            msr::CTS | msr::DSR | msr::DCD | msr::DDSR | msr::DDCD
        ]
    );
    finish(m);
}

#[test]
fn lsrmst_is_off_again_after_reopening() {
    let mut m = peer_machine();
    ok(lsrmst(&mut m, ESC));
    m.close(0);
    open_8n1(&mut m, 0, 9600);
    let at = m.now();
    let end = peer_send(&mut m, &[ESC], at);
    peer_lines(&mut m, lines(true, false, false, false), end + MS);
    m.run_until(end + 2 * MS);
    assert_eq!(drain(&mut m), [ESC], "no records, no escaping");
    finish(m);
}
