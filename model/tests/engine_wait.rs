//! Wait-on-mask end to end (serial-semantics.md §8, §3.2): SET/GET_WAIT_MASK, WAIT_ON_MASK, event
//! history, mask changes, cancel, and every event bit raised by a scripted peer or by our own
//! transmissions, at the exact virtual time the event happens.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{NtStatus, SerialIoctl, SerialLineControl, ev, line_control};
use serial_model::kernel::{Machine, Operation, RequestHandle};
use serial_model::uart::{FrameFormat, LineErrors, Parity, StopBits};

/// One 8N1 character time at 9600 baud from the peer's own clock, `count` characters from a start.
fn peer_chars(count: u64) -> u64 {
    FrameFormat::eight_n_one(9600).characters_time(count)
}

fn assert_pending(m: &Machine, wait: RequestHandle, why: &str) {
    assert!(m.completion(wait).is_none(), "wait completed early: {why}");
}

fn finish(mut m: Machine) {
    m.close(0);
    assert!(m.finish().is_empty());
}

#[test]
fn wait_mask_round_trips_and_bits_outside_0x1fff_are_rejected() {
    let mut m = peer_machine();
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetWaitMask), 0);
    let set = ok(set_wait_mask(&mut m, 0, ev::VALID_MASK));
    assert_eq!(set.information, 0);
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetWaitMask), 0x1FFF);
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR | ev::CTS));
    for bad in [0x2000, 0x1FFF | 0x2000, 0x8000_0000, u32::MAX] {
        let c = set_wait_mask(&mut m, 0, bad);
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "mask {bad:#x}");
        assert_eq!(c.information, 0);
    }
    assert_eq!(
        ioctl_u32(&mut m, 0, SerialIoctl::GetWaitMask),
        ev::RXCHAR | ev::CTS,
        "a rejected mask leaves the armed mask alone"
    );
    finish(m);
}

#[test]
fn wait_with_no_mask_armed_is_rejected() {
    let mut m = peer_machine();
    let c = ioctl(&mut m, 0, SerialIoctl::WaitOnMask, &[], 4);
    assert_eq!(c.status, NtStatus::INVALID_PARAMETER);
    assert_eq!(c.information, 0);
    // Arming and disarming again: mask 0 is refused once more.
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    ok(set_wait_mask(&mut m, 0, 0));
    let c = ioctl(&mut m, 0, SerialIoctl::WaitOnMask, &[], 4);
    assert_eq!(c.status, NtStatus::INVALID_PARAMETER);
    finish(m);
}

#[test]
fn only_one_wait_may_pend() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    let first = start_wait(&mut m, 0);
    m.run_for(MS);
    assert_pending(&m, first, "nothing happened yet");
    let second = ioctl(&mut m, 0, SerialIoctl::WaitOnMask, &[], 4);
    assert_eq!(second.status, NtStatus::INVALID_PARAMETER);
    assert_eq!(second.information, 0);
    assert_pending(
        &m,
        first,
        "the refused second wait must not disturb the first",
    );
    let start = m.now();
    let end = peer_send(&mut m, b"x", start);
    let done = m
        .run_until_complete(first, 100 * MS)
        .expect("first wait completes");
    assert_eq!(wait_events(&done), ev::RXCHAR);
    assert_eq!(done.completed_at, end);
    finish(m);
}

#[test]
fn events_with_no_wait_pending_complete_the_next_wait_at_once_coalesced() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR | ev::CTS | ev::DSR));
    let start = m.now();
    let end = peer_send(&mut m, b"abc", start);
    peer_lines(&mut m, lines(true, false, false, false), end + MS);
    m.run_until(end + 2 * MS);
    let wait = start_wait(&mut m, 0);
    let done = m
        .run_until_complete(wait, MS)
        .expect("history completes it");
    assert_eq!(wait_events(&done), ev::RXCHAR | ev::CTS);
    assert_eq!(
        done.completed_at, done.submitted_at,
        "a wait with history completes at once"
    );
    // History was reported and cleared; the bytes still sitting in the ring do not re-raise RXCHAR.
    let next = start_wait(&mut m, 0);
    m.run_for(50 * MS);
    assert_pending(&m, next, "history was consumed by the previous wait");
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 3);
    let at = m.now();
    peer_lines(&mut m, lines(true, true, false, false), at);
    let done = m
        .run_until_complete(next, MS)
        .expect("DSR rise completes it");
    assert_eq!(wait_events(&done), ev::DSR);
    assert_eq!(done.completed_at, at);
    finish(m);
}

