//! The event log: every event is folded into the trace hash at once, and the last few are kept as
//! plain values whose text is built only when someone reads them (a failure report,
//! [`crate::kernel::Machine::recent_events`]). Formatting every event as it happened cost more
//! host time than running the model.

use std::collections::VecDeque;

use serial_engine::kernel::Register;

use super::irql::Irql;
use super::random::TraceHash;
use super::world::{DpcObject, FrameKind, LockId};

/// How many recent events a failure report shows.
pub(crate) const RECENT_EVENTS: usize = 40;

/// One thing that happened, as data.
#[derive(Clone, Debug)]
pub(crate) enum Event {
    Enter {
        frame: FrameKind,
        level: Irql,
    },
    Leave(FrameKind),
    Acquire(LockId),
    Release(LockId),
    DpcInsert {
        object: DpcObject,
        queued: bool,
    },
    RegisterRead {
        register: Register,
        value: u8,
    },
    RegisterWrite {
        register: Register,
        value: u8,
    },
    IsrReturned {
        port: usize,
        claimed: bool,
    },
    /// Anything rare enough to be formatted when it happens.
    Text(String),
}

impl Event {
    /// Folds the event into `hash` without formatting it.
    fn hash_into(&self, hash: &mut TraceHash) {
        match self {
            Self::Enter { frame, level } => {
                hash.word(1);
                frame.hash_into(hash);
                hash.word(u64::from(level.0));
            }
            Self::Leave(frame) => {
                hash.word(2);
                frame.hash_into(hash);
            }
            Self::Acquire(id) => hash.word(3 | (id.0 as u64) << 8),
            Self::Release(id) => hash.word(4 | (id.0 as u64) << 8),
            Self::DpcInsert { object, queued } => {
                hash.word(5 | u64::from(*queued) << 8);
                object.hash_into(hash);
            }
            Self::RegisterRead { register, value } => {
                hash.word(6 | u64::from(*register as u8) << 8 | u64::from(*value) << 16);
            }
            Self::RegisterWrite { register, value } => {
                hash.word(7 | u64::from(*register as u8) << 8 | u64::from(*value) << 16);
            }
            Self::IsrReturned { port, claimed } => {
                hash.word(8 | u64::from(*claimed) << 8 | (*port as u64) << 16);
            }
            Self::Text(text) => {
                hash.word(9);
                hash.bytes(text.as_bytes());
            }
        }
    }

    /// The event as text; `lock_name` names a lock.
    pub(crate) fn describe(&self, lock_name: impl Fn(LockId) -> String) -> String {
        match self {
            Self::Enter { frame, level } => format!("enter {} at {level}", frame.describe()),
            Self::Leave(frame) => format!("leave {}", frame.describe()),
            Self::Acquire(id) => format!("acquire {}", lock_name(*id)),
            Self::Release(id) => format!("release {}", lock_name(*id)),
            Self::DpcInsert { object, queued } => {
                let result = if *queued { "TRUE" } else { "FALSE" };
                format!("KeInsertQueueDpc {object:?} -> {result}")
            }
            Self::RegisterRead { register, value } => format!("read {register:?} -> {value:#04x}"),
            Self::RegisterWrite { register, value } => {
                format!("write {register:?} = {value:#04x}")
            }
            Self::IsrReturned { port, claimed } => format!("ISR of port {port} returned {claimed}"),
            Self::Text(text) => text.clone(),
        }
    }
}

/// An event with when and where it happened.
#[derive(Clone, Debug)]
pub(crate) struct Recorded {
    pub time: u64,
    pub cpu: Option<usize>,
    pub event: Event,
}

impl Recorded {
    /// `t=… cpu …: what`.
    pub(crate) fn describe(&self, lock_name: impl Fn(LockId) -> String) -> String {
        let cpu = self.cpu.map_or_else(|| "-".to_owned(), |c| c.to_string());
        format!(
            "t={} cpu {cpu}: {}",
            self.time,
            self.event.describe(lock_name)
        )
    }
}

/// The trace hash and the window of recent events.
#[derive(Debug, Default)]
pub(crate) struct EventLog {
    pub hash: TraceHash,
    pub recent: VecDeque<Recorded>,
}

impl EventLog {
    pub(crate) fn record(&mut self, time: u64, cpu: Option<usize>, event: Event) {
        self.hash.word(time);
        self.hash.word(cpu.map_or(u64::MAX, |c| c as u64));
        event.hash_into(&mut self.hash);
        if self.recent.len() == RECENT_EVENTS {
            self.recent.pop_front();
        }
        self.recent.push_back(Recorded { time, cpu, event });
    }
}

impl FrameKind {
    fn hash_into(&self, hash: &mut TraceHash) {
        match self {
            Self::Isr(port) => hash.word(0x10 | (*port as u64) << 8),
            Self::Dpc(object) => object.hash_into(hash),
            Self::Job(name) => {
                hash.word(0x11);
                hash.bytes(name.as_bytes());
            }
        }
    }
}

impl DpcObject {
    fn hash_into(&self, hash: &mut TraceHash) {
        match self {
            Self::Custom { port, kind } => {
                hash.word(0x20 | (*port as u64) << 8 | (*kind as u64) << 32);
            }
            Self::Timer { port, kind } => {
                hash.word(0x21 | (*port as u64) << 8 | (*kind as u64) << 32);
            }
        }
    }
}
