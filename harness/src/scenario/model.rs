//! A loaded scenario: what it needs, its steps, and what each step expects. Built by
//! [`super::parse`] from a TOML file; every value is already validated, so running it cannot hit
//! a format error.

use serial_ioctl::NtStatus;

use crate::ioctl_fields::AnyIoctl;
use crate::port::{FrameSpec, LineChange, LineFault, Topology};
use crate::time::Millis;
use crate::win32::Escape;

/// Default `timeout_ms` of a `wait` step.
pub const DEFAULT_WAIT_MS: Millis = 5_000;

/// One conformance scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// `group/file-stem` (or the file's own `name`).
    pub name: String,
    /// The file it came from, for messages and replay commands.
    pub path: String,
    /// What it checks, in a sentence or two.
    pub description: String,
    /// What the port(s) are connected to.
    pub topology: Topology,
    /// Ports opened (and baselined) before the first step.
    pub ports: Vec<usize>,
    /// Whether opened ports get the baseline settings (9600 8N1, no timeouts, no flow control).
    pub baseline: bool,
    /// Set when the scenario can only run on the model, with the reason.
    pub model_only: Option<String>,
    /// Set when the scenario is known to fail because of a driver bug: reported XFAIL.
    pub known_failure: Option<String>,
    /// Free-form labels for filtering.
    pub tags: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// The group: the first path component of the name (`read` for `read/case_a`).
    #[must_use]
    pub fn group(&self) -> &str {
        self.name.split('/').next().unwrap_or("")
    }

    /// Whether any step uses an internal IOCTL (only the model can send one).
    #[must_use]
    pub fn uses_internal_ioctls(&self) -> bool {
        self.steps
            .iter()
            .any(|step| matches!(step.action, Action::Ioctl { internal: true, .. }))
    }
}

/// Which handle a step acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HandleRef {
    /// The default handle of port N.
    Port(usize),
    /// A handle opened by an `open` step with `handle = "name"`.
    Named(String),
}

/// One step.
#[derive(Clone, Debug)]
pub struct Step {
    /// 1-based position in the file.
    pub number: usize,
    /// 1-based line of its `[[step]]` table.
    pub line: usize,
    /// The handle it uses.
    pub handle: HandleRef,
    /// The port index (for `open`, and for messages).
    pub port: usize,
    /// What it does.
    pub action: Action,
    /// What must come out.
    pub expect: Expect,
}

/// The settings a `configure` step applies, in the order it applies them.
#[derive(Clone, Debug, Default)]
pub struct Configure {
    /// SET_BAUD_RATE.
    pub baud: Option<u32>,
    /// SET_LINE_CONTROL: (word length, parity, stop bits).
    pub line: Option<(u8, u8, u8)>,
    /// GET_HANDFLOW, these fields replaced, SET_HANDFLOW.
    pub handflow: Vec<(String, i64)>,
    /// GET_CHARS, these fields replaced, SET_CHARS.
    pub chars: Vec<(String, i64)>,
    /// GET_TIMEOUTS, these fields replaced, SET_TIMEOUTS.
    pub timeouts: Vec<(String, i64)>,
    /// SET_QUEUE_SIZE with these fields (others 0).
    pub queue_size: Option<Vec<(String, i64)>>,
    /// GetCommState, these fields replaced, SetCommState.
    pub dcb: Vec<(String, u64)>,
}

