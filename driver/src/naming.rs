//! COM port naming: what serial.sys does so that Win32 opens the port as `\\.\COMx`.
//!
//! 1. EvtDriverDeviceAdd, before WdfDeviceCreate: [`assign_device_name`] names the device object
//!    `\Device\Serial16550_<n>` (`WdfDeviceInitAssignName`); `n` comes from a driver-wide counter,
//!    so two ports never ask for the same name.
//! 2. At the end of EvtDriverDeviceAdd: [`create_com_port_names`] reads `PortName` (REG_SZ,
//!    written by the Ports class installer msports.dll) from the device's hardware key, falling
//!    back to its software (driver) key; creates the `\DosDevices\<PortName>` symbolic link
//!    (`WdfDeviceCreateSymbolicLink`; KMDF deletes it at surprise removal and at removal); and
//!    writes `HKLM\HARDWARE\DEVICEMAP\SERIALCOMM\<device name> = <PortName>`
//!    (`RtlWriteRegistryValue`, RTL_REGISTRY_DEVICEMAP).
//! 3. EvtCleanupCallback of the device: [`remove_device_map_entry`] deletes that value
//!    (`RtlDeleteRegistryValue`).
//!
//! Failure policy:
//! - **No `PortName` in either key** (the device was not installed through the Ports class): the
//!   device starts without a COM name and is reachable only through its GUID_DEVINTERFACE_COMPORT
//!   interface; a DbgPrint line says so.
//! - **`PortName` present but unusable** (not a REG_SZ, empty, longer than 32 units, containing
//!   `\` or NUL): device add fails with STATUS_OBJECT_NAME_INVALID, so Device Manager shows the
//!   problem instead of the port silently missing.
//! - **Symbolic link or device-map write fails** (e.g. STATUS_OBJECT_NAME_COLLISION when another
//!   driver already owns that COMx): device add fails with that status, as in serial.sys.
//!   KMDF then deletes the device, which removes a link already created and, through the
//!   cleanup callback, a device-map value already written.

use core::{
    ptr,
    sync::atomic::{AtomicBool, AtomicU32, Ordering},
};

use wdk_sys::{
    NTSTATUS, PWDFDEVICE_INIT, STATUS_BUFFER_OVERFLOW, STATUS_NAME_TOO_LONG,
    STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND, STATUS_OBJECT_TYPE_MISMATCH,
    STATUS_SUCCESS, ULONG, UNICODE_STRING, WDF_NO_OBJECT_ATTRIBUTES, WDFDEVICE, WDFKEY,
    call_unsafe_wdf_function_binding,
    ntddk::{RtlDeleteRegistryValue, RtlWriteRegistryValue},
};

use crate::port_name::{
    DEVICE_MAP_KEY, DeviceName, NameTooLong, PORT_NAME_VALUE, PortName, PortNameError,
    SymbolicLinkName, WideName,
};

/// `PLUGPLAY_REGKEY_DEVICE` (wdm.h): the device's hardware key (`Enum\...\Device Parameters`).
pub(crate) const PLUGPLAY_REGKEY_DEVICE: ULONG = 1;
/// `PLUGPLAY_REGKEY_DRIVER` (wdm.h): the device's software key (`Control\Class\{guid}\NNNN`).
const PLUGPLAY_REGKEY_DRIVER: ULONG = 2;
/// `KEY_READ` (winnt.h): STANDARD_RIGHTS_READ | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS |
/// KEY_NOTIFY. Hand-written: the header spells it as a macro expression bindgen may skip.
pub(crate) const KEY_READ: ULONG = 0x0002_0019;
/// `RTL_REGISTRY_DEVICEMAP` (wdm.h): paths relative to `\Registry\Machine\Hardware\DeviceMap`.
const RTL_REGISTRY_DEVICEMAP: ULONG = 4;
/// `REG_SZ` (winnt.h; written `( 1ul )`, a suffix bindgen does not translate).
const REG_SZ: ULONG = 1;

/// Read buffer for `PortName`: twice the accepted maximum, so a name that is merely too long is
/// read whole and reported as such by [`PortName::parse`].
const PORT_NAME_READ_UNITS: usize = 64;

/// The instance number of the next device object name. After 2^32 device adds it wraps; a reused
/// number can only collide with a device present all that time, and WdfDeviceCreate would then
/// fail with STATUS_OBJECT_NAME_COLLISION rather than misname anything.
static NEXT_DEVICE_INSTANCE: AtomicU32 = AtomicU32::new(0);

/// What this device has published under its name, kept in the device context so the cleanup
/// callback can undo it. All-zero (KMDF zero-fills the context) means "nothing published".
#[derive(Debug, Default)]
pub(crate) struct NamingState {
    /// The instance number of the device name the SERIALCOMM value is named after.
    instance: AtomicU32,
    /// Set (Release, after `instance`) once the SERIALCOMM value exists.
    device_map_entry: AtomicBool,
}

impl NamingState {
    fn record_device_map_entry(&self, device_name: &DeviceName) {
        self.instance
            .store(device_name.instance(), Ordering::Relaxed);
        self.device_map_entry.store(true, Ordering::Release);
    }

