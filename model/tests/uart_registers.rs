//! Register semantics of the 16550A model against uart16550.md §1-§4, §6, §7.

mod uart_support;

use serial_model::uart::registers::{
    IER_DLM, IIR_FCR, LCR, LSR, MCR, MSR, RBR_THR_DLL, SCR, fcr, ier, iir, lcr, lsr, mcr, msr,
};
use serial_model::uart::{
    FrameFormat, IrqGate, LineChar, LineErrors, ModemInputs, Parity, StopBits, Uart16550,
    UartConfig,
};
use uart_support::{configure, enable_out2, line_char};

const FORMAT_115200: FrameFormat = FrameFormat::eight_n_one(115_200);
/// 8N1 at 115 200 baud: 868.05.. units per character.
const CHAR: u64 = 869;

fn fifo_uart(trigger: u8) -> Uart16550 {
    let mut uart = Uart16550::default();
    configure(&mut uart, 1, lcr::WORD_8, fcr::ENABLE | trigger, 0);
    uart
}

/// Delivers `bytes` as back-to-back characters, the first ending at `first_at`.
fn feed(uart: &mut Uart16550, bytes: &[u8], first_at: u64) -> u64 {
    let mut at = first_at;
    for &byte in bytes {
        uart.receive(line_char(byte, at, FORMAT_115200));
        at += CHAR;
    }
    at - CHAR
}

#[test]
fn reset_values_match_the_datasheet() {
    let mut uart = Uart16550::default();
    assert_eq!(uart.read(IER_DLM, 0), 0x00);
    assert_eq!(uart.read(IIR_FCR, 0), 0x01);
    assert_eq!(uart.read(LCR, 0), 0x00);
    assert_eq!(uart.read(MCR, 0), 0x00);
    assert_eq!(uart.read(LSR, 0), 0x60);
    assert_eq!(uart.read(MSR, 0), 0x00);
    assert_eq!(uart.read(SCR, 0), 0x00);
    assert!(!uart.irq_line());
    assert!(!uart.fifo_enabled());
}

#[test]
fn presence_probe_sees_separate_divisor_latch_and_ier() {
    let mut uart = Uart16550::default();
    uart.write(IER_DLM, 0xFF, 0);
    assert_eq!(uart.read(IER_DLM, 0), 0x0F, "IER bits 7:4 read 0");
    let rbr = uart.read(RBR_THR_DLL, 0);
    uart.write(LCR, lcr::DLAB, 0);
    let divisor = u16::from_le_bytes([uart.read(RBR_THR_DLL, 0), uart.read(IER_DLM, 0)]);
    assert_ne!(
        divisor,
        u16::from_le_bytes([rbr, 0x0F]),
        "divisor latch aliases RBR/IER"
    );
    uart.write(RBR_THR_DLL, 0x55, 0);
    uart.write(IER_DLM, 0xAA, 0);
    assert_eq!(uart.read(RBR_THR_DLL, 0), 0x55);
    assert_eq!(uart.read(IER_DLM, 0), 0xAA);
    uart.write(LCR, 0, 0);
    assert_eq!(uart.read(IER_DLM, 0), 0x0F);
    assert_eq!(uart.divisor(), 0xAA55);
    // DLAB does not reach the transmitter either: nothing was queued.
    assert_eq!(uart.read(LSR, 0) & lsr::TEMT, lsr::TEMT);
}

#[test]
fn scratch_register_holds_any_value() {
    let mut uart = Uart16550::default();
    uart.write(SCR, 0xA5, 0);
    assert_eq!(uart.read(SCR, 1), 0xA5);
}

