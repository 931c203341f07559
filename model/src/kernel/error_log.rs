//! What the driver wrote to the system event log (IoWriteErrorLogEntry), kept per machine with
//! the time, CPU and IRQL of each call.

use serial_engine::error_log::{DUMP_WORDS, ErrorLogEntry};

use super::irql::Irql;

/// `sizeof(IO_ERROR_LOG_PACKET)` on x64: twelve header fields, the 64-bit DeviceOffset and one
/// dump word, padded to 8 bytes.
pub const IO_ERROR_LOG_PACKET_SIZE: usize = 48;

/// ERROR_LOG_MAXIMUM_SIZE on x64: the largest entry IoAllocateErrorLogEntry accepts.
pub const ERROR_LOG_MAXIMUM_SIZE: usize = 240;

/// The size the glue asks IoAllocateErrorLogEntry for: the packet plus the dump words beyond the
/// one it declares.
#[must_use]
pub const fn entry_size() -> usize {
    IO_ERROR_LOG_PACKET_SIZE + (DUMP_WORDS - 1) * 4
}

/// One entry as the event log received it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedError {
    /// The port whose driver wrote it.
    pub port: usize,
    /// Virtual time of the call.
    pub time: u64,
    /// The CPU that made it (`None` outside the simulation).
    pub cpu: Option<usize>,
    /// The IRQL it was made at.
    pub irql: Irql,
    /// What was written.
    pub entry: ErrorLogEntry,
}