/// What a step does.
#[derive(Clone, Debug)]
pub enum Action {
    /// IRP_MJ_CREATE; `handle` names an additional handle.
    Open {
        /// The name of the new handle, if not the port's default one.
        handle: Option<String>,
    },
    /// IRP_MJ_CLEANUP + IRP_MJ_CLOSE of the handle.
    Close,
    /// Settings IOCTLs or SetCommState.
    Configure(Configure),
    /// IRP_MJ_READ.
    Read {
        /// Bytes requested.
        len: usize,
        /// Start overlapped under this name instead of waiting.
        start: Option<String>,
    },
    /// IRP_MJ_WRITE.
    Write {
        /// The bytes.
        data: Vec<u8>,
        /// Start overlapped under this name instead of waiting.
        start: Option<String>,
    },
    /// IRP_MJ_FLUSH_BUFFERS.
    Flush {
        /// Start overlapped under this name instead of waiting.
        start: Option<String>,
    },
    /// Any IOCTL.
    Ioctl {
        /// The IOCTL when it is a known one (its output is then decoded into fields).
        known: Option<AnyIoctl>,
        /// The control code sent.
        code: u32,
        /// IRP_MJ_INTERNAL_DEVICE_CONTROL instead of IRP_MJ_DEVICE_CONTROL.
        internal: bool,
        /// Input buffer.
        input: Vec<u8>,
        /// Output buffer length.
        output_len: usize,
        /// Start overlapped under this name instead of waiting.
        start: Option<String>,
    },
    /// PurgeComm.
    Purge {
        /// PURGE_* flags.
        flags: u32,
    },
    /// SetCommMask.
    SetMask {
        /// EV_* mask.
        mask: u32,
    },
    /// WaitCommEvent.
    WaitMask {
        /// Start overlapped under this name instead of waiting.
        start: Option<String>,
    },
    /// Waits for a request started earlier.
    Wait {
        /// Its name.
        name: String,
        /// How long to wait.
        timeout_ms: Millis,
    },
    /// CancelIoEx of a request started earlier.
    Cancel {
        /// Its name.
        name: String,
    },
    /// Lets time pass.
    Sleep {
        /// How long.
        ms: Millis,
    },
    /// The peer sends bytes.
    PeerSend {
        /// The bytes.
        data: Vec<u8>,
        /// Their format (the peer's current one when `None`).
        frame: Option<FrameSpec>,
        /// Delay before the first start bit.
        delay_ms: Millis,
    },
    /// The peer sends one character with a line fault.
    PeerFault {
        /// Which fault.
        fault: LineFault,
        /// The data byte (ignored for a break).
        data: u8,
        /// Delay before it starts.
        delay_ms: Millis,
    },
    /// The peer changes the port's modem inputs.
    PeerLines {
        /// The new levels.
        change: LineChange,
        /// Delay before they change.
        delay_ms: Millis,
    },
    /// Checks what the peer received so far.
    PeerExpect {
        /// The bytes expected (all received since the start or the last clear).
        data: Vec<u8>,
        /// Forget them afterwards.
        clear: bool,
    },
    /// EscapeCommFunction.
    Escape(Escape),
    /// TransmitCommChar.
    TransmitChar(u8),
    /// ClearCommError.
    ClearError,
    /// IRP_MJ_QUERY_INFORMATION (`query`) or IRP_MJ_SET_INFORMATION (`set`).
    FileInfo(FileInfo),
    /// GetCommModemStatus.
    ModemStatus,
    /// GetCommState.
    GetCommState,
    /// GetCommTimeouts.
    GetCommTimeouts,
    /// GetCommProperties.
    GetProperties,
    /// SetupComm.
    SetupComm {
        /// Input queue size.
        in_queue: u32,
        /// Output queue size.
        out_queue: u32,
    },
}

