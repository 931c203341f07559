//! `IOCTL_SERIAL_*` control codes (serial-semantics §1–2) and the typed views over them.
//!
//! Every code is `CTL_CODE(FILE_DEVICE_SERIAL_PORT, fn, METHOD_BUFFERED, FILE_ANY_ACCESS)`,
//! i.e. `0x001B0000 | (fn << 2)`. Internal codes reuse function numbers 1–4 and are told apart
//! only by arriving on `IRP_MJ_INTERNAL_DEVICE_CONTROL`.

mod internal;
mod public;

pub use internal::InternalIoctl;
pub use public::SerialIoctl;

/// `FILE_DEVICE_SERIAL_PORT`: the device type in bits 16–31 of every serial control code.
pub const FILE_DEVICE_SERIAL_PORT: u32 = 0x0000_001B;
/// `METHOD_BUFFERED`: the I/O manager copies input and output through one system buffer.
pub const METHOD_BUFFERED: u32 = 0;
/// `FILE_ANY_ACCESS`: the request needs no particular access right on the handle.
pub const FILE_ANY_ACCESS: u32 = 0;

/// `CTL_CODE`: packs device type (bits 16–31), access (14–15), function (2–13) and method (0–1).
///
/// Out-of-range fields are masked to their bit width rather than overflowing.
#[must_use]
pub const fn ctl_code(device_type: u32, function: u32, method: u32, access: u32) -> u32 {
    ((device_type & 0xFFFF) << 16)
        | ((access & 0x3) << 14)
        | ((function & 0xFFF) << 2)
        | (method & 0x3)
}

/// A serial control code for function number `function`.
const fn serial(function: u32) -> u32 {
    ctl_code(
        FILE_DEVICE_SERIAL_PORT,
        function,
        METHOD_BUFFERED,
        FILE_ANY_ACCESS,
    )
}