    /// The device name whose SERIALCOMM value still exists, forgetting it.
    fn take_device_map_entry(&self) -> Option<Result<DeviceName, NameTooLong>> {
        self.device_map_entry
            .swap(false, Ordering::AcqRel)
            .then(|| DeviceName::new(self.instance.load(Ordering::Relaxed)))
    }
}

/// A counted UNICODE_STRING over `name` (borrowed: keep `name` alive while the result is used).
fn counted_string<const N: usize>(name: &WideName<N>) -> UNICODE_STRING {
    UNICODE_STRING {
        Length: name.byte_len(),
        MaximumLength: name.byte_len(),
        // The callees take PCUNICODE_STRING and only read the buffer.
        Buffer: name.as_units().as_ptr().cast_mut(),
    }
}

/// Names the device object `\Device\Serial16550_<n>`, `n` from the driver-wide counter.
///
/// # Errors
/// The status of `WdfDeviceInitAssignName` (STATUS_INSUFFICIENT_RESOURCES), or
/// STATUS_NAME_TOO_LONG if the name did not fit its buffer (cannot happen, see `port_name`).
///
/// # Safety
/// `device_init` is the WDFDEVICE_INIT of EvtDriverDeviceAdd, not yet passed to WdfDeviceCreate;
/// PASSIVE_LEVEL.
pub(crate) unsafe fn assign_device_name(
    device_init: PWDFDEVICE_INIT,
) -> Result<DeviceName, NTSTATUS> {
    let instance = NEXT_DEVICE_INSTANCE.fetch_add(1, Ordering::Relaxed);
    let device_name = DeviceName::new(instance).map_err(|NameTooLong| STATUS_NAME_TOO_LONG)?;
    let unicode = counted_string(&device_name);
    // SAFETY:
    // 1. `device_init` is valid and not yet consumed (caller's contract); PASSIVE_LEVEL.
    // 2. `unicode` describes `device_name`'s buffer, both alive for the call; KMDF copies the name.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(WdfDeviceInitAssignName, device_init, &raw const unicode)
    };
    if wdk::nt_success(status) {
        Ok(device_name)
    } else {
        Err(status)
    }
}

/// How looking up `PortName` ended.
enum PortNameLookup {
    /// A usable name.
    Found(PortName),
    /// No such value (or the key could not be opened).
    Missing,
    /// The value exists but cannot name a port.
    Unusable(PortNameError),
    /// The read failed for another reason.
    Failed(NTSTATUS),
}

/// `PortName` from the hardware key, else from the software key.
///
/// # Safety
/// `device` is a valid WDFDEVICE of this driver, already created; PASSIVE_LEVEL.
unsafe fn read_port_name(device: WDFDEVICE) -> PortNameLookup {
    // SAFETY:
    // 1. Caller's contract.
    match unsafe { read_port_name_from(device, PLUGPLAY_REGKEY_DEVICE) } {
        // SAFETY:
        // 1. Caller's contract; the software key can be opened once the device exists.
        PortNameLookup::Missing => unsafe { read_port_name_from(device, PLUGPLAY_REGKEY_DRIVER) },
        lookup => lookup,
    }
}

/// `PortName` from one of the device's registry keys.
///
/// # Safety
/// As [`read_port_name`].
unsafe fn read_port_name_from(device: WDFDEVICE, key_type: ULONG) -> PortNameLookup {
    let mut key: WDFKEY = ptr::null_mut();
    // SAFETY:
    // 1. `device` is valid (caller's contract); PASSIVE_LEVEL.
    // 2. No key attributes; `key` is a live local that receives the handle.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceOpenRegistryKey,
            device,
            key_type,
            KEY_READ,
            WDF_NO_OBJECT_ATTRIBUTES,
            &raw mut key,
        )
    };
    if !wdk::nt_success(status) {
        wdk::println!("serial16550: registry key {key_type} not opened: {status:#010x}");
        return PortNameLookup::Missing;
    }

    let mut value_name_units = PORT_NAME_VALUE;
    let value_name = UNICODE_STRING {
        Length: u16::try_from(core::mem::size_of_val(&value_name_units)).unwrap_or(0),
        MaximumLength: u16::try_from(core::mem::size_of_val(&value_name_units)).unwrap_or(0),
        Buffer: value_name_units.as_mut_ptr(),
    };
    let mut buffer = [0_u16; PORT_NAME_READ_UNITS];
    let mut value = UNICODE_STRING {
        Length: 0,
        MaximumLength: u16::try_from(core::mem::size_of_val(&buffer)).unwrap_or(0),
        Buffer: buffer.as_mut_ptr(),
    };
    // SAFETY:
    // 1. `key` was just opened and is closed only below; PASSIVE_LEVEL.
    // 2. `value_name` and `value` describe live local buffers; `value.MaximumLength` is the size
    //    of `buffer` in bytes, which bounds what KMDF writes. The byte-count output is optional.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfRegistryQueryUnicodeString,
            key,
            &raw const value_name,
            ptr::null_mut(),
            &raw mut value,
        )
    };
    // SAFETY:
    // 1. `key` is open and used for nothing after this.
    unsafe { call_unsafe_wdf_function_binding!(WdfRegistryClose, key) };

    match status {
        STATUS_SUCCESS => {
            // `Length` counts bytes; an odd count would end in half a unit, which is dropped.
            let units = usize::from(value.Length / 2);
            let data = buffer.get(..units).unwrap_or_default();
            match PortName::parse(data) {
                Ok(port) => PortNameLookup::Found(port),
                Err(error) => PortNameLookup::Unusable(error),
            }
        }
        STATUS_OBJECT_NAME_NOT_FOUND => PortNameLookup::Missing,
        STATUS_BUFFER_OVERFLOW => PortNameLookup::Unusable(PortNameError::TooLong),
        STATUS_OBJECT_TYPE_MISMATCH => PortNameLookup::Unusable(PortNameError::NotAString),
        failure => PortNameLookup::Failed(failure),
    }
}

