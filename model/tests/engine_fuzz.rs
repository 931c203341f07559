//! The project's random-sequence fuzzer: seeded sequences of what a user and the heap can do to an
//! open port (reads and writes with random timeouts, flushes, cancels at random moments, purges,
//! every public IOCTL with random bytes, wait masks, handflow and baud changes valid or not,
//! reopen, power down and up, the heap running out; on the peer topology also peer traffic,
//! parity and framing errors, breaks and modem-line changes), on a loopback plug or a scripted
//! peer, on 1–4 CPUs under random and PCT schedules,
//! with invariants checked after every case:
//!
//! * no model verifier rule broken (exactly-once completion, no STATUS_PENDING result,
//!   Information within the output buffer, IRQL and lock rules, DPC and ISR budgets…);
//! * every request completed once the port is closed and the machine is idle;
//! * a read's Information ≤ its length, a write's ≤ its length and equal to it on SUCCESS;
//! * on the loopback plug, nothing received that was not sent (no byte duplicated or invented),
//!   in cases without a rate change, power cycle or IOCTL that puts other bytes on the line.
//!
//! A failing case shrinks (actions dropped while it still fails) and prints the seed, the
//! shrunk sequence and the replay command. CI runs `CASES_IN_CI` cases; a long run is
//! `SERIAL_FUZZ_FIRST=20000 SERIAL_FUZZ_CASES=330000 cargo test --release -p serial-model --test engine_fuzz -- --nocapture`
//! (`SERIAL_FUZZ_FIRST` picks the first case seed, `SERIAL_FUZZ_REPLAY` runs one case).

#[macro_use]
mod engine_support;

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};

use engine_support::*;
use serial_ioctl::{
    InternalIoctl, NtStatus, SerialBaudRate, SerialHandflow, SerialIoctl, SerialQueueSize,
    SerialTimeouts, ev,
};
use serial_model::kernel::{
    AllocationFailures, Machine, MachineConfig, Operation, RequestHandle, Rng, Strategy,
};
use serial_model::uart::{FrameFormat, LineErrors, ModemInputs, UartFault};
use serial_model::wire::Topology;

const CASES_IN_CI: u64 = 1000;
const ACTIONS_PER_CASE: usize = 48;
const XON: u8 = 0x11;
const XOFF: u8 = 0x13;

/// One thing a user (or the heap) does to the open port.
#[derive(Clone, Debug)]
enum Action {
    Read {
        len: usize,
    },
    Write {
        len: usize,
    },
    Flush,
    /// Cancels the `pick`-th request still outstanding (if any).
    Cancel {
        pick: usize,
    },
    /// Cancels the next request right after it is marked cancelable.
    CancelWhenMarked {
        pick: usize,
    },
    Purge {
        mask: u32,
    },
    Timeouts(SerialTimeouts),
    Handflow(SerialHandflow),
    Baud(u32),
    QueueSize(u32),
    /// A public IOCTL (by index into `SerialIoctl::ALL`) with random input bytes.
    Ioctl {
        index: usize,
        input: Vec<u8>,
        output_len: usize,
    },
    /// An internal IOCTL with random input bytes.
    Internal {
        index: usize,
        input: Vec<u8>,
        output_len: usize,
    },
    WaitMask(u32),
    Wait,
    Run {
        micros: u64,
    },
    Heap(AllocationFailures),
    Reopen,
    PowerCycle,
    /// The peer (peer topology only) sends `len` bytes from now.
    PeerSend {
        len: usize,
    },
    /// The peer sends one character with a parity or framing error.
    PeerError {
        data: u8,
        parity: bool,
    },
    PeerBreak,
    PeerLines(ModemInputs),
    /// A UART fault from now on (see `serial_model::uart::UartFault`).
    Fault(UartFault),
    /// The persistent UART faults end.
    ClearFaults,
}

/// IOCTLs whose effect puts bytes on the wire or in the ring that no write sent, or changes them
/// (a shorter word length, the UART's internal loopback through SET_MODEM_CONTROL's LOOP bit),
/// which the byte check cannot account for; they run with that check off.
fn invents_bytes(code: SerialIoctl) -> bool {
    matches!(
        code,
        SerialIoctl::ImmediateChar
            | SerialIoctl::LsrmstInsert
            | SerialIoctl::SetChars
            | SerialIoctl::XoffCounter
            | SerialIoctl::SetBreakOn
            | SerialIoctl::SetLineControl
            | SerialIoctl::SetModemControl
    )
}

