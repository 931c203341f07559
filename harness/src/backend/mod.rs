//! The two places a [`crate::port::Port`] can lead: the driver engine hosted on the simulated
//! machine ([`model`]), and a real COM port through Win32 ([`windows`], Windows only).

pub mod model;
pub mod port_peer;
#[cfg(any(windows, feature = "check-windows-backend"))]
pub mod windows;
pub mod windows_target;

pub use model::{ModelBench, ModelPort, ModelTarget};
pub use port_peer::PortPeer;
pub use windows_target::WindowsTarget;
