//! [`SpinLockCell`] over an executive spin lock (KSPIN_LOCK).

use core::{cell::UnsafeCell, fmt};

use serial_engine::kernel::SpinLockCell;
use wdk_sys::{
    KSPIN_LOCK,
    ntddk::{KeAcquireSpinLockRaiseToDpc, KeReleaseSpinLock},
};

/// Data behind a KSPIN_LOCK, taken with KeAcquireSpinLockRaiseToDpc and released with
/// KeReleaseSpinLock.
///
/// The lock word is set up as zero, which is all `KeInitializeSpinLock` does on x64 (an inline
/// function there). A KSPIN_LOCK has no identity while it is free, so the cell may be moved into
/// the device context after construction; it is never moved while locked (it lives in the
/// engine, which stays in the device context until the device is destroyed).
pub struct KSpinLockCell<T> {
    lock: UnsafeCell<KSPIN_LOCK>,
    value: UnsafeCell<T>,
}

impl<T> KSpinLockCell<T> {
    /// A free lock around `value`.
    pub(crate) const fn new(value: T) -> Self {
        Self {
            lock: UnsafeCell::new(0),
            value: UnsafeCell::new(value),
        }
    }
}

impl<T> fmt::Debug for KSpinLockCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KSpinLockCell")
    }
}

// SAFETY:
// 1. The value is only reached through `lock`, which hands out `&mut T` to one holder at a time,
//    so sharing the cell between threads needs `T: Send` only.
unsafe impl<T: Send> Sync for KSpinLockCell<T> {}
// SAFETY:
// 1. Moving the cell moves the `T` it owns; the lock word carries no thread affinity.
unsafe impl<T: Send> Send for KSpinLockCell<T> {}

impl<T: Send> SpinLockCell<T> for KSpinLockCell<T> {
    fn lock<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY:
        // 1. `self.lock` is a valid, resident KSPIN_LOCK initialised to zero.
        // 2. The engine calls `lock` at IRQL <= DISPATCH_LEVEL and never recursively.
        let old_irql = unsafe { KeAcquireSpinLockRaiseToDpc(self.lock.get()) };
        // SAFETY:
        // 1. The spin lock is held, so this is the only live reference to the value.
        let result = f(unsafe { &mut *self.value.get() });
        // SAFETY:
        // 1. This thread holds the lock, acquired above with the RaiseToDpc form.
        // 2. `old_irql` is the IRQL that acquisition returned.
        unsafe { KeReleaseSpinLock(self.lock.get(), old_irql) };
        result
    }
}
