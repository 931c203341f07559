//! The machine's state: one value behind one mutex, touched only by the thread holding the baton.
//!
//! Everything the kernel keeps (CPUs, IRQLs, locks, DPC queues, timers, work items, requests) lives
//! here, in ordered collections so that iteration order, and with it the run, depends only on the
//! seed.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serial_engine::kernel::{DpcKind, RequestId, TimerKind, WorkItemKind};
use serial_ioctl::NtStatus;

use super::bus::Bus;
use super::config::MachineConfig;
use super::events::{Event, EventLog};
use super::irql::Irql;
use super::request::{Completion, MajorFunction, ModelRequest};
use super::stats::Stats;
use super::strategy::Chooser;
use super::verifier::{Violation, rule};

/// Who holds the baton (runs) right now.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Holder {
    /// The test thread driving the [`crate::kernel::Machine`].
    Controller,
    /// A virtual CPU's thread.
    Cpu(usize),
}

/// What a CPU thread is told to do when it gets the baton.
pub(crate) enum Action {
    /// Continue from the scheduling point it stopped at.
    Resume,
    /// Run this work (nested, if the CPU is busy).
    Run(Work),
    /// Leave the thread's loop (teardown of an idle CPU).
    Exit,
    /// Unwind out of whatever the CPU was running (teardown after a failure).
    Abort,
}

/// A unit of work a CPU starts.
pub(crate) enum Work {
    Isr(usize),
    Dpc(QueuedDpc),
    Job(Job),
}

/// A call into a driver that runs on some idle CPU.
pub(crate) struct Job {
    pub id: u64,
    pub port: usize,
    /// Only this CPU may start the job.
    pub cpu: Option<usize>,
    pub kind: JobKind,
}

pub(crate) enum JobKind {
    Probe,
    PowerUp,
    PowerDown,
    SurpriseRemoval,
    Create,
    Cleanup,
    Close,
    Io {
        request: ModelRequest,
        major: MajorFunction,
    },
    Cancel(RequestId),
    WorkItem(WorkItemKind),
    Closure {
        level: Irql,
        run: Box<dyn FnOnce() + Send>,
    },
}

impl JobKind {
    pub(crate) const fn name(&self) -> &'static str {
        match self {
            Self::Probe => "prepare-hardware",
            Self::PowerUp => "D0Entry",
            Self::PowerDown => "D0Exit",
            Self::SurpriseRemoval => "EvtDeviceSurpriseRemoval",
            Self::Create => "IRP_MJ_CREATE",
            Self::Cleanup => "IRP_MJ_CLEANUP",
            Self::Close => "IRP_MJ_CLOSE",
            Self::Io { major, .. } => major.name(),
            Self::Cancel(_) => "EvtRequestCancel",
            Self::WorkItem(_) => "work item",
            Self::Closure { .. } => "test routine",
        }
    }
}

/// The result of a finished job.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum JobOutcome {
    Done,
    Status(NtStatus),
    Probe(bool),
}

/// A KDPC: the custom DPCs of the engine and the DPC tied to each timer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DpcObject {
    /// A CustomDpc of `port`.
    Custom {
        /// The port.
        port: usize,
        /// Which DPC.
        kind: DpcKind,
    },
    /// The DPC a timer of `port` queues when it expires.
    Timer {
        /// The port.
        port: usize,
        /// Which timer.
        kind: TimerKind,
    },
}

impl DpcObject {
    pub(crate) const fn port(self) -> usize {
        match self {
            Self::Custom { port, .. } | Self::Timer { port, .. } => port,
        }
    }
}

