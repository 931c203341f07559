//! Pseudo-terminals wired to model ports, so ordinary serial programs (minicom, picocom, socat,
//! pyserial) talk to the driver engine as they would to a COM port.
//!
//! Each bridged end is one pty and one model port. With the loopback topology (the default)
//! everything sent comes back through the whole driver path: WRITE → THR → loopback plug → RBR →
//! ISR → ring → READ. With `null-modem` there are two ends, two driver instances on one board,
//! wired TX↔RX, RTS↔CTS, DTR↔DSR+DCD, so two programs talk to each other.
//!
//! The bridge behaves like the port it fronts:
//! - Virtual time follows the wall clock exactly (no rounding is lost between rounds), so bytes
//!   take their line time.
//! - A client's open is the port's IRP_MJ_CREATE, its close the port's cleanup and close; what
//!   either side left unread is discarded, so the next client starts clean.
//! - The client's termios is the port's setting: speed, data bits, parity, stop bits, CRTSCTS,
//!   IXON/IXOFF and VSTART/VSTOP become SET_BAUD_RATE, SET_LINE_CONTROL, SET_HANDFLOW and
//!   SET_CHARS as they change; a rate the UART cannot make is reported once, with its neighbours.
//! - Back-pressure: the bridge takes from the client only what the port's write queue can hold
//!   for a few tens of milliseconds, so the rest waits in the pty (where an output flush
//!   discards it) and a large write completes at line rate.
//! - A client that stops reading does not stop the port: the ring fills, and flow control or an
//!   overrun happens as on a real port.
//!
//! A pty cannot carry modem lines or a break, and cannot tell when the line has drained
//! (tcdrain and TIOCOUTQ see only the pty's own buffer); the control socket sets the lines and
//! sends breaks instead (see [`control`]).

pub mod control;
pub mod pty;
pub mod settings;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;
use serial_ioctl::{NtStatus, SerialIoctl, SerialPerfStats, SerialTimeouts};
use serial_model::kernel::{Machine, Operation, RequestHandle as ModelHandle};
use serial_model::uart::ModemInputs;

use crate::backend::model::{DISPATCH_LIMIT, ModelTarget};
use crate::port::Topology;
use control::{Command, ControlSocket, InputLine};
use pty::{Incoming, Pty};
use settings::{LineSettings, rate_available, unsupported_rate_message};

/// How the bridge is set up.
#[derive(Clone, Debug)]
pub struct BridgeOptions {
    /// What the model ports are plugged into (`peer` is not bridgeable).
    pub topology: Topology,
    /// The line rate until a client sets one.
    pub baud: u32,
    /// The UART's input clock (1.8432 MHz on PCs: at most 115 200 baud).
    pub clock_hz: u32,
    /// Virtual CPUs (1 or more).
    pub cpus: usize,
    /// Scheduling seed.
    pub seed: u64,
    /// Stable symlinks to the ptys, one per end, in end order.
    pub links: Vec<PathBuf>,
    /// Where to listen for control commands (modem lines, breaks).
    pub control: Option<PathBuf>,
}

impl Default for BridgeOptions {
    fn default() -> Self {
        Self {
            topology: Topology::Loopback,
            baud: 115_200,
            clock_hz: serial_ioctl::SERIAL_DEFAULT_CLOCK_HZ,
            cpus: 2,
            seed: crate::runner::DEFAULT_SEED,
            links: Vec::new(),
            control: None,
        }
    }
}

/// What happened on one end while the bridge ran.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EndStats {
    /// The pty.
    pub path: PathBuf,
    /// Bytes from clients to the port.
    pub to_port: u64,
    /// Bytes from the port to clients.
    pub from_port: u64,
    /// Client sessions (opens of the pty).
    pub sessions: u64,
    /// Bytes thrown away by client flushes and closes: unsent, or received and never read.
    pub discarded: u64,
    /// Characters the UART lost (hardware overruns), over all sessions.
    pub hardware_overruns: u64,
    /// Characters the receive ring had no room for, over all sessions.
    pub buffer_overruns: u64,
}

/// Everything the bridge moved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BridgeStats {
    /// Per end.
    pub ends: Vec<EndStats>,
}

impl BridgeStats {
    /// Bytes from clients to ports, all ends.
    #[must_use]
    pub fn to_port(&self) -> u64 {
        self.ends.iter().map(|end| end.to_port).sum()
    }

