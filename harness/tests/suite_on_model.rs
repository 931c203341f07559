//! The whole built-in suite against the model: every scenario passes, or fails exactly as its
//! `known_failure` marker says (XFAIL). A failure lists every offending scenario with its
//! explanation and replay command.

use serial_harness::backend::ModelTarget;
use serial_harness::report::failure_details;
use serial_harness::runner::{self, Quiet, Status, Summary};

#[test]
fn the_builtin_suite_passes_on_the_model() {
    let scenarios = serial_harness::suite::builtin().expect("the built-in suite loads");
    let target = ModelTarget::default();
    let reports = runner::run_all(&scenarios, &target, runner::DEFAULT_SEED, false, &mut Quiet);
    let summary = Summary::of(&reports);
    let failing: Vec<String> = reports
        .iter()
        .filter(|report| report.status.is_failure())
        .map(|report| failure_details(report, true))
        .collect();
    assert!(
        failing.is_empty(),
        "{} of {} scenarios failed on the model:\n{}",
        failing.len(),
        reports.len(),
        failing.join("\n")
    );
    assert_eq!(summary.skipped, 0, "the model provides every topology");
    let xfail: Vec<&str> = reports
        .iter()
        .filter(|report| report.status == Status::Xfail)
        .map(|report| report.name.as_str())
        .collect();
    eprintln!(
        "{} scenarios: {} passed, XFAIL: {xfail:?}",
        summary.total, summary.passed
    );
}

#[test]
fn scenario_runs_are_reproducible() {
    let scenarios = serial_harness::suite::load(&["timeouts/read_case_d_total_first".into()])
        .expect("the scenario exists");
    let target = ModelTarget::default();
    let first = runner::run_one(&scenarios[0], &target, 7);
    let second = runner::run_one(&scenarios[0], &target, 7);
    assert_eq!(first.status, Status::Pass);
    assert_eq!(first.trace, second.trace);
    assert_eq!(first.counters, second.counters);
    assert!((first.duration_ms - second.duration_ms).abs() < f64::EPSILON);
}
