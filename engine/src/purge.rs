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
                    more |= self.abort_writes(shared, done, false);
                }
                if mask & purge::RXABORT != 0 {
                    more |= self.abort_reads(shared, done);
                }
                more
            });
            if !more {
                break;
            }
        }
        if mask & purge::RXCLEAR != 0 {
            self.sync(|s| {
                s.rx.clear();
                crate::flow_control::after_drain(&self.kernel, s);
            });
        }
        // TXCLEAR: the driver keeps no transmit data that is not part of a pending write (writes
        // complete only when their bytes reach the UART), so there is nothing else to discard.
        // Information stays 0: PURGE has no output buffer for the I/O manager to copy into.
        Ok(0)
    }

    /// ErrorAbort DPC: a line error with ERROR_ABORT on cancels every read and write.
    pub(crate) fn error_abort_dpc(&self) {
        let more = self.locked(|shared, done| {
            let reads = self.abort_reads(shared, done);
            let writes = self.abort_writes(shared, done, false);
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
