//! Helpers shared by the UART test files.
#![allow(dead_code)]

use serial_model::uart::registers::{IER_DLM, IIR_FCR, LCR, MCR, RBR_THR_DLL, lcr};
use serial_model::uart::{FrameFormat, LineChar, LineErrors, Time, Uart16550};

/// Programs the divisor and LCR (DLAB cleared afterwards) and writes FCR.
pub fn configure(uart: &mut Uart16550, divisor: u16, lcr_value: u8, fcr_value: u8, now: Time) {
    let [low, high] = divisor.to_le_bytes();
    uart.write(LCR, lcr::DLAB, now);
    uart.write(RBR_THR_DLL, low, now);
    uart.write(IER_DLM, high, now);
    uart.write(LCR, lcr_value, now);
    uart.write(IIR_FCR, fcr_value, now);
}

/// Sets MCR.OUT2 so that the default gate passes interrupts.
pub fn enable_out2(uart: &mut Uart16550, now: Time) {
    uart.write(MCR, serial_model::uart::registers::mcr::OUT2, now);
}

/// A character whose stop bit ends at `at`.
pub fn line_char(data: u8, at: Time, format: FrameFormat) -> LineChar {
    LineChar {
        at,
        data,
        format,
        errors: LineErrors::NONE,
    }
}

/// Exact `count × bits / baud` seconds in 100 ns units, rounded up.
pub fn ceil_units(count: u128, bits_x2: u128, baud: u128) -> Time {
    let units = (count * bits_x2 * 10_000_000).div_ceil(2 * baud);
    Time::try_from(units).unwrap()
}
