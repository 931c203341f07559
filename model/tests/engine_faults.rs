//! Every hardware fault the 16550 model can inject, survived through the engine: the driver
//! detects it, logs the expected entries (kind, count, IRQL), retries or recovers at PASSIVE_LEVEL
//! where recovery is possible and otherwise fails the device cleanly. Every request completes
//! exactly once, the bytes are accounted for (what arrives is what was sent minus what the fault
//! provably destroyed, in order), and no verifier rule fires with the ISR held to 25 µs and each
//! DPC to 100 µs as hard limits.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_engine::error_log::{ErrorCode, LogKind, Reason};
use serial_ioctl::{NtStatus, SerialIoctl, SerialStatus, error};
use serial_model::kernel::{CostBudget, Irql, LoggedError, Machine, Operation, RequestHandle};
use serial_model::uart::{UartCounters, UartFault};
use serial_model::wire::Topology;

const BAUD: u32 = 115_200;

/// The ISR and DPC budgets as hard limits.
fn strict_budget() -> CostBudget {
    CostBudget {
        isr_limit_ns: Some(25_000),
        dpc_limit_ns: Some(100_000),
        ..CostBudget::default()
    }
}

/// A loopback plug on port 0, opened at 115 200 8N1 with no flow control.
fn loopback() -> Machine {
    let mut m = machine_with(Topology::Loopback, |config| {
        config.cost_budget = strict_budget();
    });
    open_8n1(&mut m, 0, BAUD);
    m
}

/// A scripted peer on port 0 that only listens, both ends at 115 200 8N1: nothing is received,
/// so no receive interrupt ever picks up transmit work the way it does on a loopback plug.
fn listening_peer() -> Machine {
    peer_machine_at(BAUD, |config| config.cost_budget = strict_budget())
}

fn heard(m: &mut Machine) -> Vec<u8> {
    m.board_mut().peer().unwrap().received_bytes()
}

/// A read of `len` that returns what arrived within `total_ms`, and a write of `data`.
fn transfer(m: &mut Machine, data: &[u8], total_ms: u32) -> (RequestHandle, RequestHandle) {
    set_timeouts(m, 0, 0, 0, total_ms, 0, 0);
    let read = m.submit(0, Operation::Read { len: data.len() });
    let write = m.submit(
        0,
        Operation::Write {
            data: data.to_vec(),
        },
    );
    (read, write)
}

fn counters(m: &Machine) -> UartCounters {
    m.board().uart(0).counters()
}

/// Bytes the UART provably threw away between two counter snapshots (FIFO resets, overruns).
fn discarded(before: UartCounters, after: UartCounters) -> u64 {
    (after.tx_bytes_discarded - before.tx_bytes_discarded)
        + (after.rx_bytes_discarded - before.rx_bytes_discarded)
        + (after.overruns - before.overruns)
}

/// Whether `part` is `whole` with some bytes left out, order kept (nothing invented or repeated).
fn is_subsequence(part: &[u8], whole: &[u8]) -> bool {
    let mut rest = whole.iter();
    part.iter()
        .all(|byte| rest.any(|candidate| candidate == byte))
}

/// The entries of `kind` and the sum of their counts.
fn logged(entries: &[LoggedError], kind: LogKind) -> (usize, u32) {
    let of_kind: Vec<_> = entries.iter().filter(|e| e.entry.kind == kind).collect();
    (of_kind.len(), of_kind.iter().map(|e| e.entry.count()).sum())
}

/// Every entry was written at or below DISPATCH_LEVEL with the kind's standard code.
fn assert_entries_well_formed(entries: &[LoggedError]) {
    for logged in entries {
        assert!(logged.irql <= Irql::DISPATCH, "{logged:?}");
        assert_eq!(logged.entry.code, logged.entry.kind.code(), "{logged:?}");
        assert_eq!(
            logged.entry.unique_value,
            logged.entry.kind.unique_value(),
            "{logged:?}"
        );
    }
}