#[test]
fn simultaneous_events_coalesce_into_one_completion() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::CTS | ev::DSR | ev::RLSD));
    let wait = start_wait(&mut m, 0);
    let at = m.now() + 5 * MS;
    peer_lines(&mut m, lines(true, true, false, true), at);
    let done = m.run_until_complete(wait, 100 * MS).expect("line change");
    assert_eq!(wait_events(&done), ev::CTS | ev::DSR | ev::RLSD);
    assert_eq!(done.completed_at, at);
    finish(m);
}

#[test]
fn changing_the_mask_completes_the_pending_wait_with_mask_zero() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    let wait = start_wait(&mut m, 0);
    m.run_for(MS);
    assert_pending(&m, wait, "nothing happened yet");
    let set = ok(set_wait_mask(&mut m, 0, ev::CTS));
    let old = m
        .completion(wait)
        .cloned()
        .expect("the mask change completes the wait");
    assert_eq!(
        old.status,
        NtStatus::SUCCESS,
        "not CANCELLED, not a failure"
    );
    assert_eq!(old.information, 4);
    assert_eq!(output!(u32, old), 0);
    assert!(old.completed_at <= set.completed_at);
    // A following wait is accepted at once (not refused as "already pending").
    let next = start_wait(&mut m, 0);
    m.run_for(MS);
    assert_pending(&m, next, "no CTS change yet");
    let at = m.now();
    peer_lines(&mut m, lines(true, false, false, false), at);
    let done = m
        .run_until_complete(next, MS)
        .expect("CTS completes the new wait");
    assert_eq!(wait_events(&done), ev::CTS);
    assert_eq!(done.completed_at, at);
    finish(m);
}

#[test]
fn a_mask_change_keeps_only_the_history_still_of_interest() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR | ev::CTS));
    let start = m.now();
    let end = peer_send(&mut m, b"a", start);
    m.run_until(end + MS);
    // RXCHAR is in the history; a mask without it drops it.
    ok(set_wait_mask(&mut m, 0, ev::CTS | ev::DSR));
    let wait = start_wait(&mut m, 0);
    m.run_for(20 * MS);
    assert_pending(
        &m,
        wait,
        "RXCHAR history must have been dropped by the new mask",
    );
    m.cancel(wait);
    let c = m.run_until_complete(wait, MS).unwrap();
    assert_eq!(c.status, NtStatus::CANCELLED);

    // RXCHAR history survives a mask that still contains RXCHAR.
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR | ev::CTS));
    let at = m.now();
    let end = peer_send(&mut m, b"b", at);
    m.run_until(end + MS);
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR | ev::DSR));
    let wait = start_wait(&mut m, 0);
    let done = m.run_until_complete(wait, MS).expect("history kept");
    assert_eq!(wait_events(&done), ev::RXCHAR);
    assert_eq!(done.completed_at, done.submitted_at);
    finish(m);
}

