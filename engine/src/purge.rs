//! IOCTL_SERIAL_PURGE (serial-semantics.md §7) and error abort (§9.2).

use serial_ioctl::{NtStatus, purge};

use crate::device::Device;
use crate::kernel::{DpcKind, Kernel};

impl<K: Kernel> Device<K> {
    /// Purges as `mask` says. Purged requests complete STATUS_CANCELLED on their own; a pending
    /// wait is never touched.
    pub(crate) fn purge(&self, mask: u32) -> Result<usize, NtStatus> {
        if mask == 0 || mask & !purge::VALID_MASK != 0 {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        loop {
            let more = self.locked(|shared, done| {
                let mut more = false;
                if mask & purge::TXABORT != 0 {
                    more |= self.abort_writes(shared, done, false, NtStatus::CANCELLED);
                }
                if mask & purge::RXABORT != 0 {
                    more |= self.abort_reads(shared, done, NtStatus::CANCELLED);
                }
                more
            });
            if !more {
                break;
            }
        }
        if mask & purge::RXCLEAR != 0 {
            self.sync(|s| {
                // Bytes received for the current read are its data (serial.sys has already put
                // them in its buffer); only the typeahead beyond them is discarded.
                s.rx.truncate(s.read.wanted);
                crate::flow_control::after_drain(&self.kernel, s);
            });
        }
        // TXCLEAR: the driver keeps no transmit data that is not part of a pending write (writes
        // complete only when their bytes reach the UART), so there is nothing else to discard.
        // Information stays 0: PURGE has no output buffer for the I/O manager to copy into.
        Ok(0)
    }

    /// Called under the spin lock right after a read or write was queued: if an error latched
    /// under ERROR_ABORT since the request passed the dispatch gate, the ErrorAbort DPC may
    /// already have run without seeing it, so cancel as the DPC does. True if it did.
    pub(crate) fn abort_if_error_latched(
        &self,
        shared: &mut crate::state::Shared<K::Request>,
        done: &mut crate::requests::Completions<K::Request>,
    ) -> bool {
        let blocked = self.sync(|s| s.error_abort_blocked());
        if blocked {
            let reads = self.abort_reads(shared, done, NtStatus::CANCELLED);
            let writes = self.abort_writes(shared, done, false, NtStatus::CANCELLED);
            if reads || writes {
                self.kernel.insert_dpc(DpcKind::ErrorAbort);
            }
        }
        blocked
    }

    /// ErrorAbort DPC: a line error with ERROR_ABORT on cancels every read and write.
    pub(crate) fn error_abort_dpc(&self) {
        let more = self.locked(|shared, done| {
            let reads = self.abort_reads(shared, done, NtStatus::CANCELLED);
            let writes = self.abort_writes(shared, done, false, NtStatus::CANCELLED);
            reads || writes
        });
        if more {
            // Bounded work per DPC: continue in a fresh run.
            self.kernel.insert_dpc(DpcKind::ErrorAbort);
        } else {
            self.sync(|s| s.abort_requested = false);
        }
    }
}
