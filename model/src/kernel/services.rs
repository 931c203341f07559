//! [`ModelKernel`]: the engine's [`Kernel`] boundary for one port, on the simulated machine.
//!
//! Every service is a scheduling point (other CPUs may run, and interrupts or DPCs may be delivered
//! on this CPU, before the service takes effect) and checks its IRQL contract.

use std::fmt;
use std::sync::Arc;

use serial_engine::kernel::{
    DpcKind, Duration, Instant, Kernel, Register, TimerKind, WorkItemKind,
};

use super::allocation::{AllocationPlan, Scope};
use super::cpu::Shared;
use super::events::Event;
use super::irql::Irql;
use super::locks::{ModelInterruptCell, ModelSpinLock, ModelSpinLockCell};
use super::request::ModelRequest;
use super::verifier::rule;
use super::world::{DpcObject, Job, JobKind, Wait, World};

/// The kernel services of one port's device on a [`crate::kernel::Machine`]. Cheap to clone.
#[derive(Clone)]
pub struct ModelKernel {
    shared: Arc<Shared>,
    port: usize,
}

impl fmt::Debug for ModelKernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelKernel")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl ModelKernel {
    pub(crate) const fn new(shared: Arc<Shared>, port: usize) -> Self {
        Self { shared, port }
    }

    /// Which of this machine's engine allocations fail.
    pub(crate) fn allocation_plan(&self) -> &AllocationPlan {
        &self.shared.allocation
    }

    /// The port this kernel serves.
    #[must_use]
    pub const fn port(&self) -> usize {
        self.port
    }

    /// The virtual CPU the caller runs on (`None` outside the simulation, e.g. the test thread).
    #[must_use]
    pub fn current_cpu(&self) -> Option<usize> {
        self.shared.current_cpu()
    }

    /// KeGetCurrentIrql.
    #[must_use]
    pub fn current_irql(&self) -> Irql {
        let cpu = self.shared.current_cpu();
        self.shared.lock().irql(cpu)
    }

    /// A scheduling point and nothing else (a place where the hardware could interleave).
    pub fn yield_now(&self) {
        self.shared.schedule();
    }

    /// KeRemoveQueueDpc: TRUE if the DPC was queued and now is not. Never waits for a running
    /// instance. IRQL: any.
    pub fn remove_queued_dpc(&self, kind: DpcKind) -> bool {
        self.shared.schedule();
        self.shared.lock().remove_dpc(DpcObject::Custom {
            port: self.port,
            kind,
        })
    }

    /// KeFlushQueuedDpcs: returns once every DPC queued before the call (on any CPU, any port) has
    /// run to completion. IRQL: PASSIVE.
    pub fn flush_queued_dpcs(&self) {
        self.shared.schedule();
        let Some(cpu) = self.shared.current_cpu() else {
            return;
        };
        let mut world = self.shared.lock();
        world.check_irql(Some(cpu), Irql::PASSIVE, "KeFlushQueuedDpcs");
        let last = world.next_dpc_seq.saturating_sub(1);
        if world.flushed(last) {
            return;
        }
        world.cpus[cpu].wait = Wait::Flush(last);
        drop(self.shared.yield_locked(world, cpu));
    }

    /// What device removal checks before the device context is freed: flags every DPC, timer and
    /// work item of this port that is still queued, set or running. The machine runs the same
    /// check at teardown; a driver fragment calls this to model removal at a chosen moment.
    pub fn check_device_free(&self) {
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        self.shared
            .lock()
            .check_nothing_queued(Some(self.port), cpu);
    }

    /// KeStallExecutionProcessor: busy-waits `micros` µs, charged to the running ISR/DPC's cost.
    pub fn stall(&self, micros: u64) {
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        self.shared.lock().charge(cpu, micros.saturating_mul(1_000));
    }

    /// Drives this port's test interrupt line (ORed with the hardware's line), for drivers that
    /// have no UART behind them.
    pub fn set_test_line(&self, high: bool) {
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        if let Some(line) = world.test_lines.get_mut(self.port) {
            *line = high;
        }
        let port = self.port;
        world.event(cpu, || format!("test line of port {port} -> {high}"));
    }

    /// KeRaiseIrql: returns the previous IRQL. Raising to a lower level is a violation.
    pub fn raise_irql(&self, level: Irql) -> Irql {
        self.shared.schedule();
        let Some(cpu) = self.shared.current_cpu() else {
            return Irql::PASSIVE;
        };
        let mut world = self.shared.lock();
        let old = world.cpus[cpu].irql;
        if level < old {
            world.violate(
                rule::DDI_IRQL,
                Some(cpu),
                format!("KeRaiseIrql to {level} from the higher {old}"),
            );
        }
        world.cpus[cpu].irql = level;
        old
    }

    /// KeLowerIrql: lowering to a higher level is a violation.
    pub fn lower_irql(&self, level: Irql) {
        if let Some(cpu) = self.shared.current_cpu() {
            let mut world = self.shared.lock();
            let old = world.cpus[cpu].irql;
            if level > old {
                world.violate(
                    rule::DDI_IRQL,
                    Some(cpu),
                    format!("KeLowerIrql to {level} from the lower {old}"),
                );
            }
            world.cpus[cpu].irql = level;
        }
        self.shared.schedule();
    }

    /// A raw executive spin lock (KeInitializeSpinLock).
    #[must_use]
    pub fn new_spin_lock(&self, name: &str) -> ModelSpinLock {
        ModelSpinLock::new(
            Arc::clone(&self.shared),
            format!("{name} (port {})", self.port),
        )
    }

    /// KeAcquireInterruptSpinLock: raises to DIRQL and takes the port's interrupt lock.
    pub fn acquire_interrupt_lock(&self) -> Irql {
        self.shared
            .acquire_interrupt_lock(self.port, "KeAcquireInterruptSpinLock")
    }

    /// KeReleaseInterruptSpinLock.
    pub fn release_interrupt_lock(&self, old: Irql) {
        self.shared
            .release_interrupt_lock(self.port, old, "KeReleaseInterruptSpinLock");
    }

    fn register_access(&self, register: Register, write: Option<u8>) -> u8 {
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        let port = self.port;
        if let Some(c) = cpu
            && !world.cpus[c].held.contains(&World::interrupt_lock(port))
        {
            let verb = if write.is_some() { "written" } else { "read" };
            world.violate(
                rule::REGISTER_ACCESS_UNLOCKED,
                cpu,
                format!("{register:?} of port {port} {verb} outside the ISR and without the interrupt lock"),
            );
        }
        let cost = world.config.cost_budget.register_access_ns;
        world.charge(cpu, cost);
        let now = world.now;
        if let Some(value) = write {
            world.stats.register_writes += 1;
            world.bus().write(port, register.offset(), value, now);
            world.record(cpu, Event::RegisterWrite { register, value });
            value
        } else {
            world.stats.register_reads += 1;
            let value = world.bus().read(port, register.offset(), now);
            if register == Register::Data
                && let Some(timeline) = world.timeline.as_mut()
            {
                timeline
                    .marks
                    .push(super::timeline::Mark::ByteReceived(now));
            }
            world.record(cpu, Event::RegisterRead { register, value });
            value
        }
    }
}

