//! Status and configuration IOCTLs end to end (serial-semantics.md §2, §3, §9.1, §9.2, §12):
//! GET_COMMSTATUS, abort-on-error, modem status and control, FIFO control, properties, baud rate,
//! line control, queue size, special characters, statistics, the internal basic/restore settings
//! and unknown codes.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{
    InternalIoctl, NtStatus, SerialBasicSettings, SerialBaudRate, SerialChars, SerialCommProp,
    SerialIoctl, SerialLineControl, SerialPerfStats, SerialQueueSize, SerialTimeouts,
    SerialXoffCounter, commprop, error, ev, handflow as hf, line_control, msr,
};
use serial_model::kernel::{Completion, Machine, Operation};
use serial_model::uart::{FrameFormat, LineErrors, Parity, StopBits};

const FRAMING: LineErrors = LineErrors {
    parity: false,
    framing: true,
    break_condition: false,
};

fn chars(count: u64) -> u64 {
    FrameFormat::eight_n_one(9600).characters_time(count)
}

fn finish(mut m: Machine) {
    m.close(0);
    assert!(m.finish().is_empty());
}

fn plain(m: &mut Machine, code: SerialIoctl) -> Completion {
    ioctl(m, 0, code, &[], 0)
}

fn set_baud(m: &mut Machine, baud: u32) -> Completion {
    ioctl(
        m,
        0,
        SerialIoctl::SetBaudRate,
        &bytes!(SerialBaudRate { baud_rate: baud }),
        0,
    )
}

fn get_baud(m: &mut Machine) -> u32 {
    let c = ok(ioctl(m, 0, SerialIoctl::GetBaudRate, &[], 4));
    assert_eq!(c.information, 4);
    output!(SerialBaudRate, c).baud_rate
}

fn line(word_length: u8, parity: u8, stop_bits: u8) -> SerialLineControl {
    SerialLineControl {
        stop_bits,
        parity,
        word_length,
    }
}

fn set_line(m: &mut Machine, lc: SerialLineControl) -> Completion {
    ioctl(m, 0, SerialIoctl::SetLineControl, &bytes!(lc), 0)
}

fn get_line(m: &mut Machine) -> SerialLineControl {
    let c = ok(ioctl(m, 0, SerialIoctl::GetLineControl, &[], 3));
    assert_eq!(c.information, 3);
    output!(SerialLineControl, c)
}

fn properties(m: &mut Machine) -> SerialCommProp {
    let c = ok(ioctl(m, 0, SerialIoctl::GetProperties, &[], 64));
    assert_eq!(c.information, 64);
    output!(SerialCommProp, c)
}

fn stats(m: &mut Machine) -> SerialPerfStats {
    let c = ok(ioctl(m, 0, SerialIoctl::GetStats, &[], 24));
    assert_eq!(c.information, 24);
    output!(SerialPerfStats, c)
}

fn queue_size(in_size: u32) -> Vec<u8> {
    bytes!(SerialQueueSize {
        in_size,
        out_size: 0
    })
}

fn timeouts(m: &mut Machine) -> SerialTimeouts {
    let c = ok(ioctl(m, 0, SerialIoctl::GetTimeouts, &[], 20));
    output!(SerialTimeouts, c)
}

// ----- GET_COMMSTATUS --------------------------------------------------------------------------

#[test]
fn comm_status_counts_both_queues_and_the_immediate_char() {
    let mut m = peer_machine();
    let status = comm_status(&mut m, 0);
    assert_eq!(status, serial_ioctl::SerialStatus::default(), "idle port");

    let at = m.now();
    let end = peer_send(&mut m, b"hello", at);
    m.run_until(end + MS);
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 5);

    // Hold transmission (CTS handshake, CTS low) and queue: a 10-byte write (current), a 20-byte
    // write, an XOFF counter (1) and an immediate char (1).
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::CTS_HANDSHAKE,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    let w1 = m.submit(0, Operation::Write { data: payload(10) });
    let w2 = m.submit(0, Operation::Write { data: payload(20) });
    let counter = bytes!(SerialXoffCounter {
        timeout: 0,
        counter: 1,
        xoff_char: 0x13,
        reserved: [0; 3],
    });
    let xc = start_ioctl(&mut m, 0, SerialIoctl::XoffCounter, &counter, 0);
    let imm = start_ioctl(&mut m, 0, SerialIoctl::ImmediateChar, b"!", 0);
    m.run_for(10 * MS);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.amount_in_out_queue, 10 + 20 + 1 + 1);
    assert_eq!(status.wait_for_immediate, 1);
    assert_eq!(status.amount_in_in_queue, 5);
    assert_eq!(status.eof_received, 0);

    // Release: the queue shrinks as bytes are handed to the UART.
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    ok(m.run_until_complete(imm, 10 * MS).unwrap());
    m.run_for(500 * MS);
    for write in [w1, w2] {
        assert_eq!(m.completion(write).unwrap().status, NtStatus::SUCCESS);
    }
    let status = comm_status(&mut m, 0);
    assert_eq!(status.wait_for_immediate, 0);
    assert_eq!(status.amount_in_out_queue, 0, "{status:?}");
    m.cancel(xc);
    m.run_for(50 * MS);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.amount_in_out_queue, 0);
    finish(m);
}

