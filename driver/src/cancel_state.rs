//! The cancel hand-shake of a request that KMDF does not manage.
//!
//! Flush requests reach the glue as raw IRPs (see [`crate::irp_dispatch`]), so
//! `WdfRequestMarkCancelableEx` is not available for them. [`CancelState`] gives them the same
//! contract the engine relies on for WDFREQUESTs:
//!
//! - `mark_cancelable` fails if cancellation was requested while the request was not cancelable
//!   (the engine then completes it with STATUS_CANCELLED itself);
//! - `unmark_cancelable` fails once the canceller has claimed the request (the engine must then
//!   leave it where `Device::cancel` finds it);
//! - [`CancelState::request_cancel`] returns `true` exactly when the caller has claimed the
//!   request and must run the cancel path (`Device::cancel`), like KMDF calling EvtRequestCancel.
//!
//! All transitions are single compare-exchanges, so they are safe at any IRQL and between CPUs.

use core::sync::atomic::{AtomicU8, Ordering};

/// Not cancelable, no cancellation requested.
const IDLE: u8 = 0;
/// Marked cancelable; a cancel request claims it.
const CANCELABLE: u8 = 1;
/// Cancellation was requested while not cancelable: the next mark fails.
const CANCEL_PENDING: u8 = 2;
/// The canceller owns the request (the cancel path runs or has run).
const CANCEL_CLAIMED: u8 = 3;

/// Why a transition was refused: the request is being (or must be) cancelled.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct CancelRefused;

/// Lock-free cancel state of one request.
#[derive(Debug, Default)]
pub struct CancelState(AtomicU8);

impl CancelState {
    /// A request that is not cancelable and not cancelled.
    #[must_use]
    pub const fn new() -> Self {
        Self(AtomicU8::new(IDLE))
    }

    /// Allows cancellation. Refused if a cancel request arrived while the request was not
    /// cancelable (or it is already claimed).
    ///
    /// # Errors
    /// [`CancelRefused`]: the caller still owns the request and completes it as cancelled.
    pub fn mark_cancelable(&self) -> Result<(), CancelRefused> {
        match self
            .0
            .compare_exchange(IDLE, CANCELABLE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) | Err(CANCELABLE) => Ok(()),
            Err(_) => Err(CancelRefused),
        }
    }

    /// Forbids cancellation again. Refused once the canceller has claimed the request.
    ///
    /// # Errors
    /// [`CancelRefused`]: the cancel path owns the request; the caller must not complete it.
    pub fn unmark_cancelable(&self) -> Result<(), CancelRefused> {
        match self
            .0
            .compare_exchange(CANCELABLE, IDLE, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) | Err(IDLE | CANCEL_PENDING) => Ok(()),
            Err(_) => Err(CancelRefused),
        }
    }

    /// Asks for cancellation. Returns `true` if the request was cancelable and the caller now owns
    /// the cancel path; otherwise the request is flagged so its next `mark_cancelable` fails.
    pub fn request_cancel(&self) -> bool {
        let mut current = self.0.load(Ordering::Acquire);
        loop {
            let next = match current {
                CANCELABLE => CANCEL_CLAIMED,
                IDLE => CANCEL_PENDING,
                _ => return false,
            };
            match self
                .0
                .compare_exchange(current, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return next == CANCEL_CLAIMED,
                Err(observed) => current = observed,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncancelled_request_marks_and_unmarks_freely() {
        let state = CancelState::new();
        assert_eq!(state.mark_cancelable(), Ok(()));
        assert_eq!(state.unmark_cancelable(), Ok(()));
        assert_eq!(state.mark_cancelable(), Ok(()));
        assert_eq!(state.unmark_cancelable(), Ok(()));
    }

    #[test]
    fn cancelling_a_cancelable_request_claims_it_once() {
        let state = CancelState::new();
        assert_eq!(state.mark_cancelable(), Ok(()));
        assert!(state.request_cancel());
        assert!(
            !state.request_cancel(),
            "a second cancel must not run the cancel path again"
        );
        assert_eq!(state.unmark_cancelable(), Err(CancelRefused));
        assert_eq!(state.mark_cancelable(), Err(CancelRefused));
    }

    #[test]
    fn cancelling_while_not_cancelable_fails_the_next_mark() {
        let state = CancelState::new();
        assert!(
            !state.request_cancel(),
            "nobody may run the cancel path for a held request"
        );
        assert_eq!(
            state.unmark_cancelable(),
            Ok(()),
            "unmarking a held request is harmless"
        );
        assert_eq!(state.mark_cancelable(), Err(CancelRefused));
        assert_eq!(state.mark_cancelable(), Err(CancelRefused));
    }

    #[test]
    fn racing_cancellers_claim_the_request_exactly_once() {
        use std::sync::Arc;
        for _ in 0..200 {
            let state = Arc::new(CancelState::new());
            assert_eq!(state.mark_cancelable(), Ok(()));
            let claims: usize = (0..4)
                .map(|_| {
                    let state = Arc::clone(&state);
                    std::thread::spawn(move || state.request_cancel())
                })
                .collect::<Vec<_>>()
                .into_iter()
                .map(|handle| handle.join().map_or(0, usize::from))
                .sum();
            assert_eq!(claims, 1);
        }
    }
}
