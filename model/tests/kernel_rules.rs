//! Each verifier rule catches a deliberately wrong fragment (nt-kernel-semantics §6, §7, §8).

mod kernel_support;

use kernel_support::*;
use serial_engine::kernel::{
    DpcKind, Duration, Kernel, Register, Request, SpinLockCell, TimerKind,
};
use serial_ioctl::NtStatus;
use serial_model::kernel::{CostBudget, Irql, Machine, MachineConfig, Operation, Strategy, rule};

/// Runs `fragment` once as a routine at `level` on a one-port test machine and returns the rules
/// that fired.
fn check(
    cpus: usize,
    level: Irql,
    fragment: impl FnOnce(&serial_model::kernel::ModelKernel) + Send + 'static,
) -> Vec<&'static str> {
    let mut machine = machine(config(cpus, Strategy::Random { seed: 7 }), |_, _| {});
    let k = machine.kernel(0);
    machine.spawn(None, level, move || fragment(&k));
    machine.run_until_idle(100 * MS);
    rules(&machine.finish())
}

#[test]
fn setting_a_timer_from_the_isr_is_flagged() {
    let mut machine = machine(config(2, Strategy::Random { seed: 1 }), |_, hooks| {
        hooks.isr(|k| {
            k.set_test_line(false);
            k.set_timer(TimerKind::ReadTotal, Duration::from_millis(1));
            true
        });
    });
    machine.set_irq_line(0, true);
    machine.run_until_idle(10 * MS);
    let violations = machine.finish();
    assert_eq!(rules(&violations), [rule::DDI_IRQL]);
    assert!(
        violations[0].message.contains("KeSetTimer") && violations[0].message.contains("ISR"),
        "{violations:?}"
    );
}

fn overrun_entry() -> serial_engine::error_log::ErrorLogEntry {
    let mut log = serial_engine::error_log::ErrorLog::default();
    log.add(serial_engine::error_log::LogKind::HardwareOverrun, 1, 0);
    log.take()
        .into_iter()
        .flatten()
        .next()
        .expect("one gathered entry")
}

#[test]
fn writing_an_error_log_entry_from_the_isr_is_flagged_and_from_a_dpc_is_not() {
    let mut machine = machine(config(1, Strategy::Random { seed: 3 }), |_, hooks| {
        hooks.isr(|k| {
            k.set_test_line(false);
            k.write_error_log(&overrun_entry());
            true
        });
    });
    machine.set_irq_line(0, true);
    machine.run_until_idle(10 * MS);
    let logged = machine.error_log(0);
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].irql, Irql::DIRQL);
    let violations = machine.finish();
    assert_eq!(rules(&violations), [rule::ERROR_LOG], "{violations:?}");
    assert!(violations[0].message.contains("IoWriteErrorLogEntry"));

    let fired = check(1, Irql::DISPATCH, |k| k.write_error_log(&overrun_entry()));
    assert!(fired.is_empty(), "{fired:?}");
}

#[test]
fn releasing_a_spin_lock_twice_is_flagged() {
    let fired = check(1, Irql::PASSIVE, |k| {
        let lock = k.new_spin_lock("test lock");
        let old = lock.acquire();
        lock.release(old);
        lock.release(old);
    });
    assert_eq!(fired, [rule::SPIN_LOCK_NOT_OWNED]);
}

#[test]
fn acquiring_a_held_spin_lock_again_is_a_certain_deadlock() {
    let fired = check(2, Irql::PASSIVE, |k| {
        let lock = k.new_spin_lock("test lock");
        let _old = lock.acquire();
        lock.acquire_at_dpc_level();
    });
    assert_eq!(fired, [rule::SPIN_LOCK_RECURSION]);
}

