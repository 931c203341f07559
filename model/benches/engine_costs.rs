//! The engine's costs on the model, per workload: register accesses, interrupts and DPC runs per
//! byte or request, the largest ISR and DPC cost (the model's cost counters, deterministic), and
//! host wall time (not deterministic; reported, never asserted).
//!
//! `cargo bench -p serial-model --bench engine_costs` prints the table, and under each workload
//! every routine's invocations (the ISR, each DPC kind, each timer DPC) with their mean and
//! longest charged cost and a duration histogram, the model's counterpart of WPA's DPC/ISR view. `ENGINE_COSTS_ONLY=<name>`
//! runs one workload and `ENGINE_COSTS_SCALE=<n>` multiplies its size, which is how
//! `tools/bench/instructions` measures instructions per byte under callgrind (the difference
//! between two sizes cancels the set-up).

use std::time::Instant;

use serial_ioctl::{NtStatus, SerialIoctl, SerialLineControl, SerialTimeouts, line_control};
use serial_model::kernel::{Machine, MachineConfig, Operation, Stats};
use serial_model::uart::{FrameFormat, Parity, StopBits};
use serial_model::wire::Topology;

const BAUD: u32 = 115_200;

/// One workload: its name, what one unit is, and how many units it moves at scale 1.
struct Workload {
    name: &'static str,
    unit: &'static str,
    units: usize,
    run: fn(&mut Machine, usize),
    trigger: u8,
}

fn machine(trigger: u8) -> Machine {
    let mut config = MachineConfig {
        topology: Topology::Peer,
        timer_tick: 1,
        ..MachineConfig::default()
    };
    config.device.rx_fifo_trigger = trigger;
    let mut m = Machine::new(config);
    m.board_mut()
        .peer()
        .expect("a peer")
        .set_format(FrameFormat::new(BAUD, 8, Parity::None, StopBits::One));
    assert_eq!(m.open(0), NtStatus::SUCCESS);
    let ioctl = |m: &mut Machine, code: SerialIoctl, input: Vec<u8>| {
        let done = m.call(
            0,
            Operation::DeviceControl {
                code: code.code(),
                input,
                output_len: 0,
            },
        );
        assert_eq!(done.status, NtStatus::SUCCESS, "{code:?}");
    };
    ioctl(
        &mut m,
        SerialIoctl::SetBaudRate,
        BAUD.to_le_bytes().to_vec(),
    );
    let line = SerialLineControl {
        stop_bits: line_control::STOP_BIT_1,
        parity: line_control::NO_PARITY,
        word_length: 8,
    };
    ioctl(&mut m, SerialIoctl::SetLineControl, bytemuck_bytes(&line));
    m
}

fn bytemuck_bytes<T: bytemuck::Pod>(value: &T) -> Vec<u8> {
    bytemuck::bytes_of(value).to_vec()
}

fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// The peer streams `bytes` into one read of that size.
fn receive(m: &mut Machine, bytes: usize) {
    let read = m.submit(0, Operation::Read { len: bytes });
    let at = m.now();
    m.board_mut()
        .peer()
        .expect("a peer")
        .send(&payload(bytes), at);
    let done = m
        .run_until_complete(read, 100_000_000_000)
        .expect("the read completes");
    assert_eq!(done.output.len(), bytes);
}

/// One write of `bytes` to the listening peer.
fn transmit(m: &mut Machine, bytes: usize) {
    let done = m.call(
        0,
        Operation::Write {
            data: payload(bytes),
        },
    );
    assert_eq!(done.information, bytes);
}

/// `reads` 1-byte reads one after the other, each already satisfied by buffered data (what a
/// terminal program's read loop does).
fn one_byte_reads(m: &mut Machine, reads: usize) {
    let timeouts = SerialTimeouts {
        read_interval_timeout: u32::MAX,
        ..SerialTimeouts::default()
    };
    let done = m.call(
        0,
        Operation::DeviceControl {
            code: SerialIoctl::SetTimeouts.code(),
            input: bytemuck_bytes(&timeouts),
            output_len: 0,
        },
    );
    assert_eq!(done.status, NtStatus::SUCCESS);
    let at = m.now();
    let end = m
        .board_mut()
        .peer()
        .expect("a peer")
        .send(&payload(reads), at);
    m.run_until(end + 10_000);
    for _ in 0..reads {
        let done = m.call(0, Operation::Read { len: 1 });
        assert_eq!(done.information, 1);
    }
}

