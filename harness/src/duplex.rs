//! Full duplex through a null-modem pair: both ports of a simulated machine write the same amount
//! at once and read what the other sends in reads of a chosen size, each read started as soon as
//! the previous one completes, as a program reading in a loop does. Code takes its charged time,
//! so the figures say whether the driver keeps up with the line on the model's CPUs: a slow ISR
//! overruns the FIFO, a slow read loop overruns the receive buffer, and either loses bytes
//! (there is no flow control).

use serde::Serialize;
use serial_ioctl::{SerialIoctl, SerialStatus};
use serial_model::kernel::{Machine, Operation, RequestHandle};

use crate::backend::model::{DISPATCH_LIMIT, ModelTarget};
use crate::port::Topology;
use crate::scenario::parse::fill_pattern;
use crate::time::UNITS_PER_MS;

/// One full-duplex run.
#[derive(Copy, Clone, Debug)]
pub struct DuplexOptions {
    /// Bytes each port sends (and receives).
    pub bytes: usize,
    /// Line rate.
    pub baud: u32,
    /// The UART input clock.
    pub clock_hz: u32,
    /// The receive FIFO trigger level (1, 4, 8 or 14).
    pub rx_trigger: u8,
    /// Bytes per read request.
    pub read_size: usize,
    /// Virtual CPUs.
    pub cpus: usize,
    /// Scheduling seed.
    pub seed: u64,
}

impl Default for DuplexOptions {
    /// 64 KiB each way at 921 600 baud on a 14.7456 MHz clock, trigger 14, 4 KiB reads, 2 CPUs.
    fn default() -> Self {
        Self {
            bytes: 65_536,
            baud: 921_600,
            clock_hz: 14_745_600,
            rx_trigger: 14,
            read_size: 4096,
            cpus: 2,
            seed: crate::runner::DEFAULT_SEED,
        }
    }
}

/// What a full-duplex run did, both directions together.
#[derive(Clone, Debug, Serialize)]
pub struct DuplexReport {
    /// Bytes each port sent.
    pub bytes: usize,
    /// Line rate.
    pub baud: u32,
    /// Receive trigger level.
    pub rx_trigger: u8,
    /// Bytes per read.
    pub read_size: usize,
    /// Whether both ports received exactly what the other sent, in order.
    pub intact: bool,
    /// Bytes each port received.
    pub received: [usize; 2],
    /// Characters the UARTs' receive FIFOs lost (hardware overruns, both ports).
    pub fifo_overruns: u64,
    /// The error bits GET_COMMSTATUS reported at the end, per port.
    pub errors: [u32; 2],
    /// Virtual time from the start to the last completion, milliseconds.
    pub elapsed_ms: f64,
    /// The line time of `bytes` at 8N1, milliseconds.
    pub wire_ms: f64,
    /// Read requests completed (both ports).
    pub reads: u64,
    /// Share of the machine's CPU time spent in driver code (ISRs, DPCs, dispatch routines), as
    /// the cost model charges it.
    pub cpu_load: f64,
    /// Share of one CPU that each port (sending and receiving at once) costs.
    pub cpu_per_port: f64,
    /// Rules the run broke (the model's verifier); any makes the run fail.
    pub violations: usize,
    /// Largest single ISR cost, ns.
    pub max_isr_cost_ns: u64,
    /// Largest single DPC cost, ns.
    pub max_dpc_cost_ns: u64,
}

impl DuplexReport {
    /// Nothing lost, nothing overran, nothing reported an error.
    #[must_use]
    pub fn held(&self) -> bool {
        self.intact && self.fifo_overruns == 0 && self.errors == [0, 0] && self.violations == 0
    }
}