impl Kernel for ModelKernel {
    type Request = ModelRequest;
    type InterruptCell<T: Send> = ModelInterruptCell<T>;
    type SpinLockCell<T: Send> = ModelSpinLockCell<T>;

    fn new_interrupt_cell<T: Send>(&self, value: T) -> ModelInterruptCell<T> {
        let _model = Scope::model();
        ModelInterruptCell::new(Arc::clone(&self.shared), self.port, value)
    }

    fn new_spin_lock_cell<T: Send>(&self, value: T) -> ModelSpinLockCell<T> {
        let _model = Scope::model();
        ModelSpinLockCell::new(
            Arc::clone(&self.shared),
            format!("device spin lock of port {}", self.port),
            value,
        )
    }

    fn read_register(&self, register: Register) -> u8 {
        let _model = Scope::model();
        self.register_access(register, None)
    }

    fn write_register(&self, register: Register, value: u8) {
        let _model = Scope::model();
        self.register_access(register, Some(value));
    }

    fn insert_dpc(&self, kind: DpcKind) -> bool {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        self.shared.lock().insert_dpc(
            DpcObject::Custom {
                port: self.port,
                kind,
            },
            cpu.unwrap_or(0),
        )
    }

    fn set_timer(&self, kind: TimerKind, due: Duration) -> bool {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        world.check_irql(cpu, Irql::DISPATCH, "KeSetTimer");
        let expiry = world.quantize(world.now.saturating_add(due.as_100ns()));
        let was_set = world.timers.insert((self.port, kind), expiry).is_some();
        world.stats.timer_sets += 1;
        if was_set {
            world.stats.timer_resets += 1;
        }
        world.event(cpu, || {
            format!(
                "KeSetTimer {kind:?} +{} -> expires t={expiry}, was set {was_set}",
                due.as_100ns()
            )
        });
        was_set
    }

