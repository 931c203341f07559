//! The device context: the engine plus every kernel object that must stay resident.
//!
//! This is the hand-written equivalent of `WDF_DECLARE_CONTEXT_TYPE(DeviceContext)`: a static
//! `WDF_OBJECT_CONTEXT_TYPE_INFO` whose `UniqueType` points at itself, and an accessor over
//! `WdfObjectGetTypedContextWorker`.
//!
//! KMDF zero-fills context memory. Every field here is valid when all-zero (atomics, including the
//! naming state, raw pointers, zeroed KDPC/KTIMER storage, `MaybeUninit`), so the context is usable
//! as a Rust value from the moment it exists; EvtDriverDeviceAdd then initialises the kernel
//! objects in place (they must not move once initialised) and finally installs the engine.

use core::{
    cell::UnsafeCell,
    mem::MaybeUninit,
    ptr,
    sync::atomic::{AtomicBool, Ordering},
};

use serial_engine::Device;
use wdk_sys::{WDF_OBJECT_CONTEXT_TYPE_INFO, WDFDEVICE, call_unsafe_wdf_function_binding};

use crate::{
    dpc::DpcSet, event_log::EventLog, interrupt::InterruptLock, kernel::WdfKernel,
    naming::NamingState, registers::PortIo, timer::TimerSet, wdf_size::wdf_size_of,
    work_item::WorkItemSet,
};

/// Kernel objects the engine reaches through [`WdfKernel`]. Lives inside the device context, so
/// its address is stable for the device's lifetime.
#[derive(Debug)]
pub(crate) struct Resident {
    /// The WDFINTERRUPT and the lock that stands in for it while it is disconnected.
    pub(crate) interrupt: InterruptLock,
    /// The UART's I/O ports.
    pub(crate) ports: PortIo,
    /// One CustomDpc per `DpcKind`.
    pub(crate) dpcs: DpcSet,
    /// One KTIMER + KDPC per `TimerKind`.
    pub(crate) timers: TimerSet,
    /// One IO_WORKITEM per `WorkItemKind`.
    pub(crate) work_items: WorkItemSet,
    /// Error-log entries and device failure.
    pub(crate) event_log: EventLog,
}

/// Per-device state attached to the WDFDEVICE.
pub(crate) struct DeviceContext {
    resident: Resident,
    /// Set once the DPCs and timers are initialised and the work items allocated.
    resident_ready: AtomicBool,
    engine: UnsafeCell<MaybeUninit<Device<WdfKernel>>>,
    /// Set (Release) once `engine` holds a value; cleared before it is dropped.
    engine_ready: AtomicBool,
    /// The COM name published for this device (the SERIALCOMM value to delete at removal).
    naming: NamingState,
}

impl core::fmt::Debug for DeviceContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DeviceContext")
            .field("resident", &self.resident)
            .field("engine_ready", &self.engine_ready)
            .field("naming", &self.naming)
            .finish_non_exhaustive()
    }
}

/// `WDF_OBJECT_CONTEXT_TYPE_INFO` made shareable: it holds raw pointers, all to statics.
#[repr(transparent)]
pub(crate) struct ContextTypeInfo(WDF_OBJECT_CONTEXT_TYPE_INFO);

// SAFETY:
// 1. The wrapped structure is never written after compile time (KMDF only reads it), and every
//    pointer in it refers to static data, so sharing it between threads is sound.
unsafe impl Sync for ContextTypeInfo {}

impl ContextTypeInfo {
    /// The pointer KMDF expects in `WDF_OBJECT_ATTRIBUTES::ContextTypeInfo` and
    /// `WdfObjectGetTypedContextWorker`.
    pub(crate) const fn as_ptr(&'static self) -> *const WDF_OBJECT_CONTEXT_TYPE_INFO {
        &raw const self.0
    }
}

