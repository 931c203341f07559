//! A deterministic model of the machine the 16550 driver runs on: the NT kernel services
//! ([`kernel`]), the 16550 UART ([`uart`]), what its ports are plugged into ([`wire`], [`peer`]),
//! and the board that advances them on one virtual clock ([`board`]).

pub mod board;
pub mod kernel;
pub mod peer;
pub mod uart;
pub mod wire;
