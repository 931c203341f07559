//! `ntddser.h` constants, one module per field or register they belong to (serial-semantics §3).

pub mod commprop;
pub mod error;
pub mod ev;
pub mod fcr;
pub mod handflow;
pub mod hold;
pub mod line_control;
pub mod line_state;
pub mod lsrmst;
pub mod mcr;
pub mod msr;
pub mod purge;

/// Input clock of a standard PC 16550 in Hz; divisor 1 gives 115 200 baud.
pub const SERIAL_DEFAULT_CLOCK_HZ: u32 = 1_843_200;
