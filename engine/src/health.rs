//! Device health: the error log, the transmit watchdog, recovery at PASSIVE_LEVEL and device
//! failure.
//!
//! Where each step runs, and why there:
//! - The ISR only counts errors and, when its interrupt will not clear, masks the UART (IER 0,
//!   OUT2 off) and queues the Health DPC: it cannot log (IoWriteErrorLogEntry is a
//!   ≤ DISPATCH_LEVEL call) and must not loop at DIRQL.
//! - The Health DPC gathers those counts into the error log and queues the recovery work item.
//! - The TransmitWatchdog timer DPC looks, while a write is current, whether the UART took a byte
//!   lately; it retries a lost THRE with the IER kick (a few register writes) and escalates to
//!   recovery when retries do not help.
//! - The ErrorLog timer DPC writes the gathered entries when the gathering window ends.
//! - The Recover work item probes, resets and reprograms the UART, or fails the device. It waits
//!   between attempts, so it runs at PASSIVE_LEVEL; each probe and the reprogramming are single
//!   short interrupt-synchronized steps.

use serial_ioctl::NtStatus;

use crate::device::Device;
use crate::error_log::{LogKind, Reason};
use crate::kernel::{Duration, Kernel, Register, TimerKind, WorkItemKind};
use crate::state::{IsrState, Shared};
use crate::timeouts;
use crate::uart::{LSR_THRE, MCR_OUT2};

/// How long entries of one kind are gathered before they are written (one entry per kind per
/// window, carrying the count).
pub const LOG_WINDOW: Duration = Duration::from_millis(1000);

/// The watchdog looks every this many character times; a healthy transmitter takes a FIFO load
/// at least every 17.
pub const WATCHDOG_CHARACTERS: u64 = 32;

/// The watchdog never looks more often than this (it costs a timer DPC each time; Windows'
/// clock tick is 15.6 ms anyway).
pub const WATCHDOG_MIN_PERIOD: Duration = Duration::from_millis(10);

/// IER kicks the watchdog tries before it escalates to recovery.
pub const MAX_RETRIES: u32 = 3;

/// Probes the recovery work item makes before it gives up on the UART.
pub const RECOVERY_ATTEMPTS: u32 = 3;

/// The wait before the second probe; each further probe waits twice as long as the one before.
pub const RECOVERY_BACKOFF: Duration = Duration::from_millis(10);

/// Recoveries within [`RECOVERY_WINDOW`] after which the UART counts as broken.
pub const MAX_RECOVERIES: u32 = 3;

/// See [`MAX_RECOVERIES`].
pub const RECOVERY_WINDOW: Duration = Duration::from_millis(10_000);

/// Scratch-register patterns of the probe (complementary, so a stuck bit shows either way).
const PROBE_PATTERNS: [u8; 2] = [0x5A, 0xA5];

/// IIR bits 5:4 read 0 on every 16550.
const IIR_RESERVED: u8 = 0x30;

/// What a probe of a masked UART found.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Probe {
    /// Scratch, IIR and LSR all sane.
    Healthy,
    /// Every register reads 0xFF.
    Gone,
    /// Something reads wrong (the value is the IIR).
    Broken(u8),
}

/// What the watchdog decided under the interrupt lock.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Look {
    /// The transmitter moved, is held, or has nothing to send.
    Fine { moved: bool },
    /// Recovery is under way; keep watching.
    Recovering,
    /// No byte taken although there was work (the LSR read); THRE was re-armed if THR was empty.
    Stalled(u8),
    /// No byte taken and the registers tell why: recover at once.
    Escalate(Reason, u8),
}

/// Masks the UART's interrupts (IER 0, and OUT2, the board's gate) until recovery reprograms it.
/// Inside the ISR or under the interrupt lock.
pub fn mask<K: Kernel>(kernel: &K, state: &mut IsrState) {
    state.health.masked = true;
    state.ier = 0;
    kernel.write_register(Register::InterruptEnable, 0);
    let mcr = state.mcr & !MCR_OUT2;
    crate::hw::write_mcr(kernel, state, mcr);
}

