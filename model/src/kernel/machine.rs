//! [`Machine`]: the simulated computer the tests and the harness drive.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use serial_engine::Device;
use serial_ioctl::NtStatus;

use super::bus::Bus;
use super::config::{CPUS_VAR, MachineConfig, SEED_VAR};
use super::cpu::{Shared, cpu_main};
use super::driver::Driver;
use super::irql::Irql;
use super::request::{Completion, ModelRequest, Operation, RequestHandle};
use super::services::ModelKernel;
use super::stats::Stats;
use super::verifier::Violation;
use super::world::{
    Action, CancelState, Goal, GoalKind, Job, JobKind, JobOutcome, Limits, RequestState, SharedBus,
    World,
};
use crate::board::Board;
use serial_engine::kernel::RequestId;

/// Virtual time a single open/close/test routine may take before the machine gives up (10 s).
const JOB_LIMIT: u64 = 100_000_000;
/// Virtual time [`Machine::call`] waits for a completion (60 s).
const CALL_LIMIT: u64 = 600_000_000;
/// Virtual time teardown lets the drivers settle after closing (10 s).
const SETTLE_LIMIT: u64 = 100_000_000;
/// Guards against runs that never leave one instant.
const LIMITS: Limits = Limits {
    steps_per_instant: 1_000_000,
    isrs_per_instant: 10_000,
};

/// STATUS_NO_SUCH_DEVICE: create on a port whose device never started.
const NO_SUCH_DEVICE: NtStatus = NtStatus(0xC000_000E_u32 as i32);

static NEXT_MACHINE: AtomicU64 = AtomicU64::new(1);

/// Names a routine started with [`Machine::spawn`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobHandle(u64);

/// How to rerun the test that owns a machine.
#[derive(Clone, Debug)]
struct Replay {
    krate: String,
    target: String,
    test: String,
}

impl Replay {
    fn capture() -> Self {
        let krate = std::env::var("CARGO_PKG_NAME").unwrap_or_else(|_| "serial-model".to_owned());
        let stem = std::env::args()
            .next()
            .and_then(|exe| {
                std::path::Path::new(&exe)
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            })
            .unwrap_or_default();
        let base = match stem.rsplit_once('-') {
            Some((base, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => base.to_owned(),
            _ => stem,
        };
        let target = if base == krate.replace('-', "_") {
            "--lib".to_owned()
        } else {
            format!("--test {base}")
        };
        let test = std::thread::current()
            .name()
            .filter(|name| *name != "main")
            .unwrap_or("")
            .to_owned();
        Self {
            krate,
            target,
            test,
        }
    }
}

/// The simulated computer: virtual CPUs, one virtual clock, the board, and one driver per port.
/// See the [module documentation](crate::kernel) for how it schedules.
pub struct Machine {
    shared: Arc<Shared>,
    bus: SharedBus,
    threads: Vec<Option<JoinHandle<()>>>,
    kernels: Vec<ModelKernel>,
    completions: BTreeMap<u64, Completion>,
    violations: Vec<Violation>,
    open: Vec<bool>,
    present: Vec<bool>,
    cpus: usize,
    panic_on_violation: bool,
    finished: bool,
    replay: Replay,
}

impl std::fmt::Debug for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Machine")
            .field("cpus", &self.cpus)
            .field("ports", &self.kernels.len())
            .finish_non_exhaustive()
    }
}

impl Machine {
    /// A machine with `config.topology`'s board and the engine's [`Device`] on every port, with
    /// each port's hardware probed and powered up (prepare-hardware, D0Entry).
    #[must_use]
    pub fn new(config: MachineConfig) -> Self {
        let board = Board::new(config.topology, config.uart);
        Self::with_board(config, board)
    }

    /// Like [`Machine::new`] with a board built by the caller (e.g. one with a scripted peer).
    #[must_use]
    pub fn with_board(config: MachineConfig, board: Board) -> Self {
        let device = config.device;
        let mut machine = Self::with_drivers(config, Box::new(board), |kernel| {
            Arc::new(Device::new(kernel, device))
        });
        for port in 0..machine.kernels.len() {
            let present = machine.run_job(port, None, JobKind::Probe, JOB_LIMIT);
            machine.present[port] = present == Some(JobOutcome::Probe(true));
            if machine.present[port] {
                machine.run_job(port, None, JobKind::PowerUp, JOB_LIMIT);
            }
        }
        machine
    }

