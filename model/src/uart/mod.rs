//! A deterministic model of the 16550A UART (see `uart16550.md`).
//!
//! The model is a synchronous state machine on a virtual clock. Every register access carries the
//! virtual time at which it happens; the model first processes every internal event due by then
//! (characters finishing in the shift registers, arrivals from the line, the character timeout, the
//! delayed THRE indication), then applies the access with all its side effects. The interrupt output
//! is a level, recomputed from state on demand, and [`Uart16550::next_deadline`] says when the next
//! internal event is due so that a scheduler can advance to it.
//!
//! Timing is exact (see [`timing`]): a character occupies `half bits × 8 × divisor` input-clock
//! cycles and back-to-back characters follow each other without rounding.
//!
//! [`Quirks::QemuCompat`] switches to the behaviour of QEMU's `serial.c` listed in rows 1-8 of §8 of
//! the specification (except the 10 ms MSR polling, which is not modelled), so that a driver can be
//! tested against both.

mod faults;
mod fifo;
mod line;
mod modem;
mod receiver;
pub mod registers;
pub mod timing;
mod trace;
mod transmitter;

use std::collections::VecDeque;

pub use faults::{FaultState, UartFault};
pub use line::{FrameFormat, LineChar, LineErrors, ModemInputs, ModemOutputs, Parity, StopBits};
pub use registers::{InterruptCause, Register};
pub use trace::{AccessKind, DEFAULT_TRACE_CAPACITY, RegisterAccess, UartCounters};

use fifo::RxFifo;
use registers::{fcr, ier, iir, lcr, mcr};
use timing::{Exact, Timebase};
use trace::TraceRing;

/// Virtual time in 100 ns units.
pub type Time = u64;

/// The usual PC UART input clock: divisor 1 = 115 200 baud.
pub const DEFAULT_CLOCK_HZ: u32 = 1_843_200;

/// Divisor latch value after [`Uart16550::new`]. The datasheet leaves the latch undefined at power
/// on; the model starts at 12 (9600 baud at 1.8432 MHz), as PC firmware and QEMU do.
pub const POWER_ON_DIVISOR: u16 = 12;

/// Which behaviour the model follows where real parts and QEMU differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quirks {
    /// The National/TI datasheet behaviour.
    #[default]
    Datasheet,
    /// QEMU `serial.c`: instant TX (so the TX FIFO never fills and QEMU's drop-the-oldest overflow
    /// rule never comes into play), no PE/FE and no LSR7, OUT2 ignored, no MSR deltas in loopback,
    /// an empty RBR reads 0 in FIFO mode, RX not paced by the receiver's baud rate (but held back
    /// while the FIFO is full, as QEMU's `can_receive` does, so no overrun from the line).
    QemuCompat,
}

/// How the board connects the UART's INTR output to the interrupt controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IrqGate {
    /// `irq = INTR && MCR.OUT2` (PC boards; interrupts still work in loopback).
    #[default]
    Out2Bit,
    /// `irq = INTR && OUT2 pin`; the pin is inactive in loopback, so loopback blocks interrupts.
    Out2Pin,
    /// `irq = INTR`.
    Ungated,
}

/// Construction parameters of a [`Uart16550`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UartConfig {
    /// Input clock in Hz.
    pub clock_hz: u32,
    /// Datasheet or QEMU behaviour.
    pub quirks: Quirks,
    /// Interrupt gating (ignored under [`Quirks::QemuCompat`], which never gates).
    pub irq_gate: IrqGate,
}

impl Default for UartConfig {
    /// 1.8432 MHz, datasheet behaviour, gated by MCR.OUT2.
    fn default() -> Self {
        Self {
            clock_hz: DEFAULT_CLOCK_HZ,
            quirks: Quirks::Datasheet,
            irq_gate: IrqGate::Out2Bit,
        }
    }
}

/// The character in the transmit shift register.
#[derive(Debug, Clone, Copy)]
struct ShiftingChar {
    data: u8,
    format: FrameFormat,
    start: Exact,
    end: Exact,
}

