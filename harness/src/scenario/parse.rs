//! Scenario files (TOML) → [`Scenario`]. The file format is documented in `SCENARIOS.md`.
//!
//! Parsing is two-stage: serde reads the file into raw tables (unknown keys and wrong types are
//! reported by toml with their span), then each step is checked against its action (required and
//! allowed keys, names, value ranges) with the span of the offending key. Every error carries
//! `file:line:column`; nothing here panics on any input.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use serial_ioctl::{NtStatus, SerialIoctl};
use toml::Spanned;

use super::model::{
    Action, Configure, DEFAULT_WAIT_MS, Expect, ExpectedValue, FieldCheck, FileInfo, HandleRef,
    Scenario, StatusCheck, Step,
};
use super::source::{LoadError, Source};
use crate::ioctl_fields::{self, AnyIoctl, FieldDef, find_field, parse_line};
use crate::names::{FlagSet, parse_number};
use crate::port::{FrameSpec, LineChange, LineFault, Topology};
use crate::win32::{Dcb, Escape};

type Table = BTreeMap<String, Spanned<toml::Value>>;

/// The largest `len` of a `file_info` step (no information class is near it).
const MAX_FILE_INFO_LEN: usize = 4096;

use crate::limits::{MAX_BUFFER_LEN, MAX_MS, MAX_STEPS};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Option<String>,
    description: Option<String>,
    topology: Spanned<String>,
    ports: Option<Vec<usize>>,
    baseline: Option<bool>,
    model_only: Option<String>,
    known_failure: Option<String>,
    tags: Option<Vec<String>>,
    #[serde(default)]
    step: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStep {
    action: Option<Spanned<String>>,
    port: Option<Spanned<usize>>,
    handle: Option<Spanned<String>>,
    /// Free text for readers of the file; ignored.
    #[allow(dead_code)]
    note: Option<String>,
    start: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    data: Option<Spanned<String>>,
    hex: Option<Spanned<String>>,
    fill: Option<Spanned<usize>>,
    len: Option<Spanned<usize>>,
    ioctl: Option<Spanned<String>>,
    code: Option<Spanned<toml::Value>>,
    internal: Option<Spanned<bool>>,
    input: Option<Spanned<Table>>,
    input_hex: Option<Spanned<String>>,
    output_len: Option<Spanned<usize>>,
    baud: Option<Spanned<u32>>,
    line: Option<Spanned<String>>,
    timeouts: Option<Spanned<Table>>,
    handflow: Option<Spanned<Table>>,
    chars: Option<Spanned<Table>>,
    queue_size: Option<Spanned<Table>>,
    dcb: Option<Spanned<Table>>,
    flags: Option<Spanned<toml::Value>>,
    mask: Option<Spanned<toml::Value>>,
    ms: Option<Spanned<u64>>,
    timeout_ms: Option<Spanned<u64>>,
    delay_ms: Option<Spanned<u64>>,
    fault: Option<Spanned<String>>,
    cts: Option<Spanned<bool>>,
    dsr: Option<Spanned<bool>>,
    dcd: Option<Spanned<bool>>,
    ri: Option<Spanned<bool>>,
    clear: Option<Spanned<bool>>,
    function: Option<Spanned<String>>,
    char: Option<Spanned<toml::Value>>,
    in_queue: Option<Spanned<u32>>,
    out_queue: Option<Spanned<u32>>,
    query: Option<Spanned<String>>,
    set: Option<Spanned<String>>,
    expect: Option<Spanned<RawExpect>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    status: Option<Spanned<String>>,
    pending: Option<bool>,
    information: Option<usize>,
    data: Option<Spanned<String>>,
    hex: Option<Spanned<String>>,
    fill: Option<usize>,
    mask: Option<Spanned<toml::Value>>,
    fields: Option<Table>,
    elapsed_ms: Option<Spanned<RawWindow>>,
    win32_error: Option<Spanned<String>>,
    ok: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    min: Option<f64>,
    max: Option<f64>,
}

/// Keys every action accepts.
const COMMON: &[&str] = &["action", "port", "handle", "note", "expect"];

