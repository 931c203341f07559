//! The kernel32 communications functions, each as the IOCTL (or IOCTL sequence) it issues, over
//! any [`Port`]. Results carry both views: the driver's NTSTATUS and the Win32 error it maps to.

use std::fmt;

use serial_ioctl::{
    NtStatus, SerialBaudRate, SerialChars, SerialCommProp, SerialHandflow, SerialIoctl,
    SerialLineControl, SerialQueueSize, SerialStatus, SerialTimeouts, decode, hold,
};

use crate::port::{IoResult, Port, PortError, RequestHandle};
use crate::win32::dcb::{CommSettings, Dcb};
use crate::win32::errors::{self, win32_error_from_ntstatus};

/// Why a Win32-level call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommError {
    /// The driver completed `ioctl` with a failure status.
    Driver {
        /// The IOCTL that failed.
        ioctl: SerialIoctl,
        /// Its completion status.
        status: NtStatus,
    },
    /// kernel32 rejected the arguments before calling the driver (`GetLastError` value).
    Rejected(u32),
    /// The port could not be used at all.
    Port(PortError),
}

impl CommError {
    /// The NTSTATUS behind the failure (`STATUS_INVALID_PARAMETER` for a kernel32 rejection).
    #[must_use]
    pub fn status(&self) -> NtStatus {
        match self {
            Self::Driver { status, .. } => *status,
            Self::Rejected(code) => {
                errors::ntstatus_from_win32(*code).unwrap_or(NtStatus::INVALID_PARAMETER)
            }
            Self::Port(_) => NtStatus::UNSUCCESSFUL,
        }
    }

    /// What `GetLastError()` returns after the failed call.
    #[must_use]
    pub fn win32_error(&self) -> u32 {
        match self {
            Self::Driver { status, .. } => win32_error_from_ntstatus(*status),
            Self::Rejected(code) => *code,
            Self::Port(PortError::Os { code, .. }) => *code,
            Self::Port(_) => errors::ERROR_GEN_FAILURE,
        }
    }
}

impl fmt::Display for CommError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Driver { ioctl, status } => {
                write!(f, "IOCTL_SERIAL_{} completed {status}", ioctl.name())
            }
            Self::Rejected(code) => write!(f, "rejected before reaching the driver (error {code})"),
            Self::Port(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for CommError {}

impl From<PortError> for CommError {
    fn from(error: PortError) -> Self {
        Self::Port(error)
    }
}

/// `COMSTAT` as ClearCommError fills it.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // One bool per COMSTAT flag.
pub struct CommStat {
    /// `fCtsHold`: transmit waiting for CTS.
    pub cts_hold: bool,
    /// `fDsrHold`: transmit waiting for DSR.
    pub dsr_hold: bool,
    /// `fRlsdHold`: transmit waiting for RLSD (DCD).
    pub rlsd_hold: bool,
    /// `fXoffHold`: transmit waiting because XOFF was received.
    pub xoff_hold: bool,
    /// `fXoffSent`: transmit waiting because XOFF was sent.
    pub xoff_sent: bool,
    /// `fEof`: EOF character received.
    pub eof: bool,
    /// `fTxim`: an immediate character is queued.
    pub txim: bool,
    /// `cbInQue`: bytes received, not yet read.
    pub in_queue: u32,
    /// `cbOutQue`: bytes queued for transmission.
    pub out_queue: u32,
}

impl CommStat {
    /// COMSTAT from the driver's SERIAL_STATUS.
    #[must_use]
    pub fn from_status(status: &SerialStatus) -> Self {
        let holds = status.hold_reasons;
        Self {
            cts_hold: holds & hold::TX_WAITING_FOR_CTS != 0,
            dsr_hold: holds & hold::TX_WAITING_FOR_DSR != 0,
            rlsd_hold: holds & hold::TX_WAITING_FOR_DCD != 0,
            xoff_hold: holds & hold::TX_WAITING_FOR_XON != 0,
            xoff_sent: holds & hold::TX_WAITING_XOFF_SENT != 0,
            eof: status.eof_received != 0,
            txim: status.wait_for_immediate != 0,
            in_queue: status.amount_in_in_queue,
            out_queue: status.amount_in_out_queue,
        }
    }
}

/// EscapeCommFunction's function codes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Escape {
    /// `SETXOFF` (1): act as if XOFF was received.
    SetXoff,
    /// `SETXON` (2): act as if XON was received.
    SetXon,
    /// `SETRTS` (3).
    SetRts,
    /// `CLRRTS` (4).
    ClrRts,
    /// `SETDTR` (5).
    SetDtr,
    /// `CLRDTR` (6).
    ClrDtr,
    /// `RESETDEV` (7).
    ResetDev,
    /// `SETBREAK` (8).
    SetBreak,
    /// `CLRBREAK` (9).
    ClrBreak,
}

