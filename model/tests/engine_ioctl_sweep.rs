//! Every IOCTL code with every input and output buffer length from 0 to 256 (serial-semantics.md
//! §1, §2): the 37 public codes, the 4 internal ones and a few unknown codes, each with valid
//! input (so success paths are reached) and with all-0xFF garbage.
//!
//! Each call must succeed with Information within its output buffer, pend (and then complete
//! STATUS_CANCELLED when cancelled), or fail with STATUS_BUFFER_TOO_SMALL exactly when a buffer is
//! shorter than its structure, or with STATUS_INVALID_PARAMETER; a longer buffer never changes the
//! outcome; a failed call changes nothing a GET_* IOCTL can see; nothing panics and every request
//! completes (the verifier checks at the end). One machine per code keeps it fast.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{
    InternalIoctl, NtStatus, SerialBaudRate, SerialChars, SerialHandflow, SerialIoctl,
    SerialLineControl, SerialQueueSize, SerialTimeouts, SerialXoffCounter, ev, handflow,
    line_control,
};
use serial_model::kernel::{Completion, Machine, Operation};
use serial_model::uart::LineErrors;
use serial_model::wire::Topology;

const MAX_LEN: usize = 256;

/// Which dispatch routine a code goes to.
#[derive(Copy, Clone, Debug)]
enum Code {
    Public(SerialIoctl),
    Internal(InternalIoctl),
    UnknownPublic(u32),
    UnknownInternal(u32),
}

impl Code {
    fn value(self) -> u32 {
        match self {
            Self::Public(ioctl) => ioctl.code(),
            Self::Internal(ioctl) => ioctl.code(),
            Self::UnknownPublic(code) | Self::UnknownInternal(code) => code,
        }
    }

    /// (input, output) structure sizes; `None` for unknown codes.
    fn sizes(self) -> Option<(usize, usize)> {
        match self {
            Self::Public(ioctl) => Some((ioctl.input_size(), ioctl.output_size())),
            Self::Internal(ioctl) => Some((ioctl.input_size(), ioctl.output_size())),
            Self::UnknownPublic(_) | Self::UnknownInternal(_) => None,
        }
    }

    fn operation(self, input: Vec<u8>, output_len: usize) -> Operation {
        let code = self.value();
        match self {
            Self::Public(_) | Self::UnknownPublic(_) => Operation::DeviceControl {
                code,
                input,
                output_len,
            },
            Self::Internal(_) | Self::UnknownInternal(_) => Operation::InternalDeviceControl {
                code,
                input,
                output_len,
            },
        }
    }
}

/// Input that passes validation on a port opened by [`port`] (115200 8N1, RING armed).
fn valid_input(code: Code, basic_settings: &[u8]) -> Vec<u8> {
    let Code::Public(ioctl) = code else {
        return match code {
            Code::Internal(InternalIoctl::RestoreSettings) => basic_settings.to_vec(),
            _ => Vec::new(),
        };
    };
    match ioctl {
        SerialIoctl::SetBaudRate => bytes!(SerialBaudRate { baud_rate: 115_200 }),
        SerialIoctl::SetQueueSize => bytes!(SerialQueueSize {
            in_size: 8192,
            out_size: 8192
        }),
        SerialIoctl::SetLineControl => bytes!(SerialLineControl {
            stop_bits: line_control::STOP_BIT_1,
            parity: line_control::NO_PARITY,
            word_length: 8,
        }),
        SerialIoctl::ImmediateChar => vec![b'A'],
        SerialIoctl::SetTimeouts => bytes!(SerialTimeouts::default()),
        SerialIoctl::SetWaitMask => bytes!(ev::RING),
        SerialIoctl::Purge => bytes!(0x0Fu32),
        SerialIoctl::SetChars => bytes!(SerialChars {
            xon_char: 0x11,
            xoff_char: 0x13,
            ..SerialChars::default()
        }),
        SerialIoctl::SetHandflow => bytes!(SerialHandflow {
            control_handshake: handflow::DTR_CONTROL,
            flow_replace: handflow::RTS_CONTROL,
            xon_limit: 2048,
            xoff_limit: 512,
        }),
        SerialIoctl::XoffCounter => bytes!(SerialXoffCounter {
            timeout: 0,
            counter: 1,
            xoff_char: 0x13,
            reserved: [0; 3],
        }),
        SerialIoctl::LsrmstInsert => vec![0],
        SerialIoctl::SetModemControl => bytes!(0x0Bu32),
        SerialIoctl::SetFifoControl => bytes!(0x81u32),
        _ => Vec::new(),
    }
}

