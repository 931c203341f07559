//! Power transitions with the port open (serial-semantics.md §14.4): D0Exit quiets the UART,
//! D0Entry restores its programming, and the open port carries on with its settings.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_ioctl::{NtStatus, SerialBaudRate, SerialIoctl};
use serial_model::kernel::Operation;
use serial_model::wire::Topology;

/// What D3 does to a UART: its registers come back at power-on values (9600 baud, 5N1, no
/// interrupts, FIFOs off, lines low).
fn lose_programming(m: &mut serial_model::kernel::Machine) {
    let now = m.now();
    let mut board = m.board_mut();
    for (offset, value) in [
        (3, 0x80),
        (0, 12),
        (1, 0),
        (3, 0x00),
        (1, 0x00),
        (2, 0x00),
        (4, 0x00),
    ] {
        board.write(0, offset, value, now);
    }
}

#[test]
fn an_open_port_survives_a_power_cycle_with_its_settings() {
    let mut m = machine(Topology::Loopback);
    open_8n1(&mut m, 0, 19_200);
    let before = m.call(
        0,
        Operation::Write {
            data: b"before".to_vec(),
        },
    );
    assert_eq!(before.status, NtStatus::SUCCESS);
    m.run_for(20 * MS);

    m.power_down(0);
    lose_programming(&mut m);
    m.power_up(0);

    // The UART was reprogrammed: the same rate and frame, interrupts working again.
    assert_eq!(m.board().uart(0).divisor(), 6);
    let baud = ioctl(&mut m, 0, SerialIoctl::GetBaudRate, &[], 4);
    assert_eq!(baud.output, bytes!(SerialBaudRate { baud_rate: 19_200 }));
    set_timeouts(&mut m, 0, u32::MAX, 0, 0, 0, 0);
    let stale = m.call(0, Operation::Read { len: 64 });
    assert_eq!(stale.output, b"before");
    set_timeouts(&mut m, 0, 0, 0, 0, 0, 0);
    let start = m.now();
    let read = m.submit(0, Operation::Read { len: 5 });
    let write = m.call(
        0,
        Operation::Write {
            data: b"after".to_vec(),
        },
    );
    assert_eq!(write.status, NtStatus::SUCCESS);
    let read = m
        .run_until_complete(read, 1_000 * MS)
        .expect("read after D0Entry completes");
    assert_eq!(
        (read.status, read.output.as_slice()),
        (NtStatus::SUCCESS, &b"after"[..])
    );
    // 5 characters at 19200 plus the character timeout (4 characters) for a tail below the trigger.
    let expected = (9 * 10 * 10_000_000u64).div_ceil(19_200);
    let ct = char_time(19_200);
    assert!(
        read.completed_at - start <= expected + ct,
        "{}",
        m.replay_line()
    );
    m.close(0);
    assert!(m.finish().is_empty());
}

#[test]
fn a_closed_port_powers_up_quietly_and_opens_normally() {
    let mut m = machine(Topology::Loopback);
    m.power_down(0);
    m.power_up(0);
    open_8n1(&mut m, 0, 115_200);
    let read = m.submit(0, Operation::Read { len: 3 });
    m.call(
        0,
        Operation::Write {
            data: b"abc".to_vec(),
        },
    );
    let read = m
        .run_until_complete(read, 100 * MS)
        .expect("read completes");
    assert_eq!(read.output, b"abc");
    m.close(0);
    assert!(m.finish().is_empty());
}
