//! The interrupt service routine (serial-semantics.md §13): loops on IIR until nothing is pending,
//! drains RX into the ring, feeds THR, processes line and modem status, and queues the
//! operation-specific DPCs for everything that must happen at DISPATCH_LEVEL.

use serial_ioctl::{error, ev, handflow, hold, lsrmst};

use crate::flow_control;
use crate::kernel::{DpcKind, Kernel, Register};
use crate::state::IsrState;
use crate::uart::{
    FCR_ENABLE, IIR_CTI, IIR_ID_MASK, IIR_MS, IIR_NO_INTERRUPT, IIR_RDA, IIR_RLS, IIR_THRE, LSR_BI,
    LSR_DR, LSR_ERRORS, LSR_FE, LSR_OE, LSR_PE, LSR_THRE, MCR_RTS,
};

/// Upper bound on IIR passes per interrupt, so a stuck UART cannot hold the CPU at DIRQL.
const MAX_PASSES: usize = 32;
/// Upper bound on bytes drained per RDA/CTI pass (a 16-byte FIFO plus margin).
const MAX_RX_PER_PASS: usize = 32;
/// Passes in a row that serviced nothing while IIR kept showing a cause: the interrupt will not
/// clear (a working 16550 needs at most one such pass, for a THRE with nothing to send).
const STUCK_PASSES: usize = 4;

/// DPCs the ISR decided to queue; inserted once, at the end.
#[derive(Copy, Clone, Debug, Default)]
pub struct Wakeups {
    read: bool,
    write: bool,
    wait: bool,
    refill: bool,
    abort: bool,
    flow: bool,
    health: bool,
}

impl Wakeups {
    pub fn insert_all<K: Kernel>(self, kernel: &K) {
        for (wanted, kind) in [
            (self.read, DpcKind::ReadComplete),
            (self.write, DpcKind::WriteComplete),
            (self.wait, DpcKind::WaitComplete),
            (self.refill, DpcKind::TransmitRefill),
            (self.abort, DpcKind::ErrorAbort),
            (self.flow, DpcKind::FlowControl),
            (self.health, DpcKind::Health),
        ] {
            if wanted {
                kernel.insert_dpc(kind);
            }
        }
    }
}

/// Services the UART. Returns false at once if it did not interrupt (shared-line etiquette).
pub fn service<K: Kernel>(kernel: &K, state: &mut IsrState, fifo_depth: u8) -> bool {
    let mut iir = kernel.read_register(Register::InterruptIdFifoControl);
    if iir & IIR_NO_INTERRUPT != 0 {
        return false;
    }
    if state.health.masked {
        // Masked for recovery, yet interrupting: mask again (something rewrote IER or MCR) and
        // service nothing until the work item reprograms the UART.
        crate::health::mask(kernel, state);
        return true;
    }
    let mut wake = Wakeups::default();
    let mut idle_passes: usize = 0;
    for _ in 0..MAX_PASSES {
        if iir & IIR_NO_INTERRUPT != 0 {
            break;
        }
        let activity = state.health.activity;
        if !state.open {
            quiet(kernel, iir);
        } else {
            match iir & IIR_ID_MASK {
                IIR_RLS => {
                    let lsr = kernel.read_register(Register::LineStatus);
                    process_line_status(kernel, state, lsr, &mut wake);
                }
                IIR_RDA | IIR_CTI => {
                    let stored = if iir & IIR_ID_MASK == IIR_RDA {
                        receive_burst(kernel, state, &mut wake)
                    } else {
                        drain_receiver(kernel, state, None, &mut wake)
                    };
                    // The read path hears of arrivals once per pass: one clock read and one
                    // threshold check per burst, not per byte.
                    if stored {
                        note_arrival(kernel, state, &mut wake);
                    }
                }
                IIR_THRE => transmit(kernel, state, fifo_depth, &mut wake),
                IIR_MS => {
                    let msr = kernel.read_register(Register::ModemStatus);
                    process_modem_status(kernel, state, msr, &mut wake);
                }
                _ => {
                    // Reserved identifier: read every status register so the line drops.
                    quiet(kernel, iir);
                }
            }
            if state.health.activity == activity {
                idle_passes = idle_passes.saturating_add(1);
                if idle_passes >= STUCK_PASSES {
                    mask_stuck_interrupt(kernel, state, iir, &mut wake);
                    wake.insert_all(kernel);
                    return true;
                }
            } else {
                idle_passes = 0;
            }
        }
        iir = kernel.read_register(Register::InterruptIdFifoControl);
    }
    if state.open && has_transmit_work(state) {
        // Chips that lose THRE behind a higher-priority cause, and transmit released by an XON
        // received in this interrupt: send now if THR is empty. (Without transmit work the read is
        // not needed: errors latched since stay in LSR and raise their own interrupt.)
        let lsr = kernel.read_register(Register::LineStatus);
        if lsr & LSR_ERRORS != 0 {
            process_line_status(kernel, state, lsr, &mut wake);
        }
        if lsr & LSR_THRE != 0 && has_transmit_work(state) {
            transmit(kernel, state, fifo_depth, &mut wake);
        }
    }
    wake.insert_all(kernel);
    true
}

