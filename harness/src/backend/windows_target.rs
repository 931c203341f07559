//! Real COM ports as a target: which topologies they can provide (the platform-independent part;
//! the Win32 calls are in [`super::windows`], built only on Windows).
//!
//! A target is written `COM3` (nothing known about the wiring: topology `none` only),
//! `COM3:loopback` (a loopback plug: `none` and `loopback`) or `COM3+COM4` (COM4 at the far end of
//! a null-modem cable: `none`, `null-modem` with ports 0 = COM3 and 1 = COM4, and `peer`, with
//! COM4 scripted as the peer).

use crate::port::{Bench, BenchFactory, Topology};
use crate::win32::path::is_com_name;

/// Real ports under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowsTarget {
    /// The port under test (`COM3`).
    pub port: String,
    /// The port at the far end of a null-modem cable, if any.
    pub peer: Option<String>,
    /// Whether a loopback plug is on `port`.
    pub loopback: bool,
}

impl WindowsTarget {
    /// Parses `COM3`, `COM3:loopback` or `COM3+COM4`.
    ///
    /// # Errors
    /// A message when the text is none of these.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let spec = spec.trim();
        let (port, loopback) = match spec.split_once(':') {
            Some((port, "loopback")) => (port, true),
            Some((_, other)) => {
                return Err(format!(
                    "unknown wiring '{other}' in '{spec}' (only COMx:loopback)"
                ));
            }
            None => (spec, false),
        };
        let (port, peer) = match port.split_once('+') {
            Some((port, peer)) => (port, Some(peer)),
            None => (port, None),
        };
        for name in std::iter::once(port).chain(peer) {
            if !is_com_name(name) {
                return Err(format!("'{name}' is not a COM port name (like COM3)"));
            }
        }
        if loopback && peer.is_some() {
            return Err(format!(
                "'{spec}': a port has either a loopback plug or a cable to a peer"
            ));
        }
        Ok(Self {
            port: port.to_ascii_uppercase(),
            peer: peer.map(str::to_ascii_uppercase),
            loopback,
        })
    }
}

impl BenchFactory for WindowsTarget {
    fn name(&self) -> String {
        match (&self.peer, self.loopback) {
            (Some(peer), _) => format!("{}+{peer}", self.port),
            (None, true) => format!("{}:loopback", self.port),
            (None, false) => self.port.clone(),
        }
    }

    fn supports(&self, topology: Topology) -> Result<(), String> {
        match topology {
            Topology::None => Ok(()),
            Topology::Loopback if self.loopback => Ok(()),
            Topology::Loopback => Err(format!(
                "needs a loopback plug on {} (target {}:loopback)",
                self.port, self.port
            )),
            Topology::NullModem | Topology::Peer if self.peer.is_some() => Ok(()),
            Topology::NullModem => Err(format!(
                "needs a second port on a null-modem cable (--peer COMy, or target {}+COMy)",
                self.port
            )),
            Topology::Peer => Err(format!(
                "peer actions need a real peer port (--peer COMy, or target {}+COMy)",
                self.port
            )),
        }
    }

    fn is_model(&self) -> bool {
        false
    }

    fn create(&self, topology: Topology, _seed: u64) -> Result<Box<dyn Bench>, String> {
        self.supports(topology)?;
        #[cfg(any(windows, feature = "check-windows-backend"))]
        {
            super::windows::WindowsBench::new(self, topology)
                .map(|bench| Box::new(bench) as Box<dyn Bench>)
        }
        #[cfg(not(any(windows, feature = "check-windows-backend")))]
        {
            Err(format!(
                "{}: real COM ports can only be opened on Windows",
                self.name()
            ))
        }
    }

    fn preflight(&self) -> Result<(), String> {
        #[cfg(any(windows, feature = "check-windows-backend"))]
        {
            let epoch = std::time::Instant::now();
            for name in std::iter::once(&self.port).chain(&self.peer) {
                let mut port = super::windows::WindowsPort::open(name, epoch)
                    .map_err(|refused| format!("cannot open {name}: {}", refused.detail))?;
                let _ = crate::port::Port::close(&mut port);
            }
            Ok(())
        }
        #[cfg(not(any(windows, feature = "check-windows-backend")))]
        {
            Err(format!(
                "{}: real COM ports can only be opened on Windows",
                self.name()
            ))
        }
    }

    fn replay_args(&self) -> Vec<String> {
        let mut args = vec!["--port".to_owned(), self.port.clone()];
        if let Some(peer) = &self.peer {
            args.extend(["--peer".to_owned(), peer.clone()]);
        }
        if self.loopback {
            args.push("--loopback".to_owned());
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_specs_parse() {
        assert_eq!(
            WindowsTarget::parse("com3").unwrap(),
            WindowsTarget {
                port: "COM3".into(),
                peer: None,
                loopback: false
            }
        );
        let pair = WindowsTarget::parse("COM3+COM4").unwrap();
        assert_eq!(pair.peer.as_deref(), Some("COM4"));
        assert!(WindowsTarget::parse("COM5:loopback").unwrap().loopback);
        assert!(WindowsTarget::parse("model").is_err());
        assert!(WindowsTarget::parse("COM3:plug").is_err());
        assert!(WindowsTarget::parse("COM3+COM4:loopback").is_err());
    }

    #[test]
    fn topologies_follow_the_wiring() {
        let bare = WindowsTarget::parse("COM3").unwrap();
        assert!(bare.supports(Topology::None).is_ok());
        assert!(
            bare.supports(Topology::Peer)
                .unwrap_err()
                .contains("--peer")
        );
        assert!(
            bare.supports(Topology::Loopback)
                .unwrap_err()
                .contains("loopback")
        );
        let pair = WindowsTarget::parse("COM3+COM4").unwrap();
        assert!(pair.supports(Topology::NullModem).is_ok());
        assert!(pair.supports(Topology::Peer).is_ok());
        assert_eq!(pair.name(), "COM3+COM4");
    }

    #[cfg(not(any(windows, feature = "check-windows-backend")))]
    #[test]
    fn real_ports_need_windows() {
        let bare = WindowsTarget::parse("COM3").unwrap();
        let error = bare.create(Topology::None, 1).err().unwrap();
        assert!(error.contains("only be opened on Windows"));
    }
}
