//! Interrupt delivery: a level-triggered line, preemption by IRQL, and the interrupt lock
//! (nt-kernel-semantics §1, §5).

mod kernel_support;

use std::sync::Arc;

use kernel_support::*;
use serial_engine::kernel::{DpcKind, InterruptCell, Kernel};
use serial_model::kernel::{Irql, Strategy, rule};

#[test]
fn the_isr_runs_at_dirql_holding_the_interrupt_lock_and_its_dpc_follows() {
    for strategy in strategies() {
        let observed = log();
        let mut machine = machine(config(2, strategy.clone()), |kernel, hooks| {
            let cell = Arc::new(kernel.new_interrupt_cell(0_u32));
            let isr_log = observed.clone();
            hooks.isr(move |k| {
                isr_log
                    .lock()
                    .unwrap()
                    .push(format!("isr {}", k.current_irql()));
                // Claiming the interrupt means clearing its cause.
                k.set_test_line(false);
                assert!(k.insert_dpc(DpcKind::ReadComplete));
                true
            });
            let dpc_log = observed.clone();
            hooks.dpc(move |k, _| {
                let count = cell.synchronize(|n| {
                    *n += 1;
                    *n
                });
                dpc_log
                    .lock()
                    .unwrap()
                    .push(format!("dpc {} {count}", k.current_irql()));
            });
        });
        machine.set_irq_line(0, true);
        machine.run_until_idle(MS);
        assert_eq!(
            entries(&observed),
            ["isr DIRQL", "dpc DISPATCH_LEVEL 1"],
            "{strategy:?}"
        );
        let stats = machine.stats();
        assert_eq!((stats.interrupts_delivered, stats.isr_claimed), (1, 1));
        assert!(machine.finish().is_empty());
    }
}

#[test]
fn a_level_triggered_line_still_high_after_the_isr_is_delivered_again() {
    let calls = counter();
    let mut machine = machine(config(2, Strategy::Random { seed: 8 }), |_, hooks| {
        let calls = calls.clone();
        hooks.isr(move |k| {
            // Services one of three pending causes per call.
            if calls.fetch_add(1, SEQ) == 2 {
                k.set_test_line(false);
            }
            true
        });
    });
    machine.set_irq_line(0, true);
    machine.run_until_idle(MS);
    assert_eq!(calls.load(SEQ), 3);
    assert!(machine.finish().is_empty());
}

#[test]
fn an_interrupt_preempts_a_dpc_on_the_same_cpu() {
    for strategy in strategies() {
        let in_dpc = flag();
        let isr_saw = log();
        let mut machine = machine(config(1, strategy.clone()), |_, hooks| {
            let (isr_in_dpc, isr_log) = (in_dpc.clone(), isr_saw.clone());
            hooks.isr(move |k| {
                isr_log.lock().unwrap().push((
                    isr_in_dpc.load(SEQ),
                    k.current_cpu(),
                    k.current_irql(),
                ));
                k.set_test_line(false);
                true
            });
            let (in_dpc, isr_saw) = (in_dpc.clone(), isr_saw.clone());
            hooks.dpc(move |k, _| {
                in_dpc.store(true, SEQ);
                k.set_test_line(true);
                yield_until(k, 200, || !isr_saw.lock().unwrap().is_empty());
                in_dpc.store(false, SEQ);
            });
        });
        let k = machine.kernel(0);
        machine.spawn(None, Irql::DISPATCH, move || {
            k.insert_dpc(DpcKind::TransmitRefill);
        });
        machine.run_until_idle(MS);
        assert_eq!(
            entries(&isr_saw),
            [(true, Some(0), Irql::DIRQL)],
            "{strategy:?}"
        );
    }
}

