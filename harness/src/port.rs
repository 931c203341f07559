//! The I/O boundary every backend implements: a [`Port`] is one open handle to a COM port, a
//! [`Bench`] is the world a scenario runs in (its ports, its clock and, if it has one, the device
//! at the far end of the cable).
//!
//! Everything is reported at the NTSTATUS level, the level the driver completes requests at. The
//! Win32 view (`ReadFile` returning TRUE with a short count on `STATUS_TIMEOUT`, `GetLastError`
//! codes) is derived from it in [`crate::win32`].

use std::fmt;

use serde::Serialize;
use serial_ioctl::NtStatus;

use crate::time::{Millis, Timestamp, Timing};

/// How long the synchronous helpers wait before giving up on a request (real or virtual time).
pub const SYNC_LIMIT_MS: Millis = 60_000;

/// The deadline in force (see [`set_sync_limit_ms`]).
static SYNC_LIMIT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(SYNC_LIMIT_MS);

/// How long a synchronous operation and a scenario's wait for one request may take before the
/// request counts as hung ([`SYNC_LIMIT_MS`] unless set).
#[must_use]
pub fn sync_limit_ms() -> Millis {
    SYNC_LIMIT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Sets the per-request deadline for this process (`run --request-deadline-ms`).
pub fn set_sync_limit_ms(ms: Millis) {
    SYNC_LIMIT.store(ms.max(1), std::sync::atomic::Ordering::Relaxed);
}

/// One completed request, as the driver completed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IoResult {
    /// The completion status.
    #[serde(serialize_with = "serialize_status")]
    pub status: NtStatus,
    /// The completion's Information: bytes transferred or output length.
    pub information: usize,
    /// The output bytes the driver returned (the first `information` bytes of the output buffer;
    /// empty for writes and for requests without output).
    pub data: Vec<u8>,
    /// When the request was handed to the driver.
    pub started: Timestamp,
    /// When it completed (on Windows: when the completion was observed).
    pub finished: Timestamp,
}

impl IoResult {
    /// Milliseconds from submission to completion.
    #[must_use]
    pub fn elapsed_ms(&self) -> f64 {
        self.finished.millis_since(self.started)
    }
}

/// Serializes an [`NtStatus`] as its name (`STATUS_TIMEOUT`, or `0xC0000001` when unnamed).
///
/// # Errors
/// Whatever the serializer reports.
pub fn serialize_status<S: serde::Serializer>(
    status: &NtStatus,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&status_text(*status))
}

/// A status as scenarios and reports write it: its `STATUS_*` name, or its hex value.
#[must_use]
pub fn status_text(status: NtStatus) -> String {
    match status.name() {
        "STATUS_UNKNOWN" => format!("0x{:08X}", status.as_u32()),
        name => name.to_owned(),
    }
}

/// Identifies an overlapped request started on a [`Port`]; valid until `wait` returns its result.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct RequestHandle(pub u64);

/// Why a port operation could not even be attempted or observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortError {
    /// The backend cannot do this (for example internal IOCTLs through Win32).
    Unsupported(String),
    /// No request with this handle is outstanding.
    UnknownHandle(RequestHandle),
    /// The handle was closed.
    Closed,
    /// The operating system refused before a request existed (Win32 error code and text).
    Os {
        /// `GetLastError()` value.
        code: u32,
        /// What was being done.
        context: String,
    },
    /// A synchronous helper gave up after [`SYNC_LIMIT_MS`]; the request was cancelled.
    Hung {
        /// How long it waited.
        after_ms: Millis,
    },
    /// The backend itself failed (for example, the model reported a kernel-rule violation).
    Backend(String),
}

impl fmt::Display for PortError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported(what) => write!(f, "not supported by this backend: {what}"),
            Self::UnknownHandle(handle) => write!(f, "no outstanding request {}", handle.0),
            Self::Closed => f.write_str("the handle is closed"),
            Self::Os { code, context } => write!(f, "{context} failed with Win32 error {code}"),
            Self::Hung { after_ms } => write!(f, "request still pending after {after_ms} ms"),
            Self::Backend(message) => write!(f, "backend failure: {message}"),
        }
    }
}

impl std::error::Error for PortError {}

/// One open handle to a serial port. Every operation can be started (overlapped) and waited for;
/// the synchronous forms are start + wait with a [`SYNC_LIMIT_MS`] guard.
pub trait Port {
    /// A short description for messages (`COM3`, `model port 0`).
    fn label(&self) -> String;

