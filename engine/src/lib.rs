//! Driver engine (placeholder).
#![no_std]