#[test]
fn fifo_probe_reads_c0_in_iir_and_enable_change_clears_both_fifos() {
    let mut uart = Uart16550::default();
    configure(&mut uart, 1, lcr::WORD_8, 0, 0);
    assert_eq!(uart.read(IIR_FCR, 0) & 0xC0, 0x00);
    uart.write(IIR_FCR, fcr::ENABLE, 0);
    assert_eq!(uart.read(IIR_FCR, 0) & 0xC0, 0xC0);
    feed(&mut uart, &[1, 2, 3], 10_000);
    uart.write(RBR_THR_DLL, 0x41, 20_000);
    uart.write(RBR_THR_DLL, 0x42, 20_000);
    assert_eq!(uart.rx_fifo_bytes().len(), 3);
    uart.write(IIR_FCR, 0, 20_000);
    assert_eq!(uart.read(IIR_FCR, 20_000) & 0xC0, 0x00);
    assert!(uart.rx_fifo_bytes().is_empty());
    assert_eq!(uart.tx_fifo_len(), 0);
    assert_eq!(uart.read(LSR, 20_000) & (lsr::DR | lsr::THRE), lsr::THRE);
}

#[test]
fn fcr_reset_bits_need_fcr0_and_clear_only_their_fifo() {
    let mut uart = fifo_uart(fcr::TRIGGER_14);
    feed(&mut uart, &[1, 2], 1_000);
    uart.write(RBR_THR_DLL, 0x41, 5_000);
    uart.write(RBR_THR_DLL, 0x42, 5_000);
    uart.write(RBR_THR_DLL, 0x43, 5_000);
    // Without FCR0 the reset bit would also disable the FIFOs (and clear them by that); with it,
    // only the RX FIFO goes.
    uart.write(
        IIR_FCR,
        fcr::ENABLE | fcr::RX_RESET | fcr::TRIGGER_14,
        5_000,
    );
    assert!(uart.rx_fifo_bytes().is_empty());
    assert_eq!(uart.tx_fifo_len(), 2);
    uart.write(
        IIR_FCR,
        fcr::ENABLE | fcr::TX_RESET | fcr::TRIGGER_14,
        5_000,
    );
    assert_eq!(uart.tx_fifo_len(), 0);
    assert!(uart.transmitter_busy(), "the shift register is not cleared");
    assert_eq!(uart.read(LSR, 5_000) & (lsr::THRE | lsr::TEMT), lsr::THRE);
}

#[test]
fn iir_reports_one_cause_at_a_time_in_priority_order() {
    let mut uart = fifo_uart(fcr::TRIGGER_1);
    enable_out2(&mut uart, 0);
    uart.write(IER_DLM, ier::MASK, 0);
    // THRE pending from the IER write; now a modem change, a received byte and a break.
    uart.set_modem_inputs(
        ModemInputs {
            cts: true,
            ..ModemInputs::default()
        },
        100,
    );
    let mut brk = line_char(0, 2_000, FORMAT_115200);
    brk.errors = LineErrors::BREAK;
    uart.receive(line_char(0x31, 1_000, FORMAT_115200));
    uart.receive(brk);
    let t = 3_000;
    assert!(uart.irq_line());
    // BI belongs to the second byte and is not revealed before that byte reaches the head.
    assert_eq!(uart.read(IIR_FCR, t), 0xC0 | iir::RECEIVED_DATA);
    assert_eq!(uart.read(RBR_THR_DLL, t), 0x31);
    // Now RLS, RDA, THRE and MS are all pending: one cause at a time, highest first.
    assert_eq!(uart.read(IIR_FCR, t), 0xC0 | iir::RECEIVER_LINE_STATUS);
    assert_eq!(
        uart.read(IIR_FCR, t),
        0xC0 | iir::RECEIVER_LINE_STATUS,
        "IIR reads do not clear RLS"
    );
    assert_eq!(uart.read(LSR, t) & (lsr::BI | lsr::DR), lsr::BI | lsr::DR);
    assert_eq!(uart.read(IIR_FCR, t), 0xC0 | iir::RECEIVED_DATA);
    assert_eq!(uart.read(RBR_THR_DLL, t), 0x00);
    assert_eq!(uart.read(IIR_FCR, t), 0xC0 | iir::THR_EMPTY);
    assert_eq!(
        uart.read(IIR_FCR, t),
        0xC0 | iir::MODEM_STATUS,
        "reading IIR cleared THRE"
    );
    assert!(uart.irq_line());
    assert_eq!(uart.read(MSR, t), msr::CTS | msr::DCTS);
    assert_eq!(uart.read(IIR_FCR, t), 0xC0 | iir::NO_INTERRUPT);
    assert!(!uart.irq_line());
}