    /// A machine with any hardware and any drivers (`make` builds one per port from its kernel).
    /// Nothing is probed or powered up. Kernel tests use this with [`super::NullBus`].
    #[must_use]
    pub fn with_drivers(
        config: MachineConfig,
        bus: Box<dyn Bus>,
        mut make: impl FnMut(ModelKernel) -> Arc<dyn Driver>,
    ) -> Self {
        let cpus = config.cpus.max(1);
        let panic_on_violation = config.panic_on_violation;
        let ports = bus.port_count();
        let id = NEXT_MACHINE.fetch_add(1, Ordering::Relaxed);
        let bus: SharedBus = Arc::new(Mutex::new(bus));
        let shared = Arc::new(Shared::new(
            id,
            World::new(config, Arc::clone(&bus), LIMITS),
        ));
        let kernels: Vec<ModelKernel> = (0..ports)
            .map(|port| ModelKernel::new(Arc::clone(&shared), port))
            .collect();
        shared.set_drivers(kernels.iter().cloned().map(&mut make).collect());
        let threads = (0..cpus)
            .map(|cpu| {
                let shared = Arc::clone(&shared);
                let thread = std::thread::Builder::new()
                    .name(format!("vcpu{cpu}"))
                    .spawn(move || cpu_main(shared, cpu))
                    .unwrap_or_else(|error| {
                        panic!("serial-model: cannot start a CPU thread: {error}")
                    });
                Some(thread)
            })
            .collect();
        Self {
            shared,
            bus,
            threads,
            kernels,
            completions: BTreeMap::new(),
            violations: Vec::new(),
            open: vec![false; ports],
            present: vec![true; ports],
            cpus,
            panic_on_violation,
            finished: false,
            replay: Replay::capture(),
        }
    }

    // ----- running ----------------------------------------------------------------------------

    fn run(&mut self, kind: GoalKind, deadline: u64) {
        {
            let mut world = self.shared.lock();
            if world.halted {
                drop(world);
                self.sync();
                return;
            }
            world.goal = Goal { kind, deadline };
        }
        self.shared.run_controller();
        self.sync();
    }

    /// Copies completions and violations out of the world; panics if the run halted.
    fn sync(&mut self) {
        let halted = {
            let mut world = self.shared.lock();
            for (id, completion) in world.new_completions.drain(..) {
                self.completions.insert(id, completion);
            }
            self.violations.clone_from(&world.violations);
            world.halted
        };
        if halted && self.panic_on_violation && !std::thread::panicking() {
            panic!("{}", self.report());
        }
    }

    fn deadline(&self, duration: u64) -> u64 {
        self.now().saturating_add(duration)
    }

    fn enqueue(&mut self, port: usize, cpu: Option<usize>, kind: JobKind) -> u64 {
        let mut world = self.shared.lock();
        let id = world.fresh_id();
        world.jobs.push_back(Job {
            id,
            port,
            cpu,
            kind,
        });
        id
    }

    fn run_job(
        &mut self,
        port: usize,
        cpu: Option<usize>,
        kind: JobKind,
        limit: u64,
    ) -> Option<JobOutcome> {
        let id = self.enqueue(port, cpu, kind);
        self.run(GoalKind::Job(id), self.deadline(limit));
        self.shared.lock().job_results.get(&id).copied()
    }

    /// Runs until virtual time `time` (everything due up to and at it happens).
    pub fn run_until(&mut self, time: u64) {
        self.run(GoalKind::Time, time);
    }

    /// Runs for `duration` of virtual time.
    pub fn run_for(&mut self, duration: u64) {
        self.run(GoalKind::Time, self.deadline(duration));
    }

    /// Runs until nothing is running, queued, set or due, hardware included, or for at most
    /// `limit` of virtual time.
    pub fn run_until_idle(&mut self, limit: u64) {
        self.run(GoalKind::Idle, self.deadline(limit));
    }

    // ----- I/O --------------------------------------------------------------------------------

    /// IRP_MJ_CREATE on `port` (PASSIVE), run to its end. A port whose hardware probe failed
    /// has no started device: STATUS_NO_SUCH_DEVICE without calling the driver.
    pub fn open(&mut self, port: usize) -> NtStatus {
        self.check_port(port);
        if !self.hardware_present(port) {
            return NO_SUCH_DEVICE;
        }
        let status = match self.run_job(port, None, JobKind::Create, JOB_LIMIT) {
            Some(JobOutcome::Status(status)) => status,
            _ => panic!(
                "serial-model: create on port {port} did not return\n{}",
                self.report()
            ),
        };
        if status.is_success() {
            self.open[port] = true;
        }
        status
    }

