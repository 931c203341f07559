//! Code takes the time it is charged: a CPU in an ISR is busy for its register accesses while the
//! line keeps delivering characters, so an ISR too slow for the line loses bytes to FIFO overrun,
//! as a 16550 behind a slow bus does, and the user sees SERIAL_ERROR_OVERRUN.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::error;
use serial_model::kernel::{CostBudget, Machine, Operation};

/// A PCI card's clock and its top rate: a character every 10.85 µs.
const CLOCK_HZ: u32 = 14_745_600;
const BAUD: u32 = 921_600;
const BYTES: usize = 16_000;

/// What a receiver at `BAUD`, trigger 14, ends with when every register access costs
/// `access_ns` and `takes_time` says whether that cost passes: (bytes read, FIFO overruns, the
/// error bits GET_COMMSTATUS reports).
fn receive_with(access_ns: u64, takes_time: bool) -> (Vec<u8>, u64, u32, Machine) {
    let mut m = peer_machine_at(BAUD, |config| {
        config.cost_budget = CostBudget {
            register_access_ns: access_ns,
            takes_time,
            ..CostBudget::default()
        };
        config.device.rx_fifo_trigger = 14;
        config.uart.clock_hz = CLOCK_HZ;
        config.device.clock_hz = CLOCK_HZ;
    });
    let read = m.submit(0, Operation::Read { len: BYTES });
    m.run_for(MS);
    let data = payload(BYTES);
    let now = m.now();
    let end = peer_send(&mut m, &data, now);
    m.run_until(end + 50 * MS);
    let overruns = m.board().uart(0).counters().overruns;
    // What the read got, complete or not (a lost byte leaves it short).
    m.cancel(read);
    m.run_for(MS);
    let got = m
        .completion(read)
        .map(|c| c.output.clone())
        .unwrap_or_default();
    let errors = comm_status(&mut m, 0).errors;
    (got, overruns, errors, m)
}

#[test]
fn at_a_microsecond_per_access_nothing_is_lost_at_921600() {
    let (got, overruns, errors, m) = receive_with(1_000, true);
    assert_eq!(got, payload(BYTES));
    assert_eq!((overruns, errors), (0, 0));
    // The CPU really was busy: a microsecond for every register access and every ISR and DPC
    // entry (the machine's whole life, opening and configuring included).
    let stats = m.stats();
    let charged = (stats.register_reads + stats.register_writes) * 1_000
        + (stats.interrupts_delivered + stats.total_dpc_runs()) * 1_000;
    assert!(
        stats.busy_ns >= charged,
        "busy {} ns, charged {charged} ns",
        stats.busy_ns
    );
}

/// 15 µs an access (a port emulated by a slow hypervisor): the ISR's first data read comes 31 µs
/// after the FIFO reached its trigger level, almost three character times, and the FIFO had room
/// for two more; each read then takes longer than a character.
#[test]
fn an_isr_too_slow_for_the_line_loses_bytes_to_fifo_overrun() {
    let (got, overruns, errors, _m) = receive_with(15_000, true);
    assert!(overruns > 0, "the FIFO never overran");
    assert!(got.len() < BYTES, "{} of {BYTES} bytes arrived", got.len());
    assert_ne!(errors & error::OVERRUN, 0, "errors {errors:#x}");
}

/// The same slow accesses charged but taking no time: the loss above comes from time passing.
#[test]
fn the_same_cost_taking_no_time_loses_nothing() {
    let (got, overruns, _errors, m) = receive_with(15_000, false);
    assert_eq!(got, payload(BYTES));
    assert_eq!(overruns, 0);
    assert_eq!(m.stats().busy_ns, 0);
}
