//! A deterministic model of the machine the 16550 driver runs on: the NT kernel services
//! ([`kernel`]), the 16550 UART ([`uart`]), what its ports are plugged into ([`wire`], [`peer`]),
//! and the board that advances them on one virtual clock ([`board`]).

pub mod board;
pub mod kernel;
pub mod peer;
pub mod uart;
pub mod wire;

/// Every program the model is linked into allocates through it, so a test can make the engine's
/// heap run out ([`kernel::AllocationFailures`]); it is the system allocator otherwise.
#[global_allocator]
static ALLOCATOR: kernel::InjectingAllocator = kernel::InjectingAllocator;
