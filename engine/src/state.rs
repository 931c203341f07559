//! The device context: what the ISR shares (interrupt lock) and what everything else shares
//! (spin lock). Lock order: spin lock, then interrupt lock; never the other way round.

use serial_ioctl::{SerialChars, SerialHandflow, SerialPerfStats, SerialTimeouts, handflow};

use crate::kernel::{Instant, TimerKind};
use crate::requests::{Held, RequestQueue};
use crate::ring::RingBuffer;
use crate::transmit::TransmitState;

/// The power-on values of the settings that persist across close and reopen (serial-semantics.md
/// §4). Once the device is built they live in one place each: baud and timeouts in [`Shared`],
/// line control, divisor, handflow and special characters in [`IsrState`].
#[derive(Copy, Clone, Debug)]
pub struct Settings {
    /// The rate last set (GET_BAUD_RATE returns it, not the achieved rate).
    pub baud: u32,
    /// The divisor programmed for `baud`.
    pub divisor: u16,
    /// LCR without DLAB and break.
    pub lcr: u8,
    /// Flow-control settings.
    pub handflow: SerialHandflow,
    /// Special characters.
    pub chars: SerialChars,
    /// Read/write timeouts, sampled when a request becomes current.
    pub timeouts: SerialTimeouts,
}

impl Settings {
    /// serial.sys defaults before the first open: 1200 baud 7E1, DTR and RTS on, XON 0x11 / XOFF 0x13.
    pub fn defaults(clock_hz: u32) -> Self {
        let divisor = crate::line::divisor_for(1200, clock_hz).unwrap_or(96);
        Self {
            baud: 1200,
            divisor,
            lcr: 0x02 | 0x18,
            handflow: SerialHandflow {
                control_handshake: handflow::DTR_CONTROL,
                flow_replace: handflow::RTS_CONTROL,
                xon_limit: 0,
                xoff_limit: 0,
            },
            chars: SerialChars {
                xon_char: 0x11,
                xoff_char: 0x13,
                ..SerialChars::default()
            },
            timeouts: SerialTimeouts::default(),
        }
    }
}

/// What the ISR needs to know about the current read.
#[derive(Copy, Clone, Debug, Default)]
pub struct ReadSignal {
    /// Bytes the current read still needs; 0 when no read waits on the ISR.
    pub wanted: usize,
    /// Queue ReadComplete on the first arrival (to start the interval timer).
    pub wake_on_arrival: bool,
    /// When the ISR last stored a received byte.
    pub last_arrival: Instant,
    /// ReadComplete was queued and has not run yet.
    pub dpc_requested: bool,
}

/// Wait-on-mask state shared with the ISR (serial-semantics.md §8).
#[derive(Copy, Clone, Debug, Default)]
pub struct WaitState {
    /// Events armed by SET_WAIT_MASK.
    pub armed: u32,
    /// Armed events seen and not yet reported.
    pub history: u32,
    /// A WAIT_ON_MASK request is pending.
    pub wait_pending: bool,
    /// At least one byte was handed to the UART since the wait was armed (TXEMPTY rule).
    pub emptied_transmit: bool,
}

/// Transmit and receive flow-control state (serial-semantics.md §10).
#[derive(Copy, Clone, Debug, Default)]
pub struct FlowState {
    /// Reasons transmission is held (SERIAL_TX_WAITING_* bits).
    pub tx_holds: u32,
    /// Reasons reception is held (SERIAL_TX_WAITING_XOFF_SENT, SERIAL_RX_WAITING_FOR_DSR, and
    /// the DTR/RTS receive holds).
    pub rx_holds: u32,
    /// An XON must be sent.
    pub send_xon: bool,
    /// An XOFF must be sent.
    pub send_xoff: bool,
    /// Receive flow control currently holds the peer (DTR/RTS dropped or XOFF sent).
    pub rx_throttled: bool,
    /// The LSRMST escape character (0 = off).
    pub escape_char: u8,
}

