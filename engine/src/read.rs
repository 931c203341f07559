//! The read path (serial-semantics.md §5): reads are served one at a time, first from the typeahead
//! ring, then from arrivals signalled by the ISR, under the SERIAL_TIMEOUTS sampled when the read
//! becomes current.

use serial_ioctl::NtStatus;

use crate::device::Device;
use crate::flow_control;
use crate::kernel::{DpcKind, Kernel, Request, RequestId, TimerKind, WorkItemKind};
use crate::requests::{Completions, Held, Purpose, Queue};
use crate::state::{CurrentRead, Shared};
use crate::timeouts::{self, ReadPlan};

/// Bytes one pass copies from the ring into a read under the interrupt lock: keeps the time at
/// DIRQL bounded however large SET_QUEUE_SIZE made the ring (the default ring fits in one pass).
pub const MAX_COPY_PER_PASS: usize = 4096;

/// What to do with the current read after bytes were moved into it.
enum Verdict {
    Keep,
    Complete(NtStatus),
}

impl<K: Kernel> Device<K> {
    /// IRP_MJ_READ.
    ///
    /// IRQL: ≤ DISPATCH.
    pub fn read(&self, mut request: K::Request) {
        if let Err(status) = self.admit_io() {
            return Self::finish(request, status, 0);
        }
        if request.output().is_empty() {
            return Self::finish(request, NtStatus::SUCCESS, 0);
        }
        self.enqueue_read(request, Purpose::Read);
    }

    /// Queues a request on the read queue (reads and SET_QUEUE_SIZE) and starts it if idle.
    pub(crate) fn enqueue_read(&self, request: K::Request, purpose: Purpose) {
        self.enqueue(request, purpose, Queue::Reads, |shared, done| {
            self.start_reads(shared, done);
        });
    }

    /// Makes queued reads current until one has to wait (or the batch is full).
    pub(crate) fn start_reads(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
    ) {
        while shared.current_read.is_none() && shared.resizing.is_none() && !done.is_full() {
            let Some(mut held) = shared.reads.pop_front() else {
                return;
            };
            if let Purpose::ResizeReceiveBuffer(_) = held.purpose {
                shared.resizing = Some(held);
                // A work item still queued from a cancelled resize serves this one.
                if !core::mem::replace(&mut shared.resize_queued, true) {
                    self.kernel
                        .queue_work_item(WorkItemKind::ResizeReceiveBuffer);
                }
                return;
            }
            let length = held.request.output().len();
            let plan = timeouts::read_plan(&shared.timeouts, length);
            let window = length.min(MAX_COPY_PER_PASS);
            let copied = self.sync(|s| {
                let n = held
                    .request
                    .output()
                    .get_mut(..window)
                    .map_or(0, |out| s.rx.pop_into(out));
                flow_control::after_drain(&self.kernel, s);
                n
            });
            self.kernel.bytes_copied(copied);
            let (target, total, interval) = match plan {
                ReadPlan::ReturnBuffered => (copied, None, None),
                ReadPlan::FirstByte { .. } | ReadPlan::BufferedOrTotal { .. } if copied > 0 => {
                    (copied, None, None)
                }
                ReadPlan::FirstByte { total } => (1, Some(total), None),
                ReadPlan::BufferedOrTotal { total } => (length, Some(total), None),
                ReadPlan::Normal { total, interval } => (length, total, interval),
            };
            let mut current = CurrentRead {
                held,
                copied,
                target,
                interval,
                settled: None,
            };
            if copied >= target {
                if current.held.claim() {
                    done.push(current.held.request, NtStatus::SUCCESS, copied);
                } else {
                    current.settled = Some(NtStatus::SUCCESS);
                    shared.current_read = Some(current);
                }
                continue;
            }
            if let Some(total) = total {
                timeouts::arm(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::ReadTotal,
                    total,
                );
            }
            if let (Some(interval), true) = (interval, copied > 0) {
                // Bytes already buffered count as arrivals: the interval runs from now.
                timeouts::arm(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::ReadInterval,
                    interval,
                );
            }
            self.signal_isr(&mut current, copied > 0);
            shared.current_read = Some(current);
        }
        if done.is_full() && shared.current_read.is_none() && !shared.reads.is_empty() {
            // Bounded work per pass: the DPC continues with the rest.
            self.kernel.insert_dpc(DpcKind::ReadComplete);
        }
    }