#[test]
fn comm_status_out_queue_drops_as_the_current_write_is_sent() {
    let mut m = peer_machine();
    let write = m.submit(0, Operation::Write { data: payload(100) });
    let start = m.now();
    let mut last = 100;
    for step in 1..=9 {
        m.run_until(start + step * 10 * chars(1));
        let out = comm_status(&mut m, 0).amount_in_out_queue;
        let on_wire = peer_received(&m).len() as u32;
        assert!(out <= last, "never grows: {out} after {last}");
        assert!(
            100 - out >= on_wire,
            "{out} left but {on_wire} already on the wire"
        );
        assert!(
            100 - out <= on_wire + 16,
            "{out} left, only {on_wire} on the wire"
        );
        last = out;
    }
    ok(m.run_until_complete(write, 200 * MS).unwrap());
    assert_eq!(comm_status(&mut m, 0).amount_in_out_queue, 0);
    finish(m);
}

#[test]
fn comm_status_latches_errors_until_read_and_clears_them() {
    let mut m = peer_machine();
    let at = m.now();
    let end = peer_send_char(&mut m, b'x', FRAMING, at);
    m.run_until(end + MS);
    let first = comm_status(&mut m, 0);
    assert_eq!(first.errors, error::FRAMING);
    let second = comm_status(&mut m, 0);
    assert_eq!(second.errors, 0, "reading the status clears the errors");
    let at = m.now();
    let end = peer_break(&mut m, at);
    let end = peer_send_char(&mut m, b'y', FRAMING, end);
    m.run_until(end + MS);
    assert_eq!(
        comm_status(&mut m, 0).errors,
        error::BREAK | error::FRAMING,
        "errors accumulate until read"
    );
    finish(m);
}

// ----- abort on error --------------------------------------------------------------------------

#[test]
fn error_abort_cancels_io_and_blocks_everything_but_comm_status() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::ERROR_ABORT,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    ok(plain(&mut m, SerialIoctl::SetXoff));
    // Submitted one at a time so the first of each kind is the current one.
    let submit = |m: &mut Machine, operation: Operation| {
        let request = m.submit(0, operation);
        m.run_for(MS);
        request
    };
    let read1 = submit(&mut m, Operation::Read { len: 10 });
    let read2 = submit(&mut m, Operation::Read { len: 3 });
    let write1 = submit(&mut m, Operation::Write { data: payload(8) });
    let write2 = submit(&mut m, Operation::Write { data: payload(4) });
    let at = m.now() + MS;
    let end = peer_send(&mut m, b"abc", at);
    let end = peer_send_char(&mut m, b'!', FRAMING, end);
    m.run_until(end + MS);
    for (name, request) in [
        ("current read", read1),
        ("queued read", read2),
        ("current write", write1),
        ("queued write", write2),
    ] {
        let c = m
            .completion(request)
            .unwrap_or_else(|| panic!("{name} still pending"));
        assert_eq!(c.status, NtStatus::CANCELLED, "{name}");
        assert_eq!(c.information, 0, "{name}");
        assert_eq!(c.completed_at, end, "{name}");
    }
    // Every new request fails until GET_COMMSTATUS.
    let read = m.call(0, Operation::Read { len: 1 });
    assert_eq!(read.status, NtStatus::CANCELLED);
    let write = m.call(
        0,
        Operation::Write {
            data: b"w".to_vec(),
        },
    );
    assert_eq!(write.status, NtStatus::CANCELLED);
    let get = ioctl(&mut m, 0, SerialIoctl::GetBaudRate, &[], 4);
    assert_eq!((get.status, get.information), (NtStatus::CANCELLED, 0));
    let set = ioctl(&mut m, 0, SerialIoctl::SetXon, &[], 0);
    assert_eq!(set.status, NtStatus::CANCELLED);
    let internal = m.call(
        0,
        Operation::InternalDeviceControl {
            code: InternalIoctl::BasicSettings.code(),
            input: Vec::new(),
            output_len: 44,
        },
    );
    assert_eq!(internal.status, NtStatus::CANCELLED);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.errors, error::FRAMING);
    // Unblocked: I/O works again.
    ok(plain(&mut m, SerialIoctl::SetXon));
    let write = ok(m.call(
        0,
        Operation::Write {
            data: b"ok".to_vec(),
        },
    ));
    assert_eq!(write.information, 2);
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::Purge,
        &serial_ioctl::purge::RXCLEAR.to_le_bytes(),
        0,
    ));
    let read = m.submit(0, Operation::Read { len: 3 });
    let at = m.now() + MS;
    let end = peer_send(&mut m, b"new", at);
    let read = ok(m.run_until_complete(read, 100 * MS).unwrap());
    assert_eq!(
        (read.output.as_slice(), read.completed_at),
        (&b"new"[..], end)
    );
    assert_eq!(peer_received(&m), b"ok");
    finish(m);
}

