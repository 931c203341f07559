//! Request tokens: buffers, completion records and KMDF cancel semantics (nt-kernel-semantics §7).

mod kernel_support;

use std::sync::{Arc, Mutex, OnceLock};

use kernel_support::*;
use serial_engine::kernel::{Cancelled, Kernel, Request, SpinLockCell};
use serial_ioctl::NtStatus;
use serial_model::kernel::{
    Irql, ModelRequest, ModelSpinLockCell, Operation, Strategy, UNWRITTEN_BYTE, rule,
};

/// A driver that parks every request it gets (marked cancelable) and completes it from the cancel
/// callback; `parked` shows what it holds.
fn parking_machine(
    strategy: Strategy,
    parked: &Arc<Mutex<Vec<ModelRequest>>>,
    marks: &Log<Result<(), Cancelled>>,
) -> serial_model::kernel::Machine {
    let (parked, marks) = (parked.clone(), marks.clone());
    machine(config(2, strategy), move |_, hooks| {
        let (parked_in, marks) = (parked.clone(), marks.clone());
        hooks.dispatch(move |_, mut request| {
            let marked = request.mark_cancelable();
            marks.lock().unwrap().push(marked);
            match marked {
                Ok(()) => parked_in.lock().unwrap().push(request),
                Err(Cancelled) => request.complete(NtStatus::CANCELLED, 0),
            }
        });
        let parked_cancel = parked.clone();
        hooks.cancel(move |k, id| {
            assert_eq!(k.current_irql(), Irql::DISPATCH);
            let request = {
                let mut parked = parked_cancel.lock().unwrap();
                let position = parked
                    .iter()
                    .position(|r| r.id() == id)
                    .expect("cancel of a parked request");
                parked.remove(position)
            };
            request.complete(NtStatus::CANCELLED, 0);
        });
    })
}

#[test]
fn a_cancelable_request_is_completed_by_its_cancel_callback() {
    for strategy in strategies() {
        let parked = Arc::new(Mutex::new(Vec::new()));
        let marks = log();
        let mut machine = parking_machine(strategy.clone(), &parked, &marks);
        let handle = machine.submit(0, Operation::Read { len: 8 });
        machine.run_for(5 * MS);
        assert!(machine.completion(handle).is_none());
        assert_eq!(parked.lock().unwrap().len(), 1);
        machine.cancel(handle);
        let completion = machine.run_until_complete(handle, MS).expect("cancelled");
        assert_eq!(
            (completion.status, completion.information),
            (NtStatus::CANCELLED, 0)
        );
        assert_eq!(completion.submitted_at, 0);
        assert_eq!(completion.completed_at, 5 * MS);
        assert_eq!(entries(&marks), [Ok(())]);
        assert_eq!(machine.stats().cancel_callbacks, 1);
        assert!(machine.finish().is_empty(), "{strategy:?}");
    }
}

#[test]
fn a_request_not_yet_dispatched_is_cancelled_without_reaching_the_driver() {
    let parked = Arc::new(Mutex::new(Vec::new()));
    let marks = log();
    let mut machine = parking_machine(Strategy::Random { seed: 1 }, &parked, &marks);
    let handle = machine.submit(0, Operation::Write { data: vec![1] });
    machine.cancel(handle);
    let completion = machine
        .completion(handle)
        .cloned()
        .expect("completed at once");
    assert_eq!(completion.status, NtStatus::CANCELLED);
    machine.run_until_idle(MS);
    assert!(
        entries(&marks).is_empty(),
        "the driver saw a cancelled request"
    );
    assert!(machine.finish().is_empty());
}

/// Where the test driver below keeps its one request: behind a model spin lock, because the
/// dispatch routine, the cancel callback and the test routines race for it.
type Slot = Arc<ModelSpinLockCell<Option<ModelRequest>>>;

