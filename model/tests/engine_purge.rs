//! IOCTL_SERIAL_PURGE end to end (serial-semantics.md §7): which requests each flag cancels, what
//! RXCLEAR empties and releases, what is left alone, and a purge in the middle of a stream.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{
    NtStatus, SerialCommProp, SerialIoctl, SerialQueueSize, ev, handflow, hold, purge,
};
use serial_model::kernel::{Completion, Machine, Operation, RequestHandle};
use serial_model::uart::FrameFormat;

const XON: u8 = 0x11;
const XOFF: u8 = 0x13;

fn purge_with(m: &mut Machine, mask: u32) -> Completion {
    ioctl(m, 0, SerialIoctl::Purge, &bytes!(mask), 0)
}

/// PURGE that must succeed. Information stays within the (empty) output buffer: the project
/// reports 0 where the DDI page says 4 (README, IOCTL deviations).
fn purge_ok(m: &mut Machine, mask: u32) {
    let c = ok(purge_with(m, mask));
    assert_eq!(c.information, 0, "{c:?}");
}

/// Lets everything submitted so far reach the driver, so requests arrive in program order
/// (requests submitted at one instant are otherwise dispatched concurrently, in any order).
fn dispatch(m: &mut Machine) {
    let now = m.now();
    m.run_until(now);
}

fn read(m: &mut Machine, len: usize) -> RequestHandle {
    let handle = m.submit(0, Operation::Read { len });
    dispatch(m);
    handle
}

fn write(m: &mut Machine, data: &[u8]) -> RequestHandle {
    let data = data.to_vec();
    let handle = m.submit(0, Operation::Write { data });
    dispatch(m);
    handle
}

fn pending(m: &Machine, handle: RequestHandle) -> bool {
    m.completion(handle).is_none()
}

fn finish(m: &mut Machine, handle: RequestHandle) -> Completion {
    m.run_until_complete(handle, 10_000 * MS)
        .unwrap_or_else(|| panic!("request never completed\n{}", m.report()))
}

fn assert_cancelled(m: &mut Machine, handle: RequestHandle) {
    let c = finish(m, handle);
    assert_eq!((c.status, c.information), (NtStatus::CANCELLED, 0), "{c:?}");
}

/// Whatever is buffered, at once (timeouts MAX/0/0).
fn drain(m: &mut Machine) -> Vec<u8> {
    set_timeouts(m, 0, u32::MAX, 0, 0, 0, 0);
    let c = ok(m.call(0, Operation::Read { len: 4096 }));
    set_timeouts(m, 0, 0, 0, 0, 0, 0);
    c.output
}

fn end(mut m: Machine) {
    m.close(0);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn txabort_and_rxabort_cancel_current_and_queued_requests() {
    let mut m = peer_machine();
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let writes: Vec<_> = (0..3).map(|i| write(&mut m, &payload(10 + i))).collect();
    let reads: Vec<_> = (0..3).map(|_| read(&mut m, 8)).collect();
    m.run_for(10 * MS);
    assert!(writes.iter().chain(&reads).all(|&r| pending(&m, r)));

    purge_ok(&mut m, purge::TXABORT);
    for &w in &writes {
        assert_cancelled(&mut m, w);
    }
    assert!(
        reads.iter().all(|&r| pending(&m, r)),
        "TXABORT leaves reads"
    );

    purge_ok(&mut m, purge::RXABORT);
    for &r in &reads {
        assert_cancelled(&mut m, r);
    }

    // Nothing of the purged writes goes out; new requests work.
    ok(ioctl(&mut m, 0, SerialIoctl::SetXon, &[], 0));
    let w = m.call(
        0,
        Operation::Write {
            data: b"fresh".to_vec(),
        },
    );
    assert_eq!((w.status, w.information), (NtStatus::SUCCESS, 5));
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"fresh");
    let r = read(&mut m, 2);
    let now = m.now();
    peer_send(&mut m, b"ok", now);
    let r = finish(&mut m, r);
    assert_eq!(r.output, b"ok");
    end(m);
}

