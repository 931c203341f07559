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
use serial_model::kernel::{
    Completion, CostBudget, Machine, MachineConfig, Operation, RequestHandle,
};
use serial_model::wire::Topology;

/// Makes code take its charged time (the machine default), for `machine_with`'s `tweak`.
pub fn timed(config: &mut MachineConfig) {
    config.cost_budget = CostBudget::default();
}

/// [`machine_with`] without a tweak.
pub fn machine(topology: Topology) -> Machine {
    machine_with(topology, |_| {})
}

/// A machine whose timers are exact (tick = 100 ns), so timing assertions are exact; the seed and
/// CPU count come from SERIAL_MODEL_SEED / SERIAL_MODEL_CPUS when set.
///
/// Code runs in an instant ([`CostBudget::free`]: cost is charged and checked but takes no time),
/// so a byte goes out exactly when the engine decides and the assertions can name the instant.
/// Tests about what cost does to the line set `cost_budget` in `tweak` ([`timed`]).
pub fn machine_with(topology: Topology, tweak: impl FnOnce(&mut MachineConfig)) -> Machine {
    let mut config = MachineConfig {
        topology,
        timer_tick: 1,
        cost_budget: CostBudget::free(),
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

// ----- scripted peer, status and event helpers (engine_wait, engine_flow_control, engine_status,
// engine_line_errors) -----

/// Decodes the output of a completed IOCTL as `$ty`.
macro_rules! output {
    ($ty:ty, $completion:expr) => {
        ::serial_ioctl::decode::<$ty>(&$completion.output).unwrap()
    };
}

use serial_ioctl::{SerialChars, SerialStatus};
use serial_model::uart::{LineErrors, ModemInputs, ModemOutputs};

/// A machine with a scripted 9600 8N1 peer on port 0, opened at 9600 8N1 (DTR and RTS on, no flow
/// control), with the RX FIFO trigger at 1 byte so every received byte reaches the engine at the
/// end of its stop bit. `tweak` adjusts the machine first (e.g. `device.rx_buffer_size`).
pub fn peer_machine_with(tweak: impl FnOnce(&mut MachineConfig)) -> Machine {
    let mut m = machine_with(Topology::Peer, |config| {
        config.device.rx_fifo_trigger = 1;
        tweak(config);
    });
    open_8n1(&mut m, 0, 9600);
    m
}

/// A machine with a scripted peer on port 0, both ends at `baud` 8N1 (DTR and RTS on, no flow
/// control); `tweak` adjusts the machine first.
pub fn peer_machine_at(baud: u32, tweak: impl FnOnce(&mut MachineConfig)) -> Machine {
    let mut m = machine_with(Topology::Peer, tweak);
    m.board_mut()
        .peer()
        .unwrap()
        .set_format(serial_model::uart::FrameFormat::new(
            baud,
            8,
            serial_model::uart::Parity::None,
            serial_model::uart::StopBits::One,
        ));
    open_8n1(&mut m, 0, baud);
    m
}

/// [`peer_machine_with`] with the default ring.
pub fn peer_machine() -> Machine {
    peer_machine_with(|_| {})
}

/// The peer sends `bytes` back to back from `at` (or when its line is free); returns the end of
/// the last stop bit.
pub fn peer_send(machine: &mut Machine, bytes: &[u8], at: u64) -> u64 {
    machine.board_mut().peer().unwrap().send(bytes, at)
}

/// The peer sends one character with forced line errors; returns its end.
pub fn peer_send_char(machine: &mut Machine, data: u8, errors: LineErrors, at: u64) -> u64 {
    machine
        .board_mut()
        .peer()
        .unwrap()
        .send_char(data, errors, at)
}

/// The peer sends a break of one character time; returns its end.
pub fn peer_break(machine: &mut Machine, at: u64) -> u64 {
    machine.board_mut().peer().unwrap().send_break(at)
}

/// The peer drives CTS/DSR/RI/DCD to `lines` at `at`.
pub fn peer_lines(machine: &mut Machine, lines: ModemInputs, at: u64) {
    machine.board_mut().peer().unwrap().set_lines(lines, at);
}

/// Modem inputs from four flags.
pub const fn lines(cts: bool, dsr: bool, ri: bool, dcd: bool) -> ModemInputs {
    ModemInputs { cts, dsr, ri, dcd }
}

/// Data bytes the peer has received so far.
pub fn peer_received(machine: &Machine) -> Vec<u8> {
    machine.board().peer_ref().unwrap().received_bytes()
}

/// End times of the characters the peer has received so far.
pub fn peer_received_times(machine: &Machine) -> Vec<u64> {
    machine
        .board()
        .peer_ref()
        .unwrap()
        .received()
        .iter()
        .map(|ch| ch.at)
        .collect()
}

/// The UART outputs (DTR, RTS, break) as the peer sees them now.
pub fn peer_outputs(machine: &Machine) -> ModemOutputs {
    machine.board().peer_ref().unwrap().observed_outputs()
}

/// Every change of the UART outputs the peer saw, with its time.
pub fn peer_output_history(machine: &Machine) -> Vec<(u64, ModemOutputs)> {
    machine
        .board()
        .peer_ref()
        .unwrap()
        .output_history()
        .to_vec()
}

/// GET_COMMSTATUS (asserts SUCCESS, Information 20).
pub fn comm_status(machine: &mut Machine, port: usize) -> SerialStatus {
    let c = ok(ioctl(machine, port, SerialIoctl::GetCommStatus, &[], 20));
    assert_eq!(c.information, 20);
    output!(SerialStatus, c)
}

/// SET_HANDFLOW with the given fields; returns the completion unchecked.
pub fn set_handflow(
    machine: &mut Machine,
    port: usize,
    control_handshake: u32,
    flow_replace: u32,
    xon_limit: i32,
    xoff_limit: i32,
) -> Completion {
    let hf = SerialHandflow {
        control_handshake,
        flow_replace,
        xon_limit,
        xoff_limit,
    };
    ioctl(machine, port, SerialIoctl::SetHandflow, &bytes!(hf), 0)
}

/// GET_HANDFLOW.
pub fn get_handflow(machine: &mut Machine, port: usize) -> SerialHandflow {
    let c = ok(ioctl(machine, port, SerialIoctl::GetHandflow, &[], 16));
    assert_eq!(c.information, 16);
    output!(SerialHandflow, c)
}

/// SET_CHARS; returns the completion unchecked.
pub fn set_chars(machine: &mut Machine, port: usize, chars: SerialChars) -> Completion {
    ioctl(machine, port, SerialIoctl::SetChars, &bytes!(chars), 0)
}

/// GET_CHARS.
pub fn get_chars(machine: &mut Machine, port: usize) -> SerialChars {
    let c = ok(ioctl(machine, port, SerialIoctl::GetChars, &[], 6));
    assert_eq!(c.information, 6);
    output!(SerialChars, c)
}

/// An IOCTL whose output is one ULONG (asserts SUCCESS, Information 4).
pub fn ioctl_u32(machine: &mut Machine, port: usize, code: SerialIoctl) -> u32 {
    let c = ok(ioctl(machine, port, code, &[], 4));
    assert_eq!(c.information, 4, "{code:?}");
    output!(u32, c)
}

/// SET_WAIT_MASK; returns the completion unchecked.
pub fn set_wait_mask(machine: &mut Machine, port: usize, mask: u32) -> Completion {
    ioctl(
        machine,
        port,
        SerialIoctl::SetWaitMask,
        &mask.to_le_bytes(),
        0,
    )
}

/// Submits WAIT_ON_MASK (runs nothing).
pub fn start_wait(machine: &mut Machine, port: usize) -> RequestHandle {
    start_ioctl(machine, port, SerialIoctl::WaitOnMask, &[], 4)
}

/// The event mask of a completed WAIT_ON_MASK (asserts SUCCESS, Information 4).
pub fn wait_events(completion: &Completion) -> u32 {
    assert_eq!(completion.status, NtStatus::SUCCESS, "{completion:?}");
    assert_eq!(completion.information, 4, "{completion:?}");
    output!(u32, completion)
}

/// Reads exactly `len` bytes that are already buffered (or arrive), no timeouts.
pub fn read_now(machine: &mut Machine, port: usize, len: usize) -> Vec<u8> {
    let c = ok(machine.call(port, Operation::Read { len }));
    assert_eq!(c.information, len);
    c.output
}
