//! Flow control and handshake lines (serial-semantics.md §10): which lines we drive, what holds
//! our transmitter, and when receive flow control throttles or releases the peer.
//! Everything here runs inside the ISR or under the interrupt lock.

use serial_ioctl::{handflow, hold};

use crate::hw;
use crate::kernel::Kernel;
use crate::state::IsrState;
use crate::uart::{MCR_DTR, MCR_RTS, MSR_CTS, MSR_DCD, MSR_DSR};

/// The RTS mode bits of FlowReplace.
fn rts_mode(flow_replace: u32) -> u32 {
    flow_replace & handflow::RTS_MASK
}

/// True when DTR is our receive flow control (SET/CLR_DTR are refused).
pub fn dtr_is_handshake(state: &IsrState) -> bool {
    state.handflow.control_handshake & handflow::DTR_MASK == handflow::DTR_HANDSHAKE
}

/// True when RTS is driven by handshake or transmit toggle (SET/CLR_RTS are refused).
pub fn rts_is_automatic(state: &IsrState) -> bool {
    matches!(
        rts_mode(state.handflow.flow_replace),
        handflow::RTS_HANDSHAKE | handflow::TRANSMIT_TOGGLE
    )
}

/// Drives DTR and RTS from the handshake settings. `force` applies both (at open); otherwise only
/// a line whose mode bits changed from `previous` is touched, as serial.sys does.
pub fn apply_lines<K: Kernel>(
    kernel: &K,
    state: &mut IsrState,
    previous: Option<serial_ioctl::SerialHandflow>,
) {
    let mut mcr = state.mcr;
    let dtr_mode = state.handflow.control_handshake & handflow::DTR_MASK;
    let dtr_changed = previous.is_none_or(|p| p.control_handshake & handflow::DTR_MASK != dtr_mode);
    if dtr_changed {
        match dtr_mode {
            handflow::DTR_CONTROL => mcr |= MCR_DTR,
            handflow::DTR_HANDSHAKE => {
                if state.flow.rx_throttled {
                    mcr &= !MCR_DTR
                } else {
                    mcr |= MCR_DTR
                }
            }
            _ => mcr &= !MCR_DTR,
        }
    }
    let mode = rts_mode(state.handflow.flow_replace);
    let rts_changed = previous.is_none_or(|p| rts_mode(p.flow_replace) != mode);
    if rts_changed {
        match mode {
            handflow::RTS_CONTROL => mcr |= MCR_RTS,
            handflow::RTS_HANDSHAKE => {
                if state.flow.rx_throttled {
                    mcr &= !MCR_RTS
                } else {
                    mcr |= MCR_RTS
                }
            }
            // Transmit toggle: RTS rises only while transmitting.
            _ => mcr &= !MCR_RTS,
        }
    }
    if mcr != state.mcr {
        hw::write_mcr(kernel, state, mcr);
    }
}

/// Recomputes the CTS/DSR/DCD transmit holds and the DSR-sensitivity receive hold from an MSR
/// value. Returns true if a transmit hold was lifted.
pub fn update_line_holds(state: &mut IsrState, msr: u8) -> bool {
    let shake = state.handflow.control_handshake;
    let before = state.flow.tx_holds;
    let mut holds =
        before & !(hold::TX_WAITING_FOR_CTS | hold::TX_WAITING_FOR_DSR | hold::TX_WAITING_FOR_DCD);
    if shake & handflow::CTS_HANDSHAKE != 0 && msr & MSR_CTS == 0 {
        holds |= hold::TX_WAITING_FOR_CTS;
    }
    if shake & handflow::DSR_HANDSHAKE != 0 && msr & MSR_DSR == 0 {
        holds |= hold::TX_WAITING_FOR_DSR;
    }
    if shake & handflow::DCD_HANDSHAKE != 0 && msr & MSR_DCD == 0 {
        holds |= hold::TX_WAITING_FOR_DCD;
    }
    state.flow.tx_holds = holds;
    if shake & handflow::DSR_SENSITIVITY != 0 && msr & MSR_DSR == 0 {
        state.flow.rx_holds |= hold::RX_WAITING_FOR_DSR;
    } else {
        state.flow.rx_holds &= !hold::RX_WAITING_FOR_DSR;
    }
    before & !holds != 0
}