#[test]
fn rxabort_leaves_writes_alone() {
    let mut m = peer_machine();
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let w = write(&mut m, b"kept");
    let r = read(&mut m, 4);
    m.run_for(MS);
    purge_ok(&mut m, purge::RXABORT);
    assert_cancelled(&mut m, r);
    assert!(pending(&m, w));
    ok(ioctl(&mut m, 0, SerialIoctl::SetXon, &[], 0));
    let w = finish(&mut m, w);
    assert_eq!((w.status, w.information), (NtStatus::SUCCESS, 4));
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"kept");
    end(m);
}

#[test]
fn one_purge_cancels_more_requests_than_fit_in_one_completion_batch() {
    let mut m = peer_machine();
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let writes: Vec<_> = (0..10).map(|_| write(&mut m, b"w")).collect();
    let reads: Vec<_> = (0..10).map(|_| read(&mut m, 1)).collect();
    m.run_for(MS);
    purge_ok(&mut m, purge::TXABORT | purge::RXABORT);
    for handle in writes.into_iter().chain(reads) {
        assert_cancelled(&mut m, handle);
    }
    end(m);
}

#[test]
fn rxabort_cancels_a_queued_set_queue_size() {
    let mut m = peer_machine();
    let r = read(&mut m, 4);
    let grow = start_ioctl(
        &mut m,
        0,
        SerialIoctl::SetQueueSize,
        &bytes!(SerialQueueSize {
            in_size: 8192,
            out_size: 0
        }),
        0,
    );
    dispatch(&mut m);
    m.run_for(MS);
    assert!(pending(&m, grow), "serialized behind the read");
    purge_ok(&mut m, purge::RXABORT);
    assert_cancelled(&mut m, r);
    assert_cancelled(&mut m, grow);
    let props = ok(ioctl(&mut m, 0, SerialIoctl::GetProperties, &[], 64));
    assert_eq!(output!(SerialCommProp, props).current_rx_queue, 4096);
    end(m);
}

#[test]
fn txabort_spares_the_immediate_character() {
    let mut m = peer_machine();
    ok(ioctl(&mut m, 0, SerialIoctl::SetBreakOn, &[], 0));
    let w = write(&mut m, b"dropped");
    let imm = start_ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"!", 0);
    m.run_for(10 * MS);
    assert!(
        pending(&m, imm),
        "a break holds even the immediate character"
    );
    purge_ok(&mut m, purge::TXABORT);
    assert_cancelled(&mut m, w);
    assert!(pending(&m, imm));
    ok(ioctl(&mut m, 0, SerialIoctl::SetBreakOff, &[], 0));
    let imm = finish(&mut m, imm);
    assert_eq!(imm.status, NtStatus::SUCCESS);
    m.run_for(20 * MS);
    let sent: Vec<u8> = m
        .board()
        .peer_ref()
        .unwrap()
        .received()
        .iter()
        .filter(|ch| !ch.errors.break_condition)
        .map(|ch| ch.data)
        .collect();
    assert_eq!(sent, b"!", "only the immediate character, after the break");
    end(m);
}

#[test]
fn txabort_mid_transmission_stops_the_write_where_it_is() {
    let mut m = peer_machine();
    let data = payload(100);
    let t0 = m.now();
    let w = write(&mut m, &data);
    m.run_until(t0 + 30 * MS);
    purge_ok(&mut m, purge::TXABORT);
    assert_cancelled(&mut m, w);
    m.run_for(50 * MS);
    let sent = peer_received(&m);
    // 28.8 characters were on the wire at 30 ms; the UART holds at most one FIFO load more.
    assert!(
        (29..=29 + 16).contains(&sent.len()),
        "30 ms at 9600 baud plus at most one FIFO load: {}",
        sent.len()
    );
    assert_eq!(sent, &data[..sent.len()], "deleted characters are not sent");
    let tail = m.call(
        0,
        Operation::Write {
            data: b"tail".to_vec(),
        },
    );
    assert_eq!((tail.status, tail.information), (NtStatus::SUCCESS, 4));
    m.run_for(20 * MS);
    let mut expected = sent.clone();
    expected.extend_from_slice(b"tail");
    assert_eq!(peer_received(&m), expected);
    end(m);
}