/// The keys each action accepts besides [`COMMON`], and the ones it requires.
fn keys_of(action: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match action {
        "open" | "close" | "clear_error" | "modem_status" | "get_comm_state"
        | "get_comm_timeouts" | "get_properties" => (&[], &[]),
        "configure" => (
            &[
                "baud",
                "line",
                "timeouts",
                "handflow",
                "chars",
                "queue_size",
                "dcb",
            ],
            &[],
        ),
        "read" => (&["len", "start"], &["len"]),
        "write" => (&["data", "hex", "fill", "start"], &[]),
        "flush" | "wait_mask" => (&["start"], &[]),
        "ioctl" => (
            &[
                "ioctl",
                "code",
                "internal",
                "input",
                "input_hex",
                "output_len",
                "start",
            ],
            &[],
        ),
        "purge" => (&["flags"], &["flags"]),
        "set_mask" => (&["mask"], &["mask"]),
        "wait" => (&["name", "timeout_ms"], &["name"]),
        "cancel" => (&["name"], &["name"]),
        "sleep" => (&["ms"], &["ms"]),
        "peer_send" => (&["data", "hex", "fill", "baud", "line", "delay_ms"], &[]),
        "peer_fault" => (&["fault", "char", "delay_ms"], &["fault"]),
        "peer_lines" => (&["cts", "dsr", "dcd", "ri", "delay_ms"], &[]),
        "peer_expect" => (&["data", "hex", "fill", "clear"], &[]),
        "escape" => (&["function"], &["function"]),
        "transmit_char" => (&["char"], &["char"]),
        "setup_comm" => (&["in_queue", "out_queue"], &["in_queue"]),
        "file_info" => (&["query", "set", "len"], &[]),
        _ => return None,
    })
}

/// Every action name, for messages.
const ACTIONS: &[&str] = &[
    "open",
    "close",
    "configure",
    "read",
    "write",
    "flush",
    "ioctl",
    "purge",
    "set_mask",
    "wait_mask",
    "wait",
    "cancel",
    "sleep",
    "peer_send",
    "peer_fault",
    "peer_lines",
    "peer_expect",
    "escape",
    "transmit_char",
    "clear_error",
    "file_info",
    "modem_status",
    "get_comm_state",
    "get_comm_timeouts",
    "get_properties",
    "setup_comm",
];

impl RawStep {
    /// The keys present, with their spans (keys in `COMMON` included).
    fn present(&self) -> Vec<(&'static str, Range<usize>)> {
        let mut keys = Vec::new();
        macro_rules! key {
            ($($field:ident),*) => {
                $(if let Some(value) = &self.$field { keys.push((stringify!($field), value.span())); })*
            };
        }
        key!(
            action, port, handle, start, name, data, hex, fill, len, ioctl, code, internal, input,
            input_hex, output_len, baud, line, timeouts, handflow, chars, queue_size, dcb, flags,
            mask, ms, timeout_ms, delay_ms, fault, cts, dsr, dcd, ri, clear, function, char,
            in_queue, out_queue, expect
        );
        keys
    }
}

/// Parses one scenario file. `default_name` is used when the file has no `name`.
///
/// # Errors
/// [`LoadError`] with the file, line and column of the first problem.
pub fn parse(source: &Source, default_name: &str) -> Result<Scenario, LoadError> {
    // Counted before parsing, so a huge file is refused before it costs time and memory.
    if source.text.matches("[[step]]").count() > MAX_STEPS {
        return Err(source.error_at(
            None,
            format!("more than {MAX_STEPS} steps (split the scenario)"),
        ));
    }
    let raw: RawScenario = toml::from_str(&source.text)
        .map_err(|error| source.error_at(error.span(), error.message().trim_end().to_owned()))?;
    let topology = Topology::from_name(raw.topology.get_ref()).ok_or_else(|| {
        source.error_at(
            Some(raw.topology.span()),
            format!(
                "unknown topology '{}' (none, loopback, null-modem, peer)",
                raw.topology.get_ref()
            ),
        )
    })?;
    let ports = raw
        .ports
        .unwrap_or_else(|| (0..topology.port_count()).collect());
    if let Some(bad) = ports.iter().find(|&&port| port >= topology.port_count()) {
        return Err(source.error_at(
            Some(raw.topology.span()),
            format!(
                "port {bad} does not exist with topology {topology} ({} port(s))",
                topology.port_count()
            ),
        ));
    }
    if raw.step.len() > MAX_STEPS {
        return Err(source.error_at(
            None,
            format!("more than {MAX_STEPS} steps (split the scenario)"),
        ));
    }
    let mut steps = Vec::with_capacity(raw.step.len());
    for (index, step) in raw.step.into_iter().enumerate() {
        let span = step.span();
        let step = parse_step(source, index + 1, span, step.into_inner(), topology)?;
        steps.push(step);
    }
    check_names(source, &steps)?;
    Ok(Scenario {
        name: raw.name.unwrap_or_else(|| default_name.to_owned()),
        path: source.path.clone(),
        description: raw.description.unwrap_or_default(),
        topology,
        ports,
        baseline: raw.baseline.unwrap_or(true),
        model_only: raw.model_only,
        known_failure: raw.known_failure,
        tags: raw.tags.unwrap_or_default(),
        steps,
    })
}

