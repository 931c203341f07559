//! Command-line definitions (clap derive) and dispatch.

mod bridge;
mod compare;
mod demo;
mod ioctl;
mod list;
mod run;
mod target;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// All scenarios passed (XFAIL and SKIP allowed).
pub const EXIT_OK: u8 = 0;
/// A scenario failed or passed against its known-failure marker; targets disagreed.
pub const EXIT_FAILED: u8 = 1;
/// Bad usage, unloadable scenario files, unusable target.
pub const EXIT_USAGE: u8 = 2;

/// Conformance harness for 16550 serial drivers: the model or real COM ports.
#[derive(Parser, Debug)]
#[command(name = "serial-harness", version, about, long_about = None)]
#[command(after_help = "Exit codes: 0 all passed, 1 failures, 2 usage or file errors.")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run scenarios (the built-in suite by default) against one target.
    Run(RunArgs),
    /// List scenarios without running them.
    List(ListArgs),
    /// Run the same scenarios against several targets and show the results side by side.
    Compare(CompareArgs),
    /// Connect a model port to a pseudo-terminal (Unix) for minicom, pyserial or socat.
    Bridge(BridgeArgs),
    /// Issue one IOCTL by name and print the status and the decoded output.
    Ioctl(IoctlArgs),
    /// Write a buffer through the model's loopback plug, read it back, report the cost.
    Demo(DemoArgs),
}

/// Which scenarios.
#[derive(Args, Debug, Clone, Default)]
struct Selection {
    /// Scenario files, directories, or built-in names/groups (`read`, `wait/txempty`).
    /// Default: the whole built-in suite.
    selectors: Vec<String>,
    /// Keep scenarios whose name contains this text (repeatable).
    #[arg(long = "filter", short = 'f')]
    filters: Vec<String>,
    /// Keep scenarios of this group (repeatable).
    #[arg(long = "group", short = 'g')]
    groups: Vec<String>,
    /// Keep scenarios with this tag (repeatable).
    #[arg(long = "tag")]
    tags: Vec<String>,
}

/// The target of `run` and `ioctl`.
#[derive(Args, Debug, Clone, Default)]
struct TargetArgs {
    /// Run on the model (the default).
    #[arg(long, conflicts_with = "port")]
    model: bool,
    /// Run on a real port (Windows), e.g. COM3.
    #[arg(long)]
    port: Option<String>,
    /// The port at the far end of a null-modem cable from --port (enables peer scenarios).
    #[arg(long, requires = "port")]
    peer: Option<String>,
    /// A loopback plug is on --port.
    #[arg(long, requires = "port", conflicts_with = "peer")]
    loopback: bool,
    /// Virtual CPUs of the model.
    #[arg(long, default_value_t = 2, value_parser = serial_harness::limits::parse_cpus)]
    cpus: usize,
}

#[derive(Args, Debug)]
struct RunArgs {
    #[command(flatten)]
    selection: Selection,
    #[command(flatten)]
    target: TargetArgs,
    /// Master seed (decimal or 0x-hex); each scenario's seed derives from it and its name.
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Print the results as JSON on stdout (the table still goes to stderr).
    #[arg(long)]
    json: bool,
    /// Write JUnit XML to this file.
    #[arg(long)]
    junit: Option<std::path::PathBuf>,
    /// Stop after the first failure.
    #[arg(long)]
    fail_fast: bool,
    /// Also show the step trace of XFAIL scenarios (failures always show it).
    #[arg(long)]
    trace: bool,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
    /// How long one request may stay pending before the scenario fails it as hung, in ms.
    #[arg(long, default_value_t = serial_harness::port::SYNC_LIMIT_MS, value_parser = serial_harness::limits::parse_ms)]
    request_deadline_ms: u64,
}

#[derive(Args, Debug)]
struct ListArgs {
    #[command(flatten)]
    selection: Selection,
    /// Print the list as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct CompareArgs {
    #[command(flatten)]
    selection: Selection,
    /// A target: `model`, `COM3`, `COM3:loopback` or `COM3+COM4` (repeat; at least two).
    #[arg(long = "target", short = 't', required = true, num_args = 1)]
    targets: Vec<String>,
    /// Master seed.
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Virtual CPUs of model targets.
    #[arg(long, default_value_t = 2, value_parser = serial_harness::limits::parse_cpus)]
    cpus: usize,
    /// Print the results as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Write JUnit XML (one testsuite per target) to this file.
    #[arg(long)]
    junit: Option<std::path::PathBuf>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Args, Debug)]
