//! The first byte path end to end: write → staging → ISR → THR → wire → RX FIFO → ISR → ring →
//! ReadComplete DPC → read completion, through the engine on the kernel and 16550 models.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::NtStatus;
use serial_model::kernel::Operation;
use serial_model::wire::Topology;

/// Writes `len` bytes through a loopback plug and reads them back; checks the data byte-exact and
/// the virtual elapsed time against the baud rate.
fn round_trip(len: usize, baud: u32) {
    let mut m = machine_with(Topology::Loopback, timed);
    open_8n1(&mut m, 0, baud);
    let data = payload(len);
    let start = m.now();
    let read = m.submit(0, Operation::Read { len });
    let write = m.submit(0, Operation::Write { data: data.clone() });
    let read = m
        .run_until_complete(read, 100_000 * 10_000_000)
        .expect("read completes");
    let write = m
        .completion(write)
        .cloned()
        .expect("write completed before the read");
    assert_eq!(write.status, NtStatus::SUCCESS);
    assert_eq!(write.information, len);
    assert_eq!(read.status, NtStatus::SUCCESS);
    assert_eq!(read.information, len);
    assert!(
        read.output == data,
        "payload of {len} bytes at {baud} baud came back altered"
    );

    // The wire is busy for exactly len character times; the last bytes below the FIFO trigger
    // level (8) wait for the character timeout (4 character times) before the ISR sees them.
    let ct = char_time(baud);
    let chars = len as u64 + if len.is_multiple_of(8) { 0 } else { 4 };
    let expected = (chars * 10 * 10_000_000).div_ceil(u64::from(baud));
    let elapsed = read.completed_at - start;
    assert!(
        elapsed.abs_diff(expected) <= ct,
        "{len} bytes at {baud}: elapsed {elapsed} × 100 ns, expected {expected} ± {ct}\n{}",
        m.replay_line()
    );
    assert!(m.stats().interrupts_delivered > 0);
    m.close(0);
    assert!(m.finish().is_empty());
}

#[test]
fn one_byte_at_9600() {
    round_trip(1, 9600);
}

#[test]
fn one_byte_at_115200() {
    round_trip(1, 115_200);
}

#[test]
fn a_fifo_and_a_half_at_115200() {
    round_trip(24, 115_200);
}

#[test]
fn staging_refills_at_115200() {
    round_trip(1000, 115_200);
}

#[test]
fn sixty_four_kib_at_115200() {
    round_trip(64 * 1024, 115_200);
}

#[test]
fn sixty_four_kib_at_9600() {
    round_trip(64 * 1024, 9600);
}

#[test]
fn write_completes_when_its_bytes_are_in_the_uart() {
    // 100 bytes at 9600: the write completes when the last byte enters the TX FIFO, which is about
    // (100 − FIFO depth) character times after the start, long before the wire is done.
    let mut m = machine(Topology::Loopback);
    open_8n1(&mut m, 0, 9600);
    let start = m.now();
    let write = m.call(0, Operation::Write { data: payload(100) });
    assert_eq!(write.status, NtStatus::SUCCESS);
    let ct = char_time(9600);
    let elapsed = write.completed_at - start;
    assert!(
        elapsed < 100 * ct,
        "completed at {elapsed}, after the wire was done"
    );
    assert!(
        elapsed >= 80 * ct,
        "completed at {elapsed}, before its bytes could fit in the FIFO"
    );
    m.run_for(200 * MS);
    m.close(0);
    assert!(m.finish().is_empty());
}
