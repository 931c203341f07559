//! The model backend through the `Port`/`Bench` traits, and the real-port peer (`PortPeer`)
//! exercised on the model's null-modem board, where port 1 plays the far end.

use serial_harness::backend::model::ModelBench;
use serial_harness::backend::{ModelTarget, PortPeer};
use serial_harness::port::{
    Bench, BenchFactory, FrameSpec, LineChange, LineFault, Peer, Port, PortError, Topology,
};
use serial_ioctl::{NtStatus, SerialIoctl};

fn null_modem() -> Box<dyn Bench> {
    ModelTarget::default()
        .create(Topology::NullModem, 11)
        .expect("a model bench")
}

fn set_baud(port: &mut dyn Port, baud: u32) {
    let result = port
        .device_control(SerialIoctl::SetBaudRate.code(), &baud.to_le_bytes(), 0)
        .unwrap();
    assert_eq!(result.status, NtStatus::SUCCESS);
}

#[test]
fn overlapped_requests_wait_in_virtual_time() {
    let mut bench = ModelTarget::default()
        .create(Topology::Loopback, 3)
        .unwrap();
    let mut port = bench.open(0).unwrap();
    let read = port.start_read(3).unwrap();
    // Opening and starting the read took their register accesses' time.
    let before = port.now().0;
    assert_eq!(port.wait(read, 1_000).unwrap(), None, "nothing sent yet");
    assert_eq!(
        port.now().0 - before,
        10_000_000,
        "exactly one virtual second passed"
    );
    let written = port.write(b"abc").unwrap();
    assert_eq!(written.status, NtStatus::SUCCESS);
    let read = port
        .wait(read, 1_000)
        .unwrap()
        .expect("the bytes came back");
    assert_eq!(read.data, b"abc");
    assert!(read.finished > read.started);
    assert_eq!(
        port.wait(read_handle_after_use(), 0),
        Err(PortError::UnknownHandle(read_handle_after_use()))
    );
}

fn read_handle_after_use() -> serial_harness::port::RequestHandle {
    serial_harness::port::RequestHandle(u64::MAX)
}

#[test]
fn a_second_open_is_refused_and_close_frees_the_port() {
    let mut bench = null_modem();
    let mut first = bench.open(0).unwrap();
    let refused = bench.open(0).err().expect("exclusive");
    assert_eq!(refused.status, NtStatus::ACCESS_DENIED);
    first.close().unwrap();
    assert_eq!(first.close(), Err(PortError::Closed));
    assert!(bench.open(0).is_ok());
}

#[test]
fn closing_cancels_pending_requests_which_stay_waitable() {
    let mut bench = null_modem();
    let mut port = bench.open(0).unwrap();
    let read = port.start_read(10).unwrap();
    port.close().unwrap();
    let result = port.wait(read, 0).unwrap().expect("completed by cleanup");
    assert_eq!(result.status, NtStatus::CANCELLED);
    assert_eq!(result.information, 0);
}

#[test]
fn counters_count_interrupts_and_dpcs() {
    let mut bench = ModelTarget::default()
        .create(Topology::Loopback, 5)
        .unwrap();
    let before = bench.counters().unwrap();
    let mut port = bench.open(0).unwrap();
    let read = port.start_read(32).unwrap();
    port.write(&[0x55; 32]).unwrap();
    port.wait(read, 1_000).unwrap().unwrap();
    let after = bench.counters().unwrap();
    assert!(after.interrupts > before.interrupts);
    assert!(after.dpcs > before.dpcs);
    assert!(after.requests_completed > before.requests_completed);
    assert!(bench.violations().is_empty(), "{:?}", bench.violations());
}

#[test]
fn internal_ioctls_reach_the_driver_on_the_model() {
    let mut bench = ModelBench::new(ModelTarget::default().config(Topology::None, 1));
    let mut port = bench.open_port(0).unwrap();
    let result = port
        .internal_device_control(serial_ioctl::IOCTL_SERIAL_INTERNAL_BASIC_SETTINGS, &[], 44)
        .unwrap();
    assert_eq!(result.status, NtStatus::SUCCESS);
    assert_eq!(result.information, 44);
}

/// Port 1 of the null-modem board as the far end of port 0.
fn port_peer(bench: &mut Box<dyn Bench>) -> PortPeer {
    let far = bench.open(1).unwrap();
    PortPeer::new(
        far,
        Box::new(|port: &mut dyn Port, ms| {
            // Let virtual time pass by waiting on a request that cannot complete.
            let handle = port.start_read(1).expect("read");
            if port.wait(handle, ms).expect("wait").is_none() {
                port.cancel(handle).expect("cancel");
                let _ = port.wait(handle, 1_000);
            }
        }),
    )
    .unwrap()
}

#[test]
fn a_port_peer_sends_and_receives_bytes() {
    let mut bench = null_modem();
    let mut near = bench.open(0).unwrap();
    set_baud(near.as_mut(), 9600);
    let mut peer = port_peer(&mut bench);
    let read = near.start_read(5).unwrap();
    peer.send(b"hello", None, 0).unwrap();
    let got = near.wait(read, 1_000).unwrap().expect("bytes arrived");
    assert_eq!(got.data, b"hello");
    near.write(b"back").unwrap();
    bench.sleep(20);
    assert_eq!(peer.received().unwrap(), b"back");
    peer.clear_received();
    assert_eq!(peer.received().unwrap(), b"");
}

#[test]
fn a_port_peer_drives_cts_and_dsr_through_the_cable() {
    let mut bench = null_modem();
    let mut near = bench.open(0).unwrap();
    let mut peer = port_peer(&mut bench);
    peer.set_lines(
        LineChange {
            cts: Some(false),
            dsr: Some(false),
            ..LineChange::default()
        },
        0,
    )
    .unwrap();
    let msr = near
        .device_control(SerialIoctl::GetModemStatus.code(), &[], 4)
        .unwrap();
    assert_eq!(msr.data[0] & 0xB0, 0, "CTS, DSR and DCD off");
    peer.set_lines(
        LineChange {
            cts: Some(true),
            ..LineChange::default()
        },
        0,
    )
    .unwrap();
    let msr = near
        .device_control(SerialIoctl::GetModemStatus.code(), &[], 4)
        .unwrap();
    assert_eq!(msr.data[0] & 0xB0, 0x10, "CTS on");
    let ri = peer.set_lines(
        LineChange {
            ri: Some(true),
            ..LineChange::default()
        },
        0,
    );
    assert!(matches!(ri, Err(PortError::Unsupported(_))));
}

#[test]
fn a_port_peer_makes_parity_errors_with_the_opposite_parity() {
    let mut bench = null_modem();
    let mut near = bench.open(0).unwrap();
    set_baud(near.as_mut(), 9600);
    near.device_control(SerialIoctl::SetLineControl.code(), &[0, 2, 8], 0)
        .unwrap();
    let mut peer = port_peer(&mut bench);
    assert!(matches!(
        peer.send_fault(LineFault::Parity, b'x', 0),
        Err(PortError::Unsupported(_))
    ));
    let even = FrameSpec {
        parity: 'E',
        ..FrameSpec::eight_n_one(9600)
    };
    peer.send(b"", Some(even), 0).unwrap();
    peer.send_fault(LineFault::Parity, b'x', 0).unwrap();
    bench.sleep(20);
    let status = near
        .device_control(SerialIoctl::GetCommStatus.code(), &[], 20)
        .unwrap();
    assert_eq!(
        status.data[0] & serial_ioctl::error::PARITY as u8,
        serial_ioctl::error::PARITY as u8
    );
}
