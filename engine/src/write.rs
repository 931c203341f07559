//! The write queue (serial-semantics.md §6, §11): writes, XOFF counters and flush markers, served in
//! order. A write completes when its last byte has been handed to the UART.

use serial_ioctl::{NtStatus, SerialXoffCounter, ev};

use crate::device::Device;
use crate::kernel::{DpcKind, Kernel, Request, RequestId, TimerKind};
use crate::requests::{Completions, Held, Purpose, Queue};
use crate::state::{CurrentWrite, Shared};
use crate::timeouts;

impl<K: Kernel> Device<K> {
    /// IRP_MJ_WRITE.
    ///
    /// IRQL: ≤ DISPATCH.
    pub fn write(&self, request: K::Request) {
        if let Err(status) = self.admit_io() {
            return Self::finish(request, status, 0);
        }
        if request.input().is_empty() {
            return Self::finish(request, NtStatus::SUCCESS, 0);
        }
        self.enqueue_write(request, Purpose::Write);
    }

    /// IRP_MJ_FLUSH_BUFFERS: completes once every earlier write has completed.
    ///
    /// IRQL: ≤ DISPATCH.
    pub fn flush(&self, request: K::Request) {
        if let Err(status) = self.admit_io() {
            return Self::finish(request, status, 0);
        }
        self.enqueue_write(request, Purpose::Flush);
    }

    /// Queues a write-queue entry and starts it if the queue was idle.
    pub(crate) fn enqueue_write(&self, request: K::Request, purpose: Purpose) {
        self.enqueue(request, purpose, Queue::Writes, |shared, done| {
            // A counting XOFF counter ends when another write or XOFF counter arrives.
            if matches!(purpose, Purpose::Write | Purpose::XoffCounter) {
                self.end_counting_xoff_counter(shared, done, NtStatus::SERIAL_MORE_WRITES);
            }
            self.start_writes(shared, done);
        });
    }

    /// Starts the next write-queue entries until one must wait.
    pub(crate) fn start_writes(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
    ) {
        while shared.current_write.is_none() && !done.is_full() {
            let Some(mut held) = shared.writes.pop_front() else {
                break;
            };
            let length = match held.purpose {
                Purpose::Flush => {
                    if held.claim() {
                        done.push(held.request, NtStatus::SUCCESS, 0);
                    } else {
                        shared.current_write = Some(CurrentWrite {
                            held,
                            staged: 0,
                            length: 0,
                            counting: false,
                            settled: None,
                        });
                    }
                    continue;
                }
                Purpose::XoffCounter => 1,
                _ => held.request.input().len(),
            };
            if let Some(total) = timeouts::write_total(&shared.timeouts, length) {
                timeouts::arm(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::WriteTotal,
                    total,
                );
            }
            let mut current = CurrentWrite {
                held,
                staged: 0,
                length,
                counting: false,
                settled: None,
            };
            let xoff_char = if current.held.purpose == Purpose::XoffCounter {
                serial_ioctl::decode::<SerialXoffCounter>(current.held.request.input())
                    .ok()
                    .map(|c| c.xoff_char)
            } else {
                None
            };
            self.sync(|s| {
                s.tx.begin(length);
                let staged = match xoff_char {
                    Some(byte) => s.tx.stage(&[byte]),
                    None => s.tx.stage(current.held.request.input()),
                };
                current.staged = staged;
                crate::hw::kick_transmitter(&self.kernel, s);
            });
            self.kernel.bytes_copied(current.staged);
            shared.current_write = Some(current);
            self.watch_transmitter(shared);
        }
        if shared.current_write.is_none() {
            if shared.writes.is_empty() {
                self.transmit_queue_empty(shared);
            } else {
                // Bounded work per pass: the DPC continues with the rest.
                self.kernel.insert_dpc(DpcKind::WriteComplete);
            }
        }
    }

    /// TXEMPTY: the driver's transmit queue ran dry after sending something since the wait was
    /// armed (serial-semantics.md §8.3).
    pub(crate) fn transmit_queue_empty(&self, shared: &Shared<K::Request>) {
        if shared.immediate.is_some() {
            return;
        }
        let wake =
            self.sync(|s| s.wait.emptied_transmit && crate::isr::raise_event(s, ev::TXEMPTY));
        if wake {
            self.kernel.insert_dpc(DpcKind::WaitComplete);
        }
    }