#[test]
fn synchronize_excludes_the_isr_on_every_cpu() {
    for cpus in [1, 2, 3] {
        for strategy in strategies() {
            let inside = flag();
            let overlaps = counter();
            let isr_calls = counter();
            let mut machine = machine(config(cpus, strategy.clone()), |kernel, hooks| {
                let cell = Arc::new(kernel.new_interrupt_cell(0_u32));
                let (inside_isr, overlaps, isr_calls) =
                    (inside.clone(), overlaps.clone(), isr_calls.clone());
                hooks.isr(move |k| {
                    if inside_isr.load(SEQ) {
                        overlaps.fetch_add(1, SEQ);
                    }
                    isr_calls.fetch_add(1, SEQ);
                    k.set_test_line(false);
                    true
                });
                let inside = inside.clone();
                hooks.dpc(move |k, _| {
                    cell.synchronize(|_| {
                        inside.store(true, SEQ);
                        // The device interrupts while the DPC holds the interrupt lock.
                        k.set_test_line(true);
                        for _ in 0..30 {
                            k.yield_now();
                        }
                        inside.store(false, SEQ);
                    });
                });
            });
            let k = machine.kernel(0);
            machine.spawn(None, Irql::DISPATCH, move || {
                k.insert_dpc(DpcKind::FlowControl);
            });
            machine.run_until_idle(MS);
            assert_eq!(
                overlaps.load(SEQ),
                0,
                "{cpus} CPUs, {strategy:?}: the ISR ran inside synchronize"
            );
            assert_eq!(isr_calls.load(SEQ), 1, "{cpus} CPUs, {strategy:?}");
            assert!(machine.finish().is_empty());
        }
    }
}

#[test]
fn an_isr_that_returns_false_while_its_device_interrupts_is_flagged() {
    let mut machine = machine(config(2, Strategy::Random { seed: 1 }), |_, hooks| {
        hooks.isr(|_| false)
    });
    machine.set_irq_line(0, true);
    machine.run_until_idle(MS);
    assert_eq!(rules(&machine.finish()), [rule::UNCLAIMED_INTERRUPT]);
}

#[test]
fn an_isr_that_never_clears_its_cause_is_an_interrupt_storm() {
    let mut machine = machine(config(1, Strategy::RoundRobin), |_, hooks| {
        hooks.isr(|_| true)
    });
    machine.set_irq_line(0, true);
    machine.run_until_idle(MS);
    assert_eq!(rules(&machine.finish()), [rule::INTERRUPT_STORM]);
}

#[test]
fn an_isr_nested_on_a_cpu_spinning_for_a_spin_lock_completes() {
    // CPU 1 holds the spin lock and wants the interrupt lock; CPU 0 spins for the spin lock and
    // takes the interrupt meanwhile: the ISR must finish so that CPU 1 can go on (no deadlock).
    for seed in 1..=20 {
        let mut machine = machine(config(2, Strategy::Random { seed }), |_, hooks| {
            hooks.isr(|k| {
                for _ in 0..5 {
                    k.yield_now();
                }
                k.set_test_line(false);
                true
            });
        });
        let k = machine.kernel(0);
        let lock = k.new_spin_lock("S");
        let held = flag();
        let (k1, lock1, held1) = (k.clone(), lock.clone(), held.clone());
        let owner = machine.spawn(Some(1), Irql::PASSIVE, move || {
            let old = lock1.acquire();
            held1.store(true, SEQ);
            for _ in 0..5 {
                k1.yield_now();
            }
            k1.set_test_line(true);
            let dirql = k1.acquire_interrupt_lock();
            k1.release_interrupt_lock(dirql);
            lock1.release(old);
        });
        let spinner = machine.spawn(Some(0), Irql::PASSIVE, move || {
            yield_until(&k, 100, || held.load(SEQ));
            let old = lock.acquire();
            lock.release(old);
        });
        machine.run_until_idle(MS);
        assert!(
            machine.finished(owner) && machine.finished(spinner),
            "seed {seed}"
        );
        let violations = machine.finish();
        assert!(violations.is_empty(), "seed {seed}: {violations:?}");
    }
}

#[test]
fn no_time_passes_while_a_dpc_runs_nested_in_a_delay() {
    let times = log();
    let mut machine = {
        let times = times.clone();
        machine(config(1, Strategy::Random { seed: 2 }), move |_, hooks| {
            let times = times.clone();
            hooks.timer(move |k, _| {
                let start = k.now().as_100ns();
                for _ in 0..10 {
                    k.yield_now();
                }
                record(&times, (start, k.now().as_100ns()));
            });
        })
    };
    let k = machine.kernel(0);
    let job = machine.spawn(None, Irql::PASSIVE, move || {
        k.set_timer(
            serial_engine::kernel::TimerKind::ReadTotal,
            serial_engine::kernel::Duration::from_millis(2),
        );
        k.delay(serial_engine::kernel::Duration::from_millis(5));
        assert_eq!(k.now().as_100ns(), 5 * MS);
    });
    assert!(machine.run_until_finished(job, 10 * MS));
    assert_eq!(entries(&times), [(2 * MS, 2 * MS)]);
    assert!(machine.finish().is_empty());
}
