//! The WDFINTERRUPT: creation, the ISR trampoline and [`WdfInterruptCell`].
//!
//! KMDF's interrupt lock exists only while the interrupt is connected: WdfInterruptAcquireLock on a
//! disconnected interrupt takes no lock at all (and breaks into the debugger under KMDF Verifier).
//! The engine, however, synchronises with the ISR from paths that can run while the device is
//! leaving or entering D0 (prepare-hardware probe, DPCs, timers). So every `synchronize` first
//! takes one executive spin lock per device (the "gate"), and takes the interrupt lock as well
//! only while the interrupt is known to be connected: from EvtDeviceD0EntryPostInterruptsEnabled
//! to EvtDeviceD0ExitPreInterruptsDisabled. That `connected` flag flips holding the gate and the
//! interrupt lock (the interrupt is connected at both flips), so a `synchronize` never straddles
//! the change, and the ISR, which reads it under the interrupt lock, sees it stable.
//!
//! KMDF connects the interrupt before D0EntryPostInterruptsEnabled and disconnects it after
//! D0ExitPreInterruptsDisabled, and on a shared line the ISR runs for other devices' interrupts in
//! those windows. So the ISR touches neither the engine nor the UART while the flag is clear: it
//! returns FALSE ("not mine"). The UART itself cannot interrupt then: the engine arms it (OUT2,
//! IER) only inside the flagged span and disarms it in power_down. Hence a
//! `synchronize` that holds the gate alone never overlaps an ISR that touches the cell.
//! Lock order: device spin lock, gate, interrupt lock.

use core::{
    cell::UnsafeCell,
    ffi::c_void,
    fmt,
    ptr::{self, NonNull},
    sync::atomic::{AtomicBool, AtomicPtr, Ordering},
};

use serial_engine::kernel::{InterruptCell, IsrContext};
use wdk_sys::{
    _WDF_TRI_STATE, BOOLEAN, KSPIN_LOCK, NTSTATUS, ULONG, WDF_INTERRUPT_CONFIG, WDFDEVICE,
    WDFINTERRUPT, call_unsafe_wdf_function_binding,
    ntddk::{KeAcquireSpinLockRaiseToDpc, KeReleaseSpinLock},
};

use crate::{context::device_context, wdf_size::wdf_size_of};

const INTERRUPT_CONFIG_SIZE: ULONG = wdf_size_of::<WDF_INTERRUPT_CONFIG>();

/// The device's WDFINTERRUPT, whether it is connected, and the gate lock (see the module docs).
/// All-zero is a valid "no interrupt, disconnected" state.
pub(crate) struct InterruptLock {
    interrupt: AtomicPtr<c_void>,
    connected: AtomicBool,
    gate: UnsafeCell<KSPIN_LOCK>,
}

impl fmt::Debug for InterruptLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InterruptLock")
            .field("connected", &self.connected)
            .finish_non_exhaustive()
    }
}

impl InterruptLock {
    /// Records the WDFINTERRUPT (EvtDriverDeviceAdd, before the engine exists).
    pub(crate) fn attach(&self, interrupt: WDFINTERRUPT) {
        self.interrupt.store(interrupt.cast(), Ordering::Release);
    }

    /// Flips the connected flag under the gate and the interrupt lock (PASSIVE_LEVEL power
    /// callbacks D0EntryPostInterruptsEnabled and D0ExitPreInterruptsDisabled, where KMDF has
    /// the interrupt connected).
    pub(crate) fn set_connected(&self, connected: bool) {
        self.with_gate(|| {
            let interrupt: WDFINTERRUPT = self.interrupt.load(Ordering::Acquire).cast();
            if interrupt.is_null() {
                self.connected.store(connected, Ordering::Release);
                return;
            }
            // SAFETY:
            // 1. `interrupt` is this device's WDFINTERRUPT, connected in both callers (KMDF
            //    connects before D0EntryPostInterruptsEnabled and disconnects after
            //    D0ExitPreInterruptsDisabled).
            // 2. IRQL is DISPATCH_LEVEL (the gate), within WdfInterruptAcquireLock's limit.
            unsafe { call_unsafe_wdf_function_binding!(WdfInterruptAcquireLock, interrupt) };
            self.connected.store(connected, Ordering::Release);
            // SAFETY:
            // 1. Releases the acquisition just above, on the same thread.
            unsafe { call_unsafe_wdf_function_binding!(WdfInterruptReleaseLock, interrupt) };
        });
    }

