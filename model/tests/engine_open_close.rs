//! Create, cleanup and close end to end (serial-semantics.md §4, §14): exclusive open, requests on
//! a closed port, cleanup cancelling everything pending, close draining the transmitter and
//! dropping DTR/RTS, and what survives a close/reopen and what is reset.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{
    InternalIoctl, NtStatus, SerialBaudRate, SerialChars, SerialIoctl, SerialLineControl,
    SerialPerfStats, SerialTimeouts, SerialXoffCounter, error, ev, handflow, line_control,
};
use serial_model::kernel::{Completion, Machine, Operation, RequestHandle};
use serial_model::uart::{FrameFormat, LineErrors, Parity, StopBits};
use serial_model::wire::Topology;

fn pending(m: &Machine, handle: RequestHandle) -> bool {
    m.completion(handle).is_none()
}

fn done(m: &Machine, handle: RequestHandle) -> Completion {
    m.completion(handle)
        .cloned()
        .unwrap_or_else(|| panic!("request #{} not completed\n{}", handle.id, m.report()))
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

fn end(mut m: Machine) {
    m.close(0);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn open_is_exclusive_and_reopen_works() {
    let mut m = peer_machine();
    assert_eq!(m.open(0), NtStatus::ACCESS_DENIED, "a second open");
    // The first open is unaffected.
    let w = m.call(
        0,
        Operation::Write {
            data: b"still open".to_vec(),
        },
    );
    assert_eq!(w.status, NtStatus::SUCCESS);
    m.close(0);
    for round in 0..3 {
        assert_eq!(m.open(0), NtStatus::SUCCESS, "reopen {round}");
        assert_eq!(m.open(0), NtStatus::ACCESS_DENIED);
        let r = submit(&mut m, Operation::Read { len: 2 });
        let now = m.now();
        peer_send(&mut m, b"hi", now);
        let r = m.run_until_complete(r, 100 * MS).unwrap();
        assert_eq!(
            (r.status, r.output.as_slice()),
            (NtStatus::SUCCESS, &b"hi"[..])
        );
        m.close(0);
    }
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

fn closed_port_requests() -> Vec<Operation> {
    let dc = |code: u32, input: Vec<u8>, output_len: usize| Operation::DeviceControl {
        code,
        input,
        output_len,
    };
    vec![
        Operation::Read { len: 4 },
        Operation::Read { len: 0 },
        Operation::Write {
            data: b"x".to_vec(),
        },
        Operation::Write { data: Vec::new() },
        Operation::Flush,
        dc(SerialIoctl::GetBaudRate.code(), Vec::new(), 4),
        dc(
            SerialIoctl::SetBaudRate.code(),
            bytes!(SerialBaudRate { baud_rate: 9600 }),
            0,
        ),
        dc(SerialIoctl::Purge.code(), bytes!(0x0Fu32), 0),
        dc(SerialIoctl::WaitOnMask.code(), Vec::new(), 4),
        dc(SerialIoctl::GetCommStatus.code(), Vec::new(), 20),
        dc(SerialIoctl::ImmediateChar.code(), vec![b'!'], 0),
        // Gate order: "not open" comes before "unknown code" and "buffer too small".
        dc(SerialIoctl::GetTimeouts.code(), Vec::new(), 0),
        dc(serial_ioctl::ctl_code(0x1B, 33, 0, 0), Vec::new(), 64),
        dc(0xDEAD_BEEF, Vec::new(), 0),
    ]
}

#[test]
fn requests_on_a_closed_port_are_invalid_device_requests() {
    let mut m = peer_machine();
    m.close(0);
    for before_first_open in [false, true] {
        let mut fresh = machine(Topology::Nothing);
        let target = if before_first_open {
            &mut fresh
        } else {
            &mut m
        };
        for operation in closed_port_requests() {
            let c = target.call(0, operation.clone());
            assert_eq!(
                (c.status, c.information),
                (NtStatus::INVALID_DEVICE_REQUEST, 0),
                "{operation:?} (before the first open: {before_first_open})"
            );
        }
        let violations = fresh.finish();
        assert!(violations.is_empty(), "{violations:#?}");
    }
    // Internal requests come from trusted kernel clients and skip the open check.
    for code in [InternalIoctl::DoWaitWake, InternalIoctl::CancelWaitWake] {
        let c = m.call(
            0,
            Operation::InternalDeviceControl {
                code: code.code(),
                input: Vec::new(),
                output_len: 0,
            },
        );
        assert_eq!(
            (c.status, c.information),
            (NtStatus::SUCCESS, 0),
            "{code:?}"
        );
    }
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn cleanup_cancels_every_pending_request() {
    let mut m = peer_machine();
    // The peer holds CTS low: writes, the XOFF counter and the immediate character all wait.
    ok(set_handflow(
        &mut m,
        0,
        handflow::DTR_CONTROL | handflow::CTS_HANDSHAKE,
        handflow::RTS_CONTROL,
        0,
        0,
    ));
    ok(set_wait_mask(&mut m, 0, ev::RING));
    let counter = SerialXoffCounter {
        timeout: 0,
        counter: 5,
        xoff_char: 0x13,
        reserved: [0; 3],
    };
    let handles = vec![
        submit(&mut m, Operation::Read { len: 10 }),
        submit(&mut m, Operation::Read { len: 10 }),
        submit(&mut m, Operation::Write { data: payload(20) }),
        submit(&mut m, Operation::Write { data: payload(20) }),
        {
            let h = start_ioctl(&mut m, 0, SerialIoctl::XoffCounter, &bytes!(counter), 0);
            dispatch(&mut m);
            h
        },
        submit(&mut m, Operation::Flush),
        start_wait(&mut m, 0),
        start_ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"!", 0),
    ];
    m.run_for(100 * MS);
    for &h in &handles {
        assert!(pending(&m, h), "#{} should still be pending", h.id);
    }
    let closing = m.now();
    m.close(0);
    for &h in &handles {
        let c = done(&m, h);
        assert_eq!((c.status, c.information), (NtStatus::CANCELLED, 0), "{c:?}");
        assert_eq!(c.completed_at, closing, "cleanup completes them at once");
    }
    assert!(peer_received(&m).is_empty(), "nothing held was sent");
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn close_drains_the_transmitter_then_drops_dtr_and_rts() {
    let mut m = peer_machine();
    assert!(peer_outputs(&m).dtr && peer_outputs(&m).rts);
    let data = payload(40);
    let w = m.call(0, Operation::Write { data: data.clone() });
    assert_eq!((w.status, w.information), (NtStatus::SUCCESS, 40));
    // The write completed when its last byte entered the FIFO: most are still to go.
    assert!(peer_received(&m).len() < 40);
    m.close(0);
    assert_eq!(peer_received(&m), data, "every byte reached the peer");
    let outputs = peer_outputs(&m);
    assert!(!outputs.dtr && !outputs.rts, "{outputs:?}");
    let last_char = *peer_received_times(&m).last().unwrap();
    let history = peer_output_history(&m);
    let dropped = history
        .windows(2)
        .rev()
        .find(|pair| pair[0].1.dtr && !pair[1].1.dtr)
        .map(|pair| pair[1].0)
        .unwrap();
    let char_time = FrameFormat::eight_n_one(9600).character_time();
    assert!(
        dropped >= last_char + 10 * char_time - 10,
        "DTR dropped at {dropped}, last character ended at {last_char}"
    );
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn close_ends_a_break() {
    let mut m = peer_machine();
    ok(ioctl(&mut m, 0, SerialIoctl::SetBreakOn, &[], 0));
    m.run_for(5 * MS);
    assert!(peer_outputs(&m).break_condition);
    m.close(0);
    assert!(!peer_outputs(&m).break_condition);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn close_releases_a_peer_held_by_our_xoff() {
    let mut m = peer_machine();
    // Automatic receive flow control with XoffLimit (free space) such that a few bytes hold.
    ok(set_handflow(
        &mut m,
        0,
        handflow::DTR_CONTROL,
        handflow::RTS_CONTROL | handflow::AUTO_RECEIVE,
        2,
        4090,
    ));
    let now = m.now();
    peer_send(&mut m, b"12345678", now);
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), [0x13], "XOFF sent");
    m.close(0);
    assert_eq!(
        peer_received(&m),
        [0x13, 0x11],
        "close sends XON before dropping the lines"
    );
    let xon_end = *peer_received_times(&m).last().unwrap();
    let history = peer_output_history(&m);
    let dtr_drop = history
        .windows(2)
        .rev()
        .find(|pair| pair[0].1.dtr && !pair[1].1.dtr)
        .map(|pair| pair[1].0)
        .unwrap();
    assert!(dtr_drop > xon_end);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}

/// A GET IOCTL returning `$ty` (asserts SUCCESS and Information = its size).
macro_rules! get {
    ($m:expr, $code:expr, $ty:ty) => {{
        let size = ::core::mem::size_of::<$ty>();
        let c = ok(ioctl($m, 0, $code, &[], size));
        assert_eq!(c.information, size, "{:?}", $code);
        output!($ty, c)
    }};
}

#[test]
fn settings_persist_across_close_and_reopen() {
    let mut m = peer_machine();
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetBaudRate,
        &bytes!(SerialBaudRate { baud_rate: 19_200 }),
        0,
    ));
    let line = SerialLineControl {
        stop_bits: line_control::STOP_BITS_2,
        parity: line_control::EVEN_PARITY,
        word_length: 7,
    };
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetLineControl,
        &bytes!(line),
        0,
    ));
    let timeouts = SerialTimeouts {
        read_interval_timeout: 1,
        read_total_timeout_multiplier: 2,
        read_total_timeout_constant: 3,
        write_total_timeout_multiplier: 4,
        write_total_timeout_constant: 5,
    };
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetTimeouts,
        &bytes!(timeouts),
        0,
    ));
    let chars = SerialChars {
        eof_char: 0x1A,
        error_char: 0x3F,
        break_char: 0x42,
        event_char: 0x0D,
        xon_char: 0x21,
        xoff_char: 0x23,
    };
    ok(set_chars(&mut m, 0, chars));
    let control = handflow::DTR_HANDSHAKE | handflow::CTS_HANDSHAKE | handflow::DSR_SENSITIVITY;
    let flow = handflow::RTS_HANDSHAKE | handflow::AUTO_TRANSMIT | handflow::NULL_STRIPPING;
    ok(set_handflow(&mut m, 0, control, flow, 100, 200));

    m.close(0);
    assert_eq!(m.open(0), NtStatus::SUCCESS);

    let baud = get!(&mut m, SerialIoctl::GetBaudRate, SerialBaudRate);
    assert_eq!(baud.baud_rate, 19_200);
    assert_eq!(
        get!(&mut m, SerialIoctl::GetLineControl, SerialLineControl),
        line
    );
    assert_eq!(
        get!(&mut m, SerialIoctl::GetTimeouts, SerialTimeouts),
        timeouts
    );
    assert_eq!(get_chars(&mut m, 0), chars);
    let hf = get_handflow(&mut m, 0);
    assert_eq!((hf.control_handshake, hf.flow_replace), (control, flow));
    assert_eq!(
        (hf.xon_limit, hf.xoff_limit),
        (2048, 512),
        "the limits go back to BufferSize/2 and BufferSize/8 at open"
    );
    // And the UART really runs with them again.
    let frame = m.board().uart(0).frame();
    assert_eq!(m.board().uart(0).divisor(), 6);
    assert_eq!(
        (frame.data_bits, frame.parity, frame.stop_bits),
        (7, Parity::Even, StopBits::Two)
    );
    end(m);
}

