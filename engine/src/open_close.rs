//! Create, cleanup, close, power and the presence probe (serial-semantics.md §14).

use core::sync::atomic::Ordering;

use serial_ioctl::{NtStatus, hold};

use crate::device::Device;
use crate::hw;
use crate::kernel::{Duration, Kernel, Register, TimerKind};
use crate::ring::RingBuffer;
use crate::uart::{
    FCR_RX_RESET, FCR_TX_RESET, IER_ALL, LCR_BREAK, LCR_DLAB, LSR_DR, LSR_TEMT, LSR_THRE, MCR_DTR,
    MCR_OUT2, MCR_RTS,
};

/// Ring sizes tried at open, largest first (serial.sys steps down when memory is short).
const RING_SIZES: [usize; 3] = [4096, 1024, 128];

/// Character times close waits for the transmitter to drain: a working 16550 empties its
/// 16-byte FIFO and shift register in 17 (it does no flow control of its own), so one that has
/// not drained by then is stuck and close goes on without it.
const CLOSE_DRAIN_CHARACTERS: u32 = 18;

impl<K: Kernel> Device<K> {
    /// Is a 16550 at the port? Writes IER and the divisor latch and checks they are distinct
    /// registers (serial.sys's presence probe), then leaves interrupts disabled.
    ///
    /// IRQL: PASSIVE, before the interrupt is connected.
    pub fn probe_hardware(&self) -> bool {
        self.sync(|_| {
            let k = &self.kernel;
            k.write_register(Register::LineControl, 0x03);
            k.write_register(Register::InterruptEnable, 0x0F);
            let ier = k.read_register(Register::InterruptEnable);
            k.write_register(Register::LineControl, 0x03 | LCR_DLAB);
            k.write_register(Register::Data, 0x12);
            k.write_register(Register::InterruptEnable, 0x34);
            let dll = k.read_register(Register::Data);
            let dlm = k.read_register(Register::InterruptEnable);
            k.write_register(Register::LineControl, 0x03);
            let ier_again = k.read_register(Register::InterruptEnable);
            k.write_register(Register::InterruptEnable, 0);
            ier & 0x0F == 0x0F && ier_again & 0x0F == 0x0F && dll == 0x12 && dlm == 0x34
        })
    }

    /// IRP_MJ_CREATE: exclusive open. Allocates the ring, resets per-open state and programs the
    /// UART (FIFOs, line control, divisor, lines, IER, OUT2).
    ///
    /// IRQL: PASSIVE.
    pub fn create(&self) -> NtStatus {
        if let Some(status) = self.failure() {
            return status;
        }
        let (open, wanted) = self.with_shared(|shared| (shared.open, shared.rx_buffer_size));
        if open {
            return NtStatus::ACCESS_DENIED;
        }
        let ring = core::iter::once(wanted)
            .chain(RING_SIZES.into_iter().filter(|&size| size < wanted))
            .find_map(|size| RingBuffer::with_capacity(size).ok());
        let Some(ring) = ring else {
            return NtStatus::INSUFFICIENT_RESOURCES;
        };
        let size = ring.capacity();
        let xon_limit = i32::try_from(size / 2).unwrap_or(i32::MAX);
        let xoff_limit = i32::try_from(size / 8).unwrap_or(i32::MAX);
        let accepted = self.with_shared(|shared| {
            let accepted = !core::mem::replace(&mut shared.open, true);
            if accepted {
                shared.accepting = true;
            }
            accepted
        });
        if !accepted {
            return NtStatus::ACCESS_DENIED;
        }
        // Line control, divisor, handflow and special characters persist in the interrupt state;
        // everything else is per open.
        let stale = self.sync(|s| {
            let stale = core::mem::replace(&mut s.rx, ring);
            s.handflow.xon_limit = xon_limit;
            s.handflow.xoff_limit = xoff_limit;
            s.read = crate::state::ReadSignal::default();
            s.tx = crate::transmit::TransmitState::default();
            s.wait = crate::state::WaitState::default();
            s.flow = crate::state::FlowState::default();
            s.errors = 0;
            s.stats = serial_ioctl::SerialPerfStats::default();
            s.xoff_counter_remaining = 0;
            s.abort_requested = false;
            self.reset_hardware(s);
            s.open = true;
            stale
        });
        drop(stale);
        NtStatus::SUCCESS
    }

