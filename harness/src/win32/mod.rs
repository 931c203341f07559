//! The Win32 communications API as kernel32 implements it on top of the driver's IOCTLs, so a
//! scenario (or a program) can speak either level against any [`crate::port::Port`].
//!
//! The pure parts (DCB bitfield layout, the DCB ⇄ IOCTL mapping, `SERIAL_ERROR_*` → `CE_*`,
//! NTSTATUS → Win32 error, device paths) are platform-independent and unit-tested on every host;
//! only [`crate::backend::windows`] touches the real API.

pub mod comm;
pub mod dcb;
pub mod errors;
pub mod path;

pub use comm::{CommError, CommStat, Escape, ModemLines};
pub use dcb::{Dcb, DtrControl, RtsControl};
pub use errors::{Win32Outcome, ntstatus_from_win32, win32_error_from_ntstatus};