struct Case {
    topology: Topology,
    cpus: usize,
    strategy: Strategy,
    actions: Vec<Action>,
}

fn timeouts(rng: &mut Rng) -> SerialTimeouts {
    let mut value = || match rng.below(4) {
        0 => 0,
        1 => u32::MAX,
        2 => u32::try_from(rng.below(5)).unwrap_or(0),
        _ => u32::try_from(rng.below(60)).unwrap_or(0),
    };
    SerialTimeouts {
        read_interval_timeout: value(),
        read_total_timeout_multiplier: value(),
        read_total_timeout_constant: value(),
        write_total_timeout_multiplier: value(),
        write_total_timeout_constant: value(),
    }
}

fn small_i32(rng: &mut Rng) -> i32 {
    match rng.below(4) {
        0 => -1,
        1 => 0,
        2 => 4096,
        _ => i32::try_from(rng.below(5000)).unwrap_or(0),
    }
}

fn peer_action(rng: &mut Rng) -> Action {
    let choice = rng.below(6);
    let mut bit = || rng.below(2) == 1;
    match choice {
        0 => Action::PeerError {
            data: 0x41,
            parity: bit(),
        },
        1 => Action::PeerBreak,
        2 | 3 => Action::PeerLines(ModemInputs {
            cts: bit(),
            dsr: bit(),
            ri: bit(),
            dcd: bit(),
        }),
        _ => Action::PeerSend {
            len: 1 + rng.below(200),
        },
    }
}

fn fault(rng: &mut Rng) -> Action {
    let count = |rng: &mut Rng| u32::try_from(1 + rng.below(20)).unwrap_or(1);
    Action::Fault(match rng.below(10) {
        0 => UartFault::LostThreInterrupts(count(rng)),
        1 => UartFault::LostThreInterrupts(u32::MAX),
        2 => UartFault::StuckInterrupt,
        3 => UartFault::SpuriousInterrupt,
        4 => UartFault::Removed,
        5 => UartFault::LostProgramming,
        6 => UartFault::OverrunBurst(count(rng)),
        7 => UartFault::TransmitterStopped { until_reset: false },
        8 => UartFault::TransmitterStopped { until_reset: true },
        _ => return Action::ClearFaults,
    })
}

fn action(rng: &mut Rng) -> Action {
    match rng.below(24) {
        23 => fault(rng),
        20..=22 => peer_action(rng),
        0..=3 => {
            let most = if rng.below(4) == 0 { 5000 } else { 64 };
            Action::Read {
                len: 1 + rng.below(most),
            }
        }
        4..=6 => {
            let most = if rng.below(4) == 0 { 3000 } else { 64 };
            Action::Write {
                len: 1 + rng.below(most),
            }
        }
        7 => Action::Flush,
        8 => Action::Cancel { pick: rng.below(8) },
        9 => Action::CancelWhenMarked { pick: rng.below(8) },
        10 => Action::Purge {
            mask: u32::try_from(rng.below(32)).unwrap_or(0),
        },
        11 => Action::Timeouts(timeouts(rng)),
        12 => Action::Handflow(SerialHandflow {
            control_handshake: u32::try_from(rng.below(0x100)).unwrap_or(0) & 0xBB,
            flow_replace: u32::try_from(rng.below(0x100)).unwrap_or(0) & 0xC7,
            xon_limit: small_i32(rng),
            xoff_limit: small_i32(rng),
        }),
        13 => {
            Action::Baud([0, 50, 300, 9600, 19_200, 57_600, 115_200, 230_400][rng.below(8).min(7)])
        }
        14 => Action::QueueSize(u32::try_from(rng.below(70_000)).unwrap_or(0)),
        15 => {
            let input = (0..rng.below(24))
                .map(|_| u8::try_from(rng.below(256)).unwrap_or(0))
                .collect();
            let output_len = rng.below(40);
            if rng.below(5) == 0 {
                Action::Internal {
                    index: rng.below(InternalIoctl::ALL.len()),
                    input,
                    output_len,
                }
            } else {
                Action::Ioctl {
                    index: rng.below(SerialIoctl::ALL.len()),
                    input,
                    output_len,
                }
            }
        }
        16 => {
            if rng.below(2) == 0 {
                Action::WaitMask(u32::try_from(rng.below(0x2000)).unwrap_or(0))
            } else {
                Action::Wait
            }
        }
        17 => match rng.below(8) {
            0 => Action::Heap(AllocationFailures::Every(1 + rng.below(3) as u64)),
            1 => Action::Heap(AllocationFailures::After(rng.below(4) as u64)),
            2 => Action::Reopen,
            3 => Action::PowerCycle,
            _ => Action::Heap(AllocationFailures::Never),
        },
        _ => Action::Run {
            micros: [0, 10, 100, 1_000, 10_000][rng.below(5).min(4)],
        },
    }
}