/// Device health as the ISR sees it (serviced by the Health DPC and the recovery work item).
#[derive(Copy, Clone, Debug, Default)]
pub struct IsrHealth {
    /// Hardware overruns (LSR.OE) not yet handed to the error log.
    pub overruns: u32,
    /// Receive-ring overruns not yet handed to the error log.
    pub buffer_overruns: u32,
    /// The ISR masked the UART because its interrupt would not clear; the IIR it kept showing.
    pub storm: Option<u8>,
    /// The UART's interrupts are masked (IER 0, OUT2 off) until recovery reprograms it.
    pub masked: bool,
    /// The Health DPC was queued and has not run yet.
    pub dpc_requested: bool,
    /// Serviced causes (bytes moved, errors and modem changes seen), wrapping: an ISR pass that
    /// changes nothing here serviced nothing.
    pub activity: u32,
    /// Bytes handed to THR, wrapping: what the transmit watchdog watches.
    pub tx_progress: u32,
}

/// State touched by the ISR; reachable only under the interrupt lock.
#[derive(Debug)]
pub struct IsrState {
    /// The port is open: the ISR services causes instead of only quieting them.
    pub open: bool,
    /// Shadow of LCR (without DLAB), so the break bit and word length are known without reads.
    pub lcr: u8,
    /// Shadow of MCR.
    pub mcr: u8,
    /// Shadow of IER.
    pub ier: u8,
    /// Mask applied to received bytes (word length).
    pub data_mask: u8,
    /// Settings the ISR acts on.
    pub handflow: SerialHandflow,
    /// Special characters the ISR acts on.
    pub chars: SerialChars,
    /// Received bytes no read has taken yet.
    pub rx: RingBuffer,
    /// The current read's needs.
    pub read: ReadSignal,
    /// Transmit staging and progress.
    pub tx: TransmitState,
    /// Wait-on-mask.
    pub wait: WaitState,
    /// Flow control.
    pub flow: FlowState,
    /// Latched SERIAL_ERROR_* bits, cleared by GET_COMMSTATUS.
    pub errors: u32,
    /// Performance counters.
    pub stats: SerialPerfStats,
    /// Received characters the current XOFF counter still waits for (0 = none active).
    pub xoff_counter_remaining: i32,
    /// ErrorAbort was queued and has not run yet.
    pub abort_requested: bool,
    /// Last MSR value read, for GET_MODEMSTATUS and hold evaluation.
    pub msr: u8,
    /// Bytes written per THRE interrupt.
    pub tx_fifo_depth: u8,
    /// FCR value programmed at open (enable and trigger bits).
    pub fcr: u8,
    /// Divisor latch value in use.
    pub divisor: u16,
    /// Errors to log, storm detection, transmit progress.
    pub health: IsrHealth,
}

impl IsrState {
    /// With ERROR_ABORT on, a latched error fails every request but GET_COMMSTATUS until
    /// GET_COMMSTATUS reads it (serial-semantics.md §9.2).
    pub const fn error_abort_blocked(&self) -> bool {
        self.handflow.control_handshake & serial_ioctl::handflow::ERROR_ABORT != 0
            && self.errors != 0
    }

    /// A closed port's state with the persistent settings applied.
    pub fn new(settings: &Settings) -> Self {
        Self {
            open: false,
            lcr: settings.lcr,
            mcr: 0,
            ier: 0,
            data_mask: crate::line::data_mask(settings.lcr),
            handflow: settings.handflow,
            chars: settings.chars,
            rx: RingBuffer::empty(),
            read: ReadSignal::default(),
            tx: TransmitState::default(),
            wait: WaitState::default(),
            flow: FlowState::default(),
            errors: 0,
            stats: SerialPerfStats::default(),
            xoff_counter_remaining: 0,
            abort_requested: false,
            msr: 0,
            tx_fifo_depth: 14,
            fcr: crate::uart::FCR_ENABLE | crate::uart::FCR_TRIGGER_8,
            divisor: settings.divisor,
            health: IsrHealth::default(),
        }
    }
}

/// The due times of the engine's timers, so a stale timer DPC (queued before a cancel or a
/// re-arm) can tell it is not due and do nothing.
#[derive(Copy, Clone, Debug, Default)]
pub struct TimerDeadlines {
    read_total: Option<Instant>,
    read_interval: Option<Instant>,
    write_total: Option<Instant>,
    immediate_total: Option<Instant>,
    xoff_counter: Option<Instant>,
    lower_rts: Option<Instant>,
    transmit_watchdog: Option<Instant>,
    error_log: Option<Instant>,
}

