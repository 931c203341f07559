//! The `ntddser.h` request structures (serial-semantics §3), laid out exactly as in C.
//!
//! All are `#[repr(C)]` with explicit padding fields, so they are `bytemuck::Pod` and can be read
//! from and written to request buffers with [`decode`](crate::decode) and [`encode`](crate::encode).
//! `ULONG` and `UCHAR` buffers (masks, the immediate character) are plain `u32` and `u8`.

use bytemuck::{Pod, Zeroable};

/// `SERIAL_BAUD_RATE`: the line speed for SET/GET_BAUD_RATE.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialBaudRate {
    /// `BaudRate`: bits per second, as requested (not the rate the divisor achieves).
    pub baud_rate: u32,
}

/// `SERIAL_LINE_CONTROL`: character framing for SET/GET_LINE_CONTROL.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialLineControl {
    /// `StopBits`: one of [`line_control`](crate::line_control)`::STOP_BIT*`.
    pub stop_bits: u8,
    /// `Parity`: one of [`line_control`](crate::line_control)`::*_PARITY`.
    pub parity: u8,
    /// `WordLength`: data bits per character, 5..=8.
    pub word_length: u8,
}

/// `SERIAL_TIMEOUTS`: read and write timeouts in milliseconds (`COMMTIMEOUTS`).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialTimeouts {
    /// `ReadIntervalTimeout`: longest gap between two received bytes; `u32::MAX` has special meanings.
    pub read_interval_timeout: u32,
    /// `ReadTotalTimeoutMultiplier`: per-byte part of the total read timeout.
    pub read_total_timeout_multiplier: u32,
    /// `ReadTotalTimeoutConstant`: fixed part of the total read timeout.
    pub read_total_timeout_constant: u32,
    /// `WriteTotalTimeoutMultiplier`: per-byte part of the total write timeout.
    pub write_total_timeout_multiplier: u32,
    /// `WriteTotalTimeoutConstant`: fixed part of the total write timeout.
    pub write_total_timeout_constant: u32,
}

/// `SERIAL_QUEUE_SIZE`: requested buffer sizes for SET_QUEUE_SIZE.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialQueueSize {
    /// `InSize`: requested receive buffer size in bytes.
    pub in_size: u32,
    /// `OutSize`: requested transmit buffer size in bytes (ignored by Serial.sys).
    pub out_size: u32,
}

/// `SERIAL_CHARS`: the special characters for SET/GET_CHARS.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialChars {
    /// `EofChar`: end-of-file character (unused in binary mode).
    pub eof_char: u8,
    /// `ErrorChar`: substituted for bytes received with a parity/framing error.
    pub error_char: u8,
    /// `BreakChar`: inserted when a break is received.
    pub break_char: u8,
    /// `EventChar`: receiving it raises `SERIAL_EV_RXFLAG`.
    pub event_char: u8,
    /// `XonChar`: resumes transmission under software flow control.
    pub xon_char: u8,
    /// `XoffChar`: pauses transmission under software flow control.
    pub xoff_char: u8,
}

/// `SERIAL_HANDFLOW`: handshake and flow-control settings for SET/GET_HANDFLOW.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialHandflow {
    /// `ControlHandShake`: [`handflow`](crate::handflow) DTR/CTS/DSR/DCD/error-abort bits.
    pub control_handshake: u32,
    /// `FlowReplace`: [`handflow`](crate::handflow) XON/XOFF, replacement and RTS bits.
    pub flow_replace: u32,
    /// `XonLimit`: receive-buffer fill at or below which flow is released.
    pub xon_limit: i32,
    /// `XoffLimit`: free receive-buffer space at or below which flow is stopped.
    pub xoff_limit: i32,
}

/// `SERIAL_STATUS`: errors, holds and queue counts returned by GET_COMMSTATUS.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialStatus {
    /// `Errors`: latched [`error`](crate::error) bits, cleared by the request.
    pub errors: u32,
    /// `HoldReasons`: [`hold`](crate::hold) bits saying why transmit or receive is held.
    pub hold_reasons: u32,
    /// `AmountInInQueue`: bytes waiting in the receive buffer.
    pub amount_in_in_queue: u32,
    /// `AmountInOutQueue`: bytes queued for transmission and not yet sent.
    pub amount_in_out_queue: u32,
    /// `EofReceived` (BOOLEAN): EOF character seen; always 0 in binary mode.
    pub eof_received: u8,
    /// `WaitForImmediate` (BOOLEAN): an immediate character is waiting to be sent.
    pub wait_for_immediate: u8,
    /// Padding to the C structure's 4-byte alignment; always 0.
    pub reserved: [u8; 2],
}

