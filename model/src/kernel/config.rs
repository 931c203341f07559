//! [`MachineConfig`]: everything that shapes a run, with defaults and the replay environment.

use serial_engine::DeviceConfig;

use super::cost::CostBudget;
use super::strategy::Strategy;
use crate::uart::UartConfig;
use crate::wire::Topology;

/// The environment variable that replaces the strategy's seed ([`MachineConfig::from_env_or`]).
pub const SEED_VAR: &str = "SERIAL_MODEL_SEED";
/// The environment variable that replaces the CPU count.
pub const CPUS_VAR: &str = "SERIAL_MODEL_CPUS";

/// The IRQL I/O requests (read, write, IOCTL) arrive at. KMDF may present them at PASSIVE or,
/// when the sender runs at DISPATCH, at DISPATCH; the engine must cope with both.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum IoDispatchLevel {
    /// Always PASSIVE_LEVEL.
    Passive,
    /// Always DISPATCH_LEVEL.
    Dispatch,
    /// Chosen by the strategy per request (RoundRobin: PASSIVE).
    #[default]
    Either,
}

/// How a machine is built and scheduled.
///
/// Defaults: 2 CPUs, `Random { seed: 0x5EED }`, one port with nothing plugged in, datasheet UART,
/// default device settings, a 1 ms timer tick, the documented ISR/DPC budgets as warnings,
/// violations reported at the end of the run.
#[derive(Clone, Debug)]
pub struct MachineConfig {
    /// Number of virtual CPUs (≥ 1).
    pub cpus: usize,
    /// Who picks the interleaving.
    pub strategy: Strategy,
    /// What the board's ports are connected to.
    pub topology: Topology,
    /// UART model settings.
    pub uart: UartConfig,
    /// Engine settings for every port.
    pub device: DeviceConfig,
    /// Clock tick in 100 ns units: timers and delays expire on the first tick at or after their due
    /// time (never earlier). 1 or 0 = exact.
    pub timer_tick: u64,
    /// ISR/DPC cost model and budgets.
    pub cost_budget: CostBudget,
    /// Stop the run at the first violation (instead of collecting them all).
    pub fail_fast: bool,
    /// Panic (failing the test) when a run halts and when the machine is dropped with
    /// violations; off, read them with [`crate::kernel::Machine::violations`] or
    /// [`crate::kernel::Machine::finish`].
    pub panic_on_violation: bool,
    /// The IRQL I/O requests arrive at.
    pub io_dispatch_level: IoDispatchLevel,
}

impl Default for MachineConfig {
    fn default() -> Self {
        Self {
            cpus: 2,
            strategy: Strategy::default(),
            topology: Topology::Nothing,
            uart: UartConfig::default(),
            device: DeviceConfig::default(),
            timer_tick: 10_000,
            cost_budget: CostBudget::default(),
            fail_fast: false,
            panic_on_violation: true,
            io_dispatch_level: IoDispatchLevel::default(),
        }
    }
}

impl MachineConfig {
    /// `default`, with the seed from `SERIAL_MODEL_SEED` (decimal or 0x-hex) and the CPU count
    /// from `SERIAL_MODEL_CPUS` when they are set: the replay line of a failure sets both.
    #[must_use]
    pub fn from_env_or(mut default: Self) -> Self {
        if let Some(seed) = std::env::var(SEED_VAR)
            .ok()
            .as_deref()
            .and_then(parse_number)
        {
            default.strategy = default.strategy.with_seed(seed);
        }
        if let Some(cpus) = std::env::var(CPUS_VAR)
            .ok()
            .as_deref()
            .and_then(parse_number)
        {
            default.cpus = usize::try_from(cpus).unwrap_or(1).max(1);
        }
        default
    }
}

fn parse_number(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}
