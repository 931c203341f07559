//! Choosing the UART's resources from the PnP resource list (EvtDevicePrepareHardware).
//!
//! The glue copies each translated `CM_PARTIAL_RESOURCE_DESCRIPTOR` into a [`RawResource`] and asks
//! [`select_uart_resources`] for the port range. Only an I/O-port UART is supported: a translated
//! port that became memory (CmResourceTypeMemory, e.g. on non-x86 platforms) is refused rather
//! than driven through the wrong access method. The interrupt itself is connected by KMDF (the
//! WDFINTERRUPT created in EvtDriverDeviceAdd); the glue only checks that one was assigned.

use serial_engine::kernel::Register;

/// `CmResourceTypePort` (wdm.h).
pub const CM_RESOURCE_TYPE_PORT: u8 = 1;
/// `CmResourceTypeInterrupt` (wdm.h).
pub const CM_RESOURCE_TYPE_INTERRUPT: u8 = 2;
/// `CmResourceTypeMemory` (wdm.h).
pub const CM_RESOURCE_TYPE_MEMORY: u8 = 3;
/// `CM_RESOURCE_PORT_IO` (wdm.h): the port range is in I/O space (flag clear: memory space).
pub const CM_RESOURCE_PORT_IO: u16 = 0x0001;

/// A 16550 decodes eight consecutive registers.
pub const UART_REGISTER_SPAN: u32 = 8;

/// The fields of one translated partial resource descriptor the glue looks at.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct RawResource {
    /// `Type` (CmResourceType*).
    pub kind: u8,
    /// `Flags` (for ports: CM_RESOURCE_PORT_*).
    pub flags: u16,
    /// `u.Port.Start` / `u.Memory.Start` as a 64-bit address (unused for interrupts).
    pub start: i64,
    /// `u.Port.Length` / `u.Memory.Length` in bytes (unused for interrupts).
    pub length: u32,
}

/// The resources the UART needs.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct UartResources {
    /// I/O port of register 0 (RBR/THR/DLL).
    pub port_base: u16,
}

impl UartResources {
    /// The I/O port of `register`; `None` only if the range would leave the 64 KiB port space,
    /// which [`select_uart_resources`] already rules out.
    #[must_use]
    pub fn register_port(self, register: Register) -> Option<u16> {
        self.port_base.checked_add(u16::from(register.offset()))
    }
}

/// Why the resource list cannot drive a 16550.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ResourceError {
    /// No port resource at all.
    NoPort,
    /// The register block is memory-mapped; only port I/O is implemented.
    MemoryMappedPort,
    /// The port range is shorter than eight registers or does not fit in the 16-bit port space.
    BadPortRange,
    /// No interrupt was assigned: the driver is interrupt-driven and cannot poll.
    NoInterrupt,
}

/// Picks the first I/O port range and checks that an interrupt is present.
///
/// # Errors
/// A [`ResourceError`] naming the first thing that is missing or unusable.
pub fn select_uart_resources(
    resources: impl IntoIterator<Item = RawResource>,
) -> Result<UartResources, ResourceError> {
    let mut port = None;
    let mut memory_port = false;
    let mut interrupt = false;
    for resource in resources {
        match resource.kind {
            CM_RESOURCE_TYPE_PORT if port.is_none() => {
                if resource.flags & CM_RESOURCE_PORT_IO == 0 {
                    memory_port = true;
                } else {
                    port = Some(resource);
                }
            }
            CM_RESOURCE_TYPE_MEMORY => memory_port = true,
            CM_RESOURCE_TYPE_INTERRUPT => interrupt = true,
            _ => {}
        }
    }
    let port = match port {
        Some(port) => port,
        None if memory_port => return Err(ResourceError::MemoryMappedPort),
        None => return Err(ResourceError::NoPort),
    };
    let port_base = u16::try_from(port.start).map_err(|_| ResourceError::BadPortRange)?;
    let last_register = u16::try_from(UART_REGISTER_SPAN.saturating_sub(1)).unwrap_or(u16::MAX);
    if port.length < UART_REGISTER_SPAN || port_base.checked_add(last_register).is_none() {
        return Err(ResourceError::BadPortRange);
    }
    if !interrupt {
        return Err(ResourceError::NoInterrupt);
    }
    Ok(UartResources { port_base })
}