    /// Programs the UART from the shadow state: FIFOs reset and enabled, break cleared, stale
    /// receive data and modem deltas discarded, line control, divisor, lines, IER and OUT2.
    pub(crate) fn reset_hardware(&self, s: &mut crate::state::IsrState) {
        let k = &self.kernel;
        // Reprogramming ends a recovery mask (OUT2 is written below).
        s.health.masked = false;
        k.write_register(
            Register::InterruptIdFifoControl,
            s.fcr | FCR_RX_RESET | FCR_TX_RESET,
        );
        let lcr = s.lcr & !LCR_BREAK;
        hw::write_lcr(k, s, lcr);
        hw::write_divisor(k, s, s.divisor);
        for _ in 0..32 {
            if k.read_register(Register::LineStatus) & LSR_DR == 0 {
                break;
            }
            k.read_register(Register::Data);
        }
        s.msr = k.read_register(Register::ModemStatus);
        crate::flow_control::apply_lines(k, s, None);
        crate::flow_control::update_line_holds(s, s.msr);
        let mcr = s.mcr | MCR_OUT2;
        hw::write_mcr(k, s, mcr);
        s.ier = IER_ALL;
        s.tx.idle = false;
        k.write_register(Register::InterruptEnable, 0);
        k.write_register(Register::InterruptEnable, IER_ALL);
    }

    /// IRP_MJ_CLEANUP (last handle closed): cancels every request the port holds.
    ///
    /// IRQL: PASSIVE.
    pub fn cleanup(&self) {
        // Under the spin lock every holding path takes: a request held before this is ended
        // below; one arriving after is refused.
        self.with_shared(|shared| shared.accepting = false);
        self.end_every_request(NtStatus::CANCELLED);
    }

    /// Surprise removal (EvtDeviceSurpriseRemoval): the UART is gone. Every held request
    /// completes STATUS_DELETE_PENDING, and so does every later read, write, flush, IOCTL and
    /// information request; cleanup and close still work, so the handle closes.
    ///
    /// IRQL: PASSIVE.
    pub fn surprise_removed(&self) {
        // Set under the spin lock: a request queued before this is held and ended below; one
        // queued after sees the flag (every queueing path reads it under the same lock).
        self.with_shared(|_| self.set_failure(NtStatus::DELETE_PENDING));
        self.end_every_request(NtStatus::DELETE_PENDING);
    }

    /// Records that the device cannot work; the first failure's status stays. Call with the spin
    /// lock held.
    pub(crate) fn set_failure(&self, status: NtStatus) {
        let _ = self
            .failure
            .compare_exchange(0, status.0, Ordering::AcqRel, Ordering::Acquire);
    }

    /// The status every request completes with once the device failed or was removed.
    pub(crate) fn failure(&self) -> Option<NtStatus> {
        match self.failure.load(Ordering::Acquire) {
            0 => None,
            status => Some(NtStatus(status)),
        }
    }

    /// Completes every request the port holds with `status`, in bounded batches.
    pub(crate) fn end_every_request(&self, status: NtStatus) {
        loop {
            let more = self.locked(|shared, done| {
                let reads = self.abort_reads(shared, done, status);
                let writes = self.abort_writes(shared, done, true, status);
                for slot in [&mut shared.wait, &mut shared.immediate] {
                    if let Some(held) = slot.as_mut()
                        && !done.is_full()
                        && held.claim()
                        && let Some(held) = slot.take()
                    {
                        done.push(held.request, status, 0);
                    }
                }
                let leftovers = shared.wait.as_ref().is_some_and(|h| !h.cancel_pending)
                    || shared.immediate.as_ref().is_some_and(|h| !h.cancel_pending);
                if shared.wait.is_none() {
                    self.sync(|s| s.wait.wait_pending = false);
                }
                if shared.immediate.is_none() {
                    crate::timeouts::disarm(
                        &self.kernel,
                        &mut shared.timers,
                        TimerKind::ImmediateTotal,
                    );
                    self.sync(|s| s.tx.immediate = None);
                }
                reads || writes || leftovers
            });
            if !more {
                break;
            }
        }
    }

