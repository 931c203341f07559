//! Read and write timeouts end to end (serial-semantics.md §5, §6): the read-timeout matrix cases
//! A–G at exact virtual times against a scripted peer, SET/GET_TIMEOUTS, zero-length requests,
//! write total timeouts under flow control, and flush ordering.
//!
//! The port runs at 9600 8N1 with a receive FIFO trigger of one byte, so the ISR stores each byte
//! at the instant its stop bit ends and interval timing is exact.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{NtStatus, SerialHandflow, SerialIoctl, SerialTimeouts, handflow};
use serial_model::kernel::{Completion, Machine, Operation, RequestHandle};
use serial_model::uart::{FrameFormat, ModemInputs};
use serial_model::wire::Topology;

const BAUD: u32 = 9600;
const MAX: u32 = u32::MAX;

/// A 9600 8N1 port facing the default 9600 8N1 scripted peer, receive trigger 1.
fn peer_port() -> Machine {
    let mut m = machine_with(Topology::Peer, |config| config.device.rx_fifo_trigger = 1);
    open_8n1(&mut m, 0, BAUD);
    m
}

/// The peer sends `bytes` back to back from `start`; returns the end time of each character.
fn send(m: &mut Machine, bytes: &[u8], start: u64) -> Vec<u64> {
    let mut board = m.board_mut();
    let peer = board.peer().expect("a scripted peer");
    // An empty burst returns when the peer's line is free (`start` or later).
    let begin = peer.send(&[], start);
    peer.send(bytes, begin);
    let format = FrameFormat::eight_n_one(BAUD);
    (1..=bytes.len() as u64)
        .map(|k| begin + format.characters_time(k))
        .collect()
}

/// The peer sends one byte whose stop bit ends exactly at `end`.
fn byte_ending_at(m: &mut Machine, byte: u8, end: u64) {
    let start = end - FrameFormat::eight_n_one(BAUD).character_time();
    let ends = send(m, &[byte], start);
    assert_eq!(ends, [end]);
}

/// Lets everything submitted so far reach the driver, so requests arrive in program order
/// (requests submitted at one instant are otherwise dispatched concurrently, in any order).
fn dispatch(m: &mut Machine) {
    let now = m.now();
    m.run_until(now);
}

/// Submits `operation` to port 0 and dispatches it.
fn submit(m: &mut Machine, operation: Operation) -> RequestHandle {
    let handle = m.submit(0, operation);
    dispatch(m);
    handle
}

fn read(m: &mut Machine, len: usize) -> RequestHandle {
    submit(m, Operation::Read { len })
}

fn pending(m: &Machine, handle: RequestHandle) -> bool {
    m.completion(handle).is_none()
}

fn finish(m: &mut Machine, handle: RequestHandle) -> Completion {
    m.run_until_complete(handle, 60_000 * MS)
        .unwrap_or_else(|| panic!("request never completed\n{}", m.report()))
}

fn get_timeouts(m: &mut Machine) -> SerialTimeouts {
    let got = ok(ioctl(m, 0, SerialIoctl::GetTimeouts, &[], 20));
    assert_eq!(got.information, 20);
    serial_ioctl::decode(&got.output).unwrap()
}

fn timeouts(ri: u32, rm: u32, rc: u32, wm: u32, wc: u32) -> SerialTimeouts {
    SerialTimeouts {
        read_interval_timeout: ri,
        read_total_timeout_multiplier: rm,
        read_total_timeout_constant: rc,
        write_total_timeout_multiplier: wm,
        write_total_timeout_constant: wc,
    }
}

fn assert_timeout(c: &Completion, data: &[u8]) {
    assert_eq!(c.status, NtStatus::TIMEOUT, "{c:?}");
    assert!(c.status.is_success(), "STATUS_TIMEOUT is a success code");
    assert_eq!(c.information, data.len(), "{c:?}");
    assert_eq!(c.output, data);
}