/// Set the line speed from a `SERIAL_BAUD_RATE`.
pub const IOCTL_SERIAL_SET_BAUD_RATE: u32 = serial(1);
/// Grow the receive buffer to a `SERIAL_QUEUE_SIZE`.
pub const IOCTL_SERIAL_SET_QUEUE_SIZE: u32 = serial(2);
/// Set data bits, parity and stop bits from a `SERIAL_LINE_CONTROL`.
pub const IOCTL_SERIAL_SET_LINE_CONTROL: u32 = serial(3);
/// Start sending a break.
pub const IOCTL_SERIAL_SET_BREAK_ON: u32 = serial(4);
/// Stop sending a break.
pub const IOCTL_SERIAL_SET_BREAK_OFF: u32 = serial(5);
/// Send one byte ahead of queued write data.
pub const IOCTL_SERIAL_IMMEDIATE_CHAR: u32 = serial(6);
/// Store read/write timeouts from a `SERIAL_TIMEOUTS`.
pub const IOCTL_SERIAL_SET_TIMEOUTS: u32 = serial(7);
/// Return the stored `SERIAL_TIMEOUTS`.
pub const IOCTL_SERIAL_GET_TIMEOUTS: u32 = serial(8);
/// Raise DTR.
pub const IOCTL_SERIAL_SET_DTR: u32 = serial(9);
/// Lower DTR.
pub const IOCTL_SERIAL_CLR_DTR: u32 = serial(10);
/// Reset the device (a no-op for Serial.sys).
pub const IOCTL_SERIAL_RESET_DEVICE: u32 = serial(11);
/// Raise RTS.
pub const IOCTL_SERIAL_SET_RTS: u32 = serial(12);
/// Lower RTS.
pub const IOCTL_SERIAL_CLR_RTS: u32 = serial(13);
/// Act as if XOFF had been received.
pub const IOCTL_SERIAL_SET_XOFF: u32 = serial(14);
/// Act as if XON had been received.
pub const IOCTL_SERIAL_SET_XON: u32 = serial(15);
/// Return the armed `SERIAL_EV_*` mask.
pub const IOCTL_SERIAL_GET_WAIT_MASK: u32 = serial(16);
/// Arm a new `SERIAL_EV_*` mask.
pub const IOCTL_SERIAL_SET_WAIT_MASK: u32 = serial(17);
/// Wait until an armed event occurs.
pub const IOCTL_SERIAL_WAIT_ON_MASK: u32 = serial(18);
/// Abort requests and/or clear buffers per a `SERIAL_PURGE_*` mask.
pub const IOCTL_SERIAL_PURGE: u32 = serial(19);
/// Return the last requested `SERIAL_BAUD_RATE`.
pub const IOCTL_SERIAL_GET_BAUD_RATE: u32 = serial(20);
/// Return the current `SERIAL_LINE_CONTROL`.
pub const IOCTL_SERIAL_GET_LINE_CONTROL: u32 = serial(21);
/// Return the special characters as `SERIAL_CHARS`.
pub const IOCTL_SERIAL_GET_CHARS: u32 = serial(22);
/// Set the special characters from `SERIAL_CHARS`.
pub const IOCTL_SERIAL_SET_CHARS: u32 = serial(23);
/// Return the flow-control settings as `SERIAL_HANDFLOW`.
pub const IOCTL_SERIAL_GET_HANDFLOW: u32 = serial(24);
/// Set the flow-control settings from `SERIAL_HANDFLOW`.
pub const IOCTL_SERIAL_SET_HANDFLOW: u32 = serial(25);
/// Return the modem status register.
pub const IOCTL_SERIAL_GET_MODEMSTATUS: u32 = serial(26);
/// Return errors, holds and queue counts as `SERIAL_STATUS`, clearing the latched errors.
pub const IOCTL_SERIAL_GET_COMMSTATUS: u32 = serial(27);
/// Queue an XOFF-counter pseudo-write from a `SERIAL_XOFF_COUNTER`.
pub const IOCTL_SERIAL_XOFF_COUNTER: u32 = serial(28);
/// Return the driver's capabilities as `SERIAL_COMMPROP`.
pub const IOCTL_SERIAL_GET_PROPERTIES: u32 = serial(29);
/// Return the DTR and RTS output states.
pub const IOCTL_SERIAL_GET_DTRRTS: u32 = serial(30);
/// Set the LSR/MSR insertion escape character (0 turns insertion off).
pub const IOCTL_SERIAL_LSRMST_INSERT: u32 = serial(31);
/// Return the size of the provider-specific configuration (always 0).
pub const IOCTL_SERIAL_CONFIG_SIZE: u32 = serial(32);
/// Read a `COMMCONFIG`; not supported by Serial.sys (completes `STATUS_INVALID_PARAMETER`).
pub const IOCTL_SERIAL_GET_COMMCONFIG: u32 = serial(33);
/// Write a `COMMCONFIG`; not supported by Serial.sys (completes `STATUS_INVALID_PARAMETER`).
pub const IOCTL_SERIAL_SET_COMMCONFIG: u32 = serial(34);
/// Return the performance counters as `SERIALPERF_STATS`.
pub const IOCTL_SERIAL_GET_STATS: u32 = serial(35);
/// Zero the performance counters.
pub const IOCTL_SERIAL_CLEAR_STATS: u32 = serial(36);
/// Return the raw modem control register.
pub const IOCTL_SERIAL_GET_MODEM_CONTROL: u32 = serial(37);
/// Write the raw modem control register.
pub const IOCTL_SERIAL_SET_MODEM_CONTROL: u32 = serial(38);
/// Write the raw FIFO control register.
pub const IOCTL_SERIAL_SET_FIFO_CONTROL: u32 = serial(39);
/// SerCx-only: apply the default configuration; unknown to Serial.sys.
pub const IOCTL_SERIAL_APPLY_DEFAULT_CONFIGURATION: u32 = serial(40);
/// SerCx-only: set the interval-timer resolution; unknown to Serial.sys.
pub const IOCTL_SERIAL_SET_INTERVAL_TIMER_RESOLUTION: u32 = serial(41);

/// Internal: arm system wake (`IRP_MJ_INTERNAL_DEVICE_CONTROL` only).
pub const IOCTL_SERIAL_INTERNAL_DO_WAIT_WAKE: u32 = serial(1);
/// Internal: disarm system wake.
pub const IOCTL_SERIAL_INTERNAL_CANCEL_WAIT_WAKE: u32 = serial(2);
/// Internal: return the current `SERIAL_BASIC_SETTINGS`, then apply the basic ones.
pub const IOCTL_SERIAL_INTERNAL_BASIC_SETTINGS: u32 = serial(3);
/// Internal: apply a `SERIAL_BASIC_SETTINGS` without validation.
pub const IOCTL_SERIAL_INTERNAL_RESTORE_SETTINGS: u32 = serial(4);

/// One IOCTL's facts: code, name without the `IOCTL_SERIAL_` prefix, minimum buffer lengths.
#[derive(Copy, Clone)]
struct IoctlRow {
    /// The control code.
    code: u32,
    /// The header name without its `IOCTL_SERIAL_` (or `IOCTL_SERIAL_INTERNAL_`) prefix.
    name: &'static str,
    /// Minimum input buffer length in bytes.
    input: usize,
    /// Minimum output buffer length in bytes.
    output: usize,
}

/// Builds an [`IoctlRow`]; keeps the tables one line per IOCTL.
const fn row(code: u32, name: &'static str, input: usize, output: usize) -> IoctlRow {
    IoctlRow {
        code,
        name,
        input,
        output,
    }
}
