//! `serial-harness compare`: one column per target, a mark where the targets disagree.

use std::collections::BTreeMap;

use serial_harness::port::BenchFactory;
use serial_harness::report::{self, failure_details};
use serial_harness::runner::{self, ScenarioReport, Status, Summary};

use super::run::Terminal;
use super::{CompareArgs, EXIT_FAILED, EXIT_OK, EXIT_USAGE, target};

pub fn compare(args: &CompareArgs) -> u8 {
    let Ok(scenarios) = target::load(&args.selection) else {
        return EXIT_USAGE;
    };
    let mut targets: Vec<Box<dyn BenchFactory>> = Vec::new();
    for spec in &args.targets {
        match target::from_spec(spec, args.cpus).and_then(|target| {
            target.preflight()?;
            Ok(target)
        }) {
            Ok(target) => targets.push(target),
            Err(message) => {
                eprintln!("error: --target {spec}: {message}");
                return EXIT_USAGE;
            }
        }
    }
    if scenarios.is_empty() {
        eprintln!("error: no scenario matches the selection");
        return EXIT_USAGE;
    }
    let seed = args.seed.unwrap_or(runner::DEFAULT_SEED);
    let mut runs: Vec<(String, Vec<ScenarioReport>)> = Vec::new();
    for target in &targets {
        eprintln!(
            "{:>12} {} scenario(s) on {}",
            "Starting",
            scenarios.len(),
            target.name()
        );
        let mut terminal = Terminal::new(scenarios.len(), !args.no_progress);
        let reports = runner::run_all(&scenarios, target.as_ref(), seed, false, &mut terminal);
        terminal.done();
        runs.push((target.name(), reports));
    }

    let name_width = scenarios
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let column = runs
        .iter()
        .map(|(name, _)| name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let mut header = format!("{:<name_width$}", "scenario");
    for (name, _) in &runs {
        header.push_str(&format!("  {name:>column$}"));
    }
    eprintln!("\n{header}");
    let mut disagreements = 0;
    for (index, scenario) in scenarios.iter().enumerate() {
        let statuses: Vec<Status> = runs
            .iter()
            .map(|(_, reports)| reports[index].status)
            .collect();
        let ran: Vec<Status> = statuses
            .iter()
            .copied()
            .filter(|s| *s != Status::Skip)
            .collect();
        let differs = ran.windows(2).any(|pair| pair[0] != pair[1]);
        disagreements += usize::from(differs);
        let mut line = format!("{:<name_width$}", scenario.name);
        for status in &statuses {
            line.push_str(&format!("  {:>column$}", status.word()));
        }
        if differs {
            line.push_str("  <- differs");
        }
        eprintln!("{line}");
    }
    eprintln!();
    let mut failed = false;
    for (name, reports) in &runs {
        let summary = Summary::of(reports);
        failed |= !summary.ok();
        for report in reports.iter().filter(|r| r.status.is_failure()) {
            eprint!("{}", failure_details(report, true));
        }
        let bench_ms: f64 = reports.iter().map(|r| r.duration_ms).sum();
        eprintln!("{}", report::summary_line(&summary, bench_ms, name));
    }
    eprintln!("{disagreements} scenario(s) with different results across targets");
    if args.json {
        let map: BTreeMap<&str, &[ScenarioReport]> = runs
            .iter()
            .map(|(name, reports)| (name.as_str(), reports.as_slice()))
            .collect();
        println!("{}", serde_json::to_string_pretty(&map).unwrap_or_default());
    }
    if let Some(path) = &args.junit {
        let suites: Vec<(&str, &[ScenarioReport])> = runs
            .iter()
            .map(|(name, reports)| (name.as_str(), reports.as_slice()))
            .collect();
        if let Err(error) = std::fs::write(path, report::junit::render(&suites)) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return EXIT_USAGE;
        }
    }
    if failed || disagreements > 0 {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}