fn generate(seed: u64) -> Case {
    let mut rng = Rng::new(seed);
    let topology = if rng.below(2) == 0 {
        Topology::Loopback
    } else {
        Topology::Peer
    };
    let cpus = 1 + rng.below(4);
    let strategy = if rng.below(2) == 0 {
        Strategy::Random {
            seed: rng.next_u64(),
        }
    } else {
        Strategy::Pct {
            seed: rng.next_u64(),
            depth: 1 + u32::try_from(rng.below(3)).unwrap_or(0),
        }
    };
    let actions = (0..ACTIONS_PER_CASE).map(|_| action(&mut rng)).collect();
    Case {
        topology,
        cpus,
        strategy,
        actions,
    }
}

/// What a submitted request was, to check its completion.
enum Sent {
    Read(usize),
    Write(Vec<u8>),
    Other,
}

/// Write data: a counter that skips the XON/XOFF characters (flow control may send those).
fn data(next: &mut u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| {
            *next = next.wrapping_add(1);
            while matches!(*next, XON | XOFF) {
                *next = next.wrapping_add(1);
            }
            *next
        })
        .collect()
}

/// Requests a case submitted, and how many of them completed STATUS_SUCCESS.
#[derive(Copy, Clone, Default)]
struct Tally {
    requests: u64,
    succeeded: u64,
}

