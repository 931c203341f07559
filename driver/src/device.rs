//! EvtDriverDeviceAdd and the device's PnP, power and file-object callbacks.
//!
//! What the device gets:
//! - device type FILE_DEVICE_SERIAL_PORT, exclusive (a second open fails in the I/O manager);
//! - file-object callbacks: create → `Device::create`, cleanup → `Device::cleanup`,
//!   close → `Device::close`;
//! - preprocess callbacks for IRP_MJ_FLUSH_BUFFERS (see [`crate::flush`]) and for
//!   IRP_MJ_QUERY_INFORMATION / IRP_MJ_SET_INFORMATION (see [`crate::file_information`]);
//! - PnP/power: PrepareHardware picks the I/O port range (and checks an interrupt was assigned)
//!   and probes the UART; ReleaseHardware forgets the ports; D0EntryPostInterruptsEnabled →
//!   `Device::power_up`, D0ExitPreInterruptsDisabled → `Device::power_down` (the interrupt is
//!   connected during both, so the engine's interrupt synchronisation is a real lock);
//! - a WDFINTERRUPT, the resident DPCs, timers and work items, the engine, the default queue;
//! - a GUID_DEVINTERFACE_COMPORT device interface;
//! - the COM name, as serial.sys gives it (see [`crate::naming`]): the device object is named
//!   `\Device\Serial16550_<n>`, a `\DosDevices\<PortName>` link points at it and
//!   `HKLM\HARDWARE\DEVICEMAP\SERIALCOMM` lists it; EvtCleanupCallback removes the SERIALCOMM
//!   value (KMDF removes the link).

use core::ptr;

use serial_engine::Device;
use wdk_sys::{
    _WDF_EXECUTION_LEVEL, _WDF_FILEOBJECT_CLASS, _WDF_SYNCHRONIZATION_SCOPE, _WDF_TRI_STATE, GUID,
    NTSTATUS, PIRP, PWDFDEVICE_INIT, STATUS_DEVICE_CONFIGURATION_ERROR,
    STATUS_DEVICE_NOT_CONNECTED, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_STATE,
    STATUS_SUCCESS, ULONG, WDF_FILEOBJECT_CONFIG, WDF_OBJECT_ATTRIBUTES,
    WDF_PNPPOWER_EVENT_CALLBACKS, WDF_POWER_DEVICE_STATE, WDFCMRESLIST, WDFDEVICE, WDFDRIVER,
    WDFFILEOBJECT, WDFOBJECT, WDFREQUEST, call_unsafe_wdf_function_binding,
    ntddk::KeFlushQueuedDpcs,
};

use crate::{
    context::{DEVICE_CONTEXT_TYPE_INFO, DeviceContext, device_context},
    fifo_registry::read_fifo_values,
    fifo_settings,
    file_information::{evt_query_information_preprocess, evt_set_information_preprocess},
    flush::evt_flush_preprocess,
    interrupt::create_interrupt,
    irp_dispatch::{IRP_MJ_FLUSH_BUFFERS, IRP_MJ_QUERY_INFORMATION, IRP_MJ_SET_INFORMATION},
    kernel::WdfKernel,
    naming::{assign_device_name, create_com_port_names, remove_device_map_entry},
    port_name::DeviceName,
    queue::create_default_queue,
    resources::{RawResource, select_uart_resources},
    wdf_size::wdf_size_of,
};

/// `FILE_DEVICE_SERIAL_PORT` (devioctl.h; a `#define`, and WdfDeviceInitSetDeviceType takes a ULONG).
const FILE_DEVICE_SERIAL_PORT: ULONG = 0x1b;

/// `GUID_DEVINTERFACE_COMPORT` {86E0D1E0-8089-11D0-9CE4-08003E301F73} (ntddser.h).
const GUID_DEVINTERFACE_COMPORT: GUID = GUID {
    Data1: 0x86e0_d1e0,
    Data2: 0x8089,
    Data3: 0x11d0,
    Data4: [0x9c, 0xe4, 0x08, 0x00, 0x3e, 0x30, 0x1f, 0x73],
};

