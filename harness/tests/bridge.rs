//! The pseudo-terminal bridge end to end, through real ptys (Unix): a client opens the terminal
//! side, sets its termios and moves bytes, as pyserial or picocom would; the model port behind
//! the bridge runs the real engine.
#![cfg(unix)]

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::termios::{
    ControlModes, OptionalActions, QueueSelector, tcflush, tcgetattr, tcsetattr,
};
use serial_harness::bridge::{BridgeOptions, BridgeStats, run};
use serial_harness::port::Topology;

/// A bridge running on its own thread.
struct Bridge {
    paths: Vec<PathBuf>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<BridgeStats, String>>,
}

impl Bridge {
    fn start(options: BridgeOptions) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (paths_tx, paths_rx) = mpsc::channel::<Vec<PathBuf>>();
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                run(&options, &stop, |paths| {
                    paths_tx.send(paths.to_vec()).unwrap();
                })
            })
        };
        let paths = paths_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the bridge reports its ptys");
        Self {
            paths,
            stop,
            thread,
        }
    }

    fn loopback() -> Self {
        Self::start(BridgeOptions::default())
    }

    fn path(&self) -> &Path {
        &self.paths[0]
    }

    fn stop(self) -> BridgeStats {
        self.stop.store(true, Ordering::Relaxed);
        self.thread.join().unwrap().expect("the bridge ran cleanly")
    }
}

/// One client of a pty, in raw mode at `baud`.
struct Client {
    file: File,
}

impl Client {
    fn open(path: &Path, baud: u32) -> Self {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            // O_NOCTTY: the test process must not acquire the pty as its controlling terminal.
            .custom_flags(i32::try_from(rustix::fs::OFlags::NOCTTY.bits()).unwrap())
            .open(path)
            .unwrap();
        let client = Self { file };
        client.configure(|termios| {
            termios.make_raw();
            termios.set_speed(baud).unwrap();
        });
        client
    }

    fn configure(&self, change: impl FnOnce(&mut rustix::termios::Termios)) {
        let mut termios = tcgetattr(&self.file).unwrap();
        change(&mut termios);
        tcsetattr(&self.file, OptionalActions::Now, &termios).unwrap();
    }

    fn writer(&self) -> File {
        self.file.try_clone().unwrap()
    }

    /// Reads until `wanted` bytes arrived or nothing came for `quiet`.
    fn read_until(&mut self, wanted: usize, quiet: Duration) -> Vec<u8> {
        let mut got = Vec::new();
        let mut last = Instant::now();
        let mut buffer = [0u8; 4096];
        while got.len() < wanted && last.elapsed() < quiet {
            let fd = self.file.as_fd();
            let mut fds = [PollFd::new(&fd, PollFlags::IN)];
            let timeout = Timespec {
                tv_sec: 0,
                tv_nsec: 20_000_000,
            };
            if poll(&mut fds, Some(&timeout)).unwrap() > 0 {
                let count = self.file.read(&mut buffer).unwrap();
                got.extend_from_slice(&buffer[..count]);
                last = Instant::now();
            }
        }
        got
    }
}

/// A deterministic payload.
fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) ^ (i >> 8)) as u8)
        .collect()
}

/// Writes `data` from another thread; returns when the write returned, in seconds.
fn write_in_background(file: File, data: Vec<u8>) -> JoinHandle<f64> {
    std::thread::spawn(move || {
        let mut file = file;
        let start = Instant::now();
        file.write_all(&data).unwrap();
        start.elapsed().as_secs_f64()
    })
}

/// Line time of `bytes` 8N1 characters at `baud`, in seconds.
fn line_time(bytes: usize, baud: u32) -> f64 {
    bytes as f64 * 10.0 / f64::from(baud)
}