    /// IRP_MJ_CLEANUP then IRP_MJ_CLOSE on `port` (PASSIVE), each run to its end.
    pub fn close(&mut self, port: usize) {
        self.check_port(port);
        for kind in [JobKind::Cleanup, JobKind::Close] {
            if self.run_job(port, None, kind, JOB_LIMIT).is_none() {
                panic!(
                    "serial-model: cleanup/close on port {port} did not return\n{}",
                    self.report()
                );
            }
        }
        self.open[port] = false;
    }

    /// D0Exit on `port`, run to its end.
    pub fn power_down(&mut self, port: usize) {
        self.run_job(port, None, JobKind::PowerDown, JOB_LIMIT);
    }

    /// Surprise removal of `port` as KMDF delivers it with a handle open: D0Exit, then
    /// EvtDeviceSurpriseRemoval, each run to its end. The handle stays open until the test
    /// closes it.
    pub fn surprise_remove(&mut self, port: usize) {
        self.run_job(port, None, JobKind::PowerDown, JOB_LIMIT);
        self.run_job(port, None, JobKind::SurpriseRemoval, JOB_LIMIT);
    }

    /// D0Entry on `port`, run to its end.
    pub fn power_up(&mut self, port: usize) {
        self.run_job(port, None, JobKind::PowerUp, JOB_LIMIT);
    }

    fn check_port(&self, port: usize) {
        assert!(
            port < self.kernels.len(),
            "serial-model: port {port} does not exist (the machine has {})",
            self.kernels.len()
        );
    }

    /// What `port`'s driver wrote to the system event log, oldest first.
    #[must_use]
    pub fn error_log(&self, port: usize) -> Vec<super::LoggedError> {
        let world = self.shared.lock();
        world
            .error_log
            .iter()
            .filter(|logged| logged.port == port)
            .copied()
            .collect()
    }

    /// Whether `port`'s driver reported its device failed (WdfDeviceSetFailed).
    #[must_use]
    pub fn device_failed(&self, port: usize) -> bool {
        self.shared
            .lock()
            .failed_devices
            .get(port)
            .copied()
            .unwrap_or(false)
    }

    /// Starts (or stops) recording what each CPU runs and when, for [`Machine::timeline_svg`].
    pub fn record_timeline(&mut self, on: bool) {
        let mut world = self.shared.lock();
        world.timeline = on.then(super::Timeline::default);
    }

    /// What was recorded since [`Machine::record_timeline`] (empty if recording is off).
    #[must_use]
    pub fn timeline(&self) -> super::Timeline {
        self.shared.lock().timeline.clone().unwrap_or_default()
    }

    /// The recorded timeline of `[from, to)` (virtual time, 100 ns units) as an SVG picture.
    #[must_use]
    pub fn timeline_svg(&self, from: u64, to: u64) -> String {
        self.timeline().svg(self.cpus, from, to)
    }

    /// Whether prepare-hardware found a UART on `port`.
    #[must_use]
    pub fn hardware_present(&self, port: usize) -> bool {
        self.present.get(port).copied().unwrap_or(false)
    }

    /// Queues an I/O request for `port`; it reaches the driver when a CPU picks it up.
    pub fn submit(&mut self, port: usize, operation: Operation) -> RequestHandle {
        self.check_port(port);
        let mut world = self.shared.lock();
        let id = world.fresh_id();
        let (request, major) = ModelRequest::new(Arc::clone(&self.shared), id, operation);
        let now = world.now;
        world.requests.insert(
            id,
            RequestState {
                port,
                cancel: CancelState::Normal {
                    cancel_requested: false,
                },
                completed: false,
                submitted_at: now,
                cancel_when_marked: false,
            },
        );
        world.event(None, || {
            format!("submit #{id} {} to port {port}", major.name())
        });
        world.jobs.push_back(Job {
            id,
            port,
            cpu: None,
            kind: JobKind::Io { request, major },
        });
        RequestHandle { port, id }
    }