/// Every `wait`/`cancel` refers to a request started by an earlier step.
fn check_names(source: &Source, steps: &[Step]) -> Result<(), LoadError> {
    let mut started: Vec<&str> = Vec::new();
    for step in steps {
        match &step.action {
            Action::Wait { name, .. } | Action::Cancel { name } => {
                if !started.contains(&name.as_str()) {
                    return Err(LoadError {
                        path: source.path.clone(),
                        line: step.line,
                        column: 1,
                        message: format!(
                            "step {}: no earlier step starts a request named '{name}'",
                            step.number
                        ),
                        excerpt: Some(source.line_text(step.line).to_owned()),
                    });
                }
            }
            action => {
                if let Some(name) = action.started_as() {
                    started.push(name);
                }
            }
        }
    }
    Ok(())
}

/// Refuses lengths and times beyond [`crate::limits`] (exit code 2 at load, not an abort or an
/// hour-long run later).
fn check_limits(
    raw: &RawStep,
    at: &impl Fn(Range<usize>, String) -> LoadError,
) -> Result<(), LoadError> {
    let as_u64 = |value: &Option<Spanned<usize>>| {
        value
            .as_ref()
            .map(|v| (u64::try_from(*v.get_ref()).unwrap_or(u64::MAX), v.span()))
    };
    let as_ms = |value: &Option<Spanned<u64>>| value.as_ref().map(|v| (*v.get_ref(), v.span()));
    let bytes = u64::try_from(MAX_BUFFER_LEN).unwrap_or(u64::MAX);
    for (name, value, max, unit) in [
        ("len", as_u64(&raw.len), bytes, "bytes"),
        ("fill", as_u64(&raw.fill), bytes, "bytes"),
        ("output_len", as_u64(&raw.output_len), bytes, "bytes"),
        ("ms", as_ms(&raw.ms), MAX_MS, "ms"),
        ("timeout_ms", as_ms(&raw.timeout_ms), MAX_MS, "ms"),
        ("delay_ms", as_ms(&raw.delay_ms), MAX_MS, "ms"),
    ] {
        if let Some((value, span)) = value
            && value > max
        {
            return Err(at(
                span,
                format!("`{name}` {value} is above the limit of {max} {unit}"),
            ));
        }
    }
    Ok(())
}

fn parse_step(
    source: &Source,
    number: usize,
    span: Range<usize>,
    raw: RawStep,
    topology: Topology,
) -> Result<Step, LoadError> {
    let (line, _) = source.position(span.start);
    let at = |span: Range<usize>, message: String| {
        source.error_at(Some(span), format!("step {number}: {message}"))
    };
    let Some(action_name) = raw.action.clone() else {
        return Err(at(span, "missing `action`".to_owned()));
    };
    check_limits(&raw, &at)?;
    let name = action_name.get_ref().as_str();
    let Some((allowed, required)) = keys_of(name) else {
        return Err(at(
            action_name.span(),
            format!("unknown action '{name}' (actions: {})", ACTIONS.join(", ")),
        ));
    };
    let present = raw.present();
    for (key, key_span) in &present {
        if !COMMON.contains(key) && !allowed.contains(key) {
            return Err(at(
                key_span.clone(),
                format!("`{key}` does not apply to action '{name}'"),
            ));
        }
    }
    for key in required {
        if !present.iter().any(|(present, _)| present == key) {
            return Err(at(
                action_name.span(),
                format!("action '{name}' needs `{key}`"),
            ));
        }
    }
    let port = raw.port.as_ref().map_or(0, |port| *port.get_ref());
    if port >= topology.port_count() {
        let span = raw.port.as_ref().map_or(span.clone(), Spanned::span);
        return Err(at(
            span,
            format!("port {port} does not exist with topology {topology}"),
        ));
    }
    let handle = match (&raw.handle, name) {
        (Some(handle), "open") => {
            // `open` names the handle it creates; it acts on the port.
            let _ = handle;
            HandleRef::Port(port)
        }
        (Some(handle), _) => HandleRef::Named(handle.get_ref().clone()),
        (None, _) => HandleRef::Port(port),
    };
    let action = parse_action(source, number, name, &raw, topology)?;
    if action.is_peer() && topology != Topology::Peer {
        return Err(at(
            action_name.span(),
            format!("action '{name}' needs topology = \"peer\" (this file has {topology})"),
        ));
    }
    if let (Some(_), Some(expect)) = (action.started_as(), &raw.expect) {
        return Err(at(
            expect.span(),
            "a step with `start` has no result yet; put `expect` on its `wait` step".to_owned(),
        ));
    }
    let expect = match raw.expect {
        Some(expect) => parse_expect(source, number, expect)?,
        None => Expect::default(),
    };
    if expect.pending && !matches!(action, Action::Wait { .. }) {
        return Err(at(
            span,
            "`expect.pending` applies to `wait` steps only".to_owned(),
        ));
    }
    Ok(Step {
        number,
        line,
        handle,
        port,
        action,
        expect,
    })
}