    /// Starts `IRP_MJ_READ` for `len` bytes.
    ///
    /// # Errors
    /// [`PortError`] when the request could not be issued.
    fn start_read(&mut self, len: usize) -> Result<RequestHandle, PortError>;

    /// Starts `IRP_MJ_WRITE` of `data`.
    ///
    /// # Errors
    /// [`PortError`] when the request could not be issued.
    fn start_write(&mut self, data: &[u8]) -> Result<RequestHandle, PortError>;

    /// Starts `IRP_MJ_DEVICE_CONTROL` with any `code`, raw `input` and an output buffer of
    /// `output_len` bytes.
    ///
    /// # Errors
    /// [`PortError`] when the request could not be issued.
    fn start_device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<RequestHandle, PortError>;

    /// Starts `IRP_MJ_INTERNAL_DEVICE_CONTROL` (kernel clients only: the model can, Win32 cannot).
    ///
    /// # Errors
    /// [`PortError::Unsupported`] unless the backend reaches the driver below Win32.
    fn start_internal_device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<RequestHandle, PortError> {
        let _ = (code, input, output_len);
        Err(PortError::Unsupported(
            "internal device control needs a kernel-mode caller".into(),
        ))
    }

    /// Starts `IRP_MJ_FLUSH_BUFFERS` (FlushFileBuffers).
    ///
    /// # Errors
    /// [`PortError`] when the request could not be issued.
    fn start_flush(&mut self) -> Result<RequestHandle, PortError>;

    /// Requests cancellation of an outstanding request (CancelIoEx). The request still completes
    /// through [`Port::wait`], usually with `STATUS_CANCELLED`.
    ///
    /// # Errors
    /// [`PortError::UnknownHandle`] if it is not outstanding.
    fn cancel(&mut self, handle: RequestHandle) -> Result<(), PortError>;

    /// Waits up to `timeout_ms` for the request to complete. `Ok(None)`: still pending (the handle
    /// stays valid). `Ok(Some(result))`: completed; the handle is consumed.
    ///
    /// # Errors
    /// [`PortError::UnknownHandle`] for a handle that is not outstanding.
    fn wait(
        &mut self,
        handle: RequestHandle,
        timeout_ms: Millis,
    ) -> Result<Option<IoResult>, PortError>;

    /// The bench clock now.
    fn now(&self) -> Timestamp;

    /// Closes the handle: IRP_MJ_CLEANUP (pending requests complete `STATUS_CANCELLED`, and stay
    /// waitable) then IRP_MJ_CLOSE.
    ///
    /// # Errors
    /// [`PortError::Closed`] if already closed.
    fn close(&mut self) -> Result<(), PortError>;

    /// Starts `IRP_MJ_QUERY_INFORMATION` for FILE_INFORMATION_CLASS `class` with an output
    /// buffer of `len` bytes (GetFileSizeEx and friends).
    ///
    /// # Errors
    /// [`PortError::Unsupported`] unless the backend can issue it.
    fn start_query_information(
        &mut self,
        class: u32,
        len: usize,
    ) -> Result<RequestHandle, PortError> {
        let _ = (class, len);
        Err(PortError::Unsupported(
            "IRP_MJ_QUERY_INFORMATION is not issued by this backend yet".into(),
        ))
    }

    /// Starts `IRP_MJ_SET_INFORMATION` for `class` with `input` (SetEndOfFile and friends).
    ///
    /// # Errors
    /// [`PortError::Unsupported`] unless the backend can issue it.
    fn start_set_information(
        &mut self,
        class: u32,
        input: &[u8],
    ) -> Result<RequestHandle, PortError> {
        let _ = (class, input);
        Err(PortError::Unsupported(
            "IRP_MJ_SET_INFORMATION is not issued by this backend yet".into(),
        ))
    }

    /// Synchronous read: start and wait.
    ///
    /// # Errors
    /// As [`Port::start_read`], or [`PortError::Hung`].
    fn read(&mut self, len: usize) -> Result<IoResult, PortError> {
        let handle = self.start_read(len)?;
        finish_sync(self, handle)
    }

    /// Synchronous write: start and wait.
    ///
    /// # Errors
    /// As [`Port::start_write`], or [`PortError::Hung`].
    fn write(&mut self, data: &[u8]) -> Result<IoResult, PortError> {
        let handle = self.start_write(data)?;
        finish_sync(self, handle)
    }

