//! Runs one [`Scenario`] on one [`Bench`] and judges every step against its expectations.
//!
//! A run stops at the first step whose result differs from what the scenario expects; the
//! verdict names the step, its line, and each difference as "expected …, got …".

use std::collections::HashMap;

use serial_ioctl::{NtStatus, SerialIoctl};

use super::model::{
    Action, Configure, Expect, ExpectedValue, HandleRef, Scenario, StatusCheck, Step,
};
use crate::hex;
use crate::ioctl_fields::{self, AnyIoctl, FieldDef};
use crate::names::{FlagSet, parse_number};
use crate::port::{Bench, Counters, IoResult, Port, PortError, RequestHandle, status_text};
use crate::time::{Timestamp, Timing};
use crate::win32::{self, CommError, errors::Win32Outcome};

/// Why a scenario run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Every step matched.
    Passed,
    /// A step's result differed from the expectation.
    Failed(StepFailure),
    /// The scenario needs something this bench cannot do.
    Skipped(String),
    /// The harness or backend failed (not a verdict on the driver).
    Broken(String),
}

/// The first step that did not match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFailure {
    /// 1-based step number.
    pub step: usize,
    /// Line of the step in its file.
    pub line: usize,
    /// The action name.
    pub action: &'static str,
    /// Each difference, as "what: expected X, got Y".
    pub problems: Vec<String>,
}

impl std::fmt::Display for StepFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "step {} ({}, line {}):",
            self.step, self.action, self.line
        )?;
        for problem in &self.problems {
            write!(f, "\n    {problem}")?;
        }
        Ok(())
    }
}

/// The outcome of one scenario run.
#[derive(Clone, Debug)]
pub struct Execution {
    /// How it ended.
    pub verdict: Verdict,
    /// Bench time from the first to the last step, in milliseconds.
    pub elapsed_ms: f64,
    /// One line per executed step: what came back.
    pub trace: Vec<String>,
    /// The bench's counters at the end, if it counts.
    pub counters: Option<Counters>,
}

/// How a started request's output is interpreted when it completes.
#[derive(Copy, Clone, Debug)]
enum Decode {
    Plain,
    Layout(&'static [FieldDef]),
}

struct Started {
    slot: usize,
    handle: RequestHandle,
    decode: Decode,
}

struct Slot {
    port: Box<dyn Port>,
    open: bool,
}

/// What one step produced.
#[derive(Debug, Default)]
struct Observation {
    status: Option<NtStatus>,
    pending: bool,
    information: usize,
    data: Vec<u8>,
    started: Timestamp,
    finished: Timestamp,
    fields: Vec<Observed>,
    /// Extra words for the trace and messages ("failed at SET_HANDFLOW").
    note: String,
}

#[derive(Debug, Clone)]
struct Observed {
    name: String,
    value: i64,
    flags: Option<FlagSet>,
}

impl Observed {
    fn show(&self, value: i64) -> String {
        match self.flags {
            Some(set) => set.format(u32::try_from(value).unwrap_or(u32::MAX)),
            None => value.to_string(),
        }
    }
}

/// What stopped a step from producing an observation.
enum Halt {
    Skip(String),
    Broken(String),
    Fail(Vec<String>),
}

impl From<PortError> for Halt {
    fn from(error: PortError) -> Self {
        match error {
            PortError::Unsupported(what) => Self::Skip(what),
            PortError::Hung { after_ms } => Self::Fail(vec![format!(
                "the request did not complete within {after_ms} ms (cancelled)"
            )]),
            other => Self::Broken(other.to_string()),
        }
    }
}

/// Runs `scenario` on `bench`.
pub fn execute(scenario: &Scenario, bench: &mut dyn Bench) -> Execution {
    let begin = bench.now();
    let timing = bench.timing();
    let mut runner = Runner {
        bench,
        timing,
        slots: Vec::new(),
        names: HashMap::new(),
        started: HashMap::new(),
        trace: Vec::new(),
    };
    let verdict = runner.run(scenario);
    let verdict = runner.finish(verdict);
    let end = runner.bench.now();
    Execution {
        verdict,
        elapsed_ms: end.millis_since(begin),
        trace: runner.trace,
        counters: runner.bench.counters(),
    }
}

struct Runner<'a> {
    bench: &'a mut dyn Bench,
    timing: Timing,
    slots: Vec<Slot>,
    names: HashMap<String, usize>,
    started: HashMap<String, Started>,
    trace: Vec<String>,
}