fn parse_action(
    source: &Source,
    number: usize,
    name: &str,
    raw: &RawStep,
    topology: Topology,
) -> Result<Action, LoadError> {
    let at = |span: Range<usize>, message: String| {
        source.error_at(Some(span), format!("step {number}: {message}"))
    };
    let start = raw.start.as_ref().map(|start| start.get_ref().clone());
    let action_span = raw.action.as_ref().map_or(0..0, Spanned::span);
    Ok(match name {
        "open" => Action::Open {
            handle: raw.handle.as_ref().map(|handle| handle.get_ref().clone()),
        },
        "close" => Action::Close,
        "configure" => Action::Configure(parse_configure(source, number, raw)?),
        "read" => Action::Read {
            len: raw.len.as_ref().map_or(0, |len| *len.get_ref()),
            start,
        },
        "write" => Action::Write {
            data: bytes(
                source,
                number,
                raw.data.as_ref(),
                raw.hex.as_ref(),
                raw.fill.as_ref(),
            )?
            .unwrap_or_default(),
            start,
        },
        "flush" => Action::Flush { start },
        "wait_mask" => Action::WaitMask { start },
        "ioctl" => parse_ioctl(source, number, raw, start)?,
        "purge" => Action::Purge {
            flags: flag_value(source, number, FlagSet::Purge, raw.flags.as_ref())?,
        },
        "set_mask" => Action::SetMask {
            mask: flag_value(source, number, FlagSet::Event, raw.mask.as_ref())?,
        },
        "wait" => Action::Wait {
            name: raw
                .name
                .as_ref()
                .map(|n| n.get_ref().clone())
                .unwrap_or_default(),
            timeout_ms: raw
                .timeout_ms
                .as_ref()
                .map_or(DEFAULT_WAIT_MS, |ms| *ms.get_ref()),
        },
        "cancel" => Action::Cancel {
            name: raw
                .name
                .as_ref()
                .map(|n| n.get_ref().clone())
                .unwrap_or_default(),
        },
        "sleep" => Action::Sleep {
            ms: raw.ms.as_ref().map_or(0, |ms| *ms.get_ref()),
        },
        "peer_send" => {
            let frame = match (&raw.baud, &raw.line) {
                (None, None) => None,
                (baud, line) => {
                    let (data_bits, parity, stop) = match line {
                        Some(line) => parse_line(line.get_ref())
                            .map_err(|message| at(line.span(), message))?,
                        None => (8, 0, 0),
                    };
                    Some(FrameSpec {
                        baud: baud.as_ref().map_or(9600, |baud| *baud.get_ref()),
                        data_bits,
                        parity: ['N', 'O', 'E', 'M', 'S']
                            .get(usize::from(parity))
                            .copied()
                            .unwrap_or('N'),
                        half_stop_bits: stop + 2,
                    })
                }
            };
            Action::PeerSend {
                data: bytes(
                    source,
                    number,
                    raw.data.as_ref(),
                    raw.hex.as_ref(),
                    raw.fill.as_ref(),
                )?
                .unwrap_or_default(),
                frame,
                delay_ms: raw.delay_ms.as_ref().map_or(0, |ms| *ms.get_ref()),
            }
        }
        "peer_fault" => {
            let fault_text = raw
                .fault
                .as_ref()
                .map_or_else(String::new, |f| f.get_ref().clone());
            let fault = match fault_text.to_ascii_lowercase().as_str() {
                "parity" => LineFault::Parity,
                "framing" => LineFault::Framing,
                "break" => LineFault::Break,
                _ => {
                    let span = raw.fault.as_ref().map_or(action_span, Spanned::span);
                    return Err(at(
                        span,
                        format!("unknown fault '{fault_text}' (parity, framing, break)"),
                    ));
                }
            };
            let data = match &raw.char {
                Some(value) => char_value(source, number, value)?,
                None => b'?',
            };
            Action::PeerFault {
                fault,
                data,
                delay_ms: raw.delay_ms.as_ref().map_or(0, |ms| *ms.get_ref()),
            }
        }
        "peer_lines" => Action::PeerLines {
            change: LineChange {
                cts: raw.cts.as_ref().map(|v| *v.get_ref()),
                dsr: raw.dsr.as_ref().map(|v| *v.get_ref()),
                dcd: raw.dcd.as_ref().map(|v| *v.get_ref()),
                ri: raw.ri.as_ref().map(|v| *v.get_ref()),
            },
            delay_ms: raw.delay_ms.as_ref().map_or(0, |ms| *ms.get_ref()),
        },
        "peer_expect" => Action::PeerExpect {
            data: bytes(
                source,
                number,
                raw.data.as_ref(),
                raw.hex.as_ref(),
                raw.fill.as_ref(),
            )?
            .unwrap_or_default(),
            clear: raw.clear.as_ref().is_some_and(|clear| *clear.get_ref()),
        },
        "escape" => {
            let function = raw
                .function
                .as_ref()
                .map_or_else(String::new, |f| f.get_ref().clone());
            let escape = Escape::from_name(&function).ok_or_else(|| {
                let names: Vec<&str> = Escape::ALL.iter().map(|e| e.name()).collect();
                at(
                    raw.function.as_ref().map_or(action_span, Spanned::span),
                    format!(
                        "unknown escape function '{function}' ({})",
                        names.join(", ")
                    ),
                )
            })?;
            Action::Escape(escape)
        }
        "transmit_char" => Action::TransmitChar(match &raw.char {
            Some(value) => char_value(source, number, value)?,
            None => 0,
        }),
        "clear_error" => Action::ClearError,
        "file_info" => {
            let (set, named) = match (&raw.query, &raw.set) {
                (Some(query), None) => (false, query),
                (None, Some(set)) => (true, set),
                _ => {
                    return Err(at(
                        action_span,
                        "file_info needs exactly one of `query` or `set`".to_owned(),
                    ));
                }
            };
            let (class, size) = FileInfo::class_named(named.get_ref()).ok_or_else(|| {
                let names: Vec<&str> = FileInfo::CLASSES.iter().map(|(n, _, _)| *n).collect();
                at(
                    named.span(),
                    format!(
                        "unknown information class '{}' ({})",
                        named.get_ref(),
                        names.join(", ")
                    ),
                )
            })?;
            let len = raw.len.as_ref().map_or(size, |len| *len.get_ref());
            if len > MAX_FILE_INFO_LEN {
                return Err(at(
                    raw.len.as_ref().map_or(action_span, Spanned::span),
                    format!("len {len} is above the limit of {MAX_FILE_INFO_LEN} bytes"),
                ));
            }
            Action::FileInfo(FileInfo { set, class, len })
        }
        "modem_status" => Action::ModemStatus,
        "get_comm_state" => Action::GetCommState,
        "get_comm_timeouts" => Action::GetCommTimeouts,
        "get_properties" => Action::GetProperties,
        "setup_comm" => Action::SetupComm {
            in_queue: raw.in_queue.as_ref().map_or(0, |v| *v.get_ref()),
            out_queue: raw.out_queue.as_ref().map_or(0, |v| *v.get_ref()),
        },
        _ => {
            let _ = topology;
            return Err(at(action_span, format!("unknown action '{name}'")));
        }
    })
}