    /// IRP_MJ_CLOSE: stop servicing, drain the transmitter, disable the UART, drop DTR and RTS,
    /// release the ring.
    ///
    /// IRQL: PASSIVE.
    pub fn close(&self) {
        let char_time = self.sync(|s| {
            s.open = false;
            let lcr = s.lcr & !LCR_BREAK;
            hw::write_lcr(&self.kernel, s, lcr);
            s.flow.tx_holds &= !hold::TX_WAITING_ON_BREAK;
            crate::line::character_time(s.lcr, s.divisor, self.config.clock_hz)
        });
        // A failed UART may never drain: do not wait for it.
        let drained = self.failure().is_none() && self.wait_for_transmitter(char_time);
        let xoff_sent = self.sync(|s| {
            hw::write_mcr(&self.kernel, s, s.mcr & !MCR_OUT2);
            s.ier = 0;
            self.kernel.write_register(Register::InterruptEnable, 0);
            self.kernel
                .write_register(Register::InterruptIdFifoControl, 0);
            s.flow.rx_holds & hold::TX_WAITING_XOFF_SENT != 0
        });
        if xoff_sent && drained {
            // Release a peer we stopped, so it is not left waiting for an XON forever.
            self.sync(|s| self.kernel.write_register(Register::Data, s.chars.xon_char));
            self.wait_for_transmitter(char_time);
        }
        self.kernel.delay(Duration::from_100ns(
            char_time.as_100ns().saturating_mul(10),
        ));
        self.flush_error_log();
        let stale = self.locked(|shared, _| {
            for kind in TimerKind::ALL {
                crate::timeouts::disarm(&self.kernel, &mut shared.timers, kind);
            }
            shared.open = false;
            self.sync(|s| {
                let mcr = s.mcr & !(MCR_DTR | MCR_RTS);
                hw::write_mcr(&self.kernel, s, mcr);
                s.flow.tx_holds = 0;
                s.flow.rx_holds = 0;
                s.read = crate::state::ReadSignal::default();
                core::mem::replace(&mut s.rx, RingBuffer::empty())
            })
        });
        drop(stale);
    }

    /// Polls (one character time apart) until THR and the shift register are empty; false if
    /// they did not empty in [`CLOSE_DRAIN_CHARACTERS`].
    fn wait_for_transmitter(&self, char_time: Duration) -> bool {
        for _ in 0..CLOSE_DRAIN_CHARACTERS {
            let lsr = self.sync(|_| self.kernel.read_register(Register::LineStatus));
            if lsr & (LSR_THRE | LSR_TEMT) == LSR_THRE | LSR_TEMT {
                return true;
            }
            self.kernel.delay(char_time);
        }
        false
    }

    /// D0Exit: quiet the UART while keeping its settings for D0Entry.
    ///
    /// IRQL: PASSIVE.
    pub fn power_down(&self) {
        self.sync(|s| {
            let mcr = s.mcr & !MCR_OUT2;
            hw::write_mcr(&self.kernel, s, mcr);
            self.kernel.write_register(Register::InterruptEnable, 0);
            self.kernel
                .write_register(Register::InterruptIdFifoControl, 0);
        });
    }

    /// D0Entry: restore the UART's programming; an open port resumes with its lines and OUT2.
    ///
    /// IRQL: PASSIVE.
    pub fn power_up(&self) {
        self.sync(|s| {
            if s.open {
                self.reset_hardware(s);
                crate::hw::kick_transmitter(&self.kernel, s);
            } else {
                hw::write_lcr(&self.kernel, s, s.lcr);
                hw::write_divisor(&self.kernel, s, s.divisor);
            }
        });
    }

    /// Gate for reads, writes and IOCTLs: the port must be open, and with ERROR_ABORT a latched
    /// error fails everything until GET_COMMSTATUS reads it (serial-semantics.md §9.2).
    pub(crate) fn admit_io(&self) -> Result<(), NtStatus> {
        if let Some(status) = self.failure() {
            return Err(status);
        }
        let (open, blocked) = self.sync(|s| (s.open, s.error_abort_blocked()));
        if !open {
            Err(NtStatus::INVALID_DEVICE_REQUEST)
        } else if blocked {
            Err(NtStatus::CANCELLED)
        } else {
            Ok(())
        }
    }
}
