//! Engine durations as NT relative times.
//!
//! `KeSetTimer` and `KeDelayExecutionThread` read a LARGE_INTEGER in 100-ns units: negative means
//! "relative to now", zero or positive means an absolute system time (100 ns since 1601). Passing a
//! positive relative interval is a classic bug: it names a moment in 1601 and fires at once.

use serial_engine::kernel::Duration;

/// The `QuadPart` of a relative due time `due` from now: always strictly negative.
///
/// A zero duration becomes -1 (100 ns from now) so it stays relative, and durations beyond
/// `i64::MAX` units (about 29 000 years) saturate.
#[must_use]
pub fn relative_due_time(due: Duration) -> i64 {
    let units = i64::try_from(due.as_100ns()).unwrap_or(i64::MAX).max(1);
    // `units` is in 1..=i64::MAX, so its negation cannot overflow.
    units.saturating_neg()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_become_negative_hundred_nanosecond_units() {
        assert_eq!(relative_due_time(Duration::from_millis(1)), -10_000);
        assert_eq!(relative_due_time(Duration::from_millis(250)), -2_500_000);
        assert_eq!(relative_due_time(Duration::from_micros(3)), -30);
    }

    #[test]
    fn zero_stays_relative() {
        assert_eq!(relative_due_time(Duration::ZERO), -1);
    }

    #[test]
    fn huge_durations_saturate_instead_of_turning_positive() {
        assert_eq!(relative_due_time(Duration::from_100ns(u64::MAX)), -i64::MAX);
        assert_eq!(relative_due_time(Duration::from_100ns(1 << 63)), -i64::MAX);
    }

    #[test]
    fn every_result_is_relative() {
        for units in [
            0_u64,
            1,
            2,
            9_999,
            10_000,
            u64::from(u32::MAX),
            1 << 62,
            u64::MAX,
        ] {
            assert!(
                relative_due_time(Duration::from_100ns(units)) < 0,
                "{units}"
            );
        }
    }
}