/// The map key of a handle reference.
fn key_of(handle: &HandleRef) -> String {
    match handle {
        HandleRef::Port(index) => format!("port {index}"),
        HandleRef::Named(name) => format!("handle '{name}'"),
    }
}

impl Runner<'_> {
    fn run(&mut self, scenario: &Scenario) -> Verdict {
        for &index in &scenario.ports {
            match self.bench.open(index) {
                Ok(port) => self.add_slot(key_of(&HandleRef::Port(index)), port),
                Err(refused) => {
                    return Verdict::Broken(format!(
                        "opening port {index} before the first step: {} ({})",
                        status_text(refused.status),
                        refused.detail
                    ));
                }
            }
            if scenario.baseline
                && let Err(message) = self.baseline(self.slots.len() - 1)
            {
                return Verdict::Broken(format!("baseline settings on port {index}: {message}"));
            }
        }
        for step in &scenario.steps {
            let step_start = self.bench.now();
            match self.step(step, step_start) {
                Ok(observation) => {
                    self.trace.push(describe(step, &observation, step_start));
                    let problems = check(&step.expect, &observation, step_start, self.timing);
                    if !problems.is_empty() {
                        return Verdict::Failed(StepFailure {
                            step: step.number,
                            line: step.line,
                            action: step.action.name(),
                            problems,
                        });
                    }
                }
                Err(Halt::Fail(problems)) => {
                    self.trace.push(format!(
                        "step {} {}: failed",
                        step.number,
                        step.action.name()
                    ));
                    return Verdict::Failed(StepFailure {
                        step: step.number,
                        line: step.line,
                        action: step.action.name(),
                        problems,
                    });
                }
                Err(Halt::Skip(reason)) => {
                    return Verdict::Skipped(format!("step {}: {reason}", step.number));
                }
                Err(Halt::Broken(message)) => {
                    return Verdict::Broken(format!(
                        "step {} ({}, line {}): {message}",
                        step.number,
                        step.action.name(),
                        step.line
                    ));
                }
            }
        }
        Verdict::Passed
    }

    /// Closes every open handle and folds the bench's kernel-rule findings into the verdict.
    fn finish(&mut self, verdict: Verdict) -> Verdict {
        for slot in &mut self.slots {
            if slot.open {
                let _ = slot.port.close();
                slot.open = false;
            }
        }
        let violations = self.bench.violations();
        if violations.is_empty() {
            return verdict;
        }
        let found = format!(
            "the model found {} kernel-rule violation(s):\n    {}",
            violations.len(),
            violations.join("\n    ")
        );
        match verdict {
            Verdict::Passed => Verdict::Broken(found),
            Verdict::Failed(mut failure) => {
                failure.problems.push(found);
                Verdict::Failed(failure)
            }
            other => other,
        }
    }

    fn add_slot(&mut self, key: String, port: Box<dyn Port>) {
        self.slots.push(Slot { port, open: true });
        self.names.insert(key, self.slots.len() - 1);
    }

    /// 9600 8N1, DTR and RTS on, no flow control, default characters, no timeouts, no wait mask,
    /// buffers purged.
    fn baseline(&mut self, slot: usize) -> Result<(), String> {
        let port = &mut self.slots[slot].port;
        let steps: [(SerialIoctl, Vec<u8>); 4] = [
            (SerialIoctl::SetBaudRate, 9600u32.to_le_bytes().to_vec()),
            (SerialIoctl::SetLineControl, vec![0, 0, 8]),
            (SerialIoctl::SetChars, vec![0, 0, 0, 0, 0x11, 0x13]),
            (SerialIoctl::SetTimeouts, vec![0; 20]),
        ];
        for (ioctl, input) in steps {
            win32::comm::call(port.as_mut(), ioctl, &input, 0).map_err(|e| e.to_string())?;
        }
        let handflow = win32::comm::call(port.as_mut(), SerialIoctl::GetHandflow, &[], 16)
            .map_err(|e| e.to_string())?;
        let mut input = handflow.data.clone();
        input.resize(16, 0);
        let flags = serial_ioctl::handflow::DTR_CONTROL.to_le_bytes();
        input[0..4].copy_from_slice(&flags);
        input[4..8].copy_from_slice(&serial_ioctl::handflow::RTS_CONTROL.to_le_bytes());
        win32::comm::call(port.as_mut(), SerialIoctl::SetHandflow, &input, 0)
            .map_err(|e| e.to_string())?;
        win32::comm::set_comm_mask(port.as_mut(), 0).map_err(|e| e.to_string())?;
        win32::comm::purge_comm(port.as_mut(), serial_ioctl::purge::VALID_MASK)
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    fn slot_of(&self, step: &Step) -> Result<usize, Halt> {
        let key = key_of(&step.handle);
        self.names.get(&key).copied().ok_or_else(|| {
            Halt::Broken(format!(
                "{key} is not open (add an `open` step or list it in `ports`)"
            ))
        })
    }

    fn port_of(&mut self, step: &Step) -> Result<&mut dyn Port, Halt> {
        let slot = self.slot_of(step)?;
        let slot = &mut self.slots[slot];
        if !slot.open {
            return Err(Halt::Broken(format!(
                "{} was closed by an earlier step",
                key_of(&step.handle)
            )));
        }
        Ok(slot.port.as_mut())
    }

    fn step(&mut self, step: &Step, step_start: Timestamp) -> Result<Observation, Halt> {
        let now = step_start;
        let mut observation = match &step.action {
            Action::Open { handle } => self.open(step, handle.as_deref())?,
            Action::Close => {
                let slot = self.slot_of(step)?;
                let slot = &mut self.slots[slot];
                slot.port.close()?;
                slot.open = false;
                success()
            }
            Action::Configure(configure) => {
                let port = self.port_of(step)?;
                apply_configure(port, configure)?
            }
            Action::Read { len, start } => {
                let slot = self.slot_of(step)?;
                let port = self.port_of(step)?;
                match start {
                    Some(name) => {
                        let handle = port.start_read(*len)?;
                        self.remember(name, slot, handle, Decode::Plain);
                        started()
                    }
                    None => from_result(port.read(*len)?, Decode::Plain),
                }
            }
            Action::Write { data, start } => {
                let slot = self.slot_of(step)?;
                let port = self.port_of(step)?;
                match start {
                    Some(name) => {
                        let handle = port.start_write(data)?;
                        self.remember(name, slot, handle, Decode::Plain);
                        started()
                    }
                    None => from_result(port.write(data)?, Decode::Plain),
                }
            }
            Action::Flush { start } => {
                let slot = self.slot_of(step)?;
                let port = self.port_of(step)?;
                match start {
                    Some(name) => {
                        let handle = port.start_flush()?;
                        self.remember(name, slot, handle, Decode::Plain);
                        started()
                    }
                    None => from_result(port.flush()?, Decode::Plain),
                }
            }
            Action::Ioctl {
                known,
                code,
                internal,
                input,
                output_len,
                start,
            } => {
                let decode =
                    known.map_or(Decode::Plain, |ioctl| Decode::Layout(ioctl.output_layout()));
                let slot = self.slot_of(step)?;
                let port = self.port_of(step)?;
                let handle = if *internal {
                    port.start_internal_device_control(*code, input, *output_len)?
                } else {
                    port.start_device_control(*code, input, *output_len)?
                };
                match start {
                    Some(name) => {
                        self.remember(name, slot, handle, decode);
                        started()
                    }
                    None => self.finish_sync(slot, handle, decode)?,
                }
            }
            Action::WaitMask { start } => {
                let decode =
                    Decode::Layout(AnyIoctl::Public(SerialIoctl::WaitOnMask).output_layout());
                let slot = self.slot_of(step)?;
                let port = self.port_of(step)?;
                let handle = win32::comm::start_wait_comm_event(port)?;
                match start {
                    Some(name) => {
                        self.remember(name, slot, handle, decode);
                        started()
                    }
                    None => self.finish_sync(slot, handle, decode)?,
                }
            }
            Action::Purge { flags } => {
                let port = self.port_of(step)?;
                comm(win32::comm::purge_comm(port, *flags).map(|()| Vec::new()))?
            }
            Action::SetMask { mask } => {
                let port = self.port_of(step)?;
                comm(win32::comm::set_comm_mask(port, *mask).map(|()| Vec::new()))?
            }
            Action::Wait { name, timeout_ms } => self.wait(name, *timeout_ms)?,
            Action::Cancel { name } => {
                let started = self
                    .started
                    .get(name)
                    .ok_or_else(|| Halt::Broken(format!("'{name}' was already waited for")))?;
                let (slot, handle) = (started.slot, started.handle);
                self.slots[slot].port.cancel(handle)?;
                success()
            }
            Action::Sleep { ms } => {
                self.bench.sleep(*ms);
                success()
            }
            Action::PeerSend {
                data,
                frame,
                delay_ms,
            } => {
                self.peer()?.send(data, *frame, *delay_ms)?;
                success()
            }
            Action::PeerFault {
                fault,
                data,
                delay_ms,
            } => {
                self.peer()?.send_fault(*fault, *data, *delay_ms)?;
                success()
            }
            Action::PeerLines { change, delay_ms } => {
                self.peer()?.set_lines(*change, *delay_ms)?;
                success()
            }
            Action::PeerExpect { data, clear } => {
                let peer = self.peer()?;
                let received = peer.received()?;
                if *clear {
                    peer.clear_received();
                }
                if &received != data {
                    return Err(Halt::Fail(vec![format!(
                        "peer received: expected {}, got {}",
                        hex::describe(data),
                        hex::describe(&received)
                    )]));
                }
                Observation {
                    status: Some(NtStatus::SUCCESS),
                    data: received,
                    ..Observation::default()
                }
            }
            Action::Escape(function) => {
                let port = self.port_of(step)?;
                comm(win32::comm::escape_comm_function(port, *function).map(|()| Vec::new()))?
            }
            Action::TransmitChar(ch) => {
                let port = self.port_of(step)?;
                comm(win32::comm::transmit_comm_char(port, *ch).map(|()| Vec::new()))?
            }
            Action::FileInfo(info) => {
                let port = self.port_of(step)?;
                let result = if info.set {
                    port.set_information(info.class, &vec![0; info.len])?
                } else {
                    port.query_information(info.class, info.len)?
                };
                from_result(result, Decode::Plain)
            }
            Action::ClearError => {
                let port = self.port_of(step)?;
                comm(win32::comm::clear_comm_error(port).map(|(errors, stat)| {
                    vec![
                        flagged("errors", i64::from(errors), FlagSet::CommError),
                        plain("cts_hold", i64::from(stat.cts_hold)),
                        plain("dsr_hold", i64::from(stat.dsr_hold)),
                        plain("rlsd_hold", i64::from(stat.rlsd_hold)),
                        plain("xoff_hold", i64::from(stat.xoff_hold)),
                        plain("xoff_sent", i64::from(stat.xoff_sent)),
                        plain("eof", i64::from(stat.eof)),
                        plain("txim", i64::from(stat.txim)),
                        plain("in_queue", i64::from(stat.in_queue)),
                        plain("out_queue", i64::from(stat.out_queue)),
                    ]
                }))?
            }
            Action::ModemStatus => {
                let port = self.port_of(step)?;
                comm(win32::comm::get_comm_modem_status(port).map(|lines| {
                    vec![flagged(
                        "modem_status",
                        i64::from(lines.0),
                        FlagSet::ModemStatus,
                    )]
                }))?
            }
            Action::GetCommState => {
                let port = self.port_of(step)?;
                comm(win32::comm::get_comm_state(port).map(|dcb| {
                    dcb.fields()
                        .into_iter()
                        .map(|(name, value)| plain(name, i64::try_from(value).unwrap_or(i64::MAX)))
                        .collect()
                }))?
            }
            Action::GetCommTimeouts => {
                let port = self.port_of(step)?;
                comm(win32::comm::get_comm_timeouts(port).map(|timeouts| {
                    let layout = AnyIoctl::Public(SerialIoctl::GetTimeouts).output_layout();
                    observed(&ioctl_fields::decode(layout, bytemuck::bytes_of(&timeouts)))
                }))?
            }
            Action::GetProperties => {
                let port = self.port_of(step)?;
                comm(win32::comm::get_comm_properties(port).map(|props| {
                    let layout = AnyIoctl::Public(SerialIoctl::GetProperties).output_layout();
                    observed(&ioctl_fields::decode(layout, bytemuck::bytes_of(&props)))
                }))?
            }
            Action::SetupComm {
                in_queue,
                out_queue,
            } => {
                let port = self.port_of(step)?;
                comm(win32::comm::setup_comm(port, *in_queue, *out_queue).map(|()| Vec::new()))?
            }
        };
        if observation.finished == Timestamp::ZERO {
            observation.started = now;
            observation.finished = self.bench.now();
        }
        Ok(observation)
    }

    fn open(&mut self, step: &Step, handle: Option<&str>) -> Result<Observation, Halt> {
        let key = match handle {
            Some(name) => key_of(&HandleRef::Named(name.to_owned())),
            None => key_of(&HandleRef::Port(step.port)),
        };
        if let Some(&slot) = self.names.get(&key)
            && self.slots[slot].open
        {
            return Err(Halt::Broken(format!(
                "{key} is already open; name the new handle with handle = \"...\""
            )));
        }
        Ok(match self.bench.open(step.port) {
            Ok(port) => {
                self.add_slot(key, port);
                success()
            }
            Err(refused) => Observation {
                status: Some(refused.status),
                note: refused.detail,
                ..Observation::default()
            },
        })
    }

    fn remember(&mut self, name: &str, slot: usize, handle: RequestHandle, decode: Decode) {
        self.started.insert(
            name.to_owned(),
            Started {
                slot,
                handle,
                decode,
            },
        );
    }

    fn finish_sync(
        &mut self,
        slot: usize,
        handle: RequestHandle,
        decode: Decode,
    ) -> Result<Observation, Halt> {
        let port = self.slots[slot].port.as_mut();
        match port.wait(handle, crate::port::sync_limit_ms())? {
            Some(result) => Ok(from_result(result, decode)),
            None => {
                port.cancel(handle)?;
                let _ = port.wait(handle, 1_000)?;
                Err(PortError::Hung {
                    after_ms: crate::port::sync_limit_ms(),
                }
                .into())
            }
        }
    }

    fn wait(&mut self, name: &str, timeout_ms: u64) -> Result<Observation, Halt> {
        let started = self
            .started
            .get(name)
            .ok_or_else(|| Halt::Broken(format!("'{name}' was already waited for")))?;
        let (slot, handle, decode) = (started.slot, started.handle, started.decode);
        let waited_from = self.bench.now();
        match self.slots[slot].port.wait(handle, timeout_ms)? {
            Some(result) => {
                self.started.remove(name);
                Ok(from_result(result, decode))
            }
            None => Ok(Observation {
                status: Some(NtStatus::PENDING),
                pending: true,
                started: waited_from,
                finished: self.bench.now(),
                ..Observation::default()
            }),
        }
    }

    fn peer(&mut self) -> Result<&mut dyn crate::port::Peer, Halt> {
        self.bench
            .peer()
            .ok_or_else(|| Halt::Skip("this bench has no scripted peer".to_owned()))
    }
}

