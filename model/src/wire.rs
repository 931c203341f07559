//! What is plugged into the serial ports of a [`crate::board::Board`], and how each plug maps
//! modem-control outputs to modem-status inputs.

use crate::uart::{ModemInputs, ModemOutputs};

/// What the port (or ports) of a board are connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Topology {
    /// One port, nothing plugged in: transmitted characters vanish, all modem inputs inactive.
    #[default]
    Nothing,
    /// One port with a loopback plug: TX → RX, RTS → CTS, DTR → DSR + DCD + RI.
    Loopback,
    /// Two ports (0 and 1) joined by a null-modem cable: TX ↔ RX crossed, RTS → other CTS,
    /// DTR → other DSR + DCD.
    NullModem,
    /// One port connected to a [`crate::peer::ScriptedPeer`].
    Peer,
}

impl Topology {
    /// Number of UART ports the board has.
    pub const fn port_count(self) -> usize {
        match self {
            Self::NullModem => 2,
            Self::Nothing | Self::Loopback | Self::Peer => 1,
        }
    }
}

/// Inputs a loopback plug feeds back from the same port's outputs.
pub const fn loopback_plug(outputs: ModemOutputs) -> ModemInputs {
    ModemInputs {
        cts: outputs.rts,
        dsr: outputs.dtr,
        ri: outputs.dtr,
        dcd: outputs.dtr,
    }
}

/// Inputs a null-modem cable feeds to one port from the other port's outputs (RI is not wired).
pub const fn null_modem(other: ModemOutputs) -> ModemInputs {
    ModemInputs {
        cts: other.rts,
        dsr: other.dtr,
        ri: false,
        dcd: other.dtr,
    }
}