fn parse_configure(source: &Source, number: usize, raw: &RawStep) -> Result<Configure, LoadError> {
    let at = |span: Range<usize>, message: String| {
        source.error_at(Some(span), format!("step {number}: {message}"))
    };
    let line = match &raw.line {
        Some(line) => Some(parse_line(line.get_ref()).map_err(|message| at(line.span(), message))?),
        None => None,
    };
    let layout = |ioctl: SerialIoctl| AnyIoctl::Public(ioctl).input_layout();
    let mut dcb = Vec::new();
    if let Some(table) = &raw.dcb {
        let mut probe = Dcb::default();
        for (key, value) in table.get_ref() {
            let number_value = match value.get_ref() {
                toml::Value::Integer(n) => u64::try_from(*n).ok(),
                toml::Value::Boolean(b) => Some(u64::from(*b)),
                toml::Value::String(text) => parse_number(text),
                _ => None,
            }
            .ok_or_else(|| {
                at(
                    value.span(),
                    format!("DCB field {key} needs a number or bool"),
                )
            })?;
            probe
                .set_field(key, number_value)
                .map_err(|message| at(value.span(), message))?;
            dcb.push((key.clone(), number_value));
        }
    }
    Ok(Configure {
        baud: raw.baud.as_ref().map(|baud| *baud.get_ref()),
        line,
        handflow: fields(
            source,
            number,
            layout(SerialIoctl::SetHandflow),
            raw.handflow.as_ref(),
        )?,
        chars: fields(
            source,
            number,
            layout(SerialIoctl::SetChars),
            raw.chars.as_ref(),
        )?,
        timeouts: fields(
            source,
            number,
            layout(SerialIoctl::SetTimeouts),
            raw.timeouts.as_ref(),
        )?,
        queue_size: match &raw.queue_size {
            Some(_) => Some(fields(
                source,
                number,
                layout(SerialIoctl::SetQueueSize),
                raw.queue_size.as_ref(),
            )?),
            None => None,
        },
        dcb,
    })
}