    /// Bytes from ports to clients, all ends.
    #[must_use]
    pub fn from_port(&self) -> u64 {
        self.ends.iter().map(|end| end.from_port).sum()
    }
}

/// Standard rates, for the message that lists what a clock allows.
const STANDARD_RATES: [u32; 22] = [
    50, 75, 110, 150, 300, 600, 1_200, 1_800, 2_400, 4_800, 9_600, 19_200, 38_400, 57_600, 115_200,
    230_400, 460_800, 921_600, 1_000_000, 1_500_000, 2_000_000, 3_000_000,
];

/// The standard rates `clock_hz` can make.
#[must_use]
pub fn standard_rates(clock_hz: u32) -> Vec<u32> {
    STANDARD_RATES
        .into_iter()
        .filter(|&rate| rate_available(rate, clock_hz))
        .collect()
}

/// Checks the options before anything is opened.
///
/// # Errors
/// A message saying what is wrong and what would work.
pub fn validate(options: &BridgeOptions) -> Result<(), String> {
    if options.topology == Topology::Peer {
        return Err("the bridge drives the ports itself; use loopback, none or null-modem".into());
    }
    if options.cpus == 0 {
        return Err("--cpus must be at least 1".into());
    }
    if options.clock_hz < 16 {
        return Err(format!(
            "a UART clock of {} Hz is too slow",
            options.clock_hz
        ));
    }
    if !rate_available(options.baud, options.clock_hz) {
        let rates: Vec<String> = standard_rates(options.clock_hz)
            .iter()
            .map(ToString::to_string)
            .collect();
        return Err(format!(
            "{} baud is not available from a {} Hz UART clock; standard rates it makes: {}{}",
            options.baud,
            options.clock_hz,
            rates.join(", "),
            if options.baud > options.clock_hz / 16 {
                " (--clock 14745600 reaches 921600, --clock 48000000 reaches 3000000)"
            } else {
                ""
            }
        ));
    }
    let ends = options.topology.port_count().max(1);
    if options.links.len() > ends {
        return Err(format!(
            "{} --link paths for {ends} bridged end(s)",
            options.links.len()
        ));
    }
    Ok(())
}

/// The receive ring each open gets (the engine's default).
const RING: usize = 4096;
/// Largest single write handed to the port.
const WRITE_CHUNK: usize = 256;
/// How long the port's write queue may hold (bounds what the bridge takes from a client).
const QUEUE_MS: u32 = 40;
/// The least the write queue may hold (so slow rates still keep the UART busy).
const QUEUE_MIN: usize = 128;

/// One client session on one end.
#[derive(Debug, Default)]
struct Session {
    /// The settings last applied to the port.
    applied: Option<LineSettings>,
    /// What the client's termios asked for at the last look.
    seen: Option<LineSettings>,
    /// Writes the port holds, oldest first, with their lengths.
    writes: Vec<(ModelHandle, usize)>,
    /// Their total length.
    queued: usize,
    /// The read that collects what the port received.
    read: Option<ModelHandle>,
    /// Received bytes the client has not taken yet.
    to_client: Vec<u8>,
    /// DTR was dropped for a speed of 0.
    hung_up: bool,
    /// A break in progress ends at this virtual time.
    break_until: Option<u64>,
    /// The client closed; its last bytes still go out before the port closes.
    closing: Option<Closing>,
}

/// A session whose client closed: as a tty's close does, the bytes it wrote are sent before the
/// port closes (for at most [`CLOSING_WAIT`]); what arrives meanwhile is discarded.
#[derive(Debug, Default)]
struct Closing {
    /// Bytes the client wrote that the port has not been given yet.
    pending: Vec<u8>,
    /// Virtual time after which the rest is discarded.
    deadline: u64,
}

/// How long a closed client's output may take to drain (Linux's default `closing_wait`: 30 s).
const CLOSING_WAIT: u64 = 30 * 10_000_000;

/// One bridged end: a pty and a model port.
#[derive(Debug)]
struct End {
    port: usize,
    pty: Pty,
    session: Option<Session>,
    stats: EndStats,
    /// Rates already reported as unavailable (each once).
    warned: BTreeSet<u32>,
}

