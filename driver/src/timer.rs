//! The engine's timers: one resident KTIMER per [`TimerKind`], each paired with its own KDPC whose
//! routine calls `Device::timer_expired(kind)`.

use core::{
    cell::UnsafeCell,
    ffi::c_void,
    fmt,
    sync::atomic::{AtomicBool, Ordering},
};

use serial_engine::kernel::{Duration, TimerKind};
use wdk_sys::{
    KDPC, KTIMER, LARGE_INTEGER, TIMER_TYPE,
    ntddk::{KeCancelTimer, KeInitializeDpc, KeInitializeTimerEx, KeRemoveQueueDpc, KeSetTimer},
};

use crate::{
    dpc::deferred_routines,
    due_time::relative_due_time,
    kind_index::{TIMER_COUNT, timer_index},
};

/// `NotificationTimer` (wdm.h `TIMER_TYPE`).
const NOTIFICATION_TIMER: TIMER_TYPE = 0;

deferred_routines!(TimerKind, timer_expired, {
    read_total_timer_dpc => ReadTotal,
    read_interval_timer_dpc => ReadInterval,
    write_total_timer_dpc => WriteTotal,
    immediate_total_timer_dpc => ImmediateTotal,
    xoff_counter_timer_dpc => XoffCounter,
    lower_rts_timer_dpc => LowerRts,
    transmit_watchdog_timer_dpc => TransmitWatchdog,
    error_log_timer_dpc => ErrorLog,
});

/// The resident KTIMERs and their KDPCs, indexed by [`timer_index`].
pub(crate) struct TimerSet {
    timers: [UnsafeCell<KTIMER>; TIMER_COUNT],
    dpcs: [UnsafeCell<KDPC>; TIMER_COUNT],
    /// Teardown has begun: `set` arms nothing (zero, the context's initial state, = running).
    stopping: AtomicBool,
}

impl fmt::Debug for TimerSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TimerSet")
    }
}

impl TimerSet {
    fn slot(&self, kind: TimerKind) -> Option<(*mut KTIMER, *mut KDPC)> {
        let index = timer_index(kind);
        Some((self.timers.get(index)?.get(), self.dpcs.get(index)?.get()))
    }

    /// KeInitializeTimerEx + KeInitializeDpc for every kind.
    ///
    /// # Safety
    /// Called once at PASSIVE_LEVEL before any timer is set; `self` is inside the device context at
    /// its final address and `context` is that device context.
    pub(crate) unsafe fn initialize(&self, context: *mut c_void) {
        for kind in TimerKind::ALL {
            if let Some((timer, dpc)) = self.slot(kind) {
                // SAFETY:
                // 1. `timer` points at resident storage that is not in the timer queue.
                unsafe { KeInitializeTimerEx(timer, NOTIFICATION_TIMER) };
                // SAFETY:
                // 1. `dpc` points at resident storage that is not queued.
                // 2. The routine matches KDEFERRED_ROUTINE and `context` outlives the DPC.
                unsafe { KeInitializeDpc(dpc, Some(routine_for(kind)), context) };
            }
        }
    }

    /// KeSetTimer with a relative due time; `true` if the timer was already set.
    pub(crate) fn set(&self, kind: TimerKind, due: Duration) -> bool {
        if self.stopping.load(Ordering::Acquire) {
            return false;
        }
        let Some((timer, dpc)) = self.slot(kind) else {
            return false;
        };
        let due_time = LARGE_INTEGER {
            QuadPart: relative_due_time(due),
        };
        // SAFETY:
        // 1. Timer and DPC were initialised before the engine existed.
        // 2. The engine sets timers only at IRQL <= DISPATCH_LEVEL (never from the ISR).
        // 3. The DPC is used for this timer only, never with KeInsertQueueDpc.
        unsafe { KeSetTimer(timer, due_time, dpc) != 0 }
    }

    /// KeCancelTimer; `true` if the timer was set and is now cancelled.
    pub(crate) fn cancel(&self, kind: TimerKind) -> bool {
        let Some((timer, _)) = self.slot(kind) else {
            return false;
        };
        // SAFETY:
        // 1. The timer was initialised; the engine cancels only at IRQL <= DISPATCH_LEVEL.
        unsafe { KeCancelTimer(timer) != 0 }
    }

    /// Teardown's first step: from now on `set` arms nothing. A caller that looked before this
    /// may still arm; teardown flushes DPCs (and drains work items) before it cancels.
    pub(crate) fn stop_arming(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Cancels every timer and dequeues every timer DPC (teardown, after `stop_arming` and a
    /// KeFlushQueuedDpcs; pair with another KeFlushQueuedDpcs).
    pub(crate) fn cancel_all(&self) {
        for kind in TimerKind::ALL {
            if let Some((timer, dpc)) = self.slot(kind) {
                // SAFETY:
                // 1. Called only after initialisation (`resident_ready`), at PASSIVE_LEVEL.
                let _ = unsafe { KeCancelTimer(timer) };
                // SAFETY:
                // 1. The DPC was initialised; KeRemoveQueueDpc is callable at any IRQL.
                let _ = unsafe { KeRemoveQueueDpc(dpc) };
            }
        }
    }
}
