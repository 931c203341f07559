//! IRP_MJ_QUERY_INFORMATION and IRP_MJ_SET_INFORMATION through WDM preprocess callbacks (KMDF
//! would fail both with STATUS_INVALID_DEVICE_REQUEST): the engine decides
//! (`serial_engine::file_information`), the glue reads the stack location, hands over the system
//! buffer and completes the IRP. Both arrive at PASSIVE_LEVEL in the caller's thread, and the I/O
//! manager always buffers these two: the output is `AssociatedIrp.SystemBuffer`, `Length` bytes.

use core::slice;

use serial_engine::Device;
use serial_ioctl::NtStatus;
use wdk_sys::{NTSTATUS, PIRP, STATUS_INVALID_DEVICE_STATE, WDFDEVICE};

use crate::{context::device_context, flush::complete_irp, kernel::WdfKernel};

/// The current stack location's information class and buffer length.
///
/// # Safety
/// `irp` is a valid IRP delivered to this driver's preprocess callback.
unsafe fn class_and_length(irp: PIRP, query: bool) -> (u32, usize, *mut u8) {
    // SAFETY:
    // 1. The IRP is valid and owned by this callback (caller's contract).
    let irp = unsafe { &*irp };
    // SAFETY:
    // 1. A queued IRP's Tail holds the Overlay member (Apc and CompletionKey are used only by
    //    the I/O manager after completion).
    let overlay = unsafe { &irp.Tail.Overlay };
    // SAFETY:
    // 1. While a driver holds the IRP, this union member is CurrentStackLocation.
    let stack = unsafe {
        overlay
            .__bindgen_anon_2
            .__bindgen_anon_1
            .CurrentStackLocation
    };
    // SAFETY:
    // 1. On delivery to a driver the current stack location is this driver's, valid while the
    //    IRP is owned (IoGetCurrentIrpStackLocation, an inline macro).
    let parameters = unsafe { &(*stack).Parameters };
    let (length, class) = if query {
        // SAFETY:
        // 1. For IRP_MJ_QUERY_INFORMATION the Parameters union holds QueryFile.
        let file = unsafe { &parameters.QueryFile };
        (file.Length, file.FileInformationClass)
    } else {
        // SAFETY:
        // 1. For IRP_MJ_SET_INFORMATION the Parameters union holds SetFile.
        let file = unsafe { &parameters.SetFile };
        (file.Length, file.FileInformationClass)
    };
    // SAFETY:
    // 1. The I/O manager buffers both majors: AssociatedIrp holds SystemBuffer.
    let buffer = unsafe { irp.AssociatedIrp.SystemBuffer };
    (
        u32::try_from(class).unwrap_or(u32::MAX),
        usize::try_from(length).unwrap_or(0),
        buffer.cast(),
    )
}

/// Runs `answer` with the device's engine and the IRP, and completes the IRP with the
/// (status, Information) it returns; STATUS_INVALID_DEVICE_STATE without an engine.
///
/// # Safety
/// `device` and `irp` are what KMDF passed to a preprocess callback of this driver.
unsafe fn answer_with_engine(
    device: WDFDEVICE,
    irp: PIRP,
    answer: impl FnOnce(&Device<WdfKernel>, PIRP) -> (NtStatus, usize),
) -> NTSTATUS {
    // SAFETY:
    // 1. KMDF calls the preprocess callback with this driver's device (caller's contract).
    let engine = unsafe { device_context(device) }.and_then(|context| context.engine());
    let (status, information) = match engine {
        Some(engine) => {
            let (status, information) = answer(engine, irp);
            (status.0, information)
        }
        None => (STATUS_INVALID_DEVICE_STATE, 0),
    };
    // SAFETY:
    // 1. The IRP was handed to the callback, `answer` does not complete it, and it is completed
    //    once, here.
    unsafe { complete_irp(irp, status, information) }
}

/// EvtDeviceWdmIrpPreprocess for IRP_MJ_QUERY_INFORMATION (PASSIVE_LEVEL).
pub(crate) unsafe extern "C" fn evt_query_information_preprocess(
    device: WDFDEVICE,
    irp: PIRP,
) -> NTSTATUS {
    let answer = |engine: &Device<WdfKernel>, irp: PIRP| {
        // SAFETY:
        // 1. The IRP is this major's, owned by the callback.
        let (class, length, buffer) = unsafe { class_and_length(irp, true) };
        let output: &mut [u8] = if buffer.is_null() || length == 0 {
            &mut []
        } else {
            // SAFETY:
            // 1. The system buffer is nonpaged, `length` bytes, owned by the IRP until its
            //    completion, which happens after this closure returns.
            unsafe { slice::from_raw_parts_mut(buffer, length) }
        };
        engine.query_information(class, output)
    };
    // SAFETY:
    // 1. KMDF passes this driver's device and the IRP it pre-processes.
    unsafe { answer_with_engine(device, irp, answer) }
}

/// EvtDeviceWdmIrpPreprocess for IRP_MJ_SET_INFORMATION (PASSIVE_LEVEL).
pub(crate) unsafe extern "C" fn evt_set_information_preprocess(
    device: WDFDEVICE,
    irp: PIRP,
) -> NTSTATUS {
    let answer = |engine: &Device<WdfKernel>, irp: PIRP| {
        // SAFETY:
        // 1. The IRP is this major's, owned by the callback.
        let (class, _, _) = unsafe { class_and_length(irp, false) };
        (engine.set_information(class), 0)
    };
    // SAFETY:
    // 1. KMDF passes this driver's device and the IRP it pre-processes.
    unsafe { answer_with_engine(device, irp, answer) }
}