/// Runs `actions`; returns its tally, or what went wrong.
fn run(case: &Case, actions: &[Action]) -> Result<Tally, String> {
    let config = MachineConfig {
        topology: case.topology,
        cpus: case.cpus,
        strategy: case.strategy.clone(),
        panic_on_violation: false,
        ..MachineConfig::default()
    };
    let mut m = Machine::new(config);
    let peer = case.topology == Topology::Peer;
    if let Some(peer) = m.board_mut().peer() {
        peer.set_format(FrameFormat::eight_n_one(115_200));
        peer.set_lines(
            ModemInputs {
                cts: true,
                dsr: true,
                ri: false,
                dcd: true,
            },
            0,
        );
    }
    open_8n1(&mut m, 0, 115_200);
    // What reached the port's receiver from the far end: the peer's bytes (peer topology) or
    // the port's own writes (loopback).
    let mut far_end: BTreeMap<u8, u64> = BTreeMap::new();
    let mut peer_byte = 0x80u8;
    let mut open = true;
    let mut sent: Vec<(RequestHandle, Sent)> = Vec::new();
    let mut next_byte = 0u8;
    let mut bytes_check = true;
    let outstanding = |m: &Machine, sent: &[(RequestHandle, Sent)], pick: usize| {
        sent.iter()
            .map(|(h, _)| *h)
            .filter(|&h| m.completion(h).is_none())
            .nth(pick)
    };
    for action in actions {
        let submitted = match action {
            Action::Read { len } => Some((Operation::Read { len: *len }, Sent::Read(*len))),
            Action::Write { len } => {
                let bytes = data(&mut next_byte, *len);
                Some((
                    Operation::Write {
                        data: bytes.clone(),
                    },
                    Sent::Write(bytes),
                ))
            }
            Action::Flush => Some((Operation::Flush, Sent::Other)),
            Action::Cancel { pick } => {
                if let Some(h) = outstanding(&m, &sent, *pick) {
                    m.cancel(h);
                }
                None
            }
            Action::CancelWhenMarked { pick } => {
                if let Some(h) = outstanding(&m, &sent, *pick) {
                    m.cancel_when_marked(h);
                }
                None
            }
            Action::Purge { mask } => {
                Some((control(SerialIoctl::Purge, bytes!(*mask), 0), Sent::Other))
            }
            Action::Timeouts(t) => Some((
                control(SerialIoctl::SetTimeouts, bytes!(*t), 0),
                Sent::Other,
            )),
            Action::Handflow(h) => Some((
                control(SerialIoctl::SetHandflow, bytes!(*h), 0),
                Sent::Other,
            )),
            Action::Baud(baud) => {
                // A rate change while a character is on the loopback line garbles it (a framing
                // error, maybe replaced by ERROR_CHAR): bytes no write sent, as on hardware.
                bytes_check = false;
                Some((
                    control(
                        SerialIoctl::SetBaudRate,
                        bytes!(SerialBaudRate { baud_rate: *baud }),
                        0,
                    ),
                    Sent::Other,
                ))
            }
            Action::QueueSize(size) => Some((
                control(
                    SerialIoctl::SetQueueSize,
                    bytes!(SerialQueueSize {
                        in_size: *size,
                        out_size: 0
                    }),
                    0,
                ),
                Sent::Other,
            )),
            Action::Ioctl {
                index,
                input,
                output_len,
            } => SerialIoctl::ALL.get(*index).map(|&code| {
                bytes_check &= !invents_bytes(code);
                (control(code, input.clone(), *output_len), Sent::Other)
            }),
            Action::Internal {
                index,
                input,
                output_len,
            } => InternalIoctl::ALL.get(*index).map(|&code| {
                (
                    Operation::InternalDeviceControl {
                        code: code.code(),
                        input: input.clone(),
                        output_len: *output_len,
                    },
                    Sent::Other,
                )
            }),
            Action::WaitMask(mask) => Some((
                control(SerialIoctl::SetWaitMask, bytes!(*mask & ev::VALID_MASK), 0),
                Sent::Other,
            )),
            Action::Wait => Some((control(SerialIoctl::WaitOnMask, Vec::new(), 4), Sent::Other)),
            Action::Run { micros } => {
                m.run_for(micros * 10);
                None
            }
            Action::Heap(plan) => {
                m.fail_allocations(*plan);
                None
            }
            Action::Reopen => {
                if open {
                    m.close(0);
                }
                open = m.open(0) == NtStatus::SUCCESS;
                None
            }
            Action::PeerSend { len } => {
                if peer {
                    let bytes = data(&mut peer_byte, *len);
                    for &byte in &bytes {
                        *far_end.entry(byte).or_default() += 1;
                    }
                    let now = m.now();
                    peer_send(&mut m, &bytes, now);
                }
                None
            }
            Action::PeerError { data, parity } => {
                if peer {
                    bytes_check = false;
                    let errors = LineErrors {
                        parity: *parity,
                        framing: !*parity,
                        break_condition: false,
                    };
                    let now = m.now();
                    peer_send_char(&mut m, *data, errors, now);
                }
                None
            }
            Action::PeerBreak => {
                if peer {
                    bytes_check = false;
                    let now = m.now();
                    peer_break(&mut m, now);
                }
                None
            }
            Action::PeerLines(lines) => {
                let now = m.now();
                if let Some(peer) = m.board_mut().peer() {
                    peer.set_lines(*lines, now);
                }
                None
            }
            Action::Fault(fault) => {
                // A UART that lost its programming receives at the wrong rate and word length
                // until recovery reprograms it: what it makes of the line is not what was sent.
                // Overruns put the error character in the ring when ERROR_CHAR is on.
                // A stuck IIR claims received data the FIFO may not hold: the burst read takes
                // stale RBR values until the ISR masks the UART.
                if matches!(
                    fault,
                    UartFault::LostProgramming
                        | UartFault::OverrunBurst(_)
                        | UartFault::StuckInterrupt
                ) {
                    bytes_check = false;
                }
                m.board_mut().uart_mut(0).inject(*fault);
                None
            }
            Action::ClearFaults => {
                m.board_mut().uart_mut(0).clear_faults();
                None
            }
            Action::PowerCycle => {
                // So does a power cycle in the middle of a character.
                bytes_check = false;
                m.power_down(0);
                m.power_up(0);
                None
            }
        };
        if let Some((operation, what)) = submitted {
            let handle = m.submit(0, operation);
            sent.push((handle, what));
        }
    }
    m.fail_allocations(AllocationFailures::Never);
    if open {
        m.close(0);
    }
    m.run_until_idle(10_000 * MS);

    let mut tally = Tally::default();
    let mut written: BTreeMap<u8, u64> = BTreeMap::new();
    let mut received: BTreeMap<u8, u64> = BTreeMap::new();
    for (handle, what) in &sent {
        let Some(done) = m.completion(*handle) else {
            if std::env::var_os("SERIAL_FUZZ_DEBUG").is_some() {
                eprintln!("{}", m.report());
            }
            let kind = match what {
                Sent::Read(len) => format!("read of {len}"),
                Sent::Write(bytes) => format!("write of {}", bytes.len()),
                Sent::Other => "request".to_owned(),
            };
            return Err(format!("{kind} (#{}) never completed", handle.id));
        };
        tally.requests += 1;
        tally.succeeded += u64::from(done.status == NtStatus::SUCCESS);
        match what {
            Sent::Read(len) => {
                if done.information > *len {
                    return Err(format!("read of {len} reported {}", done.information));
                }
                for &byte in &done.output {
                    *received.entry(byte).or_default() += 1;
                }
            }
            Sent::Write(bytes) => {
                if done.information > bytes.len()
                    || (done.status == NtStatus::SUCCESS && done.information != bytes.len())
                {
                    return Err(format!(
                        "write of {} completed {:?} with {}",
                        bytes.len(),
                        done.status,
                        done.information
                    ));
                }
                for &byte in bytes {
                    *written.entry(byte).or_default() += 1;
                    if !peer {
                        *far_end.entry(byte).or_default() += 1;
                    }
                }
            }
            Sent::Other => {}
        }
    }
    if bytes_check {
        let mut at_peer: BTreeMap<u8, u64> = BTreeMap::new();
        if let Some(peer) = m.board().peer_ref() {
            for byte in peer.received_bytes() {
                *at_peer.entry(byte).or_default() += 1;
            }
        }
        for (what, got, sent) in [
            ("received", &received, &far_end),
            ("the peer got", &at_peer, &written),
        ] {
            for (&byte, &count) in got {
                let available = sent.get(&byte).copied().unwrap_or(0);
                if !matches!(byte, XON | XOFF) && count > available {
                    return Err(format!(
                        "{what} {byte:#04x} {count} times, sent {available} times"
                    ));
                }
            }
        }
    }
    let violations = m.finish();
    if let Some(first) = violations.first() {
        return Err(format!("verifier: {first:?}"));
    }
    Ok(tally)
}