/// A character on the way from the line to the receive shift register.
#[derive(Debug, Clone, Copy)]
struct PendingRx {
    ch: LineChar,
    /// Not before this instant (its stop-bit end, or the moment it was handed to the model).
    earliest: Exact,
}

/// Internal events; the declaration order breaks ties between events due at the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    TxDone,
    DelayedThre,
    RxArrival,
    BreakChar,
    CharacterTimeout,
}

/// The 16550A model. See the module documentation.
#[derive(Debug, Clone)]
pub struct Uart16550 {
    config: UartConfig,
    timebase: Timebase,
    /// Everything due at or before this instant has been processed.
    now: Exact,

    ier: u8,
    lcr: u8,
    mcr: u8,
    /// Programmed FCR bits (enable, DMA mode, trigger); the reset bits never stick.
    fcr: u8,
    scr: u8,
    divisor: u16,

    /// Receive FIFO, or RBR (depth 1) in 16450 mode.
    rx: RxFifo,
    /// Last byte returned by RBR, returned again by a read of an empty RBR.
    last_rbr: u8,
    /// Latched LSR OE/PE/FE/BI.
    lsr_errors: u8,
    /// Latched LSR bit 7.
    rx_fifo_error: bool,
    /// Characters on the line, not yet in the receive shift register.
    rx_line: VecDeque<PendingRx>,
    /// When the last character from the line reached the receiver (paces the next one).
    last_line_arrival: Option<Exact>,
    /// When the last character entered the receive FIFO (line or loopback): CTI timer.
    last_rx: Option<Exact>,
    /// When RBR was last read: CTI timer.
    last_rbr_read: Exact,
    cti_pending: bool,

    /// Transmit FIFO, or THR (depth 1) in 16450 mode.
    tx: VecDeque<u8>,
    tsr: Option<ShiftingChar>,
    /// LSR.THRE as the CPU sees it (may lag the FIFO by the delayed-THRE rule).
    thre: bool,
    /// When a delayed THRE indication appears.
    thre_due: Option<Exact>,
    /// At least two bytes were in the TX FIFO at once since THRE was last 1.
    tx_two_at_once: bool,
    thri_pending: bool,
    transmitted: Vec<LineChar>,
    break_active: bool,
    break_char_due: Option<Exact>,
    divisor_zero_flagged: bool,

    external_inputs: ModemInputs,
    /// The modem lines MSR bits 7:4 show.
    msr_lines: ModemInputs,
    /// Whether `msr_lines` came from MCR (loopback).
    msr_lines_from_loop: bool,
    msr_deltas: u8,

    trace: TraceRing,
    counters: UartCounters,
    violations: Vec<String>,
    faults: faults::FaultState,
}

impl Default for Uart16550 {
    fn default() -> Self {
        Self::new(UartConfig::default())
    }
}

impl Uart16550 {
    /// A UART in its master-reset state (uart16550.md §1.2, datasheet column), at time 0.
    pub fn new(config: UartConfig) -> Self {
        Self {
            config,
            timebase: Timebase::new(config.clock_hz),
            now: 0,
            ier: 0,
            lcr: 0,
            mcr: 0,
            fcr: 0,
            scr: 0,
            divisor: POWER_ON_DIVISOR,
            rx: RxFifo::default(),
            last_rbr: 0,
            lsr_errors: 0,
            rx_fifo_error: false,
            rx_line: VecDeque::new(),
            last_line_arrival: None,
            last_rx: None,
            last_rbr_read: 0,
            cti_pending: false,
            tx: VecDeque::new(),
            tsr: None,
            thre: true,
            thre_due: None,
            tx_two_at_once: false,
            thri_pending: false,
            transmitted: Vec::new(),
            break_active: false,
            break_char_due: None,
            divisor_zero_flagged: false,
            external_inputs: ModemInputs::default(),
            msr_lines: ModemInputs::default(),
            msr_lines_from_loop: false,
            msr_deltas: 0,
            trace: TraceRing::default(),
            counters: UartCounters::default(),
            violations: Vec::new(),
            faults: faults::FaultState::default(),
        }
    }