#[test]
fn without_error_abort_errors_only_latch() {
    let mut m = peer_machine();
    let read = m.submit(0, Operation::Read { len: 3 });
    let at = m.now();
    let end = peer_send_char(&mut m, b'?', FRAMING, at);
    let end = peer_send(&mut m, b"ab", end);
    let done = m
        .run_until_complete(read, 100 * MS)
        .expect("read completes");
    assert_eq!((done.status, done.information), (NtStatus::SUCCESS, 3));
    assert_eq!(done.completed_at, end);
    ok(m.call(
        0,
        Operation::Write {
            data: b"x".to_vec(),
        },
    ));
    assert_eq!(comm_status(&mut m, 0).errors, error::FRAMING);
    finish(m);
}

// ----- modem status and control ----------------------------------------------------------------

#[test]
fn modem_status_is_live_and_shows_deltas_nobody_consumed() {
    let mut m = peer_machine();
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetModemStatus), 0);
    let at = m.now() + MS;
    peer_lines(&mut m, lines(true, true, false, false), at);
    m.run_until(at);
    assert_eq!(
        ioctl_u32(&mut m, 0, SerialIoctl::GetModemStatus),
        u32::from(msr::CTS | msr::DSR),
        "visible at the instant of the change (the ISR already took the deltas)"
    );
    let at = m.now() + MS;
    peer_lines(&mut m, lines(false, true, true, true), at);
    m.run_until(at);
    assert_eq!(
        ioctl_u32(&mut m, 0, SerialIoctl::GetModemStatus),
        u32::from(msr::DSR | msr::RI | msr::DCD)
    );
    // With OUT2 off the UART cannot interrupt, so the deltas wait in MSR for GET_MODEMSTATUS,
    // which reads (and so clears) them.
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x03u32.to_le_bytes(),
        0,
    ));
    ok(set_wait_mask(&mut m, 0, ev::CTS | ev::RING));
    let wait = start_wait(&mut m, 0);
    let at = m.now() + MS;
    peer_lines(&mut m, lines(true, true, false, true), at);
    m.run_until(at + MS);
    assert!(m.completion(wait).is_none(), "no interrupt with OUT2 off");
    let first = ioctl_u32(&mut m, 0, SerialIoctl::GetModemStatus);
    assert_eq!(
        first,
        u32::from(msr::CTS | msr::DSR | msr::DCD | msr::DCTS | msr::TERI)
    );
    let second = ioctl_u32(&mut m, 0, SerialIoctl::GetModemStatus);
    assert_eq!(
        second,
        u32::from(msr::CTS | msr::DSR | msr::DCD),
        "deltas cleared"
    );
    // GET_MODEMSTATUS ran the modem update: the events reached the wait.
    let done = m
        .run_until_complete(wait, MS)
        .expect("events from GET_MODEMSTATUS");
    assert_eq!(wait_events(&done), ev::CTS | ev::RING);
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x0Bu32.to_le_bytes(),
        0,
    ));
    finish(m);
}

#[test]
fn dtr_rts_state_and_raw_modem_control() {
    let mut m = peer_machine();
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetDtrRts), 0x03);
    assert_eq!(
        ioctl_u32(&mut m, 0, SerialIoctl::GetModemControl),
        0x0B,
        "DTR, RTS and OUT2 while open"
    );
    ok(plain(&mut m, SerialIoctl::ClrDtr));
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetDtrRts), 0x02);
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetModemControl), 0x0A);
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x0Du32.to_le_bytes(),
        0,
    ));
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetModemControl), 0x0D);
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetDtrRts), 0x01);
    let seen = peer_outputs(&m);
    assert!(seen.dtr && !seen.rts && seen.out1 && seen.out2);
    finish(m);
}

