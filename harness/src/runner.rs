//! Runs a list of scenarios against one target, one fresh bench per scenario, and reports each
//! result to an [`Observer`] as it finishes (the terminal table, the progress bar, the JSON and
//! JUnit writers all consume the same events).
//!
//! Seeds: one master seed per run; each scenario's model seed is derived from the master seed and
//! the scenario's name only, so rerunning one scenario with the same master seed reproduces it
//! exactly, whatever else ran with it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use serde::Serialize;

use crate::port::{BenchFactory, Counters};
use crate::scenario::{Scenario, Verdict, execute};

/// The master seed used when none is given.
pub const DEFAULT_SEED: u64 = 0x005E_71A1;

/// How one scenario ended, from the suite's point of view.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every expectation held.
    Pass,
    /// An expectation failed, or the harness/backend failed.
    Fail,
    /// The target cannot provide what the scenario needs.
    Skip,
    /// Failed as its `known_failure` says it does.
    Xfail,
    /// Marked `known_failure` but passed: the marker is stale (counts as a failure).
    Xpass,
}

impl Status {
    /// The word in the result table.
    #[must_use]
    pub const fn word(self) -> &'static str {
        match self {
            Self::Pass => "PASS",
            Self::Fail => "FAIL",
            Self::Skip => "SKIP",
            Self::Xfail => "XFAIL",
            Self::Xpass => "XPASS",
        }
    }

    /// Whether this outcome makes the run fail.
    #[must_use]
    pub const fn is_failure(self) -> bool {
        matches!(self, Self::Fail | Self::Xpass)
    }
}

/// One scenario's result.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioReport {
    /// Scenario name (`read/case_c_total`).
    pub name: String,
    /// Its file.
    pub path: String,
    /// Its group.
    pub group: String,
    /// The target it ran on.
    pub target: String,
    /// The outcome.
    pub status: Status,
    /// Why it failed, was skipped or is expected to fail.
    pub message: Option<String>,
    /// The `known_failure` reason, if marked.
    pub known_failure: Option<String>,
    /// Bench time the scenario took (virtual on the model), milliseconds.
    pub duration_ms: f64,
    /// The master seed of the run.
    pub seed: u64,
    /// The seed this scenario's machine used.
    pub scenario_seed: u64,
    /// Interrupts, DPCs and completions counted (model only).
    pub counters: Option<Counters>,
    /// What every executed step returned.
    pub trace: Vec<String>,
    /// A command that reruns exactly this scenario.
    pub replay: String,
}

/// Receives results as they happen.
pub trait Observer {
    /// A scenario is about to run (`index` is 0-based).
    fn started(&mut self, index: usize, total: usize, scenario: &Scenario) {
        let _ = (index, total, scenario);
    }

    /// A scenario finished.
    fn finished(&mut self, index: usize, total: usize, report: &ScenarioReport);
}

/// An observer that ignores everything.
#[derive(Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {
    fn finished(&mut self, _: usize, _: usize, _: &ScenarioReport) {}
}

/// Which scenarios to run out of those loaded.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Keep scenarios whose name contains any of these (all when empty).
    pub names: Vec<String>,
    /// Keep scenarios in any of these groups (all when empty).
    pub groups: Vec<String>,
    /// Keep scenarios with any of these tags (all when empty).
    pub tags: Vec<String>,
}

impl Filter {
    /// Whether `scenario` passes the filter.
    #[must_use]
    pub fn keeps(&self, scenario: &Scenario) -> bool {
        (self.names.is_empty()
            || self
                .names
                .iter()
                .any(|n| scenario.name.contains(n.as_str())))
            && (self.groups.is_empty() || self.groups.iter().any(|g| g == scenario.group()))
            && (self.tags.is_empty() || self.tags.iter().any(|t| scenario.tags.contains(t)))
    }
}

