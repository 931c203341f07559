//! The cost model behind the ISR/DPC time budgets (nt-kernel-semantics §2.4).
//!
//! The model does not measure host time: each ISR or DPC invocation is charged a fixed entry cost,
//! a cost per register access (port I/O in a virtual machine is slow) and a cost per byte the driver
//! copies between a request buffer and its own buffers (reported through
//! `Kernel::bytes_copied`) or writes as an IOCTL's output, plus whatever the routine declares with
//! [`crate::kernel::ModelKernel::stall`]. The sum is compared with the documented budgets.

/// Costs (nanoseconds) and budgets. Over the warning level is a warning; over a hard limit, if set,
/// is a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostBudget {
    /// Charged once per ISR or DPC invocation.
    pub entry_ns: u64,
    /// Charged per register read or write.
    pub register_access_ns: u64,
    /// Charged per byte the driver copies at raised IRQL (and per IOCTL output byte).
    pub byte_ns: u64,
    /// ISR warning level (Microsoft: 25 µs).
    pub isr_warn_ns: u64,
    /// DPC warning level (Microsoft: 100 µs).
    pub dpc_warn_ns: u64,
    /// ISR hard limit (a violation); `None` = warnings only.
    pub isr_limit_ns: Option<u64>,
    /// DPC hard limit (a violation); `None` = warnings only.
    pub dpc_limit_ns: Option<u64>,
}

impl Default for CostBudget {
    fn default() -> Self {
        Self {
            entry_ns: 1_000,
            register_access_ns: 1_000,
            byte_ns: 10,
            isr_warn_ns: 25_000,
            dpc_warn_ns: 100_000,
            isr_limit_ns: None,
            dpc_limit_ns: None,
        }
    }
}