/// A DPC in a CPU's queue; `seq` orders every insert of the run (for KeFlushQueuedDpcs).
#[derive(Copy, Clone, Debug)]
pub(crate) struct QueuedDpc {
    pub object: DpcObject,
    pub seq: u64,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct DpcState {
    /// The CPU whose queue holds it, and the insert's sequence number.
    pub queued: Option<(usize, u64)>,
    /// Sequence numbers of the instances running now (more than one: concurrent on two CPUs).
    pub running: Vec<u64>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct WorkItemState {
    pub queued: bool,
    pub running: u32,
}

/// What kind of code a frame is, for checks and messages.
#[derive(Copy, Clone, Debug)]
pub(crate) enum FrameKind {
    Isr(usize),
    Dpc(DpcObject),
    Job(&'static str),
}

impl FrameKind {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Isr(port) => format!("ISR of port {port}"),
            Self::Dpc(DpcObject::Custom { port, kind }) => format!("DPC {kind:?} of port {port}"),
            Self::Dpc(DpcObject::Timer { port, kind }) => {
                format!("timer DPC {kind:?} of port {port}")
            }
            Self::Job(name) => (*name).to_owned(),
        }
    }
}

/// One callback running on a CPU; frames nest (an ISR on top of a DPC on top of a dispatch).
#[derive(Clone, Debug)]
pub(crate) struct Frame {
    pub kind: FrameKind,
    /// The IRQL the callback runs at and must return at.
    pub level: Irql,
    /// The IRQL of the code it interrupted.
    pub caller_irql: Irql,
    /// Locks held when it was entered; it must return holding exactly these.
    pub held_at_entry: usize,
    /// Accumulated cost, nanoseconds.
    pub cost_ns: u64,
    /// Virtual time it was entered at.
    pub started_at: u64,
}

/// Why a busy CPU cannot simply continue.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    None,
    /// Spinning on a lock another CPU holds.
    Spin(LockId),
    /// KeDelayExecutionThread until this time.
    Until(u64),
    /// Busy executing charged cost until this time ([`CostBudget::takes_time`]). Unlike a delay,
    /// the end moves later by the time nested work (an ISR, a DPC) took on the same CPU.
    ///
    /// [`CostBudget::takes_time`]: super::cost::CostBudget::takes_time
    Busy(u64),
    /// KeFlushQueuedDpcs: until no DPC inserted with a sequence number up to this one is queued
    /// or running.
    Flush(u64),
}

#[derive(Debug)]
pub(crate) struct Cpu {
    pub irql: Irql,
    pub frames: Vec<Frame>,
    pub held: Vec<LockId>,
    pub dpcs: VecDeque<QueuedDpc>,
    pub wait: Wait,
    pub mailbox: Option<ActionSlot>,
    /// The thread died (a panic); the CPU takes no more work.
    pub dead: bool,
    /// Charged cost (ns) the CPU has not yet spent in virtual time ([`Wait::Busy`]).
    pub debt_ns: u64,
}

/// `Action` is not `Debug` (it holds closures); the mailbox wraps it.
pub(crate) struct ActionSlot(pub Action);

impl std::fmt::Debug for ActionSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self.0 {
            Action::Resume => "Resume",
            Action::Run(_) => "Run",
            Action::Exit => "Exit",
            Action::Abort => "Abort",
        })
    }
}

impl Cpu {
    fn new() -> Self {
        Self {
            irql: Irql::PASSIVE,
            frames: Vec::new(),
            held: Vec::new(),
            dpcs: VecDeque::new(),
            wait: Wait::None,
            mailbox: None,
            dead: false,
            debt_ns: 0,
        }
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.frames.is_empty()
    }

    pub(crate) fn in_isr(&self) -> bool {
        self.frames
            .iter()
            .any(|frame| matches!(frame.kind, FrameKind::Isr(_)))
    }
}

/// A lock: the interrupt object's lock of a port, or an executive spin lock.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct LockId(pub usize);

#[derive(Clone, Debug)]
pub(crate) struct Lock {
    pub name: String,
    pub interrupt: bool,
    pub owner: Option<usize>,
}

/// Where a request stands with respect to cancellation (KMDF MarkCancelableEx semantics).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum CancelState {
    /// Not cancelable; `cancel_requested` if CancelIoEx came meanwhile.
    Normal {
        cancel_requested: bool,
    },
    Cancelable,
    /// The cancel callback is queued and has not started.
    CallbackScheduled,
    /// The cancel callback started: it owns the request.
    CallbackOwns,
}

#[derive(Clone, Debug)]
pub(crate) struct RequestState {
    pub port: usize,
    pub cancel: CancelState,
    pub completed: bool,
    pub submitted_at: u64,
    /// A CancelIoEx that lands in the instant after the driver's next successful
    /// WdfRequestMarkCancelableEx (see [`super::Machine::cancel_when_marked`]).
    pub cancel_when_marked: bool,
}

/// What the controller waits for.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum GoalKind {
    /// Run to the deadline.
    Time,
    /// Until this job has finished.
    Job(u64),
    /// Until this request has completed.
    Complete(u64),
    /// Until nothing is running, queued, set or due (the hardware included).
    Idle,
    /// Until no CPU runs and nothing is queued (timers and hardware may still be pending).
    Settle,
    /// Until any request completes.
    AnyCompletion,
}

