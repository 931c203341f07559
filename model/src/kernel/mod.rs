//! A deterministic model of the NT kernel services the engine uses, with the checks Driver
//! Verifier would make (nt-kernel-semantics.md is the specification).
//!
//! # How it runs
//!
//! ```text
//!   test thread (controller)          vCPU 0 thread              vCPU 1 thread
//!   ────────────────────────          ─────────────              ─────────────
//!   submit/open/cancel → job queue
//!   run_*(goal) ──baton──────────────▶ dispatch routine
//!                                      │ read_register ◀─ scheduling point:
//!                                      │                  decide() picks one step
//!                                      │ ──baton──────────────────▶ DPC (DISPATCH)
//!                                      │                            │ lock() spins on the
//!                                      │ ◀─────────────────baton─── │ lock vCPU 0 holds
//!                                      │ ISR, nested (DIRQL)        │
//!                                      │ ...                        │
//!   ◀──baton── all CPUs idle/waiting, goal met or deadline reached
//! ```
//!
//! * Each virtual CPU is an OS thread, but exactly one thread holds the **baton** and runs (a
//!   mutex-guarded `World` plus a condition variable); the others wait. Engine code therefore
//!   really interleaves, but only at the places the model chooses, so a run is a pure function of
//!   the seed.
//! * Every kernel-service call (register access, lock acquire/release, DPC insert, timer set and
//!   cancel, work-item queue, request mark/unmark/complete, `now()`) is a **scheduling point**.
//!   There the scheduler lists the possible steps — deliver the interrupt on a CPU below DIRQL
//!   (nested on the CPU's thread if it is busy), run the head of a CPU's DPC queue on a CPU below
//!   DISPATCH, let a CPU continue, start a queued job (dispatch call, work item, cancel callback)
//!   on an idle CPU — and the [`Strategy`] picks one.
//! * A CPU spinning on a lock another CPU holds has no step until the lock is free. If no CPU has
//!   a step while one spins (or flushes DPCs), that is a deadlock, reported with the lock owners.
//! * **Time** advances only when no CPU has a step: it jumps to the next event (a board deadline,
//!   a timer expiry quantized to the tick, the end of a `delay()`), so runs are exact and fast.
//!   Expired timers queue their DPC on the CPU the strategy picks to take the clock interrupt.
//! * [`explore_exhaustive`] replaces the strategy by a script and walks every combination of the
//!   first N decisions depth-first, for scenarios small enough to enumerate.
//! * The test thread (the controller) gets the baton back when its goal is met at an instant where
//!   no CPU can step (e.g. a request has completed), at its deadline, or when the run halts.
//!
//! # Using it
//!
//! ```
//! use serial_ioctl::NtStatus;
//! use serial_model::kernel::{Machine, MachineConfig, Operation};
//! use serial_model::wire::Topology;
//!
//! // The seed and CPU count can be replaced from SERIAL_MODEL_SEED / SERIAL_MODEL_CPUS.
//! let config = MachineConfig::from_env_or(MachineConfig { topology: Topology::Loopback, ..MachineConfig::default() });
//! let mut machine = Machine::new(config);
//! assert_eq!(machine.open(0), NtStatus::SUCCESS);
//! machine.call(0, Operation::Write { data: b"hi".to_vec() });
//! assert_eq!(machine.call(0, Operation::Read { len: 2 }).output, b"hi");
//! machine.close(0);
//! assert!(machine.finish().is_empty()); // or just drop it: violations then fail the test
//! ```
//!
//! Kernel rules are tested without the engine: [`Machine::with_drivers`] hosts any [`Driver`]
//! (e.g. one whose entry points are closures) on a [`NullBus`], [`Machine::spawn`] runs a routine
//! at PASSIVE or DISPATCH on a chosen CPU, and [`ModelKernel`] offers the raw operations the engine
//! boundary does not (raw spin locks, IRQL changes, KeRemoveQueueDpc, KeFlushQueuedDpcs, a test
//! interrupt line, the device-removal check).
//!
//! # Where the model deliberately differs from Windows
//!
//! * Interleaving happens only at kernel-service calls, not between arbitrary instructions. The
//!   engine's shared state is only reachable through the locks, so no interleaving that matters
//!   is lost, but plain data races outside the lock cells would not be found.
//! * Interrupt delivery has latency: while the line is high, Random may still pick other steps
//!   first (another CPU continues, the interrupted CPU runs on to its next kernel call), as real
//!   interrupt routing and latency allow. RoundRobin delivers on the next CPU in turn that can take
//!   it, PCT at once. A level-triggered interrupt is not delivered twice at once (the IOAPIC masks it until
//!   the ISR returns); a CPU at DIRQL never takes it.
//! * A DPC queued on a CPU below DISPATCH preempts it at its next scheduling point (Windows: at
//!   once). KeInsertQueueDpc never runs the routine synchronously. DPC importance and target
//!   processors are not modelled: a DPC goes to the queue of the CPU that inserted it (CPU 0 from
//!   the test thread), FIFO.
//! * A CPU in `delay()` or KeFlushQueuedDpcs keeps its thread: DPCs and interrupts still run on
//!   it, but no other PASSIVE job starts there (Windows would schedule another thread).
//! * The clock interrupt, timer expiry and delay wake-ups are quantized to `timer_tick`, never
//!   early; periodic timers do not exist (the engine uses none). Timer DPCs are queued like any
//!   DPC (ReactOS calls them directly; both are allowed).
//! * I/O requests arrive at PASSIVE or DISPATCH (strategy's choice, see
//!   [`IoDispatchLevel`]); create/cleanup/close/power at PASSIVE; cancel callbacks at DISPATCH
//!   on any CPU. A request not yet dispatched is cancelled by the "framework" itself.
//! * Code's time is not measured but charged ([`CostBudget`]): entry, register accesses, copied
//!   bytes. By default the charge passes as virtual time on the CPU that runs the code (it is busy,
//!   the hardware moves on); [`CostBudget::free`] makes code run in an instant.
//! * Driver code must not hold a host lock (a `std::sync::Mutex`) across a kernel call: a CPU
//!   thread that blocks on one blocks the whole machine. The controller detects a CPU that keeps
//!   the baton for a minute of real time and abandons the machine with a message.
//! * Fatal conditions (deadlock, recursive acquire, delay above PASSIVE, unclaimed interrupt,
//!   interrupt storm, panic) halt the run like a bug check; everything else is recorded and the
//!   run goes on unless `fail_fast`.