/// The UART's interrupt does not clear however it is serviced: mask it (IER 0 and OUT2 off, the
/// board's gate) so the CPU is not held at DIRQL, and let the Health DPC start recovery.
fn mask_stuck_interrupt<K: Kernel>(kernel: &K, state: &mut IsrState, iir: u8, wake: &mut Wakeups) {
    crate::health::mask(kernel, state);
    state.health.storm = Some(iir);
    request_health(state, wake);
}

/// Queues the Health DPC once for everything the ISR counted or flagged.
fn request_health(state: &mut IsrState, wake: &mut Wakeups) {
    if !state.health.dpc_requested {
        state.health.dpc_requested = true;
        wake.health = true;
    }
}

/// Silences a cause on a closed port.
fn quiet<K: Kernel>(kernel: &K, iir: u8) {
    match iir & IIR_ID_MASK {
        IIR_RLS => {
            kernel.read_register(Register::LineStatus);
        }
        IIR_RDA | IIR_CTI => {
            for _ in 0..MAX_RX_PER_PASS {
                if kernel.read_register(Register::LineStatus) & LSR_DR == 0 {
                    break;
                }
                kernel.read_register(Register::Data);
            }
        }
        IIR_MS => {
            kernel.read_register(Register::ModemStatus);
        }
        // THRE was cleared by the IIR read itself.
        _ => {
            kernel.read_register(Register::LineStatus);
            kernel.read_register(Register::ModemStatus);
        }
    }
}

/// Records an event for wait-on-mask; wakes the wait DPC if a wait is pending.
pub fn raise_event(state: &mut IsrState, event: u32) -> bool {
    if state.wait.armed & event == 0 {
        return false;
    }
    state.wait.history |= event;
    state.wait.wait_pending
}

fn raise(state: &mut IsrState, event: u32, wake: &mut Wakeups) {
    if raise_event(state, event) {
        wake.wait = true;
    }
}

/// Stores one byte in the ring with overflow accounting. Returns false if it was lost.
fn store<K: Kernel>(kernel: &K, state: &mut IsrState, byte: u8, wake: &mut Wakeups) -> bool {
    if state.rx.push(byte) {
        let capacity = state.rx.capacity();
        let rx80 = (capacity / 4)
            .saturating_mul(3)
            .saturating_add(capacity / 16);
        if state.rx.len() == rx80 {
            raise(state, ev::RX80FULL, wake);
        }
        flow_control::after_store(kernel, state);
        return true;
    }
    state.errors |= error::QUEUEOVERRUN;
    state.stats.buffer_overrun_error_count = state.stats.buffer_overrun_error_count.wrapping_add(1);
    state.health.buffer_overruns = state.health.buffer_overruns.saturating_add(1);
    request_health(state, wake);
    if state.handflow.flow_replace & handflow::ERROR_CHAR != 0 {
        let error_char = state.chars.error_char;
        if let Some(last) = state.rx.last_mut() {
            *last = error_char;
        }
    }
    request_abort_if_enabled(state, wake);
    false
}

fn request_abort_if_enabled(state: &mut IsrState, wake: &mut Wakeups) {
    if state.handflow.control_handshake & handflow::ERROR_ABORT != 0 && !state.abort_requested {
        state.abort_requested = true;
        wake.abort = true;
    }
}