impl Escape {
    /// Every function, in code order.
    pub const ALL: [Self; 9] = [
        Self::SetXoff,
        Self::SetXon,
        Self::SetRts,
        Self::ClrRts,
        Self::SetDtr,
        Self::ClrDtr,
        Self::ResetDev,
        Self::SetBreak,
        Self::ClrBreak,
    ];

    /// The function code.
    #[must_use]
    pub const fn code(self) -> u32 {
        match self {
            Self::SetXoff => 1,
            Self::SetXon => 2,
            Self::SetRts => 3,
            Self::ClrRts => 4,
            Self::SetDtr => 5,
            Self::ClrDtr => 6,
            Self::ResetDev => 7,
            Self::SetBreak => 8,
            Self::ClrBreak => 9,
        }
    }

    /// The Win32 name (`SETDTR`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::SetXoff => "SETXOFF",
            Self::SetXon => "SETXON",
            Self::SetRts => "SETRTS",
            Self::ClrRts => "CLRRTS",
            Self::SetDtr => "SETDTR",
            Self::ClrDtr => "CLRDTR",
            Self::ResetDev => "RESETDEV",
            Self::SetBreak => "SETBREAK",
            Self::ClrBreak => "CLRBREAK",
        }
    }

    /// The function with this name (case-insensitive) or code.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|escape| {
            escape.name().eq_ignore_ascii_case(name) || escape.code().to_string() == name
        })
    }

    /// The IOCTL kernel32 sends for it.
    #[must_use]
    pub const fn ioctl(self) -> SerialIoctl {
        match self {
            Self::SetXoff => SerialIoctl::SetXoff,
            Self::SetXon => SerialIoctl::SetXon,
            Self::SetRts => SerialIoctl::SetRts,
            Self::ClrRts => SerialIoctl::ClrRts,
            Self::SetDtr => SerialIoctl::SetDtr,
            Self::ClrDtr => SerialIoctl::ClrDtr,
            Self::ResetDev => SerialIoctl::ResetDevice,
            Self::SetBreak => SerialIoctl::SetBreakOn,
            Self::ClrBreak => SerialIoctl::SetBreakOff,
        }
    }
}

/// `MS_*_ON` bits of GetCommModemStatus.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct ModemLines(pub u32);

impl ModemLines {
    /// `MS_CTS_ON`.
    pub const CTS_ON: u32 = 0x10;
    /// `MS_DSR_ON`.
    pub const DSR_ON: u32 = 0x20;
    /// `MS_RING_ON`.
    pub const RING_ON: u32 = 0x40;
    /// `MS_RLSD_ON`.
    pub const RLSD_ON: u32 = 0x80;
}

/// Issues one IOCTL synchronously; a failure status becomes [`CommError::Driver`].
///
/// # Errors
/// [`CommError`] when the port fails or the driver completes with a failure status.
pub fn call(
    port: &mut dyn Port,
    ioctl: SerialIoctl,
    input: &[u8],
    output_len: usize,
) -> Result<IoResult, CommError> {
    let result = port.device_control(ioctl.code(), input, output_len)?;
    if result.status.is_success() {
        Ok(result)
    } else {
        Err(CommError::Driver {
            ioctl,
            status: result.status,
        })
    }
}

/// Issues an IOCTL with a struct input and no output.
fn set<T: bytemuck::Pod>(
    port: &mut dyn Port,
    ioctl: SerialIoctl,
    value: &T,
) -> Result<(), CommError> {
    call(port, ioctl, bytemuck::bytes_of(value), 0).map(|_| ())
}

