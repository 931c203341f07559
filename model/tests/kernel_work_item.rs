//! IoQueueWorkItem semantics (nt-kernel-semantics §4.2).

mod kernel_support;

use kernel_support::*;
use serial_engine::kernel::{Kernel, WorkItemKind};
use serial_model::kernel::{Irql, Strategy, rule};

#[test]
fn a_work_item_runs_at_passive_and_a_second_queue_while_queued_is_flagged() {
    for strategy in strategies() {
        let runs = log();
        // One CPU, busy at DISPATCH: no worker can dequeue the item between the two calls.
        let mut machine = machine(config(1, strategy.clone()), |_, hooks| {
            let runs = runs.clone();
            hooks.work_item(move |k, kind| runs.lock().unwrap().push((kind, k.current_irql())));
        });
        let k = machine.kernel(0);
        let job = machine.spawn(None, Irql::DISPATCH, move || {
            k.queue_work_item(WorkItemKind::ResizeReceiveBuffer);
            k.queue_work_item(WorkItemKind::ResizeReceiveBuffer);
        });
        assert!(machine.run_until_finished(job, MS));
        machine.run_until_idle(MS);
        assert_eq!(
            entries(&runs),
            [(WorkItemKind::ResizeReceiveBuffer, Irql::PASSIVE)],
            "{strategy:?}"
        );
        assert_eq!(
            rules(&machine.finish()),
            [rule::WORK_ITEM_DOUBLE_QUEUE],
            "{strategy:?}"
        );
    }
}

#[test]
fn a_work_item_may_be_queued_again_from_its_own_routine() {
    // Dequeued before the routine runs: re-queueing from inside is allowed.
    let runs = counter();
    let mut machine = machine(config(2, Strategy::Random { seed: 11 }), |_, hooks| {
        let runs = runs.clone();
        hooks.work_item(move |k, kind| {
            if runs.fetch_add(1, SEQ) == 0 {
                k.queue_work_item(kind);
            }
        });
    });
    let k = machine.kernel(0);
    machine.spawn(None, Irql::PASSIVE, move || {
        k.queue_work_item(WorkItemKind::ResizeReceiveBuffer)
    });
    machine.run_until_idle(MS);
    assert_eq!(runs.load(SEQ), 2);
    assert_eq!(machine.stats().work_items_run, 2);
    assert!(machine.finish().is_empty());
}

#[test]
fn queueing_a_work_item_from_the_isr_is_flagged() {
    let mut machine = machine(config(1, Strategy::RoundRobin), |_, hooks| {
        hooks.isr(|k| {
            k.set_test_line(false);
            k.queue_work_item(WorkItemKind::ResizeReceiveBuffer);
            true
        });
    });
    machine.set_irq_line(0, true);
    machine.run_until_idle(MS);
    assert_eq!(rules(&machine.finish()), [rule::DDI_IRQL]);
}
