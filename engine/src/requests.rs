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
//! it always finds the request. Completion happens only after the lock is dropped.

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
    /// Appends a request.
    ///
    /// # Errors
    /// Hands the request back when the queue cannot grow (no memory).
    pub fn push(&mut self, held: Held<R>) -> Result<(), Held<R>> {
        if self.entries.try_reserve(1).is_err() {
            return Err(held);
        }
        self.entries.push_back(held);
        Ok(())
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

/// Completions gathered under the spin lock, delivered after it is released.
#[derive(Debug)]
pub struct Completions<R> {
    items: [Option<(R, NtStatus, usize)>; BATCH],
}

impl<R: Request> Default for Completions<R> {
    fn default() -> Self {
        Self {
            items: core::array::from_fn(|_| None),
        }
    }
}

impl<R: Request> Completions<R> {
    /// True when no more completions fit.
    pub fn is_full(&self) -> bool {
        self.items.iter().all(Option::is_some)
    }

    /// Adds a completion.
    ///
    /// # Errors
    /// Hands the request back when the batch is full; the caller keeps it in place and retries
    /// after delivering this batch.
    pub fn push(&mut self, request: R, status: NtStatus, information: usize) -> Result<(), R> {
        match self.items.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => {
                // Cancelled requests always report no data.
                let information = if status == NtStatus::CANCELLED {
                    0
                } else {
                    information
                };
                *slot = Some((request, status, information));
                Ok(())
            }
            None => Err(request),
        }
    }

    /// Completes every gathered request. Call with no lock held.
    pub fn deliver(self) {
        for (request, status, information) in self.items.into_iter().flatten() {
            request.complete(status, information);
        }
    }
}