const FILEOBJECT_CONFIG_SIZE: ULONG = wdf_size_of::<WDF_FILEOBJECT_CONFIG>();
const PNPPOWER_CALLBACKS_SIZE: ULONG = wdf_size_of::<WDF_PNPPOWER_EVENT_CALLBACKS>();
const OBJECT_ATTRIBUTES_SIZE: ULONG = wdf_size_of::<WDF_OBJECT_ATTRIBUTES>();

/// The engine of `device`, if the device context holds one.
///
/// # Safety
/// `device` is a valid WDFDEVICE of this driver and the reference is used only during the current
/// callback.
unsafe fn engine_of<'a>(device: WDFDEVICE) -> Option<&'a Device<WdfKernel>> {
    // SAFETY:
    // 1. Caller's contract.
    unsafe { device_context(device) }.and_then(DeviceContext::engine)
}

/// EvtDriverDeviceAdd (PASSIVE_LEVEL): creates and fully sets up one serial port device.
pub(crate) unsafe extern "C" fn evt_driver_device_add(
    _driver: WDFDRIVER,
    device_init: PWDFDEVICE_INIT,
) -> NTSTATUS {
    // SAFETY:
    // 1. KMDF passes a valid WDFDEVICE_INIT that the driver owns until WdfDeviceCreate.
    let status = unsafe { configure_device_init(device_init) };
    if !wdk::nt_success(status) {
        return status;
    }
    // SAFETY:
    // 1. `device_init` is still the driver's (not yet given to WdfDeviceCreate); EvtDriverDeviceAdd
    //    runs at PASSIVE_LEVEL.
    let device_name = match unsafe { assign_device_name(device_init) } {
        Ok(device_name) => device_name,
        Err(status) => return status,
    };
    let mut attributes = WDF_OBJECT_ATTRIBUTES {
        Size: OBJECT_ATTRIBUTES_SIZE,
        EvtCleanupCallback: Some(evt_device_context_cleanup),
        EvtDestroyCallback: Some(evt_device_context_destroy),
        ExecutionLevel: _WDF_EXECUTION_LEVEL::WdfExecutionLevelInheritFromParent,
        SynchronizationScope: _WDF_SYNCHRONIZATION_SCOPE::WdfSynchronizationScopeInheritFromParent,
        ContextTypeInfo: DEVICE_CONTEXT_TYPE_INFO.as_ptr(),
        ..Default::default()
    };
    let mut device_init = device_init;
    let mut device: WDFDEVICE = ptr::null_mut();
    // SAFETY:
    // 1. `device_init` is the owned WDFDEVICE_INIT (KMDF frees it on success and failure).
    // 2. `attributes` is fully initialised with Size, the context type and its cleanup and destroy
    //    callbacks.
    // 3. `device` is a live local that receives the handle.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceCreate,
            &raw mut device_init,
            &raw mut attributes,
            &raw mut device,
        )
    };
    if !wdk::nt_success(status) {
        return status;
    }
    // SAFETY:
    // 1. `device` was just created, named `device_name`; failures below make KMDF delete it, and
    //    the cleanup and destroy callbacks undo whatever part of the set-up had happened.
    unsafe { set_up_device(device, &device_name) }
}

