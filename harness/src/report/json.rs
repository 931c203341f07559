//! JSON output: one document with the target, the seed, every scenario's report and the summary.

use serde::Serialize;

use crate::runner::{ScenarioReport, Summary};

/// The JSON document of one run.
#[derive(Serialize, Debug)]
pub struct RunDocument<'a> {
    /// The target's name.
    pub target: &'a str,
    /// The master seed.
    pub seed: u64,
    /// Outcome counts.
    pub summary: Summary,
    /// Every scenario, in run order.
    pub scenarios: &'a [ScenarioReport],
}

/// The document as pretty-printed JSON.
#[must_use]
pub fn render(target: &str, seed: u64, reports: &[ScenarioReport]) -> String {
    let document = RunDocument {
        target,
        seed,
        summary: Summary::of(reports),
        scenarios: reports,
    };
    serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"error\": \"cannot serialize the results: {error}\"}}"))
}
