//! Interrupt-synchronized and spin-lock-protected storage with the checks Driver Verifier makes.
//!
//! The data sits in a host `Mutex` that is only ever taken without contention: the model's own lock
//! bookkeeping (which CPU owns which lock, with CPUs spinning by yielding to the scheduler) decides
//! who may touch it, and a failed `try_lock` would be a bug in the model itself.

use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use serial_engine::kernel::{InterruptCell, IsrContext, SpinLockCell};

use super::allocation::Scope;
use super::cpu::Shared;
use super::irql::Irql;
use super::verifier::rule;
use super::world::{LockId, World};

fn uncontended<T>(data: &Mutex<T>) -> MutexGuard<'_, T> {
    match data.try_lock() {
        Ok(guard) => guard,
        Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(TryLockError::WouldBlock) => {
            panic!(
                "serial-model bug: lock-protected data is in use while the model says the lock is free"
            )
        }
    }
}

impl Shared {
    /// KeAcquireSpinLock (RaiseToDpc) of `id`: returns the previous IRQL.
    pub(crate) fn acquire_spin_lock(&self, id: LockId, ddi: &str, at_dpc_level: bool) -> Irql {
        self.schedule();
        let Some(cpu) = self.current_cpu() else {
            return Irql::PASSIVE;
        };
        let mut world = self.lock();
        if at_dpc_level {
            let irql = world.cpus[cpu].irql;
            if irql != Irql::DISPATCH {
                world.violate(
                    rule::DDI_IRQL,
                    Some(cpu),
                    format!("{ddi} called at {irql}; it requires DISPATCH_LEVEL"),
                );
            }
        } else {
            world.check_irql(Some(cpu), Irql::DISPATCH, ddi);
        }
        let old = world.cpus[cpu].irql;
        world.cpus[cpu].irql = old.max(Irql::DISPATCH);
        drop(self.acquire_locked(world, cpu, id));
        old
    }

    /// KeReleaseSpinLock of `id`, back to `old`.
    pub(crate) fn release_spin_lock(&self, id: LockId, old: Irql, ddi: &str) {
        let Some(cpu) = self.current_cpu() else {
            return;
        };
        let mut world = self.lock();
        if world.release_lock(cpu, id, ddi) {
            world.cpus[cpu].irql = old;
        }
        drop(world);
        self.schedule();
    }

    /// Raises to DIRQL and takes `port`'s interrupt lock (KeSynchronizeExecution's first half).
    pub(crate) fn acquire_interrupt_lock(&self, port: usize, ddi: &str) -> Irql {
        self.schedule();
        let Some(cpu) = self.current_cpu() else {
            return Irql::PASSIVE;
        };
        let mut world = self.lock();
        world.check_irql(Some(cpu), Irql::DISPATCH, ddi);
        let old = world.cpus[cpu].irql;
        world.cpus[cpu].irql = old.max(Irql::DIRQL);
        drop(self.acquire_locked(world, cpu, World::interrupt_lock(port)));
        old
    }

    /// Releases `port`'s interrupt lock and lowers back to `old`.
    pub(crate) fn release_interrupt_lock(&self, port: usize, old: Irql, ddi: &str) {
        let Some(cpu) = self.current_cpu() else {
            return;
        };
        let mut world = self.lock();
        if world.release_lock(cpu, World::interrupt_lock(port), ddi) {
            world.cpus[cpu].irql = old;
        }
        drop(world);
        self.schedule();
    }
}

/// A raw executive spin lock (KSPIN_LOCK) with explicit acquire and release, for code that does not
/// fit the closure form of [`ModelSpinLockCell`] (and for tests of the lock rules).
#[derive(Clone, Debug)]
pub struct ModelSpinLock {
    shared: Arc<Shared>,
    id: LockId,
}

impl ModelSpinLock {
    pub(crate) fn new(shared: Arc<Shared>, name: String) -> Self {
        let id = shared.lock().new_lock(name);
        Self { shared, id }
    }

    /// KeAcquireSpinLock: caller ≤ DISPATCH; raises to DISPATCH; returns the previous IRQL.
    pub fn acquire(&self) -> Irql {
        self.shared
            .acquire_spin_lock(self.id, "KeAcquireSpinLock", false)
    }

    /// KeReleaseSpinLock: releases and returns to `old`.
    pub fn release(&self, old: Irql) {
        self.shared
            .release_spin_lock(self.id, old, "KeReleaseSpinLock");
    }

    /// KeAcquireSpinLockAtDpcLevel: caller exactly at DISPATCH.
    pub fn acquire_at_dpc_level(&self) {
        self.shared
            .acquire_spin_lock(self.id, "KeAcquireSpinLockAtDpcLevel", true);
    }

    /// KeReleaseSpinLockFromDpcLevel: stays at DISPATCH.
    pub fn release_from_dpc_level(&self) {
        self.shared
            .release_spin_lock(self.id, Irql::DISPATCH, "KeReleaseSpinLockFromDpcLevel");
    }
}

/// [`SpinLockCell`] of the model: the data behind one executive spin lock.
#[derive(Debug)]
pub struct ModelSpinLockCell<T> {
    lock: ModelSpinLock,
    data: Mutex<T>,
}

impl<T> ModelSpinLockCell<T> {
    pub(crate) fn new(shared: Arc<Shared>, name: String, value: T) -> Self {
        Self {
            lock: ModelSpinLock::new(shared, name),
            data: Mutex::new(value),
        }
    }
}

impl<T: Send> SpinLockCell<T> for ModelSpinLockCell<T> {
    fn lock<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let model = Scope::model();
        let old = self.lock.acquire();
        let result = model.as_caller(|| f(&mut uncontended(&self.data)));
        self.lock.release(old);
        result
    }
}

/// [`InterruptCell`] of the model: the data behind a port's interrupt lock.
#[derive(Debug)]
pub struct ModelInterruptCell<T> {
    shared: Arc<Shared>,
    port: usize,
    data: Mutex<T>,
}

impl<T> ModelInterruptCell<T> {
    pub(crate) const fn new(shared: Arc<Shared>, port: usize, value: T) -> Self {
        Self {
            shared,
            port,
            data: Mutex::new(value),
        }
    }
}

impl<T: Send> InterruptCell<T> for ModelInterruptCell<T> {
    fn synchronize<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let model = Scope::model();
        let old = self
            .shared
            .acquire_interrupt_lock(self.port, "WdfInterruptSynchronize");
        let result = model.as_caller(|| f(&mut uncontended(&self.data)));
        self.shared
            .release_interrupt_lock(self.port, old, "WdfInterruptSynchronize return");
        result
    }

    fn in_isr<R>(&self, _isr: &mut IsrContext, f: impl FnOnce(&mut T) -> R) -> R {
        let model = Scope::model();
        if let Some(cpu) = self.shared.current_cpu() {
            let mut world = self.shared.lock();
            let lock = World::interrupt_lock(self.port);
            if !world.cpus[cpu].held.contains(&lock) {
                let message = format!(
                    "interrupt-cell data of port {} used from an ISR that does not hold its interrupt lock",
                    self.port
                );
                world.violate(rule::SPIN_LOCK_NOT_OWNED, Some(cpu), message);
            }
        }
        model.as_caller(|| f(&mut uncontended(&self.data)))
    }
}
