//! The kernel-services boundary: everything the engine needs from the NT kernel, and nothing more.
//!
//! The engine is generic over [`Kernel`]. Two implementations exist: the KMDF glue in the `driver`
//! crate (Windows) and the deterministic kernel model in the `model` crate (any host). Each
//! operation documents the NT routine it stands for and its IRQL contract; the model checks those
//! contracts at run time the way Driver Verifier would.
//!
//! Objects the kernel must keep resident (KDPC, KTIMER, IO_WORKITEM) are owned by the
//! implementation and named here by kind ([`DpcKind`], [`TimerKind`], [`WorkItemKind`]): one object
//! per kind, each with its own routine, so no per-event data ever travels in DPC arguments.
//!
//! IRQL vocabulary: PASSIVE (0) < DISPATCH (2) < DIRQL (the device's interrupt level).

use serial_ioctl::NtStatus;

/// A span of virtual or real time in 100-nanosecond units, the unit of KeSetTimer and
/// KeQueryInterruptTime.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(u64);

impl Duration {
    /// Zero time.
    pub const ZERO: Self = Self(0);

    /// A duration of `units` × 100 ns.
    #[must_use]
    pub const fn from_100ns(units: u64) -> Self {
        Self(units)
    }

    /// A duration of `us` microseconds (saturating).
    #[must_use]
    pub const fn from_micros(us: u64) -> Self {
        Self(us.saturating_mul(10))
    }

    /// A duration of `ms` milliseconds (saturating).
    #[must_use]
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms.saturating_mul(10_000))
    }

    /// The duration in 100-ns units.
    #[must_use]
    pub const fn as_100ns(self) -> u64 {
        self.0
    }

    /// Sum, saturating at the largest representable time.
    #[must_use]
    pub const fn saturating_add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }

    /// Difference, saturating at zero.
    #[must_use]
    pub const fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

/// A point on the interrupt-time clock (100 ns since boot; KeQueryInterruptTime).
pub type Instant = Duration;

/// The 16550 registers by I/O offset. Offsets 0 and 1 alias the divisor latch when LCR.DLAB = 1.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Register {
    /// RBR (read) / THR (write) / DLL (DLAB = 1).
    Data = 0,
    /// IER / DLM (DLAB = 1).
    InterruptEnable = 1,
    /// IIR (read) / FCR (write).
    InterruptIdFifoControl = 2,
    /// LCR.
    LineControl = 3,
    /// MCR.
    ModemControl = 4,
    /// LSR.
    LineStatus = 5,
    /// MSR.
    ModemStatus = 6,
    /// SCR.
    Scratch = 7,
}

impl Register {
    /// The I/O offset from the port base.
    #[must_use]
    pub const fn offset(self) -> u8 {
        self as u8
    }
}

/// The operation-specific CustomDpc routines. Each kind is one KDPC initialized once with its own
/// routine (KeInitializeDpc) and queued with KeInsertQueueDpc. A DPC carries no arguments: its
/// routine drains all pending work of its kind from the device context.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DpcKind {
    /// Bytes arrived (or a read can finish): copy from the receive ring to the current read.
    ReadComplete,
    /// The ISR handed the last byte of the current write (or immediate char) to the UART.
    WriteComplete,
    /// A wait-on-mask event occurred while a wait was pending.
    WaitComplete,
    /// The ISR needs more transmit bytes staged from the current write.
    TransmitRefill,
    /// A line error occurred with ERROR_ABORT on: cancel reads and writes.
    ErrorAbort,
    /// The ISR saw a modem-status or XON/XOFF change that may release or hold transmission.
    FlowControl,
    /// The ISR counted device errors to log, or masked a UART whose interrupt would not clear:
    /// gather the log entries and queue the recovery work item.
    Health,
}

impl DpcKind {
    /// Every DPC kind, in declaration order (index = position).
    pub const ALL: [Self; 7] = [
        Self::ReadComplete,
        Self::WriteComplete,
        Self::WaitComplete,
        Self::TransmitRefill,
        Self::ErrorAbort,
        Self::FlowControl,
        Self::Health,
    ];
}

/// The timers. Each is one KTIMER paired with its own KDPC (KeSetTimer(timer, due, dpc)); expiry
/// queues that DPC, which calls [`crate::Device::timer_expired`] with the kind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TimerKind {
    /// Total timeout of the current read.
    ReadTotal,
    /// Interval timeout of the current read (re-armed on every arrival).
    ReadInterval,
    /// Total timeout of the current write or XOFF-counter send.
    WriteTotal,
    /// Total timeout of the pending immediate character.
    ImmediateTotal,
    /// The XOFF counter's own timeout.
    XoffCounter,
    /// Transmit-toggle: lower RTS once the shift register has emptied.
    LowerRts,
    /// While a write is current: has the UART taken a byte lately? Retries a lost THRE with the
    /// IER kick, and escalates to recovery when retries do not help.
    TransmitWatchdog,
    /// The end of the error log's gathering window: write the gathered entries.
    ErrorLog,
}