#[test]
fn taking_two_spin_locks_in_both_orders_is_flagged() {
    let mut machine = machine(config(2, Strategy::Random { seed: 3 }), |_, _| {});
    let k = machine.kernel(0);
    let a = k.new_spin_lock("A");
    let b = k.new_spin_lock("B");
    let (a2, b2) = (a.clone(), b.clone());
    let first = machine.spawn(None, Irql::PASSIVE, move || {
        let old = a.acquire();
        b.acquire_at_dpc_level();
        b.release_from_dpc_level();
        a.release(old);
    });
    assert!(machine.run_until_finished(first, MS));
    let second = machine.spawn(None, Irql::PASSIVE, move || {
        let old = b2.acquire();
        a2.acquire_at_dpc_level();
        a2.release_from_dpc_level();
        b2.release(old);
    });
    assert!(machine.run_until_finished(second, MS));
    assert_eq!(rules(&machine.finish()), [rule::LOCK_ORDER]);
}

#[test]
fn taking_the_spin_lock_under_the_interrupt_lock_is_flagged_and_the_reverse_is_not() {
    let allowed = check(1, Irql::PASSIVE, |k| {
        let lock = k.new_spin_lock("device lock");
        let old = lock.acquire();
        let dpc_level = k.acquire_interrupt_lock();
        k.release_interrupt_lock(dpc_level);
        lock.release(old);
    });
    assert!(allowed.is_empty(), "{allowed:?}");
    let inverted = check(1, Irql::PASSIVE, |k| {
        let lock = k.new_spin_lock("device lock");
        let old = k.acquire_interrupt_lock();
        lock.acquire_at_dpc_level();
        lock.release_from_dpc_level();
        k.release_interrupt_lock(old);
    });
    assert!(inverted.contains(&rule::LOCK_ORDER), "{inverted:?}");
}

#[test]
fn completing_a_request_under_the_spin_lock_is_flagged() {
    let mut machine = machine(config(2, Strategy::Random { seed: 2 }), |kernel, hooks| {
        let cell = std::sync::Arc::new(kernel.new_spin_lock_cell(Vec::new()));
        hooks.dispatch(move |_, request| {
            cell.lock(|queue: &mut Vec<u64>| {
                queue.push(request.id().0);
                request.complete(NtStatus::SUCCESS, 0);
            });
        });
    });
    let completion = machine.call(0, Operation::Flush);
    assert_eq!(completion.status, NtStatus::SUCCESS);
    assert_eq!(rules(&machine.finish()), [rule::COMPLETE_UNDER_SPIN_LOCK]);
}

#[test]
fn a_request_dropped_without_completion_is_flagged() {
    let mut machine = machine(config(2, Strategy::Random { seed: 2 }), |_, hooks| {
        hooks.dispatch(|_, request| drop(request));
    });
    let handle = machine.submit(0, Operation::Read { len: 4 });
    assert_eq!(machine.run_until_complete(handle, 10 * MS), None);
    assert_eq!(rules(&machine.finish()), [rule::REQUEST_NEVER_COMPLETED]);
}

#[test]
fn a_request_kept_by_the_driver_past_teardown_is_flagged() {
    let kept = log();
    let mut machine = {
        let kept = kept.clone();
        machine(config(2, Strategy::Random { seed: 2 }), move |_, hooks| {
            let kept = kept.clone();
            hooks.dispatch(move |_, request| kept.lock().unwrap().push(request));
        })
    };
    machine.submit(
        0,
        Operation::Write {
            data: vec![1, 2, 3],
        },
    );
    machine.run_until_idle(MS);
    // The driver (here: the test's log) still holds the request when the machine goes away.
    drop(kept);
    assert_eq!(rules(&machine.finish()), [rule::REQUEST_NEVER_COMPLETED]);
}

#[test]
fn completing_with_status_pending_or_too_much_information_is_flagged() {
    let mut machine = machine(config(1, Strategy::RoundRobin), |_, hooks| {
        hooks.dispatch(|_, request| match request.major() {
            serial_model::kernel::MajorFunction::Read => request.complete(NtStatus::PENDING, 0),
            _ => request.complete(NtStatus::SUCCESS, 10),
        });
    });
    machine.call(0, Operation::Read { len: 4 });
    machine.call(0, Operation::Write { data: vec![0; 4] });
    assert_eq!(
        rules(&machine.finish()),
        [rule::COMPLETE_WITH_PENDING, rule::INFORMATION_TOO_LARGE]
    );
}