/// Tells the read path about stored bytes.
fn note_arrival<K: Kernel>(kernel: &K, state: &mut IsrState, wake: &mut Wakeups) {
    state.read.last_arrival = kernel.now();
    // A read larger than the ring is fed every half ring, so the ring never has to hold it all.
    let threshold = state.read.wanted.min(state.rx.capacity() / 2).max(1);
    let satisfied = state.read.wanted > 0 && state.rx.len() >= threshold;
    if (satisfied || state.read.wake_on_arrival) && !state.read.dpc_requested {
        state.read.dpc_requested = true;
        state.read.wake_on_arrival = false;
        wake.read = true;
    }
}

/// Handles one received character after masking (serial-semantics.md §13.1 RDA). Returns whether
/// it went into the ring (the ISR tells the read path once per pass, [`note_arrival`]).
// Called per byte from two places (the burst and the checked drain); inlined, it costs about 30
// fewer instructions a byte (tools/bench/instructions).
#[inline(always)]
fn receive<K: Kernel>(kernel: &K, state: &mut IsrState, raw: u8, wake: &mut Wakeups) -> bool {
    let byte = raw & state.data_mask;
    state.stats.received_count = state.stats.received_count.wrapping_add(1);
    state.health.activity = state.health.activity.wrapping_add(1);
    let flow_replace = state.handflow.flow_replace;
    if flow_replace & handflow::NULL_STRIPPING != 0 && byte == 0 {
        return false;
    }
    if flow_replace & handflow::AUTO_TRANSMIT != 0 {
        if byte == state.chars.xoff_char {
            state.flow.tx_holds |= hold::TX_WAITING_FOR_XON;
            return false;
        }
        if byte == state.chars.xon_char {
            state.flow.tx_holds &= !hold::TX_WAITING_FOR_XON;
            return false;
        }
    }
    if state.handflow.control_handshake & handflow::DSR_SENSITIVITY != 0 {
        // DSR is sampled for every byte (as serial.sys does): a DSR drop whose modem-status
        // interrupt still waits behind this higher-priority receive interrupt already counts.
        let msr = kernel.read_register(Register::ModemStatus);
        process_modem_status(kernel, state, msr, wake);
    }
    if state.flow.rx_holds & hold::RX_WAITING_FOR_DSR != 0 {
        return false;
    }
    raise(state, ev::RXCHAR, wake);
    if byte == state.chars.event_char {
        raise(state, ev::RXFLAG, wake);
    }
    if state.xoff_counter_remaining > 0 {
        state.xoff_counter_remaining = state.xoff_counter_remaining.saturating_sub(1);
        if state.xoff_counter_remaining == 0 {
            wake.write = true;
        }
    }
    let escape = state.flow.escape_char;
    store(kernel, state, byte, wake);
    if escape != 0 && byte == escape {
        store(kernel, state, lsrmst::ESCAPE, wake);
    }
    true
}

/// Received data available at the trigger level. With the FIFO on, IIR's RDA means the FIFO holds
/// at least the trigger level's bytes, so one LSR read showing no error at the head (bits 4:1) and
/// none anywhere in the FIFO (bit 7) vouches for all of them: they are read without an LSR read
/// each. Bytes beyond the burst stay for the next RDA or the character timeout. Otherwise (FIFO
/// off, or an error present) every byte is checked as before. Returns whether a byte was stored.
fn receive_burst<K: Kernel>(kernel: &K, state: &mut IsrState, wake: &mut Wakeups) -> bool {
    let lsr = kernel.read_register(Register::LineStatus);
    let fifo_on = state.fcr & crate::uart::FCR_ENABLE != 0;
    let clean = lsr & (LSR_ERRORS | crate::uart::LSR_FIFO_ERROR) == 0 && lsr & LSR_DR != 0;
    if !(fifo_on && clean) {
        return drain_receiver(kernel, state, Some(lsr), wake);
    }
    let mut stored = false;
    for _ in 0..crate::uart::trigger_level(state.fcr) {
        let byte = kernel.read_register(Register::Data);
        stored |= receive(kernel, state, byte, wake);
    }
    stored
}

