//! `SERIAL_LINE_CONTROL` field values: stop bits and parity (serial-semantics §3.3).

/// `STOP_BIT_1`: one stop bit.
pub const STOP_BIT_1: u8 = 0;
/// `STOP_BITS_1_5`: one and a half stop bits (5 data bits only).
pub const STOP_BITS_1_5: u8 = 1;
/// `STOP_BITS_2`: two stop bits (not with 5 data bits).
pub const STOP_BITS_2: u8 = 2;

/// `NO_PARITY`: no parity bit.
pub const NO_PARITY: u8 = 0;
/// `ODD_PARITY`: odd parity.
pub const ODD_PARITY: u8 = 1;
/// `EVEN_PARITY`: even parity.
pub const EVEN_PARITY: u8 = 2;
/// `MARK_PARITY`: parity bit always 1.
pub const MARK_PARITY: u8 = 3;
/// `SPACE_PARITY`: parity bit always 0.
pub const SPACE_PARITY: u8 = 4;
