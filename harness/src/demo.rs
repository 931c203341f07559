//! The loopback demonstration: write a buffer through port 0 of a simulated machine with a
//! loopback plug, read it back, and report what it took: bytes, virtual time, interrupts and DPCs.

use serde::Serialize;
use serial_ioctl::{SerialIoctl, handflow};

use crate::backend::model::{ModelBench, ModelTarget};
use crate::port::{Port, Topology};
use crate::scenario::parse::fill_pattern;
use crate::time::Timestamp;

/// What to send.
#[derive(Copy, Clone, Debug)]
pub struct DemoOptions {
    /// Bytes to send and receive.
    pub bytes: usize,
    /// Line rate.
    pub baud: u32,
    /// The UART's input clock (1.8432 MHz on PCs: at most 115 200 baud).
    pub clock_hz: u32,
    /// Virtual CPUs.
    pub cpus: usize,
    /// Scheduling seed.
    pub seed: u64,
    /// Milliseconds of the transfer, from its start, to draw as an SVG timeline
    /// ([`DemoReport::timeline_svg`]); 0 = none.
    pub timeline_ms: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            bytes: 4096,
            baud: 115_200,
            clock_hz: serial_ioctl::SERIAL_DEFAULT_CLOCK_HZ,
            cpus: 2,
            seed: crate::runner::DEFAULT_SEED,
            timeline_ms: 0,
        }
    }
}

/// What happened.
#[derive(Clone, Debug, Serialize)]
pub struct DemoReport {
    /// Bytes written.
    pub bytes: usize,
    /// Line rate.
    pub baud: u32,
    /// Whether every byte came back, in order.
    pub matched: bool,
    /// Bytes read back.
    pub received: usize,
    /// Virtual time from the write's start to the read's completion, milliseconds.
    pub elapsed_ms: f64,
    /// The time the bytes need on the wire at 8N1 (10 bits each), milliseconds.
    pub wire_ms: f64,
    /// ISR invocations during the transfer.
    pub interrupts: u64,
    /// DPC routine runs during the transfer (custom and timer DPCs).
    pub dpcs: u64,
    /// UART register reads and writes during the transfer.
    pub register_accesses: u64,
    /// The costliest single ISR run of the machine so far, as the model charges it (ns; budget
    /// 25 µs).
    pub max_isr_cost_ns: u64,
    /// The costliest single DPC run so far (ns; budget 100 µs).
    pub max_dpc_cost_ns: u64,
    /// The scheduling seed.
    pub seed: u64,
    /// The timeline picture asked for with [`DemoOptions::timeline_ms`].
    #[serde(skip)]
    pub timeline_svg: Option<String>,
}

/// The IOCTLs that set a port up for the demonstrations: `baud` 8N1, no timeouts, DTR and RTS
/// on, no handshake, XON/XOFF limits of 2 048 and 512.
#[must_use]
pub fn line_settings(baud: u32) -> [(SerialIoctl, Vec<u8>); 4] {
    let mut handflow_input = Vec::with_capacity(16);
    handflow_input.extend_from_slice(&handflow::DTR_CONTROL.to_le_bytes());
    handflow_input.extend_from_slice(&handflow::RTS_CONTROL.to_le_bytes());
    handflow_input.extend_from_slice(&2048i32.to_le_bytes());
    handflow_input.extend_from_slice(&512i32.to_le_bytes());
    [
        (SerialIoctl::SetBaudRate, baud.to_le_bytes().to_vec()),
        (SerialIoctl::SetLineControl, vec![0, 0, 8]),
        (SerialIoctl::SetTimeouts, vec![0; 20]),
        (SerialIoctl::SetHandflow, handflow_input),
    ]
}

/// Runs the demonstration.
///
/// # Errors
/// A message when the driver refuses a step or the data does not come back in time.
pub fn run(options: DemoOptions) -> Result<DemoReport, String> {
    let target = ModelTarget {
        cpus: options.cpus,
        ..ModelTarget::default()
    };
    if serial_engine::line::divisor_for(options.baud, options.clock_hz).is_err() {
        return Err(format!(
            "{} baud is not available from a {} Hz UART clock (at most {}; --clock 14745600 \
             reaches 921600)",
            options.baud,
            options.clock_hz,
            options.clock_hz / 16
        ));
    }
    let mut config = target.config(Topology::Loopback, options.seed);
    config.uart.clock_hz = options.clock_hz;
    config.device.clock_hz = options.clock_hz;
    let mut bench = ModelBench::new(config);
    let mut port = bench
        .open_port(0)
        .map_err(|refused| format!("open failed: {}", refused.status))?;
    let settings = line_settings(options.baud);
    for (ioctl, input) in settings {
        let result = port
            .device_control(ioctl.code(), &input, 0)
            .map_err(|e| e.to_string())?;
        if !result.status.is_success() {
            return Err(format!(
                "IOCTL_SERIAL_{} failed: {}",
                ioctl.name(),
                result.status
            ));
        }
    }
    let data = fill_pattern(options.bytes);
    let machine = bench.machine();
    let before = machine.borrow().stats();
    if options.timeline_ms > 0 {
        machine.borrow_mut().record_timeline(true);
    }
    let read = port.start_read(data.len()).map_err(|e| e.to_string())?;
    let write = port.start_write(&data).map_err(|e| e.to_string())?;
    #[allow(clippy::cast_precision_loss)]
    let wire_ms = data.len() as f64 * 10.0 * 1000.0 / f64::from(options.baud.max(1));
    // Generous: twice the wire time plus ten seconds of virtual time.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let limit = (wire_ms * 2.0) as u64 + 10_000;
    let written = port
        .wait(write, limit)
        .map_err(|e| e.to_string())?
        .ok_or("the write did not complete")?;
    let received = port
        .wait(read, limit)
        .map_err(|e| e.to_string())?
        .ok_or("the read did not complete: bytes were lost")?;
    let after = machine.borrow().stats();
    let started: Timestamp = written.started.min(received.started);
    let timeline_svg = (options.timeline_ms > 0).then(|| {
        let from = started.0;
        let to = from.saturating_add(
            options
                .timeline_ms
                .saturating_mul(crate::time::UNITS_PER_MS),
        );
        machine.borrow().timeline_svg(from, to)
    });
    let _ = port.close();
    let dpcs = |stats: &serial_model::kernel::Stats| {
        stats
            .total_dpc_runs()
            .saturating_add(stats.timer_dpc_runs.values().sum::<u64>())
    };
    Ok(DemoReport {
        bytes: data.len(),
        baud: options.baud,
        matched: received.data == data,
        received: received.data.len(),
        elapsed_ms: received.finished.millis_since(started),
        wire_ms,
        interrupts: after
            .interrupts_delivered
            .saturating_sub(before.interrupts_delivered),
        dpcs: dpcs(&after).saturating_sub(dpcs(&before)),
        register_accesses: (after.register_reads + after.register_writes)
            .saturating_sub(before.register_reads + before.register_writes),
        max_isr_cost_ns: after.max_isr_cost_ns,
        max_dpc_cost_ns: after.max_dpc_cost_ns,
        seed: options.seed,
        timeline_svg,
    })
}