    /// Runs until the dispatch routine of `handle` has returned (the request pended or
    /// completed), as an overlapped call has when it returns ERROR_IO_PENDING, or for at most
    /// `limit` of virtual time.
    pub fn run_until_dispatched(&mut self, handle: RequestHandle, limit: u64) {
        self.run(GoalKind::Job(handle.id), self.deadline(limit));
    }

    /// Cancels a request like CancelIoEx: one not yet dispatched is completed STATUS_CANCELLED
    /// at once; a cancelable one gets its cancel callback on some CPU at DISPATCH; otherwise the
    /// cancel is remembered and the next WdfRequestMarkCancelableEx fails.
    pub fn cancel(&mut self, handle: RequestHandle) {
        let mut world = self.shared.lock();
        let id = handle.id;
        let undispatched = world
            .jobs
            .iter()
            .position(|job| matches!(&job.kind, JobKind::Io { request, .. } if serial_engine::kernel::Request::id(request) == RequestId(id)));
        if let Some(position) = undispatched {
            let job = world.jobs.remove(position);
            drop(world);
            if let Some(Job {
                kind: JobKind::Io { request, .. },
                ..
            }) = job
            {
                serial_engine::kernel::Request::complete(request, NtStatus::CANCELLED, 0);
            }
            self.sync();
            return;
        }
        let Some(state) = world.requests.get_mut(&id) else {
            return;
        };
        if state.completed {
            return;
        }
        match state.cancel {
            CancelState::Normal { .. } => {
                state.cancel = CancelState::Normal {
                    cancel_requested: true,
                }
            }
            CancelState::Cancelable => {
                state.cancel = CancelState::CallbackScheduled;
                let job = world.fresh_id();
                world.jobs.push_back(Job {
                    id: job,
                    port: handle.port,
                    cpu: None,
                    kind: JobKind::Cancel(RequestId(id)),
                });
            }
            CancelState::CallbackScheduled | CancelState::CallbackOwns => {}
        }
        world.event(None, || format!("cancel #{id}"));
    }

    /// Cancels a request like CancelIoEx, timed to land in the instant after the driver marks it
    /// cancelable: the mark succeeds and KMDF queues EvtRequestCancel at once, so the callback
    /// can run on another CPU while the marking code still runs. This is the window KMDF's
    /// documentation warns about (mark while holding the lock the cancel routine takes). A request
    /// that is cancelable already is cancelled now; one that is complete is left alone.
    pub fn cancel_when_marked(&mut self, handle: RequestHandle) {
        let mut world = self.shared.lock();
        let Some(state) = world.requests.get_mut(&handle.id) else {
            return;
        };
        if state.completed {
            return;
        }
        if state.cancel == CancelState::Cancelable {
            drop(world);
            self.cancel(handle);
            return;
        }
        state.cancel_when_marked = true;
        let id = handle.id;
        world.event(None, || format!("cancel #{id} when marked cancelable"));
    }

    /// How the request ended, if it has.
    #[must_use]
    pub fn completion(&self, handle: RequestHandle) -> Option<&Completion> {
        self.completions.get(&handle.id)
    }

    /// Removes and returns the completion of `handle`, so a long-running caller (the bridge) does
    /// not keep every completed request's data.
    pub fn take_completion(&mut self, handle: RequestHandle) -> Option<Completion> {
        self.completions.remove(&handle.id)
    }

    /// Runs until the request completes, for at most `limit` of virtual time.
    pub fn run_until_complete(&mut self, handle: RequestHandle, limit: u64) -> Option<Completion> {
        if !self.completions.contains_key(&handle.id) {
            self.run(GoalKind::Complete(handle.id), self.deadline(limit));
        }
        self.completions.get(&handle.id).cloned()
    }

    /// Runs until some request completes (at the instant it does, so the caller can react as a
    /// program woken by the completion would), for at most `limit` of virtual time.
    pub fn run_until_any_completion(&mut self, limit: u64) {
        self.run(GoalKind::AnyCompletion, self.deadline(limit));
    }

    /// Submits and runs to completion (up to 60 s of virtual time); panics if it never completes.
    pub fn call(&mut self, port: usize, operation: Operation) -> Completion {
        let handle = self.submit(port, operation);
        match self.run_until_complete(handle, CALL_LIMIT) {
            Some(completion) => completion,
            None => panic!(
                "serial-model: request #{} on port {port} did not complete\n{}",
                handle.id,
                self.report()
            ),
        }
    }

