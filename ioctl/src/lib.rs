//! The serial-port user/kernel ABI shared by the kernel engine, the driver glue and the user-mode
//! harness: `IOCTL_SERIAL_*` codes, the `ntddser.h` structures and constants, and NTSTATUS values.
//!
//! Everything here is plain data with a fixed `#[repr(C)]` layout, identical on x86, x64 and ARM64.
//! The crate is `no_std` and never panics, because it is linked into the kernel driver: buffer
//! decoding reports short buffers as [`NtStatus::BUFFER_TOO_SMALL`] instead.
#![no_std]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![warn(missing_docs)]

mod buffer;
mod codes;
mod constants;
mod status;
mod structs;

pub use buffer::{decode, encode};
pub use codes::*;
pub use constants::{
    SERIAL_DEFAULT_CLOCK_HZ, commprop, error, ev, fcr, handflow, hold, line_control, line_state,
    lsrmst, mcr, msr, purge,
};
pub use status::NtStatus;
pub use structs::*;