#[test]
fn a_dpc_over_the_hard_budget_is_a_violation_and_over_the_warning_level_a_warning() {
    for (limit, expect_violation) in [(Some(120_000), true), (None, false)] {
        let budget = CostBudget {
            dpc_limit_ns: limit,
            ..CostBudget::default()
        };
        let mut machine = machine(
            MachineConfig {
                cost_budget: budget,
                ..config(1, Strategy::RoundRobin)
            },
            |_, hooks| {
                hooks.dpc(|k, _| k.stall(150));
            },
        );
        let k = machine.kernel(0);
        machine.spawn(None, Irql::DISPATCH, move || {
            k.insert_dpc(DpcKind::ReadComplete);
        });
        machine.run_until_idle(MS);
        let warnings = machine.warnings();
        let stats = machine.stats();
        assert!(stats.max_dpc_cost_ns > 150_000, "{stats:?}");
        let violations = rules(&machine.finish());
        if expect_violation {
            assert_eq!(violations, [rule::DPC_OVER_BUDGET]);
        } else {
            assert!(violations.is_empty());
            assert_eq!(rules(&warnings), [rule::DPC_OVER_BUDGET]);
        }
    }
}

#[test]
fn an_isr_over_its_budget_is_counted_in_register_accesses() {
    let budget = CostBudget {
        isr_limit_ns: Some(25_000),
        ..CostBudget::default()
    };
    let mut machine = machine(
        MachineConfig {
            cost_budget: budget,
            ..config(1, Strategy::RoundRobin)
        },
        |_, hooks| {
            hooks.isr(|k| {
                // 30 register reads at 1 µs each, plus the entry cost.
                for _ in 0..30 {
                    k.read_register(Register::LineStatus);
                }
                k.set_test_line(false);
                true
            });
        },
    );
    machine.set_irq_line(0, true);
    machine.run_until_idle(MS);
    assert_eq!(machine.stats().register_reads, 30);
    assert_eq!(rules(&machine.finish()), [rule::ISR_OVER_BUDGET]);
}

#[test]
fn a_dpc_still_queued_when_the_device_is_freed_is_flagged() {
    let mut machine = machine(config(2, Strategy::Random { seed: 4 }), |_, _| {});
    let k0 = machine.kernel(0);
    let k1 = machine.kernel(0);
    let queued = flag();
    let freed = flag();
    let (queued2, freed2) = (queued.clone(), freed.clone());
    // CPU 1 queues the DPC and stays at DISPATCH, so the DPC stays queued on it...
    machine.spawn(Some(1), Irql::DISPATCH, move || {
        k1.insert_dpc(DpcKind::WaitComplete);
        queued.store(true, SEQ);
        yield_until(&k1, 500, || freed.load(SEQ));
    });
    // ...while CPU 0 removes the device.
    machine.spawn(Some(0), Irql::PASSIVE, move || {
        yield_until(&k0, 500, || queued2.load(SEQ));
        k0.check_device_free();
        freed2.store(true, SEQ);
    });
    machine.run_until_idle(MS);
    assert_eq!(rules(&machine.finish()), [rule::FREED_WHILE_QUEUED]);
}

#[test]
fn a_timer_left_set_at_teardown_is_flagged() {
    let fired = check(2, Irql::PASSIVE, |k| {
        k.set_timer(TimerKind::ImmediateTotal, Duration::from_millis(100_000));
    });
    assert_eq!(fired, [rule::FREED_WHILE_QUEUED]);
}

#[test]
fn returning_from_a_dpc_holding_a_lock_or_at_another_irql_is_flagged() {
    let mut machine = machine(config(1, Strategy::RoundRobin), |kernel, hooks| {
        let lock = kernel.new_spin_lock("leaked");
        hooks.dpc(move |k, kind| match kind {
            DpcKind::ReadComplete => {
                lock.acquire_at_dpc_level();
            }
            _ => k.lower_irql(Irql::PASSIVE),
        });
    });
    let k = machine.kernel(0);
    machine.spawn(None, Irql::DISPATCH, move || {
        k.insert_dpc(DpcKind::ReadComplete);
        k.insert_dpc(DpcKind::WriteComplete);
    });
    machine.run_until_idle(MS);
    assert_eq!(
        rules(&machine.finish()),
        [rule::LOCK_HELD_AT_RETURN, rule::IRQL_RETURN]
    );
}

