//! Line timing of the 16550A model: exact character pacing, THRE/TEMT, delayed THRE, RX pacing,
//! break (uart16550.md §3.4, §5).

mod uart_support;

use serial_model::uart::registers::{
    IER_DLM, IIR_FCR, LCR, LSR, RBR_THR_DLL, fcr, ier, iir, lcr, lsr,
};
use serial_model::uart::{FrameFormat, LineChar, Time, Uart16550};
use uart_support::{ceil_units, configure, line_char};

fn fifo_uart(divisor: u16) -> Uart16550 {
    let mut uart = Uart16550::default();
    configure(
        &mut uart,
        divisor,
        lcr::WORD_8,
        fcr::ENABLE | fcr::TX_RESET | fcr::RX_RESET | fcr::TRIGGER_8,
        0,
    );
    uart
}

/// Transmits `total` bytes, refilling the FIFO with 16 bytes on every THRE interrupt, and returns
/// every character that left the line.
fn transmit_continuously(uart: &mut Uart16550, total: usize) -> Vec<LineChar> {
    uart.write(IER_DLM, ier::ETBEI, 0);
    let mut written = 0;
    let mut sent = Vec::with_capacity(total);
    let mut now: Time = 0;
    loop {
        while uart.read(IIR_FCR, now) & iir::CAUSE_MASK == iir::THR_EMPTY && written < total {
            for _ in 0..16.min(total - written) {
                uart.write(RBR_THR_DLL, written as u8, now);
                written += 1;
            }
        }
        sent.extend(uart.take_transmitted());
        match uart.next_deadline() {
            Some(deadline) => {
                now = deadline;
                uart.advance(now);
            }
            None => break,
        }
    }
    sent.extend(uart.take_transmitted());
    assert_eq!(uart.read(LSR, now) & lsr::TEMT, lsr::TEMT);
    sent
}

fn assert_exact_run(divisor: u16, baud: u128) {
    let mut uart = fifo_uart(divisor);
    let sent = transmit_continuously(&mut uart, 65_536);
    assert_eq!(sent.len(), 65_536);
    for (index, ch) in sent.iter().enumerate() {
        let expected = ceil_units(index as u128 + 1, 20, baud);
        assert_eq!(ch.at, expected, "character {index} at {baud} baud");
        assert_eq!(ch.data, index as u8);
    }
    let last = sent.last().unwrap().at;
    assert_eq!(last, ceil_units(65_536, 20, baud));
    assert!(uart.violations().is_empty(), "{:?}", uart.violations());
}

#[test]
fn sixty_four_kib_at_115200_ends_exactly_on_time() {
    assert_exact_run(1, 115_200);
    assert_eq!(ceil_units(65_536, 20, 115_200), 56_888_889);
}

#[test]
fn sixty_four_kib_at_9600_ends_exactly_on_time() {
    assert_exact_run(12, 9600);
    assert_eq!(ceil_units(65_536, 20, 9600), 682_666_667);
}

#[test]
fn one_character_takes_one_character_time_and_then_temt() {
    for (divisor, baud) in [(1u16, 115_200u128), (12, 9600), (384, 300)] {
        let mut uart = fifo_uart(divisor);
        let start = 12_345;
        uart.write(RBR_THR_DLL, 0xA5, start);
        let end = start + ceil_units(1, 20, baud);
        assert_eq!(uart.read(LSR, end - 1) & lsr::TEMT, 0);
        assert!(uart.take_transmitted().is_empty());
        assert_eq!(uart.read(LSR, end) & lsr::TEMT, lsr::TEMT, "{baud}");
        let sent = uart.take_transmitted();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].at, end);
        assert_eq!(sent[0].data, 0xA5);
        assert_eq!(sent[0].format, FrameFormat::eight_n_one(baud as u32));
    }
}

#[test]
fn character_time_reports_exact_and_rounded_values() {
    let uart = fifo_uart(1);
    assert_eq!(uart.character_time_cycles(), 160);
    assert_eq!(uart.character_time(), 869);
    assert_eq!(uart.character_time_ns(), 86_806);
    assert_eq!(uart.frame().baud_millis, 115_200_000);
}

#[test]
fn delayed_thre_after_a_single_byte_in_fifo_mode() {
    let mut uart = fifo_uart(1);
    uart.write(IER_DLM, ier::ETBEI, 1_000);
    assert_eq!(uart.read(IIR_FCR, 1_000), 0xC0 | iir::THR_EMPTY);
    uart.write(RBR_THR_DLL, 0x11, 1_000);
    // One character time minus the stop bit: 9 bits = 781.25 units.
    let thre_at = 1_000 + ceil_units(1, 18, 115_200);
    assert_eq!(uart.read(LSR, thre_at - 1) & lsr::THRE, 0);
    assert_eq!(uart.read(IIR_FCR, thre_at - 1), 0xC0 | iir::NO_INTERRUPT);
    assert_eq!(uart.read(LSR, thre_at) & (lsr::THRE | lsr::TEMT), lsr::THRE);
    assert_eq!(uart.read(IIR_FCR, thre_at), 0xC0 | iir::THR_EMPTY);
    assert_eq!(uart.read(LSR, 1_000 + 869) & lsr::TEMT, lsr::TEMT);
}

