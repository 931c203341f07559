//! The human-readable result table, laid out like cargo-nextest's:
//!
//! ```text
//!         PASS [   0.104s] ( 1/63) read/case_a_no_timeout
//!        XFAIL [   0.020s] ( 2/63) wait/second_wait_rejected
//!         SKIP [   0.000s] ( 3/63) flow_control/cts_hold: topology peer: …
//! ```
//!
//! The status word is right-aligned in 12 columns, the duration is bench time (virtual on the
//! model), the counter is padded to the width of the total. Failures are explained after the
//! table with the step, each expected-vs-got difference, the trace, the seed and a replay command.

use std::fmt::Write as _;

use crate::runner::{ScenarioReport, Status, Summary};

/// One table line.
#[must_use]
pub fn result_line(index: usize, total: usize, report: &ScenarioReport) -> String {
    let width = total.to_string().len();
    let mut line = format!(
        "{:>12} [{:>8.3}s] ({:>width$}/{total}) {}",
        report.status.word(),
        report.duration_ms / 1000.0,
        index + 1,
        report.name
    );
    if report.status == Status::Skip
        && let Some(reason) = &report.message
    {
        let _ = write!(line, ": {reason}");
    }
    line
}

/// The closing summary line.
#[must_use]
pub fn summary_line(summary: &Summary, total_ms: f64, target: &str) -> String {
    let mut parts = vec![
        format!("{} passed", summary.passed),
        format!("{} failed", summary.failed),
    ];
    if summary.skipped > 0 {
        parts.push(format!("{} skipped", summary.skipped));
    }
    if summary.xfail > 0 {
        parts.push(format!("{} xfail", summary.xfail));
    }
    if summary.xpass > 0 {
        parts.push(format!("{} xpass", summary.xpass));
    }
    format!(
        "{:>12} [{:>8.3}s] {} scenario{} run on {target}: {}",
        "Summary",
        total_ms / 1000.0,
        summary.total,
        if summary.total == 1 { "" } else { "s" },
        parts.join(", ")
    )
}

/// The explanation block of one failed (or XFAIL/XPASS) scenario.
#[must_use]
pub fn failure_details(report: &ScenarioReport, show_trace: bool) -> String {
    let mut text = format!(
        "--- {}: {} ({}) on {}\n",
        report.status.word(),
        report.name,
        report.path,
        report.target
    );
    if let Some(reason) = &report.known_failure {
        let _ = writeln!(text, "  known failure: {reason}");
    }
    if let Some(message) = &report.message {
        for line in message.lines() {
            let _ = writeln!(text, "  {line}");
        }
    }
    if show_trace && !report.trace.is_empty() {
        text.push_str("  trace:\n");
        for line in &report.trace {
            let _ = writeln!(text, "    {line}");
        }
    }
    let _ = writeln!(
        text,
        "  seed: {} (scenario seed {:#018x})",
        report.seed, report.scenario_seed
    );
    let _ = writeln!(text, "  replay: {}", report.replay);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(status: Status, message: Option<&str>) -> ScenarioReport {
        ScenarioReport {
            name: "read/case_c".into(),
            path: "scenarios/read/case_c.toml".into(),
            group: "read".into(),
            target: "model".into(),
            status,
            message: message.map(str::to_owned),
            known_failure: None,
            duration_ms: 104.25,
            seed: 42,
            scenario_seed: 7,
            counters: None,
            trace: vec!["step  1 read: STATUS_SUCCESS".into()],
            replay: "serial-harness run --seed 42 --model --cpus 2 read/case_c".into(),
        }
    }

    #[test]
    fn lines_are_aligned_like_nextest() {
        assert_eq!(
            result_line(0, 63, &report(Status::Pass, None)),
            "        PASS [   0.104s] ( 1/63) read/case_c"
        );
        assert_eq!(
            result_line(9, 63, &report(Status::Skip, Some("no peer"))),
            "        SKIP [   0.104s] (10/63) read/case_c: no peer"
        );
        assert_eq!(
            result_line(62, 63, &report(Status::Xfail, Some("x"))),
            "       XFAIL [   0.104s] (63/63) read/case_c"
        );
    }

    #[test]
    fn the_summary_counts_every_outcome() {
        let summary = Summary {
            total: 5,
            passed: 2,
            failed: 1,
            skipped: 1,
            xfail: 1,
            xpass: 0,
        };
        assert_eq!(
            summary_line(&summary, 1500.0, "model"),
            "     Summary [   1.500s] 5 scenarios run on model: 2 passed, 1 failed, 1 skipped, 1 xfail"
        );
    }

    #[test]
    fn failures_name_the_seed_and_the_replay_command() {
        let text = failure_details(
            &report(
                Status::Fail,
                Some("step 3 (read, line 14):\n    status: expected A, got B"),
            ),
            true,
        );
        assert!(text.starts_with("--- FAIL: read/case_c (scenarios/read/case_c.toml) on model\n"));
        assert!(text.contains("  step 3 (read, line 14):\n      status: expected A, got B\n"));
        assert!(text.contains("  trace:\n    step  1 read: STATUS_SUCCESS\n"));
        assert!(text.contains("  seed: 42"));
        assert!(
            text.contains("  replay: serial-harness run --seed 42 --model --cpus 2 read/case_c\n")
        );
    }
}