#[derive(Copy, Clone, Debug)]
pub(crate) struct Goal {
    pub kind: GoalKind,
    pub deadline: u64,
}

/// Limits that guard against runs that never end.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Limits {
    pub steps_per_instant: u64,
    pub isrs_per_instant: u64,
}

/// The hardware as the world and the controller share it.
pub(crate) type SharedBus = Arc<Mutex<Box<dyn Bus>>>;

pub(crate) struct World {
    pub config: MachineConfig,
    pub seed: u64,
    pub limits: Limits,
    pub baton: Holder,
    pub cpus: Vec<Cpu>,
    pub now: u64,
    /// The hardware, behind its own lock so that a test can hold the board while asking the
    /// machine other things. Locked only briefly, always after the world.
    pub bus: SharedBus,
    pub test_lines: Vec<bool>,
    pub in_service: Vec<Option<usize>>,
    pub locks: Vec<Lock>,
    pub lock_order: BTreeSet<(LockId, LockId)>,
    pub dpcs: BTreeMap<DpcObject, DpcState>,
    pub next_dpc_seq: u64,
    pub timers: BTreeMap<(usize, TimerKind), u64>,
    pub work_items: BTreeMap<(usize, WorkItemKind), WorkItemState>,
    pub jobs: VecDeque<Job>,
    pub job_results: BTreeMap<u64, JobOutcome>,
    pub requests: BTreeMap<u64, RequestState>,
    pub new_completions: Vec<(u64, Completion)>,
    pub next_id: u64,
    pub goal: Goal,
    pub chooser: Chooser,
    pub stats: Stats,
    pub violations: Vec<Violation>,
    pub warnings: Vec<Violation>,
    pub halted: bool,
    /// A CPU stopped handing the baton on (see `Shared::run_controller`); the machine is abandoned.
    pub hung: bool,
    /// Baton hand-overs so far (progress indicator for the hang detector).
    pub handoffs: u64,
    pub log: EventLog,
    pub steps_this_instant: u64,
    pub isrs_this_instant: u64,
    pub last_cpu: Option<usize>,
    /// Entries written to the system event log, oldest first.
    pub error_log: Vec<super::error_log::LoggedError>,
    /// Ports whose driver called WdfDeviceSetFailed.
    pub failed_devices: Vec<bool>,
    /// What each CPU ran, when recording is on.
    pub timeline: Option<super::timeline::Timeline>,
}

impl World {
    pub(crate) fn new(config: MachineConfig, bus: SharedBus, limits: Limits) -> Self {
        let ports = bus
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .port_count();
        let cpus = config.cpus.max(1);
        let seed = config.strategy.seed();
        let chooser = Chooser::new(config.strategy.clone(), cpus);
        let locks = (0..ports)
            .map(|port| Lock {
                name: format!("interrupt lock of port {port}"),
                interrupt: true,
                owner: None,
            })
            .collect();
        Self {
            config,
            seed,
            limits,
            baton: Holder::Controller,
            cpus: (0..cpus).map(|_| Cpu::new()).collect(),
            now: 0,
            bus,
            test_lines: vec![false; ports],
            in_service: vec![None; ports],
            locks,
            lock_order: BTreeSet::new(),
            dpcs: BTreeMap::new(),
            next_dpc_seq: 1,
            timers: BTreeMap::new(),
            work_items: BTreeMap::new(),
            jobs: VecDeque::new(),
            job_results: BTreeMap::new(),
            requests: BTreeMap::new(),
            new_completions: Vec::new(),
            next_id: 1,
            goal: Goal {
                kind: GoalKind::Settle,
                deadline: 0,
            },
            chooser,
            stats: Stats::default(),
            violations: Vec::new(),
            warnings: Vec::new(),
            halted: false,
            hung: false,
            handoffs: 0,
            log: EventLog::default(),
            steps_this_instant: 0,
            isrs_this_instant: 0,
            last_cpu: None,
            error_log: Vec::new(),
            failed_devices: vec![false; ports],
            timeline: None,
        }
    }

    /// The hardware.
    pub(crate) fn bus(&self) -> MutexGuard<'_, Box<dyn Bus>> {
        self.bus.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn ports(&self) -> usize {
        self.test_lines.len()
    }

