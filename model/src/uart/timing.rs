//! Exact line timing.
//!
//! Register accesses and deadlines use [`Time`] (100 ns units), which cannot represent a UART bit
//! exactly (one bit at 115 200 baud is 86.80 units). Internally every instant is an [`Exact`]: a
//! count of `1 / (10_000_000 × clock_hz)` seconds, so that one [`Time`] unit is `clock_hz` exact
//! units and one UART input-clock cycle is `10_000_000` exact units. Both conversions are integer,
//! so a long run of characters accumulates no rounding drift; an exact instant is rounded **up**
//! when reported, so a deadline is never earlier than the event it announces.

use super::Time;

/// An instant or duration in exact units (see the module documentation).
pub type Exact = u128;

/// Exact units per UART input-clock cycle.
const EXACT_PER_CYCLE: Exact = 10_000_000;

/// Converts between [`Time`], UART clock cycles and [`Exact`] for one input clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timebase {
    clock_hz: u32,
}

impl Timebase {
    /// A timebase for a UART fed with `clock_hz` (0 is treated as 1 Hz to keep arithmetic defined).
    pub fn new(clock_hz: u32) -> Self {
        Self {
            clock_hz: clock_hz.max(1),
        }
    }

    /// The input clock in Hz.
    pub fn clock_hz(&self) -> u32 {
        self.clock_hz
    }

    /// The exact instant of a [`Time`].
    pub fn from_time(&self, time: Time) -> Exact {
        Exact::from(time) * Exact::from(self.clock_hz)
    }

    /// The first [`Time`] at or after an exact instant (rounds up).
    pub fn to_time_ceil(&self, exact: Exact) -> Time {
        let clock = Exact::from(self.clock_hz);
        let time = exact.div_ceil(clock);
        Time::try_from(time).unwrap_or(Time::MAX)
    }

    /// The exact duration of `cycles` input-clock cycles.
    pub fn from_cycles(&self, cycles: u64) -> Exact {
        Exact::from(cycles) * EXACT_PER_CYCLE
    }

    /// A duration of `cycles` clock cycles in nanoseconds, rounded up.
    pub fn cycles_to_ns_ceil(&self, cycles: u64) -> u64 {
        let ns = (u128::from(cycles) * 1_000_000_000).div_ceil(u128::from(self.clock_hz));
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_round_up_and_are_exact_on_whole_units() {
        let tb = Timebase::new(1_843_200);
        assert_eq!(tb.to_time_ceil(tb.from_time(12_345)), 12_345);
        assert_eq!(tb.to_time_ceil(tb.from_time(12_345) + 1), 12_346);
        // 160 cycles (one 8N1 character at divisor 1) = 868.05.. units, reported as 869.
        assert_eq!(tb.to_time_ceil(tb.from_cycles(160)), 869);
        assert_eq!(tb.cycles_to_ns_ceil(160), 86_806);
    }
}
