//! What the model checks (nt-kernel-semantics §8) and how a finding is reported.
//!
//! Every check produces a [`Violation`] naming its rule. Rule names follow the Driver Verifier /
//! SDV rule they stand for where one exists.

use std::fmt;

/// The rule names a [`Violation`] can carry.
pub mod rule {
    /// A DDI was called above its maximum IRQL (§6.2), e.g. KeSetTimer from the ISR.
    pub const DDI_IRQL: &str = "DdiIrql";
    /// KeReleaseSpinLock of a lock this CPU does not hold (bug check 0x10).
    pub const SPIN_LOCK_NOT_OWNED: &str = "SpinLockNotOwned";
    /// A lock acquired again by the CPU that holds it (bug check 0x0F; a certain deadlock).
    pub const SPIN_LOCK_RECURSION: &str = "SpinLockRecursion";
    /// A callback returned still holding a lock it took (SDV SpinlockRelease).
    pub const LOCK_HELD_AT_RETURN: &str = "LockHeldAtReturn";
    /// A callback returned at a different IRQL than it was entered at (SDV IrqlReturn).
    pub const IRQL_RETURN: &str = "IrqlReturn";
    /// Two locks taken in both orders, or the spin lock taken under the interrupt lock.
    pub const LOCK_ORDER: &str = "LockOrder";
    /// A request completed while a spin lock is held (SDV SpinLockSafe).
    pub const COMPLETE_UNDER_SPIN_LOCK: &str = "CompleteUnderSpinLock";
    /// A request completed twice (SDV DoubleCompletion).
    pub const DOUBLE_COMPLETION: &str = "DoubleCompletion";
    /// A request the driver received was dropped without being completed (RequestCompleted).
    pub const REQUEST_NEVER_COMPLETED: &str = "RequestNeverCompleted";
    /// STATUS_PENDING used as a completion status.
    pub const COMPLETE_WITH_PENDING: &str = "CompleteWithPending";
    /// Completion Information larger than the buffer it describes.
    pub const INFORMATION_TOO_LARGE: &str = "InformationTooLarge";
    /// A request completed while still marked cancelable.
    pub const COMPLETE_CANCELABLE: &str = "CompleteCancelable";
    /// A request completed after its cancel callback was scheduled but before it ran
    /// (SDV CompleteCanceledReq).
    pub const COMPLETE_CANCELED_REQUEST: &str = "CompleteCanceledReq";
    /// WdfRequestMarkCancelableEx on a request that is already cancelable.
    pub const MARK_CANCELABLE_TWICE: &str = "MarkCancelableTwice";
    /// WdfRequestUnmarkCancelable on a request that is not cancelable.
    pub const UNMARK_NOT_CANCELABLE: &str = "UnmarkNotCancelable";
    /// A DPC, timer or work item still queued or running when its device went away.
    pub const FREED_WHILE_QUEUED: &str = "FreedWhileQueued";
    /// IoQueueWorkItem of an item that is still queued.
    pub const WORK_ITEM_DOUBLE_QUEUE: &str = "WorkItemDoubleQueue";
    /// An ISR invocation cost more than the configured hard limit.
    pub const ISR_OVER_BUDGET: &str = "IsrOverBudget";
    /// A DPC invocation cost more than the configured hard limit.
    pub const DPC_OVER_BUDGET: &str = "DpcOverBudget";
    /// The ISR returned FALSE while its device still asserted the line (unclaimed interrupt).
    pub const UNCLAIMED_INTERRUPT: &str = "UnclaimedInterrupt";
    /// The interrupt was delivered without end at one instant: the ISR never clears its cause.
    pub const INTERRUPT_STORM: &str = "InterruptStorm";
    /// Every CPU waits for something no CPU will do (lock owners are in the message).
    pub const DEADLOCK: &str = "Deadlock";
    /// The simulation made no progress in time for too many steps (a busy loop).
    pub const LIVELOCK: &str = "Livelock";
    /// A UART register touched outside the ISR and outside the interrupt lock.
    pub const REGISTER_ACCESS_UNLOCKED: &str = "RegisterAccessUnlocked";
    /// IoWriteErrorLogEntry above DISPATCH_LEVEL (from the ISR), or an entry larger than
    /// ERROR_LOG_MAXIMUM_SIZE.
    pub const ERROR_LOG: &str = "ErrorLogEntry";
    /// Code running on a virtual CPU panicked.
    pub const PANIC: &str = "Panic";
}

/// One broken rule, with where and when it happened and the seed that reproduces it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The rule's name, one of [`rule`].
    pub rule: &'static str,
    /// What happened, in words.
    pub message: String,
    /// The virtual CPU it happened on (`None`: outside every CPU, e.g. at teardown).
    pub cpu: Option<usize>,
    /// Virtual time (100 ns units).
    pub time: u64,
    /// The run's seed.
    pub seed: u64,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cpu {
            Some(cpu) => write!(
                f,
                "[{}] cpu {} t={}: {}",
                self.rule, cpu, self.time, self.message
            ),
            None => write!(f, "[{}] t={}: {}", self.rule, self.time, self.message),
        }
    }
}
