//! The receive typeahead ring: bytes the ISR has taken from the UART and no read has consumed yet.
//!
//! Lives in the interrupt-synchronized state. Its storage is allocated at PASSIVE_LEVEL (open,
//! SET_QUEUE_SIZE) with fallible allocation, never in the ISR.

use alloc::vec::Vec;

/// A fixed-capacity FIFO of bytes.
#[derive(Debug, Default)]
pub struct RingBuffer {
    storage: Vec<u8>,
    head: usize,
    len: usize,
}

/// The allocation for a ring failed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct AllocationFailed;

impl RingBuffer {
    /// An empty ring with no storage (a closed port).
    #[must_use]
    pub const fn empty() -> Self {
        Self {
            storage: Vec::new(),
            head: 0,
            len: 0,
        }
    }

    /// A ring holding up to `capacity` bytes, or `AllocationFailed`.
    ///
    /// # Errors
    /// `AllocationFailed` when the allocator cannot provide `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Result<Self, AllocationFailed> {
        let mut storage = Vec::new();
        storage
            .try_reserve_exact(capacity)
            .map_err(|_| AllocationFailed)?;
        storage.resize(capacity, 0);
        Ok(Self {
            storage,
            head: 0,
            len: 0,
        })
    }

    /// Bytes the ring can hold.
    #[must_use]
    pub fn capacity(&self) -> usize {
        self.storage.len()
    }

    /// Bytes currently held.
    #[must_use]
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when no byte is held.
    #[must_use]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Free space in bytes.
    #[must_use]
    pub fn free(&self) -> usize {
        self.capacity().saturating_sub(self.len)
    }

    fn index(&self, offset: usize) -> usize {
        self.head
            .wrapping_add(offset)
            .checked_rem(self.capacity())
            .unwrap_or(0)
    }

    /// Appends a byte; `false` (byte dropped) when full.
    pub fn push(&mut self, byte: u8) -> bool {
        if self.len >= self.capacity() {
            return false;
        }
        let tail = self.index(self.len);
        match self.storage.get_mut(tail) {
            Some(slot) => {
                *slot = byte;
                self.len = self.len.saturating_add(1);
                true
            }
            None => false,
        }
    }

    /// The most recently stored byte, for error-character replacement on overflow.
    pub fn last_mut(&mut self) -> Option<&mut u8> {
        let last = self.len.checked_sub(1)?;
        let at = self.index(last);
        self.storage.get_mut(at)
    }

    /// Moves up to `out.len()` bytes into `out`, oldest first; returns how many.
    pub fn pop_into(&mut self, out: &mut [u8]) -> usize {
        let count = out.len().min(self.len);
        // The held bytes form at most two contiguous runs: head..end and 0..rest.
        let first_run = count.min(self.capacity().saturating_sub(self.head));
        let second_run = count.saturating_sub(first_run);
        let head = self.head;
        if let (Some(dst), Some(src)) = (
            out.get_mut(..first_run),
            self.storage.get(head..head.saturating_add(first_run)),
        ) {
            dst.copy_from_slice(src);
        }
        if let (Some(dst), Some(src)) = (
            out.get_mut(first_run..count),
            self.storage.get(..second_run),
        ) {
            dst.copy_from_slice(src);
        }
        self.head = self.index(count);
        self.len = self.len.saturating_sub(count);
        if self.len == 0 {
            self.head = 0;
        }
        count
    }

    /// Keeps the oldest `keep` bytes and discards the rest.
    pub fn truncate(&mut self, keep: usize) {
        self.len = self.len.min(keep);
        if self.len == 0 {
            self.head = 0;
        }
    }

    /// Discards every held byte.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Moves every held byte, in order, into `larger` and returns it; `self` keeps its storage,
    /// now empty, so the caller can free it outside the interrupt lock.
    ///
    /// # Errors
    /// Returns `larger` unchanged if it cannot hold the bytes.
    pub fn move_into(&mut self, mut larger: Self) -> Result<Self, Self> {
        if larger.free() < self.len {
            return Err(larger);
        }
        while let Some(byte) = self.pop_front() {
            larger.push(byte);
        }
        Ok(larger)
    }

    fn pop_front(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let byte = self.storage.get(self.head).copied();
        self.head = self.index(1);
        self.len = self.len.saturating_sub(1);
        byte
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use super::*;

    #[test]
    fn keeps_order_across_the_wrap() {
        let mut ring = RingBuffer::with_capacity(4).unwrap();
        for b in [1, 2, 3] {
            assert!(ring.push(b));
        }
        let mut out = [0u8; 2];
        assert_eq!(ring.pop_into(&mut out), 2);
        assert_eq!(out, [1, 2]);
        for b in [4, 5, 6] {
            assert!(ring.push(b));
        }
        assert!(!ring.push(7), "a full ring drops the byte");
        let mut out = [0u8; 8];
        assert_eq!(ring.pop_into(&mut out), 4);
        assert_eq!(&out[..4], &[3, 4, 5, 6]);
        assert!(ring.is_empty());
    }

    #[test]
    fn truncate_keeps_the_oldest_bytes_across_the_wrap() {
        let mut ring = RingBuffer::with_capacity(4).unwrap();
        for b in [1, 2, 3] {
            ring.push(b);
        }
        ring.pop_into(&mut [0; 2]);
        for b in [4, 5, 6] {
            ring.push(b);
        }
        ring.truncate(2);
        assert!(ring.push(7), "the discarded bytes' space is free again");
        let mut out = [0u8; 8];
        assert_eq!(ring.pop_into(&mut out), 3);
        assert_eq!(&out[..3], &[3, 4, 7]);
        ring.truncate(0);
        assert!(ring.is_empty());
    }

    #[test]
    fn empty_ring_holds_nothing() {
        let mut ring = RingBuffer::empty();
        assert!(!ring.push(1));
        assert_eq!(ring.pop_into(&mut [0; 4]), 0);
        assert!(ring.last_mut().is_none());
    }

    #[test]
    fn move_into_larger_preserves_bytes() {
        let mut ring = RingBuffer::with_capacity(3).unwrap();
        ring.push(9);
        ring.pop_into(&mut [0]);
        for b in [1, 2, 3] {
            ring.push(b);
        }
        let larger = ring
            .move_into(RingBuffer::with_capacity(8).unwrap())
            .unwrap();
        let mut larger = larger;
        let mut out = [0u8; 8];
        assert_eq!(larger.pop_into(&mut out), 3);
        assert_eq!(&out[..3], &[1, 2, 3]);
        assert!(ring.is_empty());
    }
}
