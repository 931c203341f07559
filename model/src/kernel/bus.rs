//! What the CPUs see of the hardware: registers per port, an interrupt line per port, and the
//! hardware's own timeline. The 16550 board implements it; kernel tests use [`NullBus`].

use std::any::Any;
use std::fmt::Debug;

/// The hardware side of the machine.
pub trait Bus: Send + Debug + Any {
    /// Number of ports (one device and one interrupt line each).
    fn port_count(&self) -> usize;
    /// Reads the register at `offset` of `port` at virtual time `now`.
    fn read(&mut self, port: usize, offset: u8, now: u64) -> u8;
    /// Writes the register at `offset` of `port` at virtual time `now`.
    fn write(&mut self, port: usize, offset: u8, value: u8, now: u64);
    /// Whether `port`'s interrupt line is asserted (level-triggered).
    fn irq_line(&self, port: usize) -> bool;
    /// The next virtual time at which the hardware changes by itself, if any.
    fn next_deadline(&self) -> Option<u64>;
    /// Brings the hardware's state up to virtual time `now`.
    fn advance(&mut self, now: u64);
    /// For downcasting to the concrete hardware.
    fn as_any(&self) -> &dyn Any;
    /// For downcasting to the concrete hardware.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// Hardware with nothing on it: registers read 0xFF (a floating ISA bus), writes vanish, lines stay
/// low. Kernel tests drive interrupts with [`crate::kernel::ModelKernel::set_test_line`].
#[derive(Clone, Debug)]
pub struct NullBus {
    ports: usize,
}

impl NullBus {
    /// A bus with `ports` empty ports.
    #[must_use]
    pub const fn new(ports: usize) -> Self {
        Self { ports }
    }
}

impl Bus for NullBus {
    fn port_count(&self) -> usize {
        self.ports
    }
    fn read(&mut self, _port: usize, _offset: u8, _now: u64) -> u8 {
        0xFF
    }
    fn write(&mut self, _port: usize, _offset: u8, _value: u8, _now: u64) {}
    fn irq_line(&self, _port: usize) -> bool {
        false
    }
    fn next_deadline(&self) -> Option<u64> {
        None
    }
    fn advance(&mut self, _now: u64) {}
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

impl Bus for crate::board::Board {
    fn port_count(&self) -> usize {
        Self::port_count(self)
    }
    fn read(&mut self, port: usize, offset: u8, now: u64) -> u8 {
        Self::read(self, port, offset, now)
    }
    fn write(&mut self, port: usize, offset: u8, value: u8, now: u64) {
        Self::write(self, port, offset, value, now);
    }
    fn irq_line(&self, port: usize) -> bool {
        Self::irq_line(self, port)
    }
    fn next_deadline(&self) -> Option<u64> {
        Self::next_deadline(self)
    }
    fn advance(&mut self, now: u64) {
        Self::advance(self, now);
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