/// Issues an IOCTL with no input and decodes its struct output.
fn get<T: bytemuck::Pod>(port: &mut dyn Port, ioctl: SerialIoctl) -> Result<T, CommError> {
    let result = call(port, ioctl, &[], size_of::<T>())?;
    decode::<T>(&result.data).map_err(|status| CommError::Driver { ioctl, status })
}

/// SetCommState: SET_BAUD_RATE, SET_LINE_CONTROL, SET_HANDFLOW, SET_CHARS, stopping at the first
/// failure.
///
/// # Errors
/// [`CommError::Rejected`] for fDtrControl = 3; [`CommError::Driver`] naming the failed IOCTL.
pub fn set_comm_state(port: &mut dyn Port, dcb: &Dcb) -> Result<(), CommError> {
    let settings = dcb.to_settings().map_err(CommError::Rejected)?;
    for (ioctl, input) in settings.requests() {
        call(port, ioctl, &input, 0)?;
    }
    Ok(())
}

/// GetCommState: GET_BAUD_RATE, GET_LINE_CONTROL, GET_HANDFLOW, GET_CHARS.
///
/// # Errors
/// [`CommError`] naming the failed IOCTL.
pub fn get_comm_state(port: &mut dyn Port) -> Result<Dcb, CommError> {
    let settings = CommSettings {
        baud: get::<SerialBaudRate>(port, SerialIoctl::GetBaudRate)?,
        line: get::<SerialLineControl>(port, SerialIoctl::GetLineControl)?,
        handflow: get::<SerialHandflow>(port, SerialIoctl::GetHandflow)?,
        chars: get::<SerialChars>(port, SerialIoctl::GetChars)?,
    };
    Ok(Dcb::from_settings(&settings))
}

/// SetCommTimeouts: SET_TIMEOUTS (COMMTIMEOUTS and SERIAL_TIMEOUTS share one layout).
///
/// # Errors
/// [`CommError`] from the driver.
pub fn set_comm_timeouts(port: &mut dyn Port, timeouts: &SerialTimeouts) -> Result<(), CommError> {
    set(port, SerialIoctl::SetTimeouts, timeouts)
}

/// GetCommTimeouts: GET_TIMEOUTS.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn get_comm_timeouts(port: &mut dyn Port) -> Result<SerialTimeouts, CommError> {
    get(port, SerialIoctl::GetTimeouts)
}

/// PurgeComm: PURGE with the same flag values.
///
/// # Errors
/// [`CommError`] from the driver (an invalid mask is `STATUS_INVALID_PARAMETER`).
pub fn purge_comm(port: &mut dyn Port, flags: u32) -> Result<(), CommError> {
    set(port, SerialIoctl::Purge, &flags)
}

/// SetCommMask: SET_WAIT_MASK (EV_* equal SERIAL_EV_*).
///
/// # Errors
/// [`CommError`] from the driver.
pub fn set_comm_mask(port: &mut dyn Port, mask: u32) -> Result<(), CommError> {
    set(port, SerialIoctl::SetWaitMask, &mask)
}

/// GetCommMask: GET_WAIT_MASK.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn get_comm_mask(port: &mut dyn Port) -> Result<u32, CommError> {
    get(port, SerialIoctl::GetWaitMask)
}

/// Overlapped WaitCommEvent: starts WAIT_ON_MASK; the result's data is the event mask.
///
/// # Errors
/// [`PortError`] when the request cannot be issued.
pub fn start_wait_comm_event(port: &mut dyn Port) -> Result<RequestHandle, PortError> {
    port.start_device_control(SerialIoctl::WaitOnMask.code(), &[], 4)
}

/// Synchronous WaitCommEvent: the events that occurred.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn wait_comm_event(port: &mut dyn Port) -> Result<u32, CommError> {
    get(port, SerialIoctl::WaitOnMask)
}