/// Everything that goes into the WDFDEVICE_INIT before WdfDeviceCreate.
///
/// # Safety
/// `device_init` is the WDFDEVICE_INIT KMDF passed to EvtDriverDeviceAdd.
unsafe fn configure_device_init(device_init: PWDFDEVICE_INIT) -> NTSTATUS {
    // SAFETY:
    // 1. `device_init` is valid and not yet consumed by WdfDeviceCreate.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceInitSetDeviceType,
            device_init,
            FILE_DEVICE_SERIAL_PORT,
        );
    }
    // SAFETY:
    // 1. As above. TRUE: one open handle at a time (serial-semantics §14.1).
    unsafe { call_unsafe_wdf_function_binding!(WdfDeviceInitSetExclusive, device_init, 1) };

    let mut file_config = WDF_FILEOBJECT_CONFIG {
        Size: FILEOBJECT_CONFIG_SIZE,
        EvtDeviceFileCreate: Some(evt_device_file_create),
        EvtFileClose: Some(evt_file_close),
        EvtFileCleanup: Some(evt_file_cleanup),
        // As WDF_FILEOBJECT_CONFIG_INIT.
        AutoForwardCleanupClose: _WDF_TRI_STATE::WdfUseDefault,
        FileObjectClass: _WDF_FILEOBJECT_CLASS::WdfFileObjectWdfCannotUseFsContexts,
    };
    // SAFETY:
    // 1. `device_init` is valid; `file_config` is fully initialised with its Size; no attributes.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceInitSetFileObjectConfig,
            device_init,
            &raw mut file_config,
            ptr::null_mut(),
        );
    }

    let mut pnp_power = WDF_PNPPOWER_EVENT_CALLBACKS {
        Size: PNPPOWER_CALLBACKS_SIZE,
        EvtDevicePrepareHardware: Some(evt_device_prepare_hardware),
        EvtDeviceReleaseHardware: Some(evt_device_release_hardware),
        EvtDeviceD0EntryPostInterruptsEnabled: Some(evt_device_d0_entry_post_interrupts_enabled),
        EvtDeviceD0ExitPreInterruptsDisabled: Some(evt_device_d0_exit_pre_interrupts_disabled),
        EvtDeviceSurpriseRemoval: Some(evt_device_surprise_removal),
        ..Default::default()
    };
    // SAFETY:
    // 1. `device_init` is valid; `pnp_power` is fully initialised with its Size.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceInitSetPnpPowerEventCallbacks,
            device_init,
            &raw mut pnp_power,
        );
    }

    // One callback per major function in PREPROCESSED_MAJOR_FUNCTIONS.
    for (callback, major) in [
        (
            evt_query_information_preprocess as PreprocessCallback,
            IRP_MJ_QUERY_INFORMATION,
        ),
        (evt_set_information_preprocess, IRP_MJ_SET_INFORMATION),
        (evt_flush_preprocess, IRP_MJ_FLUSH_BUFFERS),
    ] {
        // SAFETY:
        // 1. `device_init` is valid; no minor-function filter (NULL table, 0 entries).
        let status = unsafe {
            call_unsafe_wdf_function_binding!(
                WdfDeviceInitAssignWdmIrpPreprocessCallback,
                device_init,
                Some(callback),
                major,
                ptr::null_mut(),
                0,
            )
        };
        if !wdk::nt_success(status) {
            return status;
        }
    }
    STATUS_SUCCESS
}

/// The shape of an EvtDeviceWdmIrpPreprocess callback.
type PreprocessCallback = unsafe extern "C" fn(WDFDEVICE, PIRP) -> NTSTATUS;