#[test]
fn thre_is_cleared_by_an_iir_read_only_when_reported() {
    let mut uart = fifo_uart(fcr::TRIGGER_1);
    uart.write(IER_DLM, ier::ERBFI | ier::ETBEI, 0);
    feed(&mut uart, &[0x55], 1_000);
    assert_eq!(uart.read(IIR_FCR, 2_000), 0xC0 | iir::RECEIVED_DATA);
    assert_eq!(uart.read(IIR_FCR, 2_000), 0xC0 | iir::RECEIVED_DATA);
    uart.read(RBR_THR_DLL, 2_000);
    assert_eq!(uart.read(IIR_FCR, 2_000), 0xC0 | iir::THR_EMPTY);
    assert_eq!(uart.read(IIR_FCR, 2_000), 0xC0 | iir::NO_INTERRUPT);
    assert_eq!(
        uart.read(LSR, 2_000) & lsr::THRE,
        lsr::THRE,
        "the LSR bit stays"
    );
}

#[test]
fn thr_write_clears_thre_interrupt() {
    let mut uart = fifo_uart(fcr::TRIGGER_1);
    uart.write(IER_DLM, ier::ETBEI, 0);
    assert_eq!(
        uart.pending_cause(),
        Some(serial_model::uart::InterruptCause::ThrEmpty)
    );
    uart.write(RBR_THR_DLL, 1, 0);
    uart.write(RBR_THR_DLL, 2, 0);
    assert_eq!(uart.read(IIR_FCR, 0), 0xC0 | iir::NO_INTERRUPT);
}

#[test]
fn ier_kick_rearms_thre_on_an_etbei_rising_edge_only() {
    let mut uart = fifo_uart(fcr::TRIGGER_1);
    uart.write(IER_DLM, ier::MASK, 0);
    assert_eq!(uart.read(IIR_FCR, 0), 0xC0 | iir::THR_EMPTY);
    assert_eq!(uart.read(IIR_FCR, 0), 0xC0 | iir::NO_INTERRUPT);
    uart.write(IER_DLM, ier::MASK, 0);
    assert_eq!(
        uart.read(IIR_FCR, 0),
        0xC0 | iir::NO_INTERRUPT,
        "1 → 1 is no edge"
    );
    uart.write(IER_DLM, 0, 0);
    uart.write(IER_DLM, ier::MASK, 0);
    assert_eq!(uart.read(IIR_FCR, 0), 0xC0 | iir::THR_EMPTY);
    // No re-arm while the transmitter is still full.
    uart.write(RBR_THR_DLL, 1, 0);
    uart.write(RBR_THR_DLL, 2, 0);
    uart.write(IER_DLM, 0, 0);
    uart.write(IER_DLM, ier::MASK, 0);
    assert_eq!(uart.read(IIR_FCR, 0), 0xC0 | iir::NO_INTERRUPT);
}

#[test]
fn fifo_overrun_sets_oe_at_once_loses_the_new_char_and_keeps_the_fifo() {
    let mut uart = fifo_uart(fcr::TRIGGER_14);
    uart.write(IER_DLM, ier::ELSI, 0);
    let bytes: Vec<u8> = (0..17).collect();
    let last = feed(&mut uart, &bytes, 1_000);
    uart.advance(last - 1);
    assert_eq!(uart.peek_lsr() & lsr::OE, 0);
    uart.advance(last);
    assert_eq!(
        uart.peek_lsr() & lsr::OE,
        lsr::OE,
        "OE as soon as the 17th char completes"
    );
    assert_eq!(uart.read(IIR_FCR, last), 0xC0 | iir::RECEIVER_LINE_STATUS);
    assert_eq!(uart.rx_fifo_bytes(), (0..16).collect::<Vec<u8>>());
    assert_eq!(uart.read(LSR, last) & lsr::OE, lsr::OE);
    assert_eq!(uart.read(LSR, last) & lsr::OE, 0, "cleared by the LSR read");
    let drained: Vec<u8> = (0..16).map(|_| uart.read(RBR_THR_DLL, last)).collect();
    assert_eq!(drained, (0..16).collect::<Vec<u8>>());
    assert_eq!(uart.read(LSR, last) & lsr::DR, 0);
    assert_eq!(uart.counters().overruns, 1);
}

