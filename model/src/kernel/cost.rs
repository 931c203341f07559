//! The cost model behind the ISR/DPC time budgets (nt-kernel-semantics §2.4) and the time code
//! takes to run.
//!
//! The model does not measure host time: each ISR, DPC or callback invocation (dispatch routine,
//! cancel callback, work item, PnP and power callback) is charged a fixed entry cost,
//! a cost per register access and a cost per byte the driver copies between a request buffer and
//! its own buffers (reported through `Kernel::bytes_copied`) or writes as an IOCTL's output, plus
//! whatever the routine declares with [`crate::kernel::ModelKernel::stall`]. The sum is compared
//! with the documented budgets.
//!
//! With [`CostBudget::takes_time`] (the default) the charged cost also passes as virtual time: a
//! CPU is busy for it, at its next scheduling point (every register access is one), so each
//! register access happens that much after the previous one; the UART keeps shifting meanwhile,
//! other interrupts on a CPU in an ISR wait, and an ISR too slow for the line loses bytes to FIFO
//! overrun as hardware would. An ISR or DPC that interrupts a busy routine makes it finish later
//! by its own time. Tests that need exact timing switch it off ([`CostBudget::free`]).
//!
//! Where the default figures come from:
//! * 1 µs per register access: an `in`/`out` to a 16550 on the ISA/LPC bus takes about 1 µs on a
//!   PC (the bus runs at 8 MHz with wait states); in a virtual machine each one is a trap to the
//!   hypervisor, of the same order (1–2 µs for an emulated COM port).
//! * 1 µs per entry: the interrupt dispatch and return, the DPC dequeue, or the framework's
//!   request delivery, before the driver's first instruction (of the order WPA shows for short
//!   DPCs; the I/O manager's own per-request work in the caller's thread is not counted).
//! * 10 ns per copied byte: a copy at raised IRQL out of cache, with its call and bounds.

/// Costs (nanoseconds) and budgets. Over the warning level is a warning; over a hard limit, if set,
/// is a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CostBudget {
    /// Charged once per ISR, DPC or callback invocation.
    pub entry_ns: u64,
    /// Charged per register read or write.
    pub register_access_ns: u64,
    /// Charged per byte the driver copies at raised IRQL (and per IOCTL output byte).
    pub byte_ns: u64,
    /// Whether charged cost passes as virtual time on the CPU that runs the code.
    pub takes_time: bool,
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
            takes_time: true,
            isr_warn_ns: 25_000,
            dpc_warn_ns: 100_000,
            isr_limit_ns: None,
            dpc_limit_ns: None,
        }
    }
}

impl CostBudget {
    /// The default costs and budgets, charged and checked but taking no virtual time: code runs in
    /// an instant, for tests that assert exact times.
    #[must_use]
    pub fn free() -> Self {
        Self {
            takes_time: false,
            ..Self::default()
        }
    }
}