#[test]
fn loopback_bit_loops_data_inside_the_uart() {
    let mut m = peer_machine();
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x1Bu32.to_le_bytes(),
        0,
    ));
    assert_eq!(ioctl_u32(&mut m, 0, SerialIoctl::GetModemControl), 0x1B);
    let seen = peer_outputs(&m);
    assert!(!seen.dtr && !seen.rts, "outputs are inactive in loopback");
    let read = m.submit(0, Operation::Read { len: 6 });
    ok(m.call(
        0,
        Operation::Write {
            data: b"inside".to_vec(),
        },
    ));
    let done = m.run_until_complete(read, 100 * MS).expect("looped back");
    assert_eq!(done.output, b"inside");
    assert!(peer_received(&m).is_empty(), "nothing left on the wire");
    // Loopback off: the wire works again.
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x0Bu32.to_le_bytes(),
        0,
    ));
    ok(m.call(
        0,
        Operation::Write {
            data: b"out".to_vec(),
        },
    ));
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), b"out");
    finish(m);
}

#[test]
fn fifo_control_sets_the_receive_trigger() {
    let mut m = peer_machine();
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    // Trigger 14: one byte reaches the driver only at the character timeout (4 characters).
    let c = ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetFifoControl,
        &0xC7u32.to_le_bytes(),
        0,
    ));
    assert_eq!(c.information, 0);
    let wait = start_wait(&mut m, 0);
    let at = m.now() + MS;
    let end = peer_send(&mut m, b"a", at);
    let done = m.run_until_complete(wait, 100 * MS).unwrap();
    assert_eq!(wait_events(&done), ev::RXCHAR);
    assert_eq!(done.completed_at, end + (4 * 100_000_000u64).div_ceil(9600));
    // Trigger 1: at once.
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetFifoControl,
        &0x07u32.to_le_bytes(),
        0,
    ));
    let wait = start_wait(&mut m, 0);
    let at = m.now() + MS;
    let end = peer_send(&mut m, b"b", at);
    let done = m.run_until_complete(wait, 100 * MS).unwrap();
    assert_eq!(done.completed_at, end);
    assert_eq!(read_now(&mut m, 0, 2), b"ab");
    finish(m);
}

// ----- properties, baud rate, line control -----------------------------------------------------

#[test]
fn properties_have_the_serial_sys_values() {
    let mut m = peer_machine();
    let p = properties(&mut m);
    assert_eq!((p.packet_length, p.packet_version), (64, 2));
    assert_eq!(p.service_mask, commprop::SP_SERIALCOMM);
    assert_eq!((p.max_tx_queue, p.max_rx_queue), (0, 0));
    assert_eq!(p.max_baud, commprop::BAUD_USER);
    assert_eq!(p.prov_sub_type, commprop::SP_RS232);
    assert_eq!(p.prov_capabilities, 0xFF);
    assert_eq!(p.settable_params, 0x7F);
    assert_eq!(p.settable_baud, 0x1006_FFFF);
    assert_eq!(p.settable_data, 0x0F);
    assert_eq!(p.settable_stop_parity, 0x1F07);
    assert_eq!((p.current_tx_queue, p.current_rx_queue), (0, 4096));
    assert_eq!((p.prov_spec1, p.prov_spec2, p.prov_char), (0, 0, [0]));
    finish(m);
}

#[test]
fn every_advertised_baud_rate_is_accepted_and_128000_is_not() {
    let mut m = peer_machine();
    let advertised = properties(&mut m).settable_baud;
    for (bit, rate) in commprop::NAMED_BAUD_RATES {
        let c = set_baud(&mut m, rate);
        if advertised & bit != 0 {
            assert_eq!(c.status, NtStatus::SUCCESS, "{rate} is advertised");
            assert_eq!(get_baud(&mut m), rate);
        } else {
            assert_eq!(rate, 128_000, "only 128000 is not advertised");
            assert_eq!(c.status, NtStatus::INVALID_PARAMETER);
        }
    }
    finish(m);
}