fn end(mut m: Machine) {
    m.close(0);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

// ----- case A ---------------------------------------------------------------------------------

#[test]
fn case_a_waits_for_all_n_bytes() {
    let mut m = peer_port();
    let t0 = m.now();
    let r = read(&mut m, 4);
    send(&mut m, b"ab", t0);
    m.run_until(t0 + 2_000 * MS);
    assert!(pending(&m, r), "no timeout configured: the read waits");
    let ends = send(&mut m, b"cd", t0 + 2_000 * MS);
    let c = finish(&mut m, r);
    assert_eq!(c.status, NtStatus::SUCCESS);
    assert_eq!(c.output, b"abcd");
    assert_eq!(
        c.completed_at, ends[1],
        "completes as the fourth byte arrives"
    );
    end(m);
}

// ----- case B ---------------------------------------------------------------------------------

#[test]
fn case_b_interval_alone_never_times_out_on_an_empty_line() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 20, 0, 0, 0, 0);
    let t0 = m.now();
    let r = read(&mut m, 10);
    m.run_until(t0 + 5_000 * MS);
    assert!(
        pending(&m, r),
        "the interval timer runs only from the first byte"
    );
    let ends = send(&mut m, b"xyz", t0 + 5_000 * MS);
    let c = finish(&mut m, r);
    assert_timeout(&c, b"xyz");
    assert_eq!(c.completed_at, ends[2] + 20 * MS);
    end(m);
}

#[test]
fn case_b_gap_longer_than_the_interval_ends_the_read_with_the_partial_count() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 20, 0, 0, 0, 0);
    let t0 = m.now();
    let r = read(&mut m, 10);
    // Gaps of 15 ms keep the read going; the gap of 25 ms after the third byte ends it.
    for (i, byte) in b"1234".iter().enumerate() {
        let offset = [10, 25, 40, 65][i];
        byte_ending_at(&mut m, *byte, t0 + offset * MS);
    }
    let c = finish(&mut m, r);
    assert_timeout(&c, b"123");
    assert_eq!(c.completed_at, t0 + 60 * MS, "third byte + RI");
    // The fourth byte was not lost: the next read gets it.
    let next = read(&mut m, 10);
    let next = finish(&mut m, next);
    assert_timeout(&next, b"4");
    assert_eq!(next.completed_at, t0 + 85 * MS);
    end(m);
}

#[test]
fn buffered_bytes_start_the_interval_when_the_read_starts() {
    let mut m = peer_port();
    let now = m.now();
    send(&mut m, b"old", now);
    m.run_for(100 * MS);
    set_timeouts(&mut m, 0, 20, 0, 0, 0, 0);
    let t1 = m.now();
    let r = read(&mut m, 10);
    let c = finish(&mut m, r);
    assert_timeout(&c, b"old");
    assert_eq!(
        c.completed_at,
        t1 + 20 * MS,
        "bytes taken from the typeahead count as arrivals at the read's start"
    );
    end(m);
}

// ----- case C ---------------------------------------------------------------------------------

#[test]
fn case_c_total_runs_from_when_the_read_becomes_current() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 0, 2, 30, 0, 0);
    let t0 = m.now();
    let first = read(&mut m, 10); // 10·2 + 30 = 50 ms
    let second = read(&mut m, 5); // 5·2 + 30 = 40 ms, from when the first completes
    send(&mut m, b"abc", t0 + 10 * MS);
    let c1 = finish(&mut m, first);
    assert_timeout(&c1, b"abc");
    assert_eq!(c1.completed_at, t0 + 50 * MS);
    let c2 = finish(&mut m, second);
    assert_timeout(&c2, b"");
    assert_eq!(c2.submitted_at, t0);
    assert_eq!(c2.completed_at, t0 + 90 * MS, "not 40 ms after submission");
    end(m);
}

