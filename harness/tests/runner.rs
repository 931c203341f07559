//! Runner rules that do not depend on the driver: skipping what a target cannot provide, the
//! known-failure bookkeeping, and the replay command.

use serial_harness::backend::{ModelTarget, WindowsTarget};
use serial_harness::port::{Bench, BenchFactory, Topology};
use serial_harness::runner::{self, Status, Summary};
use serial_harness::scenario::{Source, parse};

fn scenario(text: &str) -> serial_harness::scenario::Scenario {
    parse(
        &Source {
            path: "scenarios/x/y.toml".into(),
            text: text.into(),
        },
        "x/y",
    )
    .unwrap()
}

/// A target that offers only `none` and never builds a bench.
struct BareTarget;

impl BenchFactory for BareTarget {
    fn name(&self) -> String {
        "bare".into()
    }
    fn supports(&self, topology: Topology) -> Result<(), String> {
        if topology == Topology::None {
            Ok(())
        } else {
            Err("only nothing is plugged in".into())
        }
    }
    fn is_model(&self) -> bool {
        false
    }
    fn create(&self, _topology: Topology, _seed: u64) -> Result<Box<dyn Bench>, String> {
        Err("no hardware".into())
    }
    fn replay_args(&self) -> Vec<String> {
        vec!["--port".into(), "COM9".into()]
    }
}

#[test]
fn unsupported_topologies_are_skipped_with_the_reason() {
    let peer = scenario("topology = \"peer\"\n");
    let report = runner::run_one(&peer, &BareTarget, 1);
    assert_eq!(report.status, Status::Skip);
    assert_eq!(
        report.message.as_deref(),
        Some("topology peer: only nothing is plugged in")
    );
}

#[test]
fn model_only_scenarios_are_skipped_elsewhere() {
    let only = scenario("topology = \"none\"\nmodel_only = \"needs virtual time\"\n");
    let report = runner::run_one(&only, &BareTarget, 1);
    assert_eq!(report.status, Status::Skip);
    assert_eq!(
        report.message.as_deref(),
        Some("model only: needs virtual time")
    );
    let internal = scenario(
        "topology = \"none\"\n[[step]]\naction = \"ioctl\"\nioctl = \"INTERNAL_BASIC_SETTINGS\"\n",
    );
    assert_eq!(
        runner::run_one(&internal, &BareTarget, 1).status,
        Status::Skip
    );
}

#[test]
fn windows_targets_without_a_peer_skip_peer_scenarios() {
    let target = WindowsTarget::parse("COM3").unwrap();
    let peer = scenario("topology = \"peer\"\n");
    let report = runner::run_one(&peer, &target, 1);
    assert_eq!(report.status, Status::Skip);
    assert!(report.message.unwrap().contains("--peer COMy"));
}

#[test]
fn a_stale_known_failure_is_xpass_and_fails_the_run() {
    let stale = scenario(
        "topology = \"none\"\nknown_failure = \"was broken\"\n[[step]]\naction = \"flush\"\n",
    );
    let report = runner::run_one(&stale, &ModelTarget::default(), 1);
    assert_eq!(report.status, Status::Xpass);
    assert!(report.message.unwrap().contains("remove the marker"));
    assert!(!Summary::of(&[runner::run_one(&stale, &ModelTarget::default(), 1)]).ok());
}

#[test]
fn a_known_failure_that_fails_is_xfail() {
    let broken = scenario(
        "topology = \"none\"\nknown_failure = \"flush is special\"\n[[step]]\naction = \"flush\"\nexpect = { status = \"TIMEOUT\" }\n",
    );
    let report = runner::run_one(&broken, &ModelTarget::default(), 1);
    assert_eq!(report.status, Status::Xfail);
    assert!(Summary::of(&[report]).ok());
}

#[test]
fn bench_failures_are_failures_not_skips() {
    let plain = scenario("topology = \"none\"\n");
    let report = runner::run_one(&plain, &BareTarget, 1);
    assert_eq!(report.status, Status::Fail);
    assert!(report.message.unwrap().contains("no hardware"));
}

#[test]
fn replay_commands_name_the_target_seed_and_scenario() {
    let plain = scenario("topology = \"none\"\n");
    assert_eq!(
        runner::replay_command(&plain, &BareTarget, 42),
        "serial-harness run --seed 42 --port COM9 x/y"
    );
    assert_eq!(
        runner::replay_command(&plain, &ModelTarget::default(), 7),
        "serial-harness run --seed 7 --model --cpus 2 x/y"
    );
}
