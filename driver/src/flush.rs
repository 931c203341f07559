//! IRP_MJ_FLUSH_BUFFERS.
//!
//! KMDF neither presents flush IRPs to queues nor lets a driver forward them to one
//! (WdfDeviceWdmDispatchIrpToIoQueue accepts read, write and the two IOCTL majors only). The glue
//! therefore registers a WDM preprocess callback for this major function and serves the IRP
//! synchronously in the caller's thread (flush arrives at PASSIVE_LEVEL):
//!
//! 1. a [`FlushWaiter`] (notification KEVENT + [`CancelState`] + result) is allocated from nonpaged
//!    pool, so the event stays resident even if the waiting thread's stack is paged out;
//! 2. the engine gets a [`WdfRequest`] over the waiter and completes it when every write queued
//!    before the flush has completed;
//! 3. the thread waits alertably in user mode, so process termination and user APCs interrupt the
//!    wait; the waiter then runs the cancel hand-shake (`Device::cancel`) and waits, non-alertably,
//!    for the engine to complete the request as cancelled;
//! 4. the IRP is completed with the engine's status.
//!
//! Not done: CancelIoEx aimed at the flush IRP itself is not seen (no IRP cancel routine is set);
//! the flush still ends when the writes ahead of it end, time out, are purged, or the handle is
//! closed (cleanup cancels it).

use core::{
    alloc::Layout,
    cell::UnsafeCell,
    ptr::{self, NonNull},
    sync::atomic::{AtomicI32, AtomicUsize, Ordering},
};

use serial_engine::kernel::RequestId;
use serial_ioctl::NtStatus;
use wdk_sys::{
    BOOLEAN, EVENT_TYPE, KEVENT, KPROCESSOR_MODE, KWAIT_REASON, NTSTATUS, PIRP,
    STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_STATE, STATUS_SUCCESS, ULONG_PTR,
    WDFDEVICE,
    ntddk::{IofCompleteRequest, KeInitializeEvent, KeSetEvent, KeWaitForSingleObject},
};

use crate::{cancel_state::CancelState, context::device_context, request::WdfRequest};

/// `NotificationEvent` (wdm.h `EVENT_TYPE`).
const NOTIFICATION_EVENT: EVENT_TYPE = 0;
/// `Executive` (wdm.h `KWAIT_REASON`).
const EXECUTIVE: KWAIT_REASON = 0;
/// `KernelMode` / `UserMode` (wdm.h `MODE`).
const KERNEL_MODE: KPROCESSOR_MODE = 0;
const USER_MODE: KPROCESSOR_MODE = 1;
/// `IO_NO_INCREMENT` (wdm.h).
const IO_NO_INCREMENT: i8 = 0;
const FALSE: BOOLEAN = 0;
const TRUE: BOOLEAN = 1;

/// Where a flush request's completion lands.
pub(crate) struct FlushWaiter {
    event: UnsafeCell<KEVENT>,
    /// The cancel hand-shake the engine runs through `mark/unmark_cancelable`.
    pub(crate) cancel: CancelState,
    status: AtomicI32,
    information: AtomicUsize,
}

impl FlushWaiter {
    /// Stores the result and wakes the waiting thread. The waiter may be freed as soon as the
    /// event is set, so this is the last access.
    pub(crate) fn complete(&self, status: NtStatus, information: usize) {
        self.status.store(status.0, Ordering::Release);
        self.information.store(information, Ordering::Release);
        // SAFETY:
        // 1. The event was initialised by `evt_flush_preprocess` before the request existed and is
        //    resident (nonpaged pool); KeSetEvent(Wait = FALSE) is callable at <= DISPATCH.
        // 2. The waiting thread frees the waiter only after its wait on this event returned.
        let _ = unsafe { KeSetEvent(self.event.get(), 0, FALSE) };
    }
}

/// Allocates a waiter from the (nonpaged) global allocator; `None` when pool is exhausted.
fn allocate_waiter() -> Option<NonNull<FlushWaiter>> {
    let layout = Layout::new::<FlushWaiter>();
    // SAFETY:
    // 1. `layout` has a non-zero size.
    let raw = unsafe { alloc::alloc::alloc(layout) }.cast::<FlushWaiter>();
    let waiter = NonNull::new(raw)?;
    let value = FlushWaiter {
        event: UnsafeCell::new(KEVENT::default()),
        cancel: CancelState::new(),
        status: AtomicI32::new(STATUS_SUCCESS),
        information: AtomicUsize::new(0),
    };
    // SAFETY:
    // 1. `waiter` is a fresh allocation with the layout of `FlushWaiter`.
    unsafe { waiter.as_ptr().write(value) };
    // SAFETY:
    // 1. The value was just written, so a shared reference to it is valid.
    let event = unsafe { waiter.as_ref() }.event.get();
    // SAFETY:
    // 1. The event is now at its final, resident address and no one waits on it yet.
    unsafe { KeInitializeEvent(event, NOTIFICATION_EVENT, FALSE) };
    Some(waiter)
}