#[test]
fn no_thre_delay_after_two_bytes_were_in_the_fifo() {
    let mut uart = fifo_uart(1);
    uart.write(RBR_THR_DLL, 0x11, 1_000);
    uart.write(RBR_THR_DLL, 0x22, 1_000);
    // THRE as soon as the second byte moves to the shift register, at the end of the first.
    let first_end = 1_000 + ceil_units(1, 20, 115_200);
    assert_eq!(uart.read(LSR, first_end - 1) & lsr::THRE, 0);
    assert_eq!(
        uart.read(LSR, first_end) & (lsr::THRE | lsr::TEMT),
        lsr::THRE
    );
    assert_eq!(
        uart.read(LSR, 1_000 + ceil_units(2, 20, 115_200)) & lsr::TEMT,
        lsr::TEMT
    );
}

#[test]
fn mode_16450_thre_is_immediate_when_the_shift_register_takes_the_byte() {
    let mut uart = Uart16550::default();
    configure(&mut uart, 1, lcr::WORD_8, 0, 0);
    uart.write(RBR_THR_DLL, 0x11, 1_000);
    assert_eq!(uart.read(LSR, 1_000) & (lsr::THRE | lsr::TEMT), lsr::THRE);
}

#[test]
fn lcr_change_sets_the_next_characters_frame() {
    let mut uart = fifo_uart(1);
    // 7 data bits, odd parity, 2 stop bits: 11 bits.
    uart.write(LCR, 0x02 | lcr::PARITY_ENABLE | lcr::STOP_BITS, 0);
    uart.write(RBR_THR_DLL, 0xFF, 0);
    uart.advance(10_000);
    let sent = uart.take_transmitted();
    assert_eq!(sent[0].at, ceil_units(1, 22, 115_200));
    assert_eq!(sent[0].data, 0x7F, "only the data bits travel");
    // 5 data bits with 1.5 stop bits: 7.5 bits.
    uart.write(LCR, lcr::STOP_BITS, 10_000);
    uart.write(RBR_THR_DLL, 0x1F, 10_000);
    uart.advance(20_000);
    assert_eq!(
        uart.take_transmitted()[0].at,
        10_000 + ceil_units(1, 15, 115_200)
    );
}

#[test]
fn receiver_paces_arrivals_to_its_character_time() {
    let mut uart = fifo_uart(1);
    let format = FrameFormat::eight_n_one(115_200);
    // Three characters handed over with the same end time arrive one character time apart
    // (less the 100 ns rounding allowance of `at`).
    for data in 0..3 {
        uart.receive(line_char(data, 1_000, format));
    }
    uart.advance(1_000);
    assert_eq!(uart.rx_fifo_bytes(), vec![0]);
    uart.advance(1_000 + 866);
    assert_eq!(uart.rx_fifo_bytes(), vec![0]);
    uart.advance(1_000 + 868);
    assert_eq!(uart.rx_fifo_bytes(), vec![0, 1]);
    uart.advance(1_000 + 1_734);
    assert_eq!(uart.rx_fifo_bytes(), vec![0, 1]);
    uart.advance(1_000 + 1_735);
    assert_eq!(uart.rx_fifo_bytes(), vec![0, 1, 2]);
}

#[test]
fn receiving_a_long_burst_at_the_senders_times_has_no_drift() {
    let mut uart = fifo_uart(12);
    let format = FrameFormat::eight_n_one(9600);
    let mut received = 0;
    for index in 0..2_000u128 {
        let at = 500 + ceil_units(index + 1, 20, 9600);
        uart.receive(line_char(index as u8, at, format));
    }
    for index in 0..2_000u128 {
        let at = 500 + ceil_units(index + 1, 20, 9600);
        assert_eq!(
            uart.read(LSR, at - 1) & lsr::DR,
            0,
            "character {index} early"
        );
        assert_eq!(
            uart.read(LSR, at) & (lsr::DR | lsr::ERRORS),
            lsr::DR,
            "character {index} late"
        );
        assert_eq!(uart.read(RBR_THR_DLL, at), index as u8);
        received += 1;
    }
    assert_eq!(received, 2_000);
}

#[test]
fn break_holds_the_line_and_the_far_end_sees_one_break_character() {
    let mut uart = fifo_uart(1);
    uart.write(LCR, lcr::WORD_8 | lcr::BREAK, 1_000);
    assert!(uart.modem_outputs().break_condition);
    uart.advance(1_000 + 868);
    assert!(uart.take_transmitted().is_empty());
    uart.advance(100_000);
    let sent = uart.take_transmitted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].at, 1_000 + 869);
    assert!(sent[0].errors.break_condition);
    uart.write(LCR, lcr::WORD_8, 100_000);
    assert!(!uart.modem_outputs().break_condition);
    uart.write(RBR_THR_DLL, 0x42, 100_000);
    uart.advance(200_000);
    assert_eq!(uart.take_transmitted()[0].data, 0x42);
}

#[test]
fn transmitting_with_divisor_zero_is_flagged() {
    let mut uart = fifo_uart(0);
    uart.write(RBR_THR_DLL, 1, 0);
    uart.write(RBR_THR_DLL, 2, 0);
    let violations = uart.violations();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert!(violations[0].contains("divisor 0"));
}

#[test]
fn thr_write_to_a_full_fifo_is_flagged_and_loses_the_new_byte() {
    let mut uart = fifo_uart(1);
    for data in 0..18u8 {
        uart.write(RBR_THR_DLL, data, 0);
    }
    assert_eq!(uart.counters().tx_fifo_overflows, 1);
    assert!(uart.violations()[0].contains("full"));
    uart.advance(1_000_000);
    let data: Vec<u8> = uart.take_transmitted().iter().map(|ch| ch.data).collect();
    assert_eq!(data, (0..17).collect::<Vec<u8>>());
}