/// Runs the bridge until `stop` is set. `ready` gets the ptys (one per end) once they exist.
///
/// # Errors
/// A message when a pty or the model cannot be set up, or a pty fails.
pub fn run(
    options: &BridgeOptions,
    stop: &AtomicBool,
    ready: impl FnOnce(&[PathBuf]),
) -> Result<BridgeStats, String> {
    validate(options)?;
    let target = ModelTarget {
        cpus: options.cpus,
        ..ModelTarget::default()
    };
    let mut config = target.config(options.topology, options.seed);
    config.uart.clock_hz = options.clock_hz;
    config.device.clock_hz = options.clock_hz;
    config.device.rx_buffer_size = RING;
    let mut machine = Machine::new(config);
    let ends = options.topology.port_count().max(1);
    let mut bridged = Vec::with_capacity(ends);
    for port in 0..ends {
        let pty = Pty::open(options.baud, options.links.get(port).map(PathBuf::as_path))?;
        bridged.push(End {
            port,
            stats: EndStats {
                path: pty.path().to_path_buf(),
                ..EndStats::default()
            },
            pty,
            session: None,
            warned: BTreeSet::new(),
        });
    }
    let mut control = options
        .control
        .as_deref()
        .map(ControlSocket::bind)
        .transpose()?;
    let paths: Vec<PathBuf> = bridged
        .iter()
        .map(|end| end.pty.path().to_path_buf())
        .collect();
    ready(&paths);

    let wall_start = Instant::now();
    let virtual_start = machine.now();
    let mut buffer = vec![0u8; WRITE_CHUNK];
    while !stop.load(Ordering::Relaxed) {
        // Exact time accounting: virtual time is the start plus all the wall time since.
        let elapsed = u64::try_from(wall_start.elapsed().as_nanos() / 100).unwrap_or(u64::MAX);
        machine.run_until(virtual_start.saturating_add(elapsed));
        let mut moved = false;
        for end in &mut bridged {
            moved |= end.round(&mut machine, options, &mut buffer)?;
        }
        if let Some(control) = control.as_mut() {
            for (client, line) in control.poll() {
                let reply = command(&mut machine, &mut bridged, options.topology, &line);
                control.reply(client, &reply);
            }
        }
        if !moved {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    for end in &mut bridged {
        end.end_session(&mut machine);
    }
    Ok(BridgeStats {
        ends: bridged.into_iter().map(|end| end.stats).collect(),
    })
}

/// One IOCTL on `port`, run to completion.
fn ioctl(
    machine: &mut Machine,
    port: usize,
    code: SerialIoctl,
    input: Vec<u8>,
    output: usize,
) -> (NtStatus, Vec<u8>) {
    let completion = machine.call(
        port,
        Operation::DeviceControl {
            code: code.code(),
            input,
            output_len: output,
        },
    );
    (completion.status, completion.output)
}

fn encode<T: bytemuck::Pod>(value: &T) -> Vec<u8> {
    bytemuck::bytes_of(value).to_vec()
}

impl End {
    /// One round: sessions starting or ending, settings, and bytes both ways. Returns whether
    /// anything moved.
    fn round(
        &mut self,
        machine: &mut Machine,
        options: &BridgeOptions,
        buffer: &mut [u8],
    ) -> Result<bool, String> {
        let readiness = self.pty.readiness()?;
        let closing = self
            .session
            .as_ref()
            .is_some_and(|session| session.closing.is_some());
        if !closing {
            match (self.session.is_some(), readiness.connected) {
                (false, true) => self.start_session(machine, options),
                (true, false) => self.begin_close(machine),
                _ => {}
            }
        }
        let Some(mut session) = self.session.take() else {
            return Ok(false);
        };
        let result = self.serve(machine, options, &mut session, buffer);
        let drained = session.closing.as_ref().is_some_and(|closing| {
            closing.pending.is_empty() && session.writes.is_empty()
                || machine.now() >= closing.deadline
        });
        self.session = Some(session);
        if drained {
            self.end_session(machine);
        }
        result
    }

    /// The client closed: what the bridge wrote and it never read is flushed at once (before a
    /// new client can open), and what it wrote is kept to send.
    fn begin_close(&mut self, machine: &mut Machine) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        self.stats.discarded += session.to_client.len() as u64;
        session.to_client.clear();
        self.stats.discarded += self.pty.flush_terminal_input();
        session.closing = Some(Closing {
            pending: self.pty.take_pending(),
            deadline: machine.now().saturating_add(CLOSING_WAIT),
        });
    }

    fn start_session(&mut self, machine: &mut Machine, options: &BridgeOptions) {
        let status = machine.open(self.port);
        if !status.is_success() {
            eprintln!("bridge: opening model port {} failed: {status}", self.port);
            return;
        }
        self.stats.sessions += 1;
        // Reads return at once with whatever the ring holds (MAXDWORD, 0, 0).
        let timeouts = SerialTimeouts {
            read_interval_timeout: u32::MAX,
            ..SerialTimeouts::default()
        };
        ioctl(
            machine,
            self.port,
            SerialIoctl::SetTimeouts,
            encode(&timeouts),
            0,
        );
        let mut session = Session::default();
        if let Ok(termios) = self.pty.termios() {
            let wanted = LineSettings::from_termios(&termios);
            self.apply(machine, options, &mut session, wanted);
        }
        self.session = Some(session);
    }

    /// The client closed: the port's cleanup and close; leftovers on both sides are discarded.
    fn end_session(&mut self, machine: &mut Machine) {
        let Some(session) = self.session.take() else {
            return;
        };
        let (status, output) = ioctl(
            machine,
            self.port,
            SerialIoctl::GetStats,
            Vec::new(),
            core::mem::size_of::<SerialPerfStats>(),
        );
        if status.is_success()
            && let Ok(stats) = serial_ioctl::decode::<SerialPerfStats>(&output)
        {
            self.stats.hardware_overruns += u64::from(stats.serial_overrun_error_count);
            self.stats.buffer_overruns += u64::from(stats.buffer_overrun_error_count);
        }
        machine.close(self.port);
        for (handle, _) in &session.writes {
            machine.take_completion(*handle);
        }
        if let Some(read) = session.read {
            machine.take_completion(read);
        }
        self.stats.discarded += session.to_client.len() as u64 + session.queued as u64;
        if let Some(closing) = session.closing {
            self.stats.discarded += closing.pending.len() as u64;
        } else {
            // The bridge is stopping with a client connected.
            self.stats.discarded += self.pty.flush_terminal_input();
        }
    }

    /// Applies what the client's termios asks for that differs from what is applied.
    fn apply(
        &mut self,
        machine: &mut Machine,
        options: &BridgeOptions,
        session: &mut Session,
        wanted: LineSettings,
    ) {
        let port = self.port;
        let before = session.applied;
        let changed =
            |pick: fn(&LineSettings) -> u64| before.is_none_or(|b| pick(&b) != pick(&wanted));
        let mut applied = wanted;
        if wanted.baud == 0 {
            if !session.hung_up {
                ioctl(machine, port, SerialIoctl::ClrDtr, Vec::new(), 0);
                session.hung_up = true;
            }
            applied.baud = before.map_or(options.baud, |b| b.baud);
        } else if changed(|s| u64::from(s.baud)) {
            if rate_available(wanted.baud, options.clock_hz) {
                ioctl(
                    machine,
                    port,
                    SerialIoctl::SetBaudRate,
                    wanted.baud.to_le_bytes().to_vec(),
                    0,
                );
            } else {
                if self.warned.insert(wanted.baud) {
                    eprintln!(
                        "bridge: {}",
                        unsupported_rate_message(wanted.baud, options.clock_hz)
                    );
                }
                applied.baud = before.map_or(options.baud, |b| b.baud);
                if before.is_none() {
                    ioctl(
                        machine,
                        port,
                        SerialIoctl::SetBaudRate,
                        options.baud.to_le_bytes().to_vec(),
                        0,
                    );
                }
            }
        }
        if changed(|s| {
            u64::from(s.data_bits) << 16 | u64::from(s.parity) << 8 | u64::from(s.two_stop_bits)
        }) {
            let (status, _) = ioctl(
                machine,
                port,
                SerialIoctl::SetLineControl,
                encode(&wanted.line_control()),
                0,
            );
            if !status.is_success() {
                eprintln!("bridge: the port refused the client's line settings ({status})");
            }
        }
        if changed(|s| {
            u64::from(s.rts_cts) << 2 | u64::from(s.xon_xoff_out) << 1 | u64::from(s.xon_xoff_in)
        }) {
            ioctl(
                machine,
                port,
                SerialIoctl::SetHandflow,
                encode(&wanted.handflow(RING)),
                0,
            );
        }
        if changed(|s| u64::from(s.xon_char) << 8 | u64::from(s.xoff_char)) {
            ioctl(
                machine,
                port,
                SerialIoctl::SetChars,
                encode(&wanted.chars()),
                0,
            );
        }
        if wanted.baud != 0 && session.hung_up {
            ioctl(machine, port, SerialIoctl::SetDtr, Vec::new(), 0);
            session.hung_up = false;
        }
        session.applied = Some(applied);
        session.seen = Some(wanted);
    }

    /// Settings, then client → port, then port → client.
    fn serve(
        &mut self,
        machine: &mut Machine,
        options: &BridgeOptions,
        session: &mut Session,
        buffer: &mut [u8],
    ) -> Result<bool, String> {
        if session.closing.is_none()
            && let Ok(termios) = self.pty.termios()
        {
            let wanted = LineSettings::from_termios(&termios);
            if session.seen != Some(wanted) {
                self.apply(machine, options, session, wanted);
            }
        }
        if let Some(until) = session.break_until
            && machine.now() >= until
        {
            ioctl(machine, self.port, SerialIoctl::SetBreakOff, Vec::new(), 0);
            session.break_until = None;
        }
        let mut moved = false;
        // Writes the port finished.
        session.writes.retain(|&(handle, len)| {
            if machine.take_completion(handle).is_some() {
                session.queued -= len;
                false
            } else {
                true
            }
        });
        // Client → port, as much as the write queue may hold.
        let baud = session.applied.map_or(options.baud, |a| a.baud);
        let limit = usize::try_from(baud / 10 * QUEUE_MS / 1000)
            .unwrap_or(usize::MAX)
            .max(QUEUE_MIN);
        while session.queued < limit {
            let room = (limit - session.queued).min(buffer.len());
            let incoming = match session.closing.as_mut() {
                Some(closing) => {
                    let take = room.min(closing.pending.len());
                    for (slot, byte) in buffer.iter_mut().zip(closing.pending.drain(..take)) {
                        *slot = byte;
                    }
                    if take == 0 {
                        Incoming::Nothing
                    } else {
                        Incoming::Data(take)
                    }
                }
                None => self.pty.read(buffer.get_mut(..room).unwrap_or_default())?,
            };
            let count = match incoming {
                Incoming::Nothing => break,
                Incoming::Data(count) => count,
                Incoming::Flushed { output, input } => {
                    self.client_flushed(machine, session, output, input);
                    moved = true;
                    continue;
                }
            };
            let Some(bytes) = buffer.get(..count) else {
                break;
            };
            let handle = machine.submit(
                self.port,
                Operation::Write {
                    data: bytes.to_vec(),
                },
            );
            // Dispatched before the next is submitted: writes submitted together could reach the
            // driver in another order on another CPU (and a dispatch routine takes its time).
            machine.run_until_dispatched(handle, DISPATCH_LIMIT);
            session.writes.push((handle, count));
            session.queued += count;
            self.stats.to_port += count as u64;
            moved = true;
        }
        // Port → client; no new read while the client has not taken the last one, so a client
        // that stops reading leaves the bytes in the port's ring.
        if session.to_client.is_empty() {
            if let Some(read) = session.read
                && let Some(done) = machine.take_completion(read)
            {
                session.to_client = done.output;
                session.read = None;
            }
            if session.read.is_none() && session.to_client.is_empty() {
                let read = machine.submit(self.port, Operation::Read { len: RING });
                machine.run_until_dispatched(read, DISPATCH_LIMIT);
                match machine.take_completion(read) {
                    Some(done) => session.to_client = done.output,
                    None => session.read = Some(read),
                }
            }
        }
        if session.closing.is_some() {
            // Nobody reads it any more.
            self.stats.discarded += session.to_client.len() as u64;
            session.to_client.clear();
        }
        if !session.to_client.is_empty() {
            let count = self.pty.write(&session.to_client)?;
            session.to_client.drain(..count);
            self.stats.from_port += count as u64;
            moved |= count > 0;
        }
        Ok(moved)
    }
}

impl End {
    /// The client flushed its output and/or input queue: so does the port, as a serial driver's
    /// flush does (PURGE TXABORT|TXCLEAR, PURGE RXCLEAR).
    fn client_flushed(
        &mut self,
        machine: &mut Machine,
        session: &mut Session,
        output: bool,
        input: bool,
    ) {
        if output {
            // What is still readable was written before the flush: the pty keeps up to 4 KiB
            // that its flush does not reach.
            self.stats.discarded += self.pty.discard_pending();
            let mask = serial_ioctl::purge::TXABORT | serial_ioctl::purge::TXCLEAR;
            ioctl(
                machine,
                self.port,
                SerialIoctl::Purge,
                mask.to_le_bytes().to_vec(),
                0,
            );
            for (handle, len) in session.writes.drain(..) {
                if let Some(done) = machine.take_completion(handle) {
                    self.stats.discarded += (len - done.information.min(len)) as u64;
                }
            }
            session.queued = 0;
        }
        if input {
            self.stats.discarded += session.to_client.len() as u64;
            session.to_client.clear();
            let mask = serial_ioctl::purge::RXCLEAR;
            ioctl(
                machine,
                self.port,
                SerialIoctl::Purge,
                mask.to_le_bytes().to_vec(),
                0,
            );
        }
    }
}

/// Runs one control command and returns its reply.
fn command(machine: &mut Machine, ends: &mut [End], topology: Topology, line: &str) -> String {
    let parsed = match control::parse(line) {
        Ok(parsed) => parsed,
        Err(message) => return format!("error: {message}"),
    };
    let end_index = match parsed {
        Command::Line { end, .. } | Command::Break { end, .. } | Command::Lines { end } => end,
        Command::Help => return format!("ok {}", control::HELP),
    };
    let Some(end) = ends.get_mut(end_index) else {
        return format!("error: there is no end {end_index}");
    };
    let port = end.port;
    match parsed {
        Command::Line { line, on, .. } => {
            if topology != Topology::None {
                return format!(
                    "error: the {topology} wiring drives the modem inputs; use --topology none to set them"
                );
            }
            let now = machine.now();
            let mut board = machine.board_mut();
            let uart = board.uart_mut(port);
            let mut inputs: ModemInputs = uart.external_modem_inputs();
            match line {
                InputLine::Cts => inputs.cts = on,
                InputLine::Dsr => inputs.dsr = on,
                InputLine::Dcd => inputs.dcd = on,
                InputLine::Ri => inputs.ri = on,
            }
            uart.set_modem_inputs(inputs, now);
            "ok".to_owned()
        }
        Command::Break { ms, .. } => {
            let Some(session) = end.session.as_mut() else {
                return "error: no client has the port open".to_owned();
            };
            let (status, _) = ioctl(machine, port, SerialIoctl::SetBreakOn, Vec::new(), 0);
            if !status.is_success() {
                return format!("error: SET_BREAK_ON: {status}");
            }
            session.break_until = Some(machine.now().saturating_add(ms.saturating_mul(10_000)));
            "ok".to_owned()
        }
        Command::Lines { .. } => {
            let board = machine.board();
            let uart = board.uart(port);
            let out = uart.modem_outputs();
            let inputs = uart.modem_lines();
            format!(
                "ok dtr={} rts={} cts={} dsr={} dcd={} ri={}",
                u8::from(out.dtr),
                u8::from(out.rts),
                u8::from(inputs.cts),
                u8::from(inputs.dsr),
                u8::from(inputs.dcd),
                u8::from(inputs.ri)
            )
        }
        Command::Help => format!("ok {}", control::HELP),
    }
}

/// What the startup message says a pty cannot do, and how to do it instead.
#[must_use]
pub fn limitations(control: Option<&Path>) -> String {
    let how = control.map_or_else(
        || "start the bridge with --control PATH to set them through a socket".to_owned(),
        |path| {
            format!(
                "send commands to {} (e.g. `echo 'dsr off' | socat - UNIX-CONNECT:{}`; `help` lists them)",
                path.display(),
                path.display()
            )
        },
    );
    format!(
        "a pty carries no modem lines (TIOCMGET/TIOCMSET fail) and no break (tcsendbreak is \
         swallowed), and tcdrain and the output-queue count see only the pty's buffer; to set \
         DSR, CTS, DCD or RI or send a break, {how}"
    )
}
