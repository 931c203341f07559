//! `serial-harness`: runs the conformance suite against the driver engine on the model or against
//! a real COM port, compares targets, bridges a model port to a pseudo-terminal, issues single
//! IOCTLs and runs the loopback demonstration.
//!
//! Exit codes: 0 = everything passed (XFAIL and SKIP allowed); 1 = a scenario failed, a stale
//! known-failure marker passed (XPASS), targets disagreed, or a command's own check failed;
//! 2 = usage error, or a scenario file or target could not be loaded.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    cli::dispatch(args)
}