    // ----- test routines ----------------------------------------------------------------------

    /// The kernel services of `port`, for test routines.
    #[must_use]
    pub fn kernel(&self, port: usize) -> ModelKernel {
        self.kernels[port].clone()
    }

    /// Queues `routine` to run like a dispatch routine at `level` (PASSIVE or DISPATCH), on
    /// `cpu` or on any idle CPU. It runs when the machine runs.
    pub fn spawn(
        &mut self,
        cpu: Option<usize>,
        level: Irql,
        routine: impl FnOnce() + Send + 'static,
    ) -> JobHandle {
        JobHandle(self.enqueue(
            0,
            cpu,
            JobKind::Closure {
                level,
                run: Box::new(routine),
            },
        ))
    }

    /// Whether a spawned routine has returned.
    #[must_use]
    pub fn finished(&self, job: JobHandle) -> bool {
        self.shared.lock().job_results.contains_key(&job.0)
    }

    /// Runs until the spawned routine returns (at most `limit` of virtual time); true if it did.
    pub fn run_until_finished(&mut self, job: JobHandle, limit: u64) -> bool {
        self.run(GoalKind::Job(job.0), self.deadline(limit));
        self.finished(job)
    }

    /// Drives `port`'s test interrupt line (ORed with the hardware's).
    pub fn set_irq_line(&mut self, port: usize, high: bool) {
        if let Some(line) = self.shared.lock().test_lines.get_mut(port) {
            *line = high;
        }
    }

    // ----- observation ------------------------------------------------------------------------

    /// Current virtual time (100 ns units).
    #[must_use]
    pub fn now(&self) -> u64 {
        self.shared.lock().now
    }