    /// The configuration the UART was built with.
    pub fn config(&self) -> UartConfig {
        self.config
    }

    /// Keeps the last `capacity` register accesses in [`Self::trace`] (default 4096, 0 = off).
    pub fn set_trace_capacity(&mut self, capacity: usize) {
        self.trace.set_capacity(capacity);
    }

    /// The time up to which the model has been advanced.
    pub fn now(&self) -> Time {
        self.timebase.to_time_ceil(self.now)
    }

    /// Reads register `offset` (bits 2:0) at `now`, after processing everything due by then.
    pub fn read(&mut self, offset: u8, now: Time) -> u8 {
        self.advance(now);
        if self.faults.removed {
            self.counters.register_reads += 1;
            return 0xFF;
        }
        let register = Register::decode(offset, false, self.dlab());
        let value = match register {
            Register::Rbr => self.read_rbr(),
            Register::Dll => self.divisor.to_le_bytes()[0],
            Register::Dlm => self.divisor.to_le_bytes()[1],
            Register::Ier => self.ier,
            Register::Iir => self.read_iir(),
            Register::Lcr => self.lcr,
            Register::Mcr => self.mcr,
            Register::Lsr => self.read_lsr(),
            Register::Msr => self.read_msr(),
            Register::Scr => self.scr,
            // Write-only registers never decode on a read.
            Register::Thr | Register::Fcr => 0xFF,
        };
        self.counters.register_reads += 1;
        self.record(offset, AccessKind::Read, register, value);
        self.run_events(self.now);
        value
    }

    /// Writes register `offset` (bits 2:0) at `now`, after processing everything due by then.
    pub fn write(&mut self, offset: u8, value: u8, now: Time) {
        self.advance(now);
        if self.faults.removed {
            self.counters.register_writes += 1;
            return;
        }
        let register = Register::decode(offset, true, self.dlab());
        match register {
            Register::Thr => self.write_thr(value),
            Register::Dll => {
                self.write_divisor(u16::from_le_bytes([value, self.divisor.to_le_bytes()[1]]))
            }
            Register::Dlm => {
                self.write_divisor(u16::from_le_bytes([self.divisor.to_le_bytes()[0], value]))
            }
            Register::Ier => self.write_ier(value),
            Register::Fcr => self.write_fcr(value),
            Register::Lcr => self.write_lcr(value),
            Register::Mcr => self.write_mcr(value),
            Register::Scr => self.scr = value,
            // LSR writes are factory test only; MSR writes are ignored.
            Register::Lsr | Register::Msr => {}
            // Read-only registers never decode on a write.
            Register::Rbr | Register::Iir => {}
        }
        self.counters.register_writes += 1;
        self.record(offset, AccessKind::Write, register, value);
        self.run_events(self.now);
    }

    /// The interrupt request as the interrupt controller sees it: a level, after OUT2 gating.
    pub fn irq_line(&self) -> bool {
        if self.faults.removed {
            return false;
        }
        let gate_open = match self.effective_irq_gate() {
            IrqGate::Ungated => true,
            IrqGate::Out2Bit => self.mcr & mcr::OUT2 != 0,
            IrqGate::Out2Pin => self.modem_outputs().out2,
        };
        gate_open && self.intr()
    }

    /// The UART's own INTR output, before board gating: any enabled cause pending.
    pub fn intr(&self) -> bool {
        self.pending_cause().is_some() || self.faults.spurious || self.faults.stuck_interrupt
    }

