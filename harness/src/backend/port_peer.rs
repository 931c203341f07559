//! A [`Peer`] made of a second real port at the far end of a null-modem cable: how the harness
//! scripts the far end on Windows (`--peer COMy`). Built only on the [`Port`] trait, so it works
//! over any backend (and is tested on the model's null-modem board).
//!
//! What a real peer can do, and how:
//! - bytes at any frame format: SET_BAUD_RATE / SET_LINE_CONTROL on the peer port, then a write;
//! - a parity error: the character is sent with the opposite parity (odd ↔ even, mark ↔ space),
//!   so it needs a parity setting on both sides;
//! - a framing error: the character is sent with a space parity bit where the far receiver,
//!   which has no parity, expects its stop bit (so it needs no parity on the line, and a
//!   nonzero character, or the receiver sees a break);
//! - a break: SET_BREAK_ON, two character times (at least 10 ms), SET_BREAK_OFF;
//! - modem lines: a null-modem cable wires the peer's RTS to our CTS and its DTR to our DSR and
//!   DCD, so CTS is set with SET/CLR_RTS, DSR and DCD together with SET/CLR_DTR; RI is not wired.
//!
//! Before a fault the peer lets everything it sent leave the wire, and it lets the faulty
//! character leave before restoring its frame, so a fault never corrupts its neighbours.
//!
//! A real peer cannot schedule a send or a line change ahead while the scenario blocks in a read,
//! so `delay_ms` other than 0 is [`PortError::Unsupported`] (the scenario is skipped).

use serial_ioctl::SerialIoctl;

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
    /// Characters handed to the peer's UART that may still be in its FIFO or shift register.
    on_the_way: u64,
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
    /// Takes over `port` (already open): 9600 8N1, no flow control, DTR and RTS off (so the
    /// port under test starts with CTS, DSR and DCD low, as with the model's peer), reads return
    /// at once.
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
            on_the_way: 0,
            sleep,
        };
        peer.apply_frame(FrameSpec::eight_n_one(9600))?;
        let handflow = serial_ioctl::SerialHandflow {
            control_handshake: 0,
            flow_replace: 0,
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

    /// Waits until everything sent so far has left the wire (writes complete when their bytes
    /// are in the UART, which holds up to 16 more plus the shift register).
    fn settle(&mut self) -> Result<(), PortError> {
        self.drain()?;
        let pending = self.on_the_way.min(17);
        self.on_the_way = 0;
        if pending > 0 {
            self.pause((pending + 1) * self.character_ms());
        }
        Ok(())
    }

    /// Sends one character in `frame`, lets it leave the wire, and restores the normal frame.
    fn send_odd_character(&mut self, frame: FrameSpec, data: u8) -> Result<(), PortError> {
        let normal = self.frame;
        self.apply_frame(frame)?;
        let handle = self.port.start_write(&[data])?;
        let _ = self.port.wait(handle, 10_000)?;
        self.pause(2 * self.character_ms());
        self.apply_frame(normal)
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
        not_delayed(delay_ms)?;
        if let Some(frame) = frame
            && frame != self.frame
        {
            self.settle()?;
            self.apply_frame(frame)?;
        }
        let handle = self.port.start_write(bytes)?;
        self.sending.push(handle);
        self.on_the_way += bytes.len() as u64;
        Ok(())
    }

    fn send_fault(
        &mut self,
        fault: LineFault,
        data: u8,
        delay_ms: Millis,
    ) -> Result<(), PortError> {
        not_delayed(delay_ms)?;
        self.settle()?;
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
                self.send_odd_character(
                    FrameSpec {
                        parity: opposite,
                        ..normal
                    },
                    data,
                )?;
            }
            LineFault::Framing => {
                if normal.parity != 'N' {
                    return Err(PortError::Unsupported(
                        "a real peer makes framing errors only on a line without parity".into(),
                    ));
                }
                // A zero byte would hold the line low for a whole character: a break.
                let data = if data == 0 { 0x55 } else { data };
                self.send_odd_character(
                    FrameSpec {
                        parity: 'S',
                        ..normal
                    },
                    data,
                )?;
            }
            LineFault::Break => {
                self.ioctl(SerialIoctl::SetBreakOn, &[])?;
                let hold = (2 * self.character_ms()).max(10);
                self.pause(hold);
                self.ioctl(SerialIoctl::SetBreakOff, &[])?;
                self.pause(self.character_ms());
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
        not_delayed(delay_ms)?;
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

/// A real peer acts now or not at all (see the module documentation).
fn not_delayed(delay_ms: Millis) -> Result<(), PortError> {
    if delay_ms == 0 {
        Ok(())
    } else {
        Err(PortError::Unsupported(
            "a real peer cannot schedule sends or line changes ahead (delay_ms)".into(),
        ))
    }
}