/// Interrupt, resident kernel objects, engine, queue, interface and COM name of a created device.
///
/// # Safety
/// `device` was just created by WdfDeviceCreate in EvtDriverDeviceAdd (PASSIVE_LEVEL), with the
/// object name `device_name`.
unsafe fn set_up_device(device: WDFDEVICE, device_name: &DeviceName) -> NTSTATUS {
    let interrupt = match create_interrupt(device) {
        Ok(interrupt) => interrupt,
        Err(status) => return status,
    };
    // SAFETY:
    // 1. `device` is valid and was created with the DeviceContext type.
    let Some(context) = (unsafe { device_context(device) }) else {
        return STATUS_INVALID_DEVICE_STATE;
    };
    let resident = context.resident();
    resident.interrupt.attach(interrupt);
    let routine_context = context.as_routine_context();
    // SAFETY:
    // 1. First and only initialisation, before the engine (the only inserter) exists; the objects
    //    are inside the device context at their final address; `routine_context` is that context.
    unsafe { resident.dpcs.initialize(routine_context) };
    // SAFETY:
    // 1. As above, for the timers and their DPCs (PASSIVE_LEVEL).
    unsafe { resident.timers.initialize(routine_context) };
    // SAFETY:
    // 1. `device` is valid; WdfDeviceWdmGetDeviceObject returns its WDM device object.
    let device_object =
        unsafe { call_unsafe_wdf_function_binding!(WdfDeviceWdmGetDeviceObject, device) };
    // SAFETY:
    // 1. PASSIVE_LEVEL, once; `device_object` is this device's; `routine_context` owns the set.
    let allocated = unsafe { resident.work_items.allocate(device_object, routine_context) };
    resident.event_log.attach(device, device_object);
    context.mark_resident_ready();
    if !allocated {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    // SAFETY:
    // 1. The resident objects are initialised and live in the device context, which outlives the
    //    engine (dropped in the destroy callback).
    let kernel = unsafe { WdfKernel::new(resident) };
    // SAFETY:
    // 1. `device` was created above; PASSIVE_LEVEL (EvtDriverDeviceAdd).
    let config = fifo_settings::device_config(unsafe { read_fifo_values(device) });
    // SAFETY:
    // 1. Once, before the queue exists and before the device starts, so no callback can see a
    //    half-installed engine.
    unsafe { context.install_engine(Device::new(kernel, config)) };

    let status = create_default_queue(device);
    if !wdk::nt_success(status) {
        return status;
    }
    // SAFETY:
    // 1. `device` is valid; the GUID is a static-lifetime constant; no reference string.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceCreateDeviceInterface,
            device,
            &GUID_DEVINTERFACE_COMPORT,
            ptr::null(),
        )
    };
    if !wdk::nt_success(status) {
        return status;
    }
    // SAFETY:
    // 1. `device` was created with the name `device_name`; the naming state is in its context;
    //    PASSIVE_LEVEL.
    unsafe { create_com_port_names(device, context.naming(), device_name) }
}

/// EvtCleanupCallback of the device (PASSIVE_LEVEL, when KMDF deletes the device at removal or
/// after a failed EvtDriverDeviceAdd): withdraws the SERIALCOMM value. KMDF deletes the
/// `\DosDevices` link itself.
unsafe extern "C" fn evt_device_context_cleanup(object: WDFOBJECT) {
    // SAFETY:
    // 1. KMDF passes the device being deleted; its context is valid until EvtDestroyCallback.
    if let Some(context) = unsafe { device_context(object.cast()) } {
        // SAFETY:
        // 1. A device's cleanup callback runs at PASSIVE_LEVEL.
        unsafe { remove_device_map_entry(context.naming()) };
    }
}

/// EvtDestroyCallback of the device (PASSIVE_LEVEL): the last moment the context exists. Stops
/// every source of engine calls, waits for the running ones, frees the work items, then drops the
/// engine.
unsafe extern "C" fn evt_device_context_destroy(object: WDFOBJECT) {
    // SAFETY:
    // 1. KMDF passes the device being destroyed; its context is valid until this returns.
    let Some(context) = (unsafe { device_context(object.cast()) }) else {
        return;
    };
    if context.resident_ready() {
        let resident = context.resident();
        // 1. Stop new arming: from here inserts, sets and queues do nothing.
        resident.dpcs.stop_queueing();
        resident.timers.stop_arming();
        // 2. Wait for work items in flight (their own arming is now a no-op) and for DPCs that
        //    were running, which may have looked at the flags just before they changed.
        resident.work_items.stop_and_drain();
        // SAFETY:
        // 1. PASSIVE_LEVEL; waits for DPC routines (plain and timer) that were already running.
        unsafe { KeFlushQueuedDpcs() };
        // 3. Nothing can arm any more: cancel what is set and dequeue what is queued, then wait
        //    for any routine that started meanwhile.
        resident.timers.cancel_all();
        resident.dpcs.remove_all();
        // SAFETY:
        // 1. As above.
        unsafe { KeFlushQueuedDpcs() };
        resident.work_items.free_all();
    }
    // SAFETY:
    // 1. The interrupt and queue (child objects) are gone, timers are cancelled, DPCs flushed and
    //    work items drained: nothing can reach the engine any more.
    unsafe { context.drop_engine() };
}

