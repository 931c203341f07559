//! Two ports in full duplex through a null-modem pair with code taking its charged time: for each
//! receive trigger level and read size, 64 KiB each way at 921 600 baud (14.7456 MHz clock) and
//! the largest rate of the ladder at which nothing is lost. Virtual-time figures: they repeat
//! exactly for a seed. `cargo bench -p serial-harness --bench full_duplex`.

use serial_harness::duplex::{DuplexOptions, largest_holding_baud, run};

fn main() {
    // `cargo test --benches` runs this with --bench absent; a quick smoke run then.
    let full = std::env::args().any(|arg| arg == "--bench");
    let bytes = if full { 65_536 } else { 4_096 };
    println!(
        "| trigger | read | 921 600 baud, {bytes} B each way | CPU per port | largest ISR | largest DPC | largest rate that holds |"
    );
    println!("|---|---|---|---|---|---|---|");
    for rx_trigger in [8, 14] {
        for read_size in [1, 64, 4096] {
            let options = DuplexOptions {
                bytes,
                rx_trigger,
                read_size,
                seed: 7,
                ..DuplexOptions::default()
            };
            let report = match run(options) {
                Ok(report) => report,
                Err(message) => {
                    eprintln!("{message}");
                    std::process::exit(1);
                }
            };
            let largest = match largest_holding_baud(options) {
                Ok((Some(baud), _)) => format!("{baud}"),
                Ok((None, _)) => "below 921 600".to_owned(),
                Err(message) => {
                    eprintln!("{message}");
                    std::process::exit(1);
                }
            };
            println!(
                "| {rx_trigger} | {read_size} B | {} | {:.1} % | {:.0} µs | {:.1} µs | {largest} |",
                if report.held() {
                    "nothing lost"
                } else {
                    "BYTES LOST"
                },
                report.cpu_per_port * 100.0,
                report.max_isr_cost_ns as f64 / 1000.0,
                report.max_dpc_cost_ns as f64 / 1000.0,
            );
        }
    }
}
