//! Resource limits: requests that would need unbounded kernel memory are refused cleanly.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{NtStatus, SerialIoctl};
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