fn success() -> Observation {
    Observation {
        status: Some(NtStatus::SUCCESS),
        ..Observation::default()
    }
}

fn started() -> Observation {
    success()
}

fn plain(name: &str, value: i64) -> Observed {
    Observed {
        name: name.to_owned(),
        value,
        flags: None,
    }
}

fn flagged(name: &str, value: i64, set: FlagSet) -> Observed {
    Observed {
        name: name.to_owned(),
        value,
        flags: Some(set),
    }
}

fn observed(values: &[ioctl_fields::FieldValue]) -> Vec<Observed> {
    values
        .iter()
        .map(|field| Observed {
            name: field.def.name.to_owned(),
            value: field.value,
            flags: field.def.flags,
        })
        .collect()
}

fn from_result(result: IoResult, decode: Decode) -> Observation {
    let fields = match decode {
        Decode::Plain => Vec::new(),
        Decode::Layout(layout) => observed(&ioctl_fields::decode(layout, &result.data)),
    };
    Observation {
        status: Some(result.status),
        pending: false,
        information: result.information,
        data: result.data,
        started: result.started,
        finished: result.finished,
        fields,
        note: String::new(),
    }
}

/// A Win32-level call's result as an observation.
fn comm(result: Result<Vec<Observed>, CommError>) -> Result<Observation, Halt> {
    match result {
        Ok(fields) => Ok(Observation {
            fields,
            ..success()
        }),
        Err(CommError::Port(error)) => Err(error.into()),
        Err(error) => Ok(Observation {
            status: Some(error.status()),
            note: error.to_string(),
            ..Observation::default()
        }),
    }
}