fn control(code: SerialIoctl, input: Vec<u8>, output_len: usize) -> Operation {
    Operation::DeviceControl {
        code: code.code(),
        input,
        output_len,
    }
}

/// Runs a case, turning a panic of the machine into a failure.
fn attempt(case: &Case, actions: &[Action]) -> Result<Tally, String> {
    catch_unwind(AssertUnwindSafe(|| run(case, actions))).unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_default();
        Err(format!("panic: {message}"))
    })
}

/// Drops actions while the case still fails: halves first, then one at a time.
fn shrink(case: &Case) -> Vec<Action> {
    let mut actions = case.actions.clone();
    let mut chunk = actions.len() / 2;
    while chunk >= 1 {
        let mut start = 0;
        while start < actions.len() {
            let mut fewer = actions.clone();
            fewer.drain(start..(start + chunk).min(actions.len()));
            if attempt(case, &fewer).is_err() {
                actions = fewer;
            } else {
                start += chunk;
            }
        }
        chunk /= 2;
    }
    actions
}

fn env(name: &str) -> Option<u64> {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
}

#[test]
fn random_sequences_keep_every_invariant() {
    let (first, cases) = match env("SERIAL_FUZZ_REPLAY") {
        Some(seed) => (seed, 1),
        None => (
            env("SERIAL_FUZZ_FIRST").unwrap_or(0),
            env("SERIAL_FUZZ_CASES").unwrap_or(CASES_IN_CI),
        ),
    };
    let started = std::time::Instant::now();
    let mut total = Tally::default();
    for seed in first..first.saturating_add(cases) {
        let case = generate(seed);
        match attempt(&case, &case.actions) {
            Ok(tally) => {
                total.requests += tally.requests;
                total.succeeded += tally.succeeded;
            }
            Err(failure) => {
                let shrunk = shrink(&case);
                let again = attempt(&case, &shrunk).err().unwrap_or_default();
                panic!(
                    "fuzz case {seed} failed: {failure}\n\
                     shrunk to {} of {} actions ({again}), {} CPUs, {:?}:\n{shrunk:#?}\n\
                     replay: SERIAL_FUZZ_REPLAY={seed} cargo test -p serial-model --test engine_fuzz",
                    shrunk.len(),
                    case.actions.len(),
                    case.cpus,
                    case.strategy,
                );
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: {cases} cases from seed {first}, {} requests ({} succeeded), {seconds:.1} s, \
         {:.0} requests/s",
        total.requests,
        total.succeeded,
        total.requests as f64 / seconds.max(1e-9)
    );
}
