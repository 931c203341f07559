//! Conformance harness for COM port drivers.
//!
//! - [`port`]: the I/O boundary ([`port::Port`], [`port::Bench`]) every backend implements, at the
//!   NTSTATUS level, overlapped or synchronous.
//! - [`win32`]: the kernel32 communications API (DCB, SetCommState, ClearCommError, …) as the
//!   IOCTL sequences it issues, over any port.
//! - [`backend`]: the driver engine on the simulated machine (`model`) and real ports
//!   (`windows`, Windows only).
//! - [`scenario`]: TOML scenario files, their loader and executor; [`suite`] embeds the built-in
//!   suite; [`runner`] runs many scenarios against a target; [`report`] turns the results into
//!   a table, JSON or JUnit.
//! - [`demo`] and `bridge` (Unix): the loopback demonstration and the pseudo-terminal bridge.

pub mod backend;
#[cfg(unix)]
pub mod bridge;
pub mod demo;
pub mod duplex;
pub mod hex;
pub mod ioctl_fields;
pub mod limits;
pub mod names;
pub mod port;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod suite;
pub mod time;
pub mod win32;