/// Frees a waiter from [`allocate_waiter`].
///
/// # Safety
/// No request refers to the waiter any more (its event was signalled and the wait returned).
unsafe fn free_waiter(waiter: NonNull<FlushWaiter>) {
    // SAFETY:
    // 1. The value was written by `allocate_waiter` and is dropped once, here.
    unsafe { ptr::drop_in_place(waiter.as_ptr()) };
    // SAFETY:
    // 1. The memory came from `alloc` with this layout.
    unsafe { alloc::alloc::dealloc(waiter.as_ptr().cast(), Layout::new::<FlushWaiter>()) };
}

/// Waits for the waiter's event. `alertable` waits return early on user APCs / termination.
fn wait(waiter: NonNull<FlushWaiter>, alertable: bool) -> NTSTATUS {
    let (mode, alertable) = if alertable {
        (USER_MODE, TRUE)
    } else {
        (KERNEL_MODE, FALSE)
    };
    // SAFETY:
    // 1. The waiter stays allocated until the final wait returned.
    let event = unsafe { waiter.as_ref() }.event.get();
    // SAFETY:
    // 1. The event is initialised and resident (nonpaged pool), so a user-mode wait that lets the
    //    kernel stack be paged out is harmless.
    // 2. PASSIVE_LEVEL (flush dispatch); no timeout.
    unsafe { KeWaitForSingleObject(event.cast(), EXECUTIVE, mode, alertable, ptr::null_mut()) }
}

/// Completes `irp` with `status` and `information` (IoCompleteRequest).
///
/// # Safety
/// `irp` is an IRP this driver owns and has not completed.
pub(crate) unsafe fn complete_irp(irp: PIRP, status: NTSTATUS, information: usize) -> NTSTATUS {
    // SAFETY:
    // 1. The IRP is valid and owned by the driver (caller's contract); nothing else touches it.
    let irp_ref = unsafe { &mut *irp };
    irp_ref.IoStatus.__bindgen_anon_1.Status = status;
    irp_ref.IoStatus.Information = ULONG_PTR::try_from(information).unwrap_or(ULONG_PTR::MAX);
    // SAFETY:
    // 1. The IRP's status block is filled in; the IRP is completed once and not touched after.
    unsafe { IofCompleteRequest(irp, IO_NO_INCREMENT) };
    status
}

/// EvtDeviceWdmIrpPreprocess for IRP_MJ_FLUSH_BUFFERS (PASSIVE_LEVEL, caller's thread).
pub(crate) unsafe extern "C" fn evt_flush_preprocess(device: WDFDEVICE, irp: PIRP) -> NTSTATUS {
    // SAFETY:
    // 1. KMDF calls the preprocess callback with this driver's device.
    let engine = unsafe { device_context(device) }.and_then(|context| context.engine());
    let Some(engine) = engine else {
        // SAFETY:
        // 1. The IRP was handed to this callback and not completed yet.
        return unsafe { complete_irp(irp, STATUS_INVALID_DEVICE_STATE, 0) };
    };
    let Some(waiter) = allocate_waiter() else {
        // SAFETY:
        // 1. As above.
        return unsafe { complete_irp(irp, STATUS_INSUFFICIENT_RESOURCES, 0) };
    };
    engine.flush(WdfRequest::from_flush(waiter));
    if wait(waiter, true) != STATUS_SUCCESS {
        // Interrupted (user APC or thread termination): cancel, then wait for the completion.
        // SAFETY:
        // 1. The waiter is alive until freed below, after the final wait.
        if unsafe { waiter.as_ref() }.cancel.request_cancel() {
            let id = u64::try_from(waiter.as_ptr().addr()).unwrap_or(u64::MAX);
            engine.cancel(RequestId(id));
        }
        let _ = wait(waiter, false);
    }
    // SAFETY:
    // 1. The waiter is alive; the engine stored the result before signalling.
    let (status, information) = unsafe {
        let waiter = waiter.as_ref();
        (
            waiter.status.load(Ordering::Acquire),
            waiter.information.load(Ordering::Acquire),
        )
    };
    // SAFETY:
    // 1. The event was signalled and the wait returned: the request is completed and gone.
    unsafe { free_waiter(waiter) };
    // SAFETY:
    // 1. The IRP was handed to this callback and not completed yet.
    unsafe { complete_irp(irp, status, information) }
}