#[test]
fn case_c_all_bytes_before_the_total_is_success() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 0, 10, 100, 0, 0);
    let t0 = m.now();
    let r = read(&mut m, 3);
    let ends = send(&mut m, b"abc", t0 + 5 * MS);
    let c = finish(&mut m, r);
    assert_eq!(c.status, NtStatus::SUCCESS);
    assert_eq!(c.output, b"abc");
    assert_eq!(c.completed_at, ends[2]);
    // The timer is gone with the read: nothing fires at 130 ms.
    m.run_until(t0 + 200 * MS);
    end(m);
}

// ----- case D ---------------------------------------------------------------------------------

#[test]
fn case_d_interval_fires_first() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 10, 0, 100, 0, 0);
    let t0 = m.now();
    let r = read(&mut m, 10);
    byte_ending_at(&mut m, b'q', t0 + 5 * MS);
    let c = finish(&mut m, r);
    assert_timeout(&c, b"q");
    assert_eq!(c.completed_at, t0 + 15 * MS);
    end(m);
}

#[test]
fn case_d_total_fires_first() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 10, 0, 30, 0, 0);
    let t0 = m.now();
    let r = read(&mut m, 10);
    // A byte every 5 ms keeps the interval from expiring; the total ends the read at 30 ms.
    for (i, byte) in b"abcdefg".iter().enumerate() {
        byte_ending_at(&mut m, *byte, t0 + (5 * i as u64 + 4) * MS);
    }
    let c = finish(&mut m, r);
    assert_timeout(&c, b"abcdef");
    assert_eq!(c.completed_at, t0 + 30 * MS);
    end(m);
}

#[test]
fn case_d_total_and_interval_due_at_the_same_instant_complete_once() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 10, 0, 20, 0, 0);
    let t0 = m.now();
    let r = read(&mut m, 10);
    byte_ending_at(&mut m, b'z', t0 + 10 * MS); // interval due at 20 ms, as is the total
    let c = finish(&mut m, r);
    assert_timeout(&c, b"z");
    assert_eq!(c.completed_at, t0 + 20 * MS);
    // The second timer's DPC must find nothing to complete (checked by the verifier at the end).
    m.run_for(50 * MS);
    end(m);
}

// ----- case E ---------------------------------------------------------------------------------

#[test]
fn case_e_returns_at_once_with_what_is_buffered_even_nothing() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, MAX, 0, 0, 0, 0);
    let empty = read(&mut m, 10);
    let empty = finish(&mut m, empty);
    assert_eq!(empty.status, NtStatus::SUCCESS);
    assert_eq!(empty.information, 0);
    assert_eq!(empty.completed_at, empty.submitted_at);
    let now = m.now();
    send(&mut m, b"abc", now);
    m.run_for(10 * MS);
    let some = read(&mut m, 10);
    let some = finish(&mut m, some);
    assert_eq!(some.status, NtStatus::SUCCESS);
    assert_eq!(some.output, b"abc");
    assert_eq!(some.completed_at, some.submitted_at);
    end(m);
}

// ----- cases F, F0, G ---------------------------------------------------------------------------

#[test]
fn case_f_waits_for_one_byte_up_to_the_constant() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, MAX, MAX, 50, 0, 0);
    let t0 = m.now();
    // Nothing buffered: the read shrinks to one byte and returns it as soon as it arrives.
    let first = read(&mut m, 10);
    let ends = send(&mut m, b"abc", t0 + 20 * MS);
    let first = finish(&mut m, first);
    assert_eq!(first.status, NtStatus::SUCCESS);
    assert_eq!(first.output, b"a");
    assert_eq!(first.completed_at, ends[0]);
    // Bytes buffered: returned at once.
    m.run_for(10 * MS);
    let buffered = read(&mut m, 10);
    let buffered = finish(&mut m, buffered);
    assert_eq!(buffered.status, NtStatus::SUCCESS);
    assert_eq!(buffered.output, b"bc");
    assert_eq!(buffered.completed_at, buffered.submitted_at);
    // Nothing arrives: STATUS_TIMEOUT with 0 bytes after C.
    let t1 = m.now();
    let none = read(&mut m, 10);
    let none = finish(&mut m, none);
    assert_timeout(&none, b"");
    assert_eq!(none.completed_at, t1 + 50 * MS);
    end(m);
}