fn parse_ioctl(
    source: &Source,
    number: usize,
    raw: &RawStep,
    start: Option<String>,
) -> Result<Action, LoadError> {
    let at = |span: Range<usize>, message: String| {
        source.error_at(Some(span), format!("step {number}: {message}"))
    };
    let action_span = raw.action.as_ref().map_or(0..0, Spanned::span);
    let internal_flag = raw.internal.as_ref().is_some_and(|flag| *flag.get_ref());
    let (known, code) = match (&raw.ioctl, &raw.code) {
        (Some(name), None) => {
            let text = name.get_ref();
            let lookup = if internal_flag && !text.to_ascii_uppercase().contains("INTERNAL") {
                AnyIoctl::from_name(&format!("INTERNAL_{text}"))
            } else {
                AnyIoctl::from_name(text)
            };
            let known = lookup.ok_or_else(|| {
                at(
                    name.span(),
                    format!(
                        "unknown IOCTL '{text}' (use a name from IOCTL_SERIAL_*, or `code` for a raw code)"
                    ),
                )
            })?;
            (Some(known), known.code())
        }
        (None, Some(code)) => {
            let value = match code.get_ref() {
                toml::Value::Integer(n) => u32::try_from(*n).ok(),
                toml::Value::String(text) => parse_number(text).and_then(|n| u32::try_from(n).ok()),
                _ => None,
            }
            .ok_or_else(|| at(code.span(), "`code` needs a 32-bit number".to_owned()))?;
            (None, value)
        }
        (Some(name), Some(_)) => {
            return Err(at(
                name.span(),
                "give `ioctl` or `code`, not both".to_owned(),
            ));
        }
        (None, None) => {
            return Err(at(
                action_span,
                "action 'ioctl' needs `ioctl` or `code`".to_owned(),
            ));
        }
    };
    let internal = matches!(known, Some(AnyIoctl::Internal(_))) || internal_flag;
    let input = match (&raw.input, &raw.input_hex) {
        (Some(table), None) => {
            let Some(ioctl) = known else {
                return Err(at(
                    table.span(),
                    "`input` fields need a named `ioctl`; use `input_hex` with `code`".to_owned(),
                ));
            };
            let layout = ioctl.input_layout();
            if layout.is_empty() {
                return Err(at(
                    table.span(),
                    format!(
                        "IOCTL {} takes no input; use `input_hex` to send bytes anyway",
                        ioctl.name()
                    ),
                ));
            }
            let values = fields(source, number, layout, Some(table))?;
            ioctl_fields::encode(layout, &values).map_err(|message| at(table.span(), message))?
        }
        (None, Some(hex)) => {
            crate::hex::parse(hex.get_ref()).map_err(|message| at(hex.span(), message))?
        }
        (Some(table), Some(_)) => {
            return Err(at(
                table.span(),
                "give `input` or `input_hex`, not both".to_owned(),
            ));
        }
        (None, None) => Vec::new(),
    };
    let output_len = raw.output_len.as_ref().map_or_else(
        || known.map_or(0, AnyIoctl::output_size),
        |len| *len.get_ref(),
    );
    Ok(Action::Ioctl {
        known,
        code,
        internal,
        input,
        output_len,
        start,
    })
}

