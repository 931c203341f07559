//! Port configuration IOCTLs: baud rate, line control, timeouts, special characters, handflow,
//! LSRMST escape, FIFO control, queue size and the internal basic/restore settings.

use serial_ioctl::{
    NtStatus, SerialBasicSettings, SerialChars, SerialHandflow, SerialLineControl, SerialTimeouts,
    handflow, hold,
};

use crate::device::Device;
use crate::flow_control;
use crate::hw;
use crate::kernel::{Kernel, Register};
use crate::requests::Purpose;
use crate::ring::RingBuffer;
use crate::uart::{FCR_ENABLE, FCR_RX_RESET, FCR_TRIGGER_1, FCR_TX_RESET, LCR_BREAK};

impl<K: Kernel> Device<K> {
    pub(crate) fn set_baud_rate(&self, baud: u32) -> Result<usize, NtStatus> {
        let divisor = crate::line::divisor_for(baud, self.config.clock_hz)
            .map_err(|_| NtStatus::INVALID_PARAMETER)?;
        self.with_shared(|shared| {
            shared.baud = baud;
            self.sync(|s| {
                s.divisor = divisor;
                hw::write_divisor(&self.kernel, s, divisor);
            });
        });
        Ok(0)
    }

    pub(crate) fn set_line_control(&self, control: &SerialLineControl) -> Result<usize, NtStatus> {
        let lcr = crate::line::lcr_for(control).map_err(|_| NtStatus::INVALID_PARAMETER)?;
        self.sync(|s| {
            let with_break = lcr | (s.lcr & LCR_BREAK);
            hw::write_lcr(&self.kernel, s, with_break);
            s.data_mask = crate::line::data_mask(lcr);
        });
        Ok(0)
    }

    pub(crate) fn set_timeouts(&self, timeouts: &SerialTimeouts) -> Result<usize, NtStatus> {
        if !crate::timeouts::timeouts_valid(timeouts) {
            return Err(NtStatus::INVALID_PARAMETER);
        }
        self.with_shared(|shared| shared.timeouts = *timeouts);
        Ok(0)
    }

