//! Flow control and handshake end to end (serial-semantics.md §10, §11): SET/GET_HANDFLOW, the
//! DTR/RTS modes as the peer sees them, CTS/DSR/DCD handshake, DSR sensitivity, automatic
//! transmit and receive XON/XOFF, pretend XON/XOFF, break, the immediate character, the XOFF
//! counter, transmit toggle, transmit priority and the hold reasons GET_COMMSTATUS reports.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{NtStatus, SerialIoctl, SerialXoffCounter, handflow as hf, hold, line_state};
use serial_model::kernel::{Machine, Operation, RequestHandle};
use serial_model::uart::{FrameFormat, ModemInputs};

const XON: u8 = 0x11;
const XOFF: u8 = 0x13;

/// `count` back-to-back 8N1 characters at 9600 baud, 100 ns units (rounded up once).
fn chars(count: u64) -> u64 {
    FrameFormat::eight_n_one(9600).characters_time(count)
}

fn holds(m: &mut Machine) -> u32 {
    comm_status(m, 0).hold_reasons
}

fn finish(mut m: Machine) {
    m.close(0);
    assert!(m.finish().is_empty());
}

fn pending(m: &Machine, request: RequestHandle) -> bool {
    m.completion(request).is_none()
}

/// The peer's received characters without the break characters.
fn peer_data(m: &Machine) -> Vec<u8> {
    m.board()
        .peer_ref()
        .unwrap()
        .received()
        .iter()
        .filter(|ch| !ch.errors.break_condition)
        .map(|ch| ch.data)
        .collect()
}

fn peer_breaks(m: &Machine) -> usize {
    m.board()
        .peer_ref()
        .unwrap()
        .received()
        .iter()
        .filter(|ch| ch.errors.break_condition)
        .count()
}

fn plain(m: &mut Machine, code: SerialIoctl) -> serial_model::kernel::Completion {
    ioctl(m, 0, code, &[], 0)
}

const ALL_HIGH: ModemInputs = lines(true, true, false, true);

// ----- SET/GET_HANDFLOW --------------------------------------------------------------------------

#[test]
fn handflow_round_trips() {
    let mut m = peer_machine();
    let control = hf::DTR_CONTROL | hf::CTS_HANDSHAKE | hf::DSR_SENSITIVITY | hf::ERROR_ABORT;
    let flow = hf::AUTO_TRANSMIT | hf::AUTO_RECEIVE | hf::RTS_HANDSHAKE | hf::XOFF_CONTINUE;
    let c = ok(set_handflow(&mut m, 0, control, flow, 100, 4096));
    assert_eq!(c.information, 0);
    let got = get_handflow(&mut m, 0);
    assert_eq!(
        (
            got.control_handshake,
            got.flow_replace,
            got.xon_limit,
            got.xoff_limit
        ),
        (control, flow, 100, 4096)
    );
    finish(m);
}

#[test]
fn invalid_handflow_is_rejected_and_changes_nothing() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL,
        10,
        20,
    ));
    let before = get_handflow(&mut m, 0);
    let outputs = peer_outputs(&m);
    assert!(outputs.dtr && outputs.rts);
    let cases: [(u32, u32, i32, i32, &str); 10] = [
        (0x04, hf::RTS_CONTROL, 10, 20, "ControlHandShake bit 2"),
        (0x100, 0, 10, 20, "ControlHandShake bit 8"),
        (0x4000_0000, 0, 10, 20, "ControlHandShake bit 30"),
        (hf::DTR_MASK, 0, 10, 20, "DTR_CONTROL | DTR_HANDSHAKE"),
        (0, 0x20, 10, 20, "FlowReplace bit 5"),
        (0, 0x100, 10, 20, "FlowReplace bit 8"),
        (0, 0, -1, 20, "XonLimit < 0"),
        (0, 0, 10, -1, "XoffLimit < 0"),
        (0, 0, 4097, 20, "XonLimit > buffer size"),
        (0, 0, 10, 4097, "XoffLimit > buffer size"),
    ];
    for (control, flow, xon, xoff, why) in cases {
        let c = set_handflow(&mut m, 0, control, flow, xon, xoff);
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "{why}");
        assert_eq!(c.information, 0);
        assert_eq!(get_handflow(&mut m, 0), before, "{why}: settings changed");
        assert_eq!(peer_outputs(&m), outputs, "{why}: lines changed");
    }
    // ERROR_CHAR while an LSRMST escape is active.
    ok(ioctl(&mut m, 0, SerialIoctl::LsrmstInsert, &[0xFF], 0));
    let c = set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL | hf::ERROR_CHAR,
        10,
        20,
    );
    assert_eq!(c.status, NtStatus::INVALID_PARAMETER);
    assert_eq!(get_handflow(&mut m, 0), before);
    ok(ioctl(&mut m, 0, SerialIoctl::LsrmstInsert, &[0], 0));
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL | hf::ERROR_CHAR,
        10,
        20,
    ));
    finish(m);
}

// ----- DTR and RTS modes -------------------------------------------------------------------------

#[test]
fn dtr_and_rts_follow_their_modes() {
    let mut m = peer_machine();
    let dtr_rts = |m: &mut Machine| {
        let seen = peer_outputs(m);
        let reported = ioctl_u32(m, 0, SerialIoctl::GetDtrRts);
        assert_eq!(
            reported,
            u32::from(seen.dtr) * line_state::DTR_STATE
                + u32::from(seen.rts) * line_state::RTS_STATE,
            "GET_DTRRTS disagrees with the wire"
        );
        (seen.dtr, seen.rts)
    };
    assert_eq!(dtr_rts(&mut m), (true, true), "DTR_CONTROL, RTS_CONTROL");
    ok(set_handflow(&mut m, 0, 0, 0, 0, 0));
    assert_eq!(dtr_rts(&mut m), (false, false), "no DTR or RTS mode");
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_HANDSHAKE,
        hf::RTS_HANDSHAKE,
        0,
        0,
    ));
    assert_eq!(
        dtr_rts(&mut m),
        (true, true),
        "handshake with an empty ring"
    );
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::TRANSMIT_TOGGLE,
        0,
        0,
    ));
    assert_eq!(dtr_rts(&mut m), (true, false), "transmit toggle while idle");
    ok(set_handflow(&mut m, 0, 0, hf::RTS_CONTROL, 0, 0));
    assert_eq!(dtr_rts(&mut m), (false, true));
    finish(m);
}

