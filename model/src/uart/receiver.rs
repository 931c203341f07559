//! Receive side: line → shift register → RX FIFO/RBR, per-entry error flags, overrun, LSR,
//! the character timeout.

use super::fifo::RxEntry;
use super::line::LineChar;
use super::registers::{FIFO_DEPTH, lsr, trigger_level};
use super::timing::Exact;
use super::{PendingRx, Quirks, Uart16550};

impl Uart16550 {
    /// A character from the line whose stop bit ends at `ch.at` reaches the receive shift register.
    ///
    /// Characters are delivered in `at` order. One handed over after its time is taken as arriving
    /// now. Under [`Quirks::Datasheet`] arrivals are paced to at most one per receive character
    /// time; under [`Quirks::QemuCompat`] they are not paced but wait while the FIFO (or RBR) is full.
    /// In loopback SIN is disconnected and arriving characters are lost.
    pub fn receive(&mut self, ch: LineChar) {
        let earliest = self.timebase.from_time(ch.at).max(self.now);
        let index = self
            .rx_line
            .partition_point(|pending| pending.ch.at <= ch.at);
        self.rx_line.insert(index, PendingRx { ch, earliest });
    }

    pub(super) fn rx_arrival_time(&self) -> Option<Exact> {
        let pending = self.rx_line.front()?;
        match self.config.quirks {
            Quirks::Datasheet => {
                // `at` is rounded up to 100 ns, so the previous character may really have ended up
                // to one unit before it arrived here: allow for that, or a sender at exactly our
                // rate would be delayed by a unit now and then.
                let one_unit = self.timebase.from_time(1);
                let paced = self.last_line_arrival.map_or(0, |last| {
                    (last + self.character_exact()).saturating_sub(one_unit)
                });
                Some(pending.earliest.max(paced))
            }
            Quirks::QemuCompat => {
                let capacity = if self.fifo_enabled() { FIFO_DEPTH } else { 1 };
                (!self.rx.is_full(capacity)).then_some(pending.earliest)
            }
        }
    }

    pub(super) fn arrive_from_line(&mut self) {
        let Some(pending) = self.rx_line.pop_front() else {
            return;
        };
        self.last_line_arrival = Some(self.now);
        if self.loopback() {
            self.counters.chars_dropped_in_loopback += 1;
        } else {
            self.deliver_rx(&pending.ch);
        }
    }

    /// The receive shift register completes `ch` now: classify it against our frame and load it.
    pub(super) fn deliver_rx(&mut self, ch: &LineChar) {
        self.counters.chars_received += 1;
        let entry = self.classify(ch);
        if entry.flags & lsr::FE != 0 {
            self.counters.framing_errors += 1;
        }
        if entry.flags & lsr::PE != 0 {
            self.counters.parity_errors += 1;
        }
        if entry.flags & lsr::BI != 0 {
            self.counters.breaks_received += 1;
        }
        self.last_rx = Some(self.now);
        if self.is_qemu() {
            // QEMU keeps no per-byte flags: BI is latched at once.
            self.lsr_errors |= entry.flags;
            let entry = RxEntry { flags: 0, ..entry };
            self.load_rx(entry);
        } else {
            self.load_rx(entry);
        }
    }

    fn load_rx(&mut self, entry: RxEntry) {
        if self.burst_overrun() {
            self.lsr_errors |= lsr::OE;
            self.counters.overruns += 1;
            return;
        }
        if self.fifo_enabled() {
            if self.rx.is_full(FIFO_DEPTH) {
                // The FIFO is kept; the character in the shift register is lost.
                self.lsr_errors |= lsr::OE;
                self.counters.overruns += 1;
                return;
            }
            if self.rx.is_empty() {
                self.lsr_errors |= entry.flags;
            }
            if entry.is_errored() {
                self.rx_fifo_error = true;
            }
            self.rx.push(entry);
        } else {
            if !self.rx.is_empty() {
                // 16450 mode: the new character overwrites RBR.
                self.lsr_errors |= lsr::OE;
                self.counters.overruns += 1;
                self.rx.clear();
            }
            self.lsr_errors |= entry.flags;
            self.rx.push(entry);
        }
    }