/// Parses a table of named fields against `layout`.
fn fields(
    source: &Source,
    number: usize,
    layout: &[FieldDef],
    table: Option<&Spanned<Table>>,
) -> Result<Vec<(String, i64)>, LoadError> {
    let Some(table) = table else {
        return Ok(Vec::new());
    };
    let at = |span: Range<usize>, message: String| {
        source.error_at(Some(span), format!("step {number}: {message}"))
    };
    let mut values = Vec::new();
    for (key, value) in table.get_ref() {
        let def = find_field(layout, key).ok_or_else(|| {
            let known: Vec<&str> = layout.iter().map(|def| def.name).collect();
            at(
                value.span(),
                format!("unknown field '{key}' (fields: {})", known.join(", ")),
            )
        })?;
        let parsed = match value.get_ref() {
            toml::Value::Integer(n) => Ok(*n),
            toml::Value::Boolean(b) => Ok(i64::from(*b)),
            toml::Value::String(text) => ioctl_fields::parse_value(def, text),
            toml::Value::Array(items) if def.flags.is_some() => {
                let joined: Vec<String> = items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map_or_else(|| item.to_string(), str::to_owned)
                    })
                    .collect();
                ioctl_fields::parse_value(def, &joined.join("|"))
            }
            other => Err(format!("{key} cannot be {}", other.type_str())),
        }
        .map_err(|message| at(value.span(), message))?;
        // Range check now, so a bad value points at its own line.
        ioctl_fields::encode(layout, &[(def.name.to_owned(), parsed)])
            .map_err(|message| at(value.span(), message))?;
        values.push((def.name.to_owned(), parsed));
    }
    Ok(values)
}

/// A flag mask written as a number, a string of names, or an array of names.
fn flag_value(
    source: &Source,
    number: usize,
    set: FlagSet,
    value: Option<&Spanned<toml::Value>>,
) -> Result<u32, LoadError> {
    let Some(value) = value else { return Ok(0) };
    let at =
        |message: String| source.error_at(Some(value.span()), format!("step {number}: {message}"));
    match value.get_ref() {
        toml::Value::Integer(n) => {
            u32::try_from(*n).map_err(|_| at(format!("{n} is not a 32-bit mask")))
        }
        toml::Value::String(text) => set.parse(text).map_err(at),
        toml::Value::Array(items) => {
            let mut mask = 0;
            for item in items {
                let text = item
                    .as_str()
                    .ok_or_else(|| at("mask arrays hold flag names".to_owned()))?;
                mask |= set.parse(text).map_err(at)?;
            }
            Ok(mask)
        }
        other => Err(at(format!("a mask cannot be {}", other.type_str()))),
    }
}

/// A byte written as a number or a one-character string.
fn char_value(
    source: &Source,
    number: usize,
    value: &Spanned<toml::Value>,
) -> Result<u8, LoadError> {
    let at =
        |message: String| source.error_at(Some(value.span()), format!("step {number}: {message}"));
    match value.get_ref() {
        toml::Value::Integer(n) => u8::try_from(*n).map_err(|_| at(format!("{n} is not a byte"))),
        toml::Value::String(text) if text.len() == 1 => {
            Ok(text.as_bytes().first().copied().unwrap_or(0))
        }
        toml::Value::String(text) => parse_number(text)
            .and_then(|n| u8::try_from(n).ok())
            .ok_or_else(|| at(format!("'{text}' is not one character or a byte value"))),
        other => Err(at(format!("a character cannot be {}", other.type_str()))),
    }
}

/// Bytes from `data` (text, with `\n`-style escapes as TOML gives them), `hex` or `fill` (a count
/// of pattern bytes 0, 1, 2, … 255, 0, …). At most one of them.
fn bytes(
    source: &Source,
    number: usize,
    data: Option<&Spanned<String>>,
    hex: Option<&Spanned<String>>,
    fill: Option<&Spanned<usize>>,
) -> Result<Option<Vec<u8>>, LoadError> {
    let at = |span: Range<usize>, message: String| {
        source.error_at(Some(span), format!("step {number}: {message}"))
    };
    match (data, hex, fill) {
        (Some(data), None, None) => Ok(Some(data.get_ref().as_bytes().to_vec())),
        (None, Some(hex), None) => crate::hex::parse(hex.get_ref())
            .map(Some)
            .map_err(|message| at(hex.span(), message)),
        (None, None, Some(fill)) => Ok(Some(fill_pattern(*fill.get_ref()))),
        (None, None, None) => Ok(None),
        (Some(first), _, _) => Err(at(
            first.span(),
            "give one of `data`, `hex` or `fill`".to_owned(),
        )),
        (None, Some(first), Some(_)) => Err(at(
            first.span(),
            "give one of `data`, `hex` or `fill`".to_owned(),
        )),
    }
}

