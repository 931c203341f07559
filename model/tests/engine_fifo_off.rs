//! "Use FIFO buffers" unchecked on the Ports property page (`ForceFifoEnable` = 0, the driver's
//! `DeviceConfig::fifo_enabled`): the UART runs without FIFOs and the engine still moves every
//! byte, one per interrupt each way.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_model::kernel::{Machine, Operation};

fn port(fifo_enabled: bool) -> Machine {
    peer_machine_with(|config| config.device.fifo_enabled = fifo_enabled)
}

#[test]
fn without_fifos_every_byte_still_arrives_and_leaves_one_interrupt_each() {
    let mut m = port(false);
    assert!(
        !m.board().uart(0).fifo_enabled(),
        "FCR must leave the FIFOs off"
    );
    let data = payload(64);
    let before = m.stats().interrupts_delivered;
    let start = m.now();
    let end = peer_send(&mut m, &data, start);
    m.run_until(end + char_time(9600));
    assert_eq!(read_now(&mut m, 0, data.len()), data);
    let received_interrupts = m.stats().interrupts_delivered - before;
    assert!(
        received_interrupts >= data.len() as u64,
        "one receive interrupt per byte without a FIFO, got {received_interrupts}"
    );

    let write = ok(m.call(0, Operation::Write { data: data.clone() }));
    assert_eq!(write.information, data.len());
    let now = m.now();
    m.run_until(now + 2 * char_time(9600));
    assert_eq!(peer_received(&m), data);
}

#[test]
fn with_fifos_the_same_traffic_takes_fewer_interrupts() {
    let mut m = peer_machine_with(|config| {
        config.device.fifo_enabled = true;
        config.device.rx_fifo_trigger = 8;
    });
    assert!(m.board().uart(0).fifo_enabled());
    let data = payload(64);
    let before = m.stats().interrupts_delivered;
    let start = m.now();
    let end = peer_send(&mut m, &data, start);
    m.run_until(end + 8 * char_time(9600));
    assert_eq!(read_now(&mut m, 0, data.len()), data);
    assert!(m.stats().interrupts_delivered - before < data.len() as u64 / 2);
}