#[test]
fn case_f0_times_out_at_once_on_an_empty_line() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, MAX, MAX, 0, 0, 0);
    let none = read(&mut m, 10);
    let none = finish(&mut m, none);
    assert_timeout(&none, b"");
    assert_eq!(none.completed_at, none.submitted_at);
    let now = m.now();
    send(&mut m, b"hi", now);
    m.run_for(10 * MS);
    let some = read(&mut m, 10);
    let some = finish(&mut m, some);
    assert_eq!(some.status, NtStatus::SUCCESS);
    assert_eq!(some.output, b"hi");
    assert_eq!(some.completed_at, some.submitted_at);
    end(m);
}

#[test]
fn case_g_buffered_returns_at_once_otherwise_full_length_total() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, MAX, 2, 10, 0, 0);
    let t0 = m.now();
    // Nothing buffered: a normal total-timeout read of N·M + C = 30 ms for the full 10 bytes,
    // not shrunk to the first byte.
    let r = read(&mut m, 10);
    send(&mut m, b"abc", t0 + 5 * MS);
    let c = finish(&mut m, r);
    assert_timeout(&c, b"abc");
    assert_eq!(c.completed_at, t0 + 30 * MS);
    // All ten arrive in time: SUCCESS at the tenth.
    let t1 = m.now();
    let r = read(&mut m, 10);
    let ends = send(&mut m, b"0123456789", t1);
    let c = finish(&mut m, r);
    assert_eq!(c.status, NtStatus::SUCCESS);
    assert_eq!(c.output, b"0123456789");
    assert_eq!(c.completed_at, ends[9]);
    // Buffered bytes: at once.
    let now = m.now();
    send(&mut m, b"xy", now);
    m.run_for(10 * MS);
    let r = read(&mut m, 10);
    let c = finish(&mut m, r);
    assert_eq!(c.status, NtStatus::SUCCESS);
    assert_eq!(c.output, b"xy");
    assert_eq!(c.completed_at, c.submitted_at);
    end(m);
}

// ----- sampling, validation, zero length --------------------------------------------------------

#[test]
fn timeouts_are_sampled_when_a_read_becomes_current() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 0, 0, 50, 0, 0);
    let t0 = m.now();
    let first = read(&mut m, 4);
    let second = read(&mut m, 4);
    m.run_until(t0 + 10 * MS);
    set_timeouts(&mut m, 0, 0, 0, 10, 0, 0);
    let c1 = finish(&mut m, first);
    assert_timeout(&c1, b"");
    assert_eq!(
        c1.completed_at,
        t0 + 50 * MS,
        "the running read keeps its 50 ms"
    );
    let c2 = finish(&mut m, second);
    assert_timeout(&c2, b"");
    assert_eq!(
        c2.completed_at,
        t0 + 60 * MS,
        "the queued read starts later and takes the new 10 ms"
    );
    end(m);
}

#[test]
fn reads_queued_behind_a_read_complete_in_order_with_their_own_timeouts() {
    let mut m = peer_port();
    let t0 = m.now();
    let first = read(&mut m, 2); // case A: waits for both bytes
    m.run_for(MS);
    set_timeouts(&mut m, 0, MAX, 0, 0, 0, 0); // case E for everything that starts later
    let queued: Vec<_> = (0..12).map(|_| read(&mut m, 4)).collect();
    m.run_for(10 * MS);
    assert!(
        queued.iter().all(|&r| pending(&m, r)),
        "reads are served one at a time"
    );
    let ends = send(&mut m, b"ok", t0 + 20 * MS);
    let c = finish(&mut m, first);
    assert_eq!(c.status, NtStatus::SUCCESS);
    assert_eq!(c.output, b"ok");
    assert_eq!(c.completed_at, ends[1]);
    for r in queued {
        let q = finish(&mut m, r);
        assert_eq!((q.status, q.information), (NtStatus::SUCCESS, 0));
        assert_eq!(q.completed_at, ends[1]);
    }
    end(m);
}