#[test]
fn two_cpus_taking_two_locks_in_opposite_orders_deadlock() {
    let mut machine = machine(config(2, Strategy::Random { seed: 5 }), |_, _| {});
    let k = machine.kernel(0);
    let (a, b) = (k.new_spin_lock("A"), k.new_spin_lock("B"));
    let (a_held, b_held) = (flag(), flag());
    for (cpu, first, second, mine, other) in [
        (0, a.clone(), b.clone(), a_held.clone(), b_held.clone()),
        (1, b, a, b_held, a_held),
    ] {
        let k = k.clone();
        machine.spawn(Some(cpu), Irql::PASSIVE, move || {
            let old = first.acquire();
            mine.store(true, SEQ);
            yield_until(&k, 500, || other.load(SEQ));
            second.acquire_at_dpc_level();
            second.release_from_dpc_level();
            first.release(old);
        });
    }
    machine.run_until_idle(MS);
    let violations = machine.finish();
    assert_eq!(rules(&violations), [rule::DEADLOCK]);
    assert!(
        violations[0].message.contains("owned by cpu"),
        "{}",
        violations[0].message
    );
}

#[test]
fn touching_registers_outside_the_isr_and_the_interrupt_lock_is_flagged() {
    let fired = check(1, Irql::PASSIVE, |k| {
        k.read_register(Register::LineStatus);
        let old = k.acquire_interrupt_lock();
        k.read_register(Register::LineStatus);
        k.release_interrupt_lock(old);
    });
    assert_eq!(fired, [rule::REGISTER_ACCESS_UNLOCKED]);
}

#[test]
fn delaying_above_passive_halts_like_a_bug_check() {
    let fired = check(1, Irql::DISPATCH, |k| k.delay(Duration::from_millis(1)));
    assert_eq!(fired, [rule::DDI_IRQL]);
}

#[test]
fn a_panic_on_a_virtual_cpu_is_reported_as_a_violation() {
    let fired = check(2, Irql::PASSIVE, |_| panic!("driver bug"));
    assert_eq!(fired, [rule::PANIC]);
}

#[test]
fn fail_fast_stops_at_the_first_violation() {
    let ran_on = flag();
    let mut machine = machine(
        MachineConfig {
            fail_fast: true,
            ..config(1, Strategy::RoundRobin)
        },
        |_, _| {},
    );
    let k = machine.kernel(0);
    let after = ran_on.clone();
    machine.spawn(None, Irql::PASSIVE, move || {
        let lock = k.new_spin_lock("x");
        lock.release(Irql::PASSIVE);
        k.yield_now();
        after.store(true, SEQ);
    });
    machine.run_until_idle(MS);
    assert!(!ran_on.load(SEQ), "the run went on after the violation");
    assert_eq!(rules(&machine.finish()), [rule::SPIN_LOCK_NOT_OWNED]);
}

#[test]
#[should_panic(expected = "replay: SERIAL_MODEL_SEED=7 SERIAL_MODEL_CPUS=1")]
fn a_violation_fails_the_test_with_a_replay_line_by_default() {
    let config = MachineConfig {
        cpus: 1,
        strategy: Strategy::Random { seed: 7 },
        ..MachineConfig::default()
    };
    let mut machine = Machine::with_drivers(
        config,
        Box::new(serial_model::kernel::NullBus::new(1)),
        |_| std::sync::Arc::new(NoDriver),
    );
    let k = machine.kernel(0);
    machine.spawn(None, Irql::PASSIVE, move || {
        k.new_spin_lock("x").release(Irql::PASSIVE)
    });
    machine.run_until_idle(MS);
}

struct NoDriver;
impl serial_model::kernel::Driver for NoDriver {}
