//! `serial-harness bridge`.

use super::BridgeArgs;
#[cfg(not(unix))]
use super::EXIT_USAGE;

#[cfg(unix)]
pub fn bridge(args: &BridgeArgs) -> u8 {
    use std::io::Write as _;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use serial_harness::bridge::{BridgeOptions, limitations, run, validate};

    use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE};

    let options = BridgeOptions {
        topology: args.topology,
        baud: args.baud,
        clock_hz: args.clock,
        cpus: args.cpus,
        seed: args.seed.unwrap_or(serial_harness::runner::DEFAULT_SEED),
        links: args.links.clone(),
        control: args.control.clone(),
    };
    if let Err(message) = validate(&options) {
        eprintln!("error: {message}");
        return EXIT_USAGE;
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(error) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("bridge: cannot catch signal {signal}: {error}");
        }
    }
    if let Some(ms) = args.for_ms {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(ms));
            stop.store(true, Ordering::Relaxed);
        });
    }
    let result = run(&options, &stop, |paths| {
        for path in paths {
            println!("{}", path.display());
        }
        let _ = std::io::stdout().flush();
        for (end, path) in paths.iter().enumerate() {
            let link = options
                .links
                .get(end)
                .map(|link| format!(" (also {})", link.display()))
                .unwrap_or_default();
            eprintln!(
                "bridge: model port {end} ({}, {} baud 8N1 until a client sets its own) is on {}{link}",
                options.topology,
                options.baud,
                path.display(),
            );
        }
        if let Some(first) = paths.first() {
            eprintln!(
                "bridge: e.g. `picocom -b {} {}`; Ctrl-C stops the bridge",
                options.baud,
                first.display()
            );
        }
        eprintln!("bridge: {}", limitations(options.control.as_deref()));
    });
    match result {
        Ok(stats) => {
            for (end, s) in stats.ends.iter().enumerate() {
                eprintln!(
                    "bridge: port {end}: {} session(s), {} byte(s) to the port, {} back, {} discarded by flushes and closes, {} hardware and {} buffer overrun(s)",
                    s.sessions,
                    s.to_port,
                    s.from_port,
                    s.discarded,
                    s.hardware_overruns,
                    s.buffer_overruns
                );
            }
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