impl<K: Kernel> Device<K> {
    /// Adds `count` occurrences of `kind` to the log and opens a gathering window if none is.
    /// Spin lock held.
    pub(crate) fn log(
        &self,
        shared: &mut Shared<K::Request>,
        kind: LogKind,
        count: u32,
        detail: u32,
    ) {
        if count == 0 {
            return;
        }
        shared.health.log.add(kind, count, detail);
        if shared.timers.slot(TimerKind::ErrorLog).is_none() {
            timeouts::arm(
                &self.kernel,
                &mut shared.timers,
                TimerKind::ErrorLog,
                LOG_WINDOW,
            );
        }
    }

    /// Writes every gathered entry now (close, device failure) and ends the window.
    ///
    /// IRQL: ≤ DISPATCH.
    pub(crate) fn flush_error_log(&self) {
        let entries = self.with_shared(|shared| {
            timeouts::disarm(&self.kernel, &mut shared.timers, TimerKind::ErrorLog);
            shared.health.log.take()
        });
        for entry in entries.iter().flatten() {
            self.kernel.write_error_log(entry);
        }
    }

    /// The ErrorLog timer DPC: the gathering window ended.
    pub(crate) fn error_log_expired(&self) {
        let entries = self.with_shared(|shared| {
            timeouts::expired(&self.kernel, &mut shared.timers, TimerKind::ErrorLog)
                .then(|| shared.health.log.take())
        });
        for entry in entries.iter().flatten().flatten() {
            self.kernel.write_error_log(entry);
        }
    }

    /// The Health DPC: hand the ISR's counts to the log; start recovery for a masked UART.
    pub(crate) fn health_dpc(&self) {
        self.with_shared(|shared| {
            let (health, capacity) = self.sync(|s| {
                let health = s.health;
                s.health.dpc_requested = false;
                s.health.overruns = 0;
                s.health.buffer_overruns = 0;
                s.health.storm = None;
                (health, s.rx.capacity())
            });
            let capacity = u32::try_from(capacity).unwrap_or(u32::MAX);
            self.log(shared, LogKind::HardwareOverrun, health.overruns, 0);
            self.log(
                shared,
                LogKind::BufferOverrun,
                health.buffer_overruns,
                capacity,
            );
            if let Some(iir) = health.storm {
                self.log(shared, LogKind::InterruptStorm, 1, u32::from(iir));
                self.start_recovery(shared, Reason::InterruptStorm);
            }
        });
    }

    /// Masks the UART (if not yet) and queues the recovery work item once. Spin lock held.
    fn start_recovery(&self, shared: &mut Shared<K::Request>, reason: Reason) {
        self.sync(|s| {
            if !s.health.masked {
                mask(&self.kernel, s);
            }
        });
        if shared.health.recover_queued {
            return;
        }
        shared.health.reason = reason;
        shared.health.recover_queued = true;
        self.kernel.queue_work_item(WorkItemKind::Recover);
    }

    /// The watchdog's period at the current line settings.
    fn watchdog_period(&self, s: &IsrState) -> Duration {
        let character = crate::line::character_time(s.lcr, s.divisor, self.config.clock_hz);
        let period = Duration::from_100ns(character.as_100ns().saturating_mul(WATCHDOG_CHARACTERS));
        period.max(WATCHDOG_MIN_PERIOD)
    }

    /// Starts watching the transmitter for a write that became current (if not watching yet).
    /// Spin lock held.
    pub(crate) fn watch_transmitter(&self, shared: &mut Shared<K::Request>) {
        if shared.timers.slot(TimerKind::TransmitWatchdog).is_some() {
            return;
        }
        let (period, progress) = self.sync(|s| (self.watchdog_period(s), s.health.tx_progress));
        shared.health.watched_progress = progress;
        shared.health.retries = 0;
        timeouts::arm(
            &self.kernel,
            &mut shared.timers,
            TimerKind::TransmitWatchdog,
            period,
        );
    }