#[test]
fn set_and_clear_dtr_and_rts_unless_a_handshake_owns_the_line() {
    let mut m = peer_machine();
    ok(plain(&mut m, SerialIoctl::ClrDtr));
    assert!(!peer_outputs(&m).dtr);
    ok(plain(&mut m, SerialIoctl::SetDtr));
    assert!(peer_outputs(&m).dtr);
    ok(plain(&mut m, SerialIoctl::ClrRts));
    assert!(!peer_outputs(&m).rts);
    ok(plain(&mut m, SerialIoctl::SetRts));
    assert!(peer_outputs(&m).rts);

    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_HANDSHAKE,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    for code in [SerialIoctl::SetDtr, SerialIoctl::ClrDtr] {
        let c = plain(&mut m, code);
        assert_eq!(
            c.status,
            NtStatus::INVALID_PARAMETER,
            "{code:?} under DTR handshake"
        );
        assert!(peer_outputs(&m).dtr, "{code:?} must not touch DTR");
    }
    ok(plain(&mut m, SerialIoctl::ClrRts));
    assert!(
        !peer_outputs(&m).rts,
        "RTS is still ours under DTR handshake"
    );

    for (flow, name) in [
        (hf::RTS_HANDSHAKE, "RTS handshake"),
        (hf::TRANSMIT_TOGGLE, "transmit toggle"),
    ] {
        ok(set_handflow(&mut m, 0, hf::DTR_CONTROL, flow, 0, 0));
        let rts = peer_outputs(&m).rts;
        for code in [SerialIoctl::SetRts, SerialIoctl::ClrRts] {
            let c = plain(&mut m, code);
            assert_eq!(
                c.status,
                NtStatus::INVALID_PARAMETER,
                "{code:?} under {name}"
            );
            assert_eq!(peer_outputs(&m).rts, rts, "{code:?} must not touch RTS");
        }
        ok(plain(&mut m, SerialIoctl::ClrDtr));
        ok(plain(&mut m, SerialIoctl::SetDtr));
    }
    finish(m);
}

// ----- CTS/DSR/DCD handshake and DSR sensitivity ---------------------------------------------

/// A write is held while `input` is low and goes out, in order, from the instant it rises; a drop
/// in mid-write stops the transmitter again after what the UART already holds.
fn output_handshake(control: u32, low: ModemInputs, high: ModemInputs, hold_bit: u32) {
    let mut m = peer_machine();
    let now = m.now();
    peer_lines(&mut m, low, now);
    m.run_for(MS);
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | control,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    let data = payload(60);
    let write = m.submit(0, Operation::Write { data: data.clone() });
    m.run_for(100 * MS);
    assert!(pending(&m, write), "held by the handshake");
    assert!(
        peer_received(&m).is_empty(),
        "nothing may leave while the input is low"
    );
    let status = comm_status(&mut m, 0);
    assert_eq!(status.hold_reasons, hold_bit);
    assert_eq!(status.amount_in_out_queue, 60);

    let rise = m.now() + MS;
    peer_lines(&mut m, high, rise);
    m.run_until(rise + 10 * chars(1));
    let times = peer_received_times(&m);
    assert_eq!(
        times.first(),
        Some(&(rise + chars(1))),
        "first byte right after the rise"
    );
    assert_eq!(holds(&mut m), 0);

    // Drop the input again: the transmitter stops once the UART's own FIFO has drained.
    let drop = rise + 20 * chars(1);
    peer_lines(&mut m, low, drop);
    m.run_until(drop + 20 * chars(1));
    let sent = peer_received(&m).len();
    assert!(sent < 60, "the drop must stop the transmitter");
    m.run_for(200 * MS);
    assert_eq!(peer_received(&m).len(), sent, "still held");
    assert_eq!(holds(&mut m), hold_bit);
    assert!(pending(&m, write));

    let again = m.now() + MS;
    peer_lines(&mut m, high, again);
    let done = m
        .run_until_complete(write, 200 * MS)
        .expect("write completes");
    assert_eq!(done.status, NtStatus::SUCCESS);
    assert_eq!(done.information, 60);
    m.run_for(100 * MS);
    assert_eq!(peer_received(&m), data, "everything, in order");
    assert_eq!(peer_received_times(&m)[sent], again + chars(1));
    finish(m);
}

#[test]
fn cts_handshake_holds_transmission_while_cts_is_low() {
    output_handshake(
        hf::CTS_HANDSHAKE,
        lines(false, true, false, true),
        ALL_HIGH,
        hold::TX_WAITING_FOR_CTS,
    );
}

#[test]
fn dsr_handshake_holds_transmission_while_dsr_is_low() {
    output_handshake(
        hf::DSR_HANDSHAKE,
        lines(true, false, false, true),
        ALL_HIGH,
        hold::TX_WAITING_FOR_DSR,
    );
}

#[test]
fn dcd_handshake_holds_transmission_while_dcd_is_low() {
    output_handshake(
        hf::DCD_HANDSHAKE,
        lines(true, true, false, false),
        ALL_HIGH,
        hold::TX_WAITING_FOR_DCD,
    );
}

