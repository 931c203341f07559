//! The hardware behind the driver: UART ports, the plug or cable on them, and a scripted peer, all
//! advanced together on one virtual clock.
//!
//! The board steps through every internal deadline in time order, so a character that leaves one
//! UART at `t` reaches the other end at `t`, and a modem-control change is seen across the cable at
//! the instant of the register write. Advance the board, not its UARTs: a UART advanced on its own
//! gets ahead of its wiring.

use crate::peer::ScriptedPeer;
use crate::uart::{Time, Uart16550, UartConfig};
use crate::wire::{self, Topology};

/// Ports, wiring and peer. See the module documentation.
#[derive(Debug, Clone)]
pub struct Board {
    topology: Topology,
    uarts: Vec<Uart16550>,
    peer: Option<ScriptedPeer>,
    now: Time,
}

/// What a read of a port that does not exist returns (a floating ISA bus).
pub const FLOATING_BUS: u8 = 0xFF;

impl Board {
    /// A board with `topology`; [`Topology::NullModem`] has ports 0 and 1, the others port 0.
    /// [`Topology::Peer`] gets a default 9600 8N1 peer.
    pub fn new(topology: Topology, config: UartConfig) -> Self {
        let peer = (topology == Topology::Peer).then(ScriptedPeer::default);
        Self::build(topology, config, peer)
    }

    /// A one-port board connected to `peer`.
    pub fn with_peer(config: UartConfig, peer: ScriptedPeer) -> Self {
        Self::build(Topology::Peer, config, Some(peer))
    }

    fn build(topology: Topology, config: UartConfig, peer: Option<ScriptedPeer>) -> Self {
        let uarts = (0..topology.port_count())
            .map(|_| Uart16550::new(config))
            .collect();
        let mut board = Self {
            topology,
            uarts,
            peer,
            now: 0,
        };
        board.exchange();
        board
    }

    /// How the ports are connected.
    pub fn topology(&self) -> Topology {
        self.topology
    }

    /// Number of UART ports.
    pub fn port_count(&self) -> usize {
        self.uarts.len()
    }

    /// The time the board has been advanced to.
    pub fn now(&self) -> Time {
        self.now
    }

    /// Reads a register of `port` at `now` (the whole board is advanced first). A missing port
    /// reads [`FLOATING_BUS`].
    pub fn read(&mut self, port: usize, offset: u8, now: Time) -> u8 {
        self.advance(now);
        let at = self.now;
        let value = self
            .uarts
            .get_mut(port)
            .map_or(FLOATING_BUS, |uart| uart.read(offset, at));
        self.advance(at);
        value
    }

    /// Writes a register of `port` at `now` (the whole board is advanced first); its effects on
    /// the wiring are visible at once. Writes to a missing port are ignored.
    pub fn write(&mut self, port: usize, offset: u8, value: u8, now: Time) {
        self.advance(now);
        let at = self.now;
        if let Some(uart) = self.uarts.get_mut(port) {
            uart.write(offset, value, at);
        }
        self.advance(at);
    }

    /// The interrupt line of `port` (false for a missing port).
    pub fn irq_line(&self, port: usize) -> bool {
        self.uarts.get(port).is_some_and(Uart16550::irq_line)
    }

    /// The earliest deadline of any UART or the peer.
    pub fn next_deadline(&self) -> Option<Time> {
        let uarts = self.uarts.iter().filter_map(Uart16550::next_deadline);
        let peer = self.peer.as_ref().and_then(ScriptedPeer::next_deadline);
        uarts.chain(peer).min()
    }

    /// Advances everything to `now`, stepping through every deadline in time order and moving
    /// characters and modem lines across the wiring at each step.
    pub fn advance(&mut self, now: Time) {
        let now = now.max(self.now);
        loop {
            self.exchange();
            match self.next_deadline() {
                Some(deadline) if deadline <= now => self.step_to(deadline),
                _ => break,
            }
        }
        self.step_to(now);
    }

    /// Port `port`.
    ///
    /// # Panics
    /// If the port does not exist.
    pub fn uart(&self, port: usize) -> &Uart16550 {
        &self.uarts[port]
    }

    /// Port `port`, mutable. Do not advance it on its own (see the module documentation).
    ///
    /// # Panics
    /// If the port does not exist.
    pub fn uart_mut(&mut self, port: usize) -> &mut Uart16550 {
        &mut self.uarts[port]
    }

    /// The scripted peer, with [`Topology::Peer`].
    pub fn peer(&mut self) -> Option<&mut ScriptedPeer> {
        self.peer.as_mut()
    }

    /// The scripted peer, read-only.
    pub fn peer_ref(&self) -> Option<&ScriptedPeer> {
        self.peer.as_ref()
    }

    fn step_to(&mut self, time: Time) {
        let time = time.max(self.now);
        for uart in &mut self.uarts {
            uart.advance(time);
        }
        if let Some(peer) = &mut self.peer {
            peer.advance(time);
        }
        self.now = time;
    }

    /// Moves characters across the wiring and re-drives every modem input from the outputs at the
    /// other end, at the current time.
    fn exchange(&mut self) {
        let now = self.now;
        if let (Some(peer), Some(uart)) = (self.peer.as_mut(), self.uarts.first_mut()) {
            for ch in peer.take_outgoing() {
                uart.receive(ch);
            }
        }
        for port in 0..self.uarts.len() {
            let sent = self
                .uarts
                .get_mut(port)
                .map(Uart16550::take_transmitted)
                .unwrap_or_default();
            for ch in sent {
                match self.topology {
                    Topology::Nothing => {}
                    Topology::Loopback => self
                        .uarts
                        .get_mut(port)
                        .into_iter()
                        .for_each(|uart| uart.receive(ch)),
                    Topology::NullModem => self
                        .uarts
                        .get_mut(1 - port)
                        .into_iter()
                        .for_each(|uart| uart.receive(ch)),
                    Topology::Peer => self.peer.iter_mut().for_each(|peer| peer.record(ch)),
                }
            }
        }
        let outputs: Vec<_> = self.uarts.iter().map(Uart16550::modem_outputs).collect();
        for (port, uart) in self.uarts.iter_mut().enumerate() {
            let inputs = match self.topology {
                // Nothing drives the inputs: leave them as they are (inactive unless a test set
                // them through `uart_mut`).
                Topology::Nothing => continue,
                Topology::Loopback => wire::loopback_plug(outputs[port]),
                Topology::NullModem => wire::null_modem(outputs[1 - port]),
                Topology::Peer => self
                    .peer
                    .as_ref()
                    .map(ScriptedPeer::lines)
                    .unwrap_or_default(),
            };
            if inputs != uart.external_modem_inputs() {
                uart.set_modem_inputs(inputs, now);
            }
        }
        if let (Some(peer), Some(first)) = (self.peer.as_mut(), outputs.first()) {
            peer.observe(*first, now);
        }
    }
}