    pub(crate) fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Records an event in the trace hash and the recent-events window (see [`EventLog`]).
    pub(crate) fn record(&mut self, cpu: Option<usize>, event: Event) {
        self.log.record(self.now, cpu, event);
    }

    /// Records a rare event given as text.
    pub(crate) fn event(&mut self, cpu: Option<usize>, text: impl FnOnce() -> String) {
        self.record(cpu, Event::Text(text()));
    }

    /// The recent events as text, oldest first.
    pub(crate) fn recent_events(&self) -> Vec<String> {
        self.log
            .recent
            .iter()
            .map(|recorded| recorded.describe(|id| self.lock_name(id)))
            .collect()
    }

    /// Records a broken rule; with `fail_fast` the run stops at the next scheduling point.
    pub(crate) fn violate(&mut self, rule: &'static str, cpu: Option<usize>, message: String) {
        self.event(cpu, || format!("VIOLATION {rule}: {message}"));
        self.violations.push(Violation {
            rule,
            message,
            cpu,
            time: self.now,
            seed: self.seed,
        });
        if self.config.fail_fast {
            self.halted = true;
        }
    }

    /// Records a broken rule after which the machine cannot go on (a bug check).
    pub(crate) fn fatal(&mut self, rule: &'static str, cpu: Option<usize>, message: String) {
        self.violate(rule, cpu, message);
        self.halted = true;
    }

    pub(crate) fn warn(&mut self, rule: &'static str, cpu: Option<usize>, message: String) {
        self.warnings.push(Violation {
            rule,
            message,
            cpu,
            time: self.now,
            seed: self.seed,
        });
    }

    pub(crate) fn irql(&self, cpu: Option<usize>) -> Irql {
        cpu.and_then(|c| self.cpus.get(c))
            .map_or(Irql::PASSIVE, |c| c.irql)
    }

    /// Checks that `ddi` is called at or below `max`.
    pub(crate) fn check_irql(&mut self, cpu: Option<usize>, max: Irql, ddi: &str) {
        let irql = self.irql(cpu);
        if irql > max {
            let place = match cpu.and_then(|c| self.cpus.get(c)) {
                Some(c) if c.in_isr() => " inside the ISR",
                _ => "",
            };
            self.violate(
                rule::DDI_IRQL,
                cpu,
                format!("{ddi} called at {irql}{place}; its maximum is {max}"),
            );
        }
    }

    /// Whether `port`'s interrupt line is asserted (hardware or test line).
    pub(crate) fn line(&self, port: usize) -> bool {
        self.test_lines.get(port).copied().unwrap_or(false) || self.bus().irq_line(port)
    }

    pub(crate) const fn interrupt_lock(port: usize) -> LockId {
        LockId(port)
    }

    pub(crate) fn new_lock(&mut self, name: String) -> LockId {
        self.locks.push(Lock {
            name,
            interrupt: false,
            owner: None,
        });
        LockId(self.locks.len() - 1)
    }

    pub(crate) fn lock_name(&self, id: LockId) -> String {
        self.locks
            .get(id.0)
            .map_or_else(|| format!("lock {}", id.0), |l| l.name.clone())
    }

    /// Timer expiry times are quantized to the clock tick and never earlier than due.
    pub(crate) fn quantize(&self, due: u64) -> u64 {
        let tick = self.config.timer_tick;
        if tick <= 1 {
            due
        } else {
            due.div_ceil(tick).saturating_mul(tick)
        }
    }

    /// Charges `ns` to the innermost frame of `cpu` and, when cost takes time, to the CPU's debt
    /// (spent at its next scheduling point, [`World::take_debt`]).
    pub(crate) fn charge(&mut self, cpu: Option<usize>, ns: u64) {
        let takes_time = self.config.cost_budget.takes_time;
        if let Some(c) = cpu.and_then(|c| self.cpus.get_mut(c))
            && let Some(frame) = c.frames.last_mut()
        {
            frame.cost_ns = frame.cost_ns.saturating_add(ns);
            if takes_time {
                c.debt_ns = c.debt_ns.saturating_add(ns);
            }
        }
    }