    /// Synchronous device control: start and wait.
    ///
    /// # Errors
    /// As [`Port::start_device_control`], or [`PortError::Hung`].
    fn device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<IoResult, PortError> {
        let handle = self.start_device_control(code, input, output_len)?;
        finish_sync(self, handle)
    }

    /// Synchronous internal device control: start and wait.
    ///
    /// # Errors
    /// As [`Port::start_internal_device_control`], or [`PortError::Hung`].
    fn internal_device_control(
        &mut self,
        code: u32,
        input: &[u8],
        output_len: usize,
    ) -> Result<IoResult, PortError> {
        let handle = self.start_internal_device_control(code, input, output_len)?;
        finish_sync(self, handle)
    }

    /// Synchronous query information: start and wait.
    ///
    /// # Errors
    /// As [`Port::start_query_information`], or [`PortError::Hung`].
    fn query_information(&mut self, class: u32, len: usize) -> Result<IoResult, PortError> {
        let handle = self.start_query_information(class, len)?;
        finish_sync(self, handle)
    }

    /// Synchronous set information: start and wait.
    ///
    /// # Errors
    /// As [`Port::start_set_information`], or [`PortError::Hung`].
    fn set_information(&mut self, class: u32, input: &[u8]) -> Result<IoResult, PortError> {
        let handle = self.start_set_information(class, input)?;
        finish_sync(self, handle)
    }

    /// Synchronous flush: start and wait.
    ///
    /// # Errors
    /// As [`Port::start_flush`], or [`PortError::Hung`].
    fn flush(&mut self) -> Result<IoResult, PortError> {
        let handle = self.start_flush()?;
        finish_sync(self, handle)
    }
}

/// Waits up to [`sync_limit_ms`]; on expiry cancels the request and reports it hung.
fn finish_sync<P: Port + ?Sized>(
    port: &mut P,
    handle: RequestHandle,
) -> Result<IoResult, PortError> {
    let limit = sync_limit_ms();
    if let Some(result) = port.wait(handle, limit)? {
        return Ok(result);
    }
    port.cancel(handle)?;
    let _ = port.wait(handle, 1_000)?;
    Err(PortError::Hung { after_ms: limit })
}

/// A port open refused by the driver or the system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenRefused {
    /// The status of IRP_MJ_CREATE (or the status the Win32 error stands for).
    pub status: NtStatus,
    /// Details for messages.
    pub detail: String,
}

/// Line errors a peer can put on the wire.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum LineFault {
    /// A character with the wrong parity bit.
    Parity,
    /// A character whose stop bit is a space.
    Framing,
    /// A break: the line held at space for at least a character time.
    Break,
}

/// A character format: rate, data bits, parity and stop bits (`9600 8N1`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FrameSpec {
    /// Bits per second.
    pub baud: u32,
    /// Data bits, 5..=8.
    pub data_bits: u8,
    /// `N`, `O`, `E`, `M` or `S`.
    pub parity: char,
    /// Stop bits times two (2 = one, 3 = one and a half, 4 = two).
    pub half_stop_bits: u8,
}

impl FrameSpec {
    /// 8 data bits, no parity, one stop bit at `baud`.
    #[must_use]
    pub const fn eight_n_one(baud: u32) -> Self {
        Self {
            baud,
            data_bits: 8,
            parity: 'N',
            half_stop_bits: 2,
        }
    }
}

/// Modem lines a peer drives (the port's CTS, DSR, DCD and RI inputs); `None` keeps a line as is.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LineChange {
    /// The port's CTS input.
    pub cts: Option<bool>,
    /// The port's DSR input.
    pub dsr: Option<bool>,
    /// The port's DCD (RLSD) input.
    pub dcd: Option<bool>,
    /// The port's RI input.
    pub ri: Option<bool>,
}

/// The device at the far end of port 0's cable, driven by the scenario.
pub trait Peer {
    /// Sends `bytes` back to back starting `delay_ms` from now, in `frame` (or the peer's current
    /// format when `None`).
    ///
    /// # Errors
    /// [`PortError`] when the peer cannot send.
    fn send(
        &mut self,
        bytes: &[u8],
        frame: Option<FrameSpec>,
        delay_ms: Millis,
    ) -> Result<(), PortError>;

    /// Sends one character carrying `fault` (`data` is ignored for a break).
    ///
    /// # Errors
    /// [`PortError::Unsupported`] when the peer cannot produce that fault.
    fn send_fault(&mut self, fault: LineFault, data: u8, delay_ms: Millis)
    -> Result<(), PortError>;