#[test]
fn all_thirteen_bits_are_accepted_and_perr_event1_event2_never_fire() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, 0x1FFF));
    ok(set_wait_mask(&mut m, 0, ev::PERR | ev::EVENT1 | ev::EVENT2));
    assert_eq!(
        ioctl_u32(&mut m, 0, SerialIoctl::GetWaitMask),
        ev::PERR | ev::EVENT1 | ev::EVENT2
    );
    // Even parity on both ends, so the peer can send parity errors.
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
    let wait = start_wait(&mut m, 0);
    let mut at = m.now();
    at = peer_send(&mut m, b"data", at);
    let parity = LineErrors {
        parity: true,
        ..LineErrors::NONE
    };
    let framing = LineErrors {
        framing: true,
        ..LineErrors::NONE
    };
    at = peer_send_char(&mut m, b'p', parity, at);
    at = peer_send_char(&mut m, b'f', framing, at);
    at = peer_break(&mut m, at);
    peer_lines(&mut m, lines(true, true, true, true), at + MS);
    peer_lines(&mut m, lines(false, false, false, false), at + 2 * MS);
    ok(m.call(
        0,
        Operation::Write {
            data: b"out".to_vec(),
        },
    ));
    m.run_until(at + 50 * MS);
    assert_pending(&m, wait, "PERR, EVENT1 and EVENT2 are never generated");
    m.cancel(wait);
    let c = m.run_until_complete(wait, MS).unwrap();
    assert_eq!(c.status, NtStatus::CANCELLED);
    assert_eq!(c.information, 0);
    finish(m);
}

#[test]
fn rxchar_fires_at_the_stop_bit_of_a_stored_byte() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    let wait = start_wait(&mut m, 0);
    let start = m.now() + 3 * MS;
    let end = peer_send(&mut m, b"Q", start);
    assert_eq!(end, start + peer_chars(1));
    let done = m.run_until_complete(wait, 100 * MS).expect("RXCHAR");
    assert_eq!(wait_events(&done), ev::RXCHAR);
    assert_eq!(done.completed_at, end);
    assert_eq!(
        read_now(&mut m, 0, 1),
        b"Q",
        "the byte is still there to read"
    );
    finish(m);
}

#[test]
fn rxchar_ignores_stripped_nuls_and_swallowed_xon_xoff() {
    let mut m = peer_machine();
    // NULL_STRIPPING and automatic transmit flow control (XON 0x11, XOFF 0x13 by default).
    ok(set_handflow(&mut m, 0, 0x01, 0x40 | 0x08 | 0x01, 0, 0));
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    let wait = start_wait(&mut m, 0);
    let start = m.now();
    let quiet_end = peer_send(&mut m, &[0x00, 0x13, 0x11, 0x00], start);
    m.run_until(quiet_end + 10 * MS);
    assert_pending(
        &m,
        wait,
        "stripped NULs and swallowed XON/XOFF are not received characters",
    );
    let at = m.now();
    let end = peer_send(&mut m, b"z", at);
    let done = m.run_until_complete(wait, 100 * MS).expect("a real byte");
    assert_eq!(wait_events(&done), ev::RXCHAR);
    assert_eq!(done.completed_at, end);
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 1);
    finish(m);
}

#[test]
fn rxflag_fires_on_the_event_char_only() {
    let mut m = peer_machine();
    let mut chars = get_chars(&mut m, 0);
    chars.event_char = b'\n';
    ok(set_chars(&mut m, 0, chars));
    ok(set_wait_mask(&mut m, 0, ev::RXFLAG));
    let wait = start_wait(&mut m, 0);
    let start = m.now() + MS;
    peer_send(&mut m, b"ab", start);
    m.run_until(start + peer_chars(2) + MS / 10);
    assert_pending(&m, wait, "no event char yet");
    let flagged = peer_send(&mut m, b"\ncd", start + peer_chars(2));
    let done = m.run_until_complete(wait, 100 * MS).expect("RXFLAG");
    assert_eq!(wait_events(&done), ev::RXFLAG);
    assert_eq!(done.completed_at, start + peer_chars(2) + peer_chars(1));
    assert!(flagged > done.completed_at);
    m.run_until(flagged + MS);
    assert_eq!(read_now(&mut m, 0, 5), b"ab\ncd");
    finish(m);
}