/// 64 KiB through the loopback port and back: every byte in order, at the line rate.
fn echo_at(baud: u32) {
    let bridge = Bridge::start(BridgeOptions {
        baud,
        ..BridgeOptions::default()
    });
    let mut client = Client::open(bridge.path(), baud);
    let data = payload(65_536);
    let start = Instant::now();
    let writer = write_in_background(client.writer(), data.clone());
    let echoed = client.read_until(data.len(), Duration::from_secs(3));
    let elapsed = start.elapsed().as_secs_f64();
    let write_returned = writer.join().unwrap();
    drop(client);
    let stats = bridge.stop();
    assert_eq!(echoed.len(), data.len());
    assert!(echoed == data, "in order, unchanged");
    let line = line_time(data.len(), baud);
    let ratio = line / elapsed;
    assert!(
        (0.99..=1.01).contains(&ratio),
        "64 KiB at {baud} baud took {elapsed:.3} s, line time {line:.3} s ({:.2} %)",
        ratio * 100.0
    );
    // Back-pressure: the write returns only when what is left fits the pty's own buffer.
    assert!(
        write_returned > 0.5 * line,
        "the write returned after {write_returned:.3} s of {line:.3} s"
    );
    assert_eq!(stats.ends[0].sessions, 1);
    assert_eq!(stats.to_port(), 65_536);
}

#[test]
fn echo_at_115200_baud_runs_at_the_line_rate() {
    echo_at(115_200);
}

#[test]
fn echo_at_9600_baud_runs_at_the_line_rate() {
    echo_at(9_600);
}

#[test]
fn raw_bytes_pass_unchanged() {
    let bridge = Bridge::loopback();
    let mut client = Client::open(bridge.path(), 115_200);
    client
        .file
        .write_all(&[0x00, 0x0D, 0x0A, 0xFF, 0x11, 0x13])
        .unwrap();
    let echoed = client.read_until(6, Duration::from_secs(2));
    drop(client);
    bridge.stop();
    assert_eq!(echoed, [0x00, 0x0D, 0x0A, 0xFF, 0x11, 0x13]);
}

#[test]
fn the_clients_speed_becomes_the_ports_rate() {
    let bridge = Bridge::loopback();
    let mut client = Client::open(bridge.path(), 9_600);
    // 480 bytes: 0.5 s at 9600 baud, 0.042 s at the bridge's 115 200.
    let start = Instant::now();
    client.file.write_all(&payload(480)).unwrap();
    let echoed = client.read_until(480, Duration::from_secs(2));
    let slow = start.elapsed().as_secs_f64();
    client.configure(|termios| termios.set_speed(115_200).unwrap());
    let start = Instant::now();
    client.file.write_all(&payload(480)).unwrap();
    let again = client.read_until(480, Duration::from_secs(2));
    let fast = start.elapsed().as_secs_f64();
    drop(client);
    bridge.stop();
    assert_eq!((echoed.len(), again.len()), (480, 480));
    assert!(slow >= 0.49, "9600 baud: {slow:.3} s");
    assert!(fast < 0.2, "115200 baud again: {fast:.3} s");
}

#[test]
fn an_output_purge_discards_what_the_port_has_not_sent() {
    let bridge = Bridge::loopback();
    let mut client = Client::open(bridge.path(), 9_600);
    // 20 000 bytes take 20.8 s at 9600 baud; purge after 300 ms.
    let mut writer = client.writer();
    rustix::fs::fcntl_setfl(&writer, rustix::fs::OFlags::NONBLOCK).unwrap();
    let data = payload(20_000);
    let accepted = writer.write(&data).unwrap_or(0);
    std::thread::sleep(Duration::from_millis(300));
    tcflush(&client.file, QueueSelector::OFlush).unwrap();
    let echoed = client.read_until(usize::MAX, Duration::from_millis(700));
    drop((client, writer));
    let stats = bridge.stop();
    assert!(accepted > 10_000, "the pty took {accepted} bytes");
    assert!(
        echoed.len() < 600,
        "{} bytes came back after the purge",
        echoed.len()
    );
    assert!(
        stats.to_port() < 600,
        "{} bytes reached the port",
        stats.to_port()
    );
    assert_eq!(
        echoed,
        data[..echoed.len()],
        "what came back is the start, in order"
    );
}

