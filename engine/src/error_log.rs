//! System event-log entries for device errors (IoAllocateErrorLogEntry + IoWriteErrorLogEntry).
//!
//! Entries use the standard `IO_ERR_*` codes of ntiologc.h, so the system's IoLogMsg.dll supplies
//! the Event Viewer text; `unique_value` says which of this driver's conditions it was, and the
//! dump data carries how many times it happened and one detail value. Entries are gathered per
//! kind and written when the gathering window ends, so a burst of overruns is one entry with its
//! count, not thousands. Written from DPCs and work items, never from the ISR: the ISR only counts.

use serial_ioctl::NtStatus;

/// An `IO_ERR_*` code (an NTSTATUS of facility FACILITY_IO_ERROR_CODE).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// IO_ERR_RETRY_SUCCEEDED: "A retry was successful on %1."
    pub const RETRY_SUCCEEDED: Self = Self(0x0004_0001);
    /// IO_ERR_OVERRUN_ERROR: "A data overrun occurred on %1."
    pub const OVERRUN_ERROR: Self = Self(0xC004_0008);
    /// IO_ERR_TIMEOUT: "The device, %1, did not respond within the timeout period."
    pub const TIMEOUT: Self = Self(0xC004_0009);
    /// IO_ERR_CONTROLLER_ERROR: "The driver detected a controller error on %1."
    pub const CONTROLLER_ERROR: Self = Self(0xC004_000B);
    /// IO_ERR_NOT_READY: "The device, %1, is not ready for access yet."
    pub const NOT_READY: Self = Self(0xC004_000F);
    /// IO_ERR_RESET: "The device, %1, has been reset."
    pub const RESET: Self = Self(0xC004_0013);
}

/// The conditions the driver reports, one entry kind each; the discriminant is the entry's
/// UniqueErrorValue.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u32)]
pub enum LogKind {
    /// Characters lost in the UART (LSR.OE): the receive FIFO overflowed. Detail: 0.
    HardwareOverrun = 1,
    /// Characters lost because the receive ring was full. Detail: the ring's size.
    BufferOverrun,
    /// The transmit watchdog re-armed THRE and the write moved again. Detail: the retries it took.
    TransmitRetried,
    /// The transmitter took no byte across every watchdog retry. Detail: the LSR last read.
    TransmitterStopped,
    /// The interrupt stayed asserted with nothing to service; the UART was masked. Detail: IIR.
    InterruptStorm,
    /// The UART was reset and reprogrammed from the saved settings. Detail: the [`Reason`].
    UartReset,
    /// The UART stayed broken through every recovery attempt; the device failed. Detail: the
    /// [`Reason`] recovery started for.
    DeviceFailed,
    /// Every register reads 0xFF: the UART is gone; the device failed. Detail: 0.
    DeviceGone,
}

impl LogKind {
    /// Every kind, in declaration order (index = position).
    pub const ALL: [Self; 8] = [
        Self::HardwareOverrun,
        Self::BufferOverrun,
        Self::TransmitRetried,
        Self::TransmitterStopped,
        Self::InterruptStorm,
        Self::UartReset,
        Self::DeviceFailed,
        Self::DeviceGone,
    ];

    /// The event code.
    #[must_use]
    pub const fn code(self) -> ErrorCode {
        match self {
            Self::HardwareOverrun | Self::BufferOverrun => ErrorCode::OVERRUN_ERROR,
            Self::TransmitRetried => ErrorCode::RETRY_SUCCEEDED,
            Self::TransmitterStopped => ErrorCode::TIMEOUT,
            Self::InterruptStorm | Self::DeviceFailed => ErrorCode::CONTROLLER_ERROR,
            Self::UartReset => ErrorCode::RESET,
            Self::DeviceGone => ErrorCode::NOT_READY,
        }
    }

    /// The entry's UniqueErrorValue: which of the driver's conditions it is (1-based position).
    #[must_use]
    pub const fn unique_value(self) -> u32 {
        self as u32
    }

    /// The FinalStatus recorded with the entry.
    #[must_use]
    pub const fn final_status(self) -> NtStatus {
        match self {
            Self::HardwareOverrun
            | Self::BufferOverrun
            | Self::TransmitRetried
            | Self::UartReset => NtStatus::SUCCESS,
            Self::TransmitterStopped | Self::InterruptStorm | Self::DeviceFailed => {
                NtStatus::IO_DEVICE_ERROR
            }
            Self::DeviceGone => NtStatus::DEVICE_NOT_CONNECTED,
        }
    }

