//! Boards: null-modem cable, loopback plug, scripted peer, nothing plugged in; and the QEMU
//! compatibility quirks seen through them.

mod uart_support;

use serial_model::board::{Board, FLOATING_BUS};
use serial_model::peer::ScriptedPeer;
use serial_model::uart::registers::{
    IER_DLM, IIR_FCR, LCR, LSR, MCR, MSR, RBR_THR_DLL, fcr, ier, iir, lcr, lsr, mcr, msr,
};
use serial_model::uart::{
    FrameFormat, LineErrors, ModemInputs, Parity, Quirks, StopBits, Time, UartConfig,
};
use serial_model::wire::Topology;
use uart_support::ceil_units;

const QEMU: UartConfig = UartConfig {
    clock_hz: 1_843_200,
    quirks: Quirks::QemuCompat,
    irq_gate: serial_model::uart::IrqGate::Out2Bit,
};

/// Programs `port` for `divisor`, `line` (LCR) and FIFOs with trigger 1, all interrupts, OUT2.
fn open_port(board: &mut Board, port: usize, divisor: u16, line: u8, now: Time) {
    let [low, high] = divisor.to_le_bytes();
    board.write(port, LCR, lcr::DLAB, now);
    board.write(port, RBR_THR_DLL, low, now);
    board.write(port, IER_DLM, high, now);
    board.write(port, LCR, line, now);
    board.write(
        port,
        IIR_FCR,
        fcr::ENABLE | fcr::RX_RESET | fcr::TX_RESET,
        now,
    );
    board.write(port, MCR, mcr::OUT2, now);
    board.write(port, IER_DLM, ier::MASK, now);
}

/// Reads everything port `port` holds at `now`.
fn drain(board: &mut Board, port: usize, now: Time) -> Vec<u8> {
    let mut bytes = Vec::new();
    while board.read(port, LSR, now) & lsr::DR != 0 {
        bytes.push(board.read(port, RBR_THR_DLL, now));
    }
    bytes
}

fn write_bytes(board: &mut Board, port: usize, bytes: &[u8], now: Time) {
    for &byte in bytes {
        board.write(port, RBR_THR_DLL, byte, now);
    }
}

#[test]
fn null_modem_carries_data_both_ways_at_line_speed() {
    let mut board = Board::new(Topology::NullModem, UartConfig::default());
    assert_eq!(board.port_count(), 2);
    for port in 0..2 {
        open_port(&mut board, port, 1, lcr::WORD_8, 0);
    }
    write_bytes(&mut board, 0, b"hello", 1_000);
    write_bytes(&mut board, 1, b"world", 1_000);
    let first_end = 1_000 + ceil_units(1, 20, 115_200);
    assert_eq!(board.read(1, LSR, first_end - 1) & lsr::DR, 0);
    assert_eq!(
        board.read(1, LSR, first_end) & lsr::DR,
        lsr::DR,
        "arrives as its stop bit ends"
    );
    assert!(board.irq_line(1));
    let all_done = 1_000 + ceil_units(5, 20, 115_200);
    assert_eq!(drain(&mut board, 1, all_done), b"hello");
    assert_eq!(drain(&mut board, 0, all_done), b"world");
}

#[test]
fn null_modem_crosses_rts_to_cts_and_dtr_to_dsr_and_dcd() {
    let mut board = Board::new(Topology::NullModem, UartConfig::default());
    open_port(&mut board, 1, 1, lcr::WORD_8, 0);
    board.read(1, IIR_FCR, 0);
    board.read(1, MSR, 0);
    board.write(0, MCR, mcr::RTS, 500);
    assert_eq!(
        board.read(1, IIR_FCR, 500),
        0xC0 | iir::MODEM_STATUS,
        "visible at the instant of the write"
    );
    assert_eq!(board.read(1, MSR, 500), msr::CTS | msr::DCTS);
    board.write(0, MCR, mcr::RTS | mcr::DTR, 600);
    assert_eq!(
        board.read(1, MSR, 600),
        msr::CTS | msr::DSR | msr::DCD | msr::DDSR | msr::DDCD
    );
    assert_eq!(board.read(0, MSR, 600) & 0xF0, 0, "port 1 drives nothing");
}

#[test]
fn loopback_plug_returns_data_and_feeds_dtr_to_dsr_dcd_ri() {
    let mut board = Board::new(Topology::Loopback, UartConfig::default());
    open_port(&mut board, 0, 12, lcr::WORD_8, 0);
    board.read(0, MSR, 0);
    board.write(0, MCR, mcr::OUT2 | mcr::DTR | mcr::RTS, 10);
    assert_eq!(
        board.read(0, MSR, 10),
        msr::CTS | msr::DSR | msr::RI | msr::DCD | msr::DCTS | msr::DDSR | msr::DDCD
    );
    board.write(0, MCR, mcr::OUT2 | mcr::RTS, 20);
    assert_eq!(
        board.read(0, MSR, 20),
        msr::CTS | msr::DDSR | msr::DDCD | msr::TERI
    );
    write_bytes(&mut board, 0, b"ping", 100);
    let done = 100 + ceil_units(4, 20, 9600);
    assert_eq!(drain(&mut board, 0, done), b"ping");
}

