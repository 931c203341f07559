//! SERIAL_TIMEOUTS arithmetic: the read-timeout matrix and write totals (serial-semantics.md §5,
//! §6.1), and the deadline bookkeeping that lets a stale timer DPC recognise itself.

use serial_ioctl::SerialTimeouts;

use crate::kernel::{Duration, Instant, Kernel, TimerKind};
use crate::state::TimerDeadlines;

const MAX: u32 = u32::MAX;

/// How a read that becomes current behaves, from the timeouts sampled at that moment.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ReadPlan {
    /// Case E (MAX, 0, 0): return at once with whatever is buffered, even nothing.
    ReturnBuffered,
    /// Cases F/F0 (MAX, MAX, C): buffered bytes return at once; otherwise wait up to `total` for
    /// the first byte and return it.
    FirstByte {
        /// The constant C.
        total: Duration,
    },
    /// Case G (MAX, M, C): buffered bytes return at once; otherwise a full-length read with a
    /// total timeout.
    BufferedOrTotal {
        /// N·M + C.
        total: Duration,
    },
    /// Cases A–D: optional total timeout from now, optional interval timeout from the first byte.
    Normal {
        /// N·M + C, if either is nonzero.
        total: Option<Duration>,
        /// The interval, if 0 < RI < MAX.
        interval: Option<Duration>,
    },
}

fn total_ms(length: usize, multiplier: u32, constant: u32) -> Duration {
    let length = u64::try_from(length).unwrap_or(u64::MAX);
    let ms = length
        .saturating_mul(u64::from(multiplier))
        .saturating_add(u64::from(constant));
    Duration::from_millis(ms)
}

/// The plan for a read of `length` bytes.
#[must_use]
pub fn read_plan(timeouts: &SerialTimeouts, length: usize) -> ReadPlan {
    let interval = timeouts.read_interval_timeout;
    let multiplier = timeouts.read_total_timeout_multiplier;
    let constant = timeouts.read_total_timeout_constant;
    if interval == MAX {
        return match (multiplier, constant) {
            (0, 0) => ReadPlan::ReturnBuffered,
            (MAX, constant) => ReadPlan::FirstByte {
                total: Duration::from_millis(u64::from(constant)),
            },
            (multiplier, constant) => ReadPlan::BufferedOrTotal {
                total: total_ms(length, multiplier, constant),
            },
        };
    }
    let total = (multiplier != 0 || constant != 0).then(|| total_ms(length, multiplier, constant));
    let interval = (interval != 0).then(|| Duration::from_millis(u64::from(interval)));
    ReadPlan::Normal { total, interval }
}

/// The total timeout of a write of `length` bytes, if any (N·WM + WC).
#[must_use]
pub fn write_total(timeouts: &SerialTimeouts, length: usize) -> Option<Duration> {
    let multiplier = timeouts.write_total_timeout_multiplier;
    let constant = timeouts.write_total_timeout_constant;
    (multiplier != 0 || constant != 0).then(|| total_ms(length, multiplier, constant))
}

/// SET_TIMEOUTS validation: RI and RC both MAX is meaningless and rejected.
#[must_use]
pub const fn timeouts_valid(timeouts: &SerialTimeouts) -> bool {
    !(timeouts.read_interval_timeout == MAX && timeouts.read_total_timeout_constant == MAX)
}

/// Arms `kind` to expire `after` from now and records the due time.
pub fn arm<K: Kernel>(
    kernel: &K,
    deadlines: &mut TimerDeadlines,
    kind: TimerKind,
    after: Duration,
) {
    let due = kernel.now().saturating_add(after);
    *deadlines.slot(kind) = Some(due);
    kernel.set_timer(kind, after);
}

/// Arms `kind` to expire at `due` (at once if already past).
pub fn arm_at<K: Kernel>(
    kernel: &K,
    deadlines: &mut TimerDeadlines,
    kind: TimerKind,
    due: Instant,
) {
    let after = due.saturating_sub(kernel.now());
    *deadlines.slot(kind) = Some(due);
    kernel.set_timer(kind, after);
}

/// Disarms `kind`. A DPC already queued by an expiry finds no deadline and does nothing.
pub fn disarm<K: Kernel>(kernel: &K, deadlines: &mut TimerDeadlines, kind: TimerKind) {
    if deadlines.slot(kind).take().is_some() {
        kernel.cancel_timer(kind);
    }
}

/// Called from a timer's DPC: true if the timer is armed and due (the deadline is consumed).
/// A DPC that runs early (timer resolution) re-arms for the remainder; a stale one does nothing.
pub fn expired<K: Kernel>(kernel: &K, deadlines: &mut TimerDeadlines, kind: TimerKind) -> bool {
    let now = kernel.now();
    match *deadlines.slot(kind) {
        None => false,
        Some(due) if now >= due => {
            *deadlines.slot(kind) = None;
            true
        }
        Some(due) => {
            kernel.set_timer(kind, due.saturating_sub(now));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ri: u32, rm: u32, rc: u32) -> SerialTimeouts {
        SerialTimeouts {
            read_interval_timeout: ri,
            read_total_timeout_multiplier: rm,
            read_total_timeout_constant: rc,
            ..SerialTimeouts::default()
        }
    }

    #[test]
    fn the_read_matrix() {
        let ms = Duration::from_millis;
        assert_eq!(
            read_plan(&t(0, 0, 0), 10),
            ReadPlan::Normal {
                total: None,
                interval: None
            }
        );
        assert_eq!(
            read_plan(&t(20, 0, 0), 10),
            ReadPlan::Normal {
                total: None,
                interval: Some(ms(20))
            }
        );
        assert_eq!(
            read_plan(&t(0, 10, 5), 10),
            ReadPlan::Normal {
                total: Some(ms(105)),
                interval: None
            }
        );
        assert_eq!(
            read_plan(&t(7, 0, 5), 3),
            ReadPlan::Normal {
                total: Some(ms(5)),
                interval: Some(ms(7))
            }
        );
        assert_eq!(read_plan(&t(MAX, 0, 0), 3), ReadPlan::ReturnBuffered);
        assert_eq!(
            read_plan(&t(MAX, MAX, 50), 3),
            ReadPlan::FirstByte { total: ms(50) }
        );
        assert_eq!(
            read_plan(&t(MAX, MAX, 0), 3),
            ReadPlan::FirstByte { total: ms(0) }
        );
        assert_eq!(
            read_plan(&t(MAX, 2, 1), 3),
            ReadPlan::BufferedOrTotal { total: ms(7) }
        );
        assert_eq!(
            read_plan(&t(0, MAX, MAX), usize::MAX),
            ReadPlan::Normal {
                total: Some(Duration::from_100ns(u64::MAX)),
                interval: None
            },
            "huge totals saturate instead of wrapping"
        );
    }

    #[test]
    fn validation_rejects_ri_and_rc_both_max() {
        assert!(!timeouts_valid(&t(MAX, 0, MAX)));
        assert!(!timeouts_valid(&t(MAX, MAX, MAX)));
        assert!(timeouts_valid(&t(MAX, MAX, MAX - 1)));
        assert!(timeouts_valid(&t(0, 0, MAX)));
    }

    #[test]
    fn write_totals() {
        let w = SerialTimeouts {
            write_total_timeout_multiplier: 2,
            write_total_timeout_constant: 3,
            ..SerialTimeouts::default()
        };
        assert_eq!(write_total(&w, 10), Some(Duration::from_millis(23)));
        assert_eq!(write_total(&SerialTimeouts::default(), 10), None);
    }
}