impl TimerKind {
    /// Every timer kind, in declaration order.
    pub const ALL: [Self; 8] = [
        Self::ReadTotal,
        Self::ReadInterval,
        Self::WriteTotal,
        Self::ImmediateTotal,
        Self::XoffCounter,
        Self::LowerRts,
        Self::TransmitWatchdog,
        Self::ErrorLog,
    ];
}

/// The PASSIVE_LEVEL work items (IoAllocateWorkItem once, IoQueueWorkItem with
/// DelayedWorkQueue). The engine never queues an item that is still queued.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkItemKind {
    /// Allocate a larger receive ring for a SET_QUEUE_SIZE that reached the head of the read queue.
    ResizeReceiveBuffer,
    /// Probe a masked UART, reset and reprogram it, or fail the device: recovery waits between
    /// attempts, so it runs at PASSIVE_LEVEL.
    Recover,
}

impl WorkItemKind {
    /// Every work-item kind, in declaration order.
    pub const ALL: [Self; 2] = [Self::ResizeReceiveBuffer, Self::Recover];
}

/// Proof that the caller is the device's ISR, running at DIRQL with the interrupt spin lock held.
/// Only a platform's ISR trampoline creates one.
#[derive(Debug)]
pub struct IsrContext {
    _private: (),
}

impl IsrContext {
    /// Creates the proof for one ISR invocation.
    ///
    /// # Safety
    /// The caller is the interrupt service routine of this device, at DIRQL, holding the
    /// interrupt object's spin lock for the lifetime of the returned value.
    #[must_use]
    #[allow(unsafe_code, reason = "the caller vouches for the ISR context")]
    pub const unsafe fn new() -> Self {
        Self { _private: () }
    }
}

/// Data shared with the ISR, reachable only with the interrupt spin lock held.
///
/// Windows: the interrupt object's lock (WdfInterruptAcquireLock / KeSynchronizeExecution).
pub trait InterruptCell<T>: Send + Sync {
    /// Runs `f` with the interrupt lock held (KeSynchronizeExecution / WdfInterruptSynchronize).
    ///
    /// IRQL: caller ≤ DISPATCH (never from the ISR itself: the lock is already held there); `f`
    /// runs at DIRQL and must be as short as an ISR: registers and a few fields, no waiting.
    fn synchronize<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;

    /// Runs `f` on the data from inside the ISR, which already holds the lock.
    ///
    /// IRQL: DIRQL (ISR only).
    fn in_isr<R>(&self, isr: &mut IsrContext, f: impl FnOnce(&mut T) -> R) -> R;
}

/// Data shared by dispatch routines, DPCs, timers and cancel routines, behind the device's
/// executive spin lock (KeAcquireSpinLockRaiseToDpc / KeReleaseSpinLock).
pub trait SpinLockCell<T>: Send + Sync {
    /// Runs `f` with the spin lock held at DISPATCH_LEVEL, then restores the caller's IRQL.
    ///
    /// IRQL: caller ≤ DISPATCH. Never completes a request inside `f` (the engine collects
    /// completions and completes them after the lock is released). The interrupt lock may be taken
    /// inside `f`; the spin lock is never taken with the interrupt lock held.
    fn lock<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

/// Why a request could not be marked or unmarked cancelable.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Cancelled;

/// An I/O request the engine holds. Move-only: [`Request::complete`] consumes it, so a request is
/// completed at most once by construction; the platform flags one that is dropped uncompleted.
pub trait Request: Send {
    /// A stable identity for cancel callbacks to find the request.
    fn id(&self) -> RequestId;

    /// The input buffer: write data or the IOCTL input. METHOD_BUFFERED IOCTLs share one system
    /// buffer between input and output, so read all input before writing output.
    fn input(&self) -> &[u8];

    /// The output buffer: read destination or the IOCTL output.
    fn output(&mut self) -> &mut [u8];

    /// Allows cancellation (WdfRequestMarkCancelableEx). `Err(Cancelled)` if the request was
    /// already cancelled: the caller still owns it and completes it with STATUS_CANCELLED.
    ///
    /// IRQL: ≤ DISPATCH.
    fn mark_cancelable(&mut self) -> Result<(), Cancelled>;

