//! The peer scenarios as a real COM port peer would run them: the model's null-modem board with
//! port 1 driven by `PortPeer` (what `--peer COMy` uses on Windows) instead of the scripted peer.
//! Every peer scenario that is not marked model-only must pass this way too, so the suite means
//! the same on real hardware.

use serial_harness::backend::model::ModelBench;
use serial_harness::backend::{ModelTarget, PortPeer};
use serial_harness::port::{Bench, BenchFactory, Counters, OpenRefused, Peer, Port, Topology};
use serial_harness::runner::{self, Status};
use serial_harness::time::{Millis, Timestamp, Timing, UNITS_PER_MS};

/// Port 0 of a null-modem model board under test, port 1 as a `PortPeer`.
struct CableBench {
    inner: ModelBench,
    peer: PortPeer,
}

impl Bench for CableBench {
    fn name(&self) -> String {
        "model+cable-peer".into()
    }
    fn timing(&self) -> Timing {
        Timing::Virtual
    }
    fn open(&mut self, index: usize) -> Result<Box<dyn Port>, OpenRefused> {
        assert_eq!(index, 0, "a peer bench has one port under test");
        self.inner.open(0)
    }
    fn now(&self) -> Timestamp {
        self.inner.now()
    }
    fn sleep(&mut self, ms: Millis) {
        self.inner.sleep(ms);
    }
    fn peer(&mut self) -> Option<&mut dyn Peer> {
        Some(&mut self.peer)
    }
    fn counters(&self) -> Option<Counters> {
        self.inner.counters()
    }
    fn violations(&self) -> Vec<String> {
        self.inner.violations()
    }
}

struct CableTarget;

impl BenchFactory for CableTarget {
    fn name(&self) -> String {
        "model+cable-peer".into()
    }
    fn supports(&self, topology: Topology) -> Result<(), String> {
        match topology {
            Topology::Peer => Ok(()),
            other => Err(format!("this target only provides a peer, not {other}")),
        }
    }
    fn is_model(&self) -> bool {
        false
    }
    fn create(&self, _topology: Topology, seed: u64) -> Result<Box<dyn Bench>, String> {
        let mut inner = ModelBench::new(ModelTarget::default().config(Topology::NullModem, seed));
        let machine = inner.machine();
        let far = inner.open(1).map_err(|refused| refused.detail)?;
        let peer = PortPeer::new(
            far,
            Box::new(move |_, ms| {
                machine
                    .borrow_mut()
                    .run_for(ms.saturating_mul(UNITS_PER_MS));
            }),
        )
        .map_err(|error| error.to_string())?;
        Ok(Box::new(CableBench { inner, peer }))
    }
    fn replay_args(&self) -> Vec<String> {
        vec!["--model".into()]
    }
}

#[test]
fn peer_scenarios_pass_with_a_real_port_as_the_peer() {
    let scenarios = serial_harness::suite::builtin().unwrap();
    let peer_scenarios: Vec<_> = scenarios
        .into_iter()
        .filter(|s| s.topology == Topology::Peer && s.model_only.is_none())
        .collect();
    assert!(peer_scenarios.len() >= 30, "{}", peer_scenarios.len());
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    for scenario in &peer_scenarios {
        let report = runner::run_one(scenario, &CableTarget, runner::DEFAULT_SEED);
        match report.status {
            Status::Pass | Status::Xfail => {}
            Status::Skip => skipped.push(format!("{}: {:?}", report.name, report.message)),
            _ => failures.push(serial_harness::report::failure_details(&report, true)),
        }
    }
    eprintln!("skipped at run time: {skipped:#?}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