mod allocation;
mod bus;
mod config;
mod cost;
mod cpu;
mod driver;
mod error_log;
mod events;
mod explore;
mod irql;
mod locks;
mod machine;
mod random;
mod request;
mod scheduler;
mod services;
mod stats;
mod strategy;
mod timeline;
mod verifier;
mod world;

pub use allocation::{AllocationFailures, AllocationStats, InjectingAllocator};
pub use bus::{Bus, NullBus};
pub use config::{CPUS_VAR, IoDispatchLevel, MachineConfig, SEED_VAR};
pub use cost::CostBudget;
pub use driver::Driver;
pub use error_log::{ERROR_LOG_MAXIMUM_SIZE, LoggedError};
pub use explore::{Exploration, FailingSchedule, MAX_SCHEDULES, explore_exhaustive};
pub use irql::Irql;
pub use locks::{ModelInterruptCell, ModelSpinLock, ModelSpinLockCell};
pub use machine::{BoardMut, BoardRef, JobHandle, Machine};
pub use random::{Rng, TraceHash};
pub use request::{
    Completion, MajorFunction, ModelRequest, Operation, RequestHandle, UNWRITTEN_BYTE,
};
pub use services::ModelKernel;
pub use stats::{COST_BUCKETS_NS, CostHistogram, Routine, Stats};
pub use strategy::{Decision, PCT_HORIZON, Schedule, Strategy};
pub use timeline::{Mark, Span, SpanKind, Timeline};
pub use verifier::{Violation, rule};
pub use world::DpcObject;
