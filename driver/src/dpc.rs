//! The engine's CustomDpc objects: one resident KDPC per [`DpcKind`], each with its own routine.
//!
//! No per-event data travels in the DPC arguments (an insert of an already queued DPC drops them);
//! the routine only names its kind and the engine drains all pending work of that kind.

use core::{
    cell::UnsafeCell,
    ffi::c_void,
    fmt, ptr,
    sync::atomic::{AtomicBool, Ordering},
};

use serial_engine::kernel::DpcKind;
use wdk_sys::{
    KDPC, PVOID,
    ntddk::{KeInitializeDpc, KeInsertQueueDpc, KeRemoveQueueDpc},
};

use crate::kind_index::{DPC_COUNT, dpc_index};

/// The shape of a KDEFERRED_ROUTINE.
pub(crate) type DeferredRoutine = unsafe extern "C" fn(*mut KDPC, PVOID, PVOID, PVOID);

/// Defines one `unsafe extern "C"` deferred routine per kind, each forwarding its kind to an
/// engine method, and a `routine_for(kind)` table.
macro_rules! deferred_routines {
    ($kind_type:ident, $engine_method:ident, { $($routine:ident => $variant:ident),+ $(,)? }) => {
        $(
            #[doc = concat!(
                "Deferred routine of `", stringify!($kind_type), "::", stringify!($variant),
                "` (DISPATCH_LEVEL): calls `Device::", stringify!($engine_method), "`."
            )]
            unsafe extern "C" fn $routine(
                _dpc: *mut wdk_sys::KDPC,
                context: wdk_sys::PVOID,
                _argument1: wdk_sys::PVOID,
                _argument2: wdk_sys::PVOID,
            ) {
                // SAFETY:
                // 1. `context` is the device context pointer given to KeInitializeDpc; the context
                //    outlives every queued or running DPC (teardown cancels, removes and flushes
                //    them before it is freed).
                let context = unsafe { context.cast::<crate::context::DeviceContext>().as_ref() };
                if let Some(engine) = context.and_then(crate::context::DeviceContext::engine) {
                    engine.$engine_method($kind_type::$variant);
                }
            }
        )+

        /// The deferred routine of `kind`.
        const fn routine_for(kind: $kind_type) -> crate::dpc::DeferredRoutine {
            match kind {
                $($kind_type::$variant => $routine,)+
            }
        }
    };
}
pub(crate) use deferred_routines;

deferred_routines!(DpcKind, run_dpc, {
    read_complete_dpc => ReadComplete,
    write_complete_dpc => WriteComplete,
    wait_complete_dpc => WaitComplete,
    transmit_refill_dpc => TransmitRefill,
    error_abort_dpc => ErrorAbort,
    flow_control_dpc => FlowControl,
    health_dpc => Health,
});

/// The resident KDPCs, indexed by [`dpc_index`].
pub(crate) struct DpcSet {
    dpcs: [UnsafeCell<KDPC>; DPC_COUNT],
    /// Teardown has begun: `insert` queues nothing (zero, the context's initial state, = running).
    stopping: AtomicBool,
}

impl fmt::Debug for DpcSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DpcSet")
    }
}

impl DpcSet {
    fn slot(&self, kind: DpcKind) -> Option<*mut KDPC> {
        self.dpcs.get(dpc_index(kind)).map(UnsafeCell::get)
    }

    /// KeInitializeDpc for every kind, with the device context as DeferredContext.
    ///
    /// # Safety
    /// Called once, before any insert; `self` is inside the device context at its final address
    /// and `context` is that device context.
    pub(crate) unsafe fn initialize(&self, context: *mut c_void) {
        for kind in DpcKind::ALL {
            if let Some(dpc) = self.slot(kind) {
                // SAFETY:
                // 1. `dpc` points at resident (device context) storage that is not queued yet.
                // 2. The routine matches KDEFERRED_ROUTINE and `context` outlives the DPC.
                unsafe { KeInitializeDpc(dpc, Some(routine_for(kind)), context) };
            }
        }
    }

    /// KeInsertQueueDpc(dpc, NULL, NULL): `true` if queued now, `false` if it already was.
    pub(crate) fn insert(&self, kind: DpcKind) -> bool {
        if self.stopping.load(Ordering::Acquire) {
            return false;
        }
        let Some(dpc) = self.slot(kind) else {
            return false;
        };
        // SAFETY:
        // 1. The DPC was initialised in EvtDriverDeviceAdd before the engine existed, so every
        //    caller (the engine) sees an initialised KDPC; KeInsertQueueDpc is callable at any IRQL.
        unsafe { KeInsertQueueDpc(dpc, ptr::null_mut(), ptr::null_mut()) != 0 }
    }

    /// Teardown's first step: from now on `insert` queues nothing (see `TimerSet::stop_arming`).
    pub(crate) fn stop_queueing(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// KeRemoveQueueDpc for every kind (teardown, after `stop_queueing` and a KeFlushQueuedDpcs;
    /// pair with another KeFlushQueuedDpcs).
    pub(crate) fn remove_all(&self) {
        for kind in DpcKind::ALL {
            if let Some(dpc) = self.slot(kind) {
                // SAFETY:
                // 1. Called only after the DPCs were initialised (`resident_ready`).
                let _ = unsafe { KeRemoveQueueDpc(dpc) };
            }
        }
    }
}