/// Drains the receive FIFO while LSR.DR, handling per-byte errors at the FIFO head. `first` is an
/// LSR value already read (its error bits are cleared by that read, so it must be handled here).
/// Returns whether a byte was stored.
fn drain_receiver<K: Kernel>(
    kernel: &K,
    state: &mut IsrState,
    first: Option<u8>,
    wake: &mut Wakeups,
) -> bool {
    let mut first = first;
    let mut stored = false;
    for _ in 0..MAX_RX_PER_PASS {
        let lsr = first
            .take()
            .unwrap_or_else(|| kernel.read_register(Register::LineStatus));
        if lsr & LSR_ERRORS != 0 {
            if process_line_status(kernel, state, lsr, wake) {
                // An LSRMST record was inserted: stop this pass (serial.sys behaviour).
                break;
            }
            continue;
        }
        if lsr & LSR_DR == 0 {
            break;
        }
        let byte = kernel.read_register(Register::Data);
        stored |= receive(kernel, state, byte, wake);
    }
    stored
}

/// Handles a line-status value with error bits: latch errors and statistics, raise events,
/// insert LSRMST records or replacement characters, and start error abort.
/// Returns true if an LSRMST record was inserted.
fn process_line_status<K: Kernel>(
    kernel: &K,
    state: &mut IsrState,
    lsr: u8,
    wake: &mut Wakeups,
) -> bool {
    if lsr & LSR_ERRORS == 0 {
        return false;
    }
    state.health.activity = state.health.activity.wrapping_add(1);
    if lsr & LSR_OE != 0 {
        state.errors |= error::OVERRUN;
        state.stats.serial_overrun_error_count =
            state.stats.serial_overrun_error_count.wrapping_add(1);
        state.health.overruns = state.health.overruns.saturating_add(1);
        request_health(state, wake);
    }
    if lsr & LSR_BI != 0 {
        state.errors |= error::BREAK;
        raise(state, ev::BREAK, wake);
    } else {
        if lsr & LSR_PE != 0 {
            state.errors |= error::PARITY;
            state.stats.parity_error_count = state.stats.parity_error_count.wrapping_add(1);
        }
        if lsr & LSR_FE != 0 {
            state.errors |= error::FRAMING;
            state.stats.frame_error_count = state.stats.frame_error_count.wrapping_add(1);
        }
    }
    if lsr & (LSR_OE | LSR_PE | LSR_FE) != 0 {
        raise(state, ev::ERR, wake);
    }
    let escape = state.flow.escape_char;
    let mut inserted = false;
    if escape != 0 {
        let kind = if lsr & LSR_DR != 0 {
            lsrmst::LSR_DATA
        } else {
            lsrmst::LSR_NODATA
        };
        for byte in [escape, kind, lsr] {
            store(kernel, state, byte, wake);
        }
        if lsr & LSR_DR != 0 {
            let data = kernel.read_register(Register::Data);
            state.stats.received_count = state.stats.received_count.wrapping_add(1);
            let data = data & state.data_mask;
            store(kernel, state, data, wake);
        }
        note_arrival(kernel, state, wake);
        inserted = true;
    } else {
        let flow_replace = state.handflow.flow_replace;
        if lsr & LSR_BI != 0 && flow_replace & handflow::BREAK_CHAR != 0 {
            let break_char = state.chars.break_char;
            store(kernel, state, break_char, wake);
            note_arrival(kernel, state, wake);
        }
        if flow_replace & handflow::ERROR_CHAR != 0 && lsr & LSR_BI == 0 {
            if lsr & (LSR_PE | LSR_FE) != 0 && lsr & LSR_DR != 0 {
                // The bad character is read (and counted as received) and replaced.
                kernel.read_register(Register::Data);
                state.stats.received_count = state.stats.received_count.wrapping_add(1);
            }
            if lsr & (LSR_PE | LSR_FE | LSR_OE) != 0 {
                let error_char = state.chars.error_char;
                store(kernel, state, error_char, wake);
                note_arrival(kernel, state, wake);
            }
        }
    }
    if lsr & (LSR_OE | LSR_PE | LSR_FE | LSR_BI) != 0 {
        request_abort_if_enabled(state, wake);
    }
    inserted
}