#[test]
fn a_new_session_starts_clean() {
    let bridge = Bridge::loopback();
    {
        let client = Client::open(bridge.path(), 115_200);
        let mut writer = client.writer();
        writer.write_all(&payload(20_480)).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        // Closed with most of the echo unread and some not yet sent.
    }
    std::thread::sleep(Duration::from_millis(200));
    let mut second = Client::open(bridge.path(), 115_200);
    let leaked = second.read_until(usize::MAX, Duration::from_millis(800));
    second.file.write_all(b"fresh").unwrap();
    let echoed = second.read_until(5, Duration::from_secs(2));
    drop(second);
    let stats = bridge.stop();
    assert!(
        leaked.is_empty(),
        "{} bytes of the first session leaked",
        leaked.len()
    );
    assert_eq!(echoed, b"fresh");
    assert_eq!(stats.ends[0].sessions, 2);
    assert!(
        stats.ends[0].discarded > 0,
        "the first session's leftovers were discarded"
    );
}

#[test]
fn a_client_that_stops_reading_overruns_the_ring_instead_of_freezing_the_bridge() {
    let bridge = Bridge::loopback();
    let client = Client::open(bridge.path(), 115_200);
    let writer = write_in_background(client.writer(), payload(65_536));
    let wrote = writer.join().unwrap();
    // What the pty still holds (at most about 19 KiB) takes 1.7 s more at 115 200 baud.
    std::thread::sleep(Duration::from_millis(2_500));
    let start = Instant::now();
    drop(client);
    let stats = bridge.stop();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "the bridge stopped when asked"
    );
    assert!(wrote < 8.0, "the write finished: {wrote:.3} s");
    assert_eq!(stats.to_port(), 65_536, "the port kept sending");
    assert!(
        stats.ends[0].buffer_overruns > 0,
        "the ring overflowed as on a real port: {stats:?}"
    );
}

#[test]
fn with_rts_cts_a_client_that_stops_reading_holds_the_sender_and_nothing_is_lost() {
    let bridge = Bridge::loopback();
    let mut client = Client::open(bridge.path(), 115_200);
    client.configure(|termios| termios.control_modes |= ControlModes::CRTSCTS);
    let data = payload(65_536);
    let writer = write_in_background(client.writer(), data.clone());
    // Not reading for 3 s (the echo of 64 KiB would take 5.7 s).
    std::thread::sleep(Duration::from_secs(3));
    let echoed = client.read_until(data.len(), Duration::from_secs(3));
    writer.join().unwrap();
    drop(client);
    let stats = bridge.stop();
    assert_eq!(echoed.len(), data.len(), "{stats:?}");
    assert!(echoed == data);
    assert_eq!(stats.ends[0].buffer_overruns, 0, "{stats:?}");
    assert_eq!(stats.ends[0].hardware_overruns, 0, "{stats:?}");
}

#[test]
fn two_programs_talk_through_the_null_modem_pair_both_ways() {
    let bridge = Bridge::start(BridgeOptions {
        topology: Topology::NullModem,
        ..BridgeOptions::default()
    });
    assert_eq!(bridge.paths.len(), 2);
    let mut a = Client::open(&bridge.paths[0], 115_200);
    let mut b = Client::open(&bridge.paths[1], 115_200);
    let from_a = payload(8_192);
    let from_b: Vec<u8> = payload(8_192).iter().map(|byte| !byte).collect();
    let writer_a = write_in_background(a.writer(), from_a.clone());
    let writer_b = write_in_background(b.writer(), from_b.clone());
    let reader_b = std::thread::spawn(move || b.read_until(8_192, Duration::from_secs(3)));
    let at_a = a.read_until(8_192, Duration::from_secs(3));
    let at_b = reader_b.join().unwrap();
    writer_a.join().unwrap();
    writer_b.join().unwrap();
    drop(a);
    let stats = bridge.stop();
    assert!(at_b == from_a, "b got {} of a's bytes", at_b.len());
    assert!(at_a == from_b, "a got {} of b's bytes", at_a.len());
    assert_eq!(stats.ends.len(), 2);
}

