//! Which IRP reaches which engine entry point, and how KMDF delivers it.
//!
//! KMDF routes IRPs by major function to three places: the file-object callbacks (create, cleanup,
//! close), the default I/O queue (read, write, device control, internal device control) and, for
//! anything else, a default handler that fails the IRP with STATUS_INVALID_DEVICE_REQUEST.
//! `IRP_MJ_FLUSH_BUFFERS` falls in the last group and cannot be forwarded to a queue either
//! (`WdfDeviceWdmDispatchIrpToIoQueue` accepts only the four queue major functions), so the glue
//! claims it with a WDM preprocess callback. Query and set information (which KMDF would fail)
//! are claimed the same way and answered synchronously as serial.sys answers them. Everything else
//! (PnP, power, system control) is left to the framework.

/// `IRP_MJ_CREATE` (wdm.h).
pub const IRP_MJ_CREATE: u8 = 0x00;
/// `IRP_MJ_CLOSE` (wdm.h).
pub const IRP_MJ_CLOSE: u8 = 0x02;
/// `IRP_MJ_READ` (wdm.h).
pub const IRP_MJ_READ: u8 = 0x03;
/// `IRP_MJ_WRITE` (wdm.h).
pub const IRP_MJ_WRITE: u8 = 0x04;
/// `IRP_MJ_QUERY_INFORMATION` (wdm.h).
pub const IRP_MJ_QUERY_INFORMATION: u8 = 0x05;
/// `IRP_MJ_SET_INFORMATION` (wdm.h).
pub const IRP_MJ_SET_INFORMATION: u8 = 0x06;
/// `IRP_MJ_FLUSH_BUFFERS` (wdm.h).
pub const IRP_MJ_FLUSH_BUFFERS: u8 = 0x09;
/// `IRP_MJ_DEVICE_CONTROL` (wdm.h).
pub const IRP_MJ_DEVICE_CONTROL: u8 = 0x0e;
/// `IRP_MJ_INTERNAL_DEVICE_CONTROL` (wdm.h).
pub const IRP_MJ_INTERNAL_DEVICE_CONTROL: u8 = 0x0f;
/// `IRP_MJ_CLEANUP` (wdm.h).
pub const IRP_MJ_CLEANUP: u8 = 0x12;
/// `IRP_MJ_MAXIMUM_FUNCTION` (wdm.h): the last valid major function.
pub const IRP_MJ_MAXIMUM_FUNCTION: u8 = 0x1b;

/// The engine entry point that serves a request.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EngineEntry {
    /// `Device::create`.
    Create,
    /// `Device::cleanup`.
    Cleanup,
    /// `Device::close`.
    Close,
    /// `Device::read`.
    Read,
    /// `Device::write`.
    Write,
    /// `Device::flush`.
    Flush,
    /// `Device::device_control`.
    DeviceControl,
    /// `Device::internal_device_control`.
    InternalDeviceControl,
    /// `Device::query_information`.
    QueryInformation,
    /// `Device::set_information`.
    SetInformation,
}

/// How KMDF hands the request to the glue.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// `WDF_FILEOBJECT_CONFIG` callbacks (EvtDeviceFileCreate, EvtFileCleanup, EvtFileClose).
    FileObject,
    /// The default parallel queue (EvtIoRead, EvtIoWrite, EvtIoDeviceControl,
    /// EvtIoInternalDeviceControl); the request is a WDFREQUEST.
    DefaultQueue,
    /// `WdfDeviceInitAssignWdmIrpPreprocessCallback`: the glue sees the raw IRP.
    WdmPreprocess,
}

/// The route of major function `major`, or `None` when the framework keeps it (the IRP is then
/// failed with STATUS_INVALID_DEVICE_REQUEST or handled by the PnP/power machinery).
#[must_use]
pub const fn route(major: u8) -> Option<(EngineEntry, Delivery)> {
    match major {
        IRP_MJ_CREATE => Some((EngineEntry::Create, Delivery::FileObject)),
        IRP_MJ_CLEANUP => Some((EngineEntry::Cleanup, Delivery::FileObject)),
        IRP_MJ_CLOSE => Some((EngineEntry::Close, Delivery::FileObject)),
        IRP_MJ_READ => Some((EngineEntry::Read, Delivery::DefaultQueue)),
        IRP_MJ_WRITE => Some((EngineEntry::Write, Delivery::DefaultQueue)),
        IRP_MJ_DEVICE_CONTROL => Some((EngineEntry::DeviceControl, Delivery::DefaultQueue)),
        IRP_MJ_INTERNAL_DEVICE_CONTROL => {
            Some((EngineEntry::InternalDeviceControl, Delivery::DefaultQueue))
        }
        IRP_MJ_FLUSH_BUFFERS => Some((EngineEntry::Flush, Delivery::WdmPreprocess)),
        IRP_MJ_QUERY_INFORMATION => Some((EngineEntry::QueryInformation, Delivery::WdmPreprocess)),
        IRP_MJ_SET_INFORMATION => Some((EngineEntry::SetInformation, Delivery::WdmPreprocess)),
        _ => None,
    }
}