/// Issues one settings IOCTL; a failure status ends the configure step.
fn configure_call(
    port: &mut dyn Port,
    ioctl: SerialIoctl,
    input: &[u8],
    output_len: usize,
) -> Result<Result<IoResult, Observation>, Halt> {
    let result = port.device_control(ioctl.code(), input, output_len)?;
    if result.status.is_success() {
        Ok(Ok(result))
    } else {
        Ok(Err(Observation {
            status: Some(result.status),
            note: format!("failed at IOCTL_SERIAL_{}", ioctl.name()),
            ..Observation::default()
        }))
    }
}

/// GET, overlay `values`, SET.
fn overlay(
    port: &mut dyn Port,
    get: SerialIoctl,
    set: SerialIoctl,
    values: &[(String, i64)],
) -> Result<Option<Observation>, Halt> {
    let layout = AnyIoctl::Public(set).input_layout();
    let current = match configure_call(port, get, &[], get.output_size())? {
        Ok(result) => result,
        Err(failed) => return Ok(Some(failed)),
    };
    let mut merged: Vec<(String, i64)> = ioctl_fields::decode(layout, &current.data)
        .into_iter()
        .map(|field| (field.def.name.to_owned(), field.value))
        .collect();
    for (name, value) in values {
        if let Some(entry) = merged.iter_mut().find(|(known, _)| known == name) {
            entry.1 = *value;
        } else {
            merged.push((name.clone(), *value));
        }
    }
    let input = ioctl_fields::encode(layout, &merged).map_err(Halt::Broken)?;
    Ok(configure_call(port, set, &input, 0)?.err())
}

