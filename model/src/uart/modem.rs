//! Modem control and status: MCR outputs, MSR inputs and deltas, loopback wiring (DTR → DSR,
//! RTS → CTS, OUT1 → RI, OUT2 → DCD).

use super::line::{ModemInputs, ModemOutputs};
use super::registers::{lcr, mcr, msr};
use super::{Time, Uart16550};

impl Uart16550 {
    /// Sets CTS/DSR/RI/DCD as driven from outside at `now`. Changes set the MSR delta bits (TERI
    /// only on RI going inactive). Ignored for MSR while in loopback, but remembered for when
    /// loopback ends.
    pub fn set_modem_inputs(&mut self, lines: ModemInputs, now: Time) {
        self.advance(now);
        self.external_inputs = lines;
        self.update_modem_lines();
        self.run_events(self.now);
    }

    /// The inputs driven from outside (whatever loopback does with them).
    pub fn external_modem_inputs(&self) -> ModemInputs {
        self.external_inputs
    }

    /// The modem-control pins: inactive in loopback; `break_condition` is SOUT held spacing.
    pub fn modem_outputs(&self) -> ModemOutputs {
        if self.loopback() {
            return ModemOutputs::default();
        }
        ModemOutputs {
            dtr: self.mcr & mcr::DTR != 0,
            rts: self.mcr & mcr::RTS != 0,
            out1: self.mcr & mcr::OUT1 != 0,
            out2: self.mcr & mcr::OUT2 != 0,
            break_condition: self.lcr & lcr::BREAK != 0,
        }
    }

    /// The modem lines MSR bits 7:4 show now.
    pub fn modem_lines(&self) -> ModemInputs {
        self.msr_lines
    }

    pub(super) fn write_mcr(&mut self, value: u8) {
        self.mcr = value & mcr::MASK;
        self.update_break();
        self.update_modem_lines();
    }

    pub(super) fn read_msr(&mut self) -> u8 {
        let value = self.msr_value();
        self.msr_deltas = 0;
        value
    }

    fn msr_value(&self) -> u8 {
        let lines = self.msr_lines;
        let mut value = self.msr_deltas;
        for (asserted, bit) in [
            (lines.cts, msr::CTS),
            (lines.dsr, msr::DSR),
            (lines.ri, msr::RI),
            (lines.dcd, msr::DCD),
        ] {
            if asserted {
                value |= bit;
            }
        }
        value
    }

    fn looped_lines(&self) -> ModemInputs {
        ModemInputs {
            cts: self.mcr & mcr::RTS != 0,
            dsr: self.mcr & mcr::DTR != 0,
            ri: self.mcr & mcr::OUT1 != 0,
            dcd: self.mcr & mcr::OUT2 != 0,
        }
    }

    fn update_modem_lines(&mut self) {
        let looped = self.loopback();
        let lines = if looped {
            self.looped_lines()
        } else {
            self.external_inputs
        };
        let old = self.msr_lines;
        // QEMU computes MSR from MCR in loopback without any delta.
        let silent = self.is_qemu() && (looped || self.msr_lines_from_loop);
        self.msr_lines = lines;
        self.msr_lines_from_loop = looped;
        if silent {
            return;
        }
        if lines.cts != old.cts {
            self.msr_deltas |= msr::DCTS;
        }
        if lines.dsr != old.dsr {
            self.msr_deltas |= msr::DDSR;
        }
        if lines.dcd != old.dcd {
            self.msr_deltas |= msr::DDCD;
        }
        if old.ri && !lines.ri {
            self.msr_deltas |= msr::TERI;
        }
    }
}
