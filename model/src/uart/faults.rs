//! Hardware faults a test switches on at a chosen virtual time ([`Uart16550::inject`]), each a
//! misbehaviour real COM ports show. The driver must detect each one, and recover or fail cleanly.

use super::POWER_ON_DIVISOR;
use super::Uart16550;
use super::registers::iir;

/// One fault. See each variant for what it does to the model and where it happens for real.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UartFault {
    /// The next `count` THRE interrupts are lost: LSR.THRE is set, no interrupt is raised
    /// (`u32::MAX`: every one, until [`Uart16550::clear_faults`]). The IER kick (ETBEI 0→1 with THR
    /// empty) still raises one. Virtual UARTs lose the THRE edge when it coincides with an IIR
    /// read on another CPU, and some 16550 clones drop it behind a higher-priority cause.
    LostThreInterrupts(u32),
    /// IIR reports received data forever and the chip's INTR stays asserted whatever IER says;
    /// nothing the driver does clears it, until [`Uart16550::clear_faults`]. Only the board's
    /// OUT2 gate silences it. A latched-up or damaged part, or an emulator bug.
    StuckInterrupt,
    /// One assertion of the interrupt output with nothing pending: IIR says "no interrupt", and
    /// reading it drops the line. Glitches on a shared ISA line, parts that pulse INTR while a
    /// cause clears.
    SpuriousInterrupt,
    /// Gone from the bus: every register reads 0xFF, writes vanish, the line is low, until
    /// [`Uart16550::clear_faults`]. A removed PC Card or ExpressCard, a surprise-removed PCIe
    /// card, a hypervisor that detached the device.
    Removed,
    /// Back to the master-reset state at once (every register, both FIFOs and the shift
    /// registers), the modem inputs excepted. A brown-out, a hypervisor restoring the device model
    /// after migration, firmware (SMM) code reprogramming the port.
    LostProgramming,
    /// The next `count` characters from the line are lost as overruns (LSR.OE): the CPU did not
    /// empty the FIFO in time (an SMI, a long higher-priority ISR, a descheduled virtual CPU).
    OverrunBurst(u32),
    /// The transmit shift register stops taking characters from THR / the FIFO. With
    /// `until_reset`, a transmit FIFO reset (FCR bit 2, or a FIFO-enable change) restarts it;
    /// otherwise only [`Uart16550::clear_faults`] does. A wedged transmitter state machine (seen
    /// on clones after a glitch of their baud clock).
    TransmitterStopped {
        /// A transmit FIFO reset restarts the transmitter.
        until_reset: bool,
    },
}

/// The faults in force, and what they have done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultState {
    /// THRE interrupts still to lose (`u32::MAX`: all).
    pub lose_thre: u32,
    /// IIR stuck with received data pending.
    pub stuck_interrupt: bool,
    /// A spurious assertion waits for an IIR read.
    pub spurious: bool,
    /// Gone from the bus.
    pub removed: bool,
    /// Line characters still to lose as overruns.
    pub overrun_burst: u32,
    /// The transmitter is stopped; `Some(true)` if a TX FIFO reset restarts it.
    pub transmitter_stopped: Option<bool>,
    /// THRE interrupts lost so far.
    pub thre_interrupts_lost: u64,
    /// Line characters lost to [`UartFault::OverrunBurst`] so far.
    pub burst_overruns: u64,
    /// Bytes [`UartFault::LostProgramming`] destroyed (both FIFOs and the shift registers).
    pub bytes_destroyed: u64,
}

impl Uart16550 {
    /// Switches `fault` on at the UART's current time. Call it through the board
    /// (`Board::uart_mut`) after advancing the machine to the moment it should happen.
    pub fn inject(&mut self, fault: UartFault) {
        match fault {
            UartFault::LostThreInterrupts(count) => self.faults.lose_thre = count,
            UartFault::StuckInterrupt => self.faults.stuck_interrupt = true,
            UartFault::SpuriousInterrupt => self.faults.spurious = true,
            UartFault::Removed => self.faults.removed = true,
            UartFault::LostProgramming => self.lose_programming(),
            UartFault::OverrunBurst(count) => self.faults.overrun_burst = count,
            UartFault::TransmitterStopped { until_reset } => {
                self.faults.transmitter_stopped = Some(until_reset);
            }
        }
    }

    /// Ends every persistent fault (lost THRE, stuck interrupt, removal, stopped transmitter).
    pub fn clear_faults(&mut self) {
        self.faults.lose_thre = 0;
        self.faults.stuck_interrupt = false;
        self.faults.removed = false;
        self.faults.overrun_burst = 0;
        self.restart_transmitter();
    }

    /// The faults in force and their effects so far.
    pub fn fault_state(&self) -> FaultState {
        self.faults
    }

    /// Whether the THRE interrupt about to be raised is lost instead.
    pub(super) fn thre_interrupt_lost(&mut self) -> bool {
        if self.faults.lose_thre == 0 {
            return false;
        }
        if self.faults.lose_thre != u32::MAX {
            self.faults.lose_thre -= 1;
        }
        self.faults.thre_interrupts_lost += 1;
        true
    }

    /// Whether the character arriving now is lost to an overrun burst.
    pub(super) fn burst_overrun(&mut self) -> bool {
        if self.faults.overrun_burst == 0 {
            return false;
        }
        self.faults.overrun_burst -= 1;
        self.faults.burst_overruns += 1;
        true
    }

    /// Whether the transmit shift register refuses the next character.
    pub(super) fn transmitter_stopped(&self) -> bool {
        self.faults.transmitter_stopped.is_some()
    }

    /// A TX FIFO reset happened: a transmitter stopped `until_reset` runs again.
    pub(super) fn transmit_fifo_was_reset(&mut self) {
        if self.faults.transmitter_stopped == Some(true) {
            self.restart_transmitter();
        }
    }

    fn restart_transmitter(&mut self) {
        if self.faults.transmitter_stopped.take().is_some() && self.tsr.is_none() {
            self.start_next_char();
        }
    }

    /// The IIR value a stuck interrupt shows, if stuck.
    pub(super) fn stuck_iir(&self) -> Option<u8> {
        self.faults.stuck_interrupt.then_some(iir::RECEIVED_DATA)
    }

    fn lose_programming(&mut self) {
        let destroyed = self.rx.len() + self.tx.len() + usize::from(self.tsr.is_some());
        self.faults.bytes_destroyed += destroyed as u64;
        self.ier = 0;
        self.lcr = 0;
        self.mcr = 0;
        self.fcr = 0;
        self.scr = 0;
        self.divisor = POWER_ON_DIVISOR;
        self.rx.clear();
        self.lsr_errors = 0;
        self.rx_fifo_error = false;
        self.cti_pending = false;
        self.tx.clear();
        self.tsr = None;
        self.thre = true;
        self.thre_due = None;
        self.thri_pending = false;
        self.tx_two_at_once = false;
        self.msr_deltas = 0;
        self.write_mcr(0);
    }
}
