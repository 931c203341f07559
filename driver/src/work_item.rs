//! The engine's PASSIVE_LEVEL work items: one IO_WORKITEM per [`WorkItemKind`], allocated with
//! IoAllocateWorkItem on the WDM device object and queued with IoQueueWorkItem(DelayedWorkQueue).
//!
//! The I/O manager keeps the device object referenced while an item is queued, but the KMDF
//! context (where the engine lives) is freed independently, so the set counts items in flight and
//! teardown waits for that count to reach zero before it frees the items and drops the engine.
//! Teardown first stops the set: the count's top bit says "stopping", set in the same atomic step
//! that reads how many items are in flight, so no item can be queued after the drain has looked.
//! The drain then waits on a synchronization (auto-reset) KEVENT that the routine finishing as the
//! last one in flight while stopping sets, exactly once; a set with nobody waiting yet stays
//! signalled until the drain consumes it, so the wake-up is never lost.

use core::{
    cell::UnsafeCell,
    ffi::c_void,
    fmt, ptr,
    sync::atomic::{AtomicPtr, AtomicU32, Ordering},
};

use serial_engine::kernel::WorkItemKind;
use wdk_sys::{
    BOOLEAN, EVENT_TYPE, KEVENT, KPROCESSOR_MODE, KWAIT_REASON, PDEVICE_OBJECT, PVOID,
    WORK_QUEUE_TYPE,
    ntddk::{
        IoAllocateWorkItem, IoFreeWorkItem, IoQueueWorkItem, KeInitializeEvent, KeSetEvent,
        KeWaitForSingleObject,
    },
};

use crate::{
    context::DeviceContext,
    kind_index::{WORK_ITEM_COUNT, work_item_index},
};

/// `DelayedWorkQueue` (wdm.h `WORK_QUEUE_TYPE`): the queue device drivers must use.
const DELAYED_WORK_QUEUE: WORK_QUEUE_TYPE = 1;
/// `SynchronizationEvent` (wdm.h `EVENT_TYPE`): auto-reset.
const SYNCHRONIZATION_EVENT: EVENT_TYPE = 1;
/// `Executive` (wdm.h `KWAIT_REASON`).
const EXECUTIVE: KWAIT_REASON = 0;
/// `KernelMode` (wdm.h `MODE`).
const KERNEL_MODE: KPROCESSOR_MODE = 0;
/// `FALSE` as the BOOLEAN the event routines take.
const FALSE: BOOLEAN = 0;
/// The "stopping" bit of the in-flight word; the rest counts queued or running items.
const STOPPING: u32 = 1 << 31;

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

work_item_routines!(
    resize_receive_buffer_work_item => ResizeReceiveBuffer,
    recover_work_item => Recover,
);

/// The IO_WORKITEMs (null until allocated), the routine context, the in-flight count and the
/// event the last finishing routine sets (initialised in [`Self::allocate`]).
pub(crate) struct WorkItemSet {
    items: [AtomicPtr<c_void>; WORK_ITEM_COUNT],
    context: AtomicPtr<c_void>,
    in_flight: AtomicU32,
    idle: UnsafeCell<KEVENT>,
}

// SAFETY:
// 1. The pointers and the count are atomics; the KEVENT is only touched through KeSetEvent /
//    KeWaitForSingleObject, which synchronise concurrent callers themselves, after its one
//    initialisation in `allocate` (before any item can be queued).
unsafe impl Sync for WorkItemSet {}

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
        // SAFETY:
        // 1. PASSIVE_LEVEL, once, before any item exists, so nothing else touches the event; it
        //    lives in the resident (nonpaged) device context.
        unsafe { KeInitializeEvent(self.idle.get(), SYNCHRONIZATION_EVENT, FALSE) };
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
        // Count the item unless teardown has begun (then queue nothing: the drain has looked).
        let admitted = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |word| {
                (word & STOPPING == 0).then_some(word.wrapping_add(1))
            });
        if admitted.is_err() {
            return;
        }
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

    /// Called by a routine as its last access to the device context (the event lives there too,
    /// and teardown frees it only after seeing the count at zero, which happens before the set;
    /// teardown also waits for the event, so the set completes first).
    fn finished(&self) {
        if self.in_flight.fetch_sub(1, Ordering::AcqRel) == STOPPING | 1 {
            // SAFETY:
            // 1. The event was initialised in `allocate` (an item was queued, so it ran); PASSIVE
            //    worker thread; Wait = FALSE.
            let _ = unsafe { KeSetEvent(self.idle.get(), 0, FALSE) };
        }
    }

    /// Stops the set (later `queue` calls do nothing) and waits (PASSIVE_LEVEL) until no
    /// work-item routine is queued or running. Idempotent.
    pub(crate) fn stop_and_drain(&self) {
        let before = self.in_flight.fetch_or(STOPPING, Ordering::AcqRel);
        if before & !STOPPING == 0 {
            return;
        }
        // The last routine to finish sets the event once; a stale set cannot exist (routines set
        // it only while stopping), but the count is checked again anyway.
        while self.in_flight.load(Ordering::Acquire) & !STOPPING != 0 {
            // SAFETY:
            // 1. The count is non-zero, so an item was queued after `allocate` initialised the
            //    event; PASSIVE_LEVEL (teardown), kernel-mode, non-alertable wait, no timeout.
            let _ = unsafe {
                KeWaitForSingleObject(
                    self.idle.get().cast(),
                    EXECUTIVE,
                    KERNEL_MODE,
                    FALSE,
                    ptr::null_mut(),
                )
            };
        }
    }

    /// IoFreeWorkItem for every allocated item (teardown, after [`Self::stop_and_drain`]).
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