/// `METHOD_BUFFERED` (devioctl.h): the transfer type in an IOCTL code's low two bits.
pub const METHOD_BUFFERED: u32 = 0;

/// Whether an IOCTL's buffers are the nonpaged system buffer, which the engine may touch at
/// DISPATCH_LEVEL in any thread: only for METHOD_BUFFERED codes (every serial IOCTL is one). For
/// METHOD_NEITHER KMDF would return the caller's raw user-mode pointers, and for the direct
/// methods an MDL-backed output; such codes get no buffers, so they fail with the usual status.
#[must_use]
pub const fn ioctl_uses_system_buffer(io_control_code: u32) -> bool {
    io_control_code & 3 == METHOD_BUFFERED
}

/// The major functions the glue registers a WDM preprocess callback for.
pub const PREPROCESSED_MAJOR_FUNCTIONS: [u8; 3] = [
    IRP_MJ_QUERY_INFORMATION,
    IRP_MJ_SET_INFORMATION,
    IRP_MJ_FLUSH_BUFFERS,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_method_buffered_ioctls_get_their_buffers() {
        // IOCTL_SERIAL_SET_BAUD_RATE = CTL_CODE(FILE_DEVICE_SERIAL_PORT, 1, METHOD_BUFFERED, ANY).
        assert!(ioctl_uses_system_buffer(0x001B_0004));
        // The same function with METHOD_IN_DIRECT, METHOD_OUT_DIRECT, METHOD_NEITHER.
        assert!(!ioctl_uses_system_buffer(0x001B_0005));
        assert!(!ioctl_uses_system_buffer(0x001B_0006));
        assert!(!ioctl_uses_system_buffer(0x001B_0007));
    }

    #[test]
    fn queue_majors_go_to_the_default_queue() {
        assert_eq!(
            route(IRP_MJ_READ),
            Some((EngineEntry::Read, Delivery::DefaultQueue))
        );
        assert_eq!(
            route(IRP_MJ_WRITE),
            Some((EngineEntry::Write, Delivery::DefaultQueue))
        );
        assert_eq!(
            route(IRP_MJ_DEVICE_CONTROL),
            Some((EngineEntry::DeviceControl, Delivery::DefaultQueue))
        );
        assert_eq!(
            route(IRP_MJ_INTERNAL_DEVICE_CONTROL),
            Some((EngineEntry::InternalDeviceControl, Delivery::DefaultQueue))
        );
    }

    #[test]
    fn file_object_majors_use_the_file_callbacks() {
        for (major, entry) in [
            (IRP_MJ_CREATE, EngineEntry::Create),
            (IRP_MJ_CLEANUP, EngineEntry::Cleanup),
            (IRP_MJ_CLOSE, EngineEntry::Close),
        ] {
            assert_eq!(route(major), Some((entry, Delivery::FileObject)));
        }
    }

    #[test]
    fn flush_and_file_information_are_the_preprocessed_majors() {
        assert_eq!(
            route(IRP_MJ_FLUSH_BUFFERS),
            Some((EngineEntry::Flush, Delivery::WdmPreprocess))
        );
        assert_eq!(
            route(IRP_MJ_QUERY_INFORMATION),
            Some((EngineEntry::QueryInformation, Delivery::WdmPreprocess))
        );
        assert_eq!(
            route(IRP_MJ_SET_INFORMATION),
            Some((EngineEntry::SetInformation, Delivery::WdmPreprocess))
        );
        let preprocessed: Vec<u8> = (0..=IRP_MJ_MAXIMUM_FUNCTION)
            .filter(|major| matches!(route(*major), Some((_, Delivery::WdmPreprocess))))
            .collect();
        assert_eq!(preprocessed, PREPROCESSED_MAJOR_FUNCTIONS.to_vec());
    }

    #[test]
    fn unknown_majors_stay_with_the_framework() {
        assert_eq!(route(IRP_MJ_MAXIMUM_FUNCTION), None);
        assert_eq!(route(0xff), None);
    }

    #[test]
    fn every_engine_entry_has_exactly_one_major() {
        let entries: Vec<EngineEntry> = (0..=u8::MAX)
            .filter_map(|major| route(major).map(|(entry, _)| entry))
            .collect();
        assert_eq!(entries.len(), 10);
        for entry in &entries {
            assert_eq!(
                entries.iter().filter(|other| *other == entry).count(),
                1,
                "{entry:?}"
            );
        }
    }
}
