//! The device: its context (ISR-shared and spin-lock-shared state) and the entry points the
//! platform calls. Each concern's logic lives in its own module as `impl Device` blocks.

use core::sync::atomic::AtomicI32;

use serial_ioctl::NtStatus;

use crate::kernel::{
    DpcKind, InterruptCell, IsrContext, Kernel, Request, RequestId, SpinLockCell, TimerKind,
    WorkItemKind,
};
use crate::requests::{Completions, Held, Purpose, Queue, RequestQueue};
use crate::state::{IsrState, Settings, Shared, TimerDeadlines};

/// Static configuration of one port.
#[derive(Copy, Clone, Debug)]
pub struct DeviceConfig {
    /// The UART's input clock (1.8432 MHz on PCs).
    pub clock_hz: u32,
    /// Receive ring size allocated at open.
    pub rx_buffer_size: usize,
    /// Receive FIFO trigger level in bytes (1, 4, 8 or 14).
    pub rx_fifo_trigger: u8,
    /// Bytes written per THRE interrupt (1..=16).
    pub tx_fifo_depth: u8,
    /// Whether the UART's FIFOs are used (FCR bit 0); without them the ISR moves one byte per
    /// interrupt each way.
    pub fifo_enabled: bool,
}

impl Default for DeviceConfig {
    fn default() -> Self {
        Self {
            clock_hz: 1_843_200,
            rx_buffer_size: 4096,
            rx_fifo_trigger: 8,
            tx_fifo_depth: 14,
            fifo_enabled: true,
        }
    }
}

impl DeviceConfig {
    /// The FCR trigger bits for the configured level.
    #[must_use]
    pub const fn fcr_trigger(&self) -> u8 {
        match self.rx_fifo_trigger {
            0 | 1 => crate::uart::FCR_TRIGGER_1,
            2..=4 => crate::uart::FCR_TRIGGER_4,
            5..=8 => crate::uart::FCR_TRIGGER_8,
            _ => crate::uart::FCR_TRIGGER_14,
        }
    }
}

/// One serial port: the device context.
pub struct Device<K: Kernel> {
    pub(crate) kernel: K,
    pub(crate) config: DeviceConfig,
    pub(crate) isr_state: K::InterruptCell<IsrState>,
    pub(crate) shared: K::SpinLockCell<Shared<K::Request>>,
    /// The device cannot work any more, and the status every request now completes with:
    /// STATUS_DELETE_PENDING after surprise removal, STATUS_IO_DEVICE_ERROR or
    /// STATUS_DEVICE_NOT_CONNECTED after recovery gave up (0 while healthy). Set while holding
    /// the spin lock; the queueing paths read it under that lock, the dispatch gates without it.
    pub(crate) failure: AtomicI32,
}

