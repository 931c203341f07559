//! One seed, one run: the same seed gives the same trace; schedules are explored exhaustively.

mod kernel_support;

use std::collections::BTreeSet;
use std::sync::Arc;

use kernel_support::*;
use serial_engine::kernel::{DpcKind, Kernel, SpinLockCell};
use serial_ioctl::NtStatus;
use serial_model::kernel::{
    Irql, Machine, MachineConfig, Operation, Schedule, Strategy, explore_exhaustive,
};
use serial_model::wire::Topology;

/// An engine scenario with interrupts, DPCs and two CPUs racing: returns the trace hash and what
/// was read.
fn engine_run(strategy: Strategy) -> (u64, Vec<u8>) {
    let config = MachineConfig {
        topology: Topology::Loopback,
        strategy,
        ..MachineConfig::default()
    };
    let mut machine = Machine::new(config);
    assert_eq!(machine.open(0), NtStatus::SUCCESS);
    let read = machine.submit(0, Operation::Read { len: 40 });
    let write = machine.submit(
        0,
        Operation::Write {
            data: (0..40).collect(),
        },
    );
    let read = machine
        .run_until_complete(read, 10_000_000)
        .expect("read completes");
    assert_eq!(
        machine.completion(write).map(|c| c.status),
        Some(NtStatus::SUCCESS)
    );
    machine.close(0);
    let hash = machine.trace_hash();
    assert!(machine.finish().is_empty());
    (hash, read.output)
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for strategy in [
        Strategy::Random { seed: 42 },
        Strategy::Pct { seed: 42, depth: 3 },
        Strategy::RoundRobin,
    ] {
        let first = engine_run(strategy.clone());
        let second = engine_run(strategy.clone());
        assert_eq!(first, second, "{strategy:?}");
        assert_eq!(first.1, (0..40).collect::<Vec<u8>>());
    }
}

#[test]
fn different_seeds_explore_different_interleavings() {
    let hashes: BTreeSet<u64> = (1..=6)
        .map(|seed| engine_run(Strategy::Random { seed }).0)
        .collect();
    assert!(hashes.len() > 1, "six seeds produced one schedule");
}

#[test]
fn a_fragment_run_twice_with_one_seed_matches_event_for_event() {
    let run = |seed| {
        let mut machine = machine(config(3, Strategy::Random { seed }), |_, hooks| {
            hooks.dpc(|k, _| {
                for _ in 0..5 {
                    k.yield_now();
                }
            });
        });
        for cpu in 0..3 {
            let k = machine.kernel(0);
            machine.spawn(Some(cpu), Irql::PASSIVE, move || {
                k.insert_dpc(DpcKind::ReadComplete);
                k.insert_dpc(DpcKind::WriteComplete);
            });
        }
        machine.run_until_idle(MS);
        (
            machine.trace_hash(),
            machine.recent_events(),
            machine.stats(),
        )
    };
    assert_eq!(run(77), run(77));
}

#[test]
fn the_config_takes_seed_and_cpus_from_the_environment_only_when_set() {
    let default = MachineConfig {
        cpus: 3,
        strategy: Strategy::Pct { seed: 1, depth: 2 },
        ..MachineConfig::default()
    };
    if std::env::var_os("SERIAL_MODEL_SEED").is_none()
        && std::env::var_os("SERIAL_MODEL_CPUS").is_none()
    {
        let config = MachineConfig::from_env_or(default.clone());
        assert_eq!((config.cpus, config.strategy.seed()), (3, 1));
    }
    assert_eq!(default.strategy.with_seed(9).seed(), 9);
    assert!(matches!(
        Strategy::RoundRobin.with_seed(5),
        Strategy::Random { seed: 5 }
    ));
}

/// Two routines increment a counter: `locked` under a model spin lock, otherwise with a plain
/// read-modify-write split by a kernel call (a lost update waiting to happen).
fn counter_scenario(locked: bool) -> impl Fn(Strategy) {
    move |strategy| {
        let mut machine = machine(config(2, strategy), |_, _| {});
        let k = machine.kernel(0);
        let cell = Arc::new(k.new_spin_lock_cell(0_u32));
        let plain = counter();
        for cpu in 0..2 {
            let (k, cell, plain) = (k.clone(), cell.clone(), plain.clone());
            machine.spawn(Some(cpu), Irql::PASSIVE, move || {
                if locked {
                    cell.lock(|value| {
                        let seen = *value;
                        k.yield_now();
                        *value = seen + 1;
                    });
                } else {
                    let seen = plain.load(SEQ);
                    k.yield_now();
                    plain.store(seen + 1, SEQ);
                }
            });
        }
        machine.run_until_idle(MS);
        let total = if locked {
            cell.lock(|value| *value)
        } else {
            plain.load(SEQ) as u32
        };
        assert_eq!(total, 2, "lost update");
        assert!(machine.finish().is_empty());
    }
}

#[test]
fn exhaustive_exploration_finds_a_lost_update_and_replays_it() {
    let failure = explore_exhaustive(12, counter_scenario(false)).expect_err("the race is found");
    assert!(
        failure.message.contains("lost update"),
        "{}",
        failure.message
    );
    // The failing schedule replays.
    let replay = std::panic::catch_unwind(|| {
        counter_scenario(false)(Strategy::Scripted(Schedule::new(failure.choices.clone())))
    });
    assert!(replay.is_err());
}

#[test]
fn exhaustive_exploration_passes_the_locked_version_completely() {
    let exploration =
        explore_exhaustive(12, counter_scenario(true)).expect("no schedule loses an update");
    assert!(exploration.complete);
    assert!(exploration.schedules > 1, "{exploration:?}");
}