#[test]
fn mode_16450_overrun_overwrites_rbr() {
    let mut uart = Uart16550::default();
    configure(&mut uart, 1, lcr::WORD_8, 0, 0);
    uart.write(IER_DLM, ier::ERBFI, 0);
    feed(&mut uart, &[0x11, 0x22], 1_000);
    assert_eq!(
        uart.read(IIR_FCR, 5_000),
        iir::RECEIVED_DATA,
        "IIR 7:6 = 00 without FIFOs"
    );
    assert_eq!(
        uart.read(LSR, 5_000) & (lsr::OE | lsr::DR),
        lsr::OE | lsr::DR
    );
    assert_eq!(uart.read(RBR_THR_DLL, 5_000), 0x22);
    assert_eq!(uart.read(IIR_FCR, 5_000), iir::NO_INTERRUPT);
}

#[test]
fn mode_16450_has_no_character_timeout_and_no_lsr7() {
    let mut uart = Uart16550::default();
    configure(
        &mut uart,
        1,
        lcr::WORD_8 | lcr::PARITY_ENABLE | lcr::EVEN_PARITY,
        0,
        0,
    );
    uart.write(IER_DLM, ier::ERBFI, 0);
    let odd_sender = FrameFormat::new(115_200, 8, Parity::Odd, StopBits::One);
    uart.receive(line_char(0x01, 1_000, odd_sender));
    uart.advance(1_000_000);
    assert_eq!(uart.read(IIR_FCR, 1_000_000), iir::RECEIVED_DATA);
    assert_eq!(
        uart.read(LSR, 1_000_000),
        lsr::DR | lsr::PE | lsr::THRE | lsr::TEMT
    );
}

#[test]
fn mode_16450_thr_holds_one_byte_behind_the_shift_register() {
    let mut uart = Uart16550::default();
    configure(&mut uart, 1, lcr::WORD_8, 0, 0);
    uart.write(IER_DLM, ier::ETBEI, 0);
    assert_eq!(uart.read(IIR_FCR, 0), iir::THR_EMPTY);
    uart.write(RBR_THR_DLL, 1, 0);
    // The byte moved to the shift register: THR is empty again and says so.
    assert_eq!(uart.read(IIR_FCR, 0), iir::THR_EMPTY);
    uart.write(RBR_THR_DLL, 2, 0);
    assert_eq!(uart.read(LSR, 0) & (lsr::THRE | lsr::TEMT), 0);
    assert_eq!(uart.read(IIR_FCR, 0), iir::NO_INTERRUPT);
    uart.write(RBR_THR_DLL, 3, 0);
    assert_eq!(uart.counters().tx_fifo_overflows, 1);
    assert_eq!(uart.violations().len(), 1);
}

#[test]
fn received_data_interrupt_follows_each_trigger_level_exactly() {
    for (bits, level) in [
        (fcr::TRIGGER_1, 1),
        (fcr::TRIGGER_4, 4),
        (fcr::TRIGGER_8, 8),
        (fcr::TRIGGER_14, 14),
    ] {
        let mut uart = fifo_uart(bits);
        uart.write(IER_DLM, ier::ERBFI, 0);
        let bytes: Vec<u8> = (0..16).collect();
        feed(&mut uart, &bytes, 1_000);
        for count in 1..=16u64 {
            let at = 1_000 + (count - 1) * CHAR;
            uart.advance(at);
            let expected = if count >= level {
                0xC0 | iir::RECEIVED_DATA
            } else {
                0xC0 | iir::NO_INTERRUPT
            };
            assert_eq!(
                uart.read(IIR_FCR, at),
                expected,
                "trigger {level}, {count} bytes"
            );
        }
        // Reading down to one below the trigger withdraws RDA.
        let t = 1_000 + 16 * CHAR;
        for _ in 0..(17 - level) {
            uart.read(RBR_THR_DLL, t);
        }
        assert_eq!(
            uart.read(IIR_FCR, t),
            0xC0 | iir::NO_INTERRUPT,
            "trigger {level}"
        );
    }
}

