//! The engine's PASSIVE_LEVEL work items: one IO_WORKITEM per [`WorkItemKind`], allocated with
//! IoAllocateWorkItem on the WDM device object and queued with IoQueueWorkItem(DelayedWorkQueue).
//!
//! The I/O manager keeps the device object referenced while an item is queued, but the KMDF
//! context (where the engine lives) is freed independently, so the set counts items in flight and
//! teardown waits for that count to reach zero before it frees the items and drops the engine.

use core::{
    ffi::c_void,
    fmt, ptr,
    sync::atomic::{AtomicPtr, AtomicU32, Ordering},
};

use serial_engine::kernel::{Duration, WorkItemKind};
use wdk_sys::{
    PDEVICE_OBJECT, PVOID, WORK_QUEUE_TYPE,
    ntddk::{IoAllocateWorkItem, IoFreeWorkItem, IoQueueWorkItem},
};

use crate::{
    context::DeviceContext,
    kernel::delay_passive,
    kind_index::{WORK_ITEM_COUNT, work_item_index},
};

/// `DelayedWorkQueue` (wdm.h `WORK_QUEUE_TYPE`): the queue device drivers must use.
const DELAYED_WORK_QUEUE: WORK_QUEUE_TYPE = 1;

/// How long teardown sleeps between checks for a running work item.
const DRAIN_POLL: Duration = Duration::from_millis(1);

/// The shape of an IO_WORKITEM_ROUTINE.
type WorkItemRoutine = unsafe extern "C" fn(PDEVICE_OBJECT, PVOID);

macro_rules! work_item_routines {
    ($($routine:ident => $variant:ident),+ $(,)?) => {
        $(
            #[doc = concat!(
                "Work-item routine of `WorkItemKind::", stringify!($variant),
                "` (PASSIVE_LEVEL, system worker thread)."
            )]
            unsafe extern "C" fn $routine(_device_object: PDEVICE_OBJECT, context: PVOID) {
                // SAFETY:
                // 1. `context` is the device context given to IoQueueWorkItem; teardown waits for
                //    the in-flight count (decremented below, as the last access) before freeing it.
                let Some(context) = (unsafe { context.cast::<DeviceContext>().as_ref() }) else {
                    return;
                };
                if let Some(engine) = context.engine() {
                    engine.run_work_item(WorkItemKind::$variant);
                }
                context.resident().work_items.finished();
            }
        )+

        const fn routine_for(kind: WorkItemKind) -> WorkItemRoutine {
            match kind {
                $(WorkItemKind::$variant => $routine,)+
            }
        }
    };
}

work_item_routines!(resize_receive_buffer_work_item => ResizeReceiveBuffer);

/// The IO_WORKITEMs (null until allocated), the routine context and the in-flight count.
pub(crate) struct WorkItemSet {
    items: [AtomicPtr<c_void>; WORK_ITEM_COUNT],
    context: AtomicPtr<c_void>,
    in_flight: AtomicU32,
}

impl fmt::Debug for WorkItemSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkItemSet")
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl WorkItemSet {
    /// IoAllocateWorkItem for every kind. `false` if an allocation failed (the items allocated so
    /// far are freed by teardown).
    ///
    /// # Safety
    /// PASSIVE_LEVEL, once; `device_object` is this device's WDM object and `context` is the device
    /// context that owns `self`.
    pub(crate) unsafe fn allocate(
        &self,
        device_object: PDEVICE_OBJECT,
        context: *mut c_void,
    ) -> bool {
        self.context.store(context, Ordering::Release);
        let mut all_allocated = true;
        for slot in &self.items {
            // SAFETY:
            // 1. `device_object` is a valid device object (caller's contract); IRQL <= DISPATCH.
            let item = unsafe { IoAllocateWorkItem(device_object) };
            all_allocated &= !item.is_null();
            slot.store(item.cast(), Ordering::Release);
        }
        all_allocated
    }

    /// IoQueueWorkItem(item, routine, DelayedWorkQueue, device context).
    pub(crate) fn queue(&self, kind: WorkItemKind) {
        let Some(item) = self
            .items
            .get(work_item_index(kind))
            .map(|slot| slot.load(Ordering::Acquire))
        else {
            return;
        };
        if item.is_null() {
            return;
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        // SAFETY:
        // 1. `item` was allocated for this device and is not queued (the engine never re-queues a
        //    queued item); IRQL <= DISPATCH (never from the ISR).
        // 2. The routine matches IO_WORKITEM_ROUTINE; the context outlives it (see `drain`).
        unsafe {
            IoQueueWorkItem(
                item.cast(),
                Some(routine_for(kind)),
                DELAYED_WORK_QUEUE,
                self.context.load(Ordering::Acquire),
            );
        }
    }

    /// Called by a routine as its last access to the device context.
    fn finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    /// Waits (PASSIVE_LEVEL) until no work-item routine is queued or running.
    pub(crate) fn drain(&self) {
        while self.in_flight.load(Ordering::Acquire) != 0 {
            delay_passive(DRAIN_POLL);
        }
    }

    /// IoFreeWorkItem for every allocated item (teardown, after [`Self::drain`]).
    pub(crate) fn free_all(&self) {
        for slot in &self.items {
            let item = slot.swap(ptr::null_mut(), Ordering::AcqRel);
            if !item.is_null() {
                // SAFETY:
                // 1. The item was returned by IoAllocateWorkItem and is no longer queued (drained).
                unsafe { IoFreeWorkItem(item.cast()) };
            }
        }
    }
}
