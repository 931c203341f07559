//! Request ownership: where a pending request lives and how it leaves the engine exactly once.
//!
//! ```text
//!   dispatch ──mark_cancelable──► Queued ──start──► Current ──(ISR/DPC/timer/purge/abort)──┐
//!                 │ Err               │                │                                   │
//!                 ▼                   │ cancel callback│ cancel callback      unmark_cancelable
//!          complete CANCELLED         ▼                ▼                       │ Ok      │ Err
//!                              complete CANCELLED (found by id)               ▼         ▼
//!                                                                       complete   cancel_pending:
//!                                                                   (lock dropped) left in place for
//!                                                                                  the cancel callback
//! ```
//!
//! A request is always in exactly one place in the spin-lock state (a queue or a current slot)
//! until a claimant removes it under the lock. Removal for completion first calls
//! `unmark_cancelable` while the request is still in place, so a cancel callback that races with
//! it always finds the request. Completion happens only after the lock is dropped. Marking happens
//! under the lock too, with the queue's room already reserved: KMDF may run the cancel callback the
//! moment the mark succeeds, and the callback must then wait for the lock and find the request.

use alloc::collections::VecDeque;

use serial_ioctl::NtStatus;

use crate::kernel::{Request, RequestId};

/// What a queued request is for (reads and writes have their own queues; the write queue also
/// carries XOFF counters and flush markers, the read queue carries SET_QUEUE_SIZE).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// IRP_MJ_READ.
    Read,
    /// IRP_MJ_WRITE.
    Write,
    /// IOCTL_SERIAL_XOFF_COUNTER: a one-byte pseudo-write.
    XoffCounter,
    /// IRP_MJ_FLUSH_BUFFERS: completes when it reaches the head of the write queue.
    Flush,
    /// IOCTL_SERIAL_SET_QUEUE_SIZE growing the receive ring to this many bytes.
    ResizeReceiveBuffer(usize),
}

/// The two request queues of the device.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Queue {
    /// Reads and SET_QUEUE_SIZE, served one at a time.
    Reads,
    /// Writes, XOFF counters and flush markers, served one at a time.
    Writes,
}

/// A request the engine holds.
#[derive(Debug)]
pub struct Held<R> {
    /// The request token.
    pub request: R,
    /// What it is for.
    pub purpose: Purpose,
    /// `unmark_cancelable` failed: the cancel callback owns the completion.
    pub cancel_pending: bool,
}

impl<R: Request> Held<R> {
    /// Wraps a request that has been marked cancelable.
    pub const fn new(request: R, purpose: Purpose) -> Self {
        Self {
            request,
            purpose,
            cancel_pending: false,
        }
    }

    /// Tries to take completion rights: `true` if the request may now be completed by the caller.
    /// On `false` the request must stay where it is until the cancel callback takes it.
    pub fn claim(&mut self) -> bool {
        if self.cancel_pending {
            return false;
        }
        if self.request.unmark_cancelable().is_ok() {
            true
        } else {
            self.cancel_pending = true;
            false
        }
    }
}

/// The heap could not supply room for a request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct OutOfMemory;

/// A FIFO of held requests.
#[derive(Debug)]
pub struct RequestQueue<R> {
    entries: VecDeque<Held<R>>,
}

impl<R> Default for RequestQueue<R> {
    fn default() -> Self {
        Self {
            entries: VecDeque::new(),
        }
    }
}

impl<R: Request> RequestQueue<R> {
    /// Makes room for one more request, so that the next [`Self::push_reserved`] cannot fail.
    ///
    /// # Errors
    /// When the queue cannot grow (no memory).
    pub fn reserve_one(&mut self) -> Result<(), OutOfMemory> {
        self.entries.try_reserve(1).map_err(|_| OutOfMemory)
    }

    /// Appends a request into room made by [`Self::reserve_one`] (no allocation then).
    pub fn push_reserved(&mut self, held: Held<R>) {
        self.entries.push_back(held);
    }

    /// Removes the oldest request so it can become current (it stays cancelable).
    pub fn pop_front(&mut self) -> Option<Held<R>> {
        self.entries.pop_front()
    }

    /// Removes the request with `id` (cancel callback path).
    pub fn remove_by_id(&mut self, id: RequestId) -> Option<Held<R>> {
        let position = self
            .entries
            .iter()
            .position(|held| held.request.id() == id)?;
        self.entries.remove(position)
    }

    /// Removes the first request matching `select` whose completion rights can be claimed.
    pub fn claim_first(&mut self, select: impl Fn(Purpose) -> bool) -> Option<Held<R>> {
        let position = self
            .entries
            .iter_mut()
            .position(|held| select(held.purpose) && held.claim())?;
        self.entries.remove(position)
    }

    /// True when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterates over the queued requests, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Held<R>> {
        self.entries.iter()
    }
}