#[test]
fn character_timeout_after_four_character_times_exactly() {
    let mut uart = fifo_uart(fcr::TRIGGER_8);
    uart.write(IER_DLM, ier::ERBFI, 0);
    let last = feed(&mut uart, &[1, 2, 3], 1_000);
    // 4 character times of 8N1 at 115 200 = 40 bits = 3472.2 units after the last arrival.
    let cti_at = last + 3_473;
    assert_eq!(uart.next_deadline(), Some(1_000));
    uart.advance(last);
    assert_eq!(uart.next_deadline(), Some(cti_at));
    assert_eq!(uart.read(IIR_FCR, cti_at - 1), 0xC0 | iir::NO_INTERRUPT);
    assert_eq!(uart.read(IIR_FCR, cti_at), 0xC0 | iir::CHARACTER_TIMEOUT);
    assert!(!uart.irq_line(), "OUT2 gates it");
    enable_out2(&mut uart, cti_at);
    assert!(uart.irq_line());
    // Reading RBR clears CTI and restarts the timer from the read.
    assert_eq!(uart.read(RBR_THR_DLL, cti_at), 1);
    assert_eq!(uart.read(IIR_FCR, cti_at), 0xC0 | iir::NO_INTERRUPT);
    assert_eq!(uart.next_deadline(), Some(cti_at + 3_473));
    // Masked by ERBFI, but still latched.
    uart.write(IER_DLM, 0, cti_at);
    uart.advance(cti_at + 3_473);
    assert_eq!(uart.read(IIR_FCR, cti_at + 3_473), 0xC0 | iir::NO_INTERRUPT);
    uart.write(IER_DLM, ier::ERBFI, cti_at + 3_473);
    assert_eq!(
        uart.read(IIR_FCR, cti_at + 3_473),
        0xC0 | iir::CHARACTER_TIMEOUT
    );
}

#[test]
fn character_timeout_counts_the_second_stop_bit() {
    // 300 baud, 8 data + even parity + 2 stop = 12 bits: 40 ms per character, CTI 160 ms.
    let mut uart = Uart16550::default();
    let line = lcr::WORD_8 | lcr::PARITY_ENABLE | lcr::EVEN_PARITY | lcr::STOP_BITS;
    configure(&mut uart, 384, line, fcr::ENABLE | fcr::TRIGGER_4, 0);
    uart.write(IER_DLM, ier::ERBFI, 0);
    let format = uart.frame();
    assert_eq!(
        format,
        FrameFormat::new(300, 8, Parity::Even, StopBits::Two)
    );
    assert_eq!(uart.character_time(), 400_000);
    uart.receive(LineChar {
        at: 50_000,
        data: 0x33,
        format,
        errors: LineErrors::NONE,
    });
    uart.advance(50_000);
    assert_eq!(uart.next_deadline(), Some(50_000 + 1_600_000));
}

#[test]
fn lsr_error_bits_follow_the_fifo_head_and_lsr7_flags_errors_inside() {
    let mut uart = Uart16550::default();
    configure(
        &mut uart,
        1,
        lcr::WORD_8 | lcr::PARITY_ENABLE | lcr::EVEN_PARITY,
        fcr::ENABLE | fcr::TRIGGER_14,
        0,
    );
    let even = FrameFormat::new(115_200, 8, Parity::Even, StopBits::One);
    let mut bad = line_char(0x02, 2_000, even);
    bad.errors.parity = true;
    uart.receive(line_char(0x01, 1_000, even));
    uart.receive(bad);
    uart.receive(line_char(0x03, 3_000, even));
    let t = 5_000;
    assert_eq!(
        uart.read(LSR, t),
        lsr::RX_FIFO_ERROR | lsr::THRE | lsr::TEMT | lsr::DR
    );
    assert_eq!(uart.read(RBR_THR_DLL, t), 0x01);
    assert_eq!(
        uart.read(LSR, t),
        lsr::RX_FIFO_ERROR | lsr::PE | lsr::THRE | lsr::TEMT | lsr::DR
    );
    assert_eq!(
        uart.read(LSR, t) & (lsr::PE | lsr::RX_FIFO_ERROR),
        lsr::RX_FIFO_ERROR,
        "PE cleared, byte still in"
    );
    assert_eq!(uart.read(RBR_THR_DLL, t), 0x02);
    assert_eq!(
        uart.read(LSR, t) & (lsr::PE | lsr::RX_FIFO_ERROR),
        lsr::RX_FIFO_ERROR,
        "LSR7 clears on the next read"
    );
    assert_eq!(uart.read(LSR, t) & (lsr::PE | lsr::RX_FIFO_ERROR), 0);
    assert_eq!(uart.read(RBR_THR_DLL, t), 0x03);
}