#[test]
fn dsr_sensitivity_drops_received_bytes_while_dsr_is_low() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::DSR_SENSITIVITY,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    assert_eq!(holds(&mut m), hold::RX_WAITING_FOR_DSR);
    let at = m.now();
    let end = peer_send(&mut m, b"lost", at);
    peer_lines(&mut m, lines(false, true, false, false), end + MS);
    let end = peer_send(&mut m, b"kept", end + 2 * MS);
    m.run_until(end + MS);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.hold_reasons, 0);
    assert_eq!(status.amount_in_in_queue, 4);
    assert_eq!(read_now(&mut m, 0, 4), b"kept");
    finish(m);
}

// ----- automatic transmit flow control ---------------------------------------------------------

#[test]
fn received_xoff_stops_our_transmitter_and_xon_resumes_it() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL | hf::AUTO_TRANSMIT,
        0,
        0,
    ));
    let data = payload(200);
    let start = m.now();
    let write = m.submit(0, Operation::Write { data: data.clone() });
    let xoff_end = peer_send(&mut m, &[XOFF], start + 20 * MS);
    m.run_until(xoff_end + 20 * chars(1));
    let sent = peer_received(&m).len();
    assert!(
        (20..60).contains(&sent),
        "{sent} bytes before the XOFF took effect"
    );
    m.run_for(300 * MS);
    assert_eq!(peer_received(&m).len(), sent, "held by XOFF");
    let status = comm_status(&mut m, 0);
    assert_eq!(status.hold_reasons, hold::TX_WAITING_FOR_XON);
    assert_eq!(status.amount_in_out_queue as usize, 200 - sent);
    assert_eq!(status.amount_in_in_queue, 0, "XOFF is swallowed");
    assert!(pending(&m, write));

    let at = m.now();
    let xon_end = peer_send(&mut m, &[XON], at);
    let done = m.run_until_complete(write, 500 * MS).expect("resumes");
    assert_eq!((done.status, done.information), (NtStatus::SUCCESS, 200));
    m.run_for(100 * MS);
    assert_eq!(peer_received(&m), data);
    assert_eq!(
        peer_received_times(&m)[sent],
        xon_end + chars(1),
        "resumes at the XON"
    );
    let status = comm_status(&mut m, 0);
    assert_eq!(status.hold_reasons, 0);
    assert_eq!(status.amount_in_in_queue, 0, "XON is swallowed");
    finish(m);
}

// ----- automatic receive flow control ----------------------------------------------------------

/// Ring of 128 bytes, XoffLimit 32 (free bytes), XonLimit 16: the peer is held when the ring
/// reaches 96 bytes and released when reads bring it down to 16.
fn receive_flow(control: u32, flow: u32) -> (Machine, u64) {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
    ok(set_handflow(&mut m, 0, control, flow, 16, 32));
    let start = m.now() + MS;
    peer_send(&mut m, &payload(100), start);
    m.run_until(start + chars(95) + 1);
    (m, start)
}

#[test]
fn automatic_receive_sends_xoff_at_the_limit_and_xon_after_draining() {
    let (mut m, start) = receive_flow(hf::DTR_CONTROL, hf::RTS_CONTROL | hf::AUTO_RECEIVE);
    assert!(
        peer_received(&m).is_empty(),
        "95 bytes leave 33 free: no XOFF yet"
    );
    m.run_until(start + chars(100) + MS);
    assert_eq!(peer_received(&m), [XOFF]);
    assert_eq!(
        peer_received_times(&m),
        [start + chars(96) + chars(1)],
        "XOFF goes out when the 96th byte is stored"
    );
    let status = comm_status(&mut m, 0);
    assert_eq!(
        status.amount_in_in_queue, 100,
        "flow control never stops reception"
    );
    assert_eq!(
        status.hold_reasons,
        hold::TX_WAITING_XOFF_SENT | hold::TX_WAITING_FOR_XON
    );
    assert_eq!(read_now(&mut m, 0, 83), payload(100)[..83]);
    m.run_for(10 * MS);
    assert_eq!(peer_received(&m), [XOFF], "17 bytes left: above XonLimit");
    let read = m.call(0, Operation::Read { len: 1 });
    m.run_for(10 * MS);
    assert_eq!(peer_received(&m), [XOFF, XON]);
    assert_eq!(peer_received_times(&m)[1], read.completed_at + chars(1));
    assert_eq!(holds(&mut m), 0);
    finish(m);
}

/// The output line `which` (true = DTR) as the peer saw it at each change.
fn line_changes(m: &Machine, dtr: bool) -> Vec<(u64, bool)> {
    let mut changes: Vec<(u64, bool)> = Vec::new();
    for (at, outputs) in peer_output_history(m) {
        let level = if dtr { outputs.dtr } else { outputs.rts };
        if changes.last().is_none_or(|(_, last)| *last != level) {
            changes.push((at, level));
        }
    }
    changes
}

fn receive_handshake_line(control: u32, flow: u32, dtr: bool) {
    let (mut m, start) = receive_flow(control, flow);
    let level = |m: &Machine| {
        let outputs = peer_outputs(m);
        if dtr { outputs.dtr } else { outputs.rts }
    };
    assert!(level(&m), "95 bytes: still high");
    m.run_until(start + chars(100) + MS);
    assert!(!level(&m), "dropped at the limit");
    let dropped = line_changes(&m, dtr).last().copied().unwrap();
    assert_eq!(
        dropped,
        (start + chars(96), false),
        "dropped when the 96th byte is stored"
    );
    read_now(&mut m, 0, 83);
    assert!(!level(&m), "17 bytes left: still low");
    let read = m.call(0, Operation::Read { len: 1 });
    assert!(level(&m), "raised at XonLimit");
    assert_eq!(
        line_changes(&m, dtr).last().copied().unwrap(),
        (read.completed_at, true)
    );
    assert!(
        peer_received(&m).is_empty(),
        "no XON/XOFF characters without AUTO_RECEIVE"
    );
    finish(m);
}

