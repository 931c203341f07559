//! Loading scenarios for a command and building targets from the command line.

use serial_harness::backend::{ModelTarget, WindowsTarget};
use serial_harness::port::BenchFactory;
use serial_harness::runner::Filter;
use serial_harness::scenario::Scenario;

use super::{Selection, TargetArgs};

/// The selected scenarios, or the load errors printed and `Err(())`.
pub fn load(selection: &Selection) -> Result<Vec<Scenario>, ()> {
    match serial_harness::suite::load(&selection.selectors) {
        Ok(scenarios) => {
            let filter = Filter {
                names: selection.filters.clone(),
                groups: selection.groups.clone(),
                tags: selection.tags.clone(),
            };
            Ok(scenarios.into_iter().filter(|s| filter.keeps(s)).collect())
        }
        Err(errors) => {
            for error in &errors {
                eprintln!("error: {error}");
            }
            eprintln!(
                "serial-harness: {} scenario file(s) could not be loaded",
                errors.len()
            );
            Err(())
        }
    }
}

/// The target selected by `--model` / `--port`.
pub fn from_args(args: &TargetArgs) -> Result<Box<dyn BenchFactory>, String> {
    match &args.port {
        None => Ok(Box::new(ModelTarget {
            cpus: args.cpus,
            ..ModelTarget::default()
        })),
        Some(port) => {
            real_ports_available()?;
            let mut target = WindowsTarget::parse(port)?;
            if let Some(peer) = &args.peer {
                target.peer = Some(WindowsTarget::parse(peer)?.port);
            }
            target.loopback |= args.loopback;
            Ok(Box::new(target))
        }
    }
}

/// A target written as `model`, `COM3`, `COM3:loopback` or `COM3+COM4`.
pub fn from_spec(spec: &str, cpus: usize) -> Result<Box<dyn BenchFactory>, String> {
    if spec.eq_ignore_ascii_case("model") {
        Ok(Box::new(ModelTarget {
            cpus,
            ..ModelTarget::default()
        }))
    } else {
        let target = WindowsTarget::parse(spec)?;
        real_ports_available()?;
        Ok(Box::new(target))
    }
}

/// Real ports exist only on Windows; elsewhere asking for one is a usage error.
fn real_ports_available() -> Result<(), String> {
    if cfg!(windows) {
        Ok(())
    } else {
        Err("real COM ports can only be used on Windows (use --model here)".to_owned())
    }
}