    /// Ends the current write-queue entry with `status`; starts the next before completing.
    fn conclude_write(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
        status: NtStatus,
        information: usize,
    ) {
        let Some(mut current) = shared.current_write.take() else {
            return;
        };
        if !current.held.claim() {
            current.settled = Some((status, information));
            shared.current_write = Some(current);
            return;
        }
        self.detach_write(shared);
        // Gathered before the next entries start, so flushes they complete cannot crowd it out.
        done.push(current.held.request, status, information);
        self.start_writes(shared, done);
    }

    /// Stops timers and the ISR's transmission of the leaving write; returns bytes already sent.
    fn detach_write(&self, shared: &mut Shared<K::Request>) -> usize {
        timeouts::disarm(&self.kernel, &mut shared.timers, TimerKind::WriteTotal);
        timeouts::disarm(&self.kernel, &mut shared.timers, TimerKind::XoffCounter);
        self.sync(|s| {
            s.xoff_counter_remaining = 0;
            s.tx.abort()
        })
    }

    fn end_counting_xoff_counter(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
        status: NtStatus,
    ) {
        if shared.current_write.as_ref().is_some_and(|c| c.counting) {
            self.conclude_write(shared, done, status, 0);
        }
    }

    /// WriteComplete DPC: the current write's bytes (or the immediate char) reached the UART, or a
    /// counting XOFF counter saw its characters.
    pub(crate) fn write_dpc(&self) {
        self.locked(|shared, done| {
            let (sent_all, immediate_done, counter_done) = self.sync(|s| {
                let sent_all = s.tx.done_pending;
                let immediate_done = core::mem::take(&mut s.tx.immediate_done);
                (sent_all, immediate_done, s.xoff_counter_remaining == 0)
            });
            if immediate_done
                && let Some(held) = shared.immediate.as_mut()
                && held.claim()
            {
                timeouts::disarm(&self.kernel, &mut shared.timers, TimerKind::ImmediateTotal);
                if let Some(held) = shared.immediate.take() {
                    done.push(held.request, NtStatus::SUCCESS, 0);
                }
            }
            let Some(current) = shared.current_write.as_mut() else {
                return self.start_writes(shared, done);
            };
            if current.held.cancel_pending {
                return;
            }
            if current.counting {
                if counter_done {
                    self.conclude_write(shared, done, NtStatus::SUCCESS, 0);
                }
                return;
            }
            if !sent_all {
                return;
            }
            if current.held.purpose == Purpose::XoffCounter {
                self.start_counting(shared, done);
            } else {
                let length = current.length;
                self.conclude_write(shared, done, NtStatus::SUCCESS, length);
            }
        });
    }

    /// The XOFF character of an XOFF counter went out: count received characters from now on.
    fn start_counting(&self, shared: &mut Shared<K::Request>, done: &mut Completions<K::Request>) {
        let Some(current) = shared.current_write.as_mut() else {
            return;
        };
        let Ok(counter) = serial_ioctl::decode::<SerialXoffCounter>(current.held.request.input())
        else {
            return self.conclude_write(shared, done, NtStatus::INVALID_PARAMETER, 0);
        };
        current.counting = true;
        timeouts::disarm(&self.kernel, &mut shared.timers, TimerKind::WriteTotal);
        self.sync(|s| {
            s.tx.abort();
            s.xoff_counter_remaining = counter.counter;
        });
        if counter.timeout != 0 {
            timeouts::arm(
                &self.kernel,
                &mut shared.timers,
                TimerKind::XoffCounter,
                crate::kernel::Duration::from_millis(u64::from(counter.timeout)),
            );
        }
        // The write queue may hold more: a later write ends the counter.
        if !shared.writes.is_empty() {
            self.conclude_write(shared, done, NtStatus::SERIAL_MORE_WRITES, 0);
        }
    }

    /// TransmitRefill DPC: stage the next chunk of the current write.
    pub(crate) fn refill_dpc(&self) {
        self.with_shared(|shared| {
            let Some(current) = shared.current_write.as_mut() else {
                self.sync(|s| s.tx.refill_requested = false);
                return;
            };
            if current.counting || current.held.purpose != Purpose::Write {
                return;
            }
            let from = current.staged;
            let staged = self.sync(|s| {
                s.tx.refill_requested = false;
                if !s.tx.active {
                    return 0;
                }
                let staged = current
                    .held
                    .request
                    .input()
                    .get(from..)
                    .map_or(0, |rest| s.tx.stage(rest));
                crate::hw::kick_transmitter(&self.kernel, s);
                staged
            });
            self.kernel.bytes_copied(staged);
            current.staged = current.staged.saturating_add(staged);
        });
    }