impl<K: Kernel> core::fmt::Debug for Device<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Device")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<K: Kernel> Device<K> {
    /// Builds the device context; the port starts closed with serial.sys's default settings.
    pub fn new(kernel: K, config: DeviceConfig) -> Self {
        let settings = Settings::defaults(config.clock_hz);
        let mut isr_state = IsrState::new(&settings);
        isr_state.tx_fifo_depth = config.tx_fifo_depth.clamp(1, 16);
        isr_state.fcr = if config.fifo_enabled {
            crate::uart::FCR_ENABLE | config.fcr_trigger()
        } else {
            0
        };
        let isr_state = kernel.new_interrupt_cell(isr_state);
        let shared = kernel.new_spin_lock_cell(Shared {
            open: false,
            accepting: false,
            baud: settings.baud,
            timeouts: settings.timeouts,
            rx_buffer_size: config.rx_buffer_size,
            reads: RequestQueue::default(),
            current_read: None,
            resizing: None,
            resize_queued: false,
            writes: RequestQueue::default(),
            current_write: None,
            wait: None,
            immediate: None,
            timers: TimerDeadlines::default(),
            health: crate::state::Health::default(),
        });
        Self {
            kernel,
            config,
            isr_state,
            shared,
            failure: AtomicI32::new(0),
        }
    }

    /// The kernel services this device runs on.
    pub const fn kernel(&self) -> &K {
        &self.kernel
    }

    /// Runs `f` under the interrupt lock (KeSynchronizeExecution).
    pub(crate) fn sync<R>(&self, f: impl FnOnce(&mut IsrState) -> R) -> R {
        self.isr_state.synchronize(f)
    }

    /// Runs `f` under the device spin lock (no completions).
    pub(crate) fn with_shared<R>(&self, f: impl FnOnce(&mut Shared<K::Request>) -> R) -> R {
        self.shared.lock(f)
    }

    /// Runs `f` under the device spin lock, then completes whatever it gathered.
    pub(crate) fn locked<R>(
        &self,
        f: impl FnOnce(&mut Shared<K::Request>, &mut Completions<K::Request>) -> R,
    ) -> R {
        let mut completions = Completions::default();
        let result = self.shared.lock(|shared| f(shared, &mut completions));
        completions.deliver();
        result
    }

    /// Appends `request` to `queue`, marked cancelable under the spin lock the cancel callback
    /// takes (a cancel that lands right after the mark waits for the lock and then finds the
    /// request queued); then, under the same lock, cancels it again if an error latched under
    /// ERROR_ABORT since it passed the dispatch gate, or runs `start` to make queued requests
    /// current. The queue's room is reserved before the mark, so nothing can fail once the
    /// request is cancelable.
    pub(crate) fn enqueue(
        &self,
        mut request: K::Request,
        purpose: Purpose,
        queue: Queue,
        start: impl FnOnce(&mut Shared<K::Request>, &mut Completions<K::Request>),
    ) {
        let refused = self.locked(|shared, done| {
            if let Some(status) = self.refusal(shared) {
                return Some((request, status));
            }
            let target = match queue {
                Queue::Reads => &mut shared.reads,
                Queue::Writes => &mut shared.writes,
            };
            if target.reserve_one().is_err() {
                return Some((request, NtStatus::INSUFFICIENT_RESOURCES));
            }
            if request.mark_cancelable().is_err() {
                return Some((request, NtStatus::CANCELLED));
            }
            target.push_reserved(Held::new(request, purpose));
            if !self.abort_if_error_latched(shared, done) {
                start(shared, done);
            }
            None
        });
        if let Some((request, status)) = refused {
            Self::finish(request, status, 0);
        }
    }

    /// Why a request the engine would hold must be completed at once instead, decided under the
    /// spin lock: the device failed or is gone (its failure status), or cleanup has begun
    /// (CANCELLED).
    pub(crate) fn refusal(&self, shared: &Shared<K::Request>) -> Option<NtStatus> {
        if let Some(status) = self.failure() {
            Some(status)
        } else if !shared.accepting {
            Some(NtStatus::CANCELLED)
        } else {
            None
        }
    }

    /// The ISR. Returns false when the UART did not interrupt.
    ///
    /// IRQL: DIRQL, interrupt lock held.
    pub fn isr(&self, isr: &mut IsrContext) -> bool {
        self.isr_state.in_isr(isr, |state| {
            let depth = state.tx_fifo_depth;
            crate::isr::service(&self.kernel, state, depth)
        })
    }

    /// The CustomDpc routine of `kind`.
    ///
    /// IRQL: DISPATCH.
    pub fn run_dpc(&self, kind: DpcKind) {
        match kind {
            DpcKind::ReadComplete => self.read_dpc(),
            DpcKind::WriteComplete => self.write_dpc(),
            DpcKind::TransmitRefill => self.refill_dpc(),
            DpcKind::WaitComplete => self.wait_dpc(),
            DpcKind::ErrorAbort => self.error_abort_dpc(),
            DpcKind::FlowControl => self.flow_control_dpc(),
            DpcKind::Health => self.health_dpc(),
        }
    }

    /// The DPC routine of the timer `kind`.
    ///
    /// IRQL: DISPATCH.
    pub fn timer_expired(&self, kind: TimerKind) {
        match kind {
            TimerKind::ReadTotal => self.read_total_expired(),
            TimerKind::ReadInterval => self.read_interval_expired(),
            TimerKind::WriteTotal => self.write_total_expired(),
            TimerKind::ImmediateTotal => self.immediate_total_expired(),
            TimerKind::XoffCounter => self.xoff_counter_expired(),
            TimerKind::LowerRts => self.lower_rts_expired(),
            TimerKind::TransmitWatchdog => self.transmit_watchdog_expired(),
            TimerKind::ErrorLog => self.error_log_expired(),
        }
    }

    /// The work-item routine of `kind`.
    ///
    /// IRQL: PASSIVE.
    pub fn run_work_item(&self, kind: WorkItemKind) {
        match kind {
            WorkItemKind::ResizeReceiveBuffer => self.resize_work_item(),
            WorkItemKind::Recover => self.recover_work_item(),
        }
    }

    /// The cancel callback of a request the engine holds (EvtRequestCancel).
    ///
    /// IRQL: ≤ DISPATCH.
    pub fn cancel(&self, id: RequestId) {
        self.locked(|shared, done| {
            if self.cancel_read(shared, id, done) || self.cancel_write(shared, id, done) {
                return;
            }
            if let Some(held) = take_if(&mut shared.wait, id) {
                self.sync(|s| s.wait.wait_pending = false);
                done.push(held.request, NtStatus::CANCELLED, 0);
            } else if let Some(held) = take_if(&mut shared.immediate, id) {
                crate::timeouts::disarm(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::ImmediateTotal,
                );
                // The ISR may have handed the character to the UART after the cancel began: it
                // went out, so report SUCCESS (the ISR's claim wins, as for reads, §6.4).
                let sent = self.sync(|s| {
                    let sent = s.tx.immediate.is_none();
                    s.tx.immediate = None;
                    s.tx.immediate_done = false;
                    sent
                });
                let status = if sent {
                    NtStatus::SUCCESS
                } else {
                    NtStatus::CANCELLED
                };
                done.push(held.request, status, 0);
                if sent && shared.current_write.is_none() && shared.writes.is_empty() {
                    self.transmit_queue_empty(shared);
                }
            } else if let Some(held) = take_if(&mut shared.resizing, id) {
                done.push(held.request, NtStatus::CANCELLED, 0);
            }
        });
    }

    /// Completes a request that never entered the engine's queues.
    pub(crate) fn finish(request: K::Request, status: NtStatus, information: usize) {
        let information = if status.is_success() { information } else { 0 };
        request.complete(status, information);
    }
}

/// Takes the held request in `slot` if it has `id`.
pub(crate) fn take_if<R: Request>(
    slot: &mut Option<crate::requests::Held<R>>,
    id: RequestId,
) -> Option<crate::requests::Held<R>> {
    if slot.as_ref().is_some_and(|held| held.request.id() == id) {
        slot.take()
    } else {
        None
    }
}