#[test]
fn marking_a_request_cancelled_while_not_cancelable_fails_and_unmark_after_cancel_fails() {
    let results = log();
    let slot: Arc<OnceLock<Slot>> = Arc::new(OnceLock::new());
    let mut machine = {
        let (results, slot) = (results.clone(), slot.clone());
        machine(
            config(2, Strategy::Random { seed: 6 }),
            move |kernel, hooks| {
                let held: Slot = Arc::new(kernel.new_spin_lock_cell(None));
                slot.set(held.clone()).ok();
                let held_dispatch = held.clone();
                hooks.dispatch(move |_, request| held_dispatch.lock(|slot| *slot = Some(request)));
                let results = results.clone();
                hooks.cancel(move |_, _| {
                    results.lock().unwrap().push("cancel callback");
                    let request = held
                        .lock(Option::take)
                        .expect("the cancel callback owns the request");
                    request.complete(NtStatus::CANCELLED, 0);
                });
            },
        )
    };
    let held = slot.get().unwrap().clone();

    // The driver holds the request without marking it; the cancel is remembered...
    let handle = machine.submit(0, Operation::Read { len: 1 });
    machine.run_for(MS);
    machine.cancel(handle);
    machine.run_for(MS);
    assert!(
        machine.completion(handle).is_none(),
        "a non-cancelable request was cancelled"
    );
    // ...and MarkCancelableEx then fails; the driver completes the request itself.
    let (seen, held_now) = (results.clone(), held.clone());
    let job = machine.spawn(None, Irql::DISPATCH, move || {
        let mut request = held_now.lock(Option::take).expect("held");
        let marked = request.mark_cancelable();
        seen.lock().unwrap().push(if marked.is_err() {
            "mark failed"
        } else {
            "marked"
        });
        request.complete(NtStatus::CANCELLED, 0);
    });
    assert!(machine.run_until_finished(job, MS));
    assert_eq!(
        machine.completion(handle).map(|c| c.status),
        Some(NtStatus::CANCELLED)
    );

    // A second request is marked cancelable, then cancelled: unmark fails and the callback owns it.
    let second = machine.submit(0, Operation::Read { len: 1 });
    machine.run_for(MS);
    let (seen, held_now) = (results.clone(), held.clone());
    let mark = machine.spawn(None, Irql::DISPATCH, move || {
        held_now.lock(|slot| {
            slot.as_mut()
                .expect("held")
                .mark_cancelable()
                .expect("not cancelled yet")
        });
        seen.lock().unwrap().push("marked");
    });
    assert!(machine.run_until_finished(mark, MS));
    machine.cancel(second);
    let (seen, held_now) = (results.clone(), held.clone());
    let unmark = machine.spawn(Some(0), Irql::DISPATCH, move || {
        let unmarked = held_now.lock(|slot| slot.as_mut().map(Request::unmark_cancelable));
        match unmarked {
            Some(Ok(())) => seen.lock().unwrap().push("unmarked"),
            Some(Err(Cancelled)) => seen.lock().unwrap().push("unmark failed"),
            None => {} // The cancel callback already took it.
        }
    });
    assert!(machine.run_until_finished(unmark, MS));
    machine.run_until_idle(MS);
    let results = entries(&results);
    assert_eq!(results[..2], ["mark failed", "marked"]);
    assert!(results.contains(&"cancel callback"), "{results:?}");
    assert!(
        !results.contains(&"unmarked"),
        "unmark succeeded after the cancel was scheduled: {results:?}"
    );
    assert_eq!(
        machine.completion(second).map(|c| c.status),
        Some(NtStatus::CANCELLED)
    );
    assert!(machine.finish().is_empty());
}

#[test]
fn completing_a_request_still_marked_cancelable_is_flagged() {
    let mut machine = machine(config(1, Strategy::RoundRobin), |_, hooks| {
        hooks.dispatch(|_, mut request| {
            request.mark_cancelable().unwrap();
            request.complete(NtStatus::SUCCESS, 0);
        });
    });
    machine.call(0, Operation::Flush);
    assert_eq!(rules(&machine.finish()), [rule::COMPLETE_CANCELABLE]);
}

#[test]
fn completion_records_the_output_the_information_and_the_times() {
    let mut machine = machine(config(2, Strategy::Random { seed: 3 }), |_, hooks| {
        hooks.dispatch(|_, mut request| match request.major() {
            serial_model::kernel::MajorFunction::Read => {
                request.output()[..3].copy_from_slice(b"abc");
                request.complete(NtStatus::SUCCESS, 3);
            }
            _ => {
                // METHOD_BUFFERED: one system buffer; reading the input first matters.
                let sum: u8 = request.input().iter().sum();
                request.output()[0] = sum;
                request.complete(NtStatus::SUCCESS, 2);
            }
        });
    });
    machine.run_until(7 * MS);
    let read = machine.call(0, Operation::Read { len: 8 });
    assert_eq!(read.output, b"abc");
    assert_eq!((read.submitted_at, read.completed_at), (7 * MS, 7 * MS));
    let ioctl = machine.call(
        0,
        Operation::DeviceControl {
            code: 1,
            input: vec![1, 2, 3],
            output_len: 4,
        },
    );
    // Byte 1 still holds input byte 2: input and output share the buffer.
    assert_eq!(ioctl.output, [6, 2]);
    let short = machine.call(
        0,
        Operation::DeviceControl {
            code: 1,
            input: vec![],
            output_len: 2,
        },
    );
    assert_eq!(short.output, [0, UNWRITTEN_BYTE]);
    assert!(machine.finish().is_empty());
}
