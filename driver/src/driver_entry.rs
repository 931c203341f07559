//! `DriverEntry`: registers the driver with KMDF.

use core::ptr;

use wdk_sys::{
    NTSTATUS, PCUNICODE_STRING, PDRIVER_OBJECT, ULONG, WDF_DRIVER_CONFIG,
    call_unsafe_wdf_function_binding,
};

use crate::{device::evt_driver_device_add, wdf_size::wdf_size_of};

const DRIVER_CONFIG_SIZE: ULONG = wdf_size_of::<WDF_DRIVER_CONFIG>();

/// The image entry point KMDF's `FxDriverEntry` calls: WdfDriverCreate with EvtDriverDeviceAdd.
/// The framework supplies DriverUnload for this PnP driver.
///
/// # Safety
/// Called once by the I/O manager (through KMDF) with its driver object and registry path.
// SAFETY:
// 1. "DriverEntry" is the symbol KMDF's entry stub calls; nothing else in the image exports it.
// 2. Test builds on Windows link wdk-sys's test-stubs, which provide their own DriverEntry.
#[cfg_attr(not(test), unsafe(export_name = "DriverEntry"))]
pub unsafe extern "system" fn driver_entry(
    driver: PDRIVER_OBJECT,
    registry_path: PCUNICODE_STRING,
) -> NTSTATUS {
    let mut config = WDF_DRIVER_CONFIG {
        Size: DRIVER_CONFIG_SIZE,
        EvtDriverDeviceAdd: Some(evt_driver_device_add),
        ..Default::default()
    };
    // SAFETY:
    // 1. `driver` and `registry_path` come from the I/O manager and are valid for this call.
    // 2. `config` is a fully initialised WDF_DRIVER_CONFIG with its Size set.
    // 3. No driver attributes; the WDFDRIVER handle is not needed (out-parameter NULL).
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDriverCreate,
            driver,
            registry_path,
            ptr::null_mut(),
            &raw mut config,
            ptr::null_mut(),
        )
    }
}