#[test]
fn set_timeouts_rejects_interval_and_constant_both_max_and_keeps_the_old_values() {
    let mut m = peer_port();
    let kept = timeouts(7, 11, 13, 17, 19);
    ok(ioctl(&mut m, 0, SerialIoctl::SetTimeouts, &bytes!(kept), 0));
    assert_eq!(get_timeouts(&mut m), kept);
    for rm in [0, 5, MAX] {
        let bad = timeouts(MAX, rm, MAX, 1, 2);
        let c = ioctl(&mut m, 0, SerialIoctl::SetTimeouts, &bytes!(bad), 0);
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "RM = {rm:#x}");
        assert_eq!(c.information, 0);
        assert_eq!(get_timeouts(&mut m), kept, "the old values stay in force");
    }
    for good in [
        timeouts(MAX, MAX, MAX - 1, MAX, MAX),
        timeouts(0, MAX, MAX, 0, 0),
        timeouts(MAX, 0, 0, 0, 0),
        timeouts(0, 0, 0, 0, 0),
    ] {
        ok(ioctl(&mut m, 0, SerialIoctl::SetTimeouts, &bytes!(good), 0));
        assert_eq!(get_timeouts(&mut m), good, "stored exactly");
    }
    end(m);
}

#[test]
fn zero_length_read_and_write_complete_at_once() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 0, 10, 100, 10, 100);
    // With and without a read and a write pending ahead of them.
    for busy in [false, true] {
        if busy {
            ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
            let _ = read(&mut m, 5);
            let _ = m.submit(
                0,
                Operation::Write {
                    data: b"held".to_vec(),
                },
            );
            m.run_for(MS);
        }
        let r = read(&mut m, 0);
        let w = submit(&mut m, Operation::Write { data: Vec::new() });
        for handle in [r, w] {
            let c = finish(&mut m, handle);
            assert_eq!((c.status, c.information), (NtStatus::SUCCESS, 0));
            assert_eq!(
                c.completed_at, c.submitted_at,
                "never pends, never starts a timer"
            );
        }
    }
    end(m);
}

// ----- write timeouts -----------------------------------------------------------------------------

fn cts_handshake(m: &mut Machine) {
    let hf = SerialHandflow {
        control_handshake: handflow::DTR_CONTROL | handflow::CTS_HANDSHAKE,
        flow_replace: handflow::RTS_CONTROL,
        xon_limit: 0,
        xoff_limit: 0,
    };
    ok(ioctl(m, 0, SerialIoctl::SetHandflow, &bytes!(hf), 0));
}

fn peer_cts(m: &mut Machine, cts: bool, at: u64) {
    let lines = ModemInputs {
        cts,
        dsr: true,
        ri: false,
        dcd: true,
    };
    m.board_mut().peer().unwrap().set_lines(lines, at);
}

fn peer_received(m: &mut Machine) -> Vec<u8> {
    m.board_mut().peer().unwrap().received_bytes()
}

#[test]
fn write_held_from_the_start_times_out_with_nothing_sent() {
    let mut m = peer_port();
    cts_handshake(&mut m); // the peer holds CTS low
    set_timeouts(&mut m, 0, 0, 0, 0, 3, 20);
    let t0 = m.now();
    let w = submit(&mut m, Operation::Write { data: payload(10) });
    let c = finish(&mut m, w);
    assert_eq!((c.status, c.information), (NtStatus::TIMEOUT, 0));
    assert!(c.status.is_success());
    assert_eq!(c.completed_at, t0 + 50 * MS, "10·3 + 20 ms");
    m.run_for(50 * MS);
    assert!(peer_received(&mut m).is_empty());
    end(m);
}