    /// The TransmitWatchdog timer DPC.
    pub(crate) fn transmit_watchdog_expired(&self) {
        self.with_shared(|shared| {
            if !timeouts::expired(
                &self.kernel,
                &mut shared.timers,
                TimerKind::TransmitWatchdog,
            ) {
                return;
            }
            let watching = shared
                .current_write
                .as_ref()
                .is_some_and(|current| !current.counting && !current.held.cancel_pending);
            if !watching || self.failure().is_some() {
                return;
            }
            let watched = shared.health.watched_progress;
            let (look, progress, period) = self.sync(|s| {
                let look = self.look_at_transmitter(s, watched);
                (look, s.health.tx_progress, self.watchdog_period(s))
            });
            shared.health.watched_progress = progress;
            match look {
                Look::Fine { moved } => {
                    if moved && shared.health.retries > 0 {
                        let retries = shared.health.retries;
                        self.log(shared, LogKind::TransmitRetried, 1, retries);
                    }
                    shared.health.retries = 0;
                }
                Look::Recovering => {}
                Look::Stalled(lsr) => {
                    shared.health.retries = shared.health.retries.saturating_add(1);
                    if shared.health.retries > MAX_RETRIES {
                        shared.health.retries = 0;
                        self.log(shared, LogKind::TransmitterStopped, 1, u32::from(lsr));
                        self.start_recovery(shared, Reason::TransmitterStopped);
                    }
                }
                Look::Escalate(reason, lsr) => {
                    shared.health.retries = 0;
                    if reason == Reason::TransmitterStopped {
                        self.log(shared, LogKind::TransmitterStopped, 1, u32::from(lsr));
                    }
                    self.start_recovery(shared, reason);
                }
            }
            timeouts::arm(
                &self.kernel,
                &mut shared.timers,
                TimerKind::TransmitWatchdog,
                period,
            );
        });
    }

    /// One look at the transmitter under the interrupt lock. Reads registers only when it has
    /// taken no byte although it could have.
    fn look_at_transmitter(&self, s: &mut IsrState, watched: u32) -> Look {
        if s.health.masked {
            return Look::Recovering;
        }
        let moved = s.health.tx_progress != watched;
        if moved || s.flow.tx_holds != 0 || !crate::isr::has_transmit_work(s) {
            return Look::Fine { moved };
        }
        let k = &self.kernel;
        let lsr = k.read_register(Register::LineStatus);
        let iir = k.read_register(Register::InterruptIdFifoControl);
        if lsr == 0xFF && iir == 0xFF {
            return Look::Escalate(Reason::DeviceGone, lsr);
        }
        let lcr = k.read_register(Register::LineControl);
        let mcr = k.read_register(Register::ModemControl);
        let ier = k.read_register(Register::InterruptEnable);
        if lcr != s.lcr || mcr & 0x1F != s.mcr & 0x1F || ier & 0x0F != s.ier & 0x0F {
            return Look::Escalate(Reason::LostProgramming, lsr);
        }
        if lsr & LSR_THRE == 0 {
            // THR still full: the transmitter is not taking bytes; a kick cannot help, but the
            // retries give a slow line the benefit of the doubt.
            return Look::Stalled(lsr);
        }
        // THR is empty and no THRE interrupt came: re-arm it with the IER kick.
        s.tx.idle = false;
        k.write_register(Register::InterruptEnable, 0);
        k.write_register(Register::InterruptEnable, s.ier);
        Look::Stalled(lsr)
    }

