//! GET_COMMSTATUS and GET_PROPERTIES (serial-semantics.md §9.1, §12.2).

use serial_ioctl::{SerialCommProp, SerialStatus, commprop, hold};

use crate::device::Device;
use crate::kernel::{Kernel, Request};
use crate::requests::Purpose;

impl<K: Kernel> Device<K> {
    /// The comm status; reading it clears the latched errors (and lifts the error-abort block).
    pub(crate) fn comm_status(&self) -> SerialStatus {
        self.with_shared(|shared| {
            let queued: usize = shared
                .writes
                .iter()
                .map(|held| match held.purpose {
                    Purpose::Write => held.request.input().len(),
                    Purpose::XoffCounter => 1,
                    _ => 0,
                })
                .fold(0usize, usize::saturating_add);
            let current = shared
                .current_write
                .as_ref()
                .map_or(0, |c| if c.counting { 0 } else { c.length });
            let immediate = usize::from(shared.immediate.is_some());
            self.sync(|s| {
                let errors = core::mem::take(&mut s.errors);
                let hold_reasons = s.flow.tx_holds
                    | (s.flow.rx_holds & (hold::TX_WAITING_XOFF_SENT | hold::RX_WAITING_FOR_DSR));
                let out = queued
                    .saturating_add(current.saturating_sub(if s.tx.active { s.tx.sent } else { 0 }))
                    .saturating_add(immediate);
                SerialStatus {
                    errors,
                    hold_reasons,
                    amount_in_in_queue: u32::try_from(s.rx.len()).unwrap_or(u32::MAX),
                    amount_in_out_queue: u32::try_from(out).unwrap_or(u32::MAX),
                    eof_received: 0,
                    wait_for_immediate: u8::from(s.tx.immediate.is_some()),
                    reserved: [0; 2],
                }
            })
        })
    }

    /// The static COMMPROP record. Every advertised BAUD_* rate is accepted by SET_BAUD_RATE.
    pub(crate) fn properties(&self) -> SerialCommProp {
        let clock = self.config.clock_hz;
        let settable_baud = commprop::NAMED_BAUD_RATES
            .iter()
            .filter(|(_, rate)| crate::line::divisor_for(*rate, clock).is_ok())
            .fold(commprop::BAUD_USER, |bits, (bit, _)| bits | bit);
        let rx_size = self.sync(|s| s.rx.capacity());
        SerialCommProp {
            packet_length: 64,
            packet_version: 2,
            service_mask: commprop::SP_SERIALCOMM,
            max_tx_queue: 0,
            max_rx_queue: 0,
            max_baud: commprop::BAUD_USER,
            prov_sub_type: commprop::SP_RS232,
            prov_capabilities: 0xFF,
            settable_params: 0x7F,
            settable_baud,
            settable_data: 0x0F,
            settable_stop_parity: 0x1F07,
            current_tx_queue: 0,
            current_rx_queue: u32::try_from(rx_size).unwrap_or(u32::MAX),
            ..SerialCommProp::default()
        }
    }
}