#[test]
fn per_open_state_is_reset_at_every_open() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR | ev::CTS));
    const ESCAPE: u8 = 0xE0;
    ok(ioctl(&mut m, 0, SerialIoctl::LsrmstInsert, &[ESCAPE], 0));
    let w = m.call(
        0,
        Operation::Write {
            data: b"counted".to_vec(),
        },
    );
    assert_eq!(w.status, NtStatus::SUCCESS);
    let now = m.now();
    let framing = LineErrors {
        framing: true,
        ..LineErrors::NONE
    };
    let t = peer_send_char(&mut m, b'?', framing, now);
    peer_send(&mut m, b"typeahead", t);
    m.run_for(50 * MS);
    let stats = get!(&mut m, SerialIoctl::GetStats, SerialPerfStats);
    assert_eq!(stats.transmitted_count, 7);
    assert!(stats.received_count >= 9, "{stats:?}");
    assert_eq!(stats.frame_error_count, 1);

    m.close(0);
    assert_eq!(m.open(0), NtStatus::SUCCESS);

    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetWaitMask), 0);
    let wait = ioctl(&mut m, 0, SerialIoctl::WaitOnMask, &[], 4);
    assert_eq!(wait.status, NtStatus::INVALID_PARAMETER, "no mask armed");
    assert_eq!(
        get!(&mut m, SerialIoctl::GetStats, SerialPerfStats),
        SerialPerfStats::default()
    );
    let status = comm_status(&mut m, 0);
    assert_eq!(status.errors & error::FRAMING, 0);
    assert_eq!((status.errors, status.amount_in_in_queue), (0, 0));
    // The LSRMST escape is off again: a received escape byte is not doubled.
    let r = submit(&mut m, Operation::Read { len: 2 });
    let now = m.now();
    peer_send(&mut m, &[ESCAPE, b'.'], now);
    let r = m.run_until_complete(r, 100 * MS).unwrap();
    assert_eq!(r.output, [ESCAPE, b'.']);
    end(m);
}

