//! Scheduling strategies: who decides which CPU runs next and what it does
//! ([`Strategy`]), and the decision log that makes schedules replayable.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::random::Rng;

/// How the scheduler picks among the possible next steps at each scheduling point.
#[derive(Clone, Debug)]
pub enum Strategy {
    /// Every choice drawn uniformly from one seeded generator.
    Random {
        /// The run's seed.
        seed: u64,
    },
    /// Probabilistic concurrency testing: each CPU has a random priority, the highest-priority CPU
    /// that can run does, and at `depth - 1` random steps (within the first [`PCT_HORIZON`]
    /// decisions) the running CPU drops to the lowest priority. Finds bugs that need few ordering
    /// constraints with a known probability per run. A pending interrupt is delivered first (to
    /// the highest-priority CPU below DIRQL). A CPU that polls without ever blocking starves the
    /// others after the last change point (reported as a livelock).
    Pct {
        /// The run's seed.
        seed: u64,
        /// Bug depth: number of priority change points plus one (≥ 1).
        depth: u32,
    },
    /// A fixed, seedless baseline: CPUs take turns; on a CPU, an interrupt goes first, then a DPC,
    /// then the code it was running.
    RoundRobin,
    /// Follows a recorded list of choices, then always takes the first option (used by
    /// [`crate::kernel::explore_exhaustive`] and to replay a schedule it found).
    Scripted(Schedule),
}

/// PCT change points are drawn from the first this many decisions of a run.
pub const PCT_HORIZON: u64 = 4_096;

impl Strategy {
    /// The seed that reproduces the run (0 for the seedless strategies).
    #[must_use]
    pub fn seed(&self) -> u64 {
        match self {
            Self::Random { seed } | Self::Pct { seed, .. } => *seed,
            Self::RoundRobin | Self::Scripted(_) => 0,
        }
    }

    /// The same strategy with another seed (RoundRobin and Scripted become Random with it).
    #[must_use]
    pub fn with_seed(&self, seed: u64) -> Self {
        match self {
            Self::Pct { depth, .. } => Self::Pct {
                seed,
                depth: *depth,
            },
            _ => Self::Random { seed },
        }
    }
}

impl Default for Strategy {
    fn default() -> Self {
        Self::Random { seed: 0x5EED }
    }
}

/// One decision of a scripted run: which option was taken out of how many.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The index taken.
    pub chosen: usize,
    /// How many options there were (always ≥ 2: single-option steps are not decisions).
    pub options: usize,
}

/// A schedule prefix to follow and the log of every decision taken.
#[derive(Clone, Default)]
pub struct Schedule {
    /// Choices to make at the first decisions, in order.
    pub prefix: Vec<usize>,
    log: Arc<Mutex<Vec<Decision>>>,
}

impl Schedule {
    /// A schedule that follows `prefix`.
    #[must_use]
    pub fn new(prefix: Vec<usize>) -> Self {
        Self {
            prefix,
            log: Arc::default(),
        }
    }

    /// The decisions taken so far by the run(s) that used this schedule.
    #[must_use]
    pub fn decisions(&self) -> Vec<Decision> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn record(&self, decision: Decision) {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(decision);
    }

    fn position(&self) -> usize {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schedule")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The kinds of step a CPU can take next, in the order a real CPU gives them priority.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum StepKind {
    /// Deliver the interrupt of this port (nested if the CPU is running something).
    Isr(usize),
    /// Run the DPC at the head of the CPU's queue.
    Dpc,
    /// Continue what the CPU was doing.
    Resume,
    /// Start the first pending job (dispatch call, work item, cancel callback) on an idle CPU.
    StartJob,
}

/// One possible next step.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) struct Step {
    pub cpu: usize,
    pub kind: StepKind,
}

/// The strategy's state during a run.
#[derive(Debug)]
pub(crate) struct Chooser {
    strategy: Strategy,
    rng: Rng,
    cpus: usize,
    next_cpu: usize,
    priorities: Vec<u64>,
    change_points: Vec<u64>,
    decisions: u64,
}

impl Chooser {
    pub(crate) fn new(strategy: Strategy, cpus: usize) -> Self {
        let mut rng = Rng::new(strategy.seed());
        let mut priorities = Vec::new();
        let mut change_points = Vec::new();
        if let Strategy::Pct { depth, .. } = &strategy {
            let depth = u64::from((*depth).max(1));
            // Distinct initial priorities above every change-point priority.
            let mut order: Vec<u64> = (0..cpus as u64).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            priorities = order.into_iter().map(|p| p + depth).collect();
            change_points = (1..depth)
                .map(|_| 1 + rng.next_u64() % PCT_HORIZON)
                .collect();
        }
        Self {
            strategy,
            rng,
            cpus,
            next_cpu: 0,
            priorities,
            change_points,
            decisions: 0,
        }
    }