    /// The cause IIR would report now (highest priority pending, enabled cause).
    pub fn pending_cause(&self) -> Option<InterruptCause> {
        let enabled = |bit: u8| self.ier & bit != 0;
        if enabled(ier::ELSI) && self.lsr_errors != 0 {
            Some(InterruptCause::ReceiverLineStatus)
        } else if enabled(ier::ERBFI) && self.cti_pending {
            Some(InterruptCause::CharacterTimeout)
        } else if enabled(ier::ERBFI) && self.received_data_condition() {
            Some(InterruptCause::ReceivedData)
        } else if enabled(ier::ETBEI) && self.thri_pending {
            Some(InterruptCause::ThrEmpty)
        } else if enabled(ier::EDSSI) && self.msr_deltas != 0 {
            Some(InterruptCause::ModemStatus)
        } else {
            None
        }
    }

    /// When the next internal event is due (rounded up), if any.
    pub fn next_deadline(&self) -> Option<Time> {
        self.next_event()
            .map(|(time, _)| self.timebase.to_time_ceil(time))
    }

    /// Processes every internal event due at or before `now`. Time never goes backwards: an earlier
    /// `now` changes nothing.
    pub fn advance(&mut self, now: Time) {
        let target = self.timebase.from_time(now).max(self.now);
        self.run_events(target);
        self.now = target;
    }

    /// Characters that left the transmit shift register onto SOUT since the last call, oldest first,
    /// with the end time of their last stop bit. Breaks appear as characters with
    /// [`LineErrors::break_condition`].
    pub fn take_transmitted(&mut self) -> Vec<LineChar> {
        std::mem::take(&mut self.transmitted)
    }

    /// The current frame format (from LCR and the divisor latch).
    pub fn frame(&self) -> FrameFormat {
        registers::frame_from_lcr(self.lcr, self.timebase.clock_hz(), self.divisor)
    }

    /// The divisor latch.
    pub fn divisor(&self) -> u16 {
        self.divisor
    }

    /// One character time of the current frame in input-clock cycles (exact).
    pub fn character_time_cycles(&self) -> u64 {
        registers::character_cycles(&self.frame(), self.divisor)
    }

    /// One character time of the current frame, 100 ns units, rounded up.
    pub fn character_time(&self) -> Time {
        self.timebase.to_time_ceil(self.character_exact())
    }

    /// One character time of the current frame in nanoseconds, rounded up.
    pub fn character_time_ns(&self) -> u64 {
        self.timebase
            .cycles_to_ns_ceil(self.character_time_cycles())
    }

    /// The last register accesses (bounded, see [`Self::set_trace_capacity`]), oldest first.
    pub fn trace(&self) -> &[RegisterAccess] {
        self.trace.as_slice()
    }

    /// Totals since creation.
    pub fn counters(&self) -> UartCounters {
        self.counters
    }

    /// Things a correct driver never does, with the time they happened.
    pub fn violations(&self) -> Vec<String> {
        self.violations.clone()
    }

    /// Whether the FIFOs are enabled (FCR bit 0).
    pub fn fifo_enabled(&self) -> bool {
        self.fcr & fcr::ENABLE != 0
    }

    /// Whether local loopback is on (MCR bit 4).
    pub fn loopback(&self) -> bool {
        self.mcr & mcr::LOOP != 0
    }

    /// Bytes in the receive FIFO (RBR in 16450 mode), head first.
    pub fn rx_fifo_bytes(&self) -> Vec<u8> {
        self.rx.bytes().collect()
    }

    /// Bytes waiting in the transmit FIFO (THR in 16450 mode), not counting the shift register.
    pub fn tx_fifo_len(&self) -> usize {
        self.tx.len()
    }

    /// Whether a character is in the transmit shift register.
    pub fn transmitter_busy(&self) -> bool {
        self.tsr.is_some()
    }

    /// Characters handed to [`Self::receive`] that have not reached the receiver yet.
    pub fn rx_line_pending(&self) -> usize {
        self.rx_line.len()
    }

    fn dlab(&self) -> bool {
        self.lcr & lcr::DLAB != 0
    }

    fn is_qemu(&self) -> bool {
        self.config.quirks == Quirks::QemuCompat
    }

