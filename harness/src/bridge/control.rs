//! The bridge's control socket: what a pseudo-terminal cannot carry (modem input lines, a break
//! on the line), set by line commands on a Unix socket.
//!
//! Commands, one per line, optionally prefixed by the end (`0`/`a` or `1`/`b`; default 0):
//! `cts|dsr|dcd|ri on|off` (topology `none` only: otherwise the plug or cable drives them),
//! `break MS` (the port sends a break of MS milliseconds), `lines` (the port's DTR/RTS and its
//! modem inputs), `help`. Each command gets one reply line starting `ok` or `error`.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// A modem input line a command sets.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum InputLine {
    /// Clear to send.
    Cts,
    /// Data set ready.
    Dsr,
    /// Data carrier detect.
    Dcd,
    /// Ring indicator.
    Ri,
}

/// One parsed command.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Set an input line of end `end`.
    Line {
        /// Which bridged end.
        end: usize,
        /// Which line.
        line: InputLine,
        /// Asserted.
        on: bool,
    },
    /// Send a break of `ms` milliseconds from end `end`.
    Break {
        /// Which bridged end.
        end: usize,
        /// Duration.
        ms: u64,
    },
    /// Report end `end`'s lines.
    Lines {
        /// Which bridged end.
        end: usize,
    },
    /// List the commands.
    Help,
}

/// The help text.
pub const HELP: &str = "commands: [0|1] cts|dsr|dcd|ri on|off; [0|1] break MS; [0|1] lines; help";

/// Parses one command line.
///
/// # Errors
/// What is wrong with it.
pub fn parse(line: &str) -> Result<Command, String> {
    let mut words: Vec<&str> = line.split_whitespace().collect();
    let end = match words.first().copied() {
        Some("0" | "a") => {
            words.remove(0);
            0
        }
        Some("1" | "b") => {
            words.remove(0);
            1
        }
        _ => 0,
    };
    match words.as_slice() {
        ["help"] => Ok(Command::Help),
        ["lines"] => Ok(Command::Lines { end }),
        ["break", ms] => ms
            .parse::<u64>()
            .ok()
            .filter(|ms| (1..=60_000).contains(ms))
            .map(|ms| Command::Break { end, ms })
            .ok_or_else(|| format!("'{ms}' is not a break length from 1 to 60000 ms")),
        [name, level] => {
            let line = match *name {
                "cts" => InputLine::Cts,
                "dsr" => InputLine::Dsr,
                "dcd" | "rlsd" => InputLine::Dcd,
                "ri" | "ring" => InputLine::Ri,
                other => return Err(format!("unknown line '{other}'; {HELP}")),
            };
            let on = match *level {
                "on" | "1" => true,
                "off" | "0" => false,
                other => return Err(format!("'{other}' is neither on nor off")),
            };
            Ok(Command::Line { end, line, on })
        }
        _ => Err(format!("cannot parse '{}'; {HELP}", line.trim())),
    }
}

/// The listening socket and its connected clients.
#[derive(Debug)]
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
    /// Connected clients; a closed one leaves `None`, so indices stay valid for replies.
    clients: Vec<Option<(UnixStream, Vec<u8>)>>,
}

impl ControlSocket {
    /// Listens on `path` (an old socket there is replaced).
    ///
    /// # Errors
    /// The OS error.
    pub fn bind(path: &Path) -> Result<Self, String> {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path)
            .map_err(|e| format!("cannot listen on {}: {e}", path.display()))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| format!("control socket: {e}"))?;
        Ok(Self {
            listener,
            path: path.to_path_buf(),
            clients: Vec::new(),
        })
    }

    /// Accepts new clients and returns every complete command line received, with the client
    /// it came from.
    pub fn poll(&mut self) -> Vec<(usize, String)> {
        while let Ok((stream, _)) = self.listener.accept() {
            if stream.set_nonblocking(true).is_ok() {
                self.clients.push(Some((stream, Vec::new())));
            }
        }
        let mut lines = Vec::new();
        for (index, slot) in self.clients.iter_mut().enumerate() {
            let Some((stream, pending)) = slot.as_mut() else {
                continue;
            };
            let mut buffer = [0u8; 512];
            let mut closed = false;
            loop {
                match stream.read(&mut buffer) {
                    Ok(0) => {
                        closed = true;
                        break;
                    }
                    Ok(count) => pending.extend_from_slice(buffer.get(..count).unwrap_or(&[])),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed = true;
                        break;
                    }
                }
            }
            while let Some(newline) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=newline).collect();
                let text = String::from_utf8_lossy(&line).trim().to_owned();
                if !text.is_empty() {
                    lines.push((index, text));
                }
            }
            if closed {
                // Its last commands still run; their replies go nowhere.
                *slot = None;
            }
        }
        lines
    }

    /// Sends `text` (one line) to `client`.
    pub fn reply(&mut self, client: usize, text: &str) {
        if let Some(Some((stream, _))) = self.clients.get_mut(client) {
            let _ = stream.write_all(format!("{text}\n").as_bytes());
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_and_without_an_end() {
        assert_eq!(
            parse("dsr off"),
            Ok(Command::Line {
                end: 0,
                line: InputLine::Dsr,
                on: false
            })
        );
        assert_eq!(
            parse("b ri on"),
            Ok(Command::Line {
                end: 1,
                line: InputLine::Ri,
                on: true
            })
        );
        assert_eq!(parse("1 break 250"), Ok(Command::Break { end: 1, ms: 250 }));
        assert_eq!(parse("lines"), Ok(Command::Lines { end: 0 }));
        assert!(parse("break 0").is_err());
        assert!(parse("rts on").unwrap_err().contains("unknown line"));
        assert!(parse("dsr maybe").is_err());
    }
}