#[test]
fn txempty_needs_a_transmission_since_the_wait_was_armed() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::TXEMPTY));
    let wait = start_wait(&mut m, 0);
    m.run_for(100 * MS);
    assert_pending(&m, wait, "armed with no writes: no TXEMPTY");

    // A 100-byte write at 9600: TXEMPTY when its last byte is handed to the UART, i.e. when the
    // write completes, about 86 character times after it started.
    let data = payload(100);
    let write = ok(m.call(0, Operation::Write { data: data.clone() }));
    let done = m.completion(wait).cloned().expect("TXEMPTY");
    assert_eq!(wait_events(&done), ev::TXEMPTY);
    assert_eq!(done.completed_at, write.completed_at);
    assert!(write.completed_at - write.submitted_at > 80 * char_time(9600));

    // Write first with no wait pending: TXEMPTY goes to history, the next wait completes at once.
    ok(m.call(
        0,
        Operation::Write {
            data: b"more".to_vec(),
        },
    ));
    let wait = start_wait(&mut m, 0);
    let done = m
        .run_until_complete(wait, MS)
        .expect("TXEMPTY from history");
    assert_eq!(wait_events(&done), ev::TXEMPTY);
    assert_eq!(done.completed_at, done.submitted_at);

    // Nothing sent since this wait was armed: it stays pending.
    let wait = start_wait(&mut m, 0);
    m.run_for(200 * MS);
    assert_pending(&m, wait, "nothing sent since the wait was armed");
    assert_eq!(peer_received(&m), [data, b"more".to_vec()].concat());
    finish(m);
}

#[test]
fn rx80full_fires_exactly_when_the_ring_reaches_81_25_percent() {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 1024);
    let size = ok(ioctl(&mut m, 0, SerialIoctl::GetProperties, &[], 64));
    assert_eq!(
        output!(serial_ioctl::SerialCommProp, size).current_rx_queue,
        1024
    );
    ok(set_wait_mask(&mut m, 0, ev::RX80FULL));
    let wait = start_wait(&mut m, 0);
    // 1024 × (3/4 + 1/16) = 832 bytes.
    let start = m.now();
    let before = peer_send(&mut m, &payload(831), start);
    m.run_until(before + 5 * MS);
    assert_pending(&m, wait, "831 bytes are below 81.25 %");
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 831);
    let at = m.now();
    let end = peer_send(&mut m, b"!", at);
    let done = m.run_until_complete(wait, 100 * MS).expect("RX80FULL");
    assert_eq!(wait_events(&done), ev::RX80FULL);
    assert_eq!(done.completed_at, end);
    // The trigger is an equality: more bytes past the mark do not raise it again.
    let next = start_wait(&mut m, 0);
    let end = peer_send(&mut m, &payload(20), end);
    m.run_until(end + 5 * MS);
    assert_pending(
        &m,
        next,
        "RX80FULL is raised on reaching the mark, not above it",
    );
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 852);
    finish(m);
}

/// Even parity on our side and the peer's, so parity errors can be injected.
fn even_parity(m: &mut Machine) {
    let lc = SerialLineControl {
        stop_bits: line_control::STOP_BIT_1,
        parity: line_control::EVEN_PARITY,
        word_length: 8,
    };
    ok(ioctl(m, 0, SerialIoctl::SetLineControl, &bytes!(lc), 0));
    m.board_mut().peer().unwrap().set_format(FrameFormat::new(
        9600,
        8,
        Parity::Even,
        StopBits::One,
    ));
}