/// The `fill` pattern: `count` bytes 0, 1, 2, …, 255, 0, ….
#[must_use]
pub fn fill_pattern(count: usize) -> Vec<u8> {
    (0..count).map(|index| (index % 256) as u8).collect()
}

fn parse_expect(
    source: &Source,
    number: usize,
    raw: Spanned<RawExpect>,
) -> Result<Expect, LoadError> {
    let at = |span: Range<usize>, message: String| {
        source.error_at(Some(span), format!("step {number}: {message}"))
    };
    let span = raw.span();
    let raw = raw.into_inner();
    let status = match &raw.status {
        None => StatusCheck::Is(NtStatus::SUCCESS),
        Some(text) if text.get_ref().eq_ignore_ascii_case("any") => StatusCheck::Any,
        Some(text) => StatusCheck::Is(parse_status(text.get_ref()).ok_or_else(|| {
            at(
                text.span(),
                format!(
                    "unknown status '{}' (a STATUS_* name or a 0x number)",
                    text.get_ref()
                ),
            )
        })?),
    };
    let data = match (&raw.data, &raw.hex, raw.fill) {
        (Some(data), None, None) => Some(data.get_ref().as_bytes().to_vec()),
        (None, Some(hex), None) => {
            Some(crate::hex::parse(hex.get_ref()).map_err(|message| at(hex.span(), message))?)
        }
        (None, None, Some(count)) => Some(fill_pattern(count)),
        (None, None, None) => None,
        _ => return Err(at(span, "give one of `data`, `hex` or `fill`".to_owned())),
    };
    let mut fields = Vec::new();
    if let Some(mask) = &raw.mask {
        fields.push(FieldCheck {
            name: "mask".to_owned(),
            value: expected_value(source, number, mask)?,
        });
    }
    for (name, value) in raw.fields.iter().flatten() {
        fields.push(FieldCheck {
            name: name.clone(),
            value: expected_value(source, number, value)?,
        });
    }
    let elapsed_ms = match &raw.elapsed_ms {
        Some(window) => {
            let RawWindow { min, max } = window.get_ref();
            if let (Some(min), Some(max)) = (min, max)
                && min > max
            {
                return Err(at(
                    window.span(),
                    format!("elapsed_ms min {min} is above max {max}"),
                ));
            }
            (*min, *max)
        }
        None => (None, None),
    };
    let win32_error = match &raw.win32_error {
        Some(name) => Some(
            crate::win32::errors::win32_error_from_name(name.get_ref()).ok_or_else(|| {
                at(
                    name.span(),
                    format!("unknown Win32 error '{}'", name.get_ref()),
                )
            })?,
        ),
        None => None,
    };
    Ok(Expect {
        status,
        pending: raw.pending.unwrap_or(false),
        information: raw.information,
        data,
        fields,
        elapsed_ms,
        win32_error,
        ok: raw.ok,
    })
}

fn expected_value(
    source: &Source,
    number: usize,
    value: &Spanned<toml::Value>,
) -> Result<ExpectedValue, LoadError> {
    match value.get_ref() {
        toml::Value::Integer(n) => Ok(ExpectedValue::Integer(*n)),
        toml::Value::Boolean(b) => Ok(ExpectedValue::Bool(*b)),
        toml::Value::String(text) => Ok(ExpectedValue::Text(text.clone())),
        toml::Value::Array(items) => {
            let names: Option<Vec<&str>> = items.iter().map(toml::Value::as_str).collect();
            names
                .map(|names| ExpectedValue::Text(names.join("|")))
                .ok_or_else(|| {
                    source.error_at(
                        Some(value.span()),
                        format!("step {number}: arrays of expected values hold flag names"),
                    )
                })
        }
        other => Err(source.error_at(
            Some(value.span()),
            format!(
                "step {number}: an expected value cannot be {}",
                other.type_str()
            ),
        )),
    }
}

/// A status name (`TIMEOUT`, `STATUS_TIMEOUT`) or a hex value.
#[must_use]
pub fn parse_status(text: &str) -> Option<NtStatus> {
    if let Some(status) = NtStatus::from_name(text) {
        return Some(status);
    }
    parse_number(text)
        .and_then(|n| u32::try_from(n).ok())
        .map(|n| NtStatus(n.cast_signed()))
}
