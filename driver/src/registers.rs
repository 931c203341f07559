//! UART register access by port I/O.
//!
//! `READ_PORT_UCHAR` / `WRITE_PORT_UCHAR` are inline functions in the x64 `wdm.h` (`__inbyte` /
//! `__outbyte`), which bindgen does not generate, so the glue issues the same `in` / `out`
//! instructions itself. A 16550 in I/O space exists only on x86 PCs; other architectures are
//! refused at compile time rather than driven wrongly.

use core::sync::atomic::{AtomicBool, AtomicU16, Ordering};

use serial_engine::kernel::Register;

use crate::resources::UartResources;

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
compile_error!("serial16550 drives an I/O-port 16550 and needs x86 or x86_64 port instructions");

/// What a read of an absent port returns on a PC bus (pulled-up data lines).
const FLOATING_BUS: u8 = 0xff;

/// The port range assigned in EvtDevicePrepareHardware. Until then (and after
/// EvtDeviceReleaseHardware) reads return 0xFF and writes are dropped, so a stray access never
/// touches port 0.
#[derive(Debug, Default)]
pub(crate) struct PortIo {
    base: AtomicU16,
    assigned: AtomicBool,
}

impl PortIo {
    /// Records the port range (PASSIVE, PrepareHardware).
    pub(crate) fn assign(&self, resources: UartResources) {
        self.base.store(resources.port_base, Ordering::Relaxed);
        self.assigned.store(true, Ordering::Release);
    }

    /// Forgets the port range (PASSIVE, ReleaseHardware).
    pub(crate) fn release(&self) {
        self.assigned.store(false, Ordering::Release);
    }

    fn port(&self, register: Register) -> Option<u16> {
        if !self.assigned.load(Ordering::Acquire) {
            return None;
        }
        UartResources {
            port_base: self.base.load(Ordering::Relaxed),
        }
        .register_port(register)
    }

    /// Reads `register` (any IRQL).
    pub(crate) fn read(&self, register: Register) -> u8 {
        match self.port(register) {
            // SAFETY:
            // 1. `port` lies inside the I/O range the PnP manager assigned to this device
            //    (checked by `select_uart_resources`), so the read reaches only our UART.
            // 2. `in` has no memory-safety effect on Rust-visible state.
            Some(port) => unsafe { read_port(port) },
            None => FLOATING_BUS,
        }
    }

    /// Writes `value` to `register` (any IRQL).
    pub(crate) fn write(&self, register: Register, value: u8) {
        if let Some(port) = self.port(register) {
            // SAFETY:
            // 1. `port` lies inside the I/O range the PnP manager assigned to this device.
            // 2. `out` has no memory-safety effect on Rust-visible state.
            unsafe { write_port(port, value) };
        }
    }
}

/// `in al, dx`.
///
/// # Safety
/// `port` belongs to this driver's assigned I/O range.
unsafe fn read_port(port: u16) -> u8 {
    let value: u8;
    // SAFETY:
    // 1. The caller guarantees the port is ours.
    // 2. The instruction touches no memory and the stack is untouched; memory is not declared
    //    untouched (no `nomem`) so the compiler keeps register accesses ordered with the state
    //    updates around them.
    unsafe {
        core::arch::asm!(
            "in al, dx",
            out("al") value,
            in("dx") port,
            options(nostack, preserves_flags),
        );
    }
    value
}

/// `out dx, al`.
///
/// # Safety
/// `port` belongs to this driver's assigned I/O range.
unsafe fn write_port(port: u16, value: u8) {
    // SAFETY:
    // 1. The caller guarantees the port is ours.
    // 2. The instruction touches no memory and the stack is untouched (see `read_port`).
    unsafe {
        core::arch::asm!(
            "out dx, al",
            in("dx") port,
            in("al") value,
            options(nostack, preserves_flags),
        );
    }
}
