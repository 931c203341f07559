//! Turning scenario results into text: the nextest-style table ([`table`]), JSON ([`json`]) and
//! JUnit XML ([`junit`]). All of them consume the same [`crate::runner::ScenarioReport`]s.

pub mod json;
pub mod junit;
pub mod table;

pub use table::{failure_details, result_line, summary_line};