#[test]
fn write_stopped_by_cts_partway_reports_the_bytes_handed_to_the_uart() {
    let mut m = peer_port();
    let t0 = m.now();
    peer_cts(&mut m, true, t0);
    m.run_for(MS);
    cts_handshake(&mut m);
    set_timeouts(&mut m, 0, 0, 0, 0, 1, 50);
    let t1 = m.now();
    peer_cts(&mut m, false, t1 + 30 * MS);
    let data = payload(100);
    let w = submit(&mut m, Operation::Write { data: data.clone() });
    let c = finish(&mut m, w);
    assert_eq!(c.status, NtStatus::TIMEOUT);
    assert_eq!(c.completed_at, t1 + 150 * MS, "100·1 + 50 ms");
    let sent = c.information;
    assert!(sent > 0 && sent < 100, "partway: {sent}");
    m.run_for(100 * MS);
    assert_eq!(
        peer_received(&mut m),
        &data[..sent],
        "Information counts exactly the bytes that reached the line"
    );
    // Flow resumes: the next write follows with none of the timed-out write's bytes.
    let now = m.now();
    peer_cts(&mut m, true, now);
    m.run_for(MS);
    let next = m.call(
        0,
        Operation::Write {
            data: b"next".to_vec(),
        },
    );
    assert_eq!((next.status, next.information), (NtStatus::SUCCESS, 4));
    m.run_for(20 * MS);
    let mut expected = data[..sent].to_vec();
    expected.extend_from_slice(b"next");
    assert_eq!(peer_received(&mut m), expected);
    end(m);
}

#[test]
fn write_stopped_by_set_xoff_partway_reports_the_bytes_handed_to_the_uart() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 0, 0, 0, 0, 40);
    let t0 = m.now();
    let data = payload(100);
    let w = submit(&mut m, Operation::Write { data: data.clone() });
    m.run_until(t0 + 20 * MS);
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let c = finish(&mut m, w);
    assert_eq!(c.status, NtStatus::TIMEOUT);
    assert_eq!(c.completed_at, t0 + 40 * MS);
    let sent = c.information;
    assert!(sent > 0 && sent < 100, "partway: {sent}");
    m.run_for(50 * MS);
    assert_eq!(peer_received(&mut m), &data[..sent]);
    ok(ioctl(&mut m, 0, SerialIoctl::SetXon, &[], 0));
    let next = m.call(
        0,
        Operation::Write {
            data: b"after".to_vec(),
        },
    );
    assert_eq!((next.status, next.information), (NtStatus::SUCCESS, 5));
    m.run_for(20 * MS);
    let mut expected = data[..sent].to_vec();
    expected.extend_from_slice(b"after");
    assert_eq!(peer_received(&mut m), expected);
    end(m);
}

#[test]
fn a_queued_write_times_out_from_when_it_becomes_current() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 0, 0, 0, 2, 10);
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let t0 = m.now();
    let first = submit(&mut m, Operation::Write { data: payload(5) }); // 5·2 + 10 = 20 ms
    let second = submit(&mut m, Operation::Write { data: payload(10) }); // 10·2 + 10 = 30 ms
    let c1 = finish(&mut m, first);
    assert_eq!((c1.status, c1.information), (NtStatus::TIMEOUT, 0));
    assert_eq!(c1.completed_at, t0 + 20 * MS);
    let c2 = finish(&mut m, second);
    assert_eq!((c2.status, c2.information), (NtStatus::TIMEOUT, 0));
    assert_eq!(
        c2.completed_at,
        t0 + 50 * MS,
        "its 30 ms start when the first ends"
    );
    end(m);
}