/// How many completions one pass gathers before it must drop the lock and complete them: keeps
/// each DPC's work bounded; a DPC with more to do queues itself again.
pub const BATCH: usize = 8;

/// Room past a full batch for the completions a pass must still gather once its loops have
/// stopped: the request that ends a conclude step (a read or write whose outcome is decided, the
/// immediate character, a resize) before the next requests start. No pass gathers more than
/// three such; four is the margin.
pub const SPARE: usize = 4;

/// Completions gathered under the spin lock, delivered after it is released.
///
/// Fixed storage, so gathering a completion never allocates: a request the engine has accepted is
/// completed even when memory has run out. Loops that claim requests stop once
/// [`Completions::is_full`] says a batch is gathered, which bounds each DPC's work and leaves
/// [`SPARE`] slots for the conclude steps.
#[derive(Debug)]
pub struct Completions<R> {
    items: [Option<(R, NtStatus, usize)>; BATCH + SPARE],
    gathered: usize,
}

impl<R: Request> Default for Completions<R> {
    fn default() -> Self {
        Self {
            items: core::array::from_fn(|_| None),
            gathered: 0,
        }
    }
}

impl<R: Request> Completions<R> {
    /// True when a batch is gathered: claim nothing more in this pass.
    pub const fn is_full(&self) -> bool {
        self.gathered >= BATCH
    }

    /// Adds a completion of a request whose completion rights the caller holds.
    ///
    /// Never fails and never allocates. Should every slot be taken (no pass gathers that many),
    /// the request is completed at once rather than lost; the kernel model reports a completion
    /// under the spin lock as a violation, so any path that gets here fails the tests.
    pub fn push(&mut self, request: R, status: NtStatus, information: usize) {
        // Cancelled requests always report no data.
        let information = if status == NtStatus::CANCELLED {
            0
        } else {
            information
        };
        match self.items.get_mut(self.gathered) {
            Some(slot) => {
                *slot = Some((request, status, information));
                self.gathered = self.gathered.saturating_add(1);
            }
            None => request.complete(status, information),
        }
    }

    /// Completes every gathered request, oldest first. Call with no lock held.
    pub fn deliver(self) {
        for (request, status, information) in self.items.into_iter().flatten() {
            request.complete(status, information);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    extern crate std;

    use std::sync::{Arc, Mutex};
    use std::vec::Vec;

    use super::*;
    use crate::kernel::Cancelled;

    /// A request that records its completion.
    struct Recorded {
        id: u64,
        log: Arc<Mutex<Vec<(u64, NtStatus, usize)>>>,
    }

    impl Request for Recorded {
        fn id(&self) -> RequestId {
            RequestId(self.id)
        }
        fn input(&self) -> &[u8] {
            &[]
        }
        fn output(&mut self) -> &mut [u8] {
            &mut []
        }
        fn mark_cancelable(&mut self) -> Result<(), Cancelled> {
            Ok(())
        }
        fn unmark_cancelable(&mut self) -> Result<(), Cancelled> {
            Ok(())
        }
        fn complete(self, status: NtStatus, information: usize) {
            self.log
                .lock()
                .unwrap()
                .push((self.id, status, information));
        }
    }

    #[test]
    fn completions_past_a_full_batch_are_delivered_not_lost() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut done = Completions::default();
        let total = u64::try_from(BATCH).unwrap() + 3;
        for id in 0..total {
            let request = Recorded {
                id,
                log: Arc::clone(&log),
            };
            done.push(request, NtStatus::SUCCESS, 5);
        }
        assert!(done.is_full());
        done.deliver();
        let log = log.lock().unwrap();
        assert_eq!(log.len(), BATCH + 3);
        assert!(
            log.iter()
                .enumerate()
                .all(|(i, entry)| entry.0 == i as u64 && entry.2 == 5)
        );
    }

    #[test]
    fn a_completion_past_every_slot_is_completed_at_once_not_lost() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut done = Completions::default();
        let total = u64::try_from(BATCH + SPARE).unwrap() + 2;
        for id in 0..total {
            let request = Recorded {
                id,
                log: Arc::clone(&log),
            };
            done.push(request, NtStatus::SUCCESS, 1);
        }
        let early: Vec<u64> = log.lock().unwrap().iter().map(|entry| entry.0).collect();
        assert_eq!(early, [total - 2, total - 1]);
        done.deliver();
        assert_eq!(log.lock().unwrap().len(), BATCH + SPARE + 2);
    }

    #[test]
    fn cancelled_completions_carry_no_data() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let mut done = Completions::default();
        let request = Recorded {
            id: 1,
            log: Arc::clone(&log),
        };
        done.push(request, NtStatus::CANCELLED, 7);
        done.deliver();
        assert_eq!(log.lock().unwrap()[0], (1, NtStatus::CANCELLED, 0));
    }
}