/// ClearCommError: GET_COMMSTATUS; the `CE_*` word and COMSTAT.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn clear_comm_error(port: &mut dyn Port) -> Result<(u32, CommStat), CommError> {
    let status: SerialStatus = get(port, SerialIoctl::GetCommStatus)?;
    Ok((
        errors::comm_errors_from_serial(status.errors),
        CommStat::from_status(&status),
    ))
}

/// EscapeCommFunction.
///
/// # Errors
/// [`CommError`] from the driver (DTR/RTS changes are refused under handshake).
pub fn escape_comm_function(port: &mut dyn Port, function: Escape) -> Result<(), CommError> {
    call(port, function.ioctl(), &[], 0).map(|_| ())
}

/// TransmitCommChar: IMMEDIATE_CHAR.
///
/// # Errors
/// [`CommError`] from the driver (another immediate character pending is
/// `STATUS_INVALID_PARAMETER`).
pub fn transmit_comm_char(port: &mut dyn Port, ch: u8) -> Result<(), CommError> {
    call(port, SerialIoctl::ImmediateChar, &[ch], 0).map(|_| ())
}

/// SetupComm: SET_QUEUE_SIZE.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn setup_comm(port: &mut dyn Port, in_queue: u32, out_queue: u32) -> Result<(), CommError> {
    set(
        port,
        SerialIoctl::SetQueueSize,
        &SerialQueueSize {
            in_size: in_queue,
            out_size: out_queue,
        },
    )
}

/// GetCommProperties: GET_PROPERTIES.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn get_comm_properties(port: &mut dyn Port) -> Result<SerialCommProp, CommError> {
    get(port, SerialIoctl::GetProperties)
}

/// GetCommModemStatus: GET_MODEMSTATUS; only the `MS_*_ON` bits are kept.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn get_comm_modem_status(port: &mut dyn Port) -> Result<ModemLines, CommError> {
    let msr: u32 = get(port, SerialIoctl::GetModemStatus)?;
    Ok(ModemLines(msr & 0xF0))
}

/// SetCommBreak: SET_BREAK_ON.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn set_comm_break(port: &mut dyn Port) -> Result<(), CommError> {
    escape_comm_function(port, Escape::SetBreak)
}

/// ClearCommBreak: SET_BREAK_OFF.
///
/// # Errors
/// [`CommError`] from the driver.
pub fn clear_comm_break(port: &mut dyn Port) -> Result<(), CommError> {
    escape_comm_function(port, Escape::ClrBreak)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_functions_map_to_their_ioctls() {
        assert_eq!(Escape::SetBreak.ioctl(), SerialIoctl::SetBreakOn);
        assert_eq!(Escape::ClrBreak.ioctl(), SerialIoctl::SetBreakOff);
        assert_eq!(Escape::ResetDev.ioctl(), SerialIoctl::ResetDevice);
        assert_eq!(Escape::from_name("setdtr"), Some(Escape::SetDtr));
        assert_eq!(Escape::from_name("6"), Some(Escape::ClrDtr));
        assert_eq!(Escape::from_name("SETBOTH"), None);
    }

    #[test]
    fn comstat_reports_the_tx_holds_and_queues() {
        let status = SerialStatus {
            hold_reasons: hold::TX_WAITING_FOR_CTS | hold::TX_WAITING_FOR_XON,
            amount_in_in_queue: 3,
            amount_in_out_queue: 7,
            wait_for_immediate: 1,
            ..SerialStatus::default()
        };
        let stat = CommStat::from_status(&status);
        assert!(stat.cts_hold && stat.xoff_hold && stat.txim);
        assert!(!stat.dsr_hold && !stat.xoff_sent && !stat.eof);
        assert_eq!((stat.in_queue, stat.out_queue), (3, 7));
    }

    #[test]
    fn failures_carry_both_views() {
        let failure = CommError::Driver {
            ioctl: SerialIoctl::SetDtr,
            status: NtStatus::INVALID_PARAMETER,
        };
        assert_eq!(failure.win32_error(), errors::ERROR_INVALID_PARAMETER);
        assert_eq!(failure.status(), NtStatus::INVALID_PARAMETER);
        assert_eq!(
            CommError::Rejected(87).status(),
            NtStatus::INVALID_PARAMETER
        );
    }
}