/// The last handle closes while requests are still being dispatched on other CPUs (the I/O
/// manager sends IRP_MJ_CLEANUP when the handle count drops, whatever is in flight): a request
/// that reaches the queue after cleanup emptied it is refused (CANCELLED), never left queued
/// after the close. Found by the fuzzer (a write marked cancelable just after cleanup's pass).
#[test]
fn requests_racing_with_cleanup_are_completed_not_left_queued() {
    for seed in 0..200 {
        let config = serial_model::kernel::MachineConfig {
            topology: Topology::Loopback,
            cpus: 4,
            strategy: serial_model::kernel::Strategy::Random { seed },
            ..serial_model::kernel::MachineConfig::default()
        };
        let mut m = Machine::new(config);
        open_8n1(&mut m, 0, 115_200);
        let mut handles: Vec<RequestHandle> = (0..3)
            .map(|i| {
                m.submit(
                    0,
                    Operation::Write {
                        data: payload(20 + i),
                    },
                )
            })
            .collect();
        handles.push(m.submit(0, Operation::Read { len: 64 }));
        handles.push(m.submit(0, Operation::Flush));
        handles.push(start_ioctl(&mut m, 0, SerialIoctl::WaitOnMask, &[], 4));
        m.close(0);
        m.run_until_idle(1_000 * MS);
        for handle in handles {
            assert!(
                !pending(&m, handle),
                "seed {seed}: request #{} left pending after close",
                handle.id
            );
        }
        end(m);
    }
}
