//! Reads the Ports property page's FIFO values (`fifo_settings.rs`) from the device's hardware
//! key at device add.

use core::ptr;

use wdk_sys::{
    ULONG, UNICODE_STRING, WDF_NO_OBJECT_ATTRIBUTES, WDFDEVICE, WDFKEY,
    call_unsafe_wdf_function_binding,
};

use crate::{
    fifo_settings::{FORCE_FIFO_ENABLE_VALUE, FifoValues, RX_FIFO_VALUE, TX_FIFO_VALUE},
    naming::{KEY_READ, PLUGPLAY_REGKEY_DEVICE},
};

/// The three values; each is `None` when the key or the REG_DWORD is missing.
///
/// # Safety
/// `device` is a valid, created WDFDEVICE of this driver; PASSIVE_LEVEL.
pub(crate) unsafe fn read_fifo_values(device: WDFDEVICE) -> FifoValues {
    let mut key: WDFKEY = ptr::null_mut();
    // SAFETY:
    // 1. `device` is valid (caller's contract); PASSIVE_LEVEL.
    // 2. No key attributes; `key` is a live local that receives the handle.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceOpenRegistryKey,
            device,
            PLUGPLAY_REGKEY_DEVICE,
            KEY_READ,
            WDF_NO_OBJECT_ATTRIBUTES,
            &raw mut key,
        )
    };
    if !wdk::nt_success(status) {
        return FifoValues::default();
    }
    // SAFETY (each of the three):
    // 1. `key` was just opened and is closed only below; PASSIVE_LEVEL.
    let values = FifoValues {
        // SAFETY: as above.
        rx_fifo: unsafe { query_ulong(key, RX_FIFO_VALUE) },
        // SAFETY: as above.
        tx_fifo: unsafe { query_ulong(key, TX_FIFO_VALUE) },
        // SAFETY: as above.
        force_fifo_enable: unsafe { query_ulong(key, FORCE_FIFO_ENABLE_VALUE) },
    };
    // SAFETY:
    // 1. `key` is open and used for nothing after this.
    unsafe { call_unsafe_wdf_function_binding!(WdfRegistryClose, key) };
    values
}

/// One REG_DWORD of `key`.
///
/// # Safety
/// `key` is an open WDFKEY; PASSIVE_LEVEL.
unsafe fn query_ulong<const N: usize>(key: WDFKEY, name: [u16; N]) -> Option<u32> {
    let mut units = name;
    let bytes = u16::try_from(core::mem::size_of_val(&units)).unwrap_or(0);
    let value_name = UNICODE_STRING {
        Length: bytes,
        MaximumLength: bytes,
        Buffer: units.as_mut_ptr(),
    };
    let mut value: ULONG = 0;
    // SAFETY:
    // 1. `key` is open (caller's contract); PASSIVE_LEVEL.
    // 2. `value_name` describes the live local `units`; `value` is a live local ULONG.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfRegistryQueryULong,
            key,
            &raw const value_name,
            &raw mut value,
        )
    };
    wdk::nt_success(status).then_some(value)
}