/// EvtDevicePrepareHardware (PASSIVE_LEVEL): port range from the translated resources, probe.
unsafe extern "C" fn evt_device_prepare_hardware(
    device: WDFDEVICE,
    _resources_raw: WDFCMRESLIST,
    resources_translated: WDFCMRESLIST,
) -> NTSTATUS {
    // SAFETY:
    // 1. KMDF passes this driver's device and its translated resource list for this callback.
    let Some(context) = (unsafe { device_context(device) }) else {
        return STATUS_INVALID_DEVICE_STATE;
    };
    // SAFETY:
    // 1. `resources_translated` is valid for the duration of this callback.
    let count = unsafe {
        call_unsafe_wdf_function_binding!(WdfCmResourceListGetCount, resources_translated)
    };
    // SAFETY:
    // 1. Each index is below the list's count and the list is valid during this callback.
    let descriptors =
        (0..count).filter_map(|index| unsafe { read_descriptor(resources_translated, index) });
    let resources = match select_uart_resources(descriptors) {
        Ok(resources) => resources,
        Err(error) => {
            wdk::println!("serial16550: unusable resources: {error:?}");
            return STATUS_DEVICE_CONFIGURATION_ERROR;
        }
    };
    context.resident().ports.assign(resources);
    match context.engine() {
        Some(engine) if engine.probe_hardware() => STATUS_SUCCESS,
        Some(_) => {
            wdk::println!("serial16550: no 16550 at port {:#x}", resources.port_base);
            STATUS_DEVICE_NOT_CONNECTED
        }
        None => STATUS_INVALID_DEVICE_STATE,
    }
}

/// Copies the fields the resource selection needs out of descriptor `index`.
///
/// # Safety
/// `list` is a valid WDFCMRESLIST and `index` is below its count.
unsafe fn read_descriptor(list: WDFCMRESLIST, index: ULONG) -> Option<RawResource> {
    // SAFETY:
    // 1. Caller's contract.
    let descriptor =
        unsafe { call_unsafe_wdf_function_binding!(WdfCmResourceListGetDescriptor, list, index) };
    // SAFETY:
    // 1. A non-null descriptor points into the resource list, valid during PrepareHardware.
    let descriptor = unsafe { descriptor.as_ref() }?;
    let kind = descriptor.Type;
    let (start, length) = if kind == crate::resources::CM_RESOURCE_TYPE_PORT
        || kind == crate::resources::CM_RESOURCE_TYPE_MEMORY
    {
        // SAFETY:
        // 1. For port and memory descriptors the active union member is `Port` / `Memory`, which
        //    share the layout {Start: PHYSICAL_ADDRESS, Length: ULONG}.
        let port = unsafe { descriptor.u.Port };
        // SAFETY:
        // 1. Every member of LARGE_INTEGER covers the same 8 bytes and any bit pattern is a valid
        //    i64.
        (unsafe { port.Start.QuadPart }, port.Length)
    } else {
        (0, 0)
    };
    Some(RawResource {
        kind,
        flags: descriptor.Flags,
        start,
        length,
    })
}

/// EvtDeviceSurpriseRemoval (PASSIVE_LEVEL): the UART is gone, perhaps with a handle open. KMDF
/// purges the (not power-managed) default queue only after the last handle closes, so the engine
/// ends every held request and fails every later one with STATUS_DELETE_PENDING; cleanup and
/// close still work. The SERIALCOMM value goes now, as in serial.sys (the symbolic link is
/// KMDF's to remove).
unsafe extern "C" fn evt_device_surprise_removal(device: WDFDEVICE) {
    // SAFETY:
    // 1. KMDF passes this driver's device.
    let Some(context) = (unsafe { device_context(device) }) else {
        return;
    };
    if let Some(engine) = context.engine() {
        engine.surprise_removed();
    }
    // SAFETY:
    // 1. PASSIVE_LEVEL (this callback); the value is taken once, so the cleanup callback's own
    //    call later finds nothing to delete.
    unsafe { remove_device_map_entry(context.naming()) };
}

