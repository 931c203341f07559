//! The engine's error-log and device-failure operations: IoAllocateErrorLogEntry +
//! IoWriteErrorLogEntry on the WDM device object, and WdfDeviceSetFailed on the WDFDEVICE.
//!
//! The handles are recorded once in EvtDriverDeviceAdd, before the engine exists; until then both
//! operations do nothing.

use core::{
    ffi::c_void,
    mem::size_of,
    ptr,
    sync::atomic::{AtomicPtr, Ordering},
};

use serial_engine::error_log::{DUMP_WORDS, ErrorLogEntry};
use wdk_sys::{
    _WDF_DEVICE_FAILED_ACTION::WdfDeviceFailedNoRestart,
    DEVICE_OBJECT, IO_ERROR_LOG_PACKET, LARGE_INTEGER, NTSTATUS, PDEVICE_OBJECT, UCHAR, ULONG,
    USHORT, WDFDEVICE, call_unsafe_wdf_function_binding,
    ntddk::{IoAllocateErrorLogEntry, IoWriteErrorLogEntry},
};

/// ERROR_LOG_MAXIMUM_SIZE on x64 (ntddk.h: the 240-byte ERROR_LOG_LIMIT_SIZE bound).
const ERROR_LOG_MAXIMUM_SIZE: usize = 240;

/// The packet plus the dump words beyond the one it declares.
const ENTRY_SIZE: usize = size_of::<IO_ERROR_LOG_PACKET>() + (DUMP_WORDS - 1) * size_of::<ULONG>();

const _: () = assert!(ENTRY_SIZE <= ERROR_LOG_MAXIMUM_SIZE);

/// DumpDataSize: the dump words in bytes.
const DUMP_DATA_SIZE: USHORT = (DUMP_WORDS * size_of::<ULONG>()) as USHORT;

/// Where error-log entries go and which device fails.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    device: AtomicPtr<c_void>,
    device_object: AtomicPtr<DEVICE_OBJECT>,
}

impl EventLog {
    /// Records the device's handles (PASSIVE, EvtDriverDeviceAdd, before the engine exists).
    pub(crate) fn attach(&self, device: WDFDEVICE, device_object: PDEVICE_OBJECT) {
        self.device.store(device, Ordering::Release);
        self.device_object.store(device_object, Ordering::Release);
    }

    /// Writes `entry` (IRQL ≤ DISPATCH). An entry the I/O manager cannot allocate is dropped.
    pub(crate) fn write(&self, entry: &ErrorLogEntry) {
        let device_object = self.device_object.load(Ordering::Acquire);
        if device_object.is_null() {
            return;
        }
        let Ok(size) = UCHAR::try_from(ENTRY_SIZE) else {
            return;
        };
        // SAFETY:
        // 1. `device_object` is this device's WDM device object, which outlives the engine.
        // 2. IRQL ≤ DISPATCH (the engine's contract for this operation); the size is within
        //    ERROR_LOG_MAXIMUM_SIZE (checked at compile time).
        let raw = unsafe { IoAllocateErrorLogEntry(device_object.cast(), size) };
        let packet = raw.cast::<IO_ERROR_LOG_PACKET>();
        if packet.is_null() {
            return;
        }
        let header = IO_ERROR_LOG_PACKET {
            MajorFunctionCode: 0,
            RetryCount: 0,
            DumpDataSize: DUMP_DATA_SIZE,
            NumberOfStrings: 0,
            StringOffset: 0,
            EventCategory: 0,
            ErrorCode: entry.code.0 as NTSTATUS,
            UniqueErrorValue: entry.unique_value,
            FinalStatus: entry.final_status.0,
            SequenceNumber: entry.sequence,
            IoControlCode: 0,
            DeviceOffset: LARGE_INTEGER { QuadPart: 0 },
            DumpData: [0],
        };
        // SAFETY:
        // 1. `packet` points at an entry of ENTRY_SIZE bytes that this routine owns until
        //    IoWriteErrorLogEntry, suitably aligned for the packet.
        unsafe { packet.write(header) };
        // SAFETY:
        // 1. DumpData starts inside the packet; the entry holds DUMP_WORDS words from there.
        let dump = unsafe { ptr::addr_of_mut!((*packet).DumpData) }.cast::<[ULONG; DUMP_WORDS]>();
        // SAFETY:
        // 1. The DUMP_WORDS words from DumpData lie inside the allocated entry (ENTRY_SIZE), and
        //    DumpData is ULONG-aligned.
        unsafe { dump.write(entry.dump) };
        // SAFETY:
        // 1. `raw` was allocated by IoAllocateErrorLogEntry above and is filled in; the I/O
        //    manager takes ownership and frees it. IRQL ≤ DISPATCH.
        unsafe { IoWriteErrorLogEntry(raw) };
    }

    /// WdfDeviceSetFailed(WdfDeviceFailedNoRestart) (IRQL ≤ DISPATCH).
    pub(crate) fn fail_device(&self) {
        let device = self.device.load(Ordering::Acquire);
        if device.is_null() {
            return;
        }
        // SAFETY:
        // 1. `device` is this driver's WDFDEVICE, valid while its context (and the engine) lives.
        // 2. IRQL ≤ DISPATCH (the engine's contract for this operation).
        unsafe {
            call_unsafe_wdf_function_binding!(WdfDeviceSetFailed, device, WdfDeviceFailedNoRestart)
        };
    }
}
