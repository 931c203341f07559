//! A [`Peer`] made of a second real port at the far end of a null-modem cable: how the harness
//! scripts the far end on Windows (`--peer COMy`). Built only on the [`Port`] trait, so it works
//! over any backend (and is tested on the model's null-modem board).
//!
//! What a real peer can do, and how:
//! - bytes at any frame format: SET_BAUD_RATE / SET_LINE_CONTROL on the peer port, then a write;
//! - a parity error: the character is sent with the opposite parity (odd ↔ even, mark ↔ space),
//!   so it needs a parity setting on both sides;
//! - a framing error: a 0x00 sent at half the rate, so the far receiver samples a space where it
//!   expects the stop bit;
//! - a break: SET_BREAK_ON, two character times (at least 10 ms), SET_BREAK_OFF;
//! - modem lines: a null-modem cable wires the peer's RTS to our CTS and its DTR to our DSR and
//!   DCD, so CTS is set with SET/CLR_RTS, DSR and DCD together with SET/CLR_DTR; RI is not wired.
//!
//! A delay before sending blocks the scenario for that long (real time cannot run ahead).

use serial_ioctl::{SerialIoctl, handflow};

use crate::port::{FrameSpec, LineChange, LineFault, Peer, Port, PortError, RequestHandle};
use crate::time::Millis;

/// Lets time pass for a peer (a thread sleep on real time).
pub type Sleeper = Box<dyn FnMut(&mut dyn Port, Millis)>;

/// The far end as a second port. See the module documentation.
pub struct PortPeer {
    port: Box<dyn Port>,
    frame: FrameSpec,
    received: Vec<u8>,
    sending: Vec<RequestHandle>,
    sleep: Sleeper,
}

impl std::fmt::Debug for PortPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortPeer")
            .field("port", &self.port.label())
            .field("frame", &self.frame)
            .finish_non_exhaustive()
    }
}

impl PortPeer {
    /// Takes over `port` (already open): 9600 8N1, no flow control, reads return at once.
    /// `sleep` lets time pass (a thread sleep on real time).
    ///
    /// # Errors
    /// [`PortError`] when the peer port cannot be configured.
    pub fn new(port: Box<dyn Port>, sleep: Sleeper) -> Result<Self, PortError> {
        let mut peer = Self {
            port,
            frame: FrameSpec::eight_n_one(9600),
            received: Vec::new(),
            sending: Vec::new(),
            sleep,
        };
        peer.apply_frame(FrameSpec::eight_n_one(9600))?;
        let handflow = serial_ioctl::SerialHandflow {
            control_handshake: handflow::DTR_CONTROL,
            flow_replace: handflow::RTS_CONTROL,
            xon_limit: 0,
            xoff_limit: 0,
        };
        peer.ioctl(SerialIoctl::SetHandflow, bytemuck::bytes_of(&handflow))?;
        // ReadIntervalTimeout = MAXDWORD, others 0: a read returns what is buffered at once.
        let mut timeouts = [0u8; 20];
        timeouts[0..4].copy_from_slice(&u32::MAX.to_le_bytes());
        peer.ioctl(SerialIoctl::SetTimeouts, &timeouts)?;
        peer.ioctl(SerialIoctl::Purge, &0xFu32.to_le_bytes())?;
        Ok(peer)
    }

    fn ioctl(&mut self, ioctl: SerialIoctl, input: &[u8]) -> Result<(), PortError> {
        let result = self.port.device_control(ioctl.code(), input, 0)?;
        if result.status.is_success() {
            Ok(())
        } else {
            Err(PortError::Backend(format!(
                "peer port {}: IOCTL_SERIAL_{} completed {}",
                self.port.label(),
                ioctl.name(),
                result.status
            )))
        }
    }

    fn apply_frame(&mut self, frame: FrameSpec) -> Result<(), PortError> {
        self.ioctl(SerialIoctl::SetBaudRate, &frame.baud.to_le_bytes())?;
        let parity = match frame.parity {
            'O' => 1,
            'E' => 2,
            'M' => 3,
            'S' => 4,
            _ => 0,
        };
        let stop = frame.half_stop_bits.saturating_sub(2);
        self.ioctl(
            SerialIoctl::SetLineControl,
            &[stop, parity, frame.data_bits],
        )?;
        self.frame = frame;
        Ok(())
    }