#[test]
fn rejected_baud_rates_keep_the_old_rate_and_get_returns_the_requested_value() {
    let mut m = peer_machine();
    assert_eq!(get_baud(&mut m), 9600);
    for bad in [
        0,
        0x8000_0000,
        u32::MAX,
        0x1000_0000,
        230_400,
        128_000,
        115_201 * 2,
    ] {
        let c = set_baud(&mut m, bad);
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "{bad}");
        assert_eq!(get_baud(&mut m), 9600, "{bad} replaced the rate");
        assert_eq!(m.board().uart(0).divisor(), 12);
    }
    ok(set_baud(&mut m, 56_000));
    assert_eq!(get_baud(&mut m), 56_000, "the requested value, not 57600");
    assert_eq!(m.board().uart(0).divisor(), 2);
    ok(set_baud(&mut m, 1234));
    assert_eq!(get_baud(&mut m), 1234, "below 9600 any rate passes");
    assert_eq!(
        u32::from(m.board().uart(0).divisor()),
        1_843_200 / (16 * 1234)
    );
    ok(set_baud(&mut m, 9600));
    ok(m.call(
        0,
        Operation::Write {
            data: b"9600".to_vec(),
        },
    ));
    m.run_for(20 * MS);
    assert_eq!(
        peer_received(&m),
        b"9600",
        "the peer at 9600 understands us"
    );
    finish(m);
}

#[test]
fn line_control_round_trips_and_rejects_invalid_combinations() {
    let mut m = peer_machine();
    for word in 5..=8u8 {
        for parity in 0..=4u8 {
            for stop in 0..=2u8 {
                let valid = matches!((stop, word), (0, _) | (1, 5) | (2, 6..=8));
                let c = set_line(&mut m, line(word, parity, stop));
                if valid {
                    assert_eq!(c.status, NtStatus::SUCCESS, "{word}/{parity}/{stop}");
                    assert_eq!(get_line(&mut m), line(word, parity, stop));
                } else {
                    assert_eq!(
                        c.status,
                        NtStatus::INVALID_PARAMETER,
                        "{word}/{parity}/{stop}"
                    );
                }
            }
        }
    }
    ok(set_line(&mut m, line(5, 0, 1)));
    assert_eq!(get_line(&mut m), line(5, 0, 1), "1.5 stop bits read back");
    ok(set_line(&mut m, line(7, 2, 0)));
    for bad in [
        line(4, 0, 0),
        line(9, 0, 0),
        line(8, 5, 0),
        line(8, 0, 3),
        line(8, 0, 1),
        line(5, 0, 2),
    ] {
        let c = set_line(&mut m, bad);
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "{bad:?}");
        assert_eq!(
            get_line(&mut m),
            line(7, 2, 0),
            "{bad:?} changed the line control"
        );
    }
    // Programming the line control keeps a break in progress.
    ok(plain(&mut m, SerialIoctl::SetBreakOn));
    ok(set_line(&mut m, line(8, 0, 0)));
    assert!(peer_outputs(&m).break_condition);
    assert_eq!(get_line(&mut m), line(8, 0, 0));
    ok(plain(&mut m, SerialIoctl::SetBreakOff));
    assert!(!peer_outputs(&m).break_condition);
    finish(m);
}

#[test]
fn five_data_bits_carry_five_bit_characters_both_ways() {
    let mut m = peer_machine();
    ok(set_line(&mut m, line(5, line_control::NO_PARITY, 0)));
    m.board_mut().peer().unwrap().set_format(FrameFormat::new(
        9600,
        5,
        Parity::None,
        StopBits::One,
    ));
    let at = m.now();
    let end = peer_send(&mut m, &[0x15, 0xFF, 0x0A], at);
    m.run_until(end + MS);
    assert_eq!(read_now(&mut m, 0, 3), [0x15, 0x1F, 0x0A]);
    ok(m.call(
        0,
        Operation::Write {
            data: vec![0xE3, 0x1C],
        },
    ));
    m.run_for(20 * MS);
    assert_eq!(peer_received(&m), [0x03, 0x1C]);
    assert_eq!(comm_status(&mut m, 0).errors, 0);
    finish(m);
}

// ----- queue size ------------------------------------------------------------------------------