    /// The kind's slot in the gathered counts (its position in [`Self::ALL`]).
    const fn index(self) -> usize {
        (self as usize).saturating_sub(1)
    }
}

/// Why recovery started (the detail of [`LogKind::UartReset`] and [`LogKind::DeviceFailed`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u32)]
pub enum Reason {
    /// No recovery has started.
    #[default]
    None = 0,
    /// The ISR found the interrupt asserted with nothing to service.
    InterruptStorm = 1,
    /// The transmitter took no byte across every watchdog retry.
    TransmitterStopped = 2,
    /// LCR, MCR or IER no longer read back as programmed.
    LostProgramming = 3,
    /// Registers read 0xFF.
    DeviceGone = 4,
}

/// Number of dump-data words in every entry: the count and the detail.
pub const DUMP_WORDS: usize = 2;

/// One event-log entry, as the glue copies it into an IO_ERROR_LOG_PACKET.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorLogEntry {
    /// What happened.
    pub kind: LogKind,
    /// ErrorCode.
    pub code: ErrorCode,
    /// UniqueErrorValue.
    pub unique_value: u32,
    /// FinalStatus.
    pub final_status: NtStatus,
    /// SequenceNumber: entries this device has written before this one.
    pub sequence: u32,
    /// DumpData: how many times it happened since the last entry of its kind, and the detail.
    pub dump: [u32; DUMP_WORDS],
}

impl ErrorLogEntry {
    /// How many times the condition happened.
    #[must_use]
    pub const fn count(&self) -> u32 {
        self.dump[0]
    }

    /// The kind's detail value.
    #[must_use]
    pub const fn detail(&self) -> u32 {
        self.dump[1]
    }
}

/// Counts gathered per kind, waiting for the window to end.
#[derive(Copy, Clone, Debug, Default)]
struct Gathered {
    count: u32,
    detail: u32,
}

/// The gathered entries of one device.
#[derive(Copy, Clone, Debug, Default)]
pub struct ErrorLog {
    gathered: [Gathered; LogKind::ALL.len()],
    sequence: u32,
}

/// The entries one flush writes (at most one per kind).
pub type Flushed = [Option<ErrorLogEntry>; LogKind::ALL.len()];

impl ErrorLog {
    /// Adds `count` occurrences of `kind`; the latest `detail` is kept.
    pub fn add(&mut self, kind: LogKind, count: u32, detail: u32) {
        if count == 0 {
            return;
        }
        if let Some(slot) = self.gathered.get_mut(kind.index()) {
            slot.count = slot.count.saturating_add(count);
            slot.detail = detail;
        }
    }

    /// Whether anything waits to be written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.gathered.iter().all(|slot| slot.count == 0)
    }

    /// Takes every gathered kind as an entry, in kind order.
    pub fn take(&mut self) -> Flushed {
        let mut flushed: Flushed = [None; LogKind::ALL.len()];
        for ((kind, slot), out) in LogKind::ALL
            .into_iter()
            .zip(self.gathered.iter_mut())
            .zip(flushed.iter_mut())
        {
            let Gathered { count, detail } = core::mem::take(slot);
            if count == 0 {
                continue;
            }
            *out = Some(ErrorLogEntry {
                kind,
                code: kind.code(),
                unique_value: kind.unique_value(),
                final_status: kind.final_status(),
                sequence: self.sequence,
                dump: [count, detail],
            });
            self.sequence = self.sequence.wrapping_add(1);
        }
        flushed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_one_entry_with_its_count_and_latest_detail() {
        let mut log = ErrorLog::default();
        for detail in 0..1000 {
            log.add(LogKind::HardwareOverrun, 1, detail);
        }
        log.add(LogKind::UartReset, 1, Reason::InterruptStorm as u32);
        let entries: alloc::vec::Vec<_> = log.take().into_iter().flatten().collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries.first().map(ErrorLogEntry::count), Some(1000));
        assert_eq!(entries.first().map(ErrorLogEntry::detail), Some(999));
        assert_eq!(entries.get(1).map(|e| e.code), Some(ErrorCode::RESET));
        assert_eq!(entries.get(1).map(|e| e.sequence), Some(1));
        assert!(log.is_empty());
        assert!(log.take().iter().all(Option::is_none));
    }

    #[test]
    fn positions_and_unique_values_agree() {
        for (position, kind) in LogKind::ALL.into_iter().enumerate() {
            assert_eq!(kind.index(), position);
            assert_eq!(kind.unique_value() as usize, position + 1);
        }
    }
}