/// Gives the device its COM name: the `\DosDevices\<PortName>` link and the SERIALCOMM value.
/// Returns STATUS_SUCCESS without naming anything when the device has no `PortName` (see the
/// module docs for the policy).
///
/// # Safety
/// `device` was created by WdfDeviceCreate in EvtDriverDeviceAdd with the name `device_name`;
/// `naming` is in its context; PASSIVE_LEVEL.
pub(crate) unsafe fn create_com_port_names(
    device: WDFDEVICE,
    naming: &NamingState,
    device_name: &DeviceName,
) -> NTSTATUS {
    // SAFETY:
    // 1. Caller's contract.
    let port = match unsafe { read_port_name(device) } {
        PortNameLookup::Found(port) => port,
        PortNameLookup::Missing => {
            wdk::println!(
                "serial16550: {device_name} has no PortName value; no COM name, reachable only \
                 through its GUID_DEVINTERFACE_COMPORT interface"
            );
            return STATUS_SUCCESS;
        }
        PortNameLookup::Unusable(error) => {
            wdk::println!("serial16550: {device_name}: unusable PortName value: {error:?}");
            return STATUS_OBJECT_NAME_INVALID;
        }
        PortNameLookup::Failed(status) => {
            wdk::println!("serial16550: {device_name}: reading PortName failed: {status:#010x}");
            return status;
        }
    };

    let Ok(link) = SymbolicLinkName::for_port(&port) else {
        return STATUS_NAME_TOO_LONG;
    };
    let link_string = counted_string(&link);
    // SAFETY:
    // 1. `device` is valid (caller's contract); PASSIVE_LEVEL.
    // 2. `link_string` describes `link`'s buffer, both alive for the call; KMDF copies the name.
    let status = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDeviceCreateSymbolicLink,
            device,
            &raw const link_string,
        )
    };
    if !wdk::nt_success(status) {
        wdk::println!("serial16550: {device_name}: link {link} not created: {status:#010x}");
        return status;
    }

    // SAFETY:
    // 1. PASSIVE_LEVEL (caller's contract).
    // 2. Key path and value name are NUL-terminated UTF-16 arrays alive for the call.
    // 3. The data is `port` with its terminator, `byte_len_with_nul` bytes long, as REG_SZ
    //    requires; the routine only reads it (the PVOID parameter is not const in the header).
    let status = unsafe {
        RtlWriteRegistryValue(
            RTL_REGISTRY_DEVICEMAP,
            DEVICE_MAP_KEY.as_ptr(),
            device_name.as_units_with_nul().as_ptr(),
            REG_SZ,
            port.as_units_with_nul().as_ptr().cast_mut().cast(),
            port.byte_len_with_nul(),
        )
    };
    if !wdk::nt_success(status) {
        wdk::println!("serial16550: {device_name}: SERIALCOMM value not written: {status:#010x}");
        return status;
    }
    naming.record_device_map_entry(device_name);
    wdk::println!("serial16550: {device_name} is {port}");
    STATUS_SUCCESS
}

/// Deletes the SERIALCOMM value [`create_com_port_names`] wrote, if it did. The symbolic link
/// needs nothing: KMDF deletes it with the device.
///
/// # Safety
/// PASSIVE_LEVEL (the device's EvtDeviceSurpriseRemoval or EvtCleanupCallback; whichever runs
/// first deletes it).
pub(crate) unsafe fn remove_device_map_entry(naming: &NamingState) {
    let device_name = match naming.take_device_map_entry() {
        None => return,
        Some(Ok(device_name)) => device_name,
        Some(Err(NameTooLong)) => {
            wdk::println!("serial16550: SERIALCOMM value name not rebuilt");
            return;
        }
    };
    // SAFETY:
    // 1. PASSIVE_LEVEL (caller's contract).
    // 2. Key path and value name are NUL-terminated UTF-16 arrays alive for the call.
    let status = unsafe {
        RtlDeleteRegistryValue(
            RTL_REGISTRY_DEVICEMAP,
            DEVICE_MAP_KEY.as_ptr(),
            device_name.as_units_with_nul().as_ptr(),
        )
    };
    if !wdk::nt_success(status) {
        wdk::println!("serial16550: {device_name}: SERIALCOMM value not deleted: {status:#010x}");
    }
}