/// EvtDeviceReleaseHardware (PASSIVE_LEVEL): the port range is no longer ours.
unsafe extern "C" fn evt_device_release_hardware(
    device: WDFDEVICE,
    _resources_translated: WDFCMRESLIST,
) -> NTSTATUS {
    // SAFETY:
    // 1. KMDF passes this driver's device.
    if let Some(context) = unsafe { device_context(device) } {
        context.resident().ports.release();
    }
    STATUS_SUCCESS
}

/// EvtDeviceD0EntryPostInterruptsEnabled (PASSIVE_LEVEL): the interrupt is connected, so the
/// engine's synchronisation can use the interrupt lock from now on; then restore the UART.
unsafe extern "C" fn evt_device_d0_entry_post_interrupts_enabled(
    device: WDFDEVICE,
    _previous_state: WDF_POWER_DEVICE_STATE,
) -> NTSTATUS {
    // SAFETY:
    // 1. KMDF passes this driver's device.
    if let Some(context) = unsafe { device_context(device) } {
        context.resident().interrupt.set_connected(true);
        if let Some(engine) = context.engine() {
            engine.power_up();
        }
    }
    STATUS_SUCCESS
}

/// EvtDeviceD0ExitPreInterruptsDisabled (PASSIVE_LEVEL): save and quiet the UART while the
/// interrupt lock still exists, then fall back to the gate lock alone.
unsafe extern "C" fn evt_device_d0_exit_pre_interrupts_disabled(
    device: WDFDEVICE,
    _target_state: WDF_POWER_DEVICE_STATE,
) -> NTSTATUS {
    // SAFETY:
    // 1. KMDF passes this driver's device.
    if let Some(context) = unsafe { device_context(device) } {
        if let Some(engine) = context.engine() {
            engine.power_down();
        }
        context.resident().interrupt.set_connected(false);
    }
    STATUS_SUCCESS
}

/// EvtDeviceFileCreate (PASSIVE_LEVEL): IRP_MJ_CREATE → `Device::create`.
unsafe extern "C" fn evt_device_file_create(
    device: WDFDEVICE,
    request: WDFREQUEST,
    _file_object: WDFFILEOBJECT,
) {
    // SAFETY:
    // 1. KMDF passes this driver's device during the callback.
    let status = unsafe { engine_of(device) }
        .map_or(STATUS_INVALID_DEVICE_STATE, |engine| engine.create().0);
    // SAFETY:
    // 1. The create request belongs to the driver until completed, once, here.
    unsafe { call_unsafe_wdf_function_binding!(WdfRequestComplete, request, status) };
}

/// EvtFileCleanup (PASSIVE_LEVEL): last handle closed → `Device::cleanup`.
unsafe extern "C" fn evt_file_cleanup(file_object: WDFFILEOBJECT) {
    // SAFETY:
    // 1. KMDF passes a valid file object of this driver's device.
    let device = unsafe { call_unsafe_wdf_function_binding!(WdfFileObjectGetDevice, file_object) };
    // SAFETY:
    // 1. The device owns the file object, so it is alive during the callback.
    if let Some(engine) = unsafe { engine_of(device) } {
        engine.cleanup();
    }
}

/// EvtFileClose (PASSIVE_LEVEL): all requests of the file are done → `Device::close`.
unsafe extern "C" fn evt_file_close(file_object: WDFFILEOBJECT) {
    // SAFETY:
    // 1. KMDF passes a valid file object of this driver's device.
    let device = unsafe { call_unsafe_wdf_function_binding!(WdfFileObjectGetDevice, file_object) };
    // SAFETY:
    // 1. The device owns the file object, so it is alive during the callback.
    if let Some(engine) = unsafe { engine_of(device) } {
        engine.close();
    }
}