    /// Whether the ISR may touch the engine (read inside EvtInterruptIsr, under the interrupt
    /// lock, which every flip of the flag holds).
    fn isr_may_run(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    fn with_gate<R>(&self, f: impl FnOnce() -> R) -> R {
        // SAFETY:
        // 1. The gate is a resident KSPIN_LOCK (zero = free); callers are at IRQL <= DISPATCH and
        //    never hold the gate already (the engine never nests `synchronize`).
        let old_irql = unsafe { KeAcquireSpinLockRaiseToDpc(self.gate.get()) };
        let result = f();
        // SAFETY:
        // 1. This thread holds the gate, acquired above with the RaiseToDpc form, and `old_irql`
        //    is what that acquisition returned.
        unsafe { KeReleaseSpinLock(self.gate.get(), old_irql) };
        result
    }

    /// Runs `f` excluded from the ISR and from every other `synchronize`.
    fn run_locked<R>(&self, f: impl FnOnce() -> R) -> R {
        self.with_gate(|| {
            let interrupt: WDFINTERRUPT = self.interrupt.load(Ordering::Acquire).cast();
            if !self.connected.load(Ordering::Acquire) || interrupt.is_null() {
                return f();
            }
            // SAFETY:
            // 1. `interrupt` is this device's WDFINTERRUPT and is connected (flag set after
            //    interrupts were enabled, cleared before they are disabled, under the gate we hold).
            // 2. IRQL is DISPATCH_LEVEL (the gate), within WdfInterruptAcquireLock's limit.
            unsafe { call_unsafe_wdf_function_binding!(WdfInterruptAcquireLock, interrupt) };
            let result = f();
            // SAFETY:
            // 1. Releases the acquisition just above, on the same thread.
            unsafe { call_unsafe_wdf_function_binding!(WdfInterruptReleaseLock, interrupt) };
            result
        })
    }
}

// SAFETY:
// 1. The handle and flag are atomics; the gate word is only touched by KeAcquire/ReleaseSpinLock,
//    which synchronise concurrent callers themselves.
unsafe impl Sync for InterruptLock {}

/// Data shared with the ISR ([`InterruptCell`]).
pub struct WdfInterruptCell<T> {
    lock: NonNull<InterruptLock>,
    value: UnsafeCell<T>,
}

impl<T> WdfInterruptCell<T> {
    /// A cell guarded by the device's interrupt lock.
    pub(crate) fn new(lock: &InterruptLock, value: T) -> Self {
        Self {
            lock: NonNull::from(lock),
            value: UnsafeCell::new(value),
        }
    }

    fn lock(&self) -> &InterruptLock {
        // SAFETY:
        // 1. The lock lives in the device context, which outlives the engine that owns this cell.
        unsafe { self.lock.as_ref() }
    }
}

impl<T> fmt::Debug for WdfInterruptCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WdfInterruptCell")
    }
}

// SAFETY:
// 1. The value is handed out as `&mut T` only under the gate/interrupt lock or inside the ISR
//    (which holds the interrupt lock), one holder at a time, so `T: Send` suffices.
unsafe impl<T: Send> Sync for WdfInterruptCell<T> {}
// SAFETY:
// 1. Moving the cell moves its `T`; the lock pointer refers to the device context.
unsafe impl<T: Send> Send for WdfInterruptCell<T> {}

impl<T: Send> InterruptCell<T> for WdfInterruptCell<T> {
    fn synchronize<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.lock().run_locked(|| {
            // SAFETY:
            // 1. `run_locked` excludes every other `synchronize` (gate) and the ISR: with the
            //    flag set it holds the interrupt lock; with it clear (stable while the gate is
            //    held) the ISR returns before touching any cell.
            f(unsafe { &mut *self.value.get() })
        })
    }

    fn in_isr<R>(&self, _isr: &mut IsrContext, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY:
        // 1. An `IsrContext` exists only inside EvtInterruptIsr, which runs with the interrupt lock
        //    held and creates it only with the connected flag set; `synchronize` takes that lock
        //    whenever the flag is set.
        f(unsafe { &mut *self.value.get() })
    }
}

/// EvtInterruptIsr (DIRQL, interrupt lock held): hands the interrupt to the engine.
unsafe extern "C" fn evt_interrupt_isr(interrupt: WDFINTERRUPT, _message_id: ULONG) -> BOOLEAN {
    // SAFETY:
    // 1. `interrupt` is the handle KMDF passes to its own ISR; WdfInterruptGetDevice is callable
    //    at DIRQL.
    let device = unsafe { call_unsafe_wdf_function_binding!(WdfInterruptGetDevice, interrupt) };
    // SAFETY:
    // 1. `device` is the interrupt's parent device, alive while its interrupt is connected.
    let Some(context) = (unsafe { device_context(device) }) else {
        return 0;
    };
    // Outside the span in which `synchronize` takes the interrupt lock (a shared line can call
    // this ISR then), touch nothing: the UART cannot be interrupting.
    if !context.resident().interrupt.isr_may_run() {
        return 0;
    }
    let Some(engine) = context.engine() else {
        return 0;
    };
    // SAFETY:
    // 1. This is the device's interrupt service routine, at DIRQL, and the kernel holds the
    //    interrupt spin lock for its whole duration, which covers the proof's lifetime.
    let mut isr = unsafe { IsrContext::new() };
    BOOLEAN::from(engine.isr(&mut isr))
}

/// WdfInterruptCreate for the device's line-based interrupt (EvtDriverDeviceAdd, PASSIVE). KMDF
/// connects it to the interrupt resource at start and disconnects it at stop.
pub(crate) fn create_interrupt(device: WDFDEVICE) -> Result<WDFINTERRUPT, NTSTATUS> {
    let mut config = WDF_INTERRUPT_CONFIG {
        Size: INTERRUPT_CONFIG_SIZE,
        // As WDF_INTERRUPT_CONFIG_INIT: take sharing from the resource descriptor.
        ShareVector: _WDF_TRI_STATE::WdfUseDefault,
        FloatingSave: 0,
        AutomaticSerialization: 0,
        EvtInterruptIsr: Some(evt_interrupt_isr),
        ReportInactiveOnPowerDown: _WDF_TRI_STATE::WdfUseDefault,
        ..Default::default()
    };
    let mut interrupt: WDFINTERRUPT = ptr::null_mut();
    // SAFETY:
    // 1. `device` is the WDFDEVICE just created in EvtDriverDeviceAdd (PASSIVE_LEVEL).
    // 2. `config` is a fully initialised WDF_INTERRUPT_CONFIG with its Size set; no attributes.
    // 3. `interrupt` is a live local that receives the handle.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfInterruptCreate,
            device,
            &raw mut config,
            ptr::null_mut(),
            &raw mut interrupt,
        )
    };
    if wdk::nt_success(status) {
        Ok(interrupt)
    } else {
        Err(status)
    }
}