fn apply_configure(port: &mut dyn Port, configure: &Configure) -> Result<Observation, Halt> {
    if let Some(baud) = configure.baud
        && let Err(failed) = configure_call(port, SerialIoctl::SetBaudRate, &baud.to_le_bytes(), 0)?
    {
        return Ok(failed);
    }
    if let Some((word, parity, stop)) = configure.line
        && let Err(failed) =
            configure_call(port, SerialIoctl::SetLineControl, &[stop, parity, word], 0)?
    {
        return Ok(failed);
    }
    let merges = [
        (
            &configure.handflow,
            SerialIoctl::GetHandflow,
            SerialIoctl::SetHandflow,
        ),
        (
            &configure.chars,
            SerialIoctl::GetChars,
            SerialIoctl::SetChars,
        ),
        (
            &configure.timeouts,
            SerialIoctl::GetTimeouts,
            SerialIoctl::SetTimeouts,
        ),
    ];
    for (values, get, set) in merges {
        if !values.is_empty()
            && let Some(failed) = overlay(port, get, set, values)?
        {
            return Ok(failed);
        }
    }
    if let Some(values) = &configure.queue_size {
        let layout = AnyIoctl::Public(SerialIoctl::SetQueueSize).input_layout();
        let input = ioctl_fields::encode(layout, values).map_err(Halt::Broken)?;
        if let Err(failed) = configure_call(port, SerialIoctl::SetQueueSize, &input, 0)? {
            return Ok(failed);
        }
    }
    if !configure.dcb.is_empty() {
        let mut dcb = match win32::comm::get_comm_state(port) {
            Ok(dcb) => dcb,
            Err(error) => return comm(Err(error)),
        };
        for (name, value) in &configure.dcb {
            dcb.set_field(name, *value).map_err(Halt::Broken)?;
        }
        if let Err(error) = win32::comm::set_comm_state(port, &dcb) {
            return comm(Err(error));
        }
    }
    Ok(success())
}