#[cfg(test)]
mod tests {
    use super::*;

    const COM1_PORT: RawResource = RawResource {
        kind: CM_RESOURCE_TYPE_PORT,
        flags: CM_RESOURCE_PORT_IO,
        start: 0x3f8,
        length: 8,
    };
    const IRQ4: RawResource = RawResource {
        kind: CM_RESOURCE_TYPE_INTERRUPT,
        flags: 0,
        start: 0,
        length: 0,
    };

    #[test]
    fn com1_resources_give_base_0x3f8() {
        assert_eq!(
            select_uart_resources([COM1_PORT, IRQ4]),
            Ok(UartResources { port_base: 0x3f8 })
        );
        assert_eq!(
            select_uart_resources([IRQ4, COM1_PORT]),
            Ok(UartResources { port_base: 0x3f8 })
        );
    }

    #[test]
    fn register_ports_follow_the_offsets() {
        let uart = UartResources { port_base: 0x2f8 };
        assert_eq!(uart.register_port(Register::Data), Some(0x2f8));
        assert_eq!(uart.register_port(Register::LineStatus), Some(0x2fd));
        assert_eq!(uart.register_port(Register::Scratch), Some(0x2ff));
    }

    #[test]
    fn the_first_port_range_wins() {
        let second = RawResource {
            start: 0x2f8,
            ..COM1_PORT
        };
        assert_eq!(
            select_uart_resources([COM1_PORT, second, IRQ4]).map(|r| r.port_base),
            Ok(0x3f8)
        );
    }

    #[test]
    fn missing_or_unusable_resources_are_refused() {
        assert_eq!(select_uart_resources([IRQ4]), Err(ResourceError::NoPort));
        assert_eq!(
            select_uart_resources([COM1_PORT]),
            Err(ResourceError::NoInterrupt)
        );
        let memory = RawResource {
            kind: CM_RESOURCE_TYPE_MEMORY,
            flags: 0,
            start: 0xfed0_0000,
            length: 8,
        };
        assert_eq!(
            select_uart_resources([memory, IRQ4]),
            Err(ResourceError::MemoryMappedPort)
        );
        let memory_space_port = RawResource {
            flags: 0,
            ..COM1_PORT
        };
        assert_eq!(
            select_uart_resources([memory_space_port, IRQ4]),
            Err(ResourceError::MemoryMappedPort)
        );
    }

    #[test]
    fn port_ranges_must_hold_eight_registers_in_port_space() {
        let short = RawResource {
            length: 7,
            ..COM1_PORT
        };
        assert_eq!(
            select_uart_resources([short, IRQ4]),
            Err(ResourceError::BadPortRange)
        );
        let top = RawResource {
            start: 0xfffc,
            ..COM1_PORT
        };
        assert_eq!(
            select_uart_resources([top, IRQ4]),
            Err(ResourceError::BadPortRange)
        );
        let beyond = RawResource {
            start: 0x1_0000,
            ..COM1_PORT
        };
        assert_eq!(
            select_uart_resources([beyond, IRQ4]),
            Err(ResourceError::BadPortRange)
        );
        let negative = RawResource {
            start: -8,
            ..COM1_PORT
        };
        assert_eq!(
            select_uart_resources([negative, IRQ4]),
            Err(ResourceError::BadPortRange)
        );
        let last_fitting = RawResource {
            start: 0xfff8,
            ..COM1_PORT
        };
        assert_eq!(
            select_uart_resources([last_fitting, IRQ4]).map(|r| r.port_base),
            Ok(0xfff8)
        );
    }
}
