//! Slot numbers of the resident kernel objects.
//!
//! The device context keeps one KDPC per [`DpcKind`], one KTIMER + KDPC pair per [`TimerKind`]
//! and one IO_WORKITEM per [`WorkItemKind`], in arrays ordered like the kinds' `ALL` lists. These
//! functions are the only way the glue turns a kind into an array position, so a kind added to the
//! engine without a slot is a compile error here rather than a wrong object at run time.

use serial_engine::kernel::{DpcKind, TimerKind, WorkItemKind};

/// Number of CustomDpc objects (one per DPC kind).
pub const DPC_COUNT: usize = DpcKind::ALL.len();

/// Number of timers (each a KTIMER with its own KDPC).
pub const TIMER_COUNT: usize = TimerKind::ALL.len();

/// Number of IO_WORKITEMs.
pub const WORK_ITEM_COUNT: usize = WorkItemKind::ALL.len();

/// The slot of `kind`'s KDPC; equals its position in [`DpcKind::ALL`].
#[must_use]
pub const fn dpc_index(kind: DpcKind) -> usize {
    match kind {
        DpcKind::ReadComplete => 0,
        DpcKind::WriteComplete => 1,
        DpcKind::WaitComplete => 2,
        DpcKind::TransmitRefill => 3,
        DpcKind::ErrorAbort => 4,
        DpcKind::FlowControl => 5,
        DpcKind::Health => 6,
    }
}

/// The slot of `kind`'s KTIMER and timer KDPC; equals its position in [`TimerKind::ALL`].
#[must_use]
pub const fn timer_index(kind: TimerKind) -> usize {
    match kind {
        TimerKind::ReadTotal => 0,
        TimerKind::ReadInterval => 1,
        TimerKind::WriteTotal => 2,
        TimerKind::ImmediateTotal => 3,
        TimerKind::XoffCounter => 4,
        TimerKind::LowerRts => 5,
        TimerKind::TransmitWatchdog => 6,
        TimerKind::ErrorLog => 7,
    }
}

/// The slot of `kind`'s IO_WORKITEM; equals its position in [`WorkItemKind::ALL`].
#[must_use]
pub const fn work_item_index(kind: WorkItemKind) -> usize {
    match kind {
        WorkItemKind::ResizeReceiveBuffer => 0,
        WorkItemKind::Recover => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dpc_kind_owns_the_slot_of_its_position() {
        for (position, kind) in DpcKind::ALL.iter().enumerate() {
            assert_eq!(dpc_index(*kind), position, "{kind:?}");
        }
    }

    #[test]
    fn every_timer_kind_owns_the_slot_of_its_position() {
        for (position, kind) in TimerKind::ALL.iter().enumerate() {
            assert_eq!(timer_index(*kind), position, "{kind:?}");
        }
    }

    #[test]
    fn every_work_item_kind_owns_the_slot_of_its_position() {
        for (position, kind) in WorkItemKind::ALL.iter().enumerate() {
            assert_eq!(work_item_index(*kind), position, "{kind:?}");
        }
    }

    #[test]
    fn slots_fit_the_arrays_and_never_collide() {
        let mut seen = [false; DPC_COUNT];
        for kind in DpcKind::ALL {
            let slot = seen.get_mut(dpc_index(kind));
            assert_eq!(
                slot.as_deref(),
                Some(&false),
                "{kind:?} collides or is out of range"
            );
            if let Some(slot) = slot {
                *slot = true;
            }
        }
        assert!(seen.iter().all(|used| *used));
        assert!(
            TimerKind::ALL
                .iter()
                .all(|kind| timer_index(*kind) < TIMER_COUNT)
        );
        assert!(
            WorkItemKind::ALL
                .iter()
                .all(|kind| work_item_index(*kind) < WORK_ITEM_COUNT)
        );
    }
}