    /// Finishes earlier sends so the line is free and the frame can change.
    fn drain(&mut self) -> Result<(), PortError> {
        for handle in std::mem::take(&mut self.sending) {
            let _ = self.port.wait(handle, 10_000)?;
        }
        Ok(())
    }

    /// One character time of the current frame in milliseconds (rounded up).
    fn character_ms(&self) -> Millis {
        let bits = 1
            + u64::from(self.frame.data_bits)
            + u64::from(self.frame.parity != 'N')
            + u64::from(self.frame.half_stop_bits).div_ceil(2);
        (bits * 1000).div_ceil(u64::from(self.frame.baud.max(1)))
    }

    fn pause(&mut self, ms: Millis) {
        if ms > 0 {
            (self.sleep)(self.port.as_mut(), ms);
        }
    }
}

impl Peer for PortPeer {
    fn send(
        &mut self,
        bytes: &[u8],
        frame: Option<FrameSpec>,
        delay_ms: Millis,
    ) -> Result<(), PortError> {
        if let Some(frame) = frame
            && frame != self.frame
        {
            self.drain()?;
            self.apply_frame(frame)?;
        }
        self.pause(delay_ms);
        let handle = self.port.start_write(bytes)?;
        self.sending.push(handle);
        Ok(())
    }

    fn send_fault(
        &mut self,
        fault: LineFault,
        data: u8,
        delay_ms: Millis,
    ) -> Result<(), PortError> {
        self.drain()?;
        self.pause(delay_ms);
        let normal = self.frame;
        match fault {
            LineFault::Parity => {
                let opposite = match normal.parity {
                    'O' => 'E',
                    'E' => 'O',
                    'M' => 'S',
                    'S' => 'M',
                    _ => {
                        return Err(PortError::Unsupported(
                            "a real peer makes parity errors only when a parity is set".into(),
                        ));
                    }
                };
                self.apply_frame(FrameSpec {
                    parity: opposite,
                    ..normal
                })?;
                let handle = self.port.start_write(&[data])?;
                let _ = self.port.wait(handle, 10_000)?;
                self.apply_frame(normal)?;
            }
            LineFault::Framing => {
                self.apply_frame(FrameSpec {
                    baud: (normal.baud / 2).max(1),
                    ..normal
                })?;
                let handle = self.port.start_write(&[0])?;
                let _ = self.port.wait(handle, 10_000)?;
                self.apply_frame(normal)?;
            }
            LineFault::Break => {
                self.ioctl(SerialIoctl::SetBreakOn, &[])?;
                let hold = (2 * self.character_ms()).max(10);
                self.pause(hold);
                self.ioctl(SerialIoctl::SetBreakOff, &[])?;
            }
        }
        Ok(())
    }

    fn set_lines(&mut self, change: LineChange, delay_ms: Millis) -> Result<(), PortError> {
        if change.ri.is_some() {
            return Err(PortError::Unsupported(
                "a null-modem cable does not wire RI".into(),
            ));
        }
        let dtr = match (change.dsr, change.dcd) {
            (Some(dsr), Some(dcd)) if dsr != dcd => {
                return Err(PortError::Unsupported(
                    "a null-modem cable drives DSR and DCD from one DTR".into(),
                ));
            }
            (Some(level), _) | (None, Some(level)) => Some(level),
            (None, None) => None,
        };
        self.pause(delay_ms);
        if let Some(cts) = change.cts {
            let ioctl = if cts {
                SerialIoctl::SetRts
            } else {
                SerialIoctl::ClrRts
            };
            self.ioctl(ioctl, &[])?;
        }
        if let Some(dtr) = dtr {
            let ioctl = if dtr {
                SerialIoctl::SetDtr
            } else {
                SerialIoctl::ClrDtr
            };
            self.ioctl(ioctl, &[])?;
        }
        Ok(())
    }

    fn received(&mut self) -> Result<Vec<u8>, PortError> {
        loop {
            let result = self.port.read(4096)?;
            if result.data.is_empty() {
                break;
            }
            self.received.extend_from_slice(&result.data);
        }
        Ok(self.received.clone())
    }

    fn clear_received(&mut self) {
        self.received.clear();
    }
}
