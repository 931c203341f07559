//! The engine hosted on the kernel model: the model's checks hold for the real driver logic under
//! every strategy and CPU count, on each topology.

use serial_ioctl::{NtStatus, SerialIoctl, SerialTimeouts};
use serial_model::kernel::{Machine, MachineConfig, Operation, Strategy};
use serial_model::wire::Topology;

const MS: u64 = 10_000;

fn config(topology: Topology, cpus: usize, strategy: Strategy) -> MachineConfig {
    MachineConfig::from_env_or(MachineConfig {
        topology,
        cpus,
        strategy,
        ..MachineConfig::default()
    })
}

fn strategies() -> Vec<Strategy> {
    vec![
        Strategy::RoundRobin,
        Strategy::Random { seed: 1 },
        Strategy::Random { seed: 2 },
        Strategy::Pct { seed: 3, depth: 3 },
    ]
}

fn set_timeouts(machine: &mut Machine, port: usize, timeouts: SerialTimeouts) {
    let mut input = vec![0; core::mem::size_of::<SerialTimeouts>()];
    serial_ioctl::encode(&timeouts, &mut input).unwrap();
    let code = SerialIoctl::SetTimeouts.code();
    let done = machine.call(
        port,
        Operation::DeviceControl {
            code,
            input,
            output_len: 0,
        },
    );
    assert_eq!(done.status, NtStatus::SUCCESS);
}

#[test]
fn loopback_write_then_read_on_one_to_four_cpus() {
    for cpus in [1, 2, 4] {
        for strategy in strategies() {
            let mut machine = Machine::new(config(Topology::Loopback, cpus, strategy.clone()));
            assert!(machine.hardware_present(0));
            assert_eq!(machine.open(0), NtStatus::SUCCESS);
            let write = machine.call(
                0,
                Operation::Write {
                    data: b"hello, 16550".to_vec(),
                },
            );
            assert_eq!(
                (write.status, write.information),
                (NtStatus::SUCCESS, 12),
                "{cpus} {strategy:?}"
            );
            let read = machine.call(0, Operation::Read { len: 12 });
            assert_eq!(read.status, NtStatus::SUCCESS, "{cpus} {strategy:?}");
            assert_eq!(read.output, b"hello, 16550", "{cpus} {strategy:?}");
            let stats = machine.stats();
            assert!(
                stats.interrupts_delivered > 0 && stats.total_dpc_runs() > 0,
                "{stats:?}"
            );
            // The board can be held while the machine is asked other things.
            let board = machine.board();
            assert_eq!(
                (board.port_count(), machine.stats().register_reads),
                (1, stats.register_reads)
            );
            assert!(!board.irq_line(0) || machine.now() > 0);
            drop(board);
            machine.close(0);
            let violations = machine.finish();
            assert!(
                violations.is_empty(),
                "{cpus} CPUs, {strategy:?}: {violations:?}"
            );
        }
    }
}

#[test]
fn a_null_modem_carries_bytes_between_two_engines() {
    for strategy in strategies() {
        let mut machine = Machine::new(config(Topology::NullModem, 2, strategy.clone()));
        assert_eq!(machine.open(0), NtStatus::SUCCESS);
        assert_eq!(machine.open(1), NtStatus::SUCCESS);
        let read = machine.submit(1, Operation::Read { len: 100 });
        let write = machine.submit(
            0,
            Operation::Write {
                data: (0..100).collect(),
            },
        );
        let read = machine
            .run_until_complete(read, 1_000 * MS)
            .expect("read completes");
        assert_eq!(read.output, (0..100).collect::<Vec<u8>>(), "{strategy:?}");
        assert_eq!(machine.completion(write).map(|c| c.information), Some(100));
        // Teardown closes both ports.
        assert!(machine.finish().is_empty(), "{strategy:?}");
    }
}

#[test]
fn cancelling_a_pending_read_completes_it_cancelled() {
    for strategy in strategies() {
        let mut machine = Machine::new(config(Topology::Nothing, 2, strategy.clone()));
        assert_eq!(machine.open(0), NtStatus::SUCCESS);
        let read = machine.submit(0, Operation::Read { len: 10 });
        machine.run_for(50 * MS);
        assert!(
            machine.completion(read).is_none(),
            "a read with no data and no timeouts completed"
        );
        machine.cancel(read);
        let done = machine
            .run_until_complete(read, 10 * MS)
            .expect("cancelled read completes");
        assert_eq!(
            (done.status, done.information),
            (NtStatus::CANCELLED, 0),
            "{strategy:?}"
        );
        machine.close(0);
        assert!(machine.finish().is_empty(), "{strategy:?}");
    }
}

#[test]
fn a_read_total_timeout_fires_on_the_tick_never_early() {
    for tick in [1, MS] {
        let mut machine = Machine::new(MachineConfig {
            timer_tick: tick,
            ..config(Topology::Nothing, 2, Strategy::Random { seed: 5 })
        });
        assert_eq!(machine.open(0), NtStatus::SUCCESS);
        set_timeouts(
            &mut machine,
            0,
            SerialTimeouts {
                read_total_timeout_constant: 25,
                ..SerialTimeouts::default()
            },
        );
        let read = machine.submit(0, Operation::Read { len: 10 });
        let done = machine
            .run_until_complete(read, 1_000 * MS)
            .expect("timeout completes the read");
        assert_eq!((done.status, done.information), (NtStatus::TIMEOUT, 0));
        let waited = done.completed_at - done.submitted_at;
        assert!(
            waited >= 25 * MS,
            "timed out after {waited} × 100 ns, before 25 ms"
        );
        // Late by at most the tick, plus the microseconds the dispatch routine (which sets the
        // timer) and the timer DPC (which completes the read) take to run.
        let code_time = 100;
        assert!(
            waited <= 25 * MS + tick + code_time,
            "timed out after {waited} × 100 ns with a tick of {tick}"
        );
        assert!(machine.stats().timer_expiries >= 1);
        machine.close(0);
        assert!(machine.finish().is_empty());
    }
}
