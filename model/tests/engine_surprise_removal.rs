//! Surprise removal with a handle open (the COM port's card or USB adapter pulled, a VM's port
//! hot-unplugged): KMDF calls D0Exit and EvtDeviceSurpriseRemoval but purges the default queue
//! only after the last handle closes. Held requests and every later read, write, flush, IOCTL and
//! information request complete STATUS_DELETE_PENDING (as serial.sys fails I/O to a removed
//! port), and cleanup and close still work, so the handle closes and removal can finish.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_engine::file_information::FILE_STANDARD_INFORMATION;
use serial_ioctl::{NtStatus, SerialIoctl, ev};
use serial_model::kernel::{Machine, Operation};

fn status(m: &mut Machine, operation: Operation) -> NtStatus {
    m.call(0, operation).status
}

#[test]
fn held_requests_end_delete_pending_at_surprise_removal() {
    let mut m = peer_machine();
    let read = m.submit(0, Operation::Read { len: 10 });
    ok(set_wait_mask(&mut m, 0, ev::RING));
    let wait = start_wait(&mut m, 0);
    // 2 KiB at 9600 baud takes about 2 s: the write is still current.
    let write = m.submit(
        0,
        Operation::Write {
            data: payload(2048),
        },
    );
    let flush = m.submit(0, Operation::Flush);
    m.run_for(10 * MS);
    for handle in [read, wait, write, flush] {
        assert!(m.completion(handle).is_none(), "held before the removal");
    }

    m.surprise_remove(0);
    m.run_for(MS);
    for (what, handle) in [
        ("read", read),
        ("wait", wait),
        ("write", write),
        ("flush", flush),
    ] {
        let completion = m
            .completion(handle)
            .unwrap_or_else(|| panic!("{what} still pending"));
        assert_eq!(completion.status, NtStatus::DELETE_PENDING, "{what}");
    }
    m.close(0);
    assert!(m.finish().is_empty());
}

#[test]
fn every_new_request_fails_delete_pending_and_close_still_works() {
    let mut m = peer_machine();
    m.surprise_remove(0);
    assert_eq!(
        status(&mut m, Operation::Read { len: 1 }),
        NtStatus::DELETE_PENDING
    );
    assert_eq!(
        status(
            &mut m,
            Operation::Write {
                data: b"x".to_vec()
            }
        ),
        NtStatus::DELETE_PENDING
    );
    assert_eq!(status(&mut m, Operation::Flush), NtStatus::DELETE_PENDING);
    for code in [
        SerialIoctl::GetBaudRate,
        SerialIoctl::GetCommStatus,
        SerialIoctl::WaitOnMask,
    ] {
        let c = ioctl(&mut m, 0, code, &[], 64);
        assert_eq!(
            (c.status, c.information),
            (NtStatus::DELETE_PENDING, 0),
            "{code:?}"
        );
    }
    assert_eq!(
        status(
            &mut m,
            Operation::QueryInformation {
                class: FILE_STANDARD_INFORMATION,
                len: 24
            }
        ),
        NtStatus::DELETE_PENDING
    );
    m.close(0);
    assert_eq!(
        m.open(0),
        NtStatus::DELETE_PENDING,
        "no new open of a removed port"
    );
    assert!(m.finish().is_empty());
}
