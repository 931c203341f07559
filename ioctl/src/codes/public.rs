//! The 37 public serial IOCTLs as an enum, with their codes, names and buffer sizes.

use super::{IoctlRow, row};
use crate::codes::*;
use crate::status::strip_prefix_ignore_case;
use crate::structs::{
    SerialBaudRate, SerialChars, SerialCommProp, SerialHandflow, SerialLineControl,
    SerialPerfStats, SerialQueueSize, SerialStatus, SerialTimeouts, SerialXoffCounter,
};

/// No buffer needed.
const NONE: usize = 0;
/// A `UCHAR` buffer.
const UCHAR: usize = size_of::<u8>();
/// A `ULONG` buffer.
const ULONG: usize = size_of::<u32>();

/// One of the 37 public `IOCTL_SERIAL_*` requests that arrive on `IRP_MJ_DEVICE_CONTROL`.
///
/// GET/SET_COMMCONFIG and the SerCx-only codes are deliberately absent: the driver rejects them
/// like any unknown code.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum SerialIoctl {
    /// `IOCTL_SERIAL_SET_BAUD_RATE`: set the line speed.
    SetBaudRate,
    /// `IOCTL_SERIAL_SET_QUEUE_SIZE`: grow the receive buffer.
    SetQueueSize,
    /// `IOCTL_SERIAL_SET_LINE_CONTROL`: set data bits, parity and stop bits.
    SetLineControl,
    /// `IOCTL_SERIAL_SET_BREAK_ON`: start sending a break.
    SetBreakOn,
    /// `IOCTL_SERIAL_SET_BREAK_OFF`: stop sending a break.
    SetBreakOff,
    /// `IOCTL_SERIAL_IMMEDIATE_CHAR`: send one byte ahead of write data.
    ImmediateChar,
    /// `IOCTL_SERIAL_SET_TIMEOUTS`: store read/write timeouts.
    SetTimeouts,
    /// `IOCTL_SERIAL_GET_TIMEOUTS`: return the stored timeouts.
    GetTimeouts,
    /// `IOCTL_SERIAL_SET_DTR`: raise DTR.
    SetDtr,
    /// `IOCTL_SERIAL_CLR_DTR`: lower DTR.
    ClrDtr,
    /// `IOCTL_SERIAL_RESET_DEVICE`: no-op reset.
    ResetDevice,
    /// `IOCTL_SERIAL_SET_RTS`: raise RTS.
    SetRts,
    /// `IOCTL_SERIAL_CLR_RTS`: lower RTS.
    ClrRts,
    /// `IOCTL_SERIAL_SET_XOFF`: act as if XOFF was received.
    SetXoff,
    /// `IOCTL_SERIAL_SET_XON`: act as if XON was received.
    SetXon,
    /// `IOCTL_SERIAL_GET_WAIT_MASK`: return the armed event mask.
    GetWaitMask,
    /// `IOCTL_SERIAL_SET_WAIT_MASK`: arm a new event mask.
    SetWaitMask,
    /// `IOCTL_SERIAL_WAIT_ON_MASK`: wait for an armed event.
    WaitOnMask,
    /// `IOCTL_SERIAL_PURGE`: abort requests and/or clear buffers.
    Purge,
    /// `IOCTL_SERIAL_GET_BAUD_RATE`: return the requested line speed.
    GetBaudRate,
    /// `IOCTL_SERIAL_GET_LINE_CONTROL`: return data bits, parity and stop bits.
    GetLineControl,
    /// `IOCTL_SERIAL_GET_CHARS`: return the special characters.
    GetChars,
    /// `IOCTL_SERIAL_SET_CHARS`: set the special characters.
    SetChars,
    /// `IOCTL_SERIAL_GET_HANDFLOW`: return flow-control settings.
    GetHandflow,
    /// `IOCTL_SERIAL_SET_HANDFLOW`: set flow-control settings.
    SetHandflow,
    /// `IOCTL_SERIAL_GET_MODEMSTATUS`: return the modem status register.
    GetModemStatus,
    /// `IOCTL_SERIAL_GET_COMMSTATUS`: return errors, holds and queue counts.
    GetCommStatus,
    /// `IOCTL_SERIAL_XOFF_COUNTER`: queue an XOFF-counter pseudo-write.
    XoffCounter,
    /// `IOCTL_SERIAL_GET_PROPERTIES`: return the driver's capabilities.
    GetProperties,
    /// `IOCTL_SERIAL_GET_DTRRTS`: return the DTR/RTS output states.
    GetDtrRts,
    /// `IOCTL_SERIAL_LSRMST_INSERT`: set the LSR/MSR insertion escape character.
    LsrmstInsert,
    /// `IOCTL_SERIAL_CONFIG_SIZE`: return the configuration size (always 0).
    ConfigSize,
    /// `IOCTL_SERIAL_GET_STATS`: return the performance counters.
    GetStats,
    /// `IOCTL_SERIAL_CLEAR_STATS`: zero the performance counters.
    ClearStats,
    /// `IOCTL_SERIAL_GET_MODEM_CONTROL`: return the raw modem control register.
    GetModemControl,
    /// `IOCTL_SERIAL_SET_MODEM_CONTROL`: write the raw modem control register.
    SetModemControl,
    /// `IOCTL_SERIAL_SET_FIFO_CONTROL`: write the raw FIFO control register.
    SetFifoControl,
}