#[test]
fn parity_rules_of_the_receiver_apply() {
    for (line, parity) in [
        (lcr::PARITY_ENABLE, Parity::Odd),
        (lcr::PARITY_ENABLE | lcr::EVEN_PARITY, Parity::Even),
        (lcr::PARITY_ENABLE | lcr::STICK_PARITY, Parity::Mark),
        (
            lcr::PARITY_ENABLE | lcr::STICK_PARITY | lcr::EVEN_PARITY,
            Parity::Space,
        ),
    ] {
        let mut uart = Uart16550::default();
        configure(&mut uart, 1, lcr::WORD_8 | line, fcr::ENABLE, 0);
        assert_eq!(uart.frame().parity, parity);
        for (index, sender) in [Parity::Odd, Parity::Even, Parity::Mark, Parity::Space]
            .into_iter()
            .enumerate()
        {
            let format = FrameFormat::new(115_200, 8, sender, StopBits::One);
            let at = 1_000 + index as u64 * 2 * CHAR;
            uart.receive(line_char(0x07, at, format));
            uart.advance(at);
            let lsr_value = uart.read(LSR, at);
            let wire_bit = format.parity_bit(0x07);
            let expected = uart.frame().parity_bit(0x07);
            assert_eq!(
                lsr_value & lsr::PE != 0,
                wire_bit != expected,
                "{parity:?} receiver, {sender:?} sender"
            );
            assert_eq!(lsr_value & lsr::FE, 0);
            uart.read(RBR_THR_DLL, at);
        }
    }
}

#[test]
fn msr_deltas_are_cleared_on_read_and_teri_fires_on_the_trailing_edge_only() {
    let mut uart = Uart16550::default();
    uart.write(IER_DLM, ier::EDSSI, 0);
    uart.set_modem_inputs(
        ModemInputs {
            ri: true,
            ..ModemInputs::default()
        },
        10,
    );
    assert_eq!(uart.read(MSR, 10), msr::RI, "RI rising sets no delta");
    assert_eq!(uart.read(IIR_FCR, 10), iir::NO_INTERRUPT);
    uart.set_modem_inputs(ModemInputs::default(), 20);
    assert_eq!(uart.read(IIR_FCR, 20), iir::MODEM_STATUS);
    assert_eq!(uart.read(MSR, 20), msr::TERI);
    assert_eq!(uart.read(MSR, 20), 0);
    uart.set_modem_inputs(
        ModemInputs {
            cts: true,
            dsr: true,
            dcd: true,
            ri: false,
        },
        30,
    );
    uart.set_modem_inputs(
        ModemInputs {
            cts: false,
            dsr: true,
            dcd: true,
            ri: false,
        },
        40,
    );
    assert_eq!(
        uart.read(MSR, 40),
        msr::DCTS | msr::DDSR | msr::DDCD | msr::DSR | msr::DCD,
        "deltas accumulate, lines live"
    );
    assert_eq!(uart.read(MSR, 40), msr::DSR | msr::DCD);
    assert_eq!(uart.read(IIR_FCR, 40), iir::NO_INTERRUPT);
}

