//! Transmit side: THR/TX FIFO → shift register → SOUT, THRE/TEMT, the delayed-THRE rule, break.

use super::line::{LineChar, LineErrors};
use super::registers::{self, FIFO_DEPTH, lcr};
use super::{ShiftingChar, Uart16550};

impl Uart16550 {
    pub(super) fn write_thr(&mut self, value: u8) {
        self.thri_pending = false;
        if self.divisor == 0 && !self.divisor_zero_flagged {
            self.divisor_zero_flagged = true;
            self.flag("transmitting with divisor 0");
        }
        if self.is_qemu() {
            self.transmit_instantly(value);
            return;
        }
        let fifo = self.fifo_enabled();
        let capacity = if fifo { FIFO_DEPTH } else { 1 };
        if self.tx.len() >= capacity {
            self.counters.tx_fifo_overflows += 1;
            if fifo {
                // Undefined on real parts: the model keeps the FIFO and loses the new byte.
                self.flag("THR written while the transmit FIFO is full");
                return;
            }
            // 16450 mode: the new byte overwrites THR.
            self.flag("THR written while THR is full");
            self.tx.clear();
        }
        self.tx.push_back(value);
        self.thre = false;
        self.thre_due = None;
        let started_now = self.tsr.is_some_and(|shifting| shifting.start == self.now);
        if self.tx.len() + usize::from(started_now) >= 2 {
            // A byte that moved to the shift register in this same instant counts: the CPU writes
            // far faster than the FIFO-to-shift-register transfer on a real part.
            self.tx_two_at_once = true;
        }
        if self.tsr.is_none() {
            self.start_next_char();
        }
    }

    /// QEMU: the byte goes out within the register write; THRE and TEMT stay 1 and the THRE
    /// interrupt is raised again at once.
    fn transmit_instantly(&mut self, value: u8) {
        let format = self.frame();
        let ch = LineChar {
            at: self.now_time(),
            data: value & format.data_mask(),
            format,
            errors: LineErrors::NONE,
        };
        self.counters.chars_transmitted += 1;
        self.put_on_line(ch);
        self.set_thre();
    }

    /// Moves the TX FIFO head into the shift register at the current instant.
    pub(super) fn start_next_char(&mut self) {
        if self.transmitter_stopped() {
            return;
        }
        let Some(data) = self.tx.pop_front() else {
            return;
        };
        let format = self.frame();
        let cycles = registers::character_cycles(&format, self.divisor);
        let end = self.now + self.timebase.from_cycles(cycles);
        self.tsr = Some(ShiftingChar {
            data,
            format,
            start: self.now,
            end,
        });
        if self.tx.is_empty() {
            if self.fifo_enabled() && !self.tx_two_at_once {
                // Delayed THRE: one character time minus the last stop bit after the FIFO empties.
                let delay = cycles.saturating_sub(registers::bit_cycles(self.divisor));
                self.thre_due = Some(self.now + self.timebase.from_cycles(delay));
            } else {
                self.set_thre();
            }
        }
    }

    pub(super) fn set_thre(&mut self) {
        self.thre = true;
        if !self.thre_interrupt_lost() {
            self.thri_pending = true;
        }
        self.tx_two_at_once = false;
        self.thre_due = None;
    }

    pub(super) fn delayed_thre(&mut self) {
        self.thre_due = None;
        if self.tx.is_empty() {
            self.set_thre();
        }
    }

    pub(super) fn finish_tx_char(&mut self) {
        let Some(shifting) = self.tsr.take() else {
            return;
        };
        self.counters.chars_transmitted += 1;
        let ch = LineChar {
            at: self.timebase.to_time_ceil(shifting.end),
            data: shifting.data & shifting.format.data_mask(),
            format: shifting.format,
            errors: LineErrors::NONE,
        };
        self.put_on_line(ch);
        self.start_next_char();
    }

    /// A finished character goes to the receiver in loopback, is swallowed by an active break, or
    /// leaves on SOUT.
    fn put_on_line(&mut self, ch: LineChar) {
        if self.loopback() {
            self.deliver_rx(&ch);
        } else if !self.break_active {
            self.transmitted.push(ch);
        }
    }

    pub(super) fn reset_tx_fifo(&mut self) {
        self.counters.tx_bytes_discarded += self.tx.len() as u64;
        self.tx.clear();
        self.set_thre();
        self.transmit_fifo_was_reset();
    }

    /// Tracks SOUT spacing: LCR bit 6 outside loopback. A break held for a whole character time
    /// shows up on the line as one break character; a shorter one is not modelled.
    pub(super) fn update_break(&mut self) {
        let active = self.lcr & lcr::BREAK != 0 && !self.loopback();
        if active && !self.break_active {
            self.break_char_due = Some(self.now + self.character_exact());
        } else if !active {
            self.break_char_due = None;
        }
        self.break_active = active;
    }

    pub(super) fn emit_break_char(&mut self) {
        self.break_char_due = None;
        let format = self.frame();
        self.transmitted.push(LineChar {
            at: self.now_time(),
            data: 0,
            format,
            errors: LineErrors::BREAK,
        });
    }

    pub(super) fn transmitter_empty(&self) -> bool {
        self.thre && self.tsr.is_none()
    }
}
