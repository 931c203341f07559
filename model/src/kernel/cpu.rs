//! Virtual CPUs as OS threads that take turns: exactly one thread (a CPU or the controller) holds
//! the baton and runs; every kernel-service call is a scheduling point where the baton may move.
//!
//! A CPU thread runs everything that happens on its CPU: dispatch calls, work items, DPCs and ISRs.
//! Preemption is a nested call on the same thread: an ISR delivered at a scheduling point runs
//! inside whatever the CPU was doing, exactly as on hardware.

use std::any::Any;
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock};

use serial_engine::kernel::IsrContext;

use super::allocation::AllocationPlan;
use super::driver::Driver;
use super::events::Event;
use super::irql::Irql;
use super::verifier::rule;
use super::world::{
    Action, DpcObject, FrameKind, Holder, Job, JobKind, JobOutcome, LockId, QueuedDpc, Wait, Work,
    World,
};

thread_local! {
    /// The (machine id, CPU index) this thread is, if it is a virtual CPU.
    static CURRENT: Cell<Option<(u64, usize)>> = const { Cell::new(None) };
}

/// How long the controller waits for a CPU that neither hands the baton on nor returns it.
const HANG_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a thread waiting for the baton spins before it sleeps (spin-loop hints, with a
/// `yield_now` every 64).
const SPIN_ROUNDS: u32 = 4_096;

/// A baton holder's wake-up: its condition variable and whether it sleeps on it.
#[derive(Debug, Default)]
struct Turn {
    wake: Condvar,
    sleeping: AtomicBool,
}

/// The unwind payload that ends a CPU thread at teardown; not an error.
struct AbortRun;

/// Unwinds the calling CPU thread out of whatever it runs (teardown after a failure).
fn abort_unwind() -> ! {
    resume_unwind(Box::new(AbortRun))
}

/// The state all CPU threads and the controller share.
pub(crate) struct Shared {
    pub(crate) id: u64,
    world: Mutex<World>,
    /// One turn per baton holder (the controller, then each CPU), so that a hand-over wakes only
    /// the thread that runs next.
    turns: Vec<Turn>,
    /// The baton holder's index ([`Shared::turn_index`]), readable without the world's lock: a
    /// waiting thread spins on it briefly before it sleeps.
    baton: AtomicUsize,
    drivers: RwLock<Vec<Arc<dyn Driver>>>,
    /// Which of the engine's heap allocations fail.
    pub(crate) allocation: AllocationPlan,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Shared {
    pub(crate) fn new(id: u64, world: World) -> Self {
        let holders = world.cpus.len() + 1;
        Self {
            id,
            world: Mutex::new(world),
            turns: (0..holders).map(|_| Turn::default()).collect(),
            baton: AtomicUsize::new(0),
            drivers: RwLock::new(Vec::new()),
            allocation: AllocationPlan::default(),
        }
    }

    /// The world. Only the baton holder calls this (or a thread checking whether it holds it).
    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_drivers(&self, drivers: Vec<Arc<dyn Driver>>) {
        *self.drivers.write().unwrap_or_else(PoisonError::into_inner) = drivers;
    }

    /// Drops the machine's references to its drivers (teardown).
    pub(crate) fn take_drivers(&self) -> Vec<Arc<dyn Driver>> {
        std::mem::take(&mut *self.drivers.write().unwrap_or_else(PoisonError::into_inner))
    }

    fn driver(&self, port: usize) -> Option<Arc<dyn Driver>> {
        self.drivers
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(port)
            .cloned()
    }

    /// The virtual CPU the calling thread is, if it is one of this machine's.
    pub(crate) fn current_cpu(&self) -> Option<usize> {
        CURRENT
            .with(Cell::get)
            .and_then(|(machine, cpu)| (machine == self.id).then_some(cpu))
    }

    const fn turn_index(holder: Holder) -> usize {
        match holder {
            Holder::Controller => 0,
            Holder::Cpu(cpu) => cpu + 1,
        }
    }

    fn turn(&self, holder: Holder) -> &Turn {
        &self.turns[Self::turn_index(holder).min(self.turns.len() - 1)]
    }

    /// Gives the baton to `next` and wakes its thread (only that one, and only if it sleeps).
    /// Called with the world locked.
    fn hand_to(&self, world: &mut World, next: Holder) {
        world.baton = next;
        world.handoffs += 1;
        self.baton.store(Self::turn_index(next), Ordering::Release);
        let turn = self.turn(next);
        if turn.sleeping.load(Ordering::Relaxed) {
            turn.wake.notify_one();
        }
    }

    /// Spins (briefly) until `me` holds the baton, without the world's lock.
    fn spin_for(&self, me: Holder) {
        let mine = Self::turn_index(me);
        for round in 0..SPIN_ROUNDS {
            if self.baton.load(Ordering::Acquire) == mine {
                return;
            }
            if round % 64 == 63 {
                std::thread::yield_now();
            } else {
                std::hint::spin_loop();
            }
        }
    }

    /// Waits until `me` holds the baton. A hand-over usually comes back within microseconds, so
    /// the thread first spins on [`Shared::baton`] without the lock (a futex sleep and wake-up
    /// costs tens of microseconds, more in a virtual machine), then sleeps on its own condition
    /// variable. `sleeping` is only changed with the world locked, so a hand-over never misses a
    /// sleeper.
    fn wait_turn<'a>(
        &'a self,
        mut world: MutexGuard<'a, World>,
        me: Holder,
    ) -> MutexGuard<'a, World> {
        if world.baton == me {
            return world;
        }
        drop(world);
        self.spin_for(me);
        world = self.lock();
        let turn = self.turn(me);
        while world.baton != me {
            turn.sleeping.store(true, Ordering::Relaxed);
            world = turn
                .wake
                .wait(world)
                .unwrap_or_else(PoisonError::into_inner);
            turn.sleeping.store(false, Ordering::Relaxed);
        }
        world
    }

    /// Decides who runs next, hands the baton over and waits until it comes back to `me`.
    pub(crate) fn pass<'a>(
        &'a self,
        mut world: MutexGuard<'a, World>,
        me: Holder,
    ) -> MutexGuard<'a, World> {
        let next = world.decide(me);
        if next != me {
            self.hand_to(&mut world, next);
            world = self.wait_turn(world, me);
        }
        world
    }

    /// Gives the baton to `cpu` with `action` and waits for it to come back (teardown).
    pub(crate) fn send(&self, cpu: usize, action: Action) {
        let mut world = self.lock();
        // Whatever the mailbox held is dropped only after the world is unlocked (it may hold a
        // request, whose drop check locks the world).
        let stale = world.cpus[cpu]
            .mailbox
            .replace(super::world::ActionSlot(action));
        self.hand_to(&mut world, Holder::Cpu(cpu));
        drop(self.wait_turn(world, Holder::Controller));
        drop(stale);
    }

    /// A scheduling point of busy `cpu`: other CPUs may run, and interrupts and DPCs may be
    /// delivered on this one (nested) before it continues.
    pub(crate) fn yield_locked<'a>(
        &'a self,
        mut world: MutexGuard<'a, World>,
        cpu: usize,
    ) -> MutexGuard<'a, World> {
        loop {
            world = self.pass(world, Holder::Cpu(cpu));
            match world.cpus[cpu].mailbox.take().map(|slot| slot.0) {
                None | Some(Action::Resume) => return world,
                Some(Action::Run(work)) => {
                    // Nested work (an ISR, a DPC) runs on top of whatever this CPU waits for:
                    // the wait belongs to the interrupted code and resumes with it.
                    // A busy interrupted routine finishes later by the time the nested work took.
                    let interrupted_wait = std::mem::replace(&mut world.cpus[cpu].wait, Wait::None);
                    let entered = world.now;
                    drop(world);
                    self.run_work(cpu, work);
                    world = self.lock();
                    world.cpus[cpu].wait = match interrupted_wait {
                        Wait::Busy(t) => Wait::Busy(t.saturating_add(world.now - entered)),
                        other => other,
                    };
                }
                Some(Action::Exit | Action::Abort) => {
                    drop(world);
                    abort_unwind();
                }
            }
        }
    }

    /// A scheduling point, if the caller is one of this machine's CPUs.
    pub(crate) fn schedule(&self) {
        // A thread unwinding out of the driver (a panic, or teardown) gives no more turns away.
        if std::thread::panicking() {
            return;
        }
        if let Some(cpu) = self.current_cpu() {
            let mut world = self.lock();
            // Cost charged since the last scheduling point is spent first (a no-op unless cost
            // takes time): what follows happens that much later.
            world.take_debt(cpu);
            drop(self.yield_locked(world, cpu));
        }
    }

    /// Spends `cpu`'s remaining debt before its routine returns (the routine's last accesses
    /// took time too).
    fn spend_debt<'a>(
        &'a self,
        mut world: MutexGuard<'a, World>,
        cpu: usize,
    ) -> MutexGuard<'a, World> {
        if world.take_debt(cpu) {
            world = self.yield_locked(world, cpu);
        }
        world
    }

    /// Stops `cpu` for good after a fatal violation: the run halts and the thread waits to be
    /// unwound at teardown.
    pub(crate) fn park<'a>(&'a self, mut world: MutexGuard<'a, World>, cpu: usize) -> ! {
        world.halted = true;
        loop {
            world = self.yield_locked(world, cpu);
        }
    }

    /// Takes lock `id` for `cpu`, spinning (letting others run) while another CPU holds it.
    pub(crate) fn acquire_locked<'a>(
        &'a self,
        mut world: MutexGuard<'a, World>,
        cpu: usize,
        id: LockId,
    ) -> MutexGuard<'a, World> {
        loop {
            match world.locks.get(id.0).and_then(|lock| lock.owner) {
                None => {
                    world.take_lock(cpu, id);
                    return world;
                }
                Some(owner) if owner == cpu => {
                    let message = format!(
                        "{} acquired again by the CPU that holds it (a certain deadlock):{}",
                        world.lock_name(id),
                        world.describe_cpus()
                    );
                    world.fatal(rule::SPIN_LOCK_RECURSION, Some(cpu), message);
                    self.park(world, cpu);
                }
                Some(_) => {
                    world.cpus[cpu].wait = Wait::Spin(id);
                    world = self.yield_locked(world, cpu);
                }
            }
        }
    }

    /// Runs the controller until the world's goal is met or the run halts.
    ///
    /// # Panics
    /// If a CPU keeps the baton for [`HANG_LIMIT`] of real time without reaching a kernel call:
    /// it is blocked on something the model cannot see (a host lock held across a kernel call) or
    /// loops without kernel calls. The machine is then abandoned.
    pub(crate) fn run_controller(&self) {
        let mut world = self.lock();
        let next = world.decide(Holder::Controller);
        if next == Holder::Controller {
            return;
        }
        self.hand_to(&mut world, next);
        drop(world);
        self.spin_for(Holder::Controller);
        world = self.lock();
        let mut seen = world.handoffs;
        while world.baton != Holder::Controller {
            let turn = self.turn(Holder::Controller);
            turn.sleeping.store(true, Ordering::Relaxed);
            let (guard, timeout) = turn
                .wake
                .wait_timeout(world, HANG_LIMIT)
                .unwrap_or_else(PoisonError::into_inner);
            world = guard;
            turn.sleeping.store(false, Ordering::Relaxed);
            if timeout.timed_out() && world.baton != Holder::Controller && world.handoffs == seen {
                world.hung = true;
                let holder = world.baton;
                let cpus = world.describe_cpus();
                drop(world);
                panic!(
                    "serial-model: {holder:?} has run for {} s of real time without reaching a kernel call: \
                     it is blocked outside the model (a host lock held across a kernel call?) or loops \
                     without kernel calls; the machine is abandoned.{cpus}",
                    HANG_LIMIT.as_secs()
                );
            }
            seen = world.handoffs;
        }
    }

    // ----- running work on a CPU --------------------------------------------------------------

    fn run_work(&self, cpu: usize, work: Work) {
        match work {
            Work::Isr(port) => self.run_isr(cpu, port),
            Work::Dpc(queued) => self.run_dpc(cpu, queued),
            Work::Job(job) => self.run_job(cpu, job),
        }
    }

    /// The ISR trampoline: DIRQL, the interrupt lock, the driver's ISR, then the claim check.
    fn run_isr(&self, cpu: usize, port: usize) {
        let lock = World::interrupt_lock(port);
        let mut world = self.lock();
        world.stats.interrupts_delivered += 1;
        world.isrs_this_instant += 1;
        if world.isrs_this_instant > world.limits.isrs_per_instant {
            let message = format!(
                "port {port}'s interrupt was delivered {} times at t={} and the line is still asserted",
                world.isrs_this_instant, world.now
            );
            world.in_service[port] = None;
            world.fatal(rule::INTERRUPT_STORM, Some(cpu), message);
            return;
        }
        world.begin_frame(cpu, FrameKind::Isr(port), Irql::DIRQL);
        let mut world = self.acquire_locked(world, cpu, lock);
        // The frame's lock baseline includes the interrupt lock the trampoline holds.
        if let Some(frame) = world.cpus[cpu].frames.last_mut() {
            frame.held_at_entry += 1;
        }
        drop(world);
        let claimed = self.driver(port).is_some_and(|driver| {
            // SAFETY: this is the interrupt trampoline of `port`: the CPU is at DIRQL and holds the
            // port's interrupt lock until after `isr` returns and the context is dropped.
            let mut context = unsafe { IsrContext::new() };
            driver.isr(&mut context)
        });
        let mut world = self.spend_debt(self.lock(), cpu);
        if let Some(frame) = world.cpus[cpu].frames.last_mut() {
            frame.held_at_entry -= 1;
        }
        world.release_lock(cpu, lock, "interrupt return");
        world.in_service[port] = None;
        if claimed {
            world.stats.isr_claimed += 1;
        } else {
            world.stats.isr_unclaimed += 1;
        }
        world.record(Some(cpu), Event::IsrReturned { port, claimed });
        world.end_frame(cpu);
        if !claimed && world.line(port) {
            let message = format!(
                "the ISR of port {port} returned FALSE while its device asserts the line: \
                 an unclaimed level-triggered interrupt storms until the system disables it"
            );
            world.fatal(rule::UNCLAIMED_INTERRUPT, Some(cpu), message);
        }
    }

    fn run_dpc(&self, cpu: usize, queued: QueuedDpc) {
        let mut world = self.lock();
        match queued.object {
            DpcObject::Custom { kind, .. } => *world.stats.dpc_runs.entry(kind).or_default() += 1,
            DpcObject::Timer { kind, .. } => {
                *world.stats.timer_dpc_runs.entry(kind).or_default() += 1
            }
        }
        world.begin_frame(cpu, FrameKind::Dpc(queued.object), Irql::DISPATCH);
        drop(world);
        if let Some(driver) = self.driver(queued.object.port()) {
            match queued.object {
                DpcObject::Custom { kind, .. } => driver.run_dpc(kind),
                DpcObject::Timer { kind, .. } => driver.timer_expired(kind),
            }
        }
        let mut world = self.spend_debt(self.lock(), cpu);
        world.end_frame(cpu);
        if let Some(state) = world.dpcs.get_mut(&queued.object) {
            state.running.retain(|&seq| seq != queued.seq);
        }
    }

    fn run_job(&self, cpu: usize, job: Job) {
        let Job { id, port, kind, .. } = job;
        let work_item = match &kind {
            JobKind::WorkItem(item) => Some(*item),
            _ => None,
        };
        let mut world = self.lock();
        let level = match &kind {
            JobKind::Cancel(_) => Irql::DISPATCH,
            JobKind::Closure { level, .. } => *level,
            JobKind::Io { .. } => match world.config.io_dispatch_level {
                super::config::IoDispatchLevel::Passive => Irql::PASSIVE,
                super::config::IoDispatchLevel::Dispatch => Irql::DISPATCH,
                super::config::IoDispatchLevel::Either => {
                    if world.chooser.pick_index(2) == 0 {
                        Irql::PASSIVE
                    } else {
                        Irql::DISPATCH
                    }
                }
            },
            _ => Irql::PASSIVE,
        };
        match &kind {
            JobKind::WorkItem(item) => {
                let state = world.work_items.entry((port, *item)).or_default();
                state.queued = false;
                state.running += 1;
                world.stats.work_items_run += 1;
            }
            JobKind::Cancel(request) => {
                if let Some(state) = world.requests.get_mut(&request.0)
                    && state.cancel == super::world::CancelState::CallbackScheduled
                {
                    state.cancel = super::world::CancelState::CallbackOwns;
                }
                world.stats.cancel_callbacks += 1;
            }
            _ => {}
        }
        world.begin_frame(cpu, FrameKind::Job(kind.name()), level);
        drop(world);
        let driver = self.driver(port);
        let outcome = match kind {
            JobKind::Closure { run, .. } => {
                run();
                JobOutcome::Done
            }
            other => match driver {
                Some(driver) => call_driver(&*driver, other),
                None => JobOutcome::Done,
            },
        };
        let mut world = self.spend_debt(self.lock(), cpu);
        world.end_frame(cpu);
        // The I/O manager's device reference is released when the routine returns.
        if let Some(item) = work_item
            && let Some(state) = world.work_items.get_mut(&(port, item))
        {
            state.running = state.running.saturating_sub(1);
        }
        world.job_results.insert(id, outcome);
    }
}