#[test]
fn set_queue_size_only_grows_and_keeps_buffered_bytes() {
    let mut m = peer_machine_with(|c| c.device.rx_buffer_size = 128);
    assert_eq!(properties(&mut m).current_rx_queue, 128);
    let c = ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetQueueSize,
        &queue_size(64),
        0,
    ));
    assert_eq!(c.information, 0);
    assert_eq!(
        properties(&mut m).current_rx_queue,
        128,
        "smaller: nothing changes"
    );
    let at = m.now();
    let first = payload(100);
    let end = peer_send(&mut m, &first, at);
    m.run_until(end + MS);
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetQueueSize,
        &queue_size(512),
        0,
    ));
    assert_eq!(properties(&mut m).current_rx_queue, 512);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.amount_in_in_queue, 100, "buffered bytes kept");
    // The larger ring holds more than the old one could.
    let more: Vec<u8> = (0..300u32).map(|i| (i % 251) as u8).collect();
    let end = peer_send(&mut m, &more, end + MS);
    m.run_until(end + MS);
    let status = comm_status(&mut m, 0);
    assert_eq!(status.amount_in_in_queue, 400);
    assert_eq!(status.errors, 0, "no queue overrun");
    assert_eq!(read_now(&mut m, 0, 400), [first, more].concat(), "in order");
    // The ring is allocated afresh at every open: the grown size does not outlive the handle.
    m.close(0);
    open_8n1(&mut m, 0, 9600);
    assert_eq!(properties(&mut m).current_rx_queue, 128);
    finish(m);
}

#[test]
fn set_queue_size_waits_behind_a_pending_read() {
    let mut m = peer_machine();
    let read = m.submit(0, Operation::Read { len: 5 });
    m.run_for(MS);
    let grow = start_ioctl(&mut m, 0, SerialIoctl::SetQueueSize, &queue_size(16_384), 0);
    m.run_for(20 * MS);
    assert!(m.completion(grow).is_none(), "serialized behind the read");
    assert_eq!(properties(&mut m).current_rx_queue, 4096);
    let at = m.now();
    let end = peer_send(&mut m, b"12345", at);
    let r = m.run_until_complete(read, 100 * MS).unwrap();
    assert_eq!(r.output, b"12345");
    let g = m
        .run_until_complete(grow, 100 * MS)
        .expect("grows after the read");
    assert_eq!((g.status, g.information), (NtStatus::SUCCESS, 0));
    assert!(g.completed_at >= r.completed_at);
    assert_eq!(r.completed_at, end);
    assert_eq!(properties(&mut m).current_rx_queue, 16_384);
    finish(m);
}

// ----- special characters, config size, stats, reset --------------------------------------------

#[test]
fn chars_round_trip_and_are_validated() {
    let mut m = peer_machine();
    let defaults = get_chars(&mut m, 0);
    assert_eq!((defaults.xon_char, defaults.xoff_char), (0x11, 0x13));
    let chars = SerialChars {
        eof_char: 0x1A,
        error_char: b'?',
        break_char: b'#',
        event_char: b'\n',
        xon_char: 0x01,
        xoff_char: 0x02,
    };
    let c = ok(set_chars(&mut m, 0, chars));
    assert_eq!(c.information, 0);
    assert_eq!(get_chars(&mut m, 0), chars);
    let same = SerialChars {
        xoff_char: 0x01,
        ..chars
    };
    assert_eq!(
        set_chars(&mut m, 0, same).status,
        NtStatus::INVALID_PARAMETER,
        "XonChar == XoffChar"
    );
    ok(ioctl(&mut m, 0, SerialIoctl::LsrmstInsert, &[0xFE], 0));
    for clash in [
        SerialChars {
            xon_char: 0xFE,
            ..chars
        },
        SerialChars {
            xoff_char: 0xFE,
            ..chars
        },
    ] {
        assert_eq!(
            set_chars(&mut m, 0, clash).status,
            NtStatus::INVALID_PARAMETER,
            "escape char equals XON/XOFF"
        );
    }
    assert_eq!(get_chars(&mut m, 0), chars, "rejected sets change nothing");
    finish(m);
}

#[test]
fn config_size_is_zero() {
    let mut m = peer_machine();
    let c = ok(ioctl(&mut m, 0, SerialIoctl::ConfigSize, &[], 4));
    assert_eq!(c.information, 4);
    assert_eq!(output!(u32, c), 0);
    finish(m);
}

#[test]
fn stats_count_bytes_both_ways_and_clear() {
    let mut m = peer_machine();
    assert_eq!(stats(&mut m), SerialPerfStats::default());
    ok(m.call(0, Operation::Write { data: payload(10) }));
    let at = m.now();
    let end = peer_send(&mut m, &payload(7), at);
    m.run_until(end + 20 * MS);
    let s = stats(&mut m);
    assert_eq!((s.transmitted_count, s.received_count), (10, 7));
    let c = ok(plain(&mut m, SerialIoctl::ClearStats));
    assert_eq!(c.information, 0);
    assert_eq!(stats(&mut m), SerialPerfStats::default());
    // Reopening clears them too.
    ok(m.call(0, Operation::Write { data: payload(3) }));
    m.run_for(20 * MS);
    assert_eq!(stats(&mut m).transmitted_count, 3);
    m.close(0);
    open_8n1(&mut m, 0, 9600);
    assert_eq!(stats(&mut m), SerialPerfStats::default());
    finish(m);
}