impl Action {
    /// The action's name as written in files.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Open { .. } => "open",
            Self::Close => "close",
            Self::Configure(_) => "configure",
            Self::Read { .. } => "read",
            Self::Write { .. } => "write",
            Self::Flush { .. } => "flush",
            Self::Ioctl { .. } => "ioctl",
            Self::Purge { .. } => "purge",
            Self::SetMask { .. } => "set_mask",
            Self::WaitMask { .. } => "wait_mask",
            Self::Wait { .. } => "wait",
            Self::Cancel { .. } => "cancel",
            Self::Sleep { .. } => "sleep",
            Self::PeerSend { .. } => "peer_send",
            Self::PeerFault { .. } => "peer_fault",
            Self::PeerLines { .. } => "peer_lines",
            Self::PeerExpect { .. } => "peer_expect",
            Self::Escape(_) => "escape",
            Self::TransmitChar(_) => "transmit_char",
            Self::ClearError => "clear_error",
            Self::FileInfo(_) => "file_info",
            Self::ModemStatus => "modem_status",
            Self::GetCommState => "get_comm_state",
            Self::GetCommTimeouts => "get_comm_timeouts",
            Self::GetProperties => "get_properties",
            Self::SetupComm { .. } => "setup_comm",
        }
    }

    /// The name a request is started under, for actions that can start one.
    #[must_use]
    pub fn started_as(&self) -> Option<&str> {
        match self {
            Self::Read { start, .. }
            | Self::Write { start, .. }
            | Self::Flush { start }
            | Self::Ioctl { start, .. }
            | Self::WaitMask { start } => start.as_deref(),
            _ => None,
        }
    }

    /// Whether it acts on the peer rather than a port.
    #[must_use]
    pub const fn is_peer(&self) -> bool {
        matches!(
            self,
            Self::PeerSend { .. }
                | Self::PeerFault { .. }
                | Self::PeerLines { .. }
                | Self::PeerExpect { .. }
        )
    }
}

/// The expected completion status.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum StatusCheck {
    /// Exactly this status.
    Is(NtStatus),
    /// Any status (`status = "any"`).
    Any,
}

/// An expected field value, kept as written until the observed field's type is known.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldCheck {
    /// The field name.
    pub name: String,
    /// Its expected value as written: an integer, a boolean or a string (flag names, numbers).
    pub value: ExpectedValue,
}

/// An expected field value as written in the file.
#[derive(Clone, Debug, PartialEq)]
pub enum ExpectedValue {
    /// An integer.
    Integer(i64),
    /// A boolean (compared as 0/1).
    Bool(bool),
    /// Flag names or a number in text.
    Text(String),
}

/// What a step must produce. Omitted parts are not checked, except `status`, which defaults to
/// `STATUS_SUCCESS`.
#[derive(Clone, Debug)]
pub struct Expect {
    /// The completion status.
    pub status: StatusCheck,
    /// For `wait`: the request must still be pending after the timeout.
    pub pending: bool,
    /// The Information.
    pub information: Option<usize>,
    /// The output bytes (reads: the data read).
    pub data: Option<Vec<u8>>,
    /// Decoded output fields.
    pub fields: Vec<FieldCheck>,
    /// Elapsed milliseconds from the step's start (for `wait`: from the request's start).
    pub elapsed_ms: (Option<f64>, Option<f64>),
    /// The Win32 error the status maps to (`ERROR_OPERATION_ABORTED`).
    pub win32_error: Option<u32>,
    /// The Win32 BOOL result.
    pub ok: Option<bool>,
}

impl Default for Expect {
    fn default() -> Self {
        Self {
            status: StatusCheck::Is(NtStatus::SUCCESS),
            pending: false,
            information: None,
            data: None,
            fields: Vec::new(),
            elapsed_ms: (None, None),
            win32_error: None,
            ok: None,
        }
    }
}

/// A `file_info` step: what GetFileSizeEx, SetEndOfFile and a seek send a COM port.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// IRP_MJ_SET_INFORMATION rather than IRP_MJ_QUERY_INFORMATION.
    pub set: bool,
    /// The FILE_INFORMATION_CLASS.
    pub class: u32,
    /// Query: the output buffer length. Set: the input structure's length (zeros).
    pub len: usize,
}

impl FileInfo {
    /// The classes a step can name, with their FILE_INFORMATION_CLASS values and structure
    /// sizes on x64.
    pub const CLASSES: [(&'static str, u32, usize); 5] = [
        ("basic", 4, 40),
        ("standard", 5, 24),
        ("position", 14, 8),
        ("allocation", 19, 8),
        ("end_of_file", 20, 8),
    ];

    /// The class named `name`: its value and structure size.
    #[must_use]
    pub fn class_named(name: &str) -> Option<(u32, usize)> {
        Self::CLASSES
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|&(_, class, size)| (class, size))
    }
}
