//! A pseudo-terminal wired to a model port, so ordinary serial tools (minicom, pyserial, socat)
//! can talk to the driver engine.
//!
//! Bytes written to the pty's terminal side are written to the model port; bytes the model port
//! receives are written back to the terminal side. With the loopback topology (the default)
//! everything typed comes back through the whole driver path: WRITE → THR → loopback plug → RBR →
//! ISR → ring → READ.
//!
//! Virtual time follows the wall clock: each round lets as much virtual time pass as real time
//! passed, so characters take their real time on the simulated wire.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{Mode, OFlags};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, tcgetattr, tcsetattr};
use serde::Serialize;
use serial_ioctl::{SerialIoctl, handflow};

use crate::backend::model::{ModelBench, ModelTarget};
use crate::port::{Bench, Port, RequestHandle, Topology};

/// How the bridge is set up.
#[derive(Copy, Clone, Debug)]
pub struct BridgeOptions {
    /// What the model port is plugged into.
    pub topology: Topology,
    /// The model port's line rate.
    pub baud: u32,
    /// Virtual CPUs.
    pub cpus: usize,
    /// Scheduling seed.
    pub seed: u64,
}

impl Default for BridgeOptions {
    fn default() -> Self {
        Self {
            topology: Topology::Loopback,
            baud: 115_200,
            cpus: 2,
            seed: crate::runner::DEFAULT_SEED,
        }
    }
}

/// Bytes moved while the bridge ran.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BridgeStats {
    /// From the pty to the model port.
    pub to_port: u64,
    /// From the model port to the pty.
    pub from_port: u64,
}

/// A pseudo-terminal pair in raw mode: the controller side, and the path of the terminal side.
#[derive(Debug)]
pub struct Pty {
    master: File,
    /// Kept open so the controller side never sees a hang-up while no program has the terminal.
    _terminal: OwnedFd,
    path: PathBuf,
}

impl Pty {
    /// Opens a new pseudo-terminal and puts its terminal side in raw mode (no echo, no line
    /// editing, no CR/LF translation): bytes pass unchanged.
    ///
    /// # Errors
    /// The OS error.
    pub fn open() -> std::io::Result<Self> {
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let name = ptsname(&master, Vec::new())?;
        let path = PathBuf::from(name.to_string_lossy().into_owned());
        let terminal = rustix::fs::open(
            &path,
            OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut termios = tcgetattr(&terminal)?;
        termios.make_raw();
        tcsetattr(&terminal, OptionalActions::Now, &termios)?;
        Ok(Self {
            master: File::from(master),
            _terminal: terminal,
            path,
        })
    }

    /// The terminal side's path (`/dev/pts/N`), for the serial program.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Runs the bridge until `stop` is set. `ready` is called once with the pty path, when bytes can
/// flow.
///
/// # Errors
/// A message when the pty or the model port cannot be set up, or the pty fails.
pub fn run(
    options: BridgeOptions,
    stop: &AtomicBool,
    ready: impl FnOnce(&Path),
) -> Result<BridgeStats, String> {
    let mut pty = Pty::open().map_err(|e| format!("cannot open a pseudo-terminal: {e}"))?;
    let target = ModelTarget {
        cpus: options.cpus,
        ..ModelTarget::default()
    };
    let mut bench = ModelBench::new(target.config(options.topology, options.seed));
    let mut port = bench
        .open_port(0)
        .map_err(|refused| format!("cannot open model port 0: {}", refused.status))?;
    configure(&mut port, options.baud)?;
    ready(pty.path());

    let mut stats = BridgeStats::default();
    let mut writes: Vec<RequestHandle> = Vec::new();
    let mut buffer = vec![0u8; 4096];
    let mut last = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let readable = {
            let fd = pty.master.as_fd();
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            let timeout = rustix::event::Timespec {
                tv_sec: 0,
                tv_nsec: 2_000_000,
            };
            poll(&mut fds, Some(&timeout)).map_err(|e| format!("poll: {e}"))? > 0
                && fds[0].revents().contains(PollFlags::IN)
        };
        if readable {
            let count = pty
                .master
                .read(&mut buffer)
                .map_err(|e| format!("reading the pty: {e}"))?;
            if let Some(bytes) = buffer.get(..count).filter(|bytes| !bytes.is_empty()) {
                writes.push(port.start_write(bytes).map_err(|e| e.to_string())?);
                stats.to_port += count as u64;
            }
        }
        // Let the simulated world catch up with the wall clock (at least 1 ms per round).
        let elapsed = last.elapsed();
        last = Instant::now();
        let ms = u64::try_from(elapsed.as_millis())
            .unwrap_or(u64::MAX)
            .clamp(1, 100);
        bench.sleep(ms);
        writes.retain(|&handle| matches!(port.wait(handle, 0), Ok(None)));
        let result = port.read(4096).map_err(|e| e.to_string())?;
        if !result.data.is_empty() {
            pty.master
                .write_all(&result.data)
                .map_err(|e| format!("writing the pty: {e}"))?;
            stats.from_port += result.data.len() as u64;
        }
        if !readable {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    let _ = port.close();
    Ok(stats)
}

/// The model port's settings: `baud` 8N1, DTR and RTS on, reads return what is buffered at once.
fn configure(port: &mut dyn Port, baud: u32) -> Result<(), String> {
    let mut timeouts = vec![0u8; 20];
    timeouts[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut flow = Vec::with_capacity(16);
    flow.extend_from_slice(&handflow::DTR_CONTROL.to_le_bytes());
    flow.extend_from_slice(&handflow::RTS_CONTROL.to_le_bytes());
    flow.extend_from_slice(&2048i32.to_le_bytes());
    flow.extend_from_slice(&512i32.to_le_bytes());
    let settings: [(SerialIoctl, Vec<u8>); 4] = [
        (SerialIoctl::SetBaudRate, baud.to_le_bytes().to_vec()),
        (SerialIoctl::SetLineControl, vec![0, 0, 8]),
        (SerialIoctl::SetHandflow, flow),
        (SerialIoctl::SetTimeouts, timeouts),
    ];
    for (ioctl, input) in settings {
        let result = port
            .device_control(ioctl.code(), &input, 0)
            .map_err(|e| e.to_string())?;
        if !result.status.is_success() {
            return Err(format!(
                "IOCTL_SERIAL_{} failed: {}",
                ioctl.name(),
                result.status
            ));
        }
    }
    Ok(())
}
