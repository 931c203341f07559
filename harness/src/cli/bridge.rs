//! `serial-harness bridge`.

use super::{BridgeArgs, EXIT_FAILED, EXIT_OK, EXIT_USAGE};

#[cfg(unix)]
pub fn bridge(args: &BridgeArgs) -> u8 {
    use std::io::Write as _;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use serial_harness::bridge::{BridgeOptions, run};

    if args.topology == serial_harness::port::Topology::Peer {
        eprintln!("error: the bridge drives port 0 itself; use loopback, none or null-modem");
        return EXIT_USAGE;
    }
    let options = BridgeOptions {
        topology: args.topology,
        baud: args.baud,
        cpus: args.cpus,
        seed: args.seed.unwrap_or(serial_harness::runner::DEFAULT_SEED),
    };
    let stop = Arc::new(AtomicBool::new(false));
    if let Some(ms) = args.for_ms {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            stop.store(true, Ordering::Relaxed);
        });
    }
    let result = run(options, &stop, |path| {
        println!("{}", path.display());
        let _ = std::io::stdout().flush();
        eprintln!(
            "bridge: model port 0 ({}, {} baud 8N1) is on {}; e.g. `minicom -D {}` (Ctrl-C to stop)",
            options.topology,
            options.baud,
            path.display(),
            path.display()
        );
    });
    match result {
        Ok(stats) => {
            eprintln!(
                "bridge: {} byte(s) to the port, {} byte(s) back",
                stats.to_port, stats.from_port
            );
            EXIT_OK
        }
        Err(message) => {
            eprintln!("bridge failed: {message}");
            EXIT_FAILED
        }
    }
}

#[cfg(not(unix))]
pub fn bridge(_args: &BridgeArgs) -> u8 {
    eprintln!("error: the pseudo-terminal bridge needs a Unix host");
    EXIT_USAGE
}