/// Runs one full-duplex transfer.
///
/// # Errors
/// A message when the rate is not available from the clock or the driver refuses a setting.
pub fn run(options: DuplexOptions) -> Result<DuplexReport, String> {
    if serial_engine::line::divisor_for(options.baud, options.clock_hz).is_err() {
        return Err(format!(
            "{} baud is not available from a {} Hz UART clock",
            options.baud, options.clock_hz
        ));
    }
    let target = ModelTarget {
        cpus: options.cpus,
        ..ModelTarget::default()
    };
    let mut config = target.config(Topology::NullModem, options.seed);
    config.uart.clock_hz = options.clock_hz;
    config.device.clock_hz = options.clock_hz;
    config.device.rx_fifo_trigger = options.rx_trigger;
    let mut m = Machine::new(config);
    for port in 0..2 {
        configure(&mut m, port, options.baud)?;
    }
    let data = fill_pattern(options.bytes);
    let read_size = options.read_size.max(1);
    let before = m.stats();
    let started = m.now();
    let mut received: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut reads: [Option<RequestHandle>; 2] = [None, None];
    let mut writes: [Option<RequestHandle>; 2] = [None, None];
    for port in 0..2 {
        writes[port] = Some(submit(
            &mut m,
            port,
            Operation::Write { data: data.clone() },
        ));
        reads[port] = Some(submit(
            &mut m,
            port,
            Operation::Read {
                len: read_size.min(data.len()),
            },
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    let wire_ms = data.len() as f64 * 10.0 * 1000.0 / f64::from(options.baud.max(1));
    // Lost bytes leave a read waiting for ever: give up at twice the line time plus a second.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let deadline = started + ((wire_ms * 2.0) as u64 + 1_000) * UNITS_PER_MS;
    let mut finished = started;
    let mut read_count = 0u64;
    while (reads.iter().any(Option::is_some) || writes.iter().any(Option::is_some))
        && m.now() < deadline
    {
        // A request may have completed while another was being dispatched.
        let ready = reads
            .iter()
            .chain(&writes)
            .flatten()
            .any(|&h| m.completion(h).is_some());
        if !ready {
            m.run_until_any_completion(deadline - m.now());
        }
        for port in 0..2 {
            if let Some(done) = writes[port].and_then(|h| m.take_completion(h)) {
                writes[port] = None;
                finished = finished.max(done.completed_at);
            }
            let Some(done) = reads[port].and_then(|h| m.take_completion(h)) else {
                continue;
            };
            read_count += 1;
            finished = finished.max(done.completed_at);
            received[port].extend_from_slice(&done.output);
            let left = data.len().saturating_sub(received[port].len());
            reads[port] = (done.status.is_success() && left > 0).then(|| {
                submit(
                    &mut m,
                    port,
                    Operation::Read {
                        len: read_size.min(left),
                    },
                )
            });
        }
    }
    for handle in reads.into_iter().chain(writes).flatten() {
        m.cancel(handle);
    }
    m.run_for(UNITS_PER_MS);
    let after = m.stats();
    let fifo_overruns = (0..2).map(|p| m.board().uart(p).counters().overruns).sum();
    let errors = [comm_errors(&mut m, 0)?, comm_errors(&mut m, 1)?];
    let elapsed = finished.saturating_sub(started);
    #[allow(clippy::cast_precision_loss)]
    let busy = after.busy_ns.saturating_sub(before.busy_ns) as f64;
    #[allow(clippy::cast_precision_loss)]
    let span_ns = (elapsed.max(1) * 100) as f64;
    #[allow(clippy::cast_precision_loss)]
    let cpus = options.cpus.max(1) as f64;
    Ok(DuplexReport {
        bytes: data.len(),
        baud: options.baud,
        rx_trigger: options.rx_trigger,
        read_size,
        intact: received.iter().all(|got| *got == data),
        received: [received[0].len(), received[1].len()],
        fifo_overruns,
        errors,
        #[allow(clippy::cast_precision_loss)]
        elapsed_ms: elapsed as f64 / UNITS_PER_MS as f64,
        wire_ms,
        reads: read_count,
        cpu_load: busy / span_ns / cpus,
        cpu_per_port: busy / span_ns / 2.0,
        violations: m.violations().len(),
        max_isr_cost_ns: after.max_isr_cost_ns,
        max_dpc_cost_ns: after.max_dpc_cost_ns,
    })
}

/// The rates tried by [`largest_holding_baud`], each with a clock that makes it exactly
/// (divisor 1 on a 16×-clock part: 14.7456 MHz cards make 921 600, 48 MHz ones 3 Mbaud).
pub const BAUD_LADDER: [u32; 8] = [
    921_600, 1_500_000, 2_000_000, 3_000_000, 4_000_000, 6_000_000, 8_000_000, 12_000_000,
];

/// The largest rate of [`BAUD_LADDER`] at which `options` (its baud and clock replaced) still
/// holds, and the report of the first rate that did not, if any.
///
/// # Errors
/// As [`run`].
pub fn largest_holding_baud(
    options: DuplexOptions,
) -> Result<(Option<u32>, Option<DuplexReport>), String> {
    let mut best = None;
    for baud in BAUD_LADDER {
        let report = run(DuplexOptions {
            baud,
            clock_hz: baud.saturating_mul(16),
            ..options
        })?;
        if !report.held() {
            return Ok((best, Some(report)));
        }
        best = Some(baud);
    }
    Ok((best, None))
}

/// Submits `operation` and lets its dispatch routine return, as an overlapped call does before
/// it returns ERROR_IO_PENDING.
fn submit(m: &mut Machine, port: usize, operation: Operation) -> RequestHandle {
    let handle = m.submit(port, operation);
    m.run_until_dispatched(handle, DISPATCH_LIMIT);
    handle
}

fn configure(m: &mut Machine, port: usize, baud: u32) -> Result<(), String> {
    let status = m.open(port);
    if !status.is_success() {
        return Err(format!("open of port {port} failed: {status}"));
    }
    for (ioctl, input) in crate::demo::line_settings(baud) {
        let done = m.call(
            port,
            Operation::DeviceControl {
                code: ioctl.code(),
                input,
                output_len: 0,
            },
        );
        if !done.status.is_success() {
            return Err(format!(
                "IOCTL_SERIAL_{} on port {port} failed: {}",
                ioctl.name(),
                done.status
            ));
        }
    }
    Ok(())
}

/// GET_COMMSTATUS's error bits (reading them clears them, as ClearCommError does).
fn comm_errors(m: &mut Machine, port: usize) -> Result<u32, String> {
    let done = m.call(
        port,
        Operation::DeviceControl {
            code: SerialIoctl::GetCommStatus.code(),
            input: Vec::new(),
            output_len: 20,
        },
    );
    serial_ioctl::decode::<SerialStatus>(&done.output)
        .map(|status| status.errors)
        .map_err(|_| {
            format!(
                "IOCTL_SERIAL_GET_COMMSTATUS on port {port}: {}",
                done.status
            )
        })
}
