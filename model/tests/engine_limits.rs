//! Resource limits: requests that would need unbounded kernel memory are refused cleanly.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{NtStatus, SerialIoctl};
use serial_model::kernel::Operation;
use serial_model::wire::Topology;

#[test]
fn queue_size_beyond_the_limit_is_refused_without_allocating() {
    let mut m = machine(Topology::Loopback);
    open_8n1(&mut m, 0, 115_200);
    let huge = serial_ioctl::SerialQueueSize {
        in_size: u32::MAX,
        out_size: 0,
    };
    let done = ioctl(&mut m, 0, SerialIoctl::SetQueueSize, &bytes!(huge), 0);
    assert_eq!(done.status, NtStatus::INSUFFICIENT_RESOURCES);
    let big = serial_ioctl::SerialQueueSize {
        in_size: 64 * 1024,
        out_size: 0,
    };
    ok(ioctl(&mut m, 0, SerialIoctl::SetQueueSize, &bytes!(big), 0));
    m.close(0);
    assert!(m.finish().is_empty());
}

#[test]
fn a_large_ring_is_copied_into_a_read_in_bounded_dpc_passes() {
    // With a 64 KiB ring the ISR wakes the read DPC only every 32 KiB; copying that much under
    // the interrupt lock in one DPC would take ~330 µs at raised IRQL. The copy is split into
    // passes that each stay within the 100 µs DPC budget.
    let mut m = machine(Topology::Loopback);
    open_8n1(&mut m, 0, 115_200);
    let size = serial_ioctl::SerialQueueSize {
        in_size: 64 * 1024,
        out_size: 0,
    };
    ok(ioctl(
        &mut m,
        0,
        SerialIoctl::SetQueueSize,
        &bytes!(size),
        0,
    ));
    let data = payload(40_000);
    let read = m.submit(0, Operation::Read { len: data.len() });
    m.run_for(MS);
    let write = m.submit(0, Operation::Write { data: data.clone() });
    let read = m
        .run_until_complete(read, 100_000 * MS)
        .expect("read completes");
    assert_eq!(read.status, NtStatus::SUCCESS);
    assert!(read.output == data, "bytes altered");
    assert_eq!(m.completion(write).map(|c| c.information), Some(data.len()));
    let stats = m.stats();
    assert!(
        stats.max_dpc_cost_ns <= 100_000,
        "largest DPC cost {} ns; warnings {:#?}",
        stats.max_dpc_cost_ns,
        m.warnings()
    );
    m.close(0);
    assert!(m.finish().is_empty());
}

/// A SET_QUEUE_SIZE cancelled while its work item waits, then another one: the work item still
/// queued serves the new resize (queuing it again while it is queued is the IoQueueWorkItem
/// misuse the verifier flags), and the new ring has the new size. Found by the fuzzer.
#[test]
fn a_resize_after_a_cancelled_resize_reuses_the_queued_work_item() {
    let mut m = machine_with(Topology::Loopback, |c| c.cpus = 1);
    open_8n1(&mut m, 0, 115_200);
    let size = |in_size| {
        bytes!(serial_ioctl::SerialQueueSize {
            in_size,
            out_size: 0
        })
    };
    let read = m.submit(0, Operation::Read { len: 13 });
    let first = start_ioctl(&mut m, 0, SerialIoctl::SetQueueSize, &size(28_993), 0);
    m.run_for(100);
    m.cancel(read);
    m.cancel(first);
    let second = ioctl(&mut m, 0, SerialIoctl::SetQueueSize, &size(41_578), 0);
    assert_eq!(m.completion(first).unwrap().status, NtStatus::CANCELLED);
    assert_eq!(second.status, NtStatus::SUCCESS);
    // The ring really grew to the second size: that much typeahead is kept.
    let data = payload(41_000);
    ok(m.call(0, Operation::Write { data: data.clone() }));
    m.run_for(4_000 * MS);
    assert_eq!(comm_status(&mut m, 0).amount_in_in_queue, 41_000);
    m.close(0);
    assert!(m.finish().is_empty());
}