    fn effective_irq_gate(&self) -> IrqGate {
        if self.is_qemu() {
            IrqGate::Ungated
        } else {
            self.config.irq_gate
        }
    }

    fn character_exact(&self) -> Exact {
        self.timebase.from_cycles(self.character_time_cycles())
    }

    fn now_time(&self) -> Time {
        self.timebase.to_time_ceil(self.now)
    }

    fn flag(&mut self, what: &str) {
        let at = self.now_time();
        self.violations.push(format!("t={at}: {what}"));
    }

    fn record(&mut self, offset: u8, kind: AccessKind, register: Register, value: u8) {
        let at = self.now_time();
        self.trace.push(RegisterAccess {
            at,
            offset: offset & 7,
            kind,
            register,
            value,
        });
    }

    fn read_iir(&mut self) -> u8 {
        self.faults.spurious = false;
        let fifo_bits = if self.fifo_enabled() {
            iir::FIFOS_ENABLED
        } else {
            0
        };
        if let Some(stuck) = self.stuck_iir() {
            return stuck | fifo_bits;
        }
        let cause = self.pending_cause();
        if cause == Some(InterruptCause::ThrEmpty) {
            self.thri_pending = false;
        }
        cause.map_or(iir::NO_INTERRUPT, InterruptCause::iir_code) | fifo_bits
    }

    fn write_ier(&mut self, value: u8) {
        let value = value & ier::MASK;
        let etbei_rising = value & ier::ETBEI != 0 && self.ier & ier::ETBEI == 0;
        if etbei_rising && self.thre {
            // Not in the datasheet, but real parts do it and Windows' "IER kick" depends on it.
            self.thri_pending = true;
        }
        self.ier = value;
    }

    fn write_fcr(&mut self, value: u8) {
        if (value ^ self.fcr) & fcr::ENABLE != 0 {
            self.reset_rx_fifo();
            self.reset_tx_fifo();
        }
        if value & fcr::ENABLE != 0 {
            self.fcr = value & (fcr::ENABLE | fcr::DMA_MODE | fcr::TRIGGER_MASK);
            if value & fcr::RX_RESET != 0 {
                self.reset_rx_fifo();
            }
            if value & fcr::TX_RESET != 0 {
                self.reset_tx_fifo();
            }
        } else {
            // Other FCR bits are only programmed together with FCR0 = 1.
            self.fcr &= !fcr::ENABLE;
        }
    }

    fn write_lcr(&mut self, value: u8) {
        self.lcr = value;
        self.update_break();
    }

    fn write_divisor(&mut self, divisor: u16) {
        self.divisor = divisor;
        if divisor != 0 {
            self.divisor_zero_flagged = false;
        }
    }

    fn run_events(&mut self, target: Exact) {
        while let Some((time, event)) = self.next_event() {
            if time > target {
                break;
            }
            self.now = time;
            match event {
                Event::TxDone => self.finish_tx_char(),
                Event::DelayedThre => self.delayed_thre(),
                Event::RxArrival => self.arrive_from_line(),
                Event::BreakChar => self.emit_break_char(),
                Event::CharacterTimeout => self.cti_pending = true,
            }
        }
    }

    fn next_event(&self) -> Option<(Exact, Event)> {
        // The earliest (time, event), ties broken by the event order; written out rather than as
        // an iterator over an array because it runs several times per register access.
        let mut best: Option<(Exact, Event)> = None;
        let mut consider = |time: Option<Exact>, event: Event| {
            if let Some(time) = time {
                let candidate = (time.max(self.now), event);
                if best.is_none_or(|current| candidate < current) {
                    best = Some(candidate);
                }
            }
        };
        consider(self.tsr.map(|shifting| shifting.end), Event::TxDone);
        consider(self.thre_due, Event::DelayedThre);
        consider(self.rx_arrival_time(), Event::RxArrival);
        consider(self.break_char_due, Event::BreakChar);
        consider(self.character_timeout_due(), Event::CharacterTimeout);
        best
    }
}