/// `content` cut or padded (with `fill`) to `len` bytes.
fn sized(content: &[u8], fill: u8, len: usize) -> Vec<u8> {
    let mut input: Vec<u8> = content.iter().copied().take(len).collect();
    input.resize(len, fill);
    input
}

/// What a GET_* IOCTL can see, as raw output bytes.
fn snapshot(m: &mut Machine) -> Vec<(SerialIoctl, Vec<u8>)> {
    [
        SerialIoctl::GetBaudRate,
        SerialIoctl::GetLineControl,
        SerialIoctl::GetTimeouts,
        SerialIoctl::GetChars,
        SerialIoctl::GetHandflow,
        SerialIoctl::GetWaitMask,
        SerialIoctl::GetDtrRts,
        SerialIoctl::GetModemControl,
        SerialIoctl::GetCommStatus,
        SerialIoctl::GetProperties,
        SerialIoctl::GetStats,
    ]
    .into_iter()
    .map(|get| {
        let c = ioctl(m, 0, get, &[], get.output_size());
        (get, c.output)
    })
    .collect()
}

/// What a call is expected to do, for deciding where state snapshots are needed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Expect {
    Failure,
    Unknown,
    Success,
}

/// The outcome of one call, with pending calls cancelled.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Done(NtStatus, usize),
    PendedThenCancelled,
}

impl Outcome {
    fn failed(&self) -> bool {
        matches!(self, Self::Done(status, _) if !status.is_success())
    }
}

struct Sweep {
    m: Machine,
    code: Code,
    /// A snapshot equal to the current state, if known.
    known: Option<Vec<(SerialIoctl, Vec<u8>)>>,
    /// Failed calls ran since `known` was taken: compare before anything may change the state.
    unverified: Vec<String>,
}

impl Sweep {
    fn call(&mut self, input: Vec<u8>, output_len: usize) -> Outcome {
        let input_len = input.len();
        let what = format!(
            "{:?} input {input_len} output {output_len} ({:02x?}…)",
            self.code,
            &input[..input_len.min(8)]
        );
        let handle = self.m.submit(0, self.code.operation(input, output_len));
        let outcome = match self.m.run_until_complete(handle, 5 * MS) {
            Some(c) => {
                check_completion(&c, output_len, &what);
                Outcome::Done(c.status, c.information)
            }
            None => {
                self.m.cancel(handle);
                let c = self
                    .m
                    .run_until_complete(handle, 100 * MS)
                    .unwrap_or_else(|| panic!("{what}: a cancelled request never completed"));
                assert_eq!(
                    (c.status, c.information),
                    (NtStatus::CANCELLED, 0),
                    "{what}: cancelled"
                );
                Outcome::PendedThenCancelled
            }
        };
        if outcome.failed() {
            self.unverified.push(what);
        }
        outcome
    }

    /// Runs one call with the state checks: a failing call must leave every GET_* result as it
    /// was. Snapshots are taken only around (runs of) calls that may fail.
    fn checked_call(&mut self, input: Vec<u8>, output_len: usize, expect: Expect) -> Outcome {
        if expect != Expect::Failure {
            // Earlier failures are checked before anything may change the state.
            self.verify();
        }
        if expect != Expect::Success && self.known.is_none() {
            self.known = Some(snapshot(&mut self.m));
        }
        let before_unverified = self.unverified.len();
        let outcome = self.call(input.clone(), output_len);
        if outcome.failed() && self.known.is_none() {
            // A failure nobody predicted: redo it between two snapshots.
            self.unverified.truncate(before_unverified);
            let before = snapshot(&mut self.m);
            let again = self.call(input, output_len);
            assert_eq!(
                again, outcome,
                "{:?}: the same call changed its outcome",
                self.code
            );
            self.known = Some(before);
            self.verify();
        } else if !outcome.failed() {
            self.known = None;
        }
        outcome
    }