#[test]
fn peer_data_arrives_paced_by_the_peer() {
    let mut board = Board::with_peer(
        UartConfig::default(),
        ScriptedPeer::new(FrameFormat::eight_n_one(115_200)),
    );
    open_port(&mut board, 0, 1, lcr::WORD_8, 0);
    let end = board.peer().unwrap().send(b"abc", 2_000);
    assert_eq!(end, 2_000 + ceil_units(3, 20, 115_200));
    assert_eq!(
        board.next_deadline(),
        Some(2_000 + ceil_units(1, 20, 115_200))
    );
    assert_eq!(drain(&mut board, 0, end - 1), b"ab");
    assert_eq!(drain(&mut board, 0, end), b"c");
    assert_eq!(board.uart(0).counters().framing_errors, 0);
}

#[test]
fn peer_at_a_different_baud_rate_gives_framing_errors() {
    let mut board = Board::with_peer(
        UartConfig::default(),
        ScriptedPeer::new(FrameFormat::eight_n_one(9600)),
    );
    open_port(&mut board, 0, 1, lcr::WORD_8, 0);
    let end = board.peer().unwrap().send(b"x", 0);
    assert_eq!(
        board.read(0, IIR_FCR, end),
        0xC0 | iir::RECEIVER_LINE_STATUS
    );
    assert_eq!(
        board.read(0, LSR, end) & (lsr::FE | lsr::DR | lsr::RX_FIFO_ERROR),
        lsr::FE | lsr::DR | lsr::RX_FIFO_ERROR
    );
    // Within 3 % the receiver copes: 115 200 vs 112 000.
    let near = FrameFormat {
        baud_millis: 112_000_000,
        ..FrameFormat::eight_n_one(115_200)
    };
    board.read(0, RBR_THR_DLL, end);
    board.peer().unwrap().set_format(near);
    let end = board.peer().unwrap().send(b"y", end);
    assert_eq!(board.read(0, LSR, end) & (lsr::ERRORS | lsr::DR), lsr::DR);
}

#[test]
fn peer_frame_shape_and_parity_mismatches_follow_the_receivers_rules() {
    let cases = [
        (
            FrameFormat::new(115_200, 7, Parity::None, StopBits::One),
            lsr::FE,
        ),
        (
            FrameFormat::new(115_200, 8, Parity::None, StopBits::Two),
            lsr::FE,
        ),
        // 0x01 with odd parity: the parity bit is 0, which an 8N1 receiver takes as its stop bit.
        (
            FrameFormat::new(115_200, 8, Parity::Odd, StopBits::One),
            lsr::FE,
        ),
        (FrameFormat::new(115_200, 8, Parity::Even, StopBits::One), 0),
    ];
    for (format, expected) in cases {
        let mut board = Board::with_peer(UartConfig::default(), ScriptedPeer::new(format));
        open_port(&mut board, 0, 1, lcr::WORD_8, 0);
        let end = board.peer().unwrap().send(&[0x01], 0);
        assert_eq!(
            board.read(0, LSR, end) & lsr::ERRORS,
            expected,
            "{format:?}"
        );
    }
    // An even-parity receiver fed by an odd-parity sender sees PE; with matching parity, no error.
    for (sender, expected) in [(Parity::Odd, lsr::PE), (Parity::Even, 0)] {
        let format = FrameFormat::new(115_200, 8, sender, StopBits::One);
        let mut board = Board::with_peer(UartConfig::default(), ScriptedPeer::new(format));
        open_port(
            &mut board,
            0,
            1,
            lcr::WORD_8 | lcr::PARITY_ENABLE | lcr::EVEN_PARITY,
            0,
        );
        let end = board.peer().unwrap().send(&[0x03], 0);
        assert_eq!(
            board.read(0, LSR, end) & lsr::ERRORS,
            expected,
            "{sender:?}"
        );
    }
}

