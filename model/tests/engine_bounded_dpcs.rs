//! Every DPC does bounded work per invocation and re-queues itself for the rest, judged by the
//! model's 100 µs DPC budget as a hard limit, under workloads that exceed one pass: a burst that
//! completes hundreds of queued 1-byte reads, a grown ring read in one request, hundreds of
//! queued writes, wait-on-mask completions back to back, and an error abort that fails hundreds of
//! queued requests.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_engine::kernel::DpcKind;
use serial_ioctl::{NtStatus, SerialIoctl, SerialQueueSize, ev, handflow};
use serial_model::kernel::{CostBudget, Machine, Operation, RequestHandle};
use serial_model::uart::LineErrors;

const BAUD: u32 = 115_200;
const DPC_BUDGET_NS: u64 = 100_000;

/// A scripted peer at 115 200 8N1 with the DPC budget as a hard limit.
fn fast_peer(trigger: u8) -> Machine {
    peer_machine_at(BAUD, |config| {
        config.cost_budget = CostBudget {
            dpc_limit_ns: Some(DPC_BUDGET_NS),
            ..CostBudget::default()
        };
        config.device.rx_fifo_trigger = trigger;
    })
}

/// Submits `operation` and lets its dispatch routine finish before the next one, so queue order
/// is submission order (requests submitted together are dispatched on several CPUs at once, and a
/// dispatch routine takes the time of its register accesses).
fn submit_in_order(m: &mut Machine, operation: Operation) -> RequestHandle {
    let handle = m.submit(0, operation);
    m.run_for(MS / 10);
    handle
}

fn dpc_runs(m: &Machine, kind: DpcKind) -> u64 {
    m.stats().dpc_runs.get(&kind).copied().unwrap_or(0)
}

fn finish_within_budget(mut m: Machine) {
    let largest = m.stats().max_dpc_cost_ns;
    assert!(largest <= DPC_BUDGET_NS, "largest DPC {largest} ns");
    m.close(0);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:?}");
}

fn all_done(m: &Machine, handles: &[RequestHandle]) -> Vec<serial_model::kernel::Completion> {
    handles
        .iter()
        .map(|&h| {
            m.completion(h)
                .cloned()
                .unwrap_or_else(|| panic!("request pending\n{}", m.report()))
        })
        .collect()
}

#[test]
fn a_burst_completing_hundreds_of_queued_one_byte_reads_takes_many_short_dpc_passes() {
    let mut m = fast_peer(14);
    let reads: Vec<_> = (0..400)
        .map(|_| submit_in_order(&mut m, Operation::Read { len: 1 }))
        .collect();
    m.run_for(MS);
    let before = dpc_runs(&m, DpcKind::ReadComplete);
    let data = payload(400);
    let now = m.now();
    let end = peer_send(&mut m, &data, now);
    m.run_until(end + 10 * MS);
    let got: Vec<u8> = all_done(&m, &reads)
        .iter()
        .flat_map(|c| {
            assert_eq!((c.status, c.information), (NtStatus::SUCCESS, 1));
            c.output.clone()
        })
        .collect();
    assert_eq!(got, data, "in order, one byte each");
    let passes = dpc_runs(&m, DpcKind::ReadComplete) - before;
    assert!(passes >= 400 / 8, "{passes} passes for 400 completions");
    finish_within_budget(m);
}

#[test]
fn a_grown_ring_is_handed_to_one_large_read_in_bounded_copies() {
    let mut m = fast_peer(14);
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetQueueSize,
        &bytes!(SerialQueueSize {
            in_size: 65_536,
            out_size: 0
        }),
        0,
    ));
    let data = payload(30_000);
    let now = m.now();
    let end = peer_send(&mut m, &data, now);
    m.run_until(end + 10 * MS);
    let before = dpc_runs(&m, DpcKind::ReadComplete);
    let read = m.submit(0, Operation::Read { len: 30_000 });
    // Copied at 10 ns a byte, 30 000 bytes in one pass would cost 300 µs.
    m.run_until_complete(read, 100 * MS);
    let read = m.completion(read).cloned().unwrap();
    assert_eq!(read.output, data);
    let passes = dpc_runs(&m, DpcKind::ReadComplete) - before;
    assert!(passes >= 30_000 / 4096, "{passes} copy passes");
    finish_within_budget(m);
}

#[test]
fn a_large_read_filled_while_the_data_streams_in_stays_within_budget() {
    let mut m = fast_peer(14);
    let read = m.submit(0, Operation::Read { len: 20_000 });
    let data = payload(20_000);
    let now = m.now();
    let end = peer_send(&mut m, &data, now);
    m.run_until(end + 10 * MS);
    assert_eq!(m.completion(read).unwrap().output, data);
    finish_within_budget(m);
}

#[test]
fn hundreds_of_queued_writes_and_a_flush_each_start_the_next_in_short_passes() {
    let mut m = fast_peer(14);
    let mut data = Vec::new();
    let writes: Vec<_> = (0..300)
        .map(|i| {
            let chunk = payload(3 + i % 5);
            data.extend_from_slice(&chunk);
            submit_in_order(&mut m, Operation::Write { data: chunk })
        })
        .collect();
    let flush = submit_in_order(&mut m, Operation::Flush);
    m.run_until_complete(flush, 2_000 * MS);
    for (i, c) in all_done(&m, &writes).iter().enumerate() {
        assert_eq!((c.status, c.information), (NtStatus::SUCCESS, 3 + i % 5));
    }
    m.run_for(10 * MS);
    assert_eq!(peer_received(&m), data);
    finish_within_budget(m);
}

#[test]
fn wait_on_mask_completions_back_to_back_stay_short() {
    let mut m = fast_peer(1);
    ok(set_wait_mask(&mut m, 0, ev::RXCHAR));
    let mut completed = 0;
    for i in 0..100 {
        let wait = start_wait(&mut m, 0);
        let now = m.now();
        peer_send(&mut m, &[i as u8], now);
        m.run_until_complete(wait, 10 * MS);
        let events = wait_events(m.completion(wait).unwrap());
        assert_eq!(events & ev::RXCHAR, ev::RXCHAR);
        completed += 1;
    }
    assert_eq!(completed, 100);
    assert!(dpc_runs(&m, DpcKind::WaitComplete) >= 100);
    finish_within_budget(m);
}

#[test]
fn an_error_abort_failing_hundreds_of_queued_requests_re_queues_itself() {
    let mut m = fast_peer(1);
    ok(set_handflow(
        &mut m,
        0,
        handflow::DTR_CONTROL | handflow::ERROR_ABORT,
        handflow::RTS_CONTROL,
        0,
        0,
    ));
    let reads: Vec<_> = (0..300)
        .map(|_| m.submit(0, Operation::Read { len: 4 }))
        .collect();
    m.run_for(MS);
    let before = dpc_runs(&m, DpcKind::ErrorAbort);
    let now = m.now();
    let framing = LineErrors {
        framing: true,
        ..LineErrors::NONE
    };
    peer_send_char(&mut m, 0x55, framing, now);
    m.run_for(20 * MS);
    for c in all_done(&m, &reads) {
        assert_eq!(c.status, NtStatus::CANCELLED);
    }
    let passes = dpc_runs(&m, DpcKind::ErrorAbort) - before;
    assert!(passes >= 300 / 8, "{passes} passes for 300 cancellations");
    finish_within_budget(m);
}
