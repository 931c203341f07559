//! The heap running out under the driver (allocation-failure injection): requests the engine
//! cannot take are refused with STATUS_INSUFFICIENT_RESOURCES and change nothing; requests it has
//! taken are always completed, exactly once; the port stays usable once memory is back.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{NtStatus, SerialIoctl, SerialQueueSize, purge};
use serial_model::kernel::{AllocationFailures, Machine, Operation, RequestHandle};
use serial_model::wire::Topology;

/// Submits `count` reads of `len` bytes without running the machine, then lets them arrive.
fn submit_reads(m: &mut Machine, count: usize, len: usize) -> Vec<RequestHandle> {
    (0..count)
        .map(|_| m.submit(0, Operation::Read { len }))
        .collect()
}

#[test]
fn an_open_without_memory_for_its_ring_fails_cleanly_and_the_next_one_works() {
    let mut m = machine(Topology::Loopback);
    m.fail_allocations(AllocationFailures::Every(1));
    assert_eq!(m.open(0), NtStatus::INSUFFICIENT_RESOURCES);
    assert!(
        m.allocation_stats().failed > 0,
        "the ring allocation was not injected"
    );
    m.fail_allocations(AllocationFailures::Never);
    open_8n1(&mut m, 0, 115_200);
    let data = payload(64);
    let read = m.submit(0, Operation::Read { len: 64 });
    ok(m.call(0, Operation::Write { data: data.clone() }));
    let read = m.run_until_complete(read, 100 * MS).expect("echo read");
    assert_eq!(read.output, data);
    m.close(0);
    assert!(m.violations().is_empty(), "{:?}", m.violations());
}

#[test]
fn reads_the_queue_cannot_hold_are_refused_and_every_accepted_one_completes_once() {
    let mut m = machine(Topology::Loopback);
    open_8n1(&mut m, 0, 115_200);
    // The queue may grow twice; growing it past that fails from then on.
    m.fail_allocations(AllocationFailures::After(2));
    let reads = submit_reads(&mut m, 200, 1);
    m.run_for(MS);
    let stats = m.allocation_stats();
    assert!(stats.failed > 0, "no queue growth was refused: {stats:?}");

    let refused = reads
        .iter()
        .filter(|&&r| {
            m.completion(r)
                .is_some_and(|c| c.status == NtStatus::INSUFFICIENT_RESOURCES)
        })
        .count();
    assert!(refused > 0 && refused < reads.len(), "refused {refused}");
    let accepted = reads.len() - refused;

    // Each accepted read gets one byte of the echo; none is lost, duplicated or left pending.
    // (With several CPUs the reads reach the driver in any order, so compare as sets.)
    m.fail_allocations(AllocationFailures::Never);
    let data = payload(accepted);
    ok(m.call(0, Operation::Write { data: data.clone() }));
    m.run_for(200 * MS);

    let mut received: Vec<u8> = reads
        .iter()
        .filter_map(|&r| m.completion(r))
        .filter(|c| c.status == NtStatus::SUCCESS)
        .flat_map(|c| c.output.clone())
        .collect();
    let mut sent = data;
    received.sort_unstable();
    sent.sort_unstable();
    assert_eq!(received, sent);
    assert!(reads.iter().all(|&r| m.completion(r).is_some()));
    m.close(0);
    assert!(m.violations().is_empty(), "{:?}", m.violations());
}

#[test]
fn every_request_completes_when_every_other_allocation_fails_through_purge_and_close() {
    let mut m = machine(Topology::Loopback);
    open_8n1(&mut m, 0, 9600);
    m.fail_allocations(AllocationFailures::Every(2));
    let mut handles = submit_reads(&mut m, 150, 4);
    for i in 0..150u8 {
        handles.push(m.submit(0, Operation::Write { data: vec![i; 3] }));
    }
    handles.push(m.submit(0, Operation::Flush));
    m.run_for(20 * MS);
    assert!(m.allocation_stats().failed > 0);
    let purge_mask = purge::TXABORT | purge::RXABORT;
    ok(ioctl(&mut m, 0, SerialIoctl::Purge, &bytes!(purge_mask), 0));
    // More requests after the purge, still short of memory, pending at close.
    handles.extend(submit_reads(&mut m, 40, 1));
    m.run_for(MS);
    m.close(0);
    m.run_until_idle(100 * MS);
    for &handle in &handles {
        let completion = m.completion(handle).expect("a request was never completed");
        assert!(
            matches!(
                completion.status,
                NtStatus::SUCCESS | NtStatus::CANCELLED | NtStatus::INSUFFICIENT_RESOURCES
            ),
            "{completion:?}"
        );
    }
    assert!(m.violations().is_empty(), "{:?}", m.violations());
}

#[test]
fn a_larger_ring_without_memory_is_refused_and_the_buffered_data_survives() {
    let mut m = machine(Topology::Loopback);
    open_8n1(&mut m, 0, 115_200);
    let data = payload(100);
    ok(m.call(0, Operation::Write { data: data.clone() }));
    m.run_for(20 * MS);
    m.fail_allocations(AllocationFailures::Every(1));
    let grow = SerialQueueSize {
        in_size: 1 << 20,
        out_size: 0,
    };
    let done = ioctl(&mut m, 0, SerialIoctl::SetQueueSize, &bytes!(grow), 0);
    assert_eq!(done.status, NtStatus::INSUFFICIENT_RESOURCES);
    assert!(m.allocation_stats().failed > 0);
    m.fail_allocations(AllocationFailures::Never);
    let read = m.call(0, Operation::Read { len: 100 });
    assert_eq!(read.output, data);
    m.close(0);
    assert!(m.violations().is_empty(), "{:?}", m.violations());
}
