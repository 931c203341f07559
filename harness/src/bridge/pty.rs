//! One pseudo-terminal as the bridge sees it: the controller side, non-blocking, and the path of
//! the terminal side that clients open.
//!
//! The bridge keeps no terminal-side descriptor of its own, so the controller side reports a
//! hang-up exactly while no client has the terminal open: that is how sessions begin and end.
//! Termios requests on the controller side act on the terminal side (Linux), so the client's
//! settings are read there. What a client left unread in the terminal's input queue survives
//! its close, so the bridge flushes it when a session ends.
//!
//! The controller side runs in packet mode (TIOCPKT): every read starts with a status byte, which
//! says when the client flushed its output (tcflush TCOFLUSH, pyserial's reset_output_buffer,
//! Wine's PurgeComm) or its input, so the bridge can flush the port's queues as a serial driver
//! does.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::fs::{Mode, OFlags};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, QueueSelector, Termios, tcflush, tcgetattr, tcsetattr};

/// The controller side of a pseudo-terminal and where its terminal side is.
#[derive(Debug)]
pub struct Pty {
    controller: File,
    path: PathBuf,
    link: Option<PathBuf>,
}

/// `TIOCPKT` (Linux): packet mode on a pty's controller side.
const TIOCPKT: rustix::ioctl::Opcode = 0x5420;
/// Packet-mode status bits: the client flushed its input / its output.
const TIOCPKT_FLUSHREAD: u8 = 0x01;
const TIOCPKT_FLUSHWRITE: u8 = 0x02;

/// What one read of the controller side brought.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Nothing to read.
    Nothing,
    /// `n` bytes the client wrote, at the start of the buffer.
    Data(usize),
    /// The client flushed: its output (what it wrote and the port has not sent) and/or its input
    /// (what the port received and it has not read).
    Flushed {
        /// Output flushed.
        output: bool,
        /// Input flushed.
        input: bool,
    },
}

/// Switches `controller` to packet mode.
fn packet_mode(controller: &impl AsFd) -> std::io::Result<()> {
    // SAFETY:
    // 1. TIOCPKT takes a pointer to an `int` (tty_ioctl(4)), which is the input type given here.
    let request = unsafe { rustix::ioctl::Setter::<TIOCPKT, core::ffi::c_int>::new(1) };
    // SAFETY:
    // 1. `controller` is an open pty controller, for which TIOCPKT is defined; the request
    //    describes its argument correctly (above).
    unsafe { rustix::ioctl::ioctl(controller, request) }.map_err(Into::into)
}

/// What a poll of the controller side found.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// A client has the terminal side open.
    pub connected: bool,
    /// The client wrote bytes the bridge has not read.
    pub readable: bool,
}