const WORKLOADS: [Workload; 6] = [
    Workload {
        name: "receive-trigger-14",
        unit: "byte",
        units: 16_384,
        run: receive,
        trigger: 14,
    },
    Workload {
        name: "receive-trigger-8",
        unit: "byte",
        units: 16_384,
        run: receive,
        trigger: 8,
    },
    Workload {
        name: "receive-trigger-4",
        unit: "byte",
        units: 16_384,
        run: receive,
        trigger: 4,
    },
    Workload {
        name: "receive-trigger-1",
        unit: "byte",
        units: 16_384,
        run: receive,
        trigger: 1,
    },
    Workload {
        name: "transmit",
        unit: "byte",
        units: 16_384,
        run: transmit,
        trigger: 8,
    },
    Workload {
        name: "one-byte-reads",
        unit: "read",
        units: 2_000,
        run: one_byte_reads,
        trigger: 8,
    },
];

fn delta(after: &Stats, before: &Stats) -> (u64, u64, u64) {
    (
        (after.register_reads + after.register_writes)
            - (before.register_reads + before.register_writes),
        after.interrupts_delivered - before.interrupts_delivered,
        (after.total_dpc_runs() + after.timer_dpc_runs.values().sum::<u64>())
            - (before.total_dpc_runs() + before.timer_dpc_runs.values().sum::<u64>()),
    )
}

fn main() {
    let only = std::env::var("ENGINE_COSTS_ONLY").ok();
    let scale: usize = std::env::var("ENGINE_COSTS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    println!(
        "{:<28} {:>8} {:>10} {:>10} {:>10} {:>9} {:>9} {:>9}",
        "workload", "units", "regs/unit", "irqs/KiU", "dpcs/KiU", "ISR max", "DPC max", "wall ms"
    );
    for workload in WORKLOADS
        .iter()
        .filter(|w| only.as_deref().is_none_or(|o| o == w.name))
    {
        let units = workload.units * scale;
        let mut m = machine(workload.trigger);
        let before = m.stats();
        let start = Instant::now();
        (workload.run)(&mut m, units);
        let wall = start.elapsed();
        let after = m.stats();
        let (accesses, interrupts, dpcs) = delta(&after, &before);
        let per = |count: u64| count as f64 / units as f64;
        println!(
            "{:<28} {:>8} {:>10.3} {:>10.1} {:>10.1} {:>7.1}µs {:>7.1}µs {:>9.1}",
            format!("{} ({})", workload.name, workload.unit),
            units,
            per(accesses),
            per(interrupts) * 1024.0,
            per(dpcs) * 1024.0,
            after.max_isr_cost_ns as f64 / 1000.0,
            after.max_dpc_cost_ns as f64 / 1000.0,
            wall.as_secs_f64() * 1000.0
        );
        for (routine, costs) in &after.routine_costs {
            let before = before
                .routine_costs
                .get(routine)
                .cloned()
                .unwrap_or_default();
            let count = costs.count - before.count;
            if count == 0 {
                continue;
            }
            let buckets: Vec<String> = costs
                .buckets
                .iter()
                .zip(before.buckets.iter())
                .map(|(a, b)| (a - b).to_string())
                .collect();
            println!(
                "    {:<30} {:>7} runs, mean {:>6.2} µs, longest {:>6.2} µs, <1/2/5/10/25/50/100/≥100 µs: {}",
                format!("{routine:?}"),
                count,
                (costs.total_ns - before.total_ns) as f64 / count as f64 / 1000.0,
                costs.max_ns as f64 / 1000.0,
                buckets.join("/")
            );
        }
        m.close(0);
        let violations = m.finish();
        assert!(violations.is_empty(), "{violations:?}");
    }
}