struct BridgeArgs {
    /// What the model port is plugged into: loopback, none, null-modem.
    #[arg(long, default_value = "loopback", value_parser = parse_topology)]
    topology: serial_harness::port::Topology,
    /// The model port's line rate.
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// Virtual CPUs.
    #[arg(long, default_value_t = 2, value_parser = serial_harness::limits::parse_cpus)]
    cpus: usize,
    /// Scheduling seed.
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Stop after this many milliseconds (default: run until interrupted).
    #[arg(long, value_parser = serial_harness::limits::parse_ms)]
    for_ms: Option<u64>,
    /// The UART's input clock in Hz: 1843200 (PC COM ports, up to 115200 baud), 14745600 (PCI
    /// cards, up to 921600), 48000000 (up to 3000000).
    #[arg(long, default_value_t = 1_843_200)]
    clock: u32,
    /// A stable symlink to the pty (repeat for the second end of a null-modem pair).
    #[arg(long = "link")]
    links: Vec<std::path::PathBuf>,
    /// A Unix socket for control commands: set DSR/CTS/DCD/RI (topology none), send a break.
    #[arg(long)]
    control: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
struct IoctlArgs {
    /// The IOCTL: SET_BAUD_RATE, IOCTL_SERIAL_GET_COMMSTATUS, INTERNAL_BASIC_SETTINGS, …
    name: String,
    /// Input: one value for single-field inputs (`9600`, `8N1`, `RXCHAR|TXEMPTY`), else
    /// `field=value` pairs.
    values: Vec<String>,
    #[command(flatten)]
    target: TargetArgs,
    /// What the model port is plugged into.
    #[arg(long, default_value = "none", value_parser = parse_topology)]
    topology: serial_harness::port::Topology,
    /// Raw input bytes in hex instead of values.
    #[arg(long, conflicts_with = "values")]
    hex: Option<String>,
    /// Output buffer length (default: the IOCTL's output structure size).
    #[arg(long, value_parser = serial_harness::limits::parse_buffer_len)]
    output_len: Option<usize>,
    /// How long to wait for a request that pends (milliseconds; virtual on the model).
    #[arg(long, default_value_t = 1_000, value_parser = serial_harness::limits::parse_ms)]
    wait_ms: u64,
    /// Scheduling seed (model).
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
}

#[derive(Args, Debug)]
struct DemoArgs {
    /// Bytes to send.
    #[arg(long, default_value_t = 4096, value_parser = serial_harness::limits::parse_buffer_len)]
    bytes: usize,
    /// Line rate.
    #[arg(long, default_value_t = 115_200)]
    baud: u32,
    /// The UART's input clock in Hz (14745600 for rates up to 921600).
    #[arg(long, default_value_t = 1_843_200)]
    clock: u32,
    /// Write an SVG timeline of the transfer's first milliseconds (see --timeline-ms) to FILE:
    /// one lane per virtual CPU with ISR, DPC and PASSIVE spans, bytes read and completions.
    #[arg(long)]
    timeline: Option<std::path::PathBuf>,
    /// How many milliseconds the timeline shows.
    #[arg(long, default_value_t = 3, value_parser = serial_harness::limits::parse_ms)]
    timeline_ms: u64,
    /// Virtual CPUs.
    #[arg(long, default_value_t = 2, value_parser = serial_harness::limits::parse_cpus)]
    cpus: usize,
    /// Scheduling seed.
    #[arg(long, value_parser = parse_seed)]
    seed: Option<u64>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// loopback (one port writes and reads itself back) or null-modem (two ports in full
    /// duplex, each sending --bytes to the other).
    #[arg(long, default_value = "loopback", value_parser = parse_demo_topology)]
    topology: serial_harness::port::Topology,
    /// Null-modem: bytes per read request, each started when the last completes.
    #[arg(long, default_value_t = 4096, value_parser = serial_harness::limits::parse_buffer_len)]
    read_size: usize,
    /// Null-modem: receive FIFO trigger level (1, 4, 8 or 14).
    #[arg(long, default_value_t = 14, value_parser = parse_trigger)]
    rx_trigger: u8,
    /// Null-modem: also find the largest rate (921600 up to 12 Mbaud, each with a clock that
    /// makes it) at which nothing is lost.
    #[arg(long)]
    max_baud: bool,
}

fn parse_demo_topology(text: &str) -> Result<serial_harness::port::Topology, String> {
    match serial_harness::port::Topology::from_name(text) {
        Some(
            topology @ (serial_harness::port::Topology::Loopback
            | serial_harness::port::Topology::NullModem),
        ) => Ok(topology),
        _ => Err(format!("'{text}': the demo runs loopback or null-modem")),
    }
}

fn parse_trigger(text: &str) -> Result<u8, String> {
    match text.parse::<u8>() {
        Ok(level @ (1 | 4 | 8 | 14)) => Ok(level),
        _ => Err(format!(
            "'{text}' is not a 16550 trigger level (1, 4, 8, 14)"
        )),
    }
}

fn parse_seed(text: &str) -> Result<u64, String> {
    serial_harness::names::parse_number(text).ok_or_else(|| format!("'{text}' is not a number"))
}

fn parse_topology(text: &str) -> Result<serial_harness::port::Topology, String> {
    serial_harness::port::Topology::from_name(text)
        .ok_or_else(|| format!("'{text}' is not a topology (none, loopback, null-modem, peer)"))
}

/// Runs the command.
pub fn dispatch(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::List(args) => list::list(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Bridge(args) => bridge::bridge(&args),
        Command::Ioctl(args) => ioctl::ioctl(&args),
        Command::Demo(args) => demo::demo(&args),
    };
    ExitCode::from(code)
}
