//! KeInsertQueueDpc / KeRemoveQueueDpc / KeFlushQueuedDpcs semantics (nt-kernel-semantics §2.2).

mod kernel_support;

use std::collections::BTreeSet;

use kernel_support::*;
use serial_engine::kernel::{DpcKind, Kernel};
use serial_model::kernel::{Irql, Strategy};

#[test]
fn second_insert_returns_false_and_the_routine_runs_once() {
    for strategy in strategies() {
        let runs = counter();
        let inserts = log();
        let mut machine = machine(config(2, strategy.clone()), |_, hooks| {
            let runs = runs.clone();
            hooks.dpc(move |k, _| {
                assert_eq!(k.current_irql(), Irql::DISPATCH);
                runs.fetch_add(1, SEQ);
            });
        });
        let k = machine.kernel(0);
        let seen = inserts.clone();
        // At DISPATCH the DPC cannot run between the two inserts on this CPU.
        let job = machine.spawn(Some(0), Irql::DISPATCH, move || {
            let first = k.insert_dpc(DpcKind::ReadComplete);
            let second = k.insert_dpc(DpcKind::ReadComplete);
            seen.lock().unwrap().extend([first, second]);
        });
        assert!(machine.run_until_finished(job, MS));
        machine.run_until_idle(MS);
        assert_eq!(entries(&inserts), [true, false], "{strategy:?}");
        assert_eq!(runs.load(SEQ), 1, "{strategy:?}");
        let stats = machine.stats();
        assert_eq!(
            (stats.dpc_inserts_queued, stats.dpc_inserts_coalesced),
            (1, 1)
        );
        assert!(machine.finish().is_empty());
    }
}

#[test]
fn a_dpc_queued_at_passive_runs_before_the_inserting_code_continues() {
    let order = log();
    let mut machine = machine(config(1, Strategy::Random { seed: 3 }), |_, hooks| {
        let order = order.clone();
        hooks.dpc(move |_, _| order.lock().unwrap().push("dpc"));
    });
    let k = machine.kernel(0);
    let seen = order.clone();
    let job = machine.spawn(None, Irql::PASSIVE, move || {
        assert!(k.insert_dpc(DpcKind::ReadComplete));
        seen.lock().unwrap().push("inserted");
        // The next scheduling point at PASSIVE delivers the queued DPC first.
        k.yield_now();
        seen.lock().unwrap().push("continued");
    });
    assert!(machine.run_until_finished(job, MS));
    assert_eq!(entries(&order), ["inserted", "dpc", "continued"]);
}

#[test]
fn insert_during_the_routine_succeeds_and_the_routine_runs_again() {
    for strategy in strategies() {
        let inserts = log();
        let runs = counter();
        let mut machine = machine(config(1, strategy.clone()), |_, hooks| {
            let inserts = inserts.clone();
            let runs = runs.clone();
            hooks.dpc(move |k, kind| {
                if runs.fetch_add(1, SEQ) == 0 {
                    // The DPC was dequeued before its routine started, so this insert is TRUE.
                    record(&inserts, k.insert_dpc(kind));
                }
            });
        });
        let k = machine.kernel(0);
        let job = machine.spawn(None, Irql::DISPATCH, move || {
            k.insert_dpc(DpcKind::WaitComplete);
        });
        assert!(machine.run_until_finished(job, MS));
        machine.run_until_idle(MS);
        assert_eq!(entries(&inserts), [true], "{strategy:?}");
        assert_eq!(runs.load(SEQ), 2, "{strategy:?}");
    }
}