impl TimerDeadlines {
    /// The slot for `kind`.
    pub fn slot(&mut self, kind: TimerKind) -> &mut Option<Instant> {
        match kind {
            TimerKind::ReadTotal => &mut self.read_total,
            TimerKind::ReadInterval => &mut self.read_interval,
            TimerKind::WriteTotal => &mut self.write_total,
            TimerKind::ImmediateTotal => &mut self.immediate_total,
            TimerKind::XoffCounter => &mut self.xoff_counter,
            TimerKind::LowerRts => &mut self.lower_rts,
            TimerKind::TransmitWatchdog => &mut self.transmit_watchdog,
            TimerKind::ErrorLog => &mut self.error_log,
        }
    }
}

/// The current read.
#[derive(Debug)]
pub struct CurrentRead<R> {
    /// The request.
    pub held: Held<R>,
    /// Bytes already copied into the request's buffer.
    pub copied: usize,
    /// Bytes that complete it (the length, or 1 for a "first byte" read).
    pub target: usize,
    /// Interval timeout, once the first byte has arrived it runs.
    pub interval: Option<crate::kernel::Duration>,
    /// The outcome decided (bytes already copied in) while the read's cancel callback was on its
    /// way: the callback completes it with this status and the data, so no byte is lost.
    pub settled: Option<serial_ioctl::NtStatus>,
}

/// The current entry of the write queue.
#[derive(Debug)]
pub struct CurrentWrite<R> {
    /// The request (a write or an XOFF counter).
    pub held: Held<R>,
    /// Bytes copied into the ISR's staging buffer so far.
    pub staged: usize,
    /// Bytes to send.
    pub length: usize,
    /// An XOFF counter whose character has gone out and now counts received bytes.
    pub counting: bool,
    /// The outcome decided while its cancel callback was already on its way: the callback
    /// completes it with this instead of STATUS_CANCELLED.
    pub settled: Option<(serial_ioctl::NtStatus, usize)>,
}

/// State shared by dispatch, DPCs, timers and cancel; reachable only under the spin lock.
#[derive(Debug)]
pub struct Shared<R> {
    /// The port is open.
    pub open: bool,
    /// The open takes requests the engine holds (queued reads and writes, a wait, the immediate
    /// character): set at create, cleared when cleanup begins, so a request still being
    /// dispatched on another CPU while the last handle closes is refused rather than left queued
    /// after cleanup has emptied the queues.
    pub accepting: bool,
    /// The rate last set (GET_BAUD_RATE returns it, not the achieved rate). Persists across opens.
    pub baud: u32,
    /// Read/write timeouts, sampled when a request becomes current. Persist across opens.
    pub timeouts: SerialTimeouts,
    /// Receive-ring size to allocate at open (SET_QUEUE_SIZE grows only the open port's ring).
    pub rx_buffer_size: usize,
    /// Reads (and SET_QUEUE_SIZE) waiting their turn.
    pub reads: RequestQueue<R>,
    /// The read being filled.
    pub current_read: Option<CurrentRead<R>>,
    /// A SET_QUEUE_SIZE at the head of the read queue, waiting for its work item.
    pub resizing: Option<Held<R>>,
    /// The resize work item is queued and has not started: IoQueueWorkItem must not queue it
    /// again (a resize cancelled while its work item waits, then a new one, would).
    pub resize_queued: bool,
    /// Writes, XOFF counters and flush markers waiting their turn.
    pub writes: RequestQueue<R>,
    /// The write (or XOFF counter) being sent.
    pub current_write: Option<CurrentWrite<R>>,
    /// The pending WAIT_ON_MASK.
    pub wait: Option<Held<R>>,
    /// The pending IMMEDIATE_CHAR.
    pub immediate: Option<Held<R>>,
    /// Timer due times.
    pub timers: TimerDeadlines,
    /// Error log, transmit watchdog and recovery bookkeeping.
    pub health: Health,
}

/// Error log, transmit watchdog and recovery bookkeeping, under the spin lock.
#[derive(Copy, Clone, Debug, Default)]
pub struct Health {
    /// Entries gathered for the event log.
    pub log: crate::error_log::ErrorLog,
    /// The transmit progress the watchdog saw at its last look.
    pub watched_progress: u32,
    /// Watchdog retries (IER kicks) since the transmitter last moved.
    pub retries: u32,
    /// The recovery work item is queued and has not started.
    pub recover_queued: bool,
    /// Why recovery was asked for.
    pub reason: crate::error_log::Reason,
    /// Recoveries in the current window, and when the window's last one happened.
    pub recent_recoveries: u32,
    /// When the last recovery reset the UART.
    pub last_recovery: Option<Instant>,
}