/// The type descriptor of [`DeviceContext`]. Placed in `.data` like the C macro's
/// `WDF_TYPE_DEFAULT_SECTION_NAME`.
// SAFETY:
// 1. `.data` is an ordinary writable data section of the image; placing this static there changes
//    nothing but its section.
#[unsafe(link_section = ".data")]
pub(crate) static DEVICE_CONTEXT_TYPE_INFO: ContextTypeInfo =
    ContextTypeInfo(WDF_OBJECT_CONTEXT_TYPE_INFO {
        Size: wdf_size_of::<WDF_OBJECT_CONTEXT_TYPE_INFO>(),
        ContextName: c"DeviceContext".as_ptr().cast(),
        ContextSize: core::mem::size_of::<DeviceContext>(),
        UniqueType: (&raw const DEVICE_CONTEXT_TYPE_INFO).cast(),
        EvtDriverGetUniqueContextType: None,
    });

/// The context of `device`, or `None` if KMDF has none for it.
///
/// # Safety
/// `device` is a valid WDFDEVICE of this driver, and the returned reference is not used after the
/// device's EvtDestroyCallback returned (true inside any callback KMDF makes for the device).
pub(crate) unsafe fn device_context<'a>(device: WDFDEVICE) -> Option<&'a DeviceContext> {
    // SAFETY:
    // 1. `device` is a valid framework object handle (caller's contract).
    // 2. The type info pointer refers to the static descriptor the device was created with.
    let raw = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfObjectGetTypedContextWorker,
            device.cast(),
            DEVICE_CONTEXT_TYPE_INFO.as_ptr(),
        )
    };
    // SAFETY:
    // 1. A non-null result points at this device's context memory, which KMDF zero-filled and
    //    which is a valid `DeviceContext` in every state it passes through (see the module docs).
    // 2. The memory lives until after EvtDestroyCallback (caller's contract); it is only ever
    //    accessed through shared references and interior mutability.
    unsafe { raw.cast::<DeviceContext>().as_ref() }
}

impl DeviceContext {
    /// The resident kernel objects.
    pub(crate) const fn resident(&self) -> &Resident {
        &self.resident
    }

    /// What was published under the device's name.
    pub(crate) const fn naming(&self) -> &NamingState {
        &self.naming
    }

    /// The raw pointer DPC and work-item routines receive as their context argument.
    pub(crate) fn as_routine_context(&self) -> *mut core::ffi::c_void {
        ptr::from_ref(self).cast_mut().cast()
    }

    /// Records that the DPCs, timers and work items are initialised (teardown may touch them).
    pub(crate) fn mark_resident_ready(&self) {
        self.resident_ready.store(true, Ordering::Release);
    }

    /// Whether [`Self::mark_resident_ready`] has run.
    pub(crate) fn resident_ready(&self) -> bool {
        self.resident_ready.load(Ordering::Acquire)
    }

    /// The engine, once installed.
    pub(crate) fn engine(&self) -> Option<&Device<WdfKernel>> {
        if !self.engine_ready.load(Ordering::Acquire) {
            return None;
        }
        // SAFETY:
        // 1. While the flag is set nobody writes the slot (`install_engine` wrote it before setting
        //    the flag; `drop_engine` clears the flag first and runs when no callback can).
        let slot = unsafe { &*self.engine.get() };
        // SAFETY:
        // 1. `engine_ready` is set (Release) only after `install_engine` wrote the value.
        Some(unsafe { slot.assume_init_ref() })
    }

    /// Moves the engine into the context.
    ///
    /// # Safety
    /// Called once, from EvtDriverDeviceAdd, before any callback can reach the engine.
    pub(crate) unsafe fn install_engine(&self, engine: Device<WdfKernel>) {
        // SAFETY:
        // 1. Nothing else reads or writes `engine` yet (caller's contract), so this write does not
        //    race with any reference.
        unsafe { (*self.engine.get()).write(engine) };
        self.engine_ready.store(true, Ordering::Release);
    }

    /// Drops the engine if it was installed.
    ///
    /// # Safety
    /// No callback, DPC, timer or work item can reach the engine any more (EvtDestroyCallback after
    /// the teardown in `device::evt_device_context_destroy`).
    pub(crate) unsafe fn drop_engine(&self) {
        if self.engine_ready.swap(false, Ordering::AcqRel) {
            // SAFETY:
            // 1. No other reference to the slot exists (caller's contract).
            let slot = unsafe { &mut *self.engine.get() };
            // SAFETY:
            // 1. The flag was set, so the value is initialised, and it is dropped only here, once.
            unsafe { slot.assume_init_drop() };
        }
    }
}