impl SerialIoctl {
    /// Every public IOCTL, in function-number order.
    pub const ALL: [Self; 37] = [
        Self::SetBaudRate,
        Self::SetQueueSize,
        Self::SetLineControl,
        Self::SetBreakOn,
        Self::SetBreakOff,
        Self::ImmediateChar,
        Self::SetTimeouts,
        Self::GetTimeouts,
        Self::SetDtr,
        Self::ClrDtr,
        Self::ResetDevice,
        Self::SetRts,
        Self::ClrRts,
        Self::SetXoff,
        Self::SetXon,
        Self::GetWaitMask,
        Self::SetWaitMask,
        Self::WaitOnMask,
        Self::Purge,
        Self::GetBaudRate,
        Self::GetLineControl,
        Self::GetChars,
        Self::SetChars,
        Self::GetHandflow,
        Self::SetHandflow,
        Self::GetModemStatus,
        Self::GetCommStatus,
        Self::XoffCounter,
        Self::GetProperties,
        Self::GetDtrRts,
        Self::LsrmstInsert,
        Self::ConfigSize,
        Self::GetStats,
        Self::ClearStats,
        Self::GetModemControl,
        Self::SetModemControl,
        Self::SetFifoControl,
    ];

    /// The table row: code, name, minimum input and output lengths (serial-semantics §2).
    #[rustfmt::skip]
    const fn row(self) -> IoctlRow {
        use core::mem::size_of as of;
        match self {
            Self::SetBaudRate => row(IOCTL_SERIAL_SET_BAUD_RATE, "SET_BAUD_RATE", of::<SerialBaudRate>(), NONE),
            Self::SetQueueSize => row(IOCTL_SERIAL_SET_QUEUE_SIZE, "SET_QUEUE_SIZE", of::<SerialQueueSize>(), NONE),
            Self::SetLineControl => row(IOCTL_SERIAL_SET_LINE_CONTROL, "SET_LINE_CONTROL", of::<SerialLineControl>(), NONE),
            Self::SetBreakOn => row(IOCTL_SERIAL_SET_BREAK_ON, "SET_BREAK_ON", NONE, NONE),
            Self::SetBreakOff => row(IOCTL_SERIAL_SET_BREAK_OFF, "SET_BREAK_OFF", NONE, NONE),
            Self::ImmediateChar => row(IOCTL_SERIAL_IMMEDIATE_CHAR, "IMMEDIATE_CHAR", UCHAR, NONE),
            Self::SetTimeouts => row(IOCTL_SERIAL_SET_TIMEOUTS, "SET_TIMEOUTS", of::<SerialTimeouts>(), NONE),
            Self::GetTimeouts => row(IOCTL_SERIAL_GET_TIMEOUTS, "GET_TIMEOUTS", NONE, of::<SerialTimeouts>()),
            Self::SetDtr => row(IOCTL_SERIAL_SET_DTR, "SET_DTR", NONE, NONE),
            Self::ClrDtr => row(IOCTL_SERIAL_CLR_DTR, "CLR_DTR", NONE, NONE),
            Self::ResetDevice => row(IOCTL_SERIAL_RESET_DEVICE, "RESET_DEVICE", NONE, NONE),
            Self::SetRts => row(IOCTL_SERIAL_SET_RTS, "SET_RTS", NONE, NONE),
            Self::ClrRts => row(IOCTL_SERIAL_CLR_RTS, "CLR_RTS", NONE, NONE),
            Self::SetXoff => row(IOCTL_SERIAL_SET_XOFF, "SET_XOFF", NONE, NONE),
            Self::SetXon => row(IOCTL_SERIAL_SET_XON, "SET_XON", NONE, NONE),
            Self::GetWaitMask => row(IOCTL_SERIAL_GET_WAIT_MASK, "GET_WAIT_MASK", NONE, ULONG),
            Self::SetWaitMask => row(IOCTL_SERIAL_SET_WAIT_MASK, "SET_WAIT_MASK", ULONG, NONE),
            Self::WaitOnMask => row(IOCTL_SERIAL_WAIT_ON_MASK, "WAIT_ON_MASK", NONE, ULONG),
            Self::Purge => row(IOCTL_SERIAL_PURGE, "PURGE", ULONG, NONE),
            Self::GetBaudRate => row(IOCTL_SERIAL_GET_BAUD_RATE, "GET_BAUD_RATE", NONE, of::<SerialBaudRate>()),
            Self::GetLineControl => row(IOCTL_SERIAL_GET_LINE_CONTROL, "GET_LINE_CONTROL", NONE, of::<SerialLineControl>()),
            Self::GetChars => row(IOCTL_SERIAL_GET_CHARS, "GET_CHARS", NONE, of::<SerialChars>()),
            Self::SetChars => row(IOCTL_SERIAL_SET_CHARS, "SET_CHARS", of::<SerialChars>(), NONE),
            Self::GetHandflow => row(IOCTL_SERIAL_GET_HANDFLOW, "GET_HANDFLOW", NONE, of::<SerialHandflow>()),
            Self::SetHandflow => row(IOCTL_SERIAL_SET_HANDFLOW, "SET_HANDFLOW", of::<SerialHandflow>(), NONE),
            Self::GetModemStatus => row(IOCTL_SERIAL_GET_MODEMSTATUS, "GET_MODEMSTATUS", NONE, ULONG),
            Self::GetCommStatus => row(IOCTL_SERIAL_GET_COMMSTATUS, "GET_COMMSTATUS", NONE, of::<SerialStatus>()),
            Self::XoffCounter => row(IOCTL_SERIAL_XOFF_COUNTER, "XOFF_COUNTER", of::<SerialXoffCounter>(), NONE),
            Self::GetProperties => row(IOCTL_SERIAL_GET_PROPERTIES, "GET_PROPERTIES", NONE, of::<SerialCommProp>()),
            Self::GetDtrRts => row(IOCTL_SERIAL_GET_DTRRTS, "GET_DTRRTS", NONE, ULONG),
            Self::LsrmstInsert => row(IOCTL_SERIAL_LSRMST_INSERT, "LSRMST_INSERT", UCHAR, NONE),
            Self::ConfigSize => row(IOCTL_SERIAL_CONFIG_SIZE, "CONFIG_SIZE", NONE, ULONG),
            Self::GetStats => row(IOCTL_SERIAL_GET_STATS, "GET_STATS", NONE, of::<SerialPerfStats>()),
            Self::ClearStats => row(IOCTL_SERIAL_CLEAR_STATS, "CLEAR_STATS", NONE, NONE),
            Self::GetModemControl => row(IOCTL_SERIAL_GET_MODEM_CONTROL, "GET_MODEM_CONTROL", NONE, ULONG),
            Self::SetModemControl => row(IOCTL_SERIAL_SET_MODEM_CONTROL, "SET_MODEM_CONTROL", ULONG, NONE),
            Self::SetFifoControl => row(IOCTL_SERIAL_SET_FIFO_CONTROL, "SET_FIFO_CONTROL", ULONG, NONE),
        }
    }

    /// The `IOCTL_SERIAL_*` control code.
    #[must_use]
    pub const fn code(self) -> u32 {
        self.row().code
    }

    /// The public IOCTL with this control code, or `None` for an unknown or unsupported code.
    #[must_use]
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|ioctl| ioctl.code() == code)
    }

    /// The header name without the `IOCTL_SERIAL_` prefix, e.g. `"SET_BAUD_RATE"`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        self.row().name
    }

    /// The IOCTL named `name`, with or without the `IOCTL_SERIAL_` prefix, ASCII case-insensitive.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        let bare = strip_prefix_ignore_case(name, "IOCTL_SERIAL_");
        Self::ALL
            .into_iter()
            .find(|ioctl| ioctl.name().eq_ignore_ascii_case(bare))
    }

    /// Minimum input buffer length; shorter input completes `STATUS_BUFFER_TOO_SMALL`.
    #[must_use]
    pub const fn input_size(self) -> usize {
        self.row().input
    }

    /// Minimum output buffer length; shorter output completes `STATUS_BUFFER_TOO_SMALL`.
    #[must_use]
    pub const fn output_size(self) -> usize {
        self.row().output
    }
}