/// Every difference between `expect` and `observation`.
fn check(
    expect: &Expect,
    observation: &Observation,
    step_start: Timestamp,
    timing: Timing,
) -> Vec<String> {
    let mut problems = Vec::new();
    if observation.pending {
        if !expect.pending {
            problems.push(format!(
                "status: expected {}, but the request is still pending",
                expected_status(expect)
            ));
        }
        return problems;
    }
    if expect.pending {
        problems.push(format!(
            "expected the request to be still pending, but it completed with {}",
            observation
                .status
                .map_or_else(|| "?".to_owned(), status_text)
        ));
        return problems;
    }
    let status = observation.status.unwrap_or(NtStatus::SUCCESS);
    if let StatusCheck::Is(wanted) = expect.status
        && wanted != status
    {
        let note = if observation.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", observation.note)
        };
        problems.push(format!(
            "status: expected {}, got {}{note}",
            status_text(wanted),
            status_text(status)
        ));
    }
    if let Some(information) = expect.information
        && information != observation.information
    {
        problems.push(format!(
            "information: expected {information}, got {}",
            observation.information
        ));
    }
    if let Some(data) = &expect.data
        && data != &observation.data
    {
        problems.push(format!(
            "data: expected {}, got {}",
            hex::describe(data),
            hex::describe(&observation.data)
        ));
    }
    for field in &expect.fields {
        let Some(seen) = observation
            .fields
            .iter()
            .find(|seen| seen.name.eq_ignore_ascii_case(&field.name))
        else {
            let known: Vec<&str> = observation.fields.iter().map(|f| f.name.as_str()).collect();
            problems.push(format!(
                "{}: no such field in this step's output (fields: {})",
                field.name,
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ));
            continue;
        };
        match expected_number(seen, &field.value) {
            Ok(wanted) if wanted == seen.value => {}
            Ok(wanted) => problems.push(format!(
                "{}: expected {}, got {}",
                field.name,
                seen.show(wanted),
                seen.show(seen.value)
            )),
            Err(message) => problems.push(format!("{}: {message}", field.name)),
        }
    }
    let (min, max) = expect.elapsed_ms;
    if min.is_some() || max.is_some() {
        let from = if observation.started < step_start {
            observation.started
        } else {
            step_start
        };
        let elapsed = observation.finished.millis_since(from);
        if !timing.accepts(elapsed, min, max) {
            let (low, high) = timing.widen(min, max);
            let show =
                |bound: Option<f64>| bound.map_or_else(|| "-".to_owned(), |b| format!("{b}"));
            let widened = if timing == Timing::Virtual {
                String::new()
            } else {
                format!(" (with tolerance [{}, {}])", show(low), show(high))
            };
            problems.push(format!(
                "elapsed: expected [{}, {}] ms{widened}, got {elapsed:.4} ms",
                show(min),
                show(max)
            ));
        }
    }
    let outcome = Win32Outcome::of(status, observation.information);
    if let Some(code) = expect.win32_error
        && code != outcome.error
    {
        let name = |code: u32| {
            win32::errors::win32_error_name(code).map_or_else(|| code.to_string(), str::to_owned)
        };
        problems.push(format!(
            "win32 error: expected {}, got {}",
            name(code),
            name(outcome.error)
        ));
    }
    if let Some(ok) = expect.ok
        && ok != outcome.success
    {
        problems.push(format!(
            "Win32 result: expected {}, got {}",
            if ok { "TRUE" } else { "FALSE" },
            if outcome.success { "TRUE" } else { "FALSE" }
        ));
    }
    problems
}

