//! `serial-harness run`: the result table on stderr with a progress bar, failures explained,
//! JSON on stdout and JUnit to a file on request.

use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serial_harness::report::{self, failure_details, result_line, summary_line};
use serial_harness::runner::{self, Observer, ScenarioReport, Summary};
use serial_harness::scenario::Scenario;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, RunArgs, target};

/// Prints each result line as it comes, under a progress bar on a terminal.
pub struct Terminal {
    bar: Option<ProgressBar>,
}

impl Terminal {
    pub fn new(total: usize, progress: bool) -> Self {
        let bar = progress.then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        let bar = bar.filter(|bar| !bar.is_hidden());
        Self { bar }
    }

    pub fn line(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }

    pub fn done(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Terminal {
    fn started(&mut self, _index: usize, _total: usize, scenario: &Scenario) {
        if let Some(bar) = &self.bar {
            bar.set_message(scenario.name.clone());
        }
    }

    fn finished(&mut self, index: usize, total: usize, report: &ScenarioReport) {
        self.line(&result_line(index, total, report));
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }
}

pub fn run(args: &RunArgs) -> u8 {
    let Ok(scenarios) = target::load(&args.selection) else {
        return EXIT_USAGE;
    };
    let target = match target::from_args(&args.target) {
        Ok(target) => target,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    if scenarios.is_empty() {
        eprintln!("error: no scenario matches the selection");
        return EXIT_USAGE;
    }
    if let Err(message) = target.preflight() {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    serial_harness::port::set_sync_limit_ms(args.request_deadline_ms);
    let seed = args.seed.unwrap_or(runner::DEFAULT_SEED);
    eprintln!(
        "{:>12} {} scenario(s) on {} with seed {seed}",
        "Starting",
        scenarios.len(),
        target.name()
    );
    let started = Instant::now();
    let mut terminal = Terminal::new(scenarios.len(), !args.no_progress);
    let reports = runner::run_all(
        &scenarios,
        target.as_ref(),
        seed,
        args.fail_fast,
        &mut terminal,
    );
    terminal.done();
    let summary = Summary::of(&reports);
    let bench_ms: f64 = reports.iter().map(|r| r.duration_ms).sum();
    let explained: Vec<&ScenarioReport> = reports
        .iter()
        .filter(|r| r.status.is_failure() || r.status == runner::Status::Xfail)
        .collect();
    if !explained.is_empty() {
        eprintln!();
    }
    for report in explained {
        eprint!(
            "{}",
            failure_details(report, args.trace || report.status.is_failure())
        );
    }
    eprintln!("{}", summary_line(&summary, bench_ms, &target.name()));
    eprintln!("wall time: {:.1}s", started.elapsed().as_secs_f64());
    // The plain closing line CI tools read.
    eprintln!(
        "{} passed, {} failed, {} skipped",
        summary.passed + summary.xfail,
        summary.failed + summary.xpass,
        summary.skipped,
    );
    if args.json {
        println!("{}", report::json::render(&target.name(), seed, &reports));
    }
    if let Some(path) = &args.junit {
        let xml = report::junit::render(&[(&target.name(), &reports)]);
        if let Err(error) = std::fs::write(path, xml) {
            eprintln!("error: cannot write {}: {error}", path.display());
            return EXIT_USAGE;
        }
    }
    if summary.ok() { EXIT_OK } else { EXIT_FAILED }
}