    fn verify(&mut self) {
        if self.unverified.is_empty() {
            return;
        }
        let now = snapshot(&mut self.m);
        let known = self.known.as_ref().expect("a snapshot before the failures");
        for ((get, before), (_, after)) in known.iter().zip(&now) {
            assert_eq!(
                before, after,
                "{get:?} changed across failed calls: {:#?}",
                self.unverified
            );
        }
        self.unverified.clear();
        self.known = Some(now);
    }
}

fn check_completion(c: &Completion, output_len: usize, what: &str) {
    let allowed = [
        NtStatus::SUCCESS,
        NtStatus::BUFFER_TOO_SMALL,
        NtStatus::INVALID_PARAMETER,
        NtStatus::CANCELLED,
        NtStatus::INSUFFICIENT_RESOURCES,
    ];
    assert!(allowed.contains(&c.status), "{what}: {c:?}");
    assert!(c.information <= output_len, "{what}: {c:?}");
    if !c.status.is_success() {
        assert_eq!(c.information, 0, "{what}: {c:?}");
    }
}

/// A port at 115200 8N1 with nothing attached and RING armed (so WAIT_ON_MASK pends); returns
/// the INTERNAL_BASIC_SETTINGS record of its settings for RESTORE_SETTINGS to use.
fn port() -> (Machine, Vec<u8>) {
    let mut m = machine(Topology::Nothing);
    open_8n1(&mut m, 0, 115_200);
    ok(set_wait_mask(&mut m, 0, ev::RING));
    let code = InternalIoctl::BasicSettings.code();
    let basic = ok(m.call(
        0,
        Operation::InternalDeviceControl {
            code,
            input: Vec::new(),
            output_len: 44,
        },
    ));
    let restore = InternalIoctl::RestoreSettings.code();
    ok(m.call(
        0,
        Operation::InternalDeviceControl {
            code: restore,
            input: basic.output.clone(),
            output_len: 0,
        },
    ));
    (m, basic.output)
}

/// Sweeps one code over every input length and every output length, with valid and garbage input.
fn sweep(code: Code) {
    let (m, basic_settings) = port();
    let mut s = Sweep {
        m,
        code,
        known: None,
        unverified: Vec::new(),
    };
    let valid = valid_input(code, &basic_settings);
    for (content, fill) in [(valid, 0u8), (vec![0xFF; MAX_LEN], 0xFF)] {
        let (input_size, output_size) = code.sizes().unwrap_or((0, 0));
        if fill == 0xFF && matches!(code, Code::Public(SerialIoctl::SetQueueSize)) {
            // InSize 0xFFFFFFFF asks for a 4 GiB ring: a kernel pool refuses it, but the model's
            // host allocator would hand it out and zero it. Only the short buffers are swept.
            for in_len in 0..input_size {
                let input = sized(&content, fill, in_len);
                let got = s.checked_call(input, output_size, Expect::Failure);
                assert_eq!(got, Outcome::Done(NtStatus::BUFFER_TOO_SMALL, 0));
            }
            continue;
        }
        // The outcome with buffers exactly the structure sizes; longer ones must not change it.
        let full = sized(&content, fill, input_size);
        let reference = s.checked_call(full, output_size, Expect::Unknown);
        let expected = |in_len: usize, out_len: usize| -> Option<Outcome> {
            match code.sizes() {
                None => Some(Outcome::Done(NtStatus::INVALID_PARAMETER, 0)),
                Some((i, o)) if in_len < i || out_len < o => {
                    Some(Outcome::Done(NtStatus::BUFFER_TOO_SMALL, 0))
                }
                Some(_) => Some(reference.clone()),
            }
        };
        let mut lengths: Vec<(usize, usize)> = (0..=MAX_LEN).map(|i| (i, output_size)).collect();
        lengths.extend((0..=MAX_LEN).map(|o| (input_size, o)));
        for (in_len, out_len) in lengths {
            let want = expected(in_len, out_len);
            let expect = match &want {
                Some(outcome) if outcome.failed() => Expect::Failure,
                Some(_) => Expect::Success,
                None => Expect::Unknown,
            };
            let input = sized(&content, fill, in_len);
            let got = s.checked_call(input, out_len, expect);
            if let Some(want) = want {
                assert_eq!(
                    got, want,
                    "{code:?} input {in_len} output {out_len} (fill {fill:#x})"
                );
            }
        }
    }
    s.verify();
    s.m.close(0);
    let violations = s.m.finish();
    assert!(violations.is_empty(), "{code:?}: {violations:#?}");
}

