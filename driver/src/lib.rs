//! KMDF glue (placeholder).
#![cfg_attr(windows, no_std)]