    /// The write's total timeout: complete with the bytes already handed to the UART.
    pub(crate) fn write_total_expired(&self) {
        self.locked(|shared, done| {
            if !timeouts::expired(&self.kernel, &mut shared.timers, TimerKind::WriteTotal) {
                return;
            }
            let Some(current) = shared.current_write.as_ref() else {
                return;
            };
            let counter = current.held.purpose == Purpose::XoffCounter;
            let length = current.length;
            // Stopping the ISR and reading how far it got is one interrupt-synchronized step (as
            // for a cancel): a byte handed over between a separate read and the stop would be
            // sent but not counted, and a write whose last byte went out would say TIMEOUT.
            let sent = self.sync(|s| {
                s.xoff_counter_remaining = 0;
                s.tx.abort()
            });
            let (status, information) = match (counter, sent >= length) {
                (true, _) => (NtStatus::TIMEOUT, 0),
                (false, true) => (NtStatus::SUCCESS, length),
                (false, false) => (NtStatus::TIMEOUT, sent),
            };
            self.conclude_write(shared, done, status, information);
        });
    }

    /// The XOFF counter's own timeout.
    pub(crate) fn xoff_counter_expired(&self) {
        self.locked(|shared, done| {
            if !timeouts::expired(&self.kernel, &mut shared.timers, TimerKind::XoffCounter) {
                return;
            }
            self.end_counting_xoff_counter(shared, done, NtStatus::SERIAL_COUNTER_TIMEOUT);
        });
    }

    /// Cancel callback for the write queue: true if `id` was there.
    pub(crate) fn cancel_write(
        &self,
        shared: &mut Shared<K::Request>,
        id: RequestId,
        done: &mut Completions<K::Request>,
    ) -> bool {
        if shared
            .current_write
            .as_ref()
            .is_some_and(|c| c.held.request.id() == id)
        {
            if let Some(current) = shared.current_write.take() {
                // Stopping the ISR and reading how far it got is one interrupt-synchronized step:
                // a write whose bytes all reached the UART (the ISR got there first) succeeded.
                let sent = self.detach_write(shared);
                let all_sent = current.held.purpose == Purpose::Write && sent >= current.length;
                let (status, information) = match current.settled {
                    Some(outcome) => outcome,
                    None if all_sent => (NtStatus::SUCCESS, current.length),
                    None => (NtStatus::CANCELLED, 0),
                };
                done.push(current.held.request, status, information);
                self.start_writes(shared, done);
            }
            return true;
        }
        if let Some(held) = shared.writes.remove_by_id(id) {
            done.push(held.request, NtStatus::CANCELLED, 0);
            return true;
        }
        false
    }

    /// Ends the current and queued writes and XOFF counters with `status` (TXABORT, error abort,
    /// cleanup; surprise removal; flush markers too when `include_flushes`). One batch; true if
    /// more remain.
    pub(crate) fn abort_writes(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
        include_flushes: bool,
        status: NtStatus,
    ) -> bool {
        let selected = move |p: Purpose| include_flushes || p != Purpose::Flush;
        if let Some(current) = shared.current_write.as_mut()
            && selected(current.held.purpose)
            && !done.is_full()
            && current.held.claim()
            && let Some(current) = shared.current_write.take()
        {
            self.detach_write(shared);
            done.push(current.held.request, status, 0);
        }
        while !done.is_full() {
            let Some(held) = shared.writes.claim_first(selected) else {
                break;
            };
            done.push(held.request, status, 0);
        }
        // Whatever did not fit in this batch (the current entry included) needs another pass.
        let unclaimed = |held: &Held<K::Request>| !held.cancel_pending && selected(held.purpose);
        let more = shared.writes.iter().any(unclaimed)
            || shared
                .current_write
                .as_ref()
                .is_some_and(|c| unclaimed(&c.held));
        if !more {
            self.start_writes(shared, done);
        }
        more
    }
}