    /// What a receiver programmed with our frame makes of `ch`.
    fn classify(&self, ch: &LineChar) -> RxEntry {
        let ours = self.frame();
        if ch.errors.break_condition {
            return RxEntry {
                data: 0,
                flags: lsr::BI,
            };
        }
        let data = ch.data & ours.data_mask();
        if self.is_qemu() {
            return RxEntry { data, flags: 0 };
        }
        let theirs = ch.format;
        let mut flags = 0;
        let same_shape = theirs.data_bits == ours.data_bits && theirs.stop_bits == ours.stop_bits;
        if ch.errors.framing || !same_shape || !ours.rate_matches(&theirs) {
            flags |= lsr::FE;
        }
        let sent_parity = theirs
            .parity_bit(ch.data)
            .map(|bit| bit != ch.errors.parity);
        match ours.parity_bit(data) {
            // Without a parity bit from the sender, its stop bit (mark) sits where we sample parity.
            Some(expected) => {
                if sent_parity.unwrap_or(true) != expected {
                    flags |= lsr::PE;
                }
            }
            // We sample the sender's parity bit as our stop bit.
            None => {
                if sent_parity == Some(false) {
                    flags |= lsr::FE;
                }
            }
        }
        RxEntry { data, flags }
    }

    pub(super) fn read_rbr(&mut self) -> u8 {
        self.cti_pending = false;
        self.last_rbr_read = self.now;
        let value = match self.rx.pop() {
            Some(entry) => {
                self.last_rbr = entry.data;
                if let Some(head) = self.rx.head() {
                    // The next byte's flags move up with it.
                    self.lsr_errors |= head.flags;
                }
                entry.data
            }
            None if self.is_qemu() && self.fifo_enabled() => {
                self.counters.empty_rbr_reads += 1;
                0
            }
            None => {
                self.counters.empty_rbr_reads += 1;
                self.last_rbr
            }
        };
        if self.is_qemu() && self.rx.is_empty() {
            self.lsr_errors &= !lsr::BI;
        }
        value
    }

    pub(super) fn lsr_value(&self) -> u8 {
        let mut value = self.lsr_errors;
        if !self.rx.is_empty() {
            value |= lsr::DR;
        }
        if self.thre {
            value |= lsr::THRE;
        }
        if self.transmitter_empty() {
            value |= lsr::TEMT;
        }
        if self.fifo_enabled() && self.rx_fifo_error && !self.is_qemu() {
            value |= lsr::RX_FIFO_ERROR;
        }
        value
    }

    pub(super) fn read_lsr(&mut self) -> u8 {
        let value = self.lsr_value();
        self.lsr_errors = 0;
        self.rx_fifo_error = self.rx.any_errored();
        value
    }

    /// Line status as a read would return it, without the read's side effects.
    pub fn peek_lsr(&self) -> u8 {
        self.lsr_value()
    }

    pub(super) fn reset_rx_fifo(&mut self) {
        self.counters.rx_bytes_discarded += self.rx.len() as u64;
        self.rx.clear();
        self.lsr_errors &= !lsr::BI;
        self.cti_pending = false;
    }

    pub(super) fn received_data_condition(&self) -> bool {
        if self.fifo_enabled() {
            self.rx.len() >= trigger_level(self.fcr)
        } else {
            !self.rx.is_empty()
        }
    }

    /// Four character times after the later of the last arrival and the last RBR read, while the
    /// FIFO holds a byte (FIFO mode only).
    pub(super) fn character_timeout_due(&self) -> Option<Exact> {
        if !self.fifo_enabled() || self.rx.is_empty() || self.cti_pending {
            return None;
        }
        let reference = self.last_rx.unwrap_or(0).max(self.last_rbr_read);
        Some(reference + 4 * self.character_exact())
    }
}
