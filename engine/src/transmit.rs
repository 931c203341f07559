//! Transmit staging between the write path (DISPATCH) and the ISR (DIRQL).
//!
//! The current write's bytes are copied, a chunk at a time, into a small staging ring inside the
//! interrupt-synchronized state; the ISR feeds THR from it. When staging runs low the ISR queues
//! the TransmitRefill DPC; when the last byte has gone to THR it queues WriteComplete. A write
//! therefore completes when its bytes are handed to the UART, as serial.sys does, while the ISR
//! never touches a request buffer.

/// Staging capacity: large enough that a refill DPC has many character times to run.
pub const STAGING_CAPACITY: usize = 256;

/// The ISR asks for a refill when staging drops to this many bytes.
pub const REFILL_THRESHOLD: usize = 64;

/// Transmit progress shared with the ISR.
#[derive(Debug)]
pub struct TransmitState {
    staging: [u8; STAGING_CAPACITY],
    head: usize,
    len: usize,
    /// Bytes of the current write not yet staged.
    pub unstaged: usize,
    /// Bytes of the current write already written to THR.
    pub sent: usize,
    /// A write or XOFF counter is current.
    pub active: bool,
    /// The current write's last byte went to THR; WriteComplete is queued.
    pub done_pending: bool,
    /// TransmitRefill is queued.
    pub refill_requested: bool,
    /// The transmitter has nothing in flight and no THRE interrupt is expected: new work must
    /// re-arm THRE with an IER kick.
    pub idle: bool,
    /// The pending immediate character, sent ahead of write data.
    pub immediate: Option<u8>,
    /// The immediate character went to THR; WriteComplete is queued to complete it.
    pub immediate_done: bool,
}

impl Default for TransmitState {
    fn default() -> Self {
        Self {
            staging: [0; STAGING_CAPACITY],
            head: 0,
            len: 0,
            unstaged: 0,
            sent: 0,
            active: false,
            done_pending: false,
            refill_requested: false,
            idle: true,
            immediate: None,
            immediate_done: false,
        }
    }
}

impl TransmitState {
    /// Starts a new current write of `length` bytes (none staged yet).
    pub fn begin(&mut self, length: usize) {
        self.clear_staging();
        self.unstaged = length;
        self.sent = 0;
        self.active = true;
        self.done_pending = false;
        self.refill_requested = false;
    }

    /// Stops the current write (completion, timeout, cancel, purge): staged bytes are discarded
    /// and never transmitted. Returns the bytes already written to THR.
    pub fn abort(&mut self) -> usize {
        let sent = self.sent;
        self.clear_staging();
        self.unstaged = 0;
        self.sent = 0;
        self.active = false;
        self.done_pending = false;
        self.refill_requested = false;
        sent
    }

    fn clear_staging(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Free staging space.
    pub const fn free(&self) -> usize {
        STAGING_CAPACITY.saturating_sub(self.len)
    }

    /// Copies as much of `bytes` as fits into staging; returns how many were taken.
    pub fn stage(&mut self, bytes: &[u8]) -> usize {
        let count = bytes.len().min(self.free()).min(self.unstaged);
        for &byte in bytes.iter().take(count) {
            let tail = self.head.wrapping_add(self.len) % STAGING_CAPACITY;
            if let Some(slot) = self.staging.get_mut(tail) {
                *slot = byte;
            }
            self.len = self.len.saturating_add(1);
        }
        self.unstaged = self.unstaged.saturating_sub(count);
        count
    }

    /// Takes the next staged byte for THR.
    pub fn next_byte(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let byte = self.staging.get(self.head).copied();
        self.head = self.head.wrapping_add(1) % STAGING_CAPACITY;
        self.len = self.len.saturating_sub(1);
        self.sent = self.sent.saturating_add(1);
        byte
    }

    /// Whether the write has data the ISR could send now.
    pub const fn has_data(&self) -> bool {
        self.active && self.len > 0
    }

    /// The current write has handed every byte to the UART.
    pub const fn all_sent(&self) -> bool {
        self.active && self.len == 0 && self.unstaged == 0
    }

    /// The ISR should ask for more bytes.
    pub const fn wants_refill(&self) -> bool {
        self.active && !self.refill_requested && self.unstaged > 0 && self.len <= REFILL_THRESHOLD
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn stages_in_chunks_and_counts_sent_bytes() {
        let mut tx = TransmitState::default();
        let data: [u8; 300] = core::array::from_fn(|i| (i % 251) as u8);
        tx.begin(data.len());
        assert_eq!(tx.stage(&data), STAGING_CAPACITY);
        assert!(!tx.wants_refill());
        for expected in data.iter().take(200) {
            assert_eq!(tx.next_byte(), Some(*expected));
        }
        assert!(tx.wants_refill());
        assert_eq!(tx.stage(&data[256..]), 44);
        while tx.next_byte().is_some() {}
        assert!(tx.all_sent());
        assert_eq!(tx.sent, 300);
        assert_eq!(tx.abort(), 300);
        assert!(!tx.active);
    }
}