#[test]
fn huge_read_totals_saturate_instead_of_wrapping() {
    let mut m = peer_port();
    // N·M + C far beyond 32 bits of milliseconds: no timeout in practice, never an early one.
    set_timeouts(&mut m, 0, 0, MAX, MAX - 1, 0, 0);
    let t0 = m.now();
    let r = read(&mut m, 1000);
    m.run_until(t0 + 60_000 * MS);
    assert!(pending(&m, r));
    let ends = send(&mut m, &payload(1000), t0 + 60_000 * MS);
    let c = finish(&mut m, r);
    assert_eq!((c.status, c.information), (NtStatus::SUCCESS, 1000));
    assert_eq!(c.completed_at, ends[999]);
    end(m);
}

// ----- flush ----------------------------------------------------------------------------------------

#[test]
fn flush_with_nothing_queued_completes_at_once() {
    let mut m = peer_port();
    let f = m.call(0, Operation::Flush);
    assert_eq!((f.status, f.information), (NtStatus::SUCCESS, 0));
    assert_eq!(f.completed_at, f.submitted_at);
    end(m);
}

#[test]
fn flush_completes_after_every_earlier_write() {
    let mut m = peer_port();
    let w1 = submit(&mut m, Operation::Write { data: payload(30) });
    let w2 = submit(&mut m, Operation::Write { data: payload(30) });
    let f = submit(&mut m, Operation::Flush);
    let w3 = submit(&mut m, Operation::Write { data: payload(30) });
    let f = finish(&mut m, f);
    let w1 = finish(&mut m, w1);
    let w2 = finish(&mut m, w2);
    let w3 = finish(&mut m, w3);
    assert_eq!((f.status, f.information), (NtStatus::SUCCESS, 0));
    for w in [&w1, &w2, &w3] {
        assert_eq!((w.status, w.information), (NtStatus::SUCCESS, 30));
    }
    assert!(w1.completed_at < w2.completed_at);
    assert_eq!(
        f.completed_at, w2.completed_at,
        "the flush marker is next in line"
    );
    assert!(
        w3.completed_at > f.completed_at,
        "a later write does not hold the flush"
    );
    end(m);
}

#[test]
fn many_flushes_behind_a_held_write_all_complete_after_it() {
    let mut m = peer_port();
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let w = submit(&mut m, Operation::Write { data: payload(10) });
    let flushes: Vec<_> = (0..12).map(|_| submit(&mut m, Operation::Flush)).collect();
    m.run_for(100 * MS);
    assert!(pending(&m, w));
    assert!(
        flushes.iter().all(|&f| pending(&m, f)),
        "flush is subject to flow control"
    );
    ok(ioctl(&mut m, 0, SerialIoctl::SetXon, &[], 0));
    let w = finish(&mut m, w);
    assert_eq!((w.status, w.information), (NtStatus::SUCCESS, 10));
    for f in flushes {
        let f = finish(&mut m, f);
        assert_eq!((f.status, f.information), (NtStatus::SUCCESS, 0));
        assert_eq!(f.completed_at, w.completed_at);
    }
    end(m);
}

#[test]
fn flush_is_not_subject_to_write_timeouts() {
    let mut m = peer_port();
    set_timeouts(&mut m, 0, 0, 0, 0, 0, 20);
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let t0 = m.now();
    let w = submit(&mut m, Operation::Write { data: payload(10) });
    let f = submit(&mut m, Operation::Flush);
    let w = finish(&mut m, w);
    assert_eq!((w.status, w.information), (NtStatus::TIMEOUT, 0));
    assert_eq!(w.completed_at, t0 + 20 * MS);
    let f = finish(&mut m, f);
    assert_eq!((f.status, f.information), (NtStatus::SUCCESS, 0));
    assert_eq!(f.completed_at, w.completed_at);
    // A flush behind nothing but the XOFF hold still completes at once.
    let again = m.call(0, Operation::Flush);
    assert_eq!(again.completed_at, again.submitted_at);
    end(m);
}
