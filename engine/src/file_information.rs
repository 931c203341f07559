//! IRP_MJ_QUERY_INFORMATION and IRP_MJ_SET_INFORMATION, answered as serial.sys answers them, so
//! programs that treat a COM port like a file (GetFileSize, SetEndOfFile, a seek, the C runtime's
//! file I/O, `copy file COM3`) work: a port has no size and no position.
//!
//! - Query FileStandardInformation: all zeros (AllocationSize, EndOfFile, NumberOfLinks,
//!   DeletePending, Directory); FilePositionInformation: CurrentByteOffset 0. Information is the
//!   structure's size; a shorter buffer gets STATUS_BUFFER_TOO_SMALL. Any other class:
//!   STATUS_INVALID_PARAMETER.
//! - Set FileEndOfFileInformation or FileAllocationInformation: accepted and ignored
//!   (STATUS_SUCCESS). Any other class (a seek's FilePositionInformation included):
//!   STATUS_INVALID_PARAMETER.
//! - Both first pass the same gate as reads and writes: with ERROR_ABORT and a latched line error
//!   they fail with STATUS_CANCELLED until GET_COMMSTATUS clears it (serial.sys's
//!   SerialCompleteIfError).
//!
//! Synchronous and allocation-free: the caller completes the IRP with the result.
//!
//! IRQL: PASSIVE (both arrive at PASSIVE_LEVEL through a preprocess callback).

use serial_ioctl::NtStatus;

use crate::device::Device;
use crate::kernel::Kernel;

/// `FileStandardInformation` (wdm.h `FILE_INFORMATION_CLASS`).
pub const FILE_STANDARD_INFORMATION: u32 = 5;
/// `FilePositionInformation`.
pub const FILE_POSITION_INFORMATION: u32 = 14;
/// `FileAllocationInformation`.
pub const FILE_ALLOCATION_INFORMATION: u32 = 19;
/// `FileEndOfFileInformation`.
pub const FILE_END_OF_FILE_INFORMATION: u32 = 20;

/// `sizeof(FILE_STANDARD_INFORMATION)` on x64: two LARGE_INTEGERs, a ULONG, two BOOLEANs,
/// padded to 8.
pub const FILE_STANDARD_INFORMATION_SIZE: usize = 24;
/// `sizeof(FILE_POSITION_INFORMATION)`: one LARGE_INTEGER.
pub const FILE_POSITION_INFORMATION_SIZE: usize = 8;

impl<K: Kernel> Device<K> {
    /// IRP_MJ_QUERY_INFORMATION for `class` into `output` (the system buffer): the status and
    /// IoStatus.Information.
    pub fn query_information(&self, class: u32, output: &mut [u8]) -> (NtStatus, usize) {
        if let Err(status) = self.admit_io() {
            return (status, 0);
        }
        let size = match class {
            FILE_STANDARD_INFORMATION => FILE_STANDARD_INFORMATION_SIZE,
            FILE_POSITION_INFORMATION => FILE_POSITION_INFORMATION_SIZE,
            _ => return (NtStatus::INVALID_PARAMETER, 0),
        };
        match output.get_mut(..size) {
            Some(structure) => {
                structure.fill(0);
                (NtStatus::SUCCESS, size)
            }
            None => (NtStatus::BUFFER_TOO_SMALL, 0),
        }
    }

    /// IRP_MJ_SET_INFORMATION for `class`: the status (Information is 0).
    pub fn set_information(&self, class: u32) -> NtStatus {
        if let Err(status) = self.admit_io() {
            return status;
        }
        match class {
            FILE_END_OF_FILE_INFORMATION | FILE_ALLOCATION_INFORMATION => NtStatus::SUCCESS,
            _ => NtStatus::INVALID_PARAMETER,
        }
    }
}
