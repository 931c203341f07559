//! Helpers for the end-to-end tests: the engine on the kernel model and the 16550 model.
#![allow(dead_code)]

/// The wire bytes of an ABI structure.
macro_rules! bytes {
    ($value:expr) => {{
        let value = $value;
        let mut out = vec![0u8; ::core::mem::size_of_val(&value)];
        ::serial_ioctl::encode(&value, &mut out).unwrap();
        out
    }};
}

use serial_ioctl::{
    NtStatus, SerialBaudRate, SerialHandflow, SerialIoctl, SerialLineControl, SerialTimeouts,
    line_control,
};
use serial_model::kernel::{Completion, Machine, MachineConfig, Operation, RequestHandle};
use serial_model::wire::Topology;

/// A machine whose timers are exact (tick = 100 ns), so timing assertions are exact; the seed and
/// CPU count come from SERIAL_MODEL_SEED / SERIAL_MODEL_CPUS when set.
pub fn machine(topology: Topology) -> Machine {
    machine_with(topology, |_| {})
}

pub fn machine_with(topology: Topology, tweak: impl FnOnce(&mut MachineConfig)) -> Machine {
    let mut config = MachineConfig {
        topology,
        timer_tick: 1,
        ..MachineConfig::default()
    };
    tweak(&mut config);
    Machine::new(MachineConfig::from_env_or(config))
}

/// Opens port 0 and configures `baud` 8N1 with no flow control and no timeouts.
pub fn open_8n1(machine: &mut Machine, port: usize, baud: u32) {
    assert_eq!(machine.open(port), NtStatus::SUCCESS);
    ok(ioctl(
        machine,
        port,
        SerialIoctl::SetBaudRate,
        &bytes!(SerialBaudRate { baud_rate: baud }),
        0,
    ));
    let lc = SerialLineControl {
        stop_bits: line_control::STOP_BIT_1,
        parity: line_control::NO_PARITY,
        word_length: 8,
    };
    ok(ioctl(
        machine,
        port,
        SerialIoctl::SetLineControl,
        &bytes!(lc),
        0,
    ));
    let hf = SerialHandflow {
        control_handshake: 0x01,
        flow_replace: 0x40,
        xon_limit: 0,
        xoff_limit: 0,
    };
    ok(ioctl(
        machine,
        port,
        SerialIoctl::SetHandflow,
        &bytes!(hf),
        0,
    ));
}

pub fn ioctl(
    machine: &mut Machine,
    port: usize,
    code: SerialIoctl,
    input: &[u8],
    output_len: usize,
) -> Completion {
    machine.call(
        port,
        Operation::DeviceControl {
            code: code.code(),
            input: input.to_vec(),
            output_len,
        },
    )
}

pub fn start_ioctl(
    machine: &mut Machine,
    port: usize,
    code: SerialIoctl,
    input: &[u8],
    output_len: usize,
) -> RequestHandle {
    machine.submit(
        port,
        Operation::DeviceControl {
            code: code.code(),
            input: input.to_vec(),
            output_len,
        },
    )
}

pub fn ok(completion: Completion) -> Completion {
    assert_eq!(completion.status, NtStatus::SUCCESS, "{completion:?}");
    completion
}

pub fn set_timeouts(
    machine: &mut Machine,
    port: usize,
    ri: u32,
    rm: u32,
    rc: u32,
    wm: u32,
    wc: u32,
) {
    let t = SerialTimeouts {
        read_interval_timeout: ri,
        read_total_timeout_multiplier: rm,
        read_total_timeout_constant: rc,
        write_total_timeout_multiplier: wm,
        write_total_timeout_constant: wc,
    };
    ok(ioctl(
        machine,
        port,
        SerialIoctl::SetTimeouts,
        &bytes!(t),
        0,
    ));
}

/// One character time of 8N1 at `baud`, in 100 ns units (exact rational rounded up).
pub fn char_time(baud: u32) -> u64 {
    (10 * 10_000_000u64).div_ceil(u64::from(baud))
}

/// A deterministic payload.
pub fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// Milliseconds in 100 ns units.
pub const MS: u64 = 10_000;