#[test]
fn err_fires_on_parity_framing_and_overrun_errors() {
    let mut m = peer_machine();
    even_parity(&mut m);
    ok(set_wait_mask(&mut m, 0, ev::ERR));
    let parity = LineErrors {
        parity: true,
        ..LineErrors::NONE
    };
    let framing = LineErrors {
        framing: true,
        ..LineErrors::NONE
    };
    for errors in [parity, framing] {
        let wait = start_wait(&mut m, 0);
        let at = m.now() + MS;
        let good = peer_send(&mut m, b"ok", at);
        m.run_until(good + MS);
        assert_pending(&m, wait, "good characters are no error");
        let at = m.now();
        let end = peer_send_char(&mut m, b'e', errors, at);
        let done = m.run_until_complete(wait, 100 * MS).expect("ERR");
        assert_eq!(wait_events(&done), ev::ERR, "{errors:?}");
        assert_eq!(done.completed_at, end);
    }
    // Overrun: with OUT2 off the UART cannot interrupt, so 17 characters overflow the 16-byte
    // FIFO; ERR is raised when interrupts are allowed again.
    let wait = start_wait(&mut m, 0);
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x03u32.to_le_bytes(),
        0,
    ));
    let at = m.now();
    let end = peer_send(&mut m, &payload(17), at);
    m.run_until(end + MS);
    assert_pending(&m, wait, "interrupts are gated");
    let gate = m.now();
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x0Bu32.to_le_bytes(),
        0,
    ));
    let done = m
        .run_until_complete(wait, 100 * MS)
        .expect("ERR on overrun");
    assert_eq!(wait_events(&done), ev::ERR);
    assert_eq!(done.completed_at, gate);
    finish(m);
}

#[test]
fn break_event_fires_at_the_end_of_the_break() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::BREAK | ev::ERR));
    let wait = start_wait(&mut m, 0);
    let at = m.now() + 2 * MS;
    let end = peer_break(&mut m, at);
    let done = m.run_until_complete(wait, 100 * MS).expect("BREAK");
    assert_eq!(wait_events(&done), ev::BREAK);
    assert_eq!(done.completed_at, end);
    finish(m);
}

#[test]
fn ring_fires_on_the_trailing_edge_only() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RING));
    let wait = start_wait(&mut m, 0);
    let on = m.now() + MS;
    peer_lines(&mut m, lines(false, false, true, false), on);
    m.run_until(on + 10 * MS);
    assert_pending(&m, wait, "RI rising is not a RING event");
    let off = m.now() + MS;
    peer_lines(&mut m, lines(false, false, false, false), off);
    let done = m.run_until_complete(wait, 100 * MS).expect("RING");
    assert_eq!(wait_events(&done), ev::RING);
    assert_eq!(done.completed_at, off);
    finish(m);
}

#[test]
fn cts_dsr_and_rlsd_fire_on_both_edges_of_their_line() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::CTS | ev::DSR | ev::RLSD));
    let steps = [
        (lines(true, false, false, false), ev::CTS),
        (lines(true, true, false, false), ev::DSR),
        (lines(true, true, false, true), ev::RLSD),
        (lines(false, true, false, true), ev::CTS),
        (lines(false, false, false, true), ev::DSR),
        (lines(false, false, false, false), ev::RLSD),
    ];
    for (state, event) in steps {
        let wait = start_wait(&mut m, 0);
        let at = m.now() + 2 * MS;
        peer_lines(&mut m, state, at);
        let done = m.run_until_complete(wait, 100 * MS).expect("line event");
        assert_eq!(wait_events(&done), event, "{state:?}");
        assert_eq!(done.completed_at, at);
    }
    finish(m);
}

#[test]
fn cancelling_a_pending_wait_completes_it_cancelled_and_frees_the_slot() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    let wait = start_wait(&mut m, 0);
    m.run_for(MS);
    assert_pending(&m, wait, "nothing happened yet");
    m.cancel(wait);
    let c = m.run_until_complete(wait, MS).expect("cancel completes it");
    assert_eq!(c.status, NtStatus::CANCELLED);
    assert_eq!(c.information, 0);
    let next = start_wait(&mut m, 0);
    let at = m.now();
    let end = peer_send(&mut m, b"k", at);
    let done = m
        .run_until_complete(next, 100 * MS)
        .expect("a new wait works");
    assert_eq!(wait_events(&done), ev::RXCHAR);
    assert_eq!(done.completed_at, end);
    finish(m);
}