    /// Turns the whole 100 ns units of `cpu`'s debt into a busy wait; whether the CPU must now wait.
    /// The remainder below one unit is carried to the next charge.
    pub(crate) fn take_debt(&mut self, cpu: usize) -> bool {
        let Some(c) = self.cpus.get_mut(cpu) else {
            return false;
        };
        let units = c.debt_ns / 100;
        if units == 0 {
            return false;
        }
        c.debt_ns %= 100;
        c.wait = Wait::Busy(self.now.saturating_add(units));
        self.stats.busy_ns = self.stats.busy_ns.saturating_add(units.saturating_mul(100));
        true
    }

    // ----- frames -----------------------------------------------------------------------------

    /// Enters a callback on `cpu` at `level` (which is never below the current IRQL).
    pub(crate) fn begin_frame(&mut self, cpu: usize, kind: FrameKind, level: Irql) {
        let entry_cost = match kind {
            FrameKind::Isr(_) | FrameKind::Dpc(_) => self.config.cost_budget.entry_ns,
            // A test's own routine is not driver code.
            FrameKind::Job("test routine") => 0,
            FrameKind::Job(_) => self.config.cost_budget.entry_ns,
        };
        self.record(Some(cpu), Event::Enter { frame: kind, level });
        let c = &mut self.cpus[cpu];
        let frame = Frame {
            kind,
            level,
            caller_irql: c.irql,
            held_at_entry: c.held.len(),
            cost_ns: entry_cost,
            started_at: self.now,
        };
        c.frames.push(frame);
        if self.config.cost_budget.takes_time {
            c.debt_ns = c.debt_ns.saturating_add(entry_cost);
        }
        c.irql = level.max(c.irql);
    }

    /// Leaves the innermost callback of `cpu`: checks IRQL, locks and cost, then restores the
    /// interrupted code's IRQL.
    pub(crate) fn end_frame(&mut self, cpu: usize) {
        let Some(frame) = self.cpus[cpu].frames.pop() else {
            return;
        };
        self.record(Some(cpu), Event::Leave(frame.kind));
        if let Some(timeline) = self.timeline.as_mut() {
            use super::timeline::{Span, SpanKind};
            let kind = match frame.kind {
                FrameKind::Isr(_) => SpanKind::Isr,
                FrameKind::Dpc(DpcObject::Custom { .. }) => SpanKind::Dpc,
                FrameKind::Dpc(DpcObject::Timer { .. }) => SpanKind::TimerDpc,
                FrameKind::Job(_) => SpanKind::Job,
            };
            timeline.spans.push(Span {
                cpu,
                kind,
                label: frame.kind.describe(),
                start: frame.started_at,
                cost_ns: frame.cost_ns,
            });
        }
        let irql = self.cpus[cpu].irql;
        if irql != frame.level {
            let what = frame.kind.describe();
            self.violate(
                rule::IRQL_RETURN,
                Some(cpu),
                format!(
                    "{what} returned at {irql}; it was entered at {}",
                    frame.level
                ),
            );
        }
        if self.cpus[cpu].held.len() > frame.held_at_entry {
            let leaked: Vec<LockId> = self.cpus[cpu].held.drain(frame.held_at_entry..).collect();
            let names: Vec<String> = leaked.iter().map(|&id| self.lock_name(id)).collect();
            for id in leaked {
                if let Some(lock) = self.locks.get_mut(id.0) {
                    lock.owner = None;
                }
            }
            self.violate(
                rule::LOCK_HELD_AT_RETURN,
                Some(cpu),
                format!(
                    "{} returned holding {}",
                    frame.kind.describe(),
                    names.join(", ")
                ),
            );
        }
        self.cpus[cpu].irql = frame.caller_irql;
        self.check_cost(cpu, &frame);
    }

