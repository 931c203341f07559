//! Two ports in full duplex at 921 600 baud with code taking its charged time: nothing is lost
//! at either trigger level with reads of 1 B, 64 B and 4 KiB (the "done means"; the
//! largest rate for each case is in `cargo bench -p serial-harness --bench full_duplex`).

use serial_harness::duplex::{DuplexOptions, DuplexReport, run};

fn at_921600(rx_trigger: u8, read_size: usize, bytes: usize) -> DuplexReport {
    let report = run(DuplexOptions {
        bytes,
        rx_trigger,
        read_size,
        seed: 7,
        ..DuplexOptions::default()
    })
    .unwrap();
    assert!(report.held(), "{report:#?}");
    // At the line rate: the last byte arrives one line time after the first was sent.
    assert!(report.elapsed_ms < report.wire_ms * 1.01, "{report:#?}");
    report
}

#[test]
fn sixty_four_kib_each_way_in_4_kib_reads_at_both_trigger_levels() {
    for trigger in [8, 14] {
        at_921600(trigger, 4096, 65_536);
    }
}

#[test]
fn sixty_four_kib_each_way_in_64_byte_reads_at_both_trigger_levels() {
    for trigger in [8, 14] {
        at_921600(trigger, 64, 65_536);
    }
}

#[test]
fn one_byte_reads_keep_up_at_both_trigger_levels() {
    for trigger in [8, 14] {
        let report = at_921600(trigger, 1, 16_384);
        assert_eq!(report.reads, 2 * 16_384);
    }
}

/// The same run at a rate the cost model cannot sustain loses bytes and says so: the check above
/// can fail.
#[test]
fn at_twelve_megabaud_bytes_are_lost_and_reported() {
    let report = run(DuplexOptions {
        bytes: 4_096,
        baud: 12_000_000,
        clock_hz: 192_000_000,
        read_size: 64,
        seed: 7,
        ..DuplexOptions::default()
    })
    .unwrap();
    assert!(!report.held());
    assert!(report.fifo_overruns > 0, "{report:#?}");
}
