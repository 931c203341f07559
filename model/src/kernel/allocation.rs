//! Allocation-failure injection: the heap running out under the driver, on demand.
//!
//! On Windows the engine's heap is the nonpaged pool (`ExAllocatePool2` through wdk-alloc), which
//! can refuse any request; every allocation the engine makes is fallible (`try_reserve`) and must
//! leave no request uncompleted when it fails. The model proves it with a global allocator that
//! fails the allocations made *by engine code* as a per-machine [`AllocationFailures`] plan says,
//! while the model's own bookkeeping (event log, world state, test harness) never fails.
//!
//! "Engine code" is tracked per thread: the machine marks a CPU thread as running its port's
//! engine when it calls a driver entry point, and every kernel service marks it as model code
//! again for its own duration (a service that runs an engine closure, such as a lock cell's, marks
//! the closure as engine code). An engine allocation that does not go through `try_reserve` would
//! abort the test process when injected, which is how a stray infallible allocation is caught.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::ptr;
use std::sync::atomic::{AtomicU64, Ordering};

/// Which of the engine's allocations fail, counted from when the plan was set.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum AllocationFailures {
    /// None (the default).
    #[default]
    Never,
    /// The first `n` succeed; every later one fails (the pool is exhausted and stays so).
    After(u64),
    /// Every `k`-th fails (1 = all of them; 0 behaves like `Never`).
    Every(u64),
}

/// One machine's plan and its counters; read by the allocator without locks.
#[derive(Debug, Default)]
pub(crate) struct AllocationPlan {
    /// 0 never, 1 after `parameter`, 2 every `parameter`.
    mode: AtomicU64,
    parameter: AtomicU64,
    attempts: AtomicU64,
    failed: AtomicU64,
}

/// What the engine asked of the heap since its plan was last set.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct AllocationStats {
    /// Engine allocations (and reallocations) attempted.
    pub attempts: u64,
    /// How many of them the plan failed.
    pub failed: u64,
}

impl AllocationPlan {
    pub(crate) fn set(&self, failures: AllocationFailures) {
        let (mode, parameter) = match failures {
            AllocationFailures::Never => (0, 0),
            AllocationFailures::After(n) => (1, n),
            AllocationFailures::Every(k) => (2, k),
        };
        self.attempts.store(0, Ordering::SeqCst);
        self.failed.store(0, Ordering::SeqCst);
        self.parameter.store(parameter, Ordering::SeqCst);
        self.mode.store(mode, Ordering::SeqCst);
    }

    pub(crate) fn stats(&self) -> AllocationStats {
        AllocationStats {
            attempts: self.attempts.load(Ordering::SeqCst),
            failed: self.failed.load(Ordering::SeqCst),
        }
    }

    /// Counts one engine allocation and says whether it fails.
    fn fails(&self) -> bool {
        let index = self.attempts.fetch_add(1, Ordering::SeqCst);
        let parameter = self.parameter.load(Ordering::SeqCst);
        let fail = match self.mode.load(Ordering::SeqCst) {
            1 => index >= parameter,
            2 => parameter != 0 && index.wrapping_add(1).is_multiple_of(parameter),
            _ => false,
        };
        if fail {
            self.failed.fetch_add(1, Ordering::SeqCst);
        }
        fail
    }
}

thread_local! {
    /// The plan of the engine this thread is running, null while it runs model code.
    static ENGINE: Cell<*const AllocationPlan> = const { Cell::new(ptr::null()) };
}

/// Marks the current thread's code until the guard drops, then restores what it was.
pub(crate) struct Scope {
    previous: *const AllocationPlan,
}

impl Scope {
    /// Engine code of the machine whose plan is `plan` (a driver entry point).
    pub(crate) fn engine(plan: &AllocationPlan) -> Self {
        Self::mark(plan)
    }

    /// Model code (a kernel service).
    pub(crate) fn model() -> Self {
        Self::mark(ptr::null())
    }

    fn mark(plan: *const AllocationPlan) -> Self {
        let previous = ENGINE
            .try_with(|cell| cell.replace(plan))
            .unwrap_or(ptr::null());
        Self { previous }
    }

    /// Runs `f`, an engine closure a service was handed, as the code that called the service.
    pub(crate) fn as_caller<R>(&self, f: impl FnOnce() -> R) -> R {
        let inner = Self::mark(self.previous);
        let result = f();
        drop(inner);
        result
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        let previous = self.previous;
        let _ = ENGINE.try_with(|cell| cell.set(previous));
    }
}

/// Whether the allocation being made now fails.
fn injected_failure() -> bool {
    let plan = ENGINE.try_with(Cell::get).unwrap_or(ptr::null());
    // SAFETY: a non-null pointer was stored by a `Scope` from a live `&AllocationPlan` owned by
    // the machine's shared state, which the thread keeps alive (through its `Arc`) for as long as
    // it runs the code the scope covers; the scope resets the pointer when it ends.
    unsafe { plan.as_ref() }.is_some_and(AllocationPlan::fails)
}

/// The process's allocator wherever the model is linked: the system allocator, except that an
/// engine allocation a plan fails returns null (what `try_reserve` turns into an error).
#[derive(Debug)]
pub struct InjectingAllocator;

// SAFETY: every call is forwarded unchanged to `System`, which upholds the `GlobalAlloc` contract;
// returning null instead is an allowed outcome of `alloc` and `realloc` (the caller's memory is
// untouched by a failed `realloc`).
unsafe impl GlobalAlloc for InjectingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if injected_failure() {
            return ptr::null_mut();
        }
        // SAFETY: the caller's `layout` contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if injected_failure() {
            return ptr::null_mut();
        }
        // SAFETY: the caller's `layout` contract is passed on unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: `pointer` came from `System` with `layout` (every success above is System's).
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if injected_failure() {
            return ptr::null_mut();
        }
        // SAFETY: `pointer` came from `System` with `layout`; the caller's contract for
        // `new_size` is passed on unchanged.
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}