    /// Picks one of `steps` (non-empty); `current` is the CPU that reached the scheduling point.
    pub(crate) fn pick(&mut self, steps: &[Step], current: Option<usize>) -> usize {
        if steps.len() <= 1 {
            return 0;
        }
        self.decisions += 1;
        match &self.strategy {
            Strategy::Random { .. } => self.rng.below(steps.len()),
            Strategy::RoundRobin => {
                let cpus = self.cpus.max(1);
                for offset in 0..cpus {
                    let cpu = (self.next_cpu + offset) % cpus;
                    if let Some(index) = best_on(steps, cpu) {
                        self.next_cpu = (cpu + 1) % cpus;
                        return index;
                    }
                }
                0
            }
            Strategy::Pct { .. } => {
                let step_number = self.decisions;
                if let Some(point) = self.change_points.iter().position(|&p| p == step_number)
                    && let Some(cpu) = current
                    && let Some(priority) = self.priorities.get_mut(cpu)
                {
                    *priority = point as u64;
                }
                // Hardware does not wait for thread priorities: a pending interrupt goes first,
                // to the highest-priority CPU that can take it.
                let interrupts = steps
                    .iter()
                    .any(|step| matches!(step.kind, StepKind::Isr(_)));
                let mut best: Option<(u64, usize)> = None;
                for step in steps
                    .iter()
                    .filter(|step| !interrupts || matches!(step.kind, StepKind::Isr(_)))
                {
                    let priority = self.priorities.get(step.cpu).copied().unwrap_or(0);
                    if best.is_none_or(|(p, _)| priority > p) {
                        best = Some((priority, step.cpu));
                    }
                }
                best.and_then(|(_, cpu)| best_on(steps, cpu)).unwrap_or(0)
            }
            Strategy::Scripted(schedule) => scripted(schedule, steps.len()),
        }
    }

    /// Picks a number in `0..n` for a choice that is not about CPUs (which CPU processes a clock
    /// tick, the IRQL an I/O request arrives at). RoundRobin always takes 0.
    pub(crate) fn pick_index(&mut self, n: usize) -> usize {
        if n <= 1 {
            return 0;
        }
        self.decisions += 1;
        match &self.strategy {
            Strategy::Random { .. } | Strategy::Pct { .. } => self.rng.below(n),
            Strategy::RoundRobin => 0,
            Strategy::Scripted(schedule) => scripted(schedule, n),
        }
    }
}

/// The highest-priority step of `cpu` among `steps`.
fn best_on(steps: &[Step], cpu: usize) -> Option<usize> {
    steps
        .iter()
        .enumerate()
        .filter(|(_, step)| step.cpu == cpu)
        .min_by_key(|(_, step)| step.kind)
        .map(|(index, _)| index)
}

fn scripted(schedule: &Schedule, options: usize) -> usize {
    let position = schedule.position();
    let chosen = schedule
        .prefix
        .get(position)
        .copied()
        .unwrap_or(0)
        .min(options - 1);
    schedule.record(Decision { chosen, options });
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(cpu: usize, kind: StepKind) -> Step {
        Step { cpu, kind }
    }

    #[test]
    fn round_robin_rotates_cpus_and_prefers_the_interrupt_on_each() {
        let mut chooser = Chooser::new(Strategy::RoundRobin, 2);
        let steps = [
            step(0, StepKind::Resume),
            step(0, StepKind::Isr(0)),
            step(1, StepKind::Resume),
        ];
        assert_eq!(chooser.pick(&steps, Some(0)), 1);
        assert_eq!(chooser.pick(&steps, Some(0)), 2);
        assert_eq!(chooser.pick(&steps, Some(1)), 1);
    }

    #[test]
    fn pct_delivers_a_pending_interrupt_first() {
        let mut chooser = Chooser::new(Strategy::Pct { seed: 3, depth: 2 }, 3);
        let steps = [
            step(0, StepKind::Resume),
            step(1, StepKind::Dpc),
            step(2, StepKind::Isr(1)),
        ];
        assert_eq!(chooser.pick(&steps, None), 2);
    }

    #[test]
    fn a_script_is_followed_then_the_first_option_is_taken_and_all_is_logged() {
        let schedule = Schedule::new(vec![2, 1]);
        let mut chooser = Chooser::new(Strategy::Scripted(schedule.clone()), 2);
        let steps = [
            step(0, StepKind::Resume),
            step(1, StepKind::Resume),
            step(1, StepKind::Dpc),
        ];
        assert_eq!(chooser.pick(&steps, None), 2);
        assert_eq!(chooser.pick_index(2), 1);
        assert_eq!(chooser.pick(&steps, None), 0);
        assert_eq!(
            chooser.pick(&steps[..1], None),
            0,
            "a single option is no decision"
        );
        let logged: Vec<(usize, usize)> = schedule
            .decisions()
            .iter()
            .map(|d| (d.chosen, d.options))
            .collect();
        assert_eq!(logged, [(2, 3), (1, 2), (0, 3)]);
    }
}
