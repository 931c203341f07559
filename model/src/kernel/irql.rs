//! Interrupt request levels as the model uses them (nt-kernel-semantics §1).

use std::fmt;

/// An IRQL. The model uses PASSIVE, DISPATCH and one device level ([`Irql::DIRQL`]) for every
/// port's interrupt; APC and HIGH exist for completeness.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Irql(pub u8);

impl Irql {
    /// PASSIVE_LEVEL (0): dispatch routines, work items, create/close.
    pub const PASSIVE: Self = Self(0);
    /// APC_LEVEL (1).
    pub const APC: Self = Self(1);
    /// DISPATCH_LEVEL (2): DPCs, spin-lock holders.
    pub const DISPATCH: Self = Self(2);
    /// The device interrupt level: ISRs and interrupt-lock holders.
    pub const DIRQL: Self = Self(5);
    /// HIGH_LEVEL (15).
    pub const HIGH: Self = Self(15);
}

impl fmt::Display for Irql {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::PASSIVE => f.write_str("PASSIVE_LEVEL"),
            Self::APC => f.write_str("APC_LEVEL"),
            Self::DISPATCH => f.write_str("DISPATCH_LEVEL"),
            Self::DIRQL => f.write_str("DIRQL"),
            Self::HIGH => f.write_str("HIGH_LEVEL"),
            Self(other) => write!(f, "IRQL {other}"),
        }
    }
}
