//! KeSetTimer / KeCancelTimer semantics (nt-kernel-semantics §3.2).

mod kernel_support;

use kernel_support::*;
use serial_engine::kernel::{Duration, Kernel, TimerKind};
use serial_model::kernel::{Irql, MachineConfig, Strategy};

/// (timer, virtual time, IRQL) of every timer DPC run.
type Fired = Log<(TimerKind, u64, Irql)>;

fn timer_machine(config: MachineConfig, fired: &Fired) -> serial_model::kernel::Machine {
    let fired = fired.clone();
    machine(config, move |_, hooks| {
        let fired = fired.clone();
        hooks.timer(move |k, kind| {
            record(&fired, (kind, k.now().as_100ns(), k.current_irql()));
        });
    })
}

#[test]
fn timers_never_fire_early_and_are_quantized_to_the_tick() {
    for (tick, expected) in [(10_000, 20_000), (1, 17_345), (4_000, 20_000), (0, 17_345)] {
        let fired = log();
        let mut machine = timer_machine(
            MachineConfig {
                timer_tick: tick,
                ..config(2, Strategy::RoundRobin)
            },
            &fired,
        );
        machine.run_until(5_000);
        let k = machine.kernel(0);
        let job = machine.spawn(None, Irql::PASSIVE, move || {
            assert!(!k.set_timer(TimerKind::ReadTotal, Duration::from_100ns(12_345)));
        });
        assert!(machine.run_until_finished(job, MS));
        machine.run_until(17_344);
        assert!(
            entries(&fired).is_empty(),
            "tick {tick}: fired before its due time 17_345"
        );
        machine.run_until_idle(100 * MS);
        assert_eq!(
            entries(&fired),
            [(TimerKind::ReadTotal, expected, Irql::DISPATCH)],
            "tick {tick}"
        );
        assert_eq!(machine.stats().timer_expiries, 1);
    }
}

#[test]
fn resetting_a_set_timer_runs_its_dpc_once_at_the_new_time() {
    for strategy in strategies() {
        let fired = log();
        let mut machine = timer_machine(config(2, strategy.clone()), &fired);
        let k = machine.kernel(0);
        let results = log();
        let seen = results.clone();
        let job = machine.spawn(None, Irql::PASSIVE, move || {
            let first = k.set_timer(TimerKind::WriteTotal, Duration::from_millis(10));
            let second = k.set_timer(TimerKind::WriteTotal, Duration::from_millis(30));
            seen.lock().unwrap().extend([first, second]);
        });
        assert!(machine.run_until_finished(job, MS));
        machine.run_for(100 * MS);
        assert_eq!(entries(&results), [false, true], "{strategy:?}");
        assert_eq!(
            entries(&fired),
            [(TimerKind::WriteTotal, 30 * MS, Irql::DISPATCH)],
            "{strategy:?}"
        );
    }
}

#[test]
fn cancelling_a_pending_timer_returns_true_and_its_dpc_never_runs() {
    let fired = log();
    let mut machine = timer_machine(config(2, Strategy::Random { seed: 2 }), &fired);
    let k = machine.kernel(0);
    let results = log();
    let seen = results.clone();
    let job = machine.spawn(None, Irql::DISPATCH, move || {
        k.set_timer(TimerKind::XoffCounter, Duration::from_millis(5));
        let cancelled = k.cancel_timer(TimerKind::XoffCounter);
        let again = k.cancel_timer(TimerKind::XoffCounter);
        seen.lock().unwrap().extend([cancelled, again]);
    });
    assert!(machine.run_until_finished(job, MS));
    machine.run_for(50 * MS);
    assert_eq!(entries(&results), [true, false]);
    assert!(entries(&fired).is_empty());
}

#[test]
fn cancel_of_an_expired_timer_whose_dpc_is_queued_returns_false_and_the_dpc_still_runs() {
    // Two timers expire on the same tick; with one CPU both DPCs are queued before either runs.
    // The first DPC cancels the second timer: too late, it has expired and its DPC is queued.
    for strategy in strategies() {
        let fired = log();
        let cancel_results = log();
        let mut machine = {
            let fired = fired.clone();
            let cancel_results = cancel_results.clone();
            machine(config(1, strategy.clone()), move |_, hooks| {
                let fired = fired.clone();
                let cancel_results = cancel_results.clone();
                hooks.timer(move |k, kind| {
                    fired.lock().unwrap().push(kind);
                    if kind == TimerKind::ReadTotal {
                        record(&cancel_results, k.cancel_timer(TimerKind::ReadInterval));
                    }
                });
            })
        };
        let k = machine.kernel(0);
        let job = machine.spawn(None, Irql::PASSIVE, move || {
            k.set_timer(TimerKind::ReadTotal, Duration::from_100ns(3 * MS + 1));
            k.set_timer(TimerKind::ReadInterval, Duration::from_100ns(3 * MS + 2));
        });
        assert!(machine.run_until_finished(job, MS));
        machine.run_for(20 * MS);
        assert_eq!(entries(&cancel_results), [false], "{strategy:?}");
        assert_eq!(
            entries(&fired),
            [TimerKind::ReadTotal, TimerKind::ReadInterval],
            "{strategy:?}"
        );
    }
}

#[test]
fn a_timer_dpc_runs_on_some_cpu_at_dispatch_and_may_be_set_again_from_it() {
    let fired = log();
    let mut machine = {
        let fired = fired.clone();
        machine(config(2, Strategy::Random { seed: 4 }), move |_, hooks| {
            let fired = fired.clone();
            hooks.timer(move |k, kind| {
                let now = k.now().as_100ns();
                record(&fired, now);
                if entries(&fired).len() < 3 {
                    // A DPC re-arms its own timer (what a periodic timer would do).
                    assert!(!k.set_timer(kind, Duration::from_millis(2)));
                }
            });
        })
    };
    let k = machine.kernel(0);
    machine.spawn(None, Irql::PASSIVE, move || {
        k.set_timer(TimerKind::LowerRts, Duration::from_millis(2));
    });
    machine.run_until_idle(100 * MS);
    assert_eq!(entries(&fired), [2 * MS, 4 * MS, 6 * MS]);
}