    /// Tells the ISR how many bytes the current read still needs.
    fn signal_isr(&self, current: &mut CurrentRead<K::Request>, interval_running: bool) {
        let wanted = current.target.saturating_sub(current.copied);
        let wake_on_arrival = current.interval.is_some() && !interval_running;
        let ready = self.sync(|s| {
            s.read.wanted = wanted;
            s.read.wake_on_arrival = wake_on_arrival;
            // Bytes that arrived between the copy and now would otherwise wait for the next one.
            let ready = !s.rx.is_empty() && !s.read.dpc_requested;
            if ready {
                s.read.dpc_requested = true;
            }
            ready
        });
        if ready {
            self.kernel.insert_dpc(DpcKind::ReadComplete);
        }
    }

    /// Moves buffered bytes into the current read, at most [`MAX_COPY_PER_PASS`] when `bounded`
    /// (the DPC path; what is left wakes the DPC again). Returns (bytes moved, last arrival time).
    fn fill_current(
        &self,
        current: &mut CurrentRead<K::Request>,
        bounded: bool,
    ) -> (usize, crate::kernel::Instant) {
        let from = current.copied;
        let to = if bounded {
            current.target.min(from.saturating_add(MAX_COPY_PER_PASS))
        } else {
            current.target
        };
        let (moved, last) = self.sync(|s| {
            s.read.dpc_requested = false;
            let moved = match current.held.request.output().get_mut(from..to) {
                Some(window) => s.rx.pop_into(window),
                None => 0,
            };
            flow_control::after_drain(&self.kernel, s);
            (moved, s.read.last_arrival)
        });
        self.kernel.bytes_copied(moved);
        current.copied = current.copied.saturating_add(moved);
        (moved, last)
    }

    /// Finishes the current read with `status`, starts the next one first, then completes it.
    fn conclude_read(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
        status: NtStatus,
    ) {
        let Some(mut current) = shared.current_read.take() else {
            return;
        };
        if !current.held.claim() {
            // The cancel callback owns it now; it will find it here and complete it as decided.
            current.settled = Some(status);
            shared.current_read = Some(current);
            return;
        }
        self.detach_read(shared);
        // Gathered before the next reads start, so a batch they fill cannot crowd it out.
        let copied = current.copied;
        done.push(current.held.request, status, copied);
        self.start_reads(shared, done);
    }

    /// Stops timers and ISR signalling for the read that is leaving.
    fn detach_read(&self, shared: &mut Shared<K::Request>) {
        timeouts::disarm(&self.kernel, &mut shared.timers, TimerKind::ReadTotal);
        timeouts::disarm(&self.kernel, &mut shared.timers, TimerKind::ReadInterval);
        self.sync(|s| {
            s.read.wanted = 0;
            s.read.wake_on_arrival = false;
        });
    }

    /// ReadComplete DPC: the ISR stored bytes a read is waiting for.
    pub(crate) fn read_dpc(&self) {
        self.locked(|shared, done| {
            // Cleared first, so an arrival after this point queues the DPC again.
            self.sync(|s| s.read.dpc_requested = false);
            let Some(current) = shared.current_read.as_mut() else {
                return self.start_reads(shared, done);
            };
            if current.held.cancel_pending {
                return;
            }
            let (moved, last_arrival) = self.fill_current(current, true);
            if current.copied >= current.target {
                return self.conclude_read(shared, done, NtStatus::SUCCESS);
            }
            let interval = current.interval;
            let interval_armed = shared.timers.slot(TimerKind::ReadInterval).is_some();
            if let (Some(interval), true) = (interval, moved > 0 && !interval_armed) {
                timeouts::arm_at(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::ReadInterval,
                    last_arrival.saturating_add(interval),
                );
            }
            if let Some(current) = shared.current_read.as_mut() {
                let running = interval.is_some() && (interval_armed || moved > 0);
                self.signal_isr(current, running);
            }
        });
    }