#[test]
fn reset_device_succeeds_and_changes_nothing() {
    let mut m = peer_machine();
    ok(set_baud(&mut m, 19_200));
    let before = (get_baud(&mut m), get_line(&mut m), get_handflow(&mut m, 0));
    let c = ok(plain(&mut m, SerialIoctl::ResetDevice));
    assert_eq!(c.information, 0);
    assert_eq!(
        (get_baud(&mut m), get_line(&mut m), get_handflow(&mut m, 0)),
        before
    );
    assert!(peer_outputs(&m).dtr && peer_outputs(&m).rts);
    finish(m);
}

// ----- internal basic/restore settings ------------------------------------------------------

fn internal(
    m: &mut Machine,
    ioctl: InternalIoctl,
    input: Vec<u8>,
    output_len: usize,
) -> Completion {
    m.call(
        0,
        Operation::InternalDeviceControl {
            code: ioctl.code(),
            input,
            output_len,
        },
    )
}

#[test]
fn basic_settings_report_then_simplify_and_restore_puts_everything_back() {
    let mut m = peer_machine();
    set_timeouts(&mut m, 0, 1, 2, 3, 4, 5000);
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::CTS_HANDSHAKE,
        hf::RTS_CONTROL | hf::AUTO_TRANSMIT,
        100,
        200,
    ));
    let original_timeouts = timeouts(&mut m);
    let original_handflow = get_handflow(&mut m, 0);

    let basic = ok(internal(
        &mut m,
        InternalIoctl::BasicSettings,
        Vec::new(),
        44,
    ));
    assert_eq!(basic.information, 44);
    let saved = output!(SerialBasicSettings, basic);
    assert_eq!(saved.timeouts, original_timeouts);
    assert_eq!(saved.handflow, original_handflow);
    assert_eq!(
        timeouts(&mut m),
        SerialTimeouts::default(),
        "basic: no timeouts"
    );
    let h = get_handflow(&mut m, 0);
    assert_eq!(
        (h.control_handshake, h.flow_replace),
        (0, 0),
        "basic: no flow control"
    );
    let seen = peer_outputs(&m);
    assert!(!seen.dtr && !seen.rts);
    // No CTS handshake now: data goes out although CTS is low.
    ok(m.call(
        0,
        Operation::Write {
            data: b"b".to_vec(),
        },
    ));
    m.run_for(10 * MS);
    assert_eq!(peer_received(&m), b"b");

    let restore = ok(internal(
        &mut m,
        InternalIoctl::RestoreSettings,
        bytes!(saved),
        0,
    ));
    assert_eq!(restore.information, 0);
    assert_eq!(timeouts(&mut m), original_timeouts);
    assert_eq!(get_handflow(&mut m, 0), original_handflow);
    let seen = peer_outputs(&m);
    assert!(seen.dtr && seen.rts);
    // CTS handshake is back: a write waits for CTS.
    let write = m.submit(
        0,
        Operation::Write {
            data: b"c".to_vec(),
        },
    );
    m.run_for(20 * MS);
    assert!(m.completion(write).is_none(), "held by CTS");
    let at = m.now();
    peer_lines(&mut m, lines(true, true, false, true), at);
    ok(m.run_until_complete(write, 20 * MS).unwrap());
    m.run_for(10 * MS);
    assert_eq!(peer_received(&m), b"bc");
    finish(m);
}

#[test]
fn restore_settings_checks_the_handflow_as_set_handflow_does_and_changes_nothing_when_bad() {
    let mut m = peer_machine();
    set_timeouts(&mut m, 0, 1, 2, 3, 4, 5000);
    let before_timeouts = timeouts(&mut m);
    let before_handflow = get_handflow(&mut m, 0);
    let ring = 4096;
    let good = SerialBasicSettings {
        timeouts: SerialTimeouts::default(),
        handflow: before_handflow,
        rx_fifo: 0xC1,
        tx_fifo: 14,
    };
    let bad_handflows = [
        // Limits beyond the ring (SET_HANDFLOW refuses them too).
        serial_ioctl::SerialHandflow {
            xoff_limit: ring + 1,
            ..before_handflow
        },
        serial_ioctl::SerialHandflow {
            xon_limit: -1,
            ..before_handflow
        },
        // Both DTR modes at once, and unknown bits.
        serial_ioctl::SerialHandflow {
            control_handshake: hf::DTR_MASK,
            ..before_handflow
        },
        serial_ioctl::SerialHandflow {
            flow_replace: 0x0100_0000,
            ..before_handflow
        },
    ];
    for handflow in bad_handflows {
        let settings = SerialBasicSettings { handflow, ..good };
        let c = internal(&mut m, InternalIoctl::RestoreSettings, bytes!(settings), 0);
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "{handflow:?}");
        assert_eq!(
            get_handflow(&mut m, 0),
            before_handflow,
            "handflow unchanged"
        );
        assert_eq!(timeouts(&mut m), before_timeouts, "timeouts unchanged");
    }
    ok(internal(
        &mut m,
        InternalIoctl::RestoreSettings,
        bytes!(good),
        0,
    ));
    assert_eq!(timeouts(&mut m), SerialTimeouts::default());
    finish(m);
}

