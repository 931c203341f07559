//! Instrumentation: a bounded register-access trace and event counters.

use super::Time;
use super::registers::Register;

/// Direction of a register access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessKind {
    /// The CPU read the register.
    Read,
    /// The CPU wrote the register.
    Write,
}

/// One register access as the UART saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterAccess {
    /// Virtual time of the access.
    pub at: Time,
    /// I/O offset 0-7.
    pub offset: u8,
    /// Read or write.
    pub kind: AccessKind,
    /// The register reached after DLAB decoding.
    pub register: Register,
    /// The value read or written.
    pub value: u8,
}

/// A bounded ring of the most recent accesses that still hands out one contiguous slice.
///
/// Entries are appended to a vector of up to twice the capacity; when it is full the oldest half is
/// dropped at once, so each access costs amortised O(1).
#[derive(Debug, Clone)]
pub struct TraceRing {
    entries: Vec<RegisterAccess>,
    capacity: usize,
}

/// Default number of accesses kept.
pub const DEFAULT_TRACE_CAPACITY: usize = 4096;

impl Default for TraceRing {
    fn default() -> Self {
        Self::with_capacity(DEFAULT_TRACE_CAPACITY)
    }
}

impl TraceRing {
    /// A ring keeping the last `capacity` accesses (0 disables tracing).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Vec::new(),
            capacity,
        }
    }

    /// Changes the number of accesses kept.
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity;
        self.trim(capacity);
    }

    /// Records an access.
    pub fn push(&mut self, access: RegisterAccess) {
        if self.capacity == 0 {
            return;
        }
        if self.entries.len() >= self.capacity.saturating_mul(2) {
            self.trim(self.capacity.saturating_sub(1));
        }
        self.entries.push(access);
    }

    fn trim(&mut self, keep: usize) {
        let excess = self.entries.len().saturating_sub(keep);
        self.entries.drain(..excess);
    }

    /// The last `capacity` accesses, oldest first.
    pub fn as_slice(&self) -> &[RegisterAccess] {
        let start = self.entries.len().saturating_sub(self.capacity);
        &self.entries[start..]
    }
}

/// Totals since the UART was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UartCounters {
    /// Register reads.
    pub register_reads: u64,
    /// Register writes.
    pub register_writes: u64,
    /// Characters that left the transmit shift register (including those looped back).
    pub chars_transmitted: u64,
    /// Characters that completed in the receive shift register (including lost ones).
    pub chars_received: u64,
    /// Received characters lost to an overrun.
    pub overruns: u64,
    /// THR writes while the TX FIFO (or THR) was full: undefined on real parts.
    pub tx_fifo_overflows: u64,
    /// Received characters with a framing error.
    pub framing_errors: u64,
    /// Received characters with a parity error.
    pub parity_errors: u64,
    /// Received breaks.
    pub breaks_received: u64,
    /// Characters that reached SIN while loopback disconnected it.
    pub chars_dropped_in_loopback: u64,
    /// Bytes a transmit FIFO reset threw away before they were sent.
    pub tx_bytes_discarded: u64,
    /// Bytes a receive FIFO reset threw away before they were read.
    pub rx_bytes_discarded: u64,
    /// RBR reads of an empty receive FIFO (they return the last byte again): a driver that trusts
    /// a lying IIR reads stale bytes.
    pub empty_rbr_reads: u64,
}