#[test]
fn an_event_racing_with_wait_on_mask_is_never_lost() {
    // The byte waits in the FIFO with interrupts gated (OUT2 off); re-opening the gate and
    // WAIT_ON_MASK are submitted together, so the ISR runs at varying points of the wait's
    // dispatch. Whatever the interleaving, the wait completes with RXCHAR.
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    for round in 0..40u8 {
        ok(ioctl(
            &mut m,
            0,
            SerialIoctl::SetModemControl,
            &0x03u32.to_le_bytes(),
            0,
        ));
        let at = m.now();
        let end = peer_send(&mut m, &[round], at);
        m.run_until(end + MS);
        let gate = start_ioctl(
            &mut m,
            0,
            SerialIoctl::SetModemControl,
            &0x0Bu32.to_le_bytes(),
            0,
        );
        let wait = start_wait(&mut m, 0);
        let done = m
            .run_until_complete(wait, 20 * MS)
            .unwrap_or_else(|| panic!("round {round}: RXCHAR lost\n{}", m.replay_line()));
        assert_eq!(wait_events(&done), ev::RXCHAR, "round {round}");
        ok(m.run_until_complete(gate, MS).unwrap());
        assert_eq!(read_now(&mut m, 0, 1), [round]);
    }
    finish(m);
}

#[test]
fn an_immediate_char_counts_as_a_transmission_for_txempty() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::TXEMPTY));
    let wait = start_wait(&mut m, 0);
    m.run_for(10 * MS);
    assert_pending(&m, wait, "nothing sent yet");
    let immediate = ok(ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"i", 0));
    let done = m.run_until_complete(wait, MS).expect("TXEMPTY");
    assert_eq!(wait_events(&done), ev::TXEMPTY);
    assert_eq!(done.completed_at, immediate.completed_at);
    finish(m);
}

#[test]
fn bytes_dropped_by_dsr_sensitivity_raise_no_rxchar() {
    let mut m = peer_machine();
    ok(set_handflow(&mut m, 0, 0x01 | 0x40, 0x40, 0, 0));
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    let wait = start_wait(&mut m, 0);
    let at = m.now();
    let end = peer_send(&mut m, b"dropped", at);
    m.run_until(end + 10 * MS);
    assert_pending(&m, wait, "DSR is low: the bytes are not received");
    let rise = m.now();
    peer_lines(&mut m, lines(false, true, false, false), rise);
    let end = peer_send(&mut m, b"!", rise + MS);
    let done = m.run_until_complete(wait, 100 * MS).expect("RXCHAR");
    assert_eq!(wait_events(&done), ev::RXCHAR);
    assert_eq!(done.completed_at, end);
    finish(m);
}

#[test]
fn a_line_error_under_error_abort_completes_the_wait_instead_of_cancelling_it() {
    let mut m = peer_machine();
    ok(set_handflow(&mut m, 0, 0x01 | 0x8000_0000, 0x40, 0, 0));
    ok(set_wait_mask(&mut m, 0, ev::ERR));
    let wait = start_wait(&mut m, 0);
    let read = m.submit(0, Operation::Read { len: 4 });
    let at = m.now() + MS;
    let framing = LineErrors {
        framing: true,
        ..LineErrors::NONE
    };
    let end = peer_send_char(&mut m, b'e', framing, at);
    let done = m.run_until_complete(wait, 100 * MS).expect("ERR");
    assert_eq!(wait_events(&done), ev::ERR);
    assert_eq!(done.completed_at, end);
    let r = m.run_until_complete(read, MS).expect("the read is aborted");
    assert_eq!(r.status, NtStatus::CANCELLED);
    // While the error is latched a new wait is refused like any request...
    let refused = ioctl(&mut m, 0, SerialIoctl::WaitOnMask, &[], 4);
    assert_eq!(
        (refused.status, refused.information),
        (NtStatus::CANCELLED, 0)
    );
    // ...and accepted again once GET_COMMSTATUS has read the error.
    assert_eq!(comm_status(&mut m, 0).errors, serial_ioctl::error::FRAMING);
    let wait = start_wait(&mut m, 0);
    m.run_for(5 * MS);
    assert_pending(&m, wait, "no new error");
    finish(m);
}