#[test]
fn rts_handshake_drops_and_raises_rts_at_the_limits() {
    receive_handshake_line(hf::DTR_CONTROL, hf::RTS_HANDSHAKE, false);
}

#[test]
fn dtr_handshake_drops_and_raises_dtr_at_the_limits() {
    receive_handshake_line(hf::DTR_HANDSHAKE, hf::RTS_CONTROL, true);
}

#[test]
fn our_xoff_holds_our_transmitter_unless_xoff_continue() {
    for continue_after_xoff in [false, true] {
        let flow = hf::RTS_CONTROL
            | hf::AUTO_RECEIVE
            | if continue_after_xoff {
                hf::XOFF_CONTINUE
            } else {
                0
            };
        let (mut m, start) = receive_flow(hf::DTR_CONTROL, flow);
        m.run_until(start + chars(100) + MS);
        assert_eq!(peer_received(&m), [XOFF]);
        let write = m.submit(
            0,
            Operation::Write {
                data: b"go".to_vec(),
            },
        );
        m.run_for(50 * MS);
        if continue_after_xoff {
            assert_eq!(peer_received(&m), [XOFF, b'g', b'o']);
            assert_eq!(holds(&mut m), hold::TX_WAITING_XOFF_SENT);
        } else {
            assert!(pending(&m, write), "our own XOFF holds our data");
            assert_eq!(peer_received(&m), [XOFF]);
            assert_eq!(
                holds(&mut m),
                hold::TX_WAITING_XOFF_SENT | hold::TX_WAITING_FOR_XON
            );
            read_now(&mut m, 0, 84);
            m.run_for(50 * MS);
            assert_eq!(
                peer_received(&m),
                [XOFF, XON, b'g', b'o'],
                "XON, then the data"
            );
        }
        assert_eq!(m.completion(write).unwrap().status, NtStatus::SUCCESS);
        finish(m);
    }
}

// ----- pretend XON/XOFF, break --------------------------------------------------------------------

#[test]
fn set_xoff_holds_transmission_until_set_xon_even_without_auto_transmit() {
    let mut m = peer_machine();
    ok(plain(&mut m, SerialIoctl::SetXoff));
    assert_eq!(holds(&mut m), hold::TX_WAITING_FOR_XON);
    let write = m.submit(
        0,
        Operation::Write {
            data: b"held".to_vec(),
        },
    );
    // A received XON does not lift it without AUTO_TRANSMIT (and is ordinary data then).
    let at = m.now();
    let end = peer_send(&mut m, &[XON], at);
    m.run_until(end + 50 * MS);
    assert!(pending(&m, write));
    assert!(peer_received(&m).is_empty());
    assert_eq!(read_now(&mut m, 0, 1), [XON]);
    let at = m.now();
    ok(plain(&mut m, SerialIoctl::SetXon));
    let done = m.run_until_complete(write, 100 * MS).unwrap();
    assert_eq!(done.status, NtStatus::SUCCESS);
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"held");
    assert_eq!(peer_received_times(&m)[0], at + chars(1));
    assert_eq!(holds(&mut m), 0);
    finish(m);
}

#[test]
fn break_is_seen_by_the_peer_and_holds_writes_until_it_ends() {
    let mut m = peer_machine();
    let on = m.now();
    ok(plain(&mut m, SerialIoctl::SetBreakOn));
    assert!(peer_outputs(&m).break_condition);
    assert_eq!(holds(&mut m), hold::TX_WAITING_ON_BREAK);
    let write = m.submit(
        0,
        Operation::Write {
            data: b"after".to_vec(),
        },
    );
    m.run_for(100 * MS);
    assert!(pending(&m, write), "writes wait for the break to end");
    assert_eq!(peer_breaks(&m), 1, "the peer saw a break");
    assert!(peer_data(&m).is_empty());
    assert!(peer_received_times(&m)[0] >= on + chars(1));
    let off = m.now();
    ok(plain(&mut m, SerialIoctl::SetBreakOff));
    assert!(!peer_outputs(&m).break_condition);
    let done = m.run_until_complete(write, 100 * MS).unwrap();
    assert_eq!((done.status, done.information), (NtStatus::SUCCESS, 5));
    m.run_for(20 * MS);
    assert_eq!(peer_data(&m), b"after");
    assert_eq!(peer_received_times(&m)[1], off + chars(1));
    assert_eq!(holds(&mut m), 0);
    // BREAK_OFF without a break is harmless.
    ok(plain(&mut m, SerialIoctl::SetBreakOff));
    finish(m);
}

// ----- immediate character ----------------------------------------------------------------------

#[test]
fn immediate_char_goes_out_ahead_of_queued_write_data() {
    let mut m = peer_machine();
    let data = payload(100);
    let marker = (0..=255u8).find(|b| !data.contains(b)).unwrap();
    let write = m.submit(0, Operation::Write { data: data.clone() });
    m.run_for(5 * MS);
    let immediate = ioctl(&mut m, 0, SerialIoctl::ImmediateChar, &[marker], 0);
    assert_eq!(immediate.status, NtStatus::SUCCESS);
    assert_eq!(
        immediate.information, 0,
        "no output buffer (README deviation)"
    );
    ok(m.run_until_complete(write, 500 * MS).unwrap());
    m.run_for(50 * MS);
    let received = peer_received(&m);
    let at = received
        .iter()
        .position(|&b| b == marker)
        .expect("immediate char sent");
    assert!(
        at < 40,
        "immediate char at position {at}, not ahead of the queued data"
    );
    let mut rest = received.clone();
    rest.remove(at);
    assert_eq!(rest, data, "write data intact and in order around it");
    finish(m);
}

