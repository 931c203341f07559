//! Counters a run accumulates ([`crate::kernel::Machine::stats`]).

use std::collections::BTreeMap;

use serial_engine::kernel::{DpcKind, TimerKind};

/// A routine whose invocations the model times (its charged cost), as WPA's DPC/ISR view does.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Routine {
    /// The ISR (all ports).
    Isr,
    /// A CustomDpc routine.
    Dpc(DpcKind),
    /// A timer's DPC routine.
    TimerDpc(TimerKind),
}

/// Upper bounds (exclusive, ns) of the histogram's buckets; the last bucket is everything above.
pub const COST_BUCKETS_NS: [u64; 7] = [1_000, 2_000, 5_000, 10_000, 25_000, 50_000, 100_000];

/// How long one routine's invocations took (charged cost).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CostHistogram {
    /// Invocations.
    pub count: u64,
    /// Their total cost, ns.
    pub total_ns: u64,
    /// The longest one, ns.
    pub max_ns: u64,
    /// Invocations per bucket: under 1, 2, 5, 10, 25, 50, 100 µs, and 100 µs or more.
    pub buckets: [u64; 8],
}

impl CostHistogram {
    /// Counts one invocation of `cost_ns`.
    pub fn record(&mut self, cost_ns: u64) {
        self.count += 1;
        self.total_ns = self.total_ns.saturating_add(cost_ns);
        self.max_ns = self.max_ns.max(cost_ns);
        let bucket = COST_BUCKETS_NS
            .iter()
            .position(|&bound| cost_ns < bound)
            .unwrap_or(COST_BUCKETS_NS.len());
        self.buckets[bucket] += 1;
    }

    /// The mean cost, ns.
    #[must_use]
    pub fn mean_ns(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.total_ns as f64 / self.count as f64
        }
    }
}

/// What happened during a run, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// ISR invocations.
    pub interrupts_delivered: u64,
    /// ISR invocations that returned TRUE.
    pub isr_claimed: u64,
    /// ISR invocations that returned FALSE.
    pub isr_unclaimed: u64,
    /// KeInsertQueueDpc calls that queued the DPC (TRUE).
    pub dpc_inserts_queued: u64,
    /// KeInsertQueueDpc calls that found it queued (FALSE).
    pub dpc_inserts_coalesced: u64,
    /// CustomDpc routine runs per kind.
    pub dpc_runs: BTreeMap<DpcKind, u64>,
    /// Timer DPC routine runs per timer.
    pub timer_dpc_runs: BTreeMap<TimerKind, u64>,
    /// Times a DPC routine started while another instance of the same DPC was running.
    pub dpc_concurrent_runs: u64,
    /// KeSetTimer calls.
    pub timer_sets: u64,
    /// KeSetTimer calls that replaced a pending setting (returned TRUE).
    pub timer_resets: u64,
    /// Timer expiries (each queues the timer's DPC).
    pub timer_expiries: u64,
    /// KeCancelTimer calls that cancelled (TRUE).
    pub timer_cancels: u64,
    /// KeCancelTimer calls that found nothing to cancel (FALSE).
    pub timer_cancel_misses: u64,
    /// IoQueueWorkItem calls.
    pub work_items_queued: u64,
    /// Work-item routine runs.
    pub work_items_run: u64,
    /// Cancel callbacks run.
    pub cancel_callbacks: u64,
    /// Requests completed.
    pub requests_completed: u64,
    /// Largest single ISR cost, nanoseconds.
    pub max_isr_cost_ns: u64,
    /// Virtual CPU time spent executing charged cost (nanoseconds, whole 100 ns units), when cost
    /// takes time ([`super::CostBudget::takes_time`]).
    pub busy_ns: u64,
    /// Largest single DPC cost, nanoseconds.
    pub max_dpc_cost_ns: u64,
    /// UART register reads.
    pub register_reads: u64,
    /// UART register writes.
    pub register_writes: u64,
    /// Scheduling decisions taken.
    pub decisions: u64,
    /// Decisions that moved execution to a different CPU.
    pub cpu_switches: u64,
    /// Per routine: how long its invocations took (the charged cost), WPA-style.
    pub routine_costs: BTreeMap<Routine, CostHistogram>,
}

impl Stats {
    /// Total CustomDpc runs over all kinds.
    #[must_use]
    pub fn total_dpc_runs(&self) -> u64 {
        self.dpc_runs.values().sum()
    }
}