fn expected_status(expect: &Expect) -> String {
    match expect.status {
        StatusCheck::Is(status) => status_text(status),
        StatusCheck::Any => "any status".to_owned(),
    }
}

/// The expected value as a number, read the way the observed field is typed.
fn expected_number(seen: &Observed, value: &ExpectedValue) -> Result<i64, String> {
    match value {
        ExpectedValue::Integer(n) => Ok(*n),
        ExpectedValue::Bool(b) => Ok(i64::from(*b)),
        ExpectedValue::Text(text) => match seen.flags {
            Some(set) => set.parse(text).map(i64::from),
            None => {
                let trimmed = text.trim();
                if let Some(negative) = trimmed.strip_prefix('-') {
                    parse_number(negative)
                        .and_then(|n| i64::try_from(n).ok())
                        .map(|n| -n)
                        .ok_or_else(|| format!("cannot read expected value '{text}'"))
                } else if let [b'\'', ch, b'\''] = trimmed.as_bytes() {
                    Ok(i64::from(*ch))
                } else {
                    parse_number(trimmed)
                        .and_then(|n| i64::try_from(n).ok())
                        .ok_or_else(|| format!("cannot read expected value '{text}'"))
                }
            }
        },
    }
}

/// One trace line: what a step got back.
fn describe(step: &Step, observation: &Observation, step_start: Timestamp) -> String {
    let mut line = format!(
        "step {:>2} {:<15} @{}",
        step.number,
        step.action.name(),
        step_start
    );
    if observation.pending {
        line.push_str(": still pending");
        return line;
    }
    if let Some(status) = observation.status {
        line.push_str(&format!(": {}", status_text(status)));
    }
    if observation.information != 0 {
        line.push_str(&format!(" info={}", observation.information));
    }
    if !observation.data.is_empty() && observation.fields.is_empty() {
        line.push_str(&format!(" data={}", hex::describe(&observation.data)));
    }
    for field in observation.fields.iter().take(12) {
        line.push_str(&format!(" {}={}", field.name, field.show(field.value)));
    }
    if !observation.note.is_empty() {
        line.push_str(&format!(" ({})", observation.note));
    }
    let from = if observation.started < step_start {
        observation.started
    } else {
        step_start
    };
    line.push_str(&format!(
        " [{:.4} ms]",
        observation.finished.millis_since(from)
    ));
    line
}