    /// Drives the port's modem inputs `delay_ms` from now.
    ///
    /// # Errors
    /// [`PortError::Unsupported`] for lines the peer cannot drive.
    fn set_lines(&mut self, change: LineChange, delay_ms: Millis) -> Result<(), PortError>;

    /// Every byte the peer has received from the port so far.
    ///
    /// # Errors
    /// [`PortError`] when the peer cannot be read.
    fn received(&mut self) -> Result<Vec<u8>, PortError>;

    /// Forgets what was received so far.
    fn clear_received(&mut self);
}

/// What is connected to the port(s) under test.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topology {
    /// One port with nothing attached.
    None,
    /// One port with a loopback plug (TX→RX, RTS→CTS, DTR→DSR+DCD+RI).
    Loopback,
    /// Two ports, 0 and 1, joined by a null-modem cable.
    NullModem,
    /// One port connected to a scripted [`Peer`].
    Peer,
}

impl Topology {
    /// Every topology.
    pub const ALL: [Self; 4] = [Self::None, Self::Loopback, Self::NullModem, Self::Peer];

    /// The number of ports under test.
    #[must_use]
    pub const fn port_count(self) -> usize {
        match self {
            Self::NullModem => 2,
            Self::None | Self::Loopback | Self::Peer => 1,
        }
    }

    /// The name used in scenario files and on the command line.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Loopback => "loopback",
            Self::NullModem => "null-modem",
            Self::Peer => "peer",
        }
    }

    /// The topology with this name (`nothing` is accepted for `none`).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "none" | "nothing" => Some(Self::None),
            "loopback" => Some(Self::Loopback),
            "null-modem" | "nullmodem" | "null_modem" => Some(Self::NullModem),
            "peer" => Some(Self::Peer),
            _ => None,
        }
    }
}

impl fmt::Display for Topology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Run counters a bench may report (the model counts them; Windows does not).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    /// ISR invocations.
    pub interrupts: u64,
    /// DPC routine runs (custom DPCs and timer DPCs).
    pub dpcs: u64,
    /// Requests completed.
    pub requests_completed: u64,
}

/// The world one scenario runs in: a fresh machine on the model, a set of real ports on Windows.
pub trait Bench {
    /// What this bench is, for reports (`model`, `COM3`).
    fn name(&self) -> String;

    /// How elapsed times are judged.
    fn timing(&self) -> Timing;

    /// Opens port `index` (0, or 1 on a null-modem bench): IRP_MJ_CREATE.
    ///
    /// # Errors
    /// [`OpenRefused`] with the driver's status (`STATUS_ACCESS_DENIED` when already open).
    fn open(&mut self, index: usize) -> Result<Box<dyn Port>, OpenRefused>;

    /// The bench clock now.
    fn now(&self) -> Timestamp;

    /// Lets `ms` milliseconds pass (virtual time runs the machine; real time sleeps).
    fn sleep(&mut self, ms: Millis);

    /// The scripted far end, on a bench that has one.
    fn peer(&mut self) -> Option<&mut dyn Peer>;

    /// Counters so far, if the bench counts.
    fn counters(&self) -> Option<Counters> {
        None
    }

    /// Kernel-rule violations and warnings the bench detected so far (the model's verifier).
    fn violations(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Makes a fresh [`Bench`] per scenario.
pub trait BenchFactory {
    /// The target's name for reports (`model`, `COM3`, `COM3+COM4`).
    fn name(&self) -> String;

    /// Whether this target can provide `topology`; `Err` carries the reason a scenario is skipped.
    ///
    /// # Errors
    /// The reason, when it cannot.
    fn supports(&self, topology: Topology) -> Result<(), String>;

    /// Whether this target runs on virtual time (the model).
    fn is_model(&self) -> bool;

    /// Builds the bench for one scenario run with `seed`.
    ///
    /// # Errors
    /// A message when the bench cannot be built.
    fn create(&self, topology: Topology, seed: u64) -> Result<Box<dyn Bench>, String>;

    /// Command-line arguments that select this target again (for replay commands).
    fn replay_args(&self) -> Vec<String>;

    /// Checks, once before a run, that the target can be used at all (a real port opens), so a
    /// missing port is one clear error rather than a failure in every scenario.
    ///
    /// # Errors
    /// What is wrong.
    fn preflight(&self) -> Result<(), String> {
        Ok(())
    }
}