/// The seed of one scenario's machine: a mix of the master seed and the scenario name.
#[must_use]
pub fn scenario_seed(master: u64, name: &str) -> u64 {
    // FNV-1a of the name, then one SplitMix64 round with the master seed.
    let mut hash: u64 = 0xCBF2_9CE4_8422_2325;
    for byte in name.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
    let mut z = master ^ hash;
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The command that reruns `scenario` on `target` with master seed `seed`.
#[must_use]
pub fn replay_command(scenario: &Scenario, target: &dyn BenchFactory, seed: u64) -> String {
    let selector = if scenario.path.starts_with(crate::suite::BUILTIN_PREFIX) {
        scenario.name.clone()
    } else {
        scenario.path.clone()
    };
    let mut words = vec![
        "serial-harness".to_owned(),
        "run".to_owned(),
        "--seed".to_owned(),
        seed.to_string(),
    ];
    words.extend(target.replay_args());
    words.push(selector);
    words.join(" ")
}

/// Runs one scenario on `target` (a fresh bench) and judges it.
#[must_use]
pub fn run_one(scenario: &Scenario, target: &dyn BenchFactory, seed: u64) -> ScenarioReport {
    let scenario_seed = scenario_seed(seed, &scenario.name);
    let mut report = ScenarioReport {
        name: scenario.name.clone(),
        path: scenario.path.clone(),
        group: scenario.group().to_owned(),
        target: target.name(),
        status: Status::Skip,
        message: None,
        known_failure: scenario.known_failure.clone(),
        duration_ms: 0.0,
        seed,
        scenario_seed,
        counters: None,
        trace: Vec::new(),
        replay: replay_command(scenario, target, seed),
    };
    if let Err(reason) = target.supports(scenario.topology) {
        report.message = Some(format!("topology {}: {reason}", scenario.topology));
        return report;
    }
    if !target.is_model() {
        if let Some(reason) = &scenario.model_only {
            report.message = Some(format!("model only: {reason}"));
            return report;
        }
        if scenario.uses_internal_ioctls() {
            report.message = Some("internal IOCTLs need a kernel-mode caller (model only)".into());
            return report;
        }
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut bench = target.create(scenario.topology, scenario_seed)?;
        Ok::<_, String>(execute(scenario, bench.as_mut()))
    }));
    let verdict = match outcome {
        Ok(Ok(execution)) => {
            report.duration_ms = execution.elapsed_ms;
            report.counters = execution.counters;
            report.trace = execution.trace;
            execution.verdict
        }
        Ok(Err(message)) => Verdict::Broken(format!("cannot build the bench: {message}")),
        Err(panic) => {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "a panic".to_owned());
            Verdict::Broken(format!("the backend panicked: {text}"))
        }
    };
    let (status, message) = match (verdict, &scenario.known_failure) {
        (Verdict::Passed, None) => (Status::Pass, None),
        (Verdict::Passed, Some(reason)) => (
            Status::Xpass,
            Some(format!(
                "passed although marked known_failure (\"{reason}\"): remove the marker"
            )),
        ),
        (Verdict::Skipped(reason), _) => (Status::Skip, Some(reason)),
        (Verdict::Failed(failure), None) => (Status::Fail, Some(failure.to_string())),
        (Verdict::Broken(message), None) => (Status::Fail, Some(format!("error: {message}"))),
        (Verdict::Failed(failure), Some(_)) => (Status::Xfail, Some(failure.to_string())),
        (Verdict::Broken(message), Some(_)) => (Status::Xfail, Some(format!("error: {message}"))),
    };
    report.status = status;
    report.message = message;
    report
}

/// Runs `scenarios` in order on `target`, telling `observer` about each.
pub fn run_all(
    scenarios: &[Scenario],
    target: &dyn BenchFactory,
    seed: u64,
    fail_fast: bool,
    observer: &mut dyn Observer,
) -> Vec<ScenarioReport> {
    let total = scenarios.len();
    let mut reports = Vec::with_capacity(total);
    for (index, scenario) in scenarios.iter().enumerate() {
        observer.started(index, total, scenario);
        let report = run_one(scenario, target, seed);
        observer.finished(index, total, &report);
        let failed = report.status.is_failure();
        reports.push(report);
        if fail_fast && failed {
            break;
        }
    }
    reports
}

/// Counts of each outcome.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Scenarios run (including skipped).
    pub total: usize,
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Skipped.
    pub skipped: usize,
    /// Failed as expected.
    pub xfail: usize,
    /// Passed although expected to fail.
    pub xpass: usize,
}

impl Summary {
    /// Counts the outcomes in `reports`.
    #[must_use]
    pub fn of(reports: &[ScenarioReport]) -> Self {
        let mut summary = Self {
            total: reports.len(),
            ..Self::default()
        };
        for report in reports {
            match report.status {
                Status::Pass => summary.passed += 1,
                Status::Fail => summary.failed += 1,
                Status::Skip => summary.skipped += 1,
                Status::Xfail => summary.xfail += 1,
                Status::Xpass => summary.xpass += 1,
            }
        }
        summary
    }

    /// Whether the run counts as successful (no FAIL, no XPASS).
    #[must_use]
    pub const fn ok(&self) -> bool {
        self.failed == 0 && self.xpass == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_seeds_depend_on_master_and_name_only() {
        assert_eq!(scenario_seed(1, "read/a"), scenario_seed(1, "read/a"));
        assert_ne!(scenario_seed(1, "read/a"), scenario_seed(2, "read/a"));
        assert_ne!(scenario_seed(1, "read/a"), scenario_seed(1, "read/b"));
    }
}
