//! [`WdfRequest`]: the engine's [`Request`] over a WDFREQUEST (or, for flushes, a glue-owned
//! waiter; see [`crate::flush`]).
//!
//! Buffers are looked up once, when the request is wrapped, with WdfRequestRetrieveInputBuffer /
//! WdfRequestRetrieveOutputBuffer and a minimum length of 0, and only for reads, writes and
//! METHOD_BUFFERED IOCTLs (`irp_dispatch::ioctl_uses_system_buffer`); an absent buffer, or any
//! other request, gets empty slices. The device uses buffered I/O, so what is retrieved is always
//! the nonpaged system buffer, valid at DISPATCH_LEVEL in any thread until completion. For
//! METHOD_BUFFERED IOCTLs input and output are the *same* system buffer: the two slices alias.
//! That is sound because `input` borrows the request shared and `output` borrows it exclusively,
//! so the borrow checker never lets an input slice live while the output slice is written; the
//! engine reads all input before it writes output, as the boundary documents.

use core::{fmt, ptr, ptr::NonNull, slice};

use serial_engine::kernel::{Cancelled, Request, RequestId};
use serial_ioctl::NtStatus;
use wdk_sys::{
    NTSTATUS, PVOID, STATUS_CANCELLED, ULONG_PTR, WDFREQUEST, call_unsafe_wdf_function_binding,
};

use crate::{context::device_context, flush::FlushWaiter};

/// STATUS_INTERNAL_ERROR: completes a request the engine dropped without completing it.
const STATUS_INTERNAL_ERROR: NtStatus = NtStatus(0xC000_00E5_u32 as i32);

enum Origin {
    /// Presented by the default queue.
    Framework(WDFREQUEST),
    /// An IRP_MJ_FLUSH_BUFFERS waiting in its preprocess callback.
    Flush(NonNull<FlushWaiter>),
}

/// An I/O request owned by the engine until `complete`.
pub struct WdfRequest {
    origin: Origin,
    input: *const u8,
    input_len: usize,
    output: *mut u8,
    output_len: usize,
    /// Marked cancelable and not unmarked since (what `Drop` must undo before completing).
    cancelable: bool,
}

impl fmt::Debug for WdfRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WdfRequest")
            .field("id", &self.id())
            .field("input_len", &self.input_len)
            .field("output_len", &self.output_len)
            .finish_non_exhaustive()
    }
}

// SAFETY:
// 1. A WDFREQUEST may be completed, marked and unmarked from any thread at IRQL <= DISPATCH; the
//    buffers are nonpaged system buffers; the flush waiter lives in nonpaged pool until the request
//    is completed. Ownership of the request moves with the value.
unsafe impl Send for WdfRequest {}

impl WdfRequest {
    /// Wraps a request the default queue presented; `system_buffers` says whether its buffers
    /// are the system buffer (reads, writes, METHOD_BUFFERED IOCTLs) and may be retrieved.
    ///
    /// # Safety
    /// `request` is a valid WDFREQUEST the driver owns (just presented by a queue callback).
    pub(crate) unsafe fn from_framework(request: WDFREQUEST, system_buffers: bool) -> Self {
        if !system_buffers {
            return Self {
                origin: Origin::Framework(request),
                input: ptr::null(),
                input_len: 0,
                output: ptr::null_mut(),
                output_len: 0,
                cancelable: false,
            };
        }
        let mut input: PVOID = ptr::null_mut();
        let mut input_len: usize = 0;
        // SAFETY:
        // 1. `request` is valid and owned (caller's contract); the out-pointers are live locals.
        let input_status = unsafe {
            call_unsafe_wdf_function_binding!(
                WdfRequestRetrieveInputBuffer,
                request,
                0,
                &raw mut input,
                &raw mut input_len,
            )
        };
        let mut output: PVOID = ptr::null_mut();
        let mut output_len: usize = 0;
        // SAFETY:
        // 1. As above.
        let output_status = unsafe {
            call_unsafe_wdf_function_binding!(
                WdfRequestRetrieveOutputBuffer,
                request,
                0,
                &raw mut output,
                &raw mut output_len,
            )
        };
        let (input, input_len) = if wdk::nt_success(input_status) && !input.is_null() {
            (input, input_len)
        } else {
            (ptr::null_mut(), 0)
        };
        let (output, output_len) = if wdk::nt_success(output_status) && !output.is_null() {
            (output, output_len)
        } else {
            (ptr::null_mut(), 0)
        };
        Self {
            origin: Origin::Framework(request),
            input: input.cast_const().cast(),
            input_len,
            output: output.cast(),
            output_len,
            cancelable: false,
        }
    }

    /// Wraps a flush waiter (no buffers).
    pub(crate) const fn from_flush(waiter: NonNull<FlushWaiter>) -> Self {
        Self {
            origin: Origin::Flush(waiter),
            input: ptr::null(),
            input_len: 0,
            output: ptr::null_mut(),
            output_len: 0,
            cancelable: false,
        }
    }

    fn finish(&self, status: NtStatus, information: usize) {
        match self.origin {
            Origin::Framework(request) => {
                let information = ULONG_PTR::try_from(information).unwrap_or(ULONG_PTR::MAX);
                // SAFETY:
                // 1. The request is owned by this value and completed exactly once: `complete`
                //    consumes the value and forgets it, `Drop` runs only when it was not completed
                //    and completes only a request no cancel callback owns.
                // 2. The engine completes at IRQL <= DISPATCH with no spin lock held.
                unsafe {
                    call_unsafe_wdf_function_binding!(
                        WdfRequestCompleteWithInformation,
                        request,
                        status.0,
                        information,
                    );
                }
            }
            Origin::Flush(waiter) => {
                // SAFETY:
                // 1. The waiter stays allocated until its event is signalled, which only this
                //    (single) completion does.
                unsafe { waiter.as_ref() }.complete(status, information);
            }
        }
    }
}