    fn check_cost(&mut self, cpu: usize, frame: &Frame) {
        let routine = match frame.kind {
            FrameKind::Isr(_) => Some(super::stats::Routine::Isr),
            FrameKind::Dpc(DpcObject::Custom { kind, .. }) => {
                Some(super::stats::Routine::Dpc(kind))
            }
            FrameKind::Dpc(DpcObject::Timer { kind, .. }) => {
                Some(super::stats::Routine::TimerDpc(kind))
            }
            FrameKind::Job(_) => None,
        };
        if let Some(routine) = routine {
            self.stats
                .routine_costs
                .entry(routine)
                .or_default()
                .record(frame.cost_ns);
        }
        let budget = self.config.cost_budget;
        let (warn, limit, hard_rule, label) = match frame.kind {
            FrameKind::Isr(_) => {
                self.stats.max_isr_cost_ns = self.stats.max_isr_cost_ns.max(frame.cost_ns);
                (
                    budget.isr_warn_ns,
                    budget.isr_limit_ns,
                    rule::ISR_OVER_BUDGET,
                    "ISR",
                )
            }
            FrameKind::Dpc(_) => {
                self.stats.max_dpc_cost_ns = self.stats.max_dpc_cost_ns.max(frame.cost_ns);
                (
                    budget.dpc_warn_ns,
                    budget.dpc_limit_ns,
                    rule::DPC_OVER_BUDGET,
                    "DPC",
                )
            }
            FrameKind::Job(_) => return,
        };
        let what = frame.kind.describe();
        let cost_us = frame.cost_ns as f64 / 1000.0;
        if let Some(limit) = limit
            && frame.cost_ns > limit
        {
            self.violate(
                hard_rule,
                Some(cpu),
                format!(
                    "{what} cost {cost_us:.1} µs, over the {label} limit of {:.1} µs",
                    limit as f64 / 1000.0
                ),
            );
        } else if frame.cost_ns > warn {
            self.warn(
                hard_rule,
                Some(cpu),
                format!(
                    "{what} cost {cost_us:.1} µs, over the {label} budget of {:.1} µs",
                    warn as f64 / 1000.0
                ),
            );
        }
    }

    // ----- locks ------------------------------------------------------------------------------

    /// Whether `to` can be reached from `from` in the lock-order graph.
    fn order_path(&self, from: LockId, to: LockId) -> bool {
        let mut stack = vec![from];
        let mut seen = BTreeSet::new();
        while let Some(at) = stack.pop() {
            if at == to {
                return true;
            }
            if seen.insert(at) {
                stack.extend(
                    self.lock_order
                        .range((at, LockId(0))..=(at, LockId(usize::MAX)))
                        .map(|&(_, b)| b),
                );
            }
        }
        false
    }

    /// Takes the free lock `id` for `cpu`, checking the order against the locks it already holds.
    pub(crate) fn take_lock(&mut self, cpu: usize, id: LockId) {
        let taking_interrupt = self.locks.get(id.0).is_some_and(|l| l.interrupt);
        for index in 0..self.cpus[cpu].held.len() {
            let outer = self.cpus[cpu].held[index];
            if self.lock_order.contains(&(outer, id)) {
                continue;
            }
            let outer_interrupt = self.locks.get(outer.0).is_some_and(|l| l.interrupt);
            if outer_interrupt && !taking_interrupt {
                let message = format!(
                    "{} taken while holding {}: a spin lock is never taken under the interrupt lock",
                    self.lock_name(id),
                    self.lock_name(outer)
                );
                self.violate(rule::LOCK_ORDER, Some(cpu), message);
                continue;
            }
            if self.order_path(id, outer) {
                let message = format!(
                    "{} taken while holding {}, but elsewhere {} was held while taking {}",
                    self.lock_name(id),
                    self.lock_name(outer),
                    self.lock_name(id),
                    self.lock_name(outer)
                );
                self.violate(rule::LOCK_ORDER, Some(cpu), message);
                continue;
            }
            self.lock_order.insert((outer, id));
        }
        if let Some(lock) = self.locks.get_mut(id.0) {
            lock.owner = Some(cpu);
        }
        self.cpus[cpu].held.push(id);
        self.record(Some(cpu), Event::Acquire(id));
    }

    /// Releases `id` held by `cpu`; false (and a violation) if `cpu` does not hold it.
    pub(crate) fn release_lock(&mut self, cpu: usize, id: LockId, ddi: &str) -> bool {
        let Some(position) = self.cpus[cpu].held.iter().rposition(|&h| h == id) else {
            let owner = self.locks.get(id.0).and_then(|l| l.owner);
            let message = match owner {
                Some(o) => format!(
                    "{ddi} of {} held by cpu {o}, not by this CPU",
                    self.lock_name(id)
                ),
                None => format!("{ddi} of {}, which is not held", self.lock_name(id)),
            };
            self.violate(rule::SPIN_LOCK_NOT_OWNED, Some(cpu), message);
            return false;
        };
        self.cpus[cpu].held.remove(position);
        if let Some(lock) = self.locks.get_mut(id.0) {
            lock.owner = None;
        }
        self.record(Some(cpu), Event::Release(id));
        true
    }

