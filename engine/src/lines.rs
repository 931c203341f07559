//! Modem lines, break, pretend XON/XOFF, transmit toggle and the immediate character
//! (serial-semantics.md §10, §11.1).

use serial_ioctl::{NtStatus, handflow, hold};

use crate::device::Device;
use crate::flow_control;
use crate::hw;
use crate::kernel::{Kernel, Register, Request, TimerKind};
use crate::requests::{Held, Purpose};
use crate::timeouts;
use crate::uart::{LCR_BREAK, LSR_TEMT, MCR_DTR, MCR_RTS};

impl<K: Kernel> Device<K> {
    pub(crate) fn set_dtr(&self, on: bool) -> Result<usize, NtStatus> {
        self.sync(|s| {
            if flow_control::dtr_is_handshake(s) {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let mcr = if on {
                s.mcr | MCR_DTR
            } else {
                s.mcr & !MCR_DTR
            };
            hw::write_mcr(&self.kernel, s, mcr);
            Ok(0)
        })
    }

    pub(crate) fn set_rts(&self, on: bool) -> Result<usize, NtStatus> {
        self.sync(|s| {
            if flow_control::rts_is_automatic(s) {
                return Err(NtStatus::INVALID_PARAMETER);
            }
            let mcr = if on {
                s.mcr | MCR_RTS
            } else {
                s.mcr & !MCR_RTS
            };
            hw::write_mcr(&self.kernel, s, mcr);
            Ok(0)
        })
    }

    pub(crate) fn set_break(&self, on: bool) -> Result<usize, NtStatus> {
        let toggle_lower = self.sync(|s| {
            let toggle = s.handflow.flow_replace & handflow::RTS_MASK == handflow::TRANSMIT_TOGGLE;
            if on {
                let lcr = s.lcr | LCR_BREAK;
                hw::write_lcr(&self.kernel, s, lcr);
                s.flow.tx_holds |= hold::TX_WAITING_ON_BREAK;
                if toggle {
                    let mcr = s.mcr | MCR_RTS;
                    hw::write_mcr(&self.kernel, s, mcr);
                }
                false
            } else if s.lcr & LCR_BREAK != 0 {
                let lcr = s.lcr & !LCR_BREAK;
                hw::write_lcr(&self.kernel, s, lcr);
                s.flow.tx_holds &= !hold::TX_WAITING_ON_BREAK;
                hw::kick_transmitter(&self.kernel, s);
                toggle
            } else {
                false
            }
        });
        if toggle_lower {
            self.flow_control_dpc();
        }
        Ok(0)
    }

    /// SET_XOFF: act as if XOFF was received, even without automatic transmit flow control.
    pub(crate) fn pretend_xoff(&self) -> Result<usize, NtStatus> {
        self.sync(|s| s.flow.tx_holds |= hold::TX_WAITING_FOR_XON);
        Ok(0)
    }

    /// SET_XON: act as if XON was received.
    pub(crate) fn pretend_xon(&self) -> Result<usize, NtStatus> {
        self.sync(|s| {
            s.flow.tx_holds &= !hold::TX_WAITING_FOR_XON;
            hw::kick_transmitter(&self.kernel, s);
        });
        Ok(0)
    }

    /// GET_MODEMSTATUS: read MSR now and run the modem-update logic on it.
    pub(crate) fn modem_status(&self) -> u8 {
        let (msr, wake) = self.sync(|s| {
            let msr = self.kernel.read_register(Register::ModemStatus);
            let mut wake = crate::isr::Wakeups::default();
            crate::isr::process_modem_status(&self.kernel, s, msr, &mut wake);
            hw::kick_transmitter(&self.kernel, s);
            (msr, wake)
        });
        wake.insert_all(&self.kernel);
        msr
    }

    /// FlowControl DPC: a transmit hold was lifted (restart transmission), or transmit toggle
    /// needs RTS lowered once the shift register empties.
    pub(crate) fn flow_control_dpc(&self) {
        self.with_shared(|shared| {
            let (toggle, char_time) = self.sync(|s| {
                hw::kick_transmitter(&self.kernel, s);
                let toggle =
                    s.handflow.flow_replace & handflow::RTS_MASK == handflow::TRANSMIT_TOGGLE;
                (
                    toggle && s.mcr & MCR_RTS != 0,
                    crate::line::character_time(s.lcr, s.divisor, self.config.clock_hz),
                )
            });
            if toggle && shared.timers.slot(TimerKind::LowerRts).is_none() {
                timeouts::arm(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::LowerRts,
                    char_time,
                );
            }
        });
    }

    /// Transmit toggle: lower RTS once nothing is left to send and the shift register is empty;
    /// otherwise look again one character time later.
    pub(crate) fn lower_rts_expired(&self) {
        self.with_shared(|shared| {
            if !timeouts::expired(&self.kernel, &mut shared.timers, TimerKind::LowerRts) {
                return;
            }
            let again = self.sync(|s| {
                let toggle =
                    s.handflow.flow_replace & handflow::RTS_MASK == handflow::TRANSMIT_TOGGLE;
                if !toggle || s.mcr & MCR_RTS == 0 {
                    return None;
                }
                // Work held by flow control is not transmission: RTS drops and rises again with
                // the next byte sent (as serial.sys does). A break keeps RTS up until it ends.
                let sending = (s.tx.has_data() || s.tx.immediate.is_some()) && s.flow.tx_holds == 0;
                let busy = sending || s.lcr & LCR_BREAK != 0;
                let lsr = self.kernel.read_register(Register::LineStatus);
                if busy || lsr & LSR_TEMT == 0 {
                    return Some(crate::line::character_time(
                        s.lcr,
                        s.divisor,
                        self.config.clock_hz,
                    ));
                }
                let mcr = s.mcr & !MCR_RTS;
                hw::write_mcr(&self.kernel, s, mcr);
                None
            });
            if let Some(char_time) = again {
                timeouts::arm(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::LowerRts,
                    char_time,
                );
            }
        });
    }

    /// IOCTL_SERIAL_IMMEDIATE_CHAR: one at a time, sent ahead of write data.
    pub(crate) fn immediate_char(&self, mut request: K::Request) {
        let byte = request.input().first().copied().unwrap_or(0);
        let rejected = self.locked(|shared, _| {
            if let Some(status) = self.refusal(shared) {
                return Some((status, request));
            }
            if shared.immediate.is_some() {
                return Some((NtStatus::INVALID_PARAMETER, request));
            }
            if request.mark_cancelable().is_err() {
                return Some((NtStatus::CANCELLED, request));
            }
            if let Some(total) = timeouts::write_total(&shared.timeouts, 1) {
                timeouts::arm(
                    &self.kernel,
                    &mut shared.timers,
                    TimerKind::ImmediateTotal,
                    total,
                );
            }
            self.sync(|s| {
                s.tx.immediate = Some(byte);
                s.tx.immediate_done = false;
                hw::kick_transmitter(&self.kernel, s);
            });
            shared.immediate = Some(Held::new(request, Purpose::Write));
            None
        });
        if let Some((status, request)) = rejected {
            Self::finish(request, status, 0);
        }
    }

    /// The immediate character's total timeout.
    pub(crate) fn immediate_total_expired(&self) {
        self.locked(|shared, done| {
            if !timeouts::expired(&self.kernel, &mut shared.timers, TimerKind::ImmediateTotal) {
                return;
            }
            let Some(held) = shared.immediate.as_mut() else {
                return;
            };
            if !held.claim() {
                return;
            }
            let sent = self.sync(|s| {
                let sent = s.tx.immediate.is_none();
                s.tx.immediate = None;
                s.tx.immediate_done = false;
                sent
            });
            if let Some(held) = shared.immediate.take() {
                let status = if sent {
                    NtStatus::SUCCESS
                } else {
                    NtStatus::TIMEOUT
                };
                done.push(held.request, status, 0);
            }
            if shared.current_write.is_none() && shared.writes.is_empty() {
                self.transmit_queue_empty(shared);
            }
        });
    }
}
