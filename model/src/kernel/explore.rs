//! Exhaustive exploration of small scenarios: depth-first over every scheduling decision up to a
//! bound, returning the first schedule that fails.

use std::panic::{AssertUnwindSafe, catch_unwind};

use super::cpu::panic_text;
use super::strategy::{Schedule, Strategy};

/// Most schedules one exploration runs.
pub const MAX_SCHEDULES: usize = 20_000;

/// An exploration that found nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exploration {
    /// Schedules run.
    pub schedules: usize,
    /// Whether every schedule within the bound was run ([`MAX_SCHEDULES`] not reached).
    pub complete: bool,
}

/// A schedule under which the scenario failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingSchedule {
    /// The decisions taken; `Strategy::Scripted(Schedule::new(choices))` replays it.
    pub choices: Vec<usize>,
    /// The panic message (the machine's report, or the scenario's own assertion).
    pub message: String,
    /// Schedules run before and including this one.
    pub schedules: usize,
}

/// Runs `scenario` once per schedule: the first `bound` decisions of every run take every possible
/// value (depth-first); later decisions take the first option. The scenario builds its machine
/// with the strategy it is given and fails by panicking (a machine with violations panics when
/// dropped). Returns the first failing schedule.
///
/// # Errors
/// The first [`FailingSchedule`].
pub fn explore_exhaustive(
    bound: usize,
    scenario: impl Fn(Strategy),
) -> Result<Exploration, FailingSchedule> {
    let mut prefix: Vec<usize> = Vec::new();
    let mut schedules = 0;
    loop {
        schedules += 1;
        let schedule = Schedule::new(prefix.clone());
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            scenario(Strategy::Scripted(schedule.clone()))
        }));
        let decisions = schedule.decisions();
        if let Err(payload) = outcome {
            return Err(FailingSchedule {
                choices: decisions.iter().map(|d| d.chosen).collect(),
                message: panic_text(&*payload),
                schedules,
            });
        }
        let explored = decisions.len().min(bound);
        let next = (0..explored)
            .rev()
            .find(|&i| decisions[i].chosen + 1 < decisions[i].options);
        let Some(position) = next else {
            return Ok(Exploration {
                schedules,
                complete: true,
            });
        };
        prefix = decisions[..position].iter().map(|d| d.chosen).collect();
        prefix.push(decisions[position].chosen + 1);
        if schedules >= MAX_SCHEDULES {
            return Ok(Exploration {
                schedules,
                complete: false,
            });
        }
    }
}
