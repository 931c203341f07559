//! Time as the harness measures it: one clock per bench, in the NT unit of 100 ns.
//!
//! On the model the clock is the machine's virtual clock, exact and reproducible. On Windows it is
//! the process's monotonic clock, so expectations about elapsed time are checked within the
//! tolerance of [`Timing::Real`].

use std::fmt;

use serde::Serialize;

/// Milliseconds, the unit scenarios and COMMTIMEOUTS speak.
pub type Millis = u64;

/// 100-ns units per millisecond.
pub const UNITS_PER_MS: u64 = 10_000;

/// A point on a bench's clock: 100-ns units since the bench was created.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Timestamp(pub u64);

impl Timestamp {
    /// The bench's start.
    pub const ZERO: Self = Self(0);

    /// A timestamp `ms` milliseconds after the bench's start.
    #[must_use]
    pub const fn from_millis(ms: Millis) -> Self {
        Self(ms.saturating_mul(UNITS_PER_MS))
    }

    /// 100-ns units since the bench's start.
    #[must_use]
    pub const fn as_100ns(self) -> u64 {
        self.0
    }

    /// Time from `earlier` to `self` in milliseconds (0 if `earlier` is later).
    #[must_use]
    pub fn millis_since(self, earlier: Self) -> f64 {
        // Precision loss only past 2^53 × 100 ns (28 years).
        #[allow(clippy::cast_precision_loss)]
        let units = self.0.saturating_sub(earlier.0) as f64;
        units / 10_000.0
    }

    /// This timestamp plus `ms` milliseconds.
    #[must_use]
    pub const fn plus_millis(self, ms: Millis) -> Self {
        Self(self.0.saturating_add(ms.saturating_mul(UNITS_PER_MS)))
    }
}

impl fmt::Display for Timestamp {
    /// Milliseconds with four decimals (the full 100-ns resolution): `12.0417 ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:04} ms",
            self.0 / UNITS_PER_MS,
            self.0 % UNITS_PER_MS
        )
    }
}

/// How elapsed-time expectations are judged on a bench.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Timing {
    /// Virtual time: a window `[min, max]` is checked exactly.
    Virtual,
    /// Real time: a window is widened by [`Timing::tolerance_ms`] on each side.
    Real {
        /// The system timer period the driver's timers are rounded to (Windows: 15.625 ms by
        /// default; 16 is used).
        tick_ms: Millis,
    },
}

impl Timing {
    /// The slack allowed around a bound of `bound_ms` milliseconds.
    ///
    /// Rule for real time: ± (max(20 ms, 10 % of the bound) + one timer tick). Timer-based
    /// completions on Windows may be up to a tick late (or, per the DDI, a tick early), thread
    /// scheduling adds a few milliseconds, and a long timeout drifts proportionally. On virtual
    /// time the slack is zero: the model is exact.
    #[must_use]
    pub fn tolerance_ms(self, bound_ms: Millis) -> Millis {
        match self {
            Self::Virtual => 0,
            Self::Real { tick_ms } => (bound_ms / 10).max(20).saturating_add(tick_ms),
        }
    }

    /// Whether `elapsed_ms` lies in `[min, max]` widened by the tolerance.
    #[must_use]
    pub fn accepts(self, elapsed_ms: f64, min: Option<f64>, max: Option<f64>) -> bool {
        let (low, high) = self.widen(min, max);
        low.is_none_or(|low| elapsed_ms >= low) && high.is_none_or(|high| elapsed_ms <= high)
    }

    /// The window `[min, max]` after widening by the tolerance (the lower bound never below 0).
    #[must_use]
    pub fn widen(self, min: Option<f64>, max: Option<f64>) -> (Option<f64>, Option<f64>) {
        let slack = |bound: f64| {
            // Bounds are small positive millisecond counts; truncation is intended.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let whole = bound.max(0.0) as Millis;
            #[allow(clippy::cast_precision_loss)]
            let tolerance = self.tolerance_ms(whole) as f64;
            tolerance
        };
        (
            min.map(|min| (min - slack(min)).max(0.0)),
            max.map(|max| max + slack(max)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_windows_are_exact() {
        assert!(Timing::Virtual.accepts(100.0, Some(100.0), Some(100.0)));
        assert!(!Timing::Virtual.accepts(99.999, Some(100.0), None));
        assert!(!Timing::Virtual.accepts(100.001, None, Some(100.0)));
    }

    #[test]
    fn real_windows_widen_by_the_documented_rule() {
        let real = Timing::Real { tick_ms: 16 };
        // 20 ms floor + 16 ms tick.
        assert_eq!(real.tolerance_ms(50), 36);
        // 10 % of 1000 + 16.
        assert_eq!(real.tolerance_ms(1000), 116);
        assert!(real.accepts(135.0, None, Some(100.0)));
        assert!(!real.accepts(137.0, None, Some(100.0)));
        assert!(real.accepts(0.0, Some(30.0), None));
    }

    #[test]
    fn timestamps_print_in_milliseconds() {
        assert_eq!(Timestamp(120_417).to_string(), "12.0417 ms");
        assert!((Timestamp(20_000).millis_since(Timestamp(5_000)) - 1.5).abs() < 1e-9);
    }
}