    /// Probes the masked UART: scratch register, IIR with interrupts disabled, LSR.
    /// Interrupt lock held; nine register accesses.
    fn probe_uart(&self, s: &mut IsrState) -> Probe {
        let k = &self.kernel;
        s.ier = 0;
        k.write_register(Register::InterruptEnable, 0);
        let mut all_ff = true;
        let mut scratch_ok = true;
        for pattern in PROBE_PATTERNS {
            k.write_register(Register::Scratch, pattern);
            let read = k.read_register(Register::Scratch);
            all_ff &= read == 0xFF;
            scratch_ok &= read == pattern;
        }
        let iir = k.read_register(Register::InterruptIdFifoControl);
        let lsr = k.read_register(Register::LineStatus);
        if all_ff && iir == 0xFF && lsr == 0xFF {
            Probe::Gone
        } else if !scratch_ok || iir & IIR_RESERVED != 0 || iir & crate::uart::IIR_NO_INTERRUPT == 0
        {
            // With IER 0 nothing may be pending: a cause that shows anyway is stuck.
            Probe::Broken(iir)
        } else {
            Probe::Healthy
        }
    }

    /// The Recover work item: probe the masked UART a few times, then reset and reprogram it
    /// from the saved settings and resume, or fail the device.
    ///
    /// IRQL: PASSIVE.
    pub(crate) fn recover_work_item(&self) {
        let (reason, too_many) = self.with_shared(|shared| {
            shared.health.recover_queued = false;
            let now = self.kernel.now();
            let recent = shared
                .health
                .last_recovery
                .is_some_and(|last| now.saturating_sub(last) < RECOVERY_WINDOW);
            shared.health.recent_recoveries = if recent {
                shared.health.recent_recoveries.saturating_add(1)
            } else {
                1
            };
            shared.health.last_recovery = Some(now);
            (
                shared.health.reason,
                shared.health.recent_recoveries > MAX_RECOVERIES,
            )
        });
        if self.failure().is_some() {
            return;
        }
        if too_many {
            return self.fail(
                NtStatus::IO_DEVICE_ERROR,
                LogKind::DeviceFailed,
                reason as u32,
            );
        }
        let mut backoff = RECOVERY_BACKOFF;
        for attempt in 0..RECOVERY_ATTEMPTS {
            if attempt > 0 {
                self.kernel.delay(backoff);
                backoff = backoff.saturating_add(backoff);
            }
            match self.sync(|s| self.probe_uart(s)) {
                Probe::Gone => {
                    return self.fail(NtStatus::DEVICE_NOT_CONNECTED, LogKind::DeviceGone, 0);
                }
                Probe::Broken(_) => {}
                Probe::Healthy => return self.reprogram(reason),
            }
        }
        self.fail(
            NtStatus::IO_DEVICE_ERROR,
            LogKind::DeviceFailed,
            reason as u32,
        )
    }

    /// Resets and reprograms a UART that probed healthy, and resumes I/O.
    fn reprogram(&self, reason: Reason) {
        self.with_shared(|shared| {
            let progress = self.sync(|s| {
                s.health.masked = false;
                if s.open {
                    // FIFOs reset (what was in them is lost), line control, divisor, lines, IER
                    // and OUT2 from the shadows; the IER write re-arms THRE for the current write.
                    self.reset_hardware(s);
                } else {
                    crate::hw::write_lcr(&self.kernel, s, s.lcr);
                    crate::hw::write_divisor(&self.kernel, s, s.divisor);
                }
                s.health.tx_progress
            });
            shared.health.watched_progress = progress;
            shared.health.retries = 0;
            self.log(shared, LogKind::UartReset, 1, reason as u32);
        });
    }

    /// The UART cannot be used: every request completes with `status` now and later, the log is
    /// written, and the platform is told (WdfDeviceSetFailed). Close still works.
    ///
    /// IRQL: PASSIVE.
    fn fail(&self, status: NtStatus, kind: LogKind, detail: u32) {
        self.with_shared(|shared| {
            self.set_failure(status);
            shared.health.log.add(kind, 1, detail);
            timeouts::disarm(
                &self.kernel,
                &mut shared.timers,
                TimerKind::TransmitWatchdog,
            );
        });
        self.sync(|s| {
            mask(&self.kernel, s);
            s.tx.abort();
        });
        self.end_every_request(status);
        self.flush_error_log();
        self.kernel.fail_device();
    }
}