#[test]
fn peer_injects_parity_framing_errors_and_breaks() {
    let format = FrameFormat::new(115_200, 8, Parity::Even, StopBits::One);
    let mut board = Board::with_peer(UartConfig::default(), ScriptedPeer::new(format));
    open_port(
        &mut board,
        0,
        1,
        lcr::WORD_8 | lcr::PARITY_ENABLE | lcr::EVEN_PARITY,
        0,
    );
    let peer = board.peer().unwrap();
    peer.send_char(
        0x41,
        LineErrors {
            parity: true,
            ..LineErrors::NONE
        },
        0,
    );
    peer.send_char(
        0x42,
        LineErrors {
            framing: true,
            ..LineErrors::NONE
        },
        0,
    );
    let end = peer.send_break(0);
    let mut seen = Vec::new();
    for _ in 0..3 {
        let status = board.read(0, LSR, end) & (lsr::PE | lsr::FE | lsr::BI);
        seen.push((status, board.read(0, RBR_THR_DLL, end)));
    }
    assert_eq!(
        seen,
        vec![(lsr::PE, 0x41), (lsr::FE, 0x42), (lsr::BI, 0x00)]
    );
    let counters = board.uart(0).counters();
    assert_eq!(
        (
            counters.parity_errors,
            counters.framing_errors,
            counters.breaks_received
        ),
        (1, 1, 1)
    );
}

#[test]
fn peer_modem_line_changes_happen_at_their_scheduled_time() {
    let mut board = Board::new(Topology::Peer, UartConfig::default());
    open_port(&mut board, 0, 12, lcr::WORD_8, 0);
    board.read(0, IIR_FCR, 0);
    board.read(0, MSR, 0);
    board.peer().unwrap().set_lines(
        ModemInputs {
            cts: true,
            dsr: true,
            ri: false,
            dcd: true,
        },
        5_000,
    );
    board.peer().unwrap().set_lines(
        ModemInputs {
            cts: false,
            dsr: true,
            ri: false,
            dcd: true,
        },
        7_000,
    );
    assert_eq!(board.next_deadline(), Some(5_000));
    assert!(!board.irq_line(0));
    board.advance(4_999);
    assert!(!board.irq_line(0));
    board.advance(5_000);
    assert!(board.irq_line(0));
    assert_eq!(
        board.read(0, MSR, 5_000),
        msr::CTS | msr::DSR | msr::DCD | msr::DCTS | msr::DDSR | msr::DDCD
    );
    assert_eq!(board.read(0, MSR, 7_000), msr::DSR | msr::DCD | msr::DCTS);
}

#[test]
fn peer_sees_what_the_uart_sends_and_its_control_lines() {
    let mut board = Board::new(Topology::Peer, UartConfig::default());
    open_port(&mut board, 0, 12, lcr::WORD_8, 0);
    board.write(0, MCR, mcr::OUT2 | mcr::DTR | mcr::RTS, 100);
    write_bytes(&mut board, 0, b"OK", 200);
    board.advance(1_000_000);
    let peer = board.peer_ref().unwrap();
    assert_eq!(peer.received_bytes(), b"OK");
    assert_eq!(peer.received()[1].at, 200 + ceil_units(2, 20, 9600));
    assert!(peer.observed_outputs().dtr && peer.observed_outputs().rts);
    assert_eq!(peer.output_history().last().unwrap().0, 100);
    board.write(0, LCR, lcr::WORD_8 | lcr::BREAK, 1_000_000);
    assert!(board.peer_ref().unwrap().observed_outputs().break_condition);
    board.advance(2_000_000);
    let last = *board.peer_ref().unwrap().received().last().unwrap();
    assert!(last.errors.break_condition);
    assert_eq!(last.at, 1_000_000 + ceil_units(1, 20, 9600));
}

#[test]
fn nothing_plugged_in_reads_inactive_lines_and_missing_ports_float() {
    let mut board = Board::new(Topology::Nothing, UartConfig::default());
    open_port(&mut board, 0, 1, lcr::WORD_8, 0);
    board.write(0, MCR, mcr::OUT2 | mcr::DTR | mcr::RTS, 0);
    write_bytes(&mut board, 0, b"lost", 0);
    board.advance(100_000);
    assert_eq!(board.read(0, MSR, 100_000), 0);
    assert_eq!(board.read(0, LSR, 100_000) & lsr::DR, 0);
    assert_eq!(board.read(3, LSR, 100_000), FLOATING_BUS);
    assert!(!board.irq_line(3));
    assert!(board.peer().is_none());
}

#[test]
fn boards_are_deterministic() {
    let run = || {
        let mut board = Board::new(Topology::NullModem, UartConfig::default());
        open_port(&mut board, 0, 3, lcr::WORD_8, 0);
        open_port(&mut board, 1, 3, lcr::WORD_8, 0);
        write_bytes(&mut board, 0, b"0123456789ABCDEF", 10);
        let mut log = Vec::new();
        while let Some(deadline) = board.next_deadline() {
            board.advance(deadline);
            log.push((
                deadline,
                board.irq_line(1),
                board.read(1, IIR_FCR, deadline),
            ));
        }
        log
    };
    assert_eq!(run(), run());
}