/// `SERIAL_XOFF_COUNTER`: the XOFF_COUNTER pseudo-write.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialXoffCounter {
    /// `Timeout`: milliseconds before the counter ends by itself; 0 = no timeout.
    pub timeout: u32,
    /// `Counter`: received bytes that end the counter; must be positive.
    pub counter: i32,
    /// `XoffChar`: the XOFF character sent when the counter starts.
    pub xoff_char: u8,
    /// Padding to the C structure's 4-byte alignment; always 0.
    pub reserved: [u8; 3],
}

/// `SERIALPERF_STATS`: performance counters returned by GET_STATS.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialPerfStats {
    /// `ReceivedCount`: bytes received.
    pub received_count: u32,
    /// `TransmittedCount`: bytes transmitted.
    pub transmitted_count: u32,
    /// `FrameErrorCount`: framing errors.
    pub frame_error_count: u32,
    /// `SerialOverrunErrorCount`: hardware overruns.
    pub serial_overrun_error_count: u32,
    /// `BufferOverrunErrorCount`: receive-buffer overflows.
    pub buffer_overrun_error_count: u32,
    /// `ParityErrorCount`: parity errors.
    pub parity_error_count: u32,
}

/// `SERIAL_BASIC_SETTINGS`: the settings saved and restored by the internal settings IOCTLs.
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialBasicSettings {
    /// `Timeouts`: read and write timeouts.
    pub timeouts: SerialTimeouts,
    /// `HandFlow`: handshake and flow control.
    pub handflow: SerialHandflow,
    /// `RxFifo`: receive FIFO trigger level setting.
    pub rx_fifo: u32,
    /// `TxFifo`: bytes written to the transmit FIFO per interrupt.
    pub tx_fifo: u32,
}

/// `SERIAL_COMMPROP`: the driver's capabilities returned by GET_PROPERTIES (`COMMPROP`).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
pub struct SerialCommProp {
    /// `PacketLength`: size of this structure in bytes.
    pub packet_length: u16,
    /// `PacketVersion`: structure version.
    pub packet_version: u16,
    /// `ServiceMask`: [`commprop::SP_SERIALCOMM`](crate::commprop::SP_SERIALCOMM).
    pub service_mask: u32,
    /// `Reserved1`: reserved, 0.
    pub reserved1: u32,
    /// `MaxTxQueue`: largest driver transmit buffer in bytes; 0 = none.
    pub max_tx_queue: u32,
    /// `MaxRxQueue`: largest driver receive buffer in bytes; 0 = no limit.
    pub max_rx_queue: u32,
    /// `MaxBaud`: highest settable rate as a `BAUD_*` bit.
    pub max_baud: u32,
    /// `ProvSubType`: provider type, [`commprop::SP_RS232`](crate::commprop::SP_RS232).
    pub prov_sub_type: u32,
    /// `ProvCapabilities`: `PCF_*` capability bits.
    pub prov_capabilities: u32,
    /// `SettableParams`: `SP_*` bits for the parameters that can be changed.
    pub settable_params: u32,
    /// `SettableBaud`: `BAUD_*` bits for the settable rates.
    pub settable_baud: u32,
    /// `SettableData`: `DATABITS_*` bits.
    pub settable_data: u16,
    /// `SettableStopParity`: `STOPBITS_*` and `PARITY_*` bits.
    pub settable_stop_parity: u16,
    /// `CurrentTxQueue`: current transmit buffer size in bytes; 0 = none.
    pub current_tx_queue: u32,
    /// `CurrentRxQueue`: current receive buffer size in bytes.
    pub current_rx_queue: u32,
    /// `ProvSpec1`: provider-specific data.
    pub prov_spec1: u32,
    /// `ProvSpec2`: provider-specific data.
    pub prov_spec2: u32,
    /// `ProvChar[1]`: provider-specific data (one WCHAR).
    pub prov_char: [u16; 1],
    /// Padding to the C structure's 4-byte alignment; always 0.
    pub reserved: [u8; 2],
}

const _: () = assert!(size_of::<SerialBaudRate>() == 4);
const _: () = assert!(size_of::<SerialLineControl>() == 3);
const _: () = assert!(size_of::<SerialTimeouts>() == 20);
const _: () = assert!(size_of::<SerialQueueSize>() == 8);
const _: () = assert!(size_of::<SerialChars>() == 6);
const _: () = assert!(size_of::<SerialHandflow>() == 16);
const _: () = assert!(size_of::<SerialStatus>() == 20);
const _: () = assert!(size_of::<SerialXoffCounter>() == 12);
const _: () = assert!(size_of::<SerialPerfStats>() == 24);
const _: () = assert!(size_of::<SerialBasicSettings>() == 44);
const _: () = assert!(size_of::<SerialCommProp>() == 64);
