//! The default I/O queue: parallel dispatch of read, write, device control and internal device
//! control to the engine, which serialises per request type itself.
//!
//! The queue is not power-managed: the engine keeps requests pending across power transitions
//! (power_down / power_up) and the glue has no EvtIoStop, so a power-managed queue would stall a
//! sleep transition on the first pending read. Zero-length reads and writes are completed by KMDF
//! with success before they reach the driver (AllowZeroLengthRequests = FALSE), as serial.sys does.

use core::ptr;

use serial_engine::Device;
use wdk_sys::{
    _WDF_IO_QUEUE_DISPATCH_TYPE, _WDF_TRI_STATE, NTSTATUS, STATUS_INVALID_DEVICE_STATE, ULONG,
    WDF_IO_QUEUE_CONFIG, WDFDEVICE, WDFQUEUE, WDFREQUEST, call_unsafe_wdf_function_binding,
};

use crate::{
    context::device_context, irp_dispatch::ioctl_uses_system_buffer, kernel::WdfKernel,
    request::WdfRequest, wdf_size::wdf_size_of,
};

const IO_QUEUE_CONFIG_SIZE: ULONG = wdf_size_of::<WDF_IO_QUEUE_CONFIG>();

/// Creates the device's default queue (EvtDriverDeviceAdd, PASSIVE_LEVEL).
pub(crate) fn create_default_queue(device: WDFDEVICE) -> NTSTATUS {
    let mut config = WDF_IO_QUEUE_CONFIG {
        Size: IO_QUEUE_CONFIG_SIZE,
        DispatchType: _WDF_IO_QUEUE_DISPATCH_TYPE::WdfIoQueueDispatchParallel,
        PowerManaged: _WDF_TRI_STATE::WdfFalse,
        AllowZeroLengthRequests: 0,
        DefaultQueue: 1,
        EvtIoRead: Some(evt_io_read),
        EvtIoWrite: Some(evt_io_write),
        EvtIoDeviceControl: Some(evt_io_device_control),
        EvtIoInternalDeviceControl: Some(evt_io_internal_device_control),
        ..Default::default()
    };
    // As WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE for a parallel queue: no presentation limit.
    config.Settings.Parallel.NumberOfPresentedRequests = ULONG::MAX;
    // SAFETY:
    // 1. `device` is the WDFDEVICE being set up in EvtDriverDeviceAdd (PASSIVE_LEVEL).
    // 2. `config` is a fully initialised WDF_IO_QUEUE_CONFIG with its Size set.
    // 3. No attributes and no handle out-parameter (both optional).
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfIoQueueCreate,
            device,
            &raw mut config,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    }
}

/// Hands a presented request to `serve`, or fails it if the engine is missing.
///
/// # Safety
/// `queue` and `request` are the handles KMDF passed to a queue callback of this driver.
unsafe fn dispatch(
    queue: WDFQUEUE,
    request: WDFREQUEST,
    system_buffers: bool,
    serve: impl FnOnce(&Device<WdfKernel>, WdfRequest),
) {
    // SAFETY:
    // 1. `queue` is valid during its callback (caller's contract).
    let device = unsafe { call_unsafe_wdf_function_binding!(WdfIoQueueGetDevice, queue) };
    // SAFETY:
    // 1. The device owns the queue, so it is alive during the callback.
    match unsafe { device_context(device) }.and_then(|context| context.engine()) {
        // SAFETY:
        // 1. The request was just presented, so the driver owns it.
        Some(engine) => serve(engine, unsafe {
            WdfRequest::from_framework(request, system_buffers)
        }),
        None => {
            // SAFETY:
            // 1. The driver owns the request and completes it once, here.
            unsafe {
                call_unsafe_wdf_function_binding!(
                    WdfRequestComplete,
                    request,
                    STATUS_INVALID_DEVICE_STATE,
                );
            }
        }
    }
}

/// EvtIoRead (<= DISPATCH_LEVEL).
unsafe extern "C" fn evt_io_read(queue: WDFQUEUE, request: WDFREQUEST, _length: usize) {
    // SAFETY:
    // 1. KMDF passes this queue and a request it just presented.
    unsafe { dispatch(queue, request, true, |engine, request| engine.read(request)) };
}

/// EvtIoWrite (<= DISPATCH_LEVEL).
unsafe extern "C" fn evt_io_write(queue: WDFQUEUE, request: WDFREQUEST, _length: usize) {
    // SAFETY:
    // 1. KMDF passes this queue and a request it just presented.
    unsafe {
        dispatch(queue, request, true, |engine, request| {
            engine.write(request)
        })
    };
}

/// EvtIoDeviceControl (<= DISPATCH_LEVEL).
unsafe extern "C" fn evt_io_device_control(
    queue: WDFQUEUE,
    request: WDFREQUEST,
    _output_buffer_length: usize,
    _input_buffer_length: usize,
    io_control_code: ULONG,
) {
    // SAFETY:
    // 1. KMDF passes this queue and a request it just presented.
    unsafe {
        let buffered = ioctl_uses_system_buffer(io_control_code);
        dispatch(queue, request, buffered, |engine, request| {
            engine.device_control(request, io_control_code);
        });
    }
}

/// EvtIoInternalDeviceControl (<= DISPATCH_LEVEL).
unsafe extern "C" fn evt_io_internal_device_control(
    queue: WDFQUEUE,
    request: WDFREQUEST,
    _output_buffer_length: usize,
    _input_buffer_length: usize,
    io_control_code: ULONG,
) {
    // SAFETY:
    // 1. KMDF passes this queue and a request it just presented.
    unsafe {
        let buffered = ioctl_uses_system_buffer(io_control_code);
        dispatch(queue, request, buffered, |engine, request| {
            engine.internal_device_control(request, io_control_code);
        });
    }
}