    /// Forbids cancellation again (WdfRequestUnmarkCancelable). `Err(Cancelled)` means the cancel
    /// callback has run or is about to run for this request: the caller must leave the request
    /// where [`crate::Device::cancel`] will find it and must not complete it.
    ///
    /// IRQL: ≤ DISPATCH.
    fn unmark_cancelable(&mut self) -> Result<(), Cancelled>;

    /// Completes the request (WdfRequestCompleteWithInformation).
    ///
    /// IRQL: ≤ DISPATCH, with no spin lock held.
    fn complete(self, status: NtStatus, information: usize);
}

/// The identity of a request (the WDFREQUEST handle value on Windows).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// The kernel services the engine runs on.
///
/// Implementations: the KMDF glue (`driver` crate) and the kernel model (`model` crate).
pub trait Kernel: Send + Sync + Sized {
    /// The I/O request handle type.
    type Request: Request;
    /// Interrupt-synchronized storage.
    type InterruptCell<T: Send>: InterruptCell<T>;
    /// Spin-lock-protected storage.
    type SpinLockCell<T: Send>: SpinLockCell<T>;

    /// Wraps `value` for access under the interrupt lock. Called once while the device is built.
    fn new_interrupt_cell<T: Send>(&self, value: T) -> Self::InterruptCell<T>;

    /// Wraps `value` for access under the device spin lock. Called once while the device is built.
    fn new_spin_lock_cell<T: Send>(&self, value: T) -> Self::SpinLockCell<T>;

    /// Reads a UART register (READ_PORT_UCHAR). Reads have side effects (RBR pops, LSR clears).
    ///
    /// IRQL: any; the engine calls it only inside the ISR or under the interrupt lock.
    fn read_register(&self, register: Register) -> u8;

    /// Writes a UART register (WRITE_PORT_UCHAR).
    ///
    /// IRQL: any; the engine calls it only inside the ISR or under the interrupt lock.
    fn write_register(&self, register: Register, value: u8);

    /// Queues the DPC of `kind` (KeInsertQueueDpc). Returns `true` if it was queued, `false` if it
    /// already was (the routine will run once for both requests).
    ///
    /// IRQL: any (the ISR's way to defer work).
    fn insert_dpc(&self, kind: DpcKind) -> bool;

    /// Sets the timer of `kind` to expire `due` from now (KeSetTimer with a negative, relative
    /// DueTime). Re-setting a set timer replaces its due time. Returns `true` if it was set before.
    ///
    /// IRQL: ≤ DISPATCH (never from the ISR).
    fn set_timer(&self, kind: TimerKind, due: Duration) -> bool;

    /// Cancels the timer of `kind` (KeCancelTimer). Returns `true` if it was set and is now
    /// cancelled; `false` if it was not set or already expired, in which case its DPC may be queued
    /// or running and the engine's state machine must tolerate it.
    ///
    /// IRQL: ≤ DISPATCH (never from the ISR).
    fn cancel_timer(&self, kind: TimerKind) -> bool;

    /// Queues the work item of `kind` (IoQueueWorkItem, DelayedWorkQueue); its routine runs at
    /// PASSIVE_LEVEL and calls [`crate::Device::run_work_item`]. The engine never queues an item
    /// that is still queued.
    ///
    /// IRQL: ≤ DISPATCH (never from the ISR).
    fn queue_work_item(&self, kind: WorkItemKind);

    /// The interrupt-time clock (KeQueryInterruptTime).
    ///
    /// IRQL: any.
    fn now(&self) -> Instant;

    /// Waits without spinning (KeDelayExecutionThread, relative), letting everything else run.
    ///
    /// IRQL: PASSIVE only (create/close paths).
    fn delay(&self, duration: Duration);

    /// Writes one entry to the system event log (IoAllocateErrorLogEntry with the entry's size,
    /// then IoWriteErrorLogEntry). An entry that cannot be allocated is dropped: logging never
    /// fails an operation.
    ///
    /// IRQL: ≤ DISPATCH (never from the ISR).
    fn write_error_log(&self, entry: &crate::error_log::ErrorLogEntry);

    /// Reports that the device cannot work (WdfDeviceSetFailed, WdfDeviceFailedNoRestart): the
    /// PnP manager stops and removes it. The engine has already completed every request.
    ///
    /// IRQL: ≤ DISPATCH.
    fn fail_device(&self);

    /// Reports `count` bytes the running routine copied between a request buffer and the
    /// receive ring or transmit staging. Windows does nothing with it; the kernel model charges it
    /// to the running ISR's or DPC's cost budget, so a routine that moves too much data at
    /// raised IRQL is flagged.
    ///
    /// IRQL: any.
    fn bytes_copied(&self, count: usize) {
        let _ = count;
    }
}
