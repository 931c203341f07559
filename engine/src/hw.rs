//! Register access with the shadow registers kept in step. Used only inside the ISR or under the
//! interrupt lock.

use crate::kernel::{Kernel, Register};
use crate::state::IsrState;
use crate::uart::IER_THRE;

/// Writes MCR and its shadow. While recovery has the UART masked, OUT2 (the board's interrupt
/// gate) stays off whatever the caller asks for.
pub fn write_mcr<K: Kernel>(kernel: &K, state: &mut IsrState, value: u8) {
    let value = if state.health.masked {
        value & !crate::uart::MCR_OUT2
    } else {
        value
    };
    state.mcr = value;
    kernel.write_register(Register::ModemControl, value);
}

/// Writes LCR (without DLAB) and its shadow.
pub fn write_lcr<K: Kernel>(kernel: &K, state: &mut IsrState, value: u8) {
    state.lcr = value & !crate::uart::LCR_DLAB;
    kernel.write_register(Register::LineControl, state.lcr);
}

/// Programs the divisor latch, restoring LCR afterwards.
pub fn write_divisor<K: Kernel>(kernel: &K, state: &IsrState, divisor: u16) {
    let [low, high] = divisor.to_le_bytes();
    kernel.write_register(Register::LineControl, state.lcr | crate::uart::LCR_DLAB);
    kernel.write_register(Register::Data, low);
    kernel.write_register(Register::InterruptEnable, high);
    kernel.write_register(Register::LineControl, state.lcr);
}

/// Makes the UART raise a fresh THRE interrupt so the ISR starts sending: the 0→1 edge of
/// IER.ETBEI while THR is empty re-arms THRE (serial-semantics.md §13.3). Only needed while the
/// transmitter is idle; otherwise the next THRE interrupt picks the work up.
pub fn kick_transmitter<K: Kernel>(kernel: &K, state: &mut IsrState) {
    if !state.open || !state.tx.idle || state.ier & IER_THRE == 0 {
        return;
    }
    state.tx.idle = false;
    kernel.write_register(Register::InterruptEnable, 0);
    kernel.write_register(Register::InterruptEnable, state.ier);
}