#[test]
fn rxclear_empties_the_typeahead() {
    let mut m = peer_machine();
    let now = m.now();
    peer_send(&mut m, b"stale bytes", now);
    m.run_for(50 * MS);
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 11);
    purge_ok(&mut m, purge::RXCLEAR);
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 0);
    assert!(drain(&mut m).is_empty(), "a MAX/0/0 read returns nothing");
    let now = m.now();
    peer_send(&mut m, b"new", now);
    m.run_for(10 * MS);
    assert_eq!(drain(&mut m), b"new");
    end(m);
}

#[test]
fn rxclear_leaves_the_bytes_a_pending_read_already_owns() {
    let mut m = peer_machine();
    let r = read(&mut m, 10);
    let t0 = m.now();
    peer_send(&mut m, b"01234", t0);
    m.run_for(20 * MS);
    assert!(pending(&m, r));
    // The five bytes were received for the read (serial.sys has them in its buffer already);
    // RXCLEAR empties only the typeahead nobody has claimed.
    purge_ok(&mut m, purge::RXCLEAR);
    let now = m.now();
    peer_send(&mut m, b"56789extra", now);
    let r = finish(&mut m, r);
    assert_eq!(
        (r.status, r.output.as_slice()),
        (NtStatus::SUCCESS, &b"0123456789"[..])
    );
    m.run_for(20 * MS);
    assert_eq!(drain(&mut m), b"extra");
    end(m);
}

/// Receive flow control that holds the peer once about six bytes are buffered (XoffLimit = free
/// space) and releases it at 2.
fn throttle_early(m: &mut Machine, flow_replace: u32) {
    ok(set_handflow(
        m,
        0,
        handflow::DTR_CONTROL,
        flow_replace,
        2,
        4090,
    ));
}

#[test]
fn rxclear_raises_rts_again() {
    let mut m = peer_machine();
    throttle_early(&mut m, handflow::RTS_HANDSHAKE);
    assert!(peer_outputs(&m).rts);
    let t0 = m.now();
    peer_send(&mut m, b"12345678", t0);
    m.run_for(20 * MS);
    assert!(!peer_outputs(&m).rts, "RTS dropped near full");
    let t1 = m.now();
    purge_ok(&mut m, purge::RXCLEAR);
    assert!(peer_outputs(&m).rts, "RXCLEAR releases the peer");
    assert_eq!(peer_output_history(&m).last().map(|(at, _)| *at), Some(t1));
    assert!(drain(&mut m).is_empty());
    end(m);
}

#[test]
fn rxclear_sends_xon_after_our_xoff() {
    let mut m = peer_machine();
    throttle_early(&mut m, handflow::RTS_CONTROL | handflow::AUTO_RECEIVE);
    let t0 = m.now();
    peer_send(&mut m, b"12345678", t0);
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), [XOFF]);
    let held = comm_status(&mut m, 0).hold_reasons;
    assert_eq!(
        held & hold::TX_WAITING_XOFF_SENT,
        hold::TX_WAITING_XOFF_SENT,
        "{held:#x}"
    );
    purge_ok(&mut m, purge::RXCLEAR);
    m.run_for(5 * MS);
    assert_eq!(peer_received(&m), [XOFF, XON]);
    assert_eq!(comm_status(&mut m, 0).hold_reasons, 0);
    end(m);
}

#[test]
fn txclear_alone_leaves_writes_reads_and_typeahead_alone() {
    let mut m = peer_machine();
    let now = m.now();
    peer_send(&mut m, b"abc", now);
    m.run_for(10 * MS);
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let w1 = write(&mut m, b"one");
    let w2 = write(&mut m, b"two");
    m.run_for(MS);
    purge_ok(&mut m, purge::TXCLEAR);
    assert!(pending(&m, w1) && pending(&m, w2));
    assert_eq!(comm_status(&mut m, 0).amount_in_out_queue, 6);
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 3);
    ok(ioctl(&mut m, 0, SerialIoctl::SetXon, &[], 0));
    for (w, len) in [(w1, 3), (w2, 3)] {
        let c = finish(&mut m, w);
        assert_eq!((c.status, c.information), (NtStatus::SUCCESS, len));
    }
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"onetwo");
    assert_eq!(drain(&mut m), b"abc");
    end(m);
}