#[test]
fn the_control_socket_sets_input_lines_and_sends_breaks() {
    let socket = std::env::temp_dir().join(format!("serial-bridge-{}.sock", std::process::id()));
    let bridge = Bridge::start(BridgeOptions {
        topology: Topology::None,
        control: Some(socket.clone()),
        ..BridgeOptions::default()
    });
    let _client = Client::open(bridge.path(), 115_200);
    std::thread::sleep(Duration::from_millis(100));
    let mut control = std::os::unix::net::UnixStream::connect(&socket).unwrap();
    control
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let mut ask = |line: &str| {
        control.write_all(format!("{line}\n").as_bytes()).unwrap();
        let mut reply = Vec::new();
        let mut byte = [0u8; 1];
        while control.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            reply.push(byte[0]);
        }
        String::from_utf8(reply).unwrap()
    };
    assert_eq!(ask("dsr on"), "ok");
    assert_eq!(ask("dcd on"), "ok");
    let lines = ask("lines");
    assert!(
        lines.contains("dsr=1") && lines.contains("dcd=1") && lines.contains("cts=0"),
        "{lines}"
    );
    assert!(lines.contains("dtr=1"), "the open raised DTR: {lines}");
    assert_eq!(ask("break 50"), "ok");
    assert!(ask("rts on").starts_with("error"));
    drop(_client);
    bridge.stop();
    assert!(!socket.exists(), "the socket is removed at the end");
}

/// Runs the CLI, returning its exit status and stderr.
fn cli(args: &[&str]) -> (std::process::ExitStatus, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_serial-harness"))
        .args(args)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn an_unavailable_rate_is_refused_with_the_rates_the_clock_makes() {
    let (status, stderr) = cli(&["bridge", "--baud", "230400", "--for-ms", "10"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("115200") && stderr.contains("--clock"),
        "{stderr}"
    );
    let (status, stderr) = cli(&[
        "bridge", "--baud", "921600", "--clock", "14745600", "--for-ms", "200",
    ]);
    assert!(status.success(), "{stderr}");
    assert!(
        stderr.contains("no modem lines"),
        "the startup line says what a pty cannot do"
    );
}

#[test]
fn the_bridge_command_echoes_honours_for_ms_with_a_stuck_client_and_ends_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_serial-harness"))
        .args(["bridge", "--for-ms", "1500"])
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
    let mut client = Client::open(&path, 115_200);
    client.file.write_all(b"ping").unwrap();
    let echoed = client.read_until(4, Duration::from_secs(1));
    // Then it writes and never reads again.
    let _writer = write_in_background(client.writer(), payload(65_536));
    let start = Instant::now();
    let status = child.wait().unwrap();
    assert_eq!(echoed, b"ping");
    assert!(status.success());
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "--for-ms ended it"
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_serial-harness"))
        .args(["bridge"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut line = Vec::new();
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let client = Client::open(Path::new(&String::from_utf8(line).unwrap()), 115_200);
    // 230 400 baud twice (the UART's 1.8432 MHz clock cannot make it), 115 200 between.
    for baud in [230_400, 115_200, 230_400] {
        client.configure(|termios| termios.set_speed(baud).unwrap());
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("session(s)"),
        "the summary is printed: {stderr}"
    );
    assert_eq!(
        stderr.matches("230400 baud is not available").count(),
        1,
        "an unavailable rate is reported once: {stderr}"
    );
    assert!(stderr.contains("nearest: 115200"), "{stderr}");
    drop(client);
}

#[test]
fn bytes_a_client_wrote_just_before_closing_still_go_out_as_a_ttys_close_drains() {
    let bridge = Bridge::start(BridgeOptions {
        topology: Topology::NullModem,
        ..BridgeOptions::default()
    });
    let mut listener = Client::open(&bridge.paths[1], 115_200);
    std::thread::sleep(Duration::from_millis(100));
    {
        // `printf 'AT\r' > /dev/pts/N`: open, write, close at once.
        let mut sender = Client::open(&bridge.paths[0], 115_200);
        sender.file.write_all(&payload(2_000)).unwrap();
    }
    let heard = listener.read_until(2_000, Duration::from_secs(2));
    drop(listener);
    let stats = bridge.stop();
    assert!(
        heard == payload(2_000),
        "heard {} of 2000 bytes",
        heard.len()
    );
    assert_eq!(stats.ends[0].sessions, 1);
}