#[test]
fn qemu_transmits_instantly_and_rearms_thre_inside_the_write() {
    let mut board = Board::new(Topology::Peer, QEMU);
    open_port(&mut board, 0, 12, lcr::WORD_8, 0);
    board.write(0, MCR, 0, 0);
    board.advance(10);
    assert!(board.irq_line(0), "OUT2 does not gate under QEMU");
    assert_eq!(board.read(0, IIR_FCR, 10), 0xC0 | iir::THR_EMPTY);
    board.write(0, RBR_THR_DLL, b'Q', 50);
    assert_eq!(board.peer_ref().unwrap().received()[0].at, 50);
    assert_eq!(
        board.read(0, LSR, 50) & (lsr::THRE | lsr::TEMT),
        lsr::THRE | lsr::TEMT
    );
    assert_eq!(board.read(0, IIR_FCR, 50), 0xC0 | iir::THR_EMPTY);
}

#[test]
fn qemu_generates_no_parity_or_framing_errors_and_reads_zero_from_an_empty_fifo() {
    let sender = FrameFormat::new(9600, 7, Parity::Odd, StopBits::Two);
    let mut board = Board::with_peer(QEMU, ScriptedPeer::new(sender));
    open_port(
        &mut board,
        0,
        1,
        lcr::WORD_8 | lcr::PARITY_ENABLE | lcr::EVEN_PARITY,
        0,
    );
    let peer = board.peer().unwrap();
    peer.send_char(
        0x41,
        LineErrors {
            parity: true,
            framing: true,
            break_condition: false,
        },
        0,
    );
    let end = peer.send_break(0);
    assert_eq!(
        board.read(0, LSR, end) & (lsr::ERRORS | lsr::RX_FIFO_ERROR),
        lsr::BI,
        "BI latched at once, no LSR7"
    );
    assert_eq!(board.read(0, RBR_THR_DLL, end), 0x41);
    assert_eq!(board.read(0, RBR_THR_DLL, end), 0x00);
    assert_eq!(board.read(0, RBR_THR_DLL, end), 0x00, "empty FIFO reads 0");
}

#[test]
fn qemu_loopback_has_no_modem_deltas() {
    let mut board = Board::new(Topology::Nothing, QEMU);
    open_port(&mut board, 0, 1, lcr::WORD_8, 0);
    board.write(
        0,
        MCR,
        mcr::LOOP | mcr::RTS | mcr::DTR | mcr::OUT1 | mcr::OUT2,
        0,
    );
    assert_eq!(
        board.read(0, MSR, 0),
        msr::CTS | msr::DSR | msr::RI | msr::DCD
    );
    board.write(0, MCR, mcr::LOOP, 0);
    assert_eq!(board.read(0, MSR, 0), 0);
    assert_eq!(board.read(0, IIR_FCR, 0) & iir::CAUSE_MASK, iir::THR_EMPTY);
    board.read(0, IIR_FCR, 0);
    assert_eq!(board.read(0, IIR_FCR, 0), 0xC0 | iir::NO_INTERRUPT);
    // The looped-back byte is still delivered, at once.
    board.write(0, RBR_THR_DLL, 0x66, 5);
    assert_eq!(board.read(0, RBR_THR_DLL, 5), 0x66);
}

#[test]
fn qemu_receive_is_not_paced_and_never_overruns() {
    // The peer sends at 115 200 to a UART set to 9600: QEMU takes each byte as it comes, and holds
    // the rest back while the FIFO is full.
    let mut board = Board::with_peer(QEMU, ScriptedPeer::new(FrameFormat::eight_n_one(115_200)));
    open_port(&mut board, 0, 12, lcr::WORD_8, 0);
    let bytes: Vec<u8> = (0..40).collect();
    let end = board.peer().unwrap().send(&bytes, 0);
    board.advance(end);
    assert_eq!(board.uart(0).rx_fifo_bytes().len(), 16);
    let mut received = Vec::new();
    let mut now = end;
    while received.len() < 40 {
        received.extend(drain(&mut board, 0, now));
        now += 1;
    }
    assert_eq!(received, bytes);
    assert_eq!(board.uart(0).counters().overruns, 0);

    // The datasheet part overruns in the same situation and flags every byte.
    let mut board = Board::with_peer(
        UartConfig::default(),
        ScriptedPeer::new(FrameFormat::eight_n_one(115_200)),
    );
    open_port(&mut board, 0, 1, lcr::WORD_8, 0);
    let end = board.peer().unwrap().send(&bytes, 0);
    board.advance(end);
    assert_eq!(board.uart(0).counters().overruns, 24);
}