#[test]
fn loopback_maps_mcr_to_msr_with_deltas_and_modem_interrupts() {
    let mut uart = Uart16550::default();
    uart.write(IER_DLM, ier::EDSSI, 0);
    uart.set_modem_inputs(ModemInputs::ALL, 0);
    uart.read(MSR, 0);
    uart.write(MCR, mcr::LOOP | mcr::OUT2, 0);
    // External lines are disconnected: all four drop, OUT2 drives DCD.
    assert_eq!(
        uart.read(MSR, 0),
        msr::DCD | msr::DCTS | msr::DDSR | msr::TERI
    );
    uart.write(MCR, mcr::LOOP | mcr::OUT2 | mcr::RTS, 100);
    assert!(
        uart.irq_line(),
        "MS interrupt, passed by the MCR.OUT2 bit gate"
    );
    assert_eq!(uart.read(IIR_FCR, 100), iir::MODEM_STATUS);
    assert_eq!(uart.read(MSR, 100), msr::CTS | msr::DCD | msr::DCTS);
    uart.write(MCR, mcr::LOOP | mcr::OUT2 | mcr::DTR | mcr::OUT1, 200);
    assert_eq!(
        uart.read(MSR, 200),
        msr::DSR | msr::RI | msr::DCD | msr::DCTS | msr::DDSR
    );
    uart.write(MCR, mcr::LOOP | mcr::OUT2 | mcr::DTR, 300);
    assert_eq!(uart.read(MSR, 300), msr::DSR | msr::DCD | msr::TERI);
    assert_eq!(
        uart.modem_outputs(),
        serial_model::uart::ModemOutputs::default(),
        "pins inactive in loopback"
    );
    uart.set_modem_inputs(ModemInputs::default(), 400);
    assert_eq!(
        uart.read(MSR, 400),
        msr::DSR | msr::DCD,
        "external changes are ignored"
    );
}

#[test]
fn loopback_returns_transmitted_chars_to_the_receiver_with_line_timing() {
    let mut uart = Uart16550::default();
    configure(&mut uart, 1, lcr::WORD_8, fcr::ENABLE, 0);
    uart.write(MCR, mcr::LOOP, 0);
    uart.write(RBR_THR_DLL, 0x5A, 1_000);
    uart.advance(1_000 + CHAR - 1);
    assert_eq!(uart.read(LSR, 1_000 + CHAR - 1) & lsr::DR, 0);
    assert_eq!(uart.read(LSR, 1_000 + CHAR) & lsr::DR, lsr::DR);
    assert_eq!(uart.read(RBR_THR_DLL, 1_000 + CHAR), 0x5A);
    assert!(uart.take_transmitted().is_empty(), "SOUT stays at mark");
    // Characters from the line are lost while SIN is disconnected.
    uart.receive(line_char(0x77, 5_000, FORMAT_115200));
    uart.advance(6_000);
    assert_eq!(uart.read(LSR, 6_000) & lsr::DR, 0);
    assert_eq!(uart.counters().chars_dropped_in_loopback, 1);
}

#[test]
fn out2_gates_the_interrupt_line_per_config() {
    for (gate, in_loopback_expected) in [
        (IrqGate::Out2Bit, true),
        (IrqGate::Out2Pin, false),
        (IrqGate::Ungated, true),
    ] {
        let mut uart = Uart16550::new(UartConfig {
            irq_gate: gate,
            ..UartConfig::default()
        });
        uart.write(IER_DLM, ier::ETBEI, 0);
        assert!(uart.intr());
        assert_eq!(
            uart.irq_line(),
            gate == IrqGate::Ungated,
            "{gate:?} without OUT2"
        );
        uart.write(MCR, mcr::OUT2, 0);
        assert!(uart.irq_line(), "{gate:?} with OUT2");
        uart.write(MCR, mcr::OUT2 | mcr::LOOP, 0);
        assert_eq!(
            uart.irq_line(),
            in_loopback_expected,
            "{gate:?} in loopback"
        );
    }
}

#[test]
fn trace_records_accesses_with_time_and_is_bounded() {
    let mut uart = Uart16550::default();
    uart.set_trace_capacity(3);
    uart.write(SCR, 1, 5);
    uart.write(LCR, lcr::DLAB, 6);
    uart.read(RBR_THR_DLL, 7);
    uart.read(SCR, 8);
    let trace = uart.trace();
    assert_eq!(trace.len(), 3);
    assert_eq!(trace[0].at, 6);
    assert_eq!(trace[1].register, serial_model::uart::Register::Dll);
    assert_eq!(trace[2].value, 1);
    assert_eq!(uart.counters().register_reads, 2);
    assert_eq!(uart.counters().register_writes, 2);
}
