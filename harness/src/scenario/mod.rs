//! Scenarios: the file format ([`parse`]), the loaded form ([`model`]), and the executor
//! ([`exec`]).

pub mod exec;
pub mod model;
pub mod parse;
pub mod source;

pub use exec::{Execution, StepFailure, Verdict, execute};
pub use model::{Action, Expect, Scenario, Step};
pub use parse::parse;
pub use source::{LoadError, Source};