impl Pty {
    /// Opens a pseudo-terminal whose terminal side starts in raw mode (no echo, no line editing,
    /// no CR/LF translation) at `baud`, and optionally links `link` to it.
    ///
    /// # Errors
    /// The OS error, with what failed.
    pub fn open(baud: u32, link: Option<&Path>) -> Result<Self, String> {
        let error = |what: &str, e: std::io::Error| format!("{what}: {e}");
        let controller = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)
            .map_err(|e| error("cannot open a pseudo-terminal", e.into()))?;
        grantpt(&controller).map_err(|e| error("grantpt", e.into()))?;
        unlockpt(&controller).map_err(|e| error("unlockpt", e.into()))?;
        let name = ptsname(&controller, Vec::new()).map_err(|e| error("ptsname", e.into()))?;
        let path = PathBuf::from(name.to_string_lossy().into_owned());
        let mut termios = tcgetattr(&controller).map_err(|e| error("tcgetattr", e.into()))?;
        termios.make_raw();
        // A speed the port really has, so a client that never sets one reads the truth.
        let _ = termios.set_speed(baud);
        tcsetattr(&controller, OptionalActions::Now, &termios)
            .map_err(|e| error("tcsetattr", e.into()))?;
        packet_mode(&controller).map_err(|e| error("TIOCPKT", e))?;
        let flags = rustix::fs::fcntl_getfl(&controller).map_err(|e| error("fcntl", e.into()))?;
        rustix::fs::fcntl_setfl(&controller, flags | OFlags::NONBLOCK)
            .map_err(|e| error("fcntl", e.into()))?;
        if let Some(link) = link {
            let _ = std::fs::remove_file(link);
            std::os::unix::fs::symlink(&path, link).map_err(|e| {
                format!("cannot link {} to {}: {e}", link.display(), path.display())
            })?;
        }
        Ok(Self {
            controller: File::from(controller),
            path,
            link: link.map(Path::to_path_buf),
        })
    }

    /// The terminal side's path (`/dev/pts/N`).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stable link to it, if one was asked for.
    #[must_use]
    pub fn link(&self) -> Option<&Path> {
        self.link.as_deref()
    }

    /// Whether a client is connected and whether it wrote something (no waiting).
    ///
    /// # Errors
    /// The poll error.
    pub fn readiness(&self) -> Result<Readiness, String> {
        let fd = self.controller.as_fd();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let timeout = rustix::event::Timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        poll(&mut fds, Some(&timeout)).map_err(|e| format!("poll: {e}"))?;
        let events = fds[0].revents();
        Ok(Readiness {
            connected: !events.contains(PollFlags::HUP),
            readable: events.contains(PollFlags::IN),
        })
    }

    /// The client's termios (the terminal side's).
    ///
    /// # Errors
    /// The OS error.
    pub fn termios(&self) -> Result<Termios, String> {
        tcgetattr(&self.controller).map_err(|e| format!("tcgetattr: {e}"))
    }

    /// Reads what the client wrote (at most `buffer.len()` bytes) or a flush it made.
    ///
    /// # Errors
    /// A read error other than "would block" or "no client" (EIO).
    pub fn read(&mut self, buffer: &mut [u8]) -> Result<Incoming, String> {
        let mut packet = vec![0u8; buffer.len().saturating_add(1)];
        let count = match self.controller.read(&mut packet) {
            Ok(count) => count,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => 0,
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) => 0,
            Err(e) => return Err(format!("reading the pty: {e}")),
        };
        let Some((&status, data)) = packet.get(..count).and_then(<[u8]>::split_first) else {
            return Ok(Incoming::Nothing);
        };
        if status != 0 {
            return Ok(Incoming::Flushed {
                output: status & TIOCPKT_FLUSHWRITE != 0,
                input: status & TIOCPKT_FLUSHREAD != 0,
            });
        }
        let taken = data.len().min(buffer.len());
        buffer
            .get_mut(..taken)
            .unwrap_or_default()
            .copy_from_slice(data.get(..taken).unwrap_or_default());
        Ok(if taken == 0 {
            Incoming::Nothing
        } else {
            Incoming::Data(taken)
        })
    }

    /// Takes everything the client wrote that the bridge has not read yet.
    pub fn take_pending(&mut self) -> Vec<u8> {
        let mut taken = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match self.read(&mut buffer) {
                Ok(Incoming::Data(count)) => {
                    taken.extend_from_slice(buffer.get(..count).unwrap_or_default());
                }
                Ok(Incoming::Flushed { .. }) => {}
                Ok(Incoming::Nothing) | Err(_) => break,
            }
        }
        taken
    }

    /// Throws away what the client wrote and the bridge has not read yet; returns how much.
    pub fn discard_pending(&mut self) -> u64 {
        self.take_pending().len() as u64
    }

    /// Writes as much of `bytes` as the terminal's input queue takes now; returns how many.
    ///
    /// # Errors
    /// A write error other than "would block" or "no client".
    pub fn write(&mut self, bytes: &[u8]) -> Result<usize, String> {
        match self.controller.write(bytes) {
            Ok(count) => Ok(count),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => Ok(0),
            Err(e) if e.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) => Ok(0),
            Err(e) => Err(format!("writing the pty: {e}")),
        }
    }

    /// After a client closed: throws away what the bridge wrote and it never read, so the next
    /// client does not get it. Returns how many bytes that was.
    pub fn flush_terminal_input(&mut self) -> u64 {
        // The terminal's input queue is reached through a descriptor of its own; opening it
        // briefly looks like a client, which the next readiness check no longer sees.
        let Ok(terminal) = rustix::fs::open(
            &self.path,
            OFlags::RDWR | OFlags::NOCTTY | OFlags::NONBLOCK | OFlags::CLOEXEC,
            Mode::empty(),
        ) else {
            return 0;
        };
        let unread = rustix::io::ioctl_fionread(&terminal).unwrap_or(0);
        let _ = tcflush(&terminal, QueueSelector::IFlush);
        unread
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Some(link) = &self.link {
            let _ = std::fs::remove_file(link);
        }
    }
}