    fn cancel_timer(&self, kind: TimerKind) -> bool {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        world.check_irql(cpu, Irql::DISPATCH, "KeCancelTimer");
        let cancelled = world.timers.remove(&(self.port, kind)).is_some();
        if cancelled {
            world.stats.timer_cancels += 1;
        } else {
            world.stats.timer_cancel_misses += 1;
        }
        world.event(cpu, || format!("KeCancelTimer {kind:?} -> {cancelled}"));
        cancelled
    }

    fn queue_work_item(&self, kind: WorkItemKind) {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        world.check_irql(cpu, Irql::DISPATCH, "IoQueueWorkItem");
        let port = self.port;
        let state = world.work_items.entry((port, kind)).or_default();
        if state.queued {
            world.violate(
                rule::WORK_ITEM_DOUBLE_QUEUE,
                cpu,
                format!("work item {kind:?} of port {port} queued while it is still queued"),
            );
            return;
        }
        state.queued = true;
        world.stats.work_items_queued += 1;
        let id = world.fresh_id();
        world.jobs.push_back(Job {
            id,
            port,
            cpu: None,
            kind: JobKind::WorkItem(kind),
        });
        world.event(cpu, || format!("IoQueueWorkItem {kind:?}"));
    }

    fn now(&self) -> Instant {
        let _model = Scope::model();
        self.shared.schedule();
        Duration::from_100ns(self.shared.lock().now)
    }

    fn write_error_log(&self, entry: &serial_engine::error_log::ErrorLogEntry) {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        let irql = world.irql(cpu);
        if irql > Irql::DISPATCH {
            world.violate(
                rule::ERROR_LOG,
                cpu,
                format!("IoWriteErrorLogEntry called at {irql}; its maximum is DISPATCH_LEVEL"),
            );
        }
        let size = super::error_log::entry_size();
        if size > super::error_log::ERROR_LOG_MAXIMUM_SIZE {
            world.violate(
                rule::ERROR_LOG,
                cpu,
                format!("an error-log entry of {size} bytes exceeds ERROR_LOG_MAXIMUM_SIZE"),
            );
        }
        let time = world.now;
        world.error_log.push(super::error_log::LoggedError {
            port: self.port,
            time,
            cpu,
            irql,
            entry: *entry,
        });
        world.event(cpu, || {
            format!("IoWriteErrorLogEntry {:?} x{}", entry.kind, entry.count())
        });
    }

    fn fail_device(&self) {
        let _model = Scope::model();
        self.shared.schedule();
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        world.check_irql(cpu, Irql::DISPATCH, "WdfDeviceSetFailed");
        if let Some(failed) = world.failed_devices.get_mut(self.port) {
            *failed = true;
        }
        world.event(cpu, || {
            "WdfDeviceSetFailed(WdfDeviceFailedNoRestart)".to_owned()
        });
    }

    fn bytes_copied(&self, count: usize) {
        let _model = Scope::model();
        // Charged to the running ISR/DPC frame: the copy ran at raised IRQL.
        let cpu = self.shared.current_cpu();
        let mut world = self.shared.lock();
        let cost = world
            .config
            .cost_budget
            .byte_ns
            .saturating_mul(u64::try_from(count).unwrap_or(u64::MAX));
        world.charge(cpu, cost);
    }

    fn delay(&self, duration: Duration) {
        let _model = Scope::model();
        self.shared.schedule();
        let Some(cpu) = self.shared.current_cpu() else {
            panic!(
                "serial-model: KeDelayExecutionThread called outside the simulation (no virtual CPU)"
            );
        };
        let mut world = self.shared.lock();
        let irql = world.cpus[cpu].irql;
        if irql > Irql::PASSIVE {
            let message = format!(
                "KeDelayExecutionThread called at {irql}: waiting above PASSIVE_LEVEL bug-checks"
            );
            world.fatal(rule::DDI_IRQL, Some(cpu), message);
            self.shared.park(world, cpu);
        }
        let wake = world.quantize(world.now.saturating_add(duration.as_100ns()));
        world.event(Some(cpu), || format!("delay until t={wake}"));
        if wake > world.now {
            world.cpus[cpu].wait = Wait::Until(wake);
            drop(self.shared.yield_locked(world, cpu));
        }
    }
}