    /// The read's total timeout.
    pub(crate) fn read_total_expired(&self) {
        self.locked(|shared, done| {
            if !timeouts::expired(&self.kernel, &mut shared.timers, TimerKind::ReadTotal) {
                return;
            }
            let Some(current) = shared.current_read.as_mut() else {
                return;
            };
            self.fill_current(current, false);
            let status = if current.copied >= current.target {
                NtStatus::SUCCESS
            } else {
                NtStatus::TIMEOUT
            };
            self.conclude_read(shared, done, status);
        });
    }

    /// The read's interval timeout: expires only if no byte arrived for the whole interval.
    pub(crate) fn read_interval_expired(&self) {
        self.locked(|shared, done| {
            if !timeouts::expired(&self.kernel, &mut shared.timers, TimerKind::ReadInterval) {
                return;
            }
            let Some(current) = shared.current_read.as_mut() else {
                return;
            };
            let Some(interval) = current.interval else {
                return;
            };
            let (_, last_arrival) = self.fill_current(current, false);
            let verdict = if current.copied >= current.target {
                Verdict::Complete(NtStatus::SUCCESS)
            } else if self.kernel.now() >= last_arrival.saturating_add(interval) {
                Verdict::Complete(NtStatus::TIMEOUT)
            } else {
                Verdict::Keep
            };
            match verdict {
                Verdict::Complete(status) => self.conclude_read(shared, done, status),
                Verdict::Keep => {
                    // A byte arrived since the timer was armed: run again from that arrival.
                    timeouts::arm_at(
                        &self.kernel,
                        &mut shared.timers,
                        TimerKind::ReadInterval,
                        last_arrival.saturating_add(interval),
                    );
                }
            }
        });
    }

    /// Cancel callback for a read: true if `id` was a read.
    pub(crate) fn cancel_read(
        &self,
        shared: &mut Shared<K::Request>,
        id: RequestId,
        done: &mut Completions<K::Request>,
    ) -> bool {
        if shared
            .current_read
            .as_ref()
            .is_some_and(|c| c.held.request.id() == id)
        {
            if let Some(current) = shared.current_read.take() {
                self.detach_read(shared);
                // A read that was already complete when the cancel came keeps its data.
                let (status, information) = match current.settled {
                    Some(status) => (status, current.copied),
                    None => (NtStatus::CANCELLED, 0),
                };
                done.push(current.held.request, status, information);
                self.start_reads(shared, done);
            }
            return true;
        }
        if let Some(held) = shared.reads.remove_by_id(id) {
            done.push(held.request, NtStatus::CANCELLED, 0);
            return true;
        }
        false
    }

    /// Ends the current and queued reads with `status` (RXABORT, error abort and cleanup cancel;
    /// surprise removal says DELETE_PENDING). Gathers at most one batch; returns true if
    /// requests remain for another pass.
    pub(crate) fn abort_reads(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
        status: NtStatus,
    ) -> bool {
        if let Some(current) = shared.current_read.as_mut()
            && !done.is_full()
            && current.held.claim()
            && let Some(current) = shared.current_read.take()
        {
            self.detach_read(shared);
            done.push(current.held.request, status, 0);
        }
        while !done.is_full() {
            let Some(held) = shared
                .reads
                .claim_first(|p| matches!(p, Purpose::Read | Purpose::ResizeReceiveBuffer(_)))
            else {
                break;
            };
            done.push(held.request, status, 0);
        }
        if let Some(held) = shared.resizing.as_mut()
            && !done.is_full()
            && held.claim()
            && let Some(held) = shared.resizing.take()
        {
            done.push(held.request, status, 0);
        }
        // Whatever did not fit in this batch (the current read included) needs another pass.
        let unclaimed = |held: &Held<K::Request>| !held.cancel_pending;
        shared.reads.iter().any(unclaimed)
            || shared
                .current_read
                .as_ref()
                .is_some_and(|c| unclaimed(&c.held))
            || shared.resizing.as_ref().is_some_and(unclaimed)
    }
}
