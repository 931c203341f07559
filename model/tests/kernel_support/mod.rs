//! Small test drivers for the kernel tests: each entry point is an optional closure that gets the
//! port's kernel, so a test writes only the fragment it is about.
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serial_engine::kernel::{
    DpcKind, IsrContext, Request as _, RequestId, TimerKind, WorkItemKind,
};
use serial_ioctl::NtStatus;
use serial_model::kernel::{
    CostBudget, Driver, Machine, MachineConfig, MajorFunction, ModelKernel, ModelRequest, NullBus,
    Strategy, Violation,
};

type Hook<A, R> = Box<dyn Fn(&ModelKernel, A) -> R + Send + Sync>;

/// The entry points of a test driver; unset ones do nothing (dispatch completes SUCCESS).
#[derive(Default)]
pub struct Hooks {
    pub isr: Option<Hook<(), bool>>,
    pub dpc: Option<Hook<DpcKind, ()>>,
    pub timer: Option<Hook<TimerKind, ()>>,
    pub work_item: Option<Hook<WorkItemKind, ()>>,
    pub dispatch: Option<Hook<ModelRequest, ()>>,
    pub cancel: Option<Hook<RequestId, ()>>,
}

impl Hooks {
    pub fn isr(&mut self, f: impl Fn(&ModelKernel) -> bool + Send + Sync + 'static) {
        self.isr = Some(Box::new(move |k, ()| f(k)));
    }
    pub fn dpc(&mut self, f: impl Fn(&ModelKernel, DpcKind) + Send + Sync + 'static) {
        self.dpc = Some(Box::new(f));
    }
    pub fn timer(&mut self, f: impl Fn(&ModelKernel, TimerKind) + Send + Sync + 'static) {
        self.timer = Some(Box::new(f));
    }
    pub fn work_item(&mut self, f: impl Fn(&ModelKernel, WorkItemKind) + Send + Sync + 'static) {
        self.work_item = Some(Box::new(f));
    }
    pub fn dispatch(&mut self, f: impl Fn(&ModelKernel, ModelRequest) + Send + Sync + 'static) {
        self.dispatch = Some(Box::new(f));
    }
    pub fn cancel(&mut self, f: impl Fn(&ModelKernel, RequestId) + Send + Sync + 'static) {
        self.cancel = Some(Box::new(f));
    }
}

struct HookDriver {
    kernel: ModelKernel,
    hooks: Hooks,
}

impl Driver for HookDriver {
    fn isr(&self, _isr: &mut IsrContext) -> bool {
        self.hooks.isr.as_ref().is_some_and(|f| f(&self.kernel, ()))
    }
    fn run_dpc(&self, kind: DpcKind) {
        if let Some(f) = &self.hooks.dpc {
            f(&self.kernel, kind);
        }
    }
    fn timer_expired(&self, kind: TimerKind) {
        if let Some(f) = &self.hooks.timer {
            f(&self.kernel, kind);
        }
    }
    fn run_work_item(&self, kind: WorkItemKind) {
        if let Some(f) = &self.hooks.work_item {
            f(&self.kernel, kind);
        }
    }
    fn cancel(&self, id: RequestId) {
        if let Some(f) = &self.hooks.cancel {
            f(&self.kernel, id);
        }
    }
    fn dispatch(&self, request: ModelRequest, _major: MajorFunction) {
        match &self.hooks.dispatch {
            Some(f) => f(&self.kernel, request),
            None => request.complete(NtStatus::SUCCESS, 0),
        }
    }
}

/// A config for kernel tests: `cpus` CPUs, `strategy`, violations collected (not panicking).
pub fn config(cpus: usize, strategy: Strategy) -> MachineConfig {
    MachineConfig {
        cpus,
        strategy,
        panic_on_violation: false,
        // Kernel semantics with exact instants: code runs in an instant (cost is still charged and
        // checked). What cost does to time is tested in engine_cost_takes_time.rs.
        cost_budget: CostBudget::free(),
        ..MachineConfig::default()
    }
}

/// A one-port machine with no hardware whose driver is built by `install`.
pub fn machine(config: MachineConfig, install: impl Fn(&ModelKernel, &mut Hooks)) -> Machine {
    Machine::with_drivers(config, Box::new(NullBus::new(1)), |kernel| {
        let mut hooks = Hooks::default();
        install(&kernel, &mut hooks);
        Arc::new(HookDriver { kernel, hooks })
    })
}

/// The rule names of `violations`.
pub fn rules(violations: &[Violation]) -> Vec<&'static str> {
    violations.iter().map(|v| v.rule).collect()
}

/// Strategies most semantic tests run under: the baseline, several random seeds and PCT.
pub fn strategies() -> Vec<Strategy> {
    let mut all = vec![Strategy::RoundRobin];
    all.extend((1..=6).map(|seed| Strategy::Random { seed }));
    all.extend((1..=3).map(|seed| Strategy::Pct { seed, depth: 3 }));
    all
}

/// A shared log of observations.
pub type Log<T> = Arc<Mutex<Vec<T>>>;

pub fn log<T>() -> Log<T> {
    Arc::new(Mutex::new(Vec::new()))
}

/// Appends `value` to `log`. The value is computed before the host lock is taken: never hold a host
/// lock across a kernel call, because a virtual CPU that blocks on one blocks the whole machine.
pub fn record<T>(log: &Log<T>, value: T) {
    log.lock().unwrap().push(value);
}

pub fn entries<T: Clone>(log: &Log<T>) -> Vec<T> {
    log.lock().unwrap().clone()
}

pub fn flag() -> Arc<AtomicBool> {
    Arc::new(AtomicBool::new(false))
}

pub fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

/// Yields (scheduling points) until `condition` holds, at most `limit` times; whether it held.
pub fn yield_until(kernel: &ModelKernel, limit: usize, condition: impl Fn() -> bool) -> bool {
    for _ in 0..limit {
        if condition() {
            return true;
        }
        kernel.yield_now();
    }
    condition()
}

pub const SEQ: Ordering = Ordering::SeqCst;

/// One millisecond in 100 ns units.
pub const MS: u64 = 10_000;
