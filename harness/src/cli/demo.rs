//! `serial-harness demo`.

use serial_harness::demo::{DemoOptions, run};
use serial_harness::duplex::{self, DuplexOptions, DuplexReport};
use serial_harness::port::Topology;
use serial_harness::runner::DEFAULT_SEED;

use super::{DemoArgs, EXIT_FAILED, EXIT_OK};

pub fn demo(args: &DemoArgs) -> u8 {
    if args.topology == Topology::NullModem {
        return duplex(args);
    }
    let options = DemoOptions {
        bytes: args.bytes,
        baud: args.baud,
        clock_hz: args.clock,
        cpus: args.cpus,
        seed: args.seed.unwrap_or(DEFAULT_SEED),
        timeline_ms: if args.timeline.is_some() {
            args.timeline_ms.max(1)
        } else {
            0
        },
    };
    match run(options) {
        Ok(report) => {
            if let (Some(path), Some(svg)) = (&args.timeline, &report.timeline_svg) {
                if let Err(error) = std::fs::write(path, svg) {
                    eprintln!("error: cannot write {}: {error}", path.display());
                    return EXIT_FAILED;
                }
                eprintln!("timeline: {}", path.display());
            }
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                println!(
                    "loopback: {} bytes at {} baud 8N1 {} ({} read back)",
                    report.bytes,
                    report.baud,
                    if report.matched {
                        "came back intact"
                    } else {
                        "came back CORRUPTED"
                    },
                    report.received
                );
                println!(
                    "virtual time: {:.3} ms (wire time {:.3} ms, {:.1} %)",
                    report.elapsed_ms,
                    report.wire_ms,
                    if report.wire_ms > 0.0 {
                        report.elapsed_ms / report.wire_ms * 100.0
                    } else {
                        0.0
                    }
                );
                #[allow(clippy::cast_precision_loss)]
                let per_interrupt = report.bytes as f64 / report.interrupts.max(1) as f64;
                println!(
                    "interrupts: {} ({per_interrupt:.1} bytes each), DPCs: {}",
                    report.interrupts, report.dpcs
                );
                #[allow(clippy::cast_precision_loss)]
                let accesses_per_byte =
                    report.register_accesses as f64 / report.bytes.max(1) as f64;
                println!(
                    "register accesses: {} ({accesses_per_byte:.2} per byte)",
                    report.register_accesses
                );
                #[allow(clippy::cast_precision_loss)]
                let (isr_us, dpc_us) = (
                    report.max_isr_cost_ns as f64 / 1000.0,
                    report.max_dpc_cost_ns as f64 / 1000.0,
                );
                println!(
                    "largest ISR cost: {isr_us:.1} µs (budget 25), largest DPC cost: {dpc_us:.1} µs (budget 100)"
                );
                println!("seed: {}", report.seed);
            }
            if report.matched { EXIT_OK } else { EXIT_FAILED }
        }
        Err(message) => {
            eprintln!("demo failed: {message}");
            EXIT_FAILED
        }
    }
}

/// Two ports in full duplex through a null-modem cable.
fn duplex(args: &DemoArgs) -> u8 {
    let options = DuplexOptions {
        bytes: args.bytes,
        baud: args.baud,
        clock_hz: args.clock,
        rx_trigger: args.rx_trigger,
        read_size: args.read_size,
        cpus: args.cpus,
        seed: args.seed.unwrap_or(DEFAULT_SEED),
    };
    let report = match duplex::run(options) {
        Ok(report) => report,
        Err(message) => {
            eprintln!("demo failed: {message}");
            return EXIT_FAILED;
        }
    };
    let largest = if args.max_baud {
        match duplex::largest_holding_baud(options) {
            Ok(found) => Some(found),
            Err(message) => {
                eprintln!("demo failed: {message}");
                return EXIT_FAILED;
            }
        }
    } else {
        None
    };
    if args.json {
        let value = serde_json::json!({
            "run": report,
            "largest_holding_baud": largest.as_ref().map(|(baud, _)| baud),
            "first_failing": largest.as_ref().and_then(|(_, failing)| failing.as_ref()),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
    } else {
        print_duplex(&report);
        if let Some((baud, failing)) = &largest {
            match baud {
                Some(baud) => println!("largest rate that holds: {baud} baud"),
                None => println!("largest rate that holds: none of the ladder (from 921600)"),
            }
            if let Some(failing) = failing {
                print!("first that does not: ");
                print_duplex(failing);
            }
        }
    }
    if report.held() { EXIT_OK } else { EXIT_FAILED }
}

fn print_duplex(report: &DuplexReport) {
    println!(
        "null-modem full duplex: {} bytes each way at {} baud 8N1, trigger {}, reads of {}: {}",
        report.bytes,
        report.baud,
        report.rx_trigger,
        report.read_size,
        if report.held() {
            "nothing lost"
        } else {
            "BYTES LOST"
        }
    );
    println!(
        "  received {:?}, FIFO overruns {}, errors {:#x}/{:#x}, violations {}",
        report.received,
        report.fifo_overruns,
        report.errors[0],
        report.errors[1],
        report.violations
    );
    println!(
        "  virtual time {:.3} ms (line time {:.3} ms), {} reads, CPU load {:.1} % of the machine, \
         {:.1} % of one CPU per port",
        report.elapsed_ms,
        report.wire_ms,
        report.reads,
        report.cpu_load * 100.0,
        report.cpu_per_port * 100.0
    );
    #[allow(clippy::cast_precision_loss)]
    let (isr_us, dpc_us) = (
        report.max_isr_cost_ns as f64 / 1000.0,
        report.max_dpc_cost_ns as f64 / 1000.0,
    );
    println!("  largest ISR {isr_us:.1} µs (budget 25), largest DPC {dpc_us:.1} µs (budget 100)");
}