    /// The board (the machine must have been built with one).
    ///
    /// # Panics
    /// If the machine's hardware is not a [`Board`].
    #[must_use]
    pub fn board(&self) -> BoardRef<'_> {
        BoardRef {
            bus: self.bus.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// The board, mutable (e.g. to script the peer).
    ///
    /// # Panics
    /// If the machine's hardware is not a [`Board`].
    pub fn board_mut(&mut self) -> BoardMut<'_> {
        BoardMut {
            bus: self.bus.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Makes the engine's heap allocations fail as `failures` says, counted from now (a switch a
    /// test turns at any virtual time); also resets [`Machine::allocation_stats`].
    pub fn fail_allocations(&mut self, failures: super::AllocationFailures) {
        self.shared.allocation.set(failures);
    }

    /// The engine's heap allocations since the plan was last set, and how many failed.
    #[must_use]
    pub fn allocation_stats(&self) -> super::AllocationStats {
        self.shared.allocation.stats()
    }

    /// Counters so far.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.shared.lock().stats.clone()
    }

    /// Violations so far.
    #[must_use]
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// Budget warnings so far (ISRs/DPCs over the documented budgets).
    #[must_use]
    pub fn warnings(&self) -> Vec<Violation> {
        self.shared.lock().warnings.clone()
    }

    /// The run's seed.
    #[must_use]
    pub fn seed(&self) -> u64 {
        self.shared.lock().seed
    }

    /// A hash of every event and scheduling decision so far: same seed, same hash.
    #[must_use]
    pub fn trace_hash(&self) -> u64 {
        self.shared.lock().log.hash.value()
    }

    /// The most recent events, oldest first.
    #[must_use]
    pub fn recent_events(&self) -> Vec<String> {
        self.shared.lock().recent_events()
    }

    /// The command line that reruns this test with this machine's seed and CPU count.
    #[must_use]
    pub fn replay_line(&self) -> String {
        let seed = self.seed();
        let Replay {
            krate,
            target,
            test,
        } = &self.replay;
        format!(
            "replay: {SEED_VAR}={seed} {CPUS_VAR}={} cargo test -p {krate} {target} -- {test}",
            self.cpus
        )
    }

    /// The violations, the recent events and the replay line, as a failure message.
    #[must_use]
    pub fn report(&self) -> String {
        let world = self.shared.lock();
        let mut text = format!(
            "serial-model: {} violation(s); seed {}, {} CPUs, {:?}, t={}\n",
            world.violations.len(),
            world.seed,
            self.cpus,
            world.config.strategy,
            world.now
        );
        for violation in &world.violations {
            let _ = writeln!(text, "  {violation}");
        }
        text.push_str("recent events:\n");
        for event in world.recent_events() {
            let _ = writeln!(text, "  {event}");
        }
        drop(world);
        text.push_str(&self.replay_line());
        text
    }

    // ----- teardown ---------------------------------------------------------------------------

    /// Tears the machine down (closing open ports, checking that nothing is left queued, stopping
    /// the CPUs, dropping the drivers) and returns every violation without panicking.
    #[must_use]
    pub fn finish(mut self) -> Vec<Violation> {
        self.shutdown();
        std::mem::take(&mut self.violations)
    }

    fn shutdown(&mut self) {
        if self.finished {
            return;
        }
        self.finished = true;
        if self.shared.lock().hung {
            // A CPU thread is stuck outside the model: leave every thread and driver where it is.
            for thread in &mut self.threads {
                drop(thread.take());
            }
            return;
        }
        let healthy = !self.shared.lock().halted && !std::thread::panicking();
        if healthy {
            let saved = self.panic_on_violation;
            self.panic_on_violation = false;
            for port in 0..self.open.len() {
                if self.open[port] {
                    self.close(port);
                }
            }
            self.run(GoalKind::Settle, self.deadline(SETTLE_LIMIT));
            self.panic_on_violation = saved;
            let mut world = self.shared.lock();
            if !world.halted {
                world.check_nothing_queued(None, None);
            }
        }
        self.stop_cpus();
        drop(self.shared.take_drivers());
        let leftovers: Vec<Job> = self.shared.lock().jobs.drain(..).collect();
        for job in leftovers {
            if let JobKind::Io { request, .. } = job.kind {
                request.withdraw();
            }
        }
        let mut world = self.shared.lock();
        let stale: Vec<_> = world
            .cpus
            .iter_mut()
            .filter_map(|cpu| cpu.mailbox.take())
            .collect();
        for (id, completion) in world.new_completions.drain(..) {
            self.completions.insert(id, completion);
        }
        self.violations.clone_from(&world.violations);
        drop(world);
        drop(stale);
    }

    fn stop_cpus(&mut self) {
        for cpu in 0..self.threads.len() {
            let (idle, dead) = {
                let world = self.shared.lock();
                (world.cpus[cpu].is_idle(), world.cpus[cpu].dead)
            };
            if dead {
                // The thread has already ended.
            } else if idle {
                self.shared.send(cpu, Action::Exit);
            } else if cfg!(panic = "unwind") {
                self.shared.send(cpu, Action::Abort);
            } else {
                // Without unwinding a busy CPU cannot be stopped: leave its thread parked.
                drop(self.threads[cpu].take());
                continue;
            }
            if let Some(thread) = self.threads[cpu].take() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // The test is failing for its own reasons: say how to rerun this machine's schedule.
            eprintln!("{}", self.replay_line());
        }
        if self.finished {
            return;
        }
        self.shutdown();
        if self.panic_on_violation && !self.violations.is_empty() && !std::thread::panicking() {
            panic!("{}", self.report());
        }
    }
}

/// Read access to the board of a [`Machine`] (holds the hardware's lock while it lives; the
/// machine cannot run meanwhile, but can be asked anything else).
pub struct BoardRef<'a> {
    bus: MutexGuard<'a, Box<dyn Bus>>,
}

impl Deref for BoardRef<'_> {
    type Target = Board;
    fn deref(&self) -> &Board {
        self.bus
            .as_any()
            .downcast_ref::<Board>()
            .unwrap_or_else(|| panic!("this machine's hardware is not a Board"))
    }
}

impl std::fmt::Debug for BoardRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardRef").finish_non_exhaustive()
    }
}

/// Write access to the board of a [`Machine`].
pub struct BoardMut<'a> {
    bus: MutexGuard<'a, Box<dyn Bus>>,
}

impl Deref for BoardMut<'_> {
    type Target = Board;
    fn deref(&self) -> &Board {
        self.bus
            .as_any()
            .downcast_ref::<Board>()
            .unwrap_or_else(|| panic!("this machine's hardware is not a Board"))
    }
}

impl DerefMut for BoardMut<'_> {
    fn deref_mut(&mut self) -> &mut Board {
        self.bus
            .as_any_mut()
            .downcast_mut::<Board>()
            .unwrap_or_else(|| panic!("this machine's hardware is not a Board"))
    }
}

impl std::fmt::Debug for BoardMut<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoardMut").finish_non_exhaustive()
    }
}