/// Handles a modem-status value: events, handshake holds, DSR sensitivity, LSRMST records.
pub fn process_modem_status<K: Kernel>(
    kernel: &K,
    state: &mut IsrState,
    msr: u8,
    wake: &mut Wakeups,
) {
    state.msr = msr;
    use crate::uart::{MSR_DCTS, MSR_DDCD, MSR_DDSR, MSR_TERI};
    if msr & MSR_DCTS != 0 {
        raise(state, ev::CTS, wake);
    }
    if msr & MSR_DDSR != 0 {
        raise(state, ev::DSR, wake);
    }
    if msr & MSR_DDCD != 0 {
        raise(state, ev::RLSD, wake);
    }
    if msr & MSR_TERI != 0 {
        raise(state, ev::RING, wake);
    }
    if msr & (MSR_DCTS | MSR_DDSR | MSR_DDCD | MSR_TERI) != 0 {
        state.health.activity = state.health.activity.wrapping_add(1);
    }
    let escape = state.flow.escape_char;
    if escape != 0 && msr & (MSR_DCTS | MSR_DDSR | MSR_DDCD | MSR_TERI) != 0 {
        for byte in [escape, lsrmst::MST, msr] {
            store(kernel, state, byte, wake);
        }
        note_arrival(kernel, state, wake);
    }
    if flow_control::update_line_holds(state, msr) {
        wake.flow = true;
    }
}

/// Whether the ISR has something to hand to THR (flow control permitting).
pub fn has_transmit_work(state: &IsrState) -> bool {
    state.flow.send_xon
        || state.flow.send_xoff
        || state.tx.immediate.is_some()
        || state.tx.has_data()
}

/// Services THRE: writes at most one FIFO load, in priority XON > XOFF > immediate > data
/// (serial-semantics.md §10.3).
fn transmit<K: Kernel>(kernel: &K, state: &mut IsrState, fifo_depth: u8, wake: &mut Wakeups) {
    if state.handflow.control_handshake & handflow::OUT_HANDSHAKEMASK != 0 {
        // Handshake lines are re-evaluated before every transmission.
        let msr = kernel.read_register(Register::ModemStatus);
        process_modem_status(kernel, state, msr, wake);
    }
    let holds = state.flow.tx_holds;
    let only_xoff_hold = holds & !hold::TX_WAITING_FOR_XON == 0;
    let mut written: usize = 0;
    // Without the FIFO (SET_FIFO_CONTROL may turn it off) THR holds a single byte.
    let budget = if state.fcr & FCR_ENABLE == 0 {
        1
    } else {
        usize::from(fifo_depth.max(1))
    };
    let toggle = state.handflow.flow_replace & handflow::RTS_MASK == handflow::TRANSMIT_TOGGLE;
    let send = |kernel: &K, state: &mut IsrState, written: &mut usize, byte: u8| {
        if toggle && state.mcr & MCR_RTS == 0 {
            let mcr = state.mcr | MCR_RTS;
            crate::hw::write_mcr(kernel, state, mcr);
        }
        kernel.write_register(Register::Data, byte);
        state.stats.transmitted_count = state.stats.transmitted_count.wrapping_add(1);
        state.health.tx_progress = state.health.tx_progress.wrapping_add(1);
        state.health.activity = state.health.activity.wrapping_add(1);
        state.wait.emptied_transmit = true;
        *written = written.saturating_add(1);
    };
    if state.flow.send_xon && only_xoff_hold {
        let xon = state.chars.xon_char;
        send(kernel, state, &mut written, xon);
        state.flow.send_xon = false;
        state.flow.rx_holds &= !hold::TX_WAITING_XOFF_SENT;
        state.flow.tx_holds &= !hold::TX_WAITING_FOR_XON;
    } else if state.flow.send_xoff && holds == 0 {
        let xoff = state.chars.xoff_char;
        send(kernel, state, &mut written, xoff);
        state.flow.send_xoff = false;
        state.flow.rx_holds |= hold::TX_WAITING_XOFF_SENT;
        if state.handflow.flow_replace & handflow::XOFF_CONTINUE == 0 {
            state.flow.tx_holds |= hold::TX_WAITING_FOR_XON;
        }
    } else if let (Some(byte), true) = (state.tx.immediate, only_xoff_hold) {
        send(kernel, state, &mut written, byte);
        state.tx.immediate = None;
        state.tx.immediate_done = true;
        wake.write = true;
    } else if holds == 0 {
        while written < budget {
            let Some(byte) = state.tx.next_byte() else {
                break;
            };
            send(kernel, state, &mut written, byte);
        }
        if state.tx.all_sent() && !state.tx.done_pending {
            state.tx.done_pending = true;
            wake.write = true;
        }
        if state.tx.wants_refill() {
            state.tx.refill_requested = true;
            wake.refill = true;
        }
    }
    state.tx.idle = written == 0;
    if toggle && written > 0 {
        // The timer that lowers RTS is armed at DISPATCH level.
        wake.flow = true;
    }
}