#[test]
fn a_dpc_requeued_while_running_runs_again_concurrently_on_another_cpu() {
    for seed in 1..=8 {
        let started = flag();
        let second_started = flag();
        let running = counter();
        let max_running = counter();
        let cpus = log();
        let mut machine = machine(config(2, Strategy::Random { seed }), |_, hooks| {
            let (started, second_started) = (started.clone(), second_started.clone());
            let (running, max_running, cpus) = (running.clone(), max_running.clone(), cpus.clone());
            hooks.dpc(move |k, _| {
                let now_running = running.fetch_add(1, SEQ) + 1;
                max_running.fetch_max(now_running, SEQ);
                cpus.lock().unwrap().push(k.current_cpu().unwrap());
                if started.swap(true, SEQ) {
                    second_started.store(true, SEQ);
                } else {
                    // The first instance keeps running until the second one has started.
                    yield_until(k, 500, || second_started.load(SEQ));
                }
                running.fetch_sub(1, SEQ);
            });
        });
        let k0 = machine.kernel(0);
        let k1 = machine.kernel(0);
        let requeued = log();
        let seen = requeued.clone();
        let first_started = started.clone();
        machine.spawn(Some(0), Irql::DISPATCH, move || {
            k0.insert_dpc(DpcKind::ReadComplete);
        });
        let job = machine.spawn(Some(1), Irql::PASSIVE, move || {
            yield_until(&k1, 500, || first_started.load(SEQ));
            record(&seen, k1.insert_dpc(DpcKind::ReadComplete));
        });
        assert!(machine.run_until_finished(job, MS));
        machine.run_until_idle(MS);
        assert_eq!(entries(&requeued), [true], "seed {seed}");
        assert_eq!(
            max_running.load(SEQ),
            2,
            "seed {seed}: the two instances never overlapped"
        );
        let cpus: BTreeSet<usize> = entries(&cpus).into_iter().collect();
        assert_eq!(cpus, BTreeSet::from([0, 1]), "seed {seed}");
        assert!(machine.stats().dpc_concurrent_runs >= 1);
    }
}

#[test]
fn remove_queue_dpc_dequeues_a_queued_dpc_only() {
    let runs = counter();
    let results = log();
    let mut machine = machine(config(2, Strategy::Random { seed: 5 }), |_, hooks| {
        let runs = runs.clone();
        hooks.dpc(move |_, _| {
            runs.fetch_add(1, SEQ);
        });
    });
    let k = machine.kernel(0);
    let seen = results.clone();
    let job = machine.spawn(None, Irql::DISPATCH, move || {
        let inserted = k.insert_dpc(DpcKind::FlowControl);
        let removed = k.remove_queued_dpc(DpcKind::FlowControl);
        let removed_again = k.remove_queued_dpc(DpcKind::FlowControl);
        seen.lock()
            .unwrap()
            .extend([inserted, removed, removed_again]);
    });
    assert!(machine.run_until_finished(job, MS));
    machine.run_until_idle(MS);
    assert_eq!(entries(&results), [true, true, false]);
    assert_eq!(runs.load(SEQ), 0, "a removed DPC must not run");
}

#[test]
fn flush_queued_dpcs_waits_for_a_running_instance_on_another_cpu() {
    for seed in 1..=6 {
        let started = flag();
        let finished = flag();
        let mut machine = machine(config(2, Strategy::Random { seed }), |_, hooks| {
            let (started, finished) = (started.clone(), finished.clone());
            hooks.dpc(move |k, _| {
                started.store(true, SEQ);
                for _ in 0..20 {
                    k.yield_now();
                }
                finished.store(true, SEQ);
            });
        });
        let k0 = machine.kernel(0);
        let k1 = machine.kernel(0);
        machine.spawn(Some(1), Irql::DISPATCH, move || {
            k1.insert_dpc(DpcKind::ErrorAbort);
        });
        let observed = log();
        let seen = observed.clone();
        let (started2, finished2) = (started.clone(), finished.clone());
        let job = machine.spawn(Some(0), Irql::PASSIVE, move || {
            yield_until(&k0, 500, || started2.load(SEQ));
            k0.flush_queued_dpcs();
            seen.lock().unwrap().push(finished2.load(SEQ));
        });
        assert!(machine.run_until_finished(job, MS));
        assert_eq!(
            entries(&observed),
            [true],
            "seed {seed}: flush returned before the DPC finished"
        );
        assert!(machine.finish().is_empty());
    }
}