fn sweep_all(codes: impl IntoIterator<Item = Code>) {
    for code in codes {
        sweep(code);
    }
}

fn public(filter: impl Fn(SerialIoctl) -> bool) -> Vec<Code> {
    SerialIoctl::ALL
        .into_iter()
        .filter(|&ioctl| filter(ioctl))
        .map(Code::Public)
        .collect()
}

#[test]
fn public_ioctls_with_input() {
    sweep_all(public(|ioctl| ioctl.input_size() > 0));
}

#[test]
fn public_ioctls_with_output() {
    sweep_all(public(|ioctl| {
        ioctl.input_size() == 0 && ioctl.output_size() > 0
    }));
}

#[test]
fn public_ioctls_without_buffers() {
    sweep_all(public(|ioctl| {
        ioctl.input_size() == 0 && ioctl.output_size() == 0
    }));
}

#[test]
fn internal_ioctls() {
    sweep_all(InternalIoctl::ALL.into_iter().map(Code::Internal));
}

#[test]
fn unknown_codes() {
    let serial = |function: u32| serial_ioctl::ctl_code(0x1B, function, 0, 0);
    sweep_all([
        Code::UnknownPublic(serial(0)),
        Code::UnknownPublic(serial(33)), // GET_COMMCONFIG
        Code::UnknownPublic(serial(34)), // SET_COMMCONFIG
        Code::UnknownPublic(serial(40)), // SerCx APPLY_DEFAULT_CONFIGURATION
        Code::UnknownPublic(serial(41)), // SerCx SET_INTERVAL_TIMER_RESOLUTION
        Code::UnknownPublic(serial(0xFFF)),
        Code::UnknownPublic(serial(1) | 3), // SET_BAUD_RATE with METHOD_NEITHER
        Code::UnknownPublic(serial_ioctl::ctl_code(0x22, 1, 0, 0)),
        Code::UnknownInternal(serial(5)),
        Code::UnknownInternal(serial(0)),
        Code::UnknownInternal(SerialIoctl::ImmediateChar.code()),
    ]);
}

/// With ERROR_ABORT on and an error latched, every IOCTL but GET_COMMSTATUS (unknown codes
/// included) is cancelled at the gate, whatever its buffers, until GET_COMMSTATUS reads the error.
#[test]
fn abort_on_error_gate_comes_before_buffers_and_codes() {
    let mut m = peer_machine();
    ok(set_handflow(
        &mut m,
        0,
        handflow::DTR_CONTROL | handflow::ERROR_ABORT,
        handflow::RTS_CONTROL,
        2048,
        512,
    ));
    let framing = LineErrors {
        framing: true,
        ..LineErrors::NONE
    };
    let now = m.now();
    peer_send_char(&mut m, b'x', framing, now);
    m.run_for(20 * MS);
    let serial = |function: u32| serial_ioctl::ctl_code(0x1B, function, 0, 0);
    let codes = SerialIoctl::ALL
        .into_iter()
        .filter(|&ioctl| ioctl != SerialIoctl::GetCommStatus)
        .map(Code::Public)
        .chain(InternalIoctl::ALL.into_iter().map(Code::Internal))
        .chain([serial(33), serial(0xFFF)].map(Code::UnknownPublic));
    for code in codes {
        for (in_len, out_len) in [(0, 0), (256, 256)] {
            let c = m.call(0, code.operation(vec![0xFF; in_len], out_len));
            assert_eq!(
                (c.status, c.information),
                (NtStatus::CANCELLED, 0),
                "{code:?} input {in_len} output {out_len}"
            );
        }
    }
    let status = comm_status(&mut m, 0);
    assert_ne!(status.errors, 0);
    let baud = ok(ioctl(&mut m, 0, SerialIoctl::GetBaudRate, &[], 4));
    assert_eq!(baud.information, 4, "reading the status lifts the block");
    m.close(0);
    let violations = m.finish();
    assert!(violations.is_empty(), "{violations:#?}");
}