/// The least distance between the level that holds the peer and the level that releases it,
/// whatever XonLimit and XoffLimit say. serial.sys uses the limits as given, so overlapping ones
/// (both the ring size, say) hold on every stored byte and release on every read; on a loopback
/// that echoes the port's own XON/XOFF, or with LSRMST records of its own DTR changes (three
/// bytes each), that never settles. A gap wider than such a record makes every hold and release
/// cost at least this many bytes received or read: forward progress.
pub const MIN_HOLD_GAP: usize = 8;

/// The stored count at which receive flow control holds the peer: BufferSize − XoffLimit
/// (serial.sys tests `count before + 1 ≥ BufferSize − XoffLimit` before storing, i.e. the hold
/// starts when the stored count reaches it), but never below [`MIN_HOLD_GAP`].
fn hold_level(state: &IsrState) -> usize {
    let capacity = state.rx.capacity();
    let limit = usize::try_from(state.handflow.xoff_limit.max(0)).unwrap_or(0);
    capacity
        .saturating_sub(limit)
        .max(MIN_HOLD_GAP)
        .min(capacity)
}

/// The stored count at or below which the peer is released: XonLimit, kept at least
/// [`MIN_HOLD_GAP`] below the hold level.
fn release_level(state: &IsrState) -> usize {
    let xon_limit = usize::try_from(state.handflow.xon_limit.max(0)).unwrap_or(0);
    xon_limit.min(hold_level(state).saturating_sub(MIN_HOLD_GAP))
}

fn throttle_needed(state: &IsrState) -> bool {
    state.rx.len() >= hold_level(state)
}

fn receive_flow_enabled(state: &IsrState) -> bool {
    dtr_is_handshake(state)
        || rts_mode(state.handflow.flow_replace) == handflow::RTS_HANDSHAKE
        || state.handflow.flow_replace & handflow::AUTO_RECEIVE != 0
}

/// After a byte is stored: hold the peer when the ring nears full (§10.4).
pub fn after_store<K: Kernel>(kernel: &K, state: &mut IsrState) {
    if state.flow.rx_throttled || !receive_flow_enabled(state) || !throttle_needed(state) {
        return;
    }
    state.flow.rx_throttled = true;
    let mut mcr = state.mcr;
    if dtr_is_handshake(state) {
        mcr &= !MCR_DTR;
    }
    if rts_mode(state.handflow.flow_replace) == handflow::RTS_HANDSHAKE {
        mcr &= !MCR_RTS;
    }
    if mcr != state.mcr {
        hw::write_mcr(kernel, state, mcr);
    }
    if state.handflow.flow_replace & handflow::AUTO_RECEIVE != 0 {
        state.flow.send_xon = false;
        state.flow.send_xoff = true;
        hw::kick_transmitter(kernel, state);
    }
}

/// After bytes leave the ring (reads, RXCLEAR): release the peer once at or below the release
/// level (XonLimit, see [`release_level`]).
pub fn after_drain<K: Kernel>(kernel: &K, state: &mut IsrState) {
    if !state.flow.rx_throttled {
        return;
    }
    if state.rx.len() > release_level(state) {
        return;
    }
    release_peer(kernel, state);
}

/// Lifts receive flow control unconditionally (limits changed, mode turned off, RXCLEAR).
pub fn release_peer<K: Kernel>(kernel: &K, state: &mut IsrState) {
    state.flow.rx_throttled = false;
    let mut mcr = state.mcr;
    if dtr_is_handshake(state) {
        mcr |= MCR_DTR;
    }
    if rts_mode(state.handflow.flow_replace) == handflow::RTS_HANDSHAKE {
        mcr |= MCR_RTS;
    }
    if mcr != state.mcr {
        hw::write_mcr(kernel, state, mcr);
    }
    if state.flow.send_xoff {
        // The XOFF never went out: nothing to undo.
        state.flow.send_xoff = false;
    } else if state.flow.rx_holds & hold::TX_WAITING_XOFF_SENT != 0 {
        state.flow.send_xon = true;
        hw::kick_transmitter(kernel, state);
    }
}
