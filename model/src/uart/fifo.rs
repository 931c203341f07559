//! The receive FIFO with per-entry error flags, and the transmit FIFO.
//!
//! In 16450 mode each FIFO is used with depth 1: the receive FIFO is RBR, the transmit FIFO is THR.

use std::collections::VecDeque;

use super::registers::{FIFO_DEPTH, lsr};

/// One received byte with the line-status flags that travel with it to the FIFO head.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RxEntry {
    /// The data bits.
    pub data: u8,
    /// LSR bits PE/FE/BI that belong to this byte.
    pub flags: u8,
}

impl RxEntry {
    /// Whether this byte carries a parity, framing or break indication.
    pub const fn is_errored(&self) -> bool {
        self.flags & (lsr::PE | lsr::FE | lsr::BI) != 0
    }
}

/// The receive FIFO (or RBR in 16450 mode).
#[derive(Debug, Clone, Default)]
pub struct RxFifo {
    entries: VecDeque<RxEntry>,
}

impl RxFifo {
    /// Number of bytes held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no byte is held (DR = 0).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `capacity` bytes are held.
    pub fn is_full(&self, capacity: usize) -> bool {
        self.entries.len() >= capacity.min(FIFO_DEPTH)
    }

    /// The head byte, the one RBR returns next.
    pub fn head(&self) -> Option<&RxEntry> {
        self.entries.front()
    }

    /// Appends a byte.
    pub fn push(&mut self, entry: RxEntry) {
        self.entries.push_back(entry);
    }

    /// Removes the head byte.
    pub fn pop(&mut self) -> Option<RxEntry> {
        self.entries.pop_front()
    }

    /// Empties the FIFO.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Whether any held byte carries an error flag (LSR bit 7 source).
    pub fn any_errored(&self) -> bool {
        self.entries.iter().any(RxEntry::is_errored)
    }

    /// The held bytes, head first.
    pub fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.entries.iter().map(|entry| entry.data)
    }
}