fn call_driver(driver: &dyn Driver, kind: JobKind) -> JobOutcome {
    match kind {
        JobKind::Probe => JobOutcome::Probe(driver.probe_hardware()),
        JobKind::PowerUp => {
            driver.power_up();
            JobOutcome::Done
        }
        JobKind::PowerDown => {
            driver.power_down();
            JobOutcome::Done
        }
        JobKind::SurpriseRemoval => {
            driver.surprise_removed();
            JobOutcome::Done
        }
        JobKind::Create => JobOutcome::Status(driver.create()),
        JobKind::Cleanup => {
            driver.cleanup();
            JobOutcome::Done
        }
        JobKind::Close => {
            driver.close();
            JobOutcome::Done
        }
        JobKind::Io { request, major } => {
            driver.dispatch(request, major);
            JobOutcome::Done
        }
        JobKind::Cancel(id) => {
            driver.cancel(id);
            JobOutcome::Done
        }
        JobKind::WorkItem(item) => {
            driver.run_work_item(item);
            JobOutcome::Done
        }
        JobKind::Closure { run, .. } => {
            run();
            JobOutcome::Done
        }
    }
}

/// The body of a virtual CPU's thread.
pub(crate) fn cpu_main(shared: Arc<Shared>, cpu: usize) {
    CURRENT.with(|current| current.set(Some((shared.id, cpu))));
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut world = shared.wait_turn(shared.lock(), Holder::Cpu(cpu));
        loop {
            match world.cpus[cpu].mailbox.take().map(|slot| slot.0) {
                Some(Action::Run(work)) => {
                    drop(world);
                    shared.run_work(cpu, work);
                    world = shared.lock();
                }
                Some(Action::Exit) => {
                    shared.hand_to(&mut world, Holder::Controller);
                    return;
                }
                Some(Action::Abort) => {
                    drop(world);
                    abort_unwind();
                }
                Some(Action::Resume) | None => {}
            }
            world = shared.pass(world, Holder::Cpu(cpu));
        }
    }));
    if let Err(payload) = result {
        let mut world = shared.lock();
        if !payload.is::<AbortRun>() {
            world.cpus[cpu].dead = true;
            let message = format!(
                "panic on cpu {cpu}: {}{}",
                panic_text(&*payload),
                world.describe_cpus()
            );
            world.fatal(rule::PANIC, Some(cpu), message);
        }
        shared.hand_to(&mut world, Holder::Controller);
    }
}

/// The message of a panic payload.
pub(crate) fn panic_text(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(non-text panic payload)".to_owned()
    }
}
