//! Wait-on-mask (serial-semantics.md §8): SET/GET_WAIT_MASK, WAIT_ON_MASK, the WaitComplete DPC.

use serial_ioctl::{NtStatus, ev};

use crate::device::Device;
use crate::kernel::{Kernel, Request};
use crate::requests::{Completions, Held, Purpose};
use crate::state::Shared;

/// Information of a completed wait: the event mask.
const MASK_SIZE: usize = 4;

impl<K: Kernel> Device<K> {
    /// IOCTL_SERIAL_SET_WAIT_MASK: completes a pending wait with mask 0, keeps history still of
    /// interest, arms the new mask.
    pub(crate) fn set_wait_mask(&self, mask: u32) -> Result<usize, NtStatus> {
        if mask & !ev::VALID_MASK != 0 {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        self.locked(|shared, done| {
            self.complete_wait(shared, done, Some(0));
            self.sync(|s| {
                s.wait.history &= mask;
                s.wait.armed = mask;
            });
        });
        Ok(0)
    }

    /// IOCTL_SERIAL_WAIT_ON_MASK: completes at once from history, else pends (one at a time).
    pub(crate) fn wait_on_mask(&self, mut request: K::Request) {
        let registered = self.locked(|shared, done| {
            if let Some(status) = self.refusal(shared) {
                return Err((request, status, 0));
            }
            if shared.wait.is_some() {
                return Err((request, NtStatus::INVALID_PARAMETER, 0));
            }
            // One interrupt-synchronized step decides between "complete from history" and
            // "pend": an ISR event can no longer fall between the check and the pending flag.
            // An event after it queues WaitComplete, which waits for this spin lock and so finds
            // the wait in place.
            let history = self.sync(|s| {
                if s.wait.armed == 0 {
                    return Err(NtStatus::INVALID_PARAMETER);
                }
                if s.wait.history != 0 {
                    return Ok(Some(core::mem::take(&mut s.wait.history)));
                }
                s.wait.wait_pending = true;
                s.wait.emptied_transmit = false;
                Ok(None)
            });
            match history {
                Err(status) => Err((request, status, 0)),
                Ok(Some(mask)) => {
                    let _ = serial_ioctl::encode(&mask, request.output());
                    Err((request, NtStatus::SUCCESS, MASK_SIZE))
                }
                Ok(None) => {
                    if request.mark_cancelable().is_err() {
                        self.sync(|s| s.wait.wait_pending = false);
                        return Err((request, NtStatus::CANCELLED, 0));
                    }
                    shared.wait = Some(Held::new(request, Purpose::Read));
                    let _ = done;
                    Ok(())
                }
            }
        });
        if let Err((request, status, information)) = registered {
            Self::finish(request, status, information);
        }
    }

    /// Completes the pending wait with `mask` (`None`: with the history, if any).
    pub(crate) fn complete_wait(
        &self,
        shared: &mut Shared<K::Request>,
        done: &mut Completions<K::Request>,
        mask: Option<u32>,
    ) {
        let Some(held) = shared.wait.as_mut() else {
            return;
        };
        if mask.is_none() && self.sync(|s| s.wait.history == 0) {
            return;
        }
        if done.is_full() || !held.claim() {
            return;
        }
        let Some(mut held) = shared.wait.take() else {
            return;
        };
        let reported = self.sync(|s| {
            s.wait.wait_pending = false;
            match mask {
                Some(mask) => mask,
                None => core::mem::take(&mut s.wait.history),
            }
        });
        let _ = serial_ioctl::encode(&reported, held.request.output());
        done.push(held.request, NtStatus::SUCCESS, MASK_SIZE);
    }

    /// WaitComplete DPC: an armed event occurred while a wait was pending.
    pub(crate) fn wait_dpc(&self) {
        self.locked(|shared, done| self.complete_wait(shared, done, None));
    }
}
