//! The 16550 serial driver's logic: serial.sys semantics over a narrow kernel-services boundary.
//!
//! Everything here is portable `no_std` code, generic over [`kernel::Kernel`]. The `driver` crate
//! implements that boundary over wdk-sys on Windows; the `model` crate implements it as a
//! deterministic simulation of the NT kernel and a 16550 on any host.
#![no_std]
// The engine has no unsafe code; only the platform's contract for IsrContext::new is `unsafe`.
#![deny(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![warn(missing_docs)]

extern crate alloc;

pub mod kernel;

mod config;
mod device;
pub mod error_log;
pub mod file_information;
mod flow_control;
mod health;
mod hw;
mod ioctl;
mod isr;
pub mod line;
mod lines;
mod open_close;
mod purge;
mod read;
mod requests;
pub mod ring;
mod state;
mod status;
pub mod timeouts;
mod transmit;
pub mod uart;
mod wait;
mod write;

pub use device::{Device, DeviceConfig};