    pub(crate) fn set_chars(&self, chars: &SerialChars) -> Result<usize, NtStatus> {
        self.sync(|s| {
            let escape = s.flow.escape_char;
            if chars.xon_char == chars.xoff_char
                || (escape != 0 && (escape == chars.xon_char || escape == chars.xoff_char))
            {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            s.chars = *chars;
            Ok(0)
        })
    }

    pub(crate) fn set_handflow(&self, new: &SerialHandflow) -> Result<usize, NtStatus> {
        let wake = self.sync(|s| {
            check_handflow(s, new)?;
            let old = s.handflow;
            s.handflow = *new;
            // Turning automatic receive off while the peer is held by our XOFF releases it.
            if old.flow_replace & handflow::AUTO_RECEIVE != 0
                && new.flow_replace & handflow::AUTO_RECEIVE == 0
                && s.flow.rx_holds & hold::TX_WAITING_XOFF_SENT != 0
            {
                s.flow.send_xon = true;
            }
            if new.flow_replace & handflow::AUTO_RECEIVE == 0 {
                s.flow.send_xoff = false;
            }
            // Turning automatic transmit off drops an XOFF hold received from the peer.
            if old.flow_replace & handflow::AUTO_TRANSMIT != 0
                && new.flow_replace & handflow::AUTO_TRANSMIT == 0
            {
                s.flow.tx_holds &= !hold::TX_WAITING_FOR_XON;
            }
            flow_control::apply_lines(&self.kernel, s, Some(old));
            let msr = self.kernel.read_register(Register::ModemStatus);
            let mut wake = crate::isr::Wakeups::default();
            crate::isr::process_modem_status(&self.kernel, s, msr, &mut wake);
            if s.flow.rx_throttled {
                flow_control::after_drain(&self.kernel, s);
            }
            hw::kick_transmitter(&self.kernel, s);
            Ok(wake)
        })?;
        wake.insert_all(&self.kernel);
        Ok(0)
    }

    pub(crate) fn set_escape_char(&self, escape: u8) -> Result<usize, NtStatus> {
        self.sync(|s| {
            if escape != 0
                && (escape == s.chars.xon_char
                    || escape == s.chars.xoff_char
                    || s.handflow.flow_replace & handflow::ERROR_CHAR != 0)
            {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            s.flow.escape_char = escape;
            // No output buffer: Information must stay within it (0).
            Ok(0)
        })
    }

    pub(crate) fn set_fifo_control(&self, fcr: u32) -> Result<usize, NtStatus> {
        let value = u8::try_from(fcr & 0xFF).unwrap_or(0);
        self.sync(|s| {
            self.kernel
                .write_register(Register::InterruptIdFifoControl, value);
            s.fcr = value & !(FCR_RX_RESET | FCR_TX_RESET);
        });
        Ok(0)
    }

    pub(crate) fn set_modem_control(&self, mcr: u32) -> Result<usize, NtStatus> {
        let value = u8::try_from(mcr & 0x1F).unwrap_or(0);
        self.sync(|s| hw::write_mcr(&self.kernel, s, value));
        Ok(0)
    }

    /// INTERNAL_BASIC_SETTINGS: report the current settings, then switch to "basic": no timeouts,
    /// no flow control, one byte per THRE, receive trigger 1, FIFOs reset.
    pub(crate) fn basic_settings(&self) -> SerialBasicSettings {
        self.with_shared(|shared| {
            let saved = self.sync(|s| {
                let saved = (s.handflow, u32::from(s.fcr), u32::from(s.tx_fifo_depth));
                let basic = SerialHandflow::default();
                let old = s.handflow;
                s.handflow = basic;
                s.flow.tx_holds &= hold::TX_WAITING_ON_BREAK;
                flow_control::apply_lines(&self.kernel, s, Some(old));
                s.tx_fifo_depth = 1;
                s.fcr = FCR_ENABLE | FCR_TRIGGER_1;
                self.kernel.write_register(
                    Register::InterruptIdFifoControl,
                    s.fcr | FCR_RX_RESET | FCR_TX_RESET,
                );
                saved
            });
            let timeouts = core::mem::take(&mut shared.timeouts);
            SerialBasicSettings {
                timeouts,
                handflow: saved.0,
                rx_fifo: saved.1,
                tx_fifo: saved.2,
            }
        })
    }

    /// INTERNAL_RESTORE_SETTINGS: apply what BASIC_SETTINGS returned. The handflow is checked as
    /// SET_HANDFLOW checks it (a kernel caller can still pass garbage); a bad one changes nothing.
    pub(crate) fn restore_settings(&self, settings: &SerialBasicSettings) -> Result<(), NtStatus> {
        self.with_shared(|shared| {
            self.sync(|s| check_handflow(s, &settings.handflow))?;
            shared.timeouts = settings.timeouts;
            self.sync(|s| {
                let old = s.handflow;
                s.handflow = settings.handflow;
                flow_control::apply_lines(&self.kernel, s, Some(old));
                s.fcr = u8::try_from(settings.rx_fifo & 0xFF).unwrap_or(FCR_ENABLE) | FCR_ENABLE;
                s.tx_fifo_depth = u8::try_from(settings.tx_fifo.clamp(1, 16)).unwrap_or(1);
                self.kernel.write_register(
                    Register::InterruptIdFifoControl,
                    s.fcr | FCR_RX_RESET | FCR_TX_RESET,
                );
                hw::kick_transmitter(&self.kernel, s);
            });
            Ok(())
        })
    }

    /// Work item: allocate the larger ring for the SET_QUEUE_SIZE at the head of the read queue
    /// (PASSIVE), swap it in under the interrupt lock, free the old one here.
    pub(crate) fn resize_work_item(&self) {
        let size = self.with_shared(|shared| {
            // From here a new resize queues the work item afresh.
            shared.resize_queued = false;
            match shared.resizing.as_ref().map(|h| h.purpose) {
                Some(Purpose::ResizeReceiveBuffer(size)) => Some(size),
                _ => None,
            }
        });
        let Some(size) = size else { return };
        let ring = RingBuffer::with_capacity(size);
        let old = self.locked(|shared, done| {
            let held = shared.resizing.as_mut()?;
            if held.purpose != Purpose::ResizeReceiveBuffer(size) {
                // Another resize replaced the one this ring was sized for: run again for it.
                if !core::mem::replace(&mut shared.resize_queued, true) {
                    self.kernel
                        .queue_work_item(crate::kernel::WorkItemKind::ResizeReceiveBuffer);
                }
                return None;
            }
            if !held.claim() {
                return None;
            }
            let (status, old) = match ring {
                Ok(ring) => {
                    let old = self.sync(|s| {
                        let mut current = core::mem::replace(&mut s.rx, RingBuffer::empty());
                        match current.move_into(ring) {
                            Ok(larger) => {
                                s.rx = larger;
                                Some(current)
                            }
                            Err(ring) => {
                                s.rx = current;
                                Some(ring)
                            }
                        }
                    });
                    // Only this open's ring grows: every open allocates the default size afresh
                    // (serial-semantics.md §4).
                    (NtStatus::SUCCESS, old)
                }
                Err(_) => (NtStatus::INSUFFICIENT_RESOURCES, None),
            };
            if let Some(held) = shared.resizing.take() {
                done.push(held.request, status, 0);
            }
            self.start_reads(shared, done);
            old
        });
        drop(old);
    }
}

/// SET_HANDFLOW's rules (serial-semantics.md §10): known bits only, not both DTR modes, limits
/// from 0 to the ring size, and no ERROR_CHAR replacement while LSRMST_INSERT is on.
fn check_handflow(s: &crate::state::IsrState, new: &SerialHandflow) -> Result<(), NtStatus> {
    if new.control_handshake & handflow::CONTROL_INVALID != 0
        || new.flow_replace & handflow::FLOW_INVALID != 0
        || new.control_handshake & handflow::DTR_MASK == handflow::DTR_MASK
    {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    let size = i64::try_from(s.rx.capacity()).unwrap_or(i64::MAX);
    let limit_ok = |limit: i32| limit >= 0 && i64::from(limit) <= size;
    if !limit_ok(new.xon_limit) || !limit_ok(new.xoff_limit) {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    if new.flow_replace & handflow::ERROR_CHAR != 0 && s.flow.escape_char != 0 {
        return Err(NtStatus::INVALID_PARAMETER);
    }
    Ok(())
}