#[test]
fn one_immediate_char_at_a_time_and_its_timeout_when_held_by_cts() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::CTS_HANDSHAKE,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    set_timeouts(&mut m, 0, 0, 0, 0, 10, 50);
    let first = start_ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"1", 0);
    m.run_for(MS);
    assert!(pending(&m, first));
    let status = comm_status(&mut m, 0);
    assert_eq!(status.wait_for_immediate, 1);
    assert_eq!(status.amount_in_out_queue, 1);
    let second = ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"2", 0);
    assert_eq!(second.status, NtStatus::INVALID_PARAMETER);
    let done = m.run_until_complete(first, 200 * MS).expect("times out");
    assert_eq!(done.status, NtStatus::TIMEOUT);
    assert_eq!(done.information, 0);
    assert_eq!(done.completed_at, done.submitted_at + 60 * MS, "WM·1 + WC");
    let status = comm_status(&mut m, 0);
    assert_eq!(
        (status.wait_for_immediate, status.amount_in_out_queue),
        (0, 0)
    );
    // CTS rises: the timed-out character is not sent; a new one is.
    let at = m.now();
    peer_lines(&mut m, ALL_HIGH, at);
    m.run_for(20 * MS);
    assert!(peer_received(&m).is_empty());
    let third = ok(ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"3", 0));
    assert_eq!(third.information, 0);
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"3");
    finish(m);
}

#[test]
fn immediate_char_is_sent_under_the_xoff_only_hold() {
    let mut m = peer_machine();
    ok(plain(&mut m, SerialIoctl::SetXoff));
    let write = m.submit(
        0,
        Operation::Write {
            data: b"data".to_vec(),
        },
    );
    m.run_for(10 * MS);
    let at = m.now();
    let immediate = ok(ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"!", 0));
    assert_eq!(
        immediate.information, 0,
        "no output buffer (README deviation)"
    );
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"!");
    assert_eq!(peer_received_times(&m), [at + chars(1)]);
    assert!(pending(&m, write), "data still held by XOFF");
    ok(plain(&mut m, SerialIoctl::SetXon));
    ok(m.run_until_complete(write, 100 * MS).unwrap());
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"!data");
    finish(m);
}

// ----- XOFF counter ---------------------------------------------------------------------------

fn xoff_counter(timeout: u32, counter: i32, xoff_char: u8) -> Vec<u8> {
    bytes!(SerialXoffCounter {
        timeout,
        counter,
        xoff_char,
        reserved: [0; 3],
    })
}

#[test]
fn xoff_counter_with_a_count_of_zero_or_less_is_rejected() {
    let mut m = peer_machine();
    for counter in [0, -1, i32::MIN] {
        let c = ioctl(
            &mut m,
            0,
            SerialIoctl::XoffCounter,
            &xoff_counter(0, counter, XOFF),
            0,
        );
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "counter {counter}");
    }
    m.run_for(20 * MS);
    assert!(peer_received(&m).is_empty());
    finish(m);
}

#[test]
fn xoff_counter_sends_its_char_and_completes_after_counter_characters() {
    let mut m = peer_machine();
    let counter = start_ioctl(
        &mut m,
        0,
        SerialIoctl::XoffCounter,
        &xoff_counter(0, 3, 0x93),
        0,
    );
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), [0x93]);
    assert!(pending(&m, counter));
    assert_eq!(
        holds(&mut m),
        0,
        "the XOFF counter does not engage flow control"
    );
    // An immediate char does not end it.
    ok(ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"i", 0));
    m.run_for(5 * MS);
    assert!(pending(&m, counter));
    let start = m.now();
    peer_send(&mut m, b"ab", start);
    m.run_until(start + chars(2) + MS);
    assert!(pending(&m, counter), "two of three characters");
    let end = peer_send(&mut m, b"cd", start + chars(2) + MS);
    let done = m.run_until_complete(counter, 100 * MS).expect("counted");
    assert_eq!((done.status, done.information), (NtStatus::SUCCESS, 0));
    assert_eq!(done.completed_at, start + chars(2) + MS + chars(1));
    m.run_until(end + MS);
    assert_eq!(
        read_now(&mut m, 0, 4),
        b"abcd",
        "counted characters are still received"
    );
    finish(m);
}

#[test]
fn xoff_counter_times_out_on_its_own_timer() {
    let mut m = peer_machine();
    let counter = start_ioctl(
        &mut m,
        0,
        SerialIoctl::XoffCounter,
        &xoff_counter(20, 5, XOFF),
        0,
    );
    let at = m.now();
    peer_send(&mut m, b"xy", at + MS);
    let done = m.run_until_complete(counter, 100 * MS).expect("times out");
    assert_eq!(done.status, NtStatus::SERIAL_COUNTER_TIMEOUT);
    assert_eq!(done.information, 0);
    assert_eq!(
        done.completed_at,
        done.submitted_at + 20 * MS,
        "timer runs from the XOFF"
    );
    assert_eq!(peer_received(&m), [XOFF]);
    finish(m);
}

#[test]
fn xoff_counter_ends_when_a_write_follows() {
    let mut m = peer_machine();
    let counter = start_ioctl(
        &mut m,
        0,
        SerialIoctl::XoffCounter,
        &xoff_counter(0, 5, XOFF),
        0,
    );
    m.run_for(10 * MS);
    assert!(pending(&m, counter));
    let write = m.submit(
        0,
        Operation::Write {
            data: b"w".to_vec(),
        },
    );
    let done = m
        .run_until_complete(counter, 10 * MS)
        .expect("ended by the write");
    assert_eq!(done.status, NtStatus::SERIAL_MORE_WRITES);
    assert_eq!(done.information, 0);
    let w = m.run_until_complete(write, 10 * MS).unwrap();
    assert_eq!((w.status, w.information), (NtStatus::SUCCESS, 1));
    assert_eq!(done.completed_at, w.submitted_at);
    m.run_for(10 * MS);
    assert_eq!(peer_received(&m), [XOFF, b'w']);
    finish(m);
}

// ----- transmit toggle -----------------------------------------------------------------------

