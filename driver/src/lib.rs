//! `serial16550`: the KMDF glue that hosts the portable `serial-engine` as a Windows kernel driver
//! for 16550-compatible UARTs.
//!
//! **The glue builds only on Windows** (a Windows host with the WDK, for a Windows target):
//! `wdk-build` refuses every other host, so all WDK code lives in `#[cfg(windows)]` modules. On
//! other hosts this crate is an almost empty library that contains only the host-independent
//! pieces the glue is made of, so they are compiled and unit-tested everywhere:
//!
//! - [`kind_index`]: which KDPC / KTIMER / IO_WORKITEM slot belongs to which engine kind;
//! - [`due_time`]: engine durations as relative `KeSetTimer` / `KeDelayExecutionThread` times;
//! - [`irp_dispatch`]: which IRP major function reaches which engine entry, and through which
//!   KMDF mechanism;
//! - [`resources`]: picking the I/O port range and interrupt out of the PnP resource list;
//! - [`cancel_state`]: the cancel hand-shake of flush requests, which KMDF cannot queue;
//! - [`port_name`]: the device object name, the `\DosDevices\COMx` link and the `PortName`
//!   checks, as UTF-16 in fixed-size buffers.
//!
//! On Windows the remaining modules implement [`serial_engine::kernel::Kernel`] over wdk-sys
//! (`WdfKernel`) and connect the KMDF callbacks to the engine. `driver/README.md` maps every
//! boundary operation to the DDI it uses.
#![cfg_attr(all(windows, not(test)), no_std)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
#![warn(missing_docs)]
// Windows test builds drop the `DriverEntry` export (wdk-sys test-stubs provide one), which leaves
// every KMDF callback unreachable from Rust's point of view.
#![cfg_attr(all(windows, test), allow(dead_code))]

#[cfg(windows)]
extern crate alloc;

// wdk-panic 0.5 turns a panic into a bug check; test builds use std's handler instead.
#[cfg(all(windows, not(test)))]
extern crate wdk_panic;

/// Every allocation of the engine (receive ring, request queues) comes from nonpaged pool, so it
/// may be touched at DISPATCH_LEVEL.
#[cfg(all(windows, not(test)))]
#[global_allocator]
static GLOBAL_ALLOCATOR: wdk_alloc::WdkAllocator = wdk_alloc::WdkAllocator;

pub mod cancel_state;
pub mod due_time;
pub mod fifo_settings;
pub mod irp_dispatch;
pub mod kind_index;
pub mod port_name;
pub mod resources;

#[cfg(windows)]
mod context;
#[cfg(windows)]
mod device;
#[cfg(windows)]
mod dpc;
#[cfg(windows)]
mod driver_entry;
#[cfg(windows)]
mod event_log;
#[cfg(windows)]
mod fifo_registry;
#[cfg(windows)]
mod file_information;
#[cfg(windows)]
mod flush;
#[cfg(windows)]
mod interrupt;
#[cfg(windows)]
mod kernel;
#[cfg(windows)]
mod naming;
#[cfg(windows)]
mod queue;
#[cfg(windows)]
mod registers;
#[cfg(windows)]
mod request;
#[cfg(windows)]
mod spin_lock;
#[cfg(windows)]
mod timer;
#[cfg(windows)]
mod wdf_size;
#[cfg(windows)]
mod work_item;

#[cfg(windows)]
pub use kernel::WdfKernel;
