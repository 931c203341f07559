//! The pseudo-terminal bridge end to end (Unix): bytes written to the terminal side go through
//! the whole driver path on a loopback plug and come back, in order, within a bounded time.
#![cfg(unix)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use serial_harness::bridge::{BridgeOptions, run};

/// Reads from `terminal` until `wanted` bytes arrived or `limit` passed.
fn read_for(terminal: &mut File, wanted: usize, limit: Duration) -> Vec<u8> {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buffer = [0u8; 256];
    while got.len() < wanted && Instant::now() < deadline {
        let fd = terminal.as_fd();
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        let timeout = Timespec {
            tv_sec: 0,
            tv_nsec: 50_000_000,
        };
        if poll(&mut fds, Some(&timeout)).unwrap() > 0 {
            let count = terminal.read(&mut buffer).unwrap();
            got.extend_from_slice(&buffer[..count]);
        }
    }
    got
}

fn open_terminal(path: &std::path::Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc_noctty())
        .open(path)
        .unwrap()
}

/// `O_NOCTTY`, so the test process does not acquire the pty as its controlling terminal.
fn libc_noctty() -> i32 {
    i32::try_from(rustix::fs::OFlags::NOCTTY.bits()).unwrap()
}

#[test]
fn bytes_written_to_the_pty_come_back_through_the_loopback_port() {
    let stop = Arc::new(AtomicBool::new(false));
    let (path_tx, path_rx) = mpsc::channel::<PathBuf>();
    let bridge = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            run(BridgeOptions::default(), &stop, |path| {
                path_tx.send(path.to_path_buf()).unwrap();
            })
        })
    };
    let path = path_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the bridge reports its pty");
    let mut terminal = open_terminal(&path);
    terminal.write_all(b"hello").unwrap();
    let echoed = read_for(&mut terminal, 5, Duration::from_secs(10));
    terminal.write_all(&[0x00, 0x0D, 0x0A, 0xFF]).unwrap();
    let binary = read_for(&mut terminal, 4, Duration::from_secs(10));
    stop.store(true, Ordering::Relaxed);
    let stats = bridge.join().unwrap().expect("the bridge ran cleanly");
    assert_eq!(echoed, b"hello");
    assert_eq!(
        binary,
        [0x00, 0x0D, 0x0A, 0xFF],
        "raw mode: bytes pass unchanged"
    );
    assert_eq!(stats.to_port, 9);
    assert_eq!(stats.from_port, 9);
}

#[test]
fn the_bridge_command_prints_its_pty_and_echoes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_serial-harness"))
        .args(["bridge", "--for-ms", "3000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let path = PathBuf::from(String::from_utf8(line).unwrap());
    assert!(path.starts_with("/dev/"), "{}", path.display());
    let mut terminal = open_terminal(&path);
    terminal.write_all(b"ping").unwrap();
    let echoed = read_for(&mut terminal, 4, Duration::from_millis(2500));
    let status = child.wait().unwrap();
    assert_eq!(echoed, b"ping");
    assert!(status.success());
}