#[test]
fn transmit_toggle_raises_rts_while_sending_and_lowers_it_after_the_last_stop_bit() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::TRANSMIT_TOGGLE,
        0,
        0,
    ));
    assert!(!peer_outputs(&m).rts);
    let start = m.now() + MS;
    m.run_until(start);
    ok(m.call(
        0,
        Operation::Write {
            data: b"abc".to_vec(),
        },
    ));
    m.run_for(20 * MS);
    let times = peer_received_times(&m);
    assert_eq!(times.len(), 3);
    let last = *times.last().unwrap();
    let rts = line_changes(&m, false);
    let (raised, _) = *rts
        .iter()
        .find(|(at, level)| *level && *at >= start)
        .expect("RTS raised");
    let (lowered, _) = *rts.iter().rev().find(|(_, level)| !*level).unwrap();
    assert_eq!(raised, start, "RTS rises with the first byte");
    assert!(
        lowered >= last,
        "RTS lowered at {lowered}, before the last stop bit at {last}"
    );
    assert!(
        lowered <= last + chars(1),
        "RTS lowered at {lowered}, long after {last}"
    );
    assert!(!peer_outputs(&m).rts);
    finish(m);
}

// ----- transmit priority ------------------------------------------------------------------------

#[test]
fn xon_goes_before_the_immediate_char_which_goes_before_data() {
    // Our XOFF is out (ring at the limit); during a break the reads release the peer, an
    // immediate char and a write are queued. When the break ends: XON, immediate, data.
    let (mut m, start) = receive_flow(hf::DTR_CONTROL, hf::RTS_CONTROL | hf::AUTO_RECEIVE);
    m.run_until(start + chars(100) + MS);
    assert_eq!(peer_received(&m), [XOFF]);
    ok(plain(&mut m, SerialIoctl::SetBreakOn));
    read_now(&mut m, 0, 90);
    let immediate = start_ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"I", 0);
    let write = m.submit(
        0,
        Operation::Write {
            data: b"data".to_vec(),
        },
    );
    m.run_for(20 * MS);
    assert!(pending(&m, immediate) && pending(&m, write));
    assert_eq!(
        peer_data(&m),
        [XOFF],
        "a break holds XON, immediate char and data alike"
    );
    ok(plain(&mut m, SerialIoctl::SetBreakOff));
    m.run_for(20 * MS);
    assert_eq!(peer_data(&m), [XOFF, XON, b'I', b'd', b'a', b't', b'a']);
    assert_eq!(m.completion(immediate).unwrap().status, NtStatus::SUCCESS);
    assert_eq!(m.completion(write).unwrap().status, NtStatus::SUCCESS);
    finish(m);
}

#[test]
fn xoff_goes_before_the_immediate_char_which_goes_before_data() {
    for continue_after_xoff in [true, false] {
        let flow = hf::RTS_CONTROL
            | hf::AUTO_RECEIVE
            | if continue_after_xoff {
                hf::XOFF_CONTINUE
            } else {
                0
            };
        let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
        ok(set_handflow(&mut m, 0, hf::DTR_CONTROL, flow, 16, 32));
        ok(plain(&mut m, SerialIoctl::SetBreakOn));
        let at = m.now();
        let end = peer_send(&mut m, &payload(100), at);
        m.run_until(end + MS);
        assert_eq!(
            holds(&mut m),
            hold::TX_WAITING_ON_BREAK,
            "XOFF requested, not sent"
        );
        let immediate = start_ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"I", 0);
        let write = m.submit(
            0,
            Operation::Write {
                data: b"data".to_vec(),
            },
        );
        m.run_for(10 * MS);
        ok(plain(&mut m, SerialIoctl::SetBreakOff));
        m.run_for(20 * MS);
        assert_eq!(m.completion(immediate).unwrap().status, NtStatus::SUCCESS);
        if continue_after_xoff {
            assert_eq!(peer_data(&m), [XOFF, b'I', b'd', b'a', b't', b'a']);
        } else {
            assert_eq!(peer_data(&m), [XOFF, b'I'], "data waits for our XON");
            assert!(pending(&m, write));
            read_now(&mut m, 0, 100);
            m.run_for(20 * MS);
            assert_eq!(peer_data(&m), [XOFF, b'I', XON, b'd', b'a', b't', b'a']);
        }
        assert_eq!(m.completion(write).unwrap().status, NtStatus::SUCCESS);
        finish(m);
    }
}

// ----- hold reasons -----------------------------------------------------------------------------

#[test]
fn comm_status_reports_every_hold_reason() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL
            | hf::CTS_HANDSHAKE
            | hf::DSR_HANDSHAKE
            | hf::DCD_HANDSHAKE
            | hf::DSR_SENSITIVITY,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    let handshakes = hold::TX_WAITING_FOR_CTS | hold::TX_WAITING_FOR_DSR | hold::TX_WAITING_FOR_DCD;
    assert_eq!(holds(&mut m), handshakes | hold::RX_WAITING_FOR_DSR);
    ok(plain(&mut m, SerialIoctl::SetXoff));
    ok(plain(&mut m, SerialIoctl::SetBreakOn));
    assert_eq!(
        holds(&mut m),
        handshakes
            | hold::RX_WAITING_FOR_DSR
            | hold::TX_WAITING_FOR_XON
            | hold::TX_WAITING_ON_BREAK
    );
    let steps = [
        (lines(true, false, false, false), hold::TX_WAITING_FOR_CTS),
        (
            lines(true, true, false, false),
            hold::TX_WAITING_FOR_DSR | hold::RX_WAITING_FOR_DSR,
        ),
        (ALL_HIGH, hold::TX_WAITING_FOR_DCD),
    ];
    let mut expected = handshakes
        | hold::RX_WAITING_FOR_DSR
        | hold::TX_WAITING_FOR_XON
        | hold::TX_WAITING_ON_BREAK;
    for (state, cleared) in steps {
        let at = m.now();
        peer_lines(&mut m, state, at);
        m.run_for(MS);
        expected &= !cleared;
        assert_eq!(holds(&mut m), expected, "{state:?}");
    }
    ok(plain(&mut m, SerialIoctl::SetXon));
    assert_eq!(holds(&mut m), hold::TX_WAITING_ON_BREAK);
    ok(plain(&mut m, SerialIoctl::SetBreakOff));
    assert_eq!(holds(&mut m), 0);
    finish(m);
}