    // ----- DPCs -------------------------------------------------------------------------------

    /// KeInsertQueueDpc onto `cpu`'s queue: TRUE if queued, FALSE if it already was.
    pub(crate) fn insert_dpc(&mut self, object: DpcObject, cpu: usize) -> bool {
        let state = self.dpcs.entry(object).or_default();
        if state.queued.is_some() {
            self.stats.dpc_inserts_coalesced += 1;
            self.record(
                Some(cpu),
                Event::DpcInsert {
                    object,
                    queued: false,
                },
            );
            return false;
        }
        let seq = self.next_dpc_seq;
        self.next_dpc_seq += 1;
        state.queued = Some((cpu, seq));
        self.cpus[cpu].dpcs.push_back(QueuedDpc { object, seq });
        self.stats.dpc_inserts_queued += 1;
        self.record(
            Some(cpu),
            Event::DpcInsert {
                object,
                queued: true,
            },
        );
        true
    }

    /// KeRemoveQueueDpc: TRUE if it was queued and is no longer.
    pub(crate) fn remove_dpc(&mut self, object: DpcObject) -> bool {
        let Some((cpu, seq)) = self.dpcs.get_mut(&object).and_then(|s| s.queued.take()) else {
            return false;
        };
        if let Some(c) = self.cpus.get_mut(cpu) {
            c.dpcs.retain(|q| q.seq != seq);
        }
        true
    }

    /// Whether every DPC inserted with a sequence number up to `seq` has finished.
    pub(crate) fn flushed(&self, seq: u64) -> bool {
        self.dpcs.values().all(|state| {
            state.queued.is_none_or(|(_, s)| s > seq) && state.running.iter().all(|&s| s > seq)
        })
    }

    // ----- teardown checks --------------------------------------------------------------------

    /// Flags every DPC, timer and work item (of `port`, or of every port) that is still queued,
    /// set or running: what freeing the device context now would free under them.
    pub(crate) fn check_nothing_queued(&mut self, port: Option<usize>, cpu: Option<usize>) {
        let mine = |p: usize| port.is_none_or(|q| q == p);
        let mut found = Vec::new();
        for (object, state) in self.dpcs.iter().filter(|(object, _)| mine(object.port())) {
            if state.queued.is_some() {
                found.push(format!("{object:?} is still queued"));
            }
            if !state.running.is_empty() {
                found.push(format!("{object:?} is still running"));
            }
        }
        for (port, kind) in self.timers.keys().filter(|(p, _)| mine(*p)) {
            found.push(format!("timer {kind:?} of port {port} is still set"));
        }
        for ((port, kind), state) in self.work_items.iter().filter(|((p, _), _)| mine(*p)) {
            if state.queued || state.running > 0 {
                found.push(format!(
                    "work item {kind:?} of port {port} is still queued or running"
                ));
            }
        }
        for what in found {
            self.violate(
                rule::FREED_WHILE_QUEUED,
                cpu,
                format!("device freed while {what}"),
            );
        }
    }

    /// A description of every CPU for deadlock reports.
    pub(crate) fn describe_cpus(&self) -> String {
        let mut text = String::new();
        for (index, cpu) in self.cpus.iter().enumerate() {
            let doing: Vec<String> = cpu.frames.iter().map(|f| f.kind.describe()).collect();
            let doing = if doing.is_empty() {
                "idle".to_owned()
            } else {
                doing.join(" > ")
            };
            let held: Vec<String> = cpu.held.iter().map(|&id| self.lock_name(id)).collect();
            let wait = match cpu.wait {
                Wait::None => String::new(),
                Wait::Spin(id) => {
                    let owner = self.locks.get(id.0).and_then(|l| l.owner);
                    format!(
                        "; spins on {} owned by {}",
                        self.lock_name(id),
                        owner.map_or_else(|| "nobody".to_owned(), |o| format!("cpu {o}"))
                    )
                }
                Wait::Until(t) => format!("; delays until t={t}"),
                Wait::Busy(t) => format!("; busy until t={t}"),
                Wait::Flush(seq) => format!("; flushes DPCs up to #{seq}"),
            };
            let _ = write!(
                text,
                "\n  cpu {index} at {}: {doing}; holds [{}]{wait}",
                cpu.irql,
                held.join(", ")
            );
        }
        text
    }
}