#[test]
fn invalid_masks_are_rejected_with_nothing_changed() {
    let mut m = peer_machine();
    let now = m.now();
    peer_send(&mut m, b"abc", now);
    m.run_for(10 * MS);
    ok(ioctl(&mut m, 0, SerialIoctl::SetXoff, &[], 0));
    let w = write(&mut m, b"w");
    let r = read(&mut m, 8);
    m.run_for(MS);
    for mask in [0, 0x10, 0x1F, 0x8000_0001, u32::MAX] {
        let c = purge_with(&mut m, mask);
        assert_eq!(
            (c.status, c.information),
            (NtStatus::INVALID_PARAMETER, 0),
            "mask {mask:#x}"
        );
    }
    let short = ioctl(&mut m, 0, SerialIoctl::Purge, &[0x0F, 0, 0], 0);
    assert_eq!(short.status, NtStatus::BUFFER_TOO_SMALL);
    m.run_for(10 * MS);
    assert!(pending(&m, w) && pending(&m, r));
    let status = comm_status(&mut m, 0);
    assert_eq!(status.amount_in_out_queue, 1);
    // The pending read has taken the three buffered bytes; more complete it.
    let now = m.now();
    peer_send(&mut m, b"defgh", now);
    let r = finish(&mut m, r);
    assert_eq!(r.output, b"abcdefgh");
    ok(ioctl(&mut m, 0, SerialIoctl::SetXon, &[], 0));
    let w = finish(&mut m, w);
    assert_eq!(w.status, NtStatus::SUCCESS);
    end(m);
}

#[test]
fn a_pending_wait_is_untouched_by_every_purge_flag() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RING));
    let wait = start_wait(&mut m, 0);
    m.run_for(MS);
    for mask in 1..=purge::VALID_MASK {
        purge_ok(&mut m, mask);
        m.run_for(MS);
        assert!(pending(&m, wait), "purge {mask:#x} touched the wait");
    }
    ok(set_wait_mask(&mut m, 0, ev::CTS));
    let wait = finish(&mut m, wait);
    assert_eq!(
        wait_events(&wait),
        0,
        "the mask change ends the wait, not the purges"
    );
    end(m);
}

/// A 100-byte read on a 128-byte ring is fed every 64 bytes while the peer streams 200 bytes;
/// the purge comes between the 80th and 81st byte and a second read takes everything after.
/// Returns the stream, the bytes that had arrived at the purge, and what the second read got.
fn streaming_read(purge_mask: u32) -> (Vec<u8>, usize, Vec<u8>) {
    let mut m = peer_machine_with(|config| config.device.rx_buffer_size = 128);
    let data = payload(200);
    let t0 = m.now();
    let r = read(&mut m, 100);
    peer_send(&mut m, &data, t0);
    let format = FrameFormat::eight_n_one(9600);
    let at = t0 + (format.characters_time(80) + format.characters_time(81)) / 2;
    m.run_until(at);
    assert!(pending(&m, r));
    purge_ok(&mut m, purge_mask);
    set_timeouts(&mut m, 0, 0, 0, 300, 0, 0);
    let next = read(&mut m, 200);
    assert_cancelled(&mut m, r);
    let next = finish(&mut m, next);
    assert_eq!(next.status, NtStatus::TIMEOUT);
    let lost = comm_status(&mut m, 0).errors;
    assert_eq!(lost, 0, "no overrun of any kind");
    end(m);
    (data, 80, next.output)
}

#[test]
fn rxabort_during_a_stream_cancels_the_read_and_later_bytes_go_to_the_next() {
    let (data, arrived, rest) = streaming_read(purge::RXABORT);
    // The cancelled read may have taken bytes (CANCELLED reports none); everything after them
    // reaches the next read, once and in order.
    let taken = data.len() - rest.len();
    assert!(taken <= arrived, "lost bytes that had not arrived: {taken}");
    assert_eq!(rest, &data[taken..], "the next read gets a clean suffix");
}

#[test]
fn rxabort_with_rxclear_during_a_stream_keeps_only_later_bytes() {
    let (data, arrived, rest) = streaming_read(purge::RXABORT | purge::RXCLEAR);
    assert_eq!(rest, &data[arrived..]);
}