// ----- changing the settings while flow control is active ------------------------------------------

#[test]
fn turning_automatic_receive_off_releases_a_peer_held_by_our_xoff() {
    let (mut m, start) = receive_flow(hf::DTR_CONTROL, hf::RTS_CONTROL | hf::AUTO_RECEIVE);
    m.run_until(start + chars(100) + MS);
    assert_eq!(peer_received(&m), [XOFF]);
    let at = m.now();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL,
        16,
        32,
    ));
    m.run_for(20 * MS);
    assert_eq!(
        peer_received(&m),
        [XOFF, XON],
        "XON at once, the ring still full"
    );
    assert_eq!(peer_received_times(&m)[1], at + chars(1));
    assert_eq!(holds(&mut m), 0);
    ok(m.call(
        0,
        Operation::Write {
            data: b"free".to_vec(),
        },
    ));
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), [&[XOFF, XON][..], b"free"].concat());
    finish(m);
}

#[test]
fn turning_automatic_transmit_off_drops_a_received_xoff_hold() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL | hf::AUTO_TRANSMIT,
        0,
        0,
    ));
    let at = m.now();
    let end = peer_send(&mut m, &[XOFF], at);
    m.run_until(end + MS);
    let write = m.submit(
        0,
        Operation::Write {
            data: b"late".to_vec(),
        },
    );
    m.run_for(50 * MS);
    assert!(pending(&m, write));
    assert_eq!(holds(&mut m), hold::TX_WAITING_FOR_XON);
    let off = m.now();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    ok(m.run_until_complete(write, 50 * MS).unwrap());
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"late");
    assert_eq!(
        peer_received_times(&m),
        (1..=4).map(|k| off + chars(k)).collect::<Vec<_>>(),
        "sent from the moment the hold was dropped"
    );
    assert_eq!(holds(&mut m), 0);
    finish(m);
}

#[test]
fn xoff_counter_held_by_flow_control_times_out_like_a_one_byte_write() {
    let mut m = peer_machine();
    set_timeouts(&mut m, 0, 0, 0, 0, 7, 30);
    ok(plain(&mut m, SerialIoctl::SetXoff));
    let counter = start_ioctl(
        &mut m,
        0,
        SerialIoctl::XoffCounter,
        &xoff_counter(0, 2, XOFF),
        0,
    );
    let done = m.run_until_complete(counter, 200 * MS).expect("times out");
    assert_eq!((done.status, done.information), (NtStatus::TIMEOUT, 0));
    assert_eq!(done.completed_at, done.submitted_at + 37 * MS, "WM·1 + WC");
    ok(plain(&mut m, SerialIoctl::SetXon));
    m.run_for(20 * MS);
    assert!(peer_received(&m).is_empty(), "its XOFF char never went out");
    finish(m);
}

#[test]
fn transmit_toggle_keeps_rts_up_through_a_break_and_drops_it_while_held() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::TRANSMIT_TOGGLE | hf::AUTO_TRANSMIT,
        0,
        0,
    ));
    ok(plain(&mut m, SerialIoctl::SetBreakOn));
    assert!(
        peer_outputs(&m).rts,
        "a break raises RTS under transmit toggle"
    );
    m.run_for(20 * MS);
    assert!(
        peer_outputs(&m).rts,
        "and keeps it up while the break lasts"
    );
    let off = m.now();
    ok(plain(&mut m, SerialIoctl::SetBreakOff));
    m.run_for(10 * MS);
    assert!(!peer_outputs(&m).rts, "lowered once the break is over");
    let lowered = line_changes(&m, false).last().copied().unwrap();
    assert!(
        lowered.0 >= off && lowered.0 <= off + 2 * chars(1),
        "{lowered:?}"
    );

    // A long write held by a received XOFF: RTS drops once the UART has sent what it holds, and
    // rises again when transmission resumes.
    let data = payload(100);
    let start = m.now();
    let write = m.submit(0, Operation::Write { data: data.clone() });
    let xoff_end = peer_send(&mut m, &[XOFF], start + 10 * MS);
    m.run_until(xoff_end + 40 * chars(1));
    let sent = peer_data(&m).len();
    let last = *peer_received_times(&m).last().unwrap();
    assert!(
        !peer_outputs(&m).rts,
        "held: not transmitting, so RTS is down"
    );
    let (dropped, _) = line_changes(&m, false).last().copied().unwrap();
    assert!(
        dropped >= last && dropped <= last + chars(1),
        "dropped at {dropped}, last stop bit {last}"
    );
    let at = m.now();
    let xon_end = peer_send(&mut m, &[XON], at);
    ok(m.run_until_complete(write, 500 * MS).unwrap());
    m.run_for(100 * MS);
    assert!(sent < 100);
    assert_eq!(peer_data(&m), data);
    let changes = line_changes(&m, false);
    assert!(
        changes.iter().any(|&(t, level)| level && t == xon_end),
        "RTS rises with the resumed transmission: {changes:?}"
    );
    assert!(!peer_outputs(&m).rts);
    finish(m);
}