// ----- unknown codes --------------------------------------------------------------------------

#[test]
fn unknown_codes_are_invalid_parameters() {
    let mut m = peer_machine();
    for code in [
        0x001B_0084, // GET_COMMCONFIG
        0x001B_0088, // SET_COMMCONFIG
        0x001B_00A0, // APPLY_DEFAULT_CONFIGURATION
        0x001B_00A4, // SET_INTERVAL_TIMER_RESOLUTION
        0x001B_0800,
        0x0022_0004, // another device type, function 1
        0x001B_0005, // SET_BAUD_RATE with METHOD_IN_DIRECT
    ] {
        let c = m.call(
            0,
            Operation::DeviceControl {
                code,
                input: vec![0; 64],
                output_len: 64,
            },
        );
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "{code:#x}");
        assert_eq!(c.information, 0);
    }
    for code in [0x001B_0014, 0x001B_0000, 0x001B_0048] {
        let c = m.call(
            0,
            Operation::InternalDeviceControl {
                code,
                input: vec![0; 64],
                output_len: 64,
            },
        );
        assert_eq!(c.status, NtStatus::INVALID_PARAMETER, "internal {code:#x}");
    }
    assert_eq!(get_baud(&mut m), 9600);
    finish(m);
}

#[test]
fn fifo_control_can_turn_the_fifos_off_without_losing_data() {
    let mut m = peer_machine();
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetFifoControl,
        &0u32.to_le_bytes(),
        0,
    ));
    assert!(!m.board().uart(0).fifo_enabled());
    let data = payload(40);
    let write = ok(m.call(0, Operation::Write { data: data.clone() }));
    assert_eq!(write.information, 40);
    m.run_for(100 * MS);
    assert_eq!(peer_received(&m), data, "one byte per THRE without a FIFO");
    let at = m.now();
    let end = peer_send(&mut m, b"16450", at);
    m.run_until(end + MS);
    assert_eq!(read_now(&mut m, 0, 5), b"16450");
    finish(m);
}

#[test]
fn a_read_racing_with_a_line_error_under_error_abort_is_cancelled() {
    // The bad character waits in the FIFO with interrupts gated; re-opening the gate and a read
    // are submitted together, so the error arrives at varying points of the read's dispatch.
    // Whatever the interleaving, the read (which the single byte cannot satisfy) is cancelled.
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        hf::DTR_CONTROL | hf::ERROR_ABORT,
        hf::RTS_CONTROL,
        0,
        0,
    ));
    for round in 0..30 {
        ok(ioctl(
            &mut m,
            0,
            SerialIoctl::SetModemControl,
            &0x03u32.to_le_bytes(),
            0,
        ));
        let at = m.now();
        let end = peer_send_char(&mut m, b'!', FRAMING, at);
        m.run_until(end + MS);
        let gate = start_ioctl(
            &mut m,
            0,
            SerialIoctl::SetModemControl,
            &0x0Bu32.to_le_bytes(),
            0,
        );
        let read = m.submit(0, Operation::Read { len: 2 });
        let done = m.run_until_complete(read, 20 * MS).unwrap_or_else(|| {
            panic!(
                "round {round}: read survived the error\n{}",
                m.replay_line()
            )
        });
        assert_eq!(
            (done.status, done.information),
            (NtStatus::CANCELLED, 0),
            "round {round}"
        );
        m.run_for(MS);
        assert!(m.completion(gate).is_some());
        assert_eq!(
            comm_status(&mut m, 0).errors,
            error::FRAMING,
            "round {round}"
        );
        ok(ioctl(
            &mut m,
            0,
            SerialIoctl::Purge,
            &serial_ioctl::purge::RXCLEAR.to_le_bytes(),
            0,
        ));
    }
    finish(m);
}