impl Request for WdfRequest {
    fn id(&self) -> RequestId {
        let address = match self.origin {
            Origin::Framework(request) => request.addr(),
            Origin::Flush(waiter) => waiter.as_ptr().addr(),
        };
        RequestId(u64::try_from(address).unwrap_or(u64::MAX))
    }

    fn input(&self) -> &[u8] {
        if self.input.is_null() || self.input_len == 0 {
            return &[];
        }
        // SAFETY:
        // 1. `input` is the request's system buffer, `input_len` bytes long, nonpaged and valid
        //    until completion, which consumes `self` (so the slice cannot outlive it).
        // 2. No `&mut` to the same bytes exists while this shared borrow of `self` lives.
        unsafe { slice::from_raw_parts(self.input, self.input_len) }
    }

    fn output(&mut self) -> &mut [u8] {
        if self.output.is_null() || self.output_len == 0 {
            return &mut [];
        }
        // SAFETY:
        // 1. `output` is the request's system buffer, `output_len` bytes long, nonpaged and valid
        //    until completion.
        // 2. The exclusive borrow of `self` rules out a live `input` slice over the same buffer.
        unsafe { slice::from_raw_parts_mut(self.output, self.output_len) }
    }

    fn mark_cancelable(&mut self) -> Result<(), Cancelled> {
        let marked = self.mark();
        self.cancelable = marked.is_ok();
        marked
    }

    fn unmark_cancelable(&mut self) -> Result<(), Cancelled> {
        self.cancelable = false;
        self.unmark()
    }

    fn complete(self, status: NtStatus, information: usize) {
        self.finish(status, information);
        core::mem::forget(self);
    }
}

impl WdfRequest {
    /// WdfRequestMarkCancelableEx (or the flush waiter's equivalent).
    fn mark(&mut self) -> Result<(), Cancelled> {
        match self.origin {
            Origin::Framework(request) => {
                // SAFETY:
                // 1. The driver owns the request and it is not cancelable now (the engine pairs
                //    mark/unmark); IRQL <= DISPATCH.
                let status: NTSTATUS = unsafe {
                    call_unsafe_wdf_function_binding!(
                        WdfRequestMarkCancelableEx,
                        request,
                        Some(evt_request_cancel),
                    )
                };
                if wdk::nt_success(status) {
                    Ok(())
                } else {
                    Err(Cancelled)
                }
            }
            // SAFETY:
            // 1. The waiter outlives the request (see `finish`).
            Origin::Flush(waiter) => unsafe { waiter.as_ref() }
                .cancel
                .mark_cancelable()
                .map_err(|_| Cancelled),
        }
    }

    /// WdfRequestUnmarkCancelable (or the flush waiter's equivalent); `Err` when the cancel
    /// callback has run or will run, which then owns the completion.
    fn unmark(&mut self) -> Result<(), Cancelled> {
        match self.origin {
            Origin::Framework(request) => {
                // SAFETY:
                // 1. The driver owns the request; IRQL <= DISPATCH.
                let status: NTSTATUS = unsafe {
                    call_unsafe_wdf_function_binding!(WdfRequestUnmarkCancelable, request)
                };
                if status == STATUS_CANCELLED {
                    Err(Cancelled)
                } else {
                    Ok(())
                }
            }
            // SAFETY:
            // 1. The waiter outlives the request (see `finish`).
            Origin::Flush(waiter) => unsafe { waiter.as_ref() }
                .cancel
                .unmark_cancelable()
                .map_err(|_| Cancelled),
        }
    }
}

impl Drop for WdfRequest {
    /// The engine completes every request exactly once; a request dropped without completion is an
    /// engine bug. It is reported and, so the caller's handle does not hang, completed with
    /// STATUS_INTERNAL_ERROR, but only if it is not cancelable or can still be unmarked: once its
    /// cancel callback has run or will run, completing here could complete it twice (a bug check),
    /// so it is left to that callback.
    fn drop(&mut self) {
        let id = self.id();
        if self.cancelable && self.unmark().is_err() {
            wdk::println!(
                "serial16550: request {id:?} dropped while its cancel callback owns it; left to it"
            );
            return;
        }
        wdk::println!("serial16550: request {id:?} dropped without completion");
        self.finish(STATUS_INTERNAL_ERROR, 0);
    }
}

/// EvtRequestCancel (IRQL <= DISPATCH): finds the device from the request's queue and lets the
/// engine complete the request with STATUS_CANCELLED.
unsafe extern "C" fn evt_request_cancel(request: WDFREQUEST) {
    // SAFETY:
    // 1. KMDF passes a valid request it delivered from a queue; callable at <= DISPATCH.
    let queue = unsafe { call_unsafe_wdf_function_binding!(WdfRequestGetIoQueue, request) };
    // SAFETY:
    // 1. `queue` is the request's (default) queue, a valid handle.
    let device = unsafe { call_unsafe_wdf_function_binding!(WdfIoQueueGetDevice, queue) };
    // SAFETY:
    // 1. The device owns the queue that owns the request, so it is alive during this callback.
    if let Some(engine) = unsafe { device_context(device) }.and_then(|context| context.engine()) {
        engine.cancel(RequestId(u64::try_from(request.addr()).unwrap_or(u64::MAX)));
    }
}