#[test]
fn cancelling_a_held_immediate_char_reports_what_really_happened() {
    // The immediate char is held by CTS; CTS rises while interrupts are gated (OUT2 off), then
    // re-opening the gate and the cancel race. The completion must match the wire: SUCCESS if the
    // peer got the character, CANCELLED (Information 0) if it never went out.
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::CTS_HANDSHAKE,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    for round in 0..30u8 {
        let low = m.now();
        peer_lines(&mut m, lines(false, true, false, true), low);
        m.run_for(MS);
        let immediate = start_ioctl(&mut m, 0, SerialIoctl::ImmediateChar, &[round], 0);
        m.run_for(MS);
        assert!(pending(&m, immediate));
        ok(ioctl(
            &mut m,
            0,
            SerialIoctl::SetModemControl,
            &0x03u32.to_le_bytes(),
            0,
        ));
        let rise = m.now();
        peer_lines(&mut m, ALL_HIGH, rise);
        m.run_for(MS);
        let gate = start_ioctl(
            &mut m,
            0,
            SerialIoctl::SetModemControl,
            &0x0Bu32.to_le_bytes(),
            0,
        );
        m.cancel(immediate);
        let done = m.run_until_complete(immediate, 10 * MS).expect("completes");
        ok(m.run_until_complete(gate, MS).unwrap());
        m.run_for(5 * MS);
        let sent = m.board_mut().peer().unwrap().take_received();
        let seen = sent.iter().any(|ch| ch.data == round);
        if seen {
            assert_eq!(
                done.status,
                NtStatus::SUCCESS,
                "round {round}: the peer got the char but it was reported cancelled\n{}",
                m.replay_line()
            );
        } else {
            assert_eq!(
                (done.status, done.information),
                (NtStatus::CANCELLED, 0),
                "round {round}"
            );
        }
    }
    finish(m);
}

#[test]
fn dsr_sensitivity_drops_a_byte_arriving_as_dsr_falls() {
    // DSR falls at the very instant a byte's stop bit ends: the receive interrupt outranks the
    // modem-status one, so the byte is looked at first; DSR is already low, so it is dropped.
    let mut m = peer_machine();
    let start = m.now();
    peer_lines(&mut m, lines(false, true, false, false), start);
    m.run_for(MS);
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::DSR_SENSITIVITY,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    let at = m.now();
    let kept_end = peer_send(&mut m, b"k", at);
    let end = peer_send(&mut m, b"x", kept_end + MS);
    peer_lines(&mut m, lines(false, false, false, false), end);
    m.run_until(end + MS);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.hold_reasons, hold::RX_WAITING_FOR_DSR);
    assert_eq!(
        status.amount_in_in_queue, 1,
        "only the byte from before the drop"
    );
    assert_eq!(read_now(&mut m, 0, 1), b"k");
    finish(m);
}

#[test]
fn set_handflow_reapplies_a_line_only_when_its_mode_changes() {
    let mut m = peer_machine();
    ok(plain(&mut m, SerialIoctl::ClrDtr));
    ok(plain(&mut m, SerialIoctl::ClrRts));
    // Same DTR and RTS modes, other bits changed: the lines stay as the application left them.
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::CTS_HANDSHAKE,
        hf::RTS_CONTROL | hf::AUTO_TRANSMIT,
        10,
        10,
    ));
    let seen = peer_outputs(&m);
    assert!(!seen.dtr && !seen.rts, "{seen:?}");
    // A changed RTS mode re-applies RTS only.
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_HANDSHAKE,
        10,
        10,
    ));
    let seen = peer_outputs(&m);
    assert!(!seen.dtr && seen.rts, "{seen:?}");
    // Reopening applies both.
    m.close(0);
    assert_eq!(m.open(0), NtStatus::SUCCESS);
    let seen = peer_outputs(&m);
    assert!(seen.dtr && seen.rts, "{seen:?}");
    finish(m);
}

#[test]
fn a_cts_hold_holds_our_xoff_too() {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::CTS_HANDSHAKE,
        hf::RTS_CONTROL | hf::AUTO_RECEIVE,
        16,
        32,
    ));
    let at = m.now();
    let end = peer_send(&mut m, &payload(100), at);
    m.run_until(end + 10 * MS);
    assert!(
        peer_received(&m).is_empty(),
        "CTS is low: not even XOFF may go out"
    );
    assert_eq!(holds(&mut m), hold::TX_WAITING_FOR_CTS);
    let rise = m.now();
    peer_lines(&mut m, ALL_HIGH, rise);
    m.run_for(10 * MS);
    assert_eq!(peer_received(&m), [XOFF]);
    assert_eq!(peer_received_times(&m), [rise + chars(1)]);
    assert_eq!(
        holds(&mut m),
        hold::TX_WAITING_XOFF_SENT | hold::TX_WAITING_FOR_XON
    );
    finish(m);
}

// ----- hysteresis: receive flow control settles whatever the limits -----------------------------

/// Limits that overlap completely (XoffLimit and XonLimit both the ring size): serial.sys's
/// thresholds would hold the peer on every stored byte and release it on every read, so a
/// loopback echoing the port's own XON/XOFF or LSRMST records of its own DTR changes never
/// settles. The engine keeps the hold level at least `MIN_HOLD_GAP` bytes above the release level.
#[test]
fn overlapping_limits_get_hysteresis_instead_of_chatter() {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_HANDSHAKE,
        hf::RTS_CONTROL,
        128,
        128,
    ));
    let start = m.now() + MS;
    peer_send(&mut m, &payload(12), start);
    m.run_until(start + chars(12) + MS);
    let changes = line_changes(&m, true);
    assert_eq!(
        changes.last().copied(),
        Some((start + chars(8), false)),
        "held when the 8th byte is stored, not the first"
    );
    read_now(&mut m, 0, 1);
    assert!(!peer_outputs(&m).dtr, "11 bytes still buffered: still held");
    read_now(&mut m, 0, 10);
    assert!(!peer_outputs(&m).dtr, "1 byte still buffered: still held");
    read_now(&mut m, 0, 1);
    assert!(peer_outputs(&m).dtr, "released once the ring is empty");
    assert_eq!(line_changes(&m, true).len(), changes.len() + 1);
    finish(m);
}