fn kinds(entries: &[LoggedError]) -> Vec<LogKind> {
    let mut kinds: Vec<_> = entries.iter().map(|e| e.entry.kind).collect();
    kinds.dedup();
    kinds
}

fn done(m: &Machine, handle: RequestHandle) -> serial_model::kernel::Completion {
    m.completion(handle)
        .cloned()
        .unwrap_or_else(|| panic!("request still pending\n{}", m.report()))
}

/// Closes the port, lets the log flush, and checks the machine is clean.
fn close_and_finish(mut m: Machine) {
    m.close(0);
    m.run_for(10 * MS);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn lost_thre_interrupts_are_retried_and_the_write_resumes_where_it_stopped() {
    let mut m = listening_peer();
    let data = payload(4096);
    let write = m.submit(0, Operation::Write { data: data.clone() });
    m.run_for(20 * MS);
    m.board_mut()
        .uart_mut(0)
        .inject(UartFault::LostThreInterrupts(3));
    m.run_until_complete(write, 3_000 * MS);
    let write = done(&m, write);
    assert_eq!((write.status, write.information), (NtStatus::SUCCESS, 4096));
    m.run_for(10 * MS);
    assert_eq!(heard(&mut m), data, "no byte lost, none sent twice");
    assert_eq!(m.board().uart(0).fault_state().thre_interrupts_lost, 3);

    m.run_for(1_100 * MS);
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(kinds(&entries), [LogKind::TransmitRetried], "{entries:?}");
    assert_eq!(
        logged(&entries, LogKind::TransmitRetried),
        (1, 3),
        "three rescued stalls, gathered into one entry"
    );
    assert_eq!(entries[0].entry.code, ErrorCode::RETRY_SUCCEEDED);
    assert_eq!(entries[0].irql, Irql::DISPATCH, "written by a timer DPC");
    assert!(!m.device_failed(0));
    close_and_finish(m);
}

#[test]
fn a_uart_that_loses_every_thre_interrupt_still_sends_everything_at_watchdog_pace() {
    let mut m = listening_peer();
    let data = payload(1024);
    m.board_mut()
        .uart_mut(0)
        .inject(UartFault::LostThreInterrupts(u32::MAX));
    let write = m.submit(0, Operation::Write { data: data.clone() });
    m.run_until_complete(write, 12_000 * MS);
    assert_eq!(done(&m, write).information, 1024);
    m.run_for(10 * MS);
    assert_eq!(heard(&mut m), data);
    let lost = m.board().uart(0).fault_state().thre_interrupts_lost;
    assert!(lost >= 1024 / 14, "every FIFO load needed a kick: {lost}");
    m.run_for(1_100 * MS);
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    let (count, total) = logged(&entries, LogKind::TransmitRetried);
    // One kick per FIFO load after the first; the THRE after the last load has nothing to wait.
    assert!(
        u64::from(total) >= 1024 / 14 - 1 && u64::from(total) <= lost,
        "{total} retries for {lost} lost THRE interrupts: {entries:?}"
    );
    let elapsed_s = m.now() / (1_000 * MS) + 1;
    assert!(
        count as u64 <= elapsed_s,
        "rate-limited to one entry a second: {count} entries in {elapsed_s} s"
    );
    assert!(!m.device_failed(0));
    close_and_finish(m);
}

#[test]
fn a_stuck_interrupt_is_masked_and_the_uart_recovered_at_passive_level_once_it_clears() {
    let mut m = loopback();
    let data = payload(4096);
    let (read, write) = transfer(&mut m, &data, 2_000);
    m.run_for(20 * MS);
    let before = counters(&m);
    m.board_mut().uart_mut(0).inject(UartFault::StuckInterrupt);
    let work_items_before = m.stats().work_items_run;
    // The first probe finds it still stuck; the fault clears before the second, 10 ms later.
    m.run_for(5 * MS);
    m.board_mut().uart_mut(0).clear_faults();
    m.run_until_complete(read, 3_000 * MS);
    let after = counters(&m);

    let write = done(&m, write);
    assert_eq!((write.status, write.information), (NtStatus::SUCCESS, 4096));
    let read = done(&m, read);
    let lost = discarded(before, after);
    // An IIR that claims received data while the FIFO holds fewer bytes than the trigger level
    // makes the burst read take stale RBR values until the ISR masks the UART; the model counts
    // them.
    let stale = after.empty_rbr_reads - before.empty_rbr_reads;
    assert!(lost > 0, "masked for milliseconds, the loopback overran");
    assert_eq!(
        read.output.len() as u64,
        4096 - lost + stale,
        "{}",
        m.report()
    );
    assert_eq!(read.status, NtStatus::TIMEOUT);
    assert!(
        stale < 8 * 4,
        "at most a trigger level per pass before the mask: {stale}"
    );
    assert!(m.stats().work_items_run > work_items_before);

    m.run_for(1_100 * MS);
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(logged(&entries, LogKind::InterruptStorm), (1, 1));
    assert_eq!(logged(&entries, LogKind::UartReset), (1, 1));
    let reset = entries
        .iter()
        .find(|e| e.entry.kind == LogKind::UartReset)
        .map(|e| e.entry.detail());
    assert_eq!(reset, Some(Reason::InterruptStorm as u32));
    assert!(!m.device_failed(0));
    close_and_finish(m);
}

#[test]
fn an_interrupt_that_stays_stuck_fails_the_device_and_every_request_with_it() {
    let mut m = loopback();
    let (read, write) = transfer(&mut m, &payload(4096), 0);
    // Nothing rings on a loopback plug: the wait stays pending until the device fails.
    let wait_mask = set_wait_mask(&mut m, 0, serial_ioctl::ev::RING);
    ok(wait_mask);
    let wait = start_wait(&mut m, 0);
    m.run_for(20 * MS);
    m.board_mut().uart_mut(0).inject(UartFault::StuckInterrupt);
    m.run_for(200 * MS);
    for (what, handle) in [("read", read), ("write", write), ("wait", wait)] {
        let completion = done(&m, handle);
        assert_eq!(completion.status, NtStatus::IO_DEVICE_ERROR, "{what}");
    }
    assert!(m.device_failed(0));
    let write_again = m.call(0, Operation::Write { data: vec![1] });
    assert_eq!(
        write_again.status,
        NtStatus::IO_DEVICE_ERROR,
        "new requests fail at once"
    );
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(
        kinds(&entries),
        [LogKind::InterruptStorm, LogKind::DeviceFailed],
        "{entries:?}"
    );
    assert_eq!(
        entries[1].entry.final_status,
        NtStatus::IO_DEVICE_ERROR,
        "{entries:?}"
    );
    close_and_finish(m);
}

#[test]
fn spurious_interrupts_are_not_claimed_and_disturb_nothing() {
    let mut m = loopback();
    let data = payload(2048);
    let (read, write) = transfer(&mut m, &data, 2_000);
    let unclaimed_before = m.stats().isr_unclaimed;
    for _ in 0..200 {
        m.run_for(MS / 2);
        m.board_mut()
            .uart_mut(0)
            .inject(UartFault::SpuriousInterrupt);
    }
    m.run_until_complete(read, 3_000 * MS);
    assert_eq!(done(&m, write).information, 2048);
    assert_eq!(done(&m, read).output, data);
    let unclaimed = m.stats().isr_unclaimed - unclaimed_before;
    assert!(unclaimed > 100, "most pulses found IIR empty: {unclaimed}");
    m.run_for(1_100 * MS);
    assert!(m.error_log(0).is_empty(), "{:?}", m.error_log(0));
    close_and_finish(m);
}

#[test]
fn a_removed_uart_fails_the_device_with_device_not_connected() {
    let mut m = loopback();
    let (read, write) = transfer(&mut m, &payload(4096), 0);
    m.run_for(20 * MS);
    m.board_mut().uart_mut(0).inject(UartFault::Removed);
    m.run_for(100 * MS);
    for (what, handle) in [("read", read), ("write", write)] {
        assert_eq!(
            done(&m, handle).status,
            NtStatus::DEVICE_NOT_CONNECTED,
            "{what}"
        );
    }
    assert!(m.device_failed(0));
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(kinds(&entries), [LogKind::DeviceGone], "{entries:?}");
    assert_eq!(entries[0].entry.code, ErrorCode::NOT_READY);
    let status = ioctl(&mut m, 0, SerialIoctl::GetCommStatus, &[], 64).status;
    assert_eq!(status, NtStatus::DEVICE_NOT_CONNECTED);
    close_and_finish(m);
}

#[test]
fn lost_programming_is_detected_and_the_uart_reprogrammed_from_the_saved_settings() {
    let mut m = loopback();
    let data = payload(4096);
    let (read, write) = transfer(&mut m, &data, 2_000);
    m.run_for(20 * MS);
    let before = counters(&m);
    m.board_mut().uart_mut(0).inject(UartFault::LostProgramming);
    let destroyed = m.board().uart(0).fault_state().bytes_destroyed;
    m.run_until_complete(read, 3_000 * MS);
    let after = counters(&m);

    assert_eq!(done(&m, write).information, 4096);
    let read = done(&m, read);
    let lost = destroyed + discarded(before, after);
    assert!(destroyed > 0, "the glitch hit a busy UART");
    assert_eq!(read.output.len() as u64, 4096 - lost, "{}", m.report());
    assert!(is_subsequence(&read.output, &data));
    let (divisor, data_bits) = {
        let board = m.board();
        (board.uart(0).divisor(), board.uart(0).frame().data_bits)
    };
    assert_eq!(divisor, 1, "115 200 baud again");
    assert_eq!(data_bits, 8);

    m.run_for(1_100 * MS);
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(kinds(&entries), [LogKind::UartReset], "{entries:?}");
    assert_eq!(entries[0].entry.detail(), Reason::LostProgramming as u32);
    close_and_finish(m);
}

#[test]
fn an_overrun_burst_is_one_log_entry_with_its_count() {
    let mut m = peer_machine_with(|config| config.cost_budget = strict_budget());
    set_timeouts(&mut m, 0, 0, 0, 3_000, 0, 0);
    let read = m.submit(0, Operation::Read { len: 300 });
    let now = m.now();
    peer_send(&mut m, &payload(300), now);
    m.run_for(50 * MS);
    m.board_mut()
        .uart_mut(0)
        .inject(UartFault::OverrunBurst(40));
    m.run_until_complete(read, 4_000 * MS);
    let read = done(&m, read);
    assert_eq!(read.output.len(), 260);
    assert!(is_subsequence(&read.output, &payload(300)));
    let status = ok(ioctl(&mut m, 0, SerialIoctl::GetCommStatus, &[], 64));
    assert_ne!(output!(SerialStatus, status).errors & error::OVERRUN, 0);

    m.run_for(1_100 * MS);
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(
        logged(&entries, LogKind::HardwareOverrun),
        (1, 40),
        "{entries:?}"
    );
    assert_eq!(entries[0].irql, Irql::DISPATCH, "written by a timer DPC");
    close_and_finish(m);
}

#[test]
fn receive_ring_overruns_are_logged_with_the_ring_size() {
    let mut m = peer_machine_with(|config| {
        config.cost_budget = strict_budget();
        config.device.rx_buffer_size = 128;
    });
    let now = m.now();
    let end = peer_send(&mut m, &payload(300), now);
    m.run_until(end + 10 * MS);
    m.run_for(1_100 * MS);
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(kinds(&entries), [LogKind::BufferOverrun], "{entries:?}");
    assert_eq!(entries[0].entry.count(), 300 - 128);
    assert_eq!(entries[0].entry.detail(), 128);
    close_and_finish(m);
}

#[test]
fn a_stopped_transmitter_is_reset_by_recovery_and_the_write_goes_on() {
    let mut m = loopback();
    let data = payload(4096);
    let (read, write) = transfer(&mut m, &data, 2_000);
    m.run_for(20 * MS);
    let before = counters(&m);
    m.board_mut()
        .uart_mut(0)
        .inject(UartFault::TransmitterStopped { until_reset: true });
    m.run_until_complete(read, 3_000 * MS);
    let after = counters(&m);
    assert_eq!(done(&m, write).information, 4096);
    let read = done(&m, read);
    let lost = discarded(before, after);
    assert!(lost > 0, "the reset threw the stuck FIFO away");
    assert_eq!(read.output.len() as u64, 4096 - lost, "{}", m.report());
    assert!(is_subsequence(&read.output, &data));

    m.run_for(1_100 * MS);
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(
        kinds(&entries),
        [LogKind::TransmitterStopped, LogKind::UartReset],
        "{entries:?}"
    );
    assert_eq!(entries[1].entry.detail(), Reason::TransmitterStopped as u32);
    assert!(!m.device_failed(0));
    close_and_finish(m);
}

#[test]
fn a_transmitter_that_never_restarts_fails_the_device_after_a_few_recoveries() {
    let mut m = loopback();
    let (read, write) = transfer(&mut m, &payload(4096), 0);
    m.run_for(20 * MS);
    m.board_mut()
        .uart_mut(0)
        .inject(UartFault::TransmitterStopped { until_reset: false });
    m.run_for(2_000 * MS);
    for handle in [read, write] {
        assert_eq!(done(&m, handle).status, NtStatus::IO_DEVICE_ERROR);
    }
    assert!(m.device_failed(0));
    let entries = m.error_log(0);
    assert_entries_well_formed(&entries);
    assert_eq!(logged(&entries, LogKind::UartReset).1, 3, "{entries:?}");
    assert_eq!(
        logged(&entries, LogKind::TransmitterStopped).1,
        4,
        "{entries:?}"
    );
    assert_eq!(
        logged(&entries, LogKind::DeviceFailed),
        (1, 1),
        "{entries:?}"
    );
    close_and_finish(m);
}

#[test]
fn close_gives_up_on_a_transmitter_that_stopped_instead_of_hanging() {
    // At 50 baud a character takes 200 ms: close used to poll for 320 of them (64 s).
    let mut m = machine_with(Topology::Loopback, |config| {
        config.cost_budget = strict_budget();
    });
    open_8n1(&mut m, 0, 50);
    let write = m.submit(0, Operation::Write { data: payload(28) });
    m.run_for(500 * MS);
    m.board_mut()
        .uart_mut(0)
        .inject(UartFault::TransmitterStopped { until_reset: false });
    let start = m.now();
    m.close(0);
    let took = m.now() - start;
    let character = char_time(50);
    assert!(
        took <= 30 * character,
        "close took {} ms, {} character times",
        took / MS,
        took / character
    );
    assert_eq!(done(&m, write).status, NtStatus::CANCELLED);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:?}");
}

#[test]
fn set_modem_control_cannot_unmask_a_uart_that_recovery_masked() {
    let mut m = loopback();
    m.board_mut().uart_mut(0).inject(UartFault::StuckInterrupt);
    m.run_for(MS);
    // DTR, RTS and OUT2: the board's interrupt gate, which the mask keeps closed.
    let c = ioctl(
        &mut m,
        0,
        SerialIoctl::SetModemControl,
        &0x0Bu32.to_le_bytes(),
        0,
    );
    assert_eq!(c.status, NtStatus::SUCCESS);
    m.run_for(200 * MS);
    assert!(m.device_failed(0), "the interrupt never cleared");
    close_and_finish(m);
}
