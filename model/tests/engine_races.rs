//! Races between the engine's claimants of one request (serial-semantics.md §6.4), each run under
//! many schedules: 50 seeds (random and PCT strategies alternating) on 2 and on 4 CPUs.
//!
//! A race is staged by occupying every CPU at PASSIVE_LEVEL until the instant the hardware acts
//! (a byte completes a read, a modem line changes, a timer falls due): the cancel callback, IOCTL
//! or cleanup queued meanwhile can only start at that instant, so the strategy interleaves it with
//! the ISR, the DPCs and the timer DPCs of that instant. Every run must end with each request
//! completed exactly once and no verifier finding; a failure prints the seed's replay line.
//! A longer run: `SERIAL_MODEL_SWEEP=1000 cargo test --release -p serial-model --test engine_races`.

#[macro_use]
mod engine_support;

use engine_support::*;
use serial_engine::kernel::{Duration, Kernel};
use serial_ioctl::{
    NtStatus, SerialIoctl, SerialQueueSize, SerialXoffCounter, ev, handflow, purge,
};
use serial_model::kernel::{
    Completion, CostBudget, Irql, Machine, MachineConfig, Operation, RequestHandle, SEED_VAR,
    Strategy,
};
use serial_model::uart::FrameFormat;
use serial_model::wire::Topology;

const SEEDS: u64 = 50;

/// One scenario's verdict: `Err` describes the first wrong outcome.
type Outcome = Result<(), String>;

macro_rules! check {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+));
        }
    };
}

/// Seeds per configuration: [`SEEDS`], or SERIAL_MODEL_SWEEP for a longer run.
fn seed_count() -> u64 {
    std::env::var("SERIAL_MODEL_SWEEP")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS)
}

/// The strategy for `seed`: random schedules for even seeds, PCT (depth 3) for odd ones.
fn strategy(seed: u64) -> Strategy {
    if seed.is_multiple_of(2) {
        Strategy::Random { seed }
    } else {
        Strategy::Pct { seed, depth: 3 }
    }
}

/// Runs `scenario` once per seed on `cpus` CPUs (or once, as the replay line says, when
/// SERIAL_MODEL_SEED is set), each on a fresh machine with a scripted peer and exact timers.
fn across_schedules(
    cpus: usize,
    tweak: fn(&mut MachineConfig),
    scenario: fn(&mut Race) -> Outcome,
) {
    let replay = std::env::var(SEED_VAR)
        .ok()
        .and_then(|s| s.parse::<u64>().ok());
    let seeds: Vec<u64> = match replay {
        Some(seed) => vec![seed],
        None => (0..seed_count()).map(|i| 0xACE0 + i).collect(),
    };
    for seed in seeds {
        let mut config = MachineConfig {
            topology: Topology::Peer,
            timer_tick: 1,
            cpus,
            strategy: strategy(seed),
            panic_on_violation: false,
            // The scenarios name exact instants (a timeout against a byte's last stop bit); code
            // runs in an instant so that only the interleaving varies.
            cost_budget: CostBudget::free(),
            ..MachineConfig::default()
        };
        tweak(&mut config);
        let config = MachineConfig::from_env_or(config);
        let cpus = config.cpus;
        let mut race = Race {
            m: Machine::new(config),
            cpus,
        };
        let replay_line = race.m.replay_line();
        let outcome = scenario(&mut race);
        let report = race.m.report();
        let violations = race.m.finish();
        if let Err(wrong) = outcome {
            panic!("seed {seed}, {cpus} CPUs: {wrong}\n{report}");
        }
        assert!(
            violations.is_empty(),
            "seed {seed}, {cpus} CPUs: {violations:#?}\n{replay_line}"
        );
    }
}

struct Race {
    m: Machine,
    cpus: usize,
}

impl Race {
    /// Occupies every CPU at PASSIVE until `at`: work queued now starts at `at`.
    fn hold_cpus_until(&mut self, at: u64) {
        let now = self.m.now();
        assert!(at > now);
        for cpu in 0..self.cpus {
            let kernel = self.m.kernel(0);
            self.m.spawn(Some(cpu), Irql::PASSIVE, move || {
                kernel.delay(Duration::from_100ns(at - now));
            });
        }
        self.m.run_until(now);
    }

    fn wait_for(&mut self, handle: RequestHandle) -> Result<Completion, String> {
        self.m
            .run_until_complete(handle, 10_000 * MS)
            .ok_or_else(|| format!("request #{} never completed", handle.id))
    }

    /// Whatever the typeahead holds once the line has been quiet for a while.
    fn drain(&mut self) -> Result<Vec<u8>, String> {
        self.m.run_for(5 * MS);
        set_timeouts(&mut self.m, 0, u32::MAX, 0, 0, 0, 0);
        let r = self.m.submit(0, Operation::Read { len: 4096 });
        let c = self.wait_for(r)?;
        check!(c.status == NtStatus::SUCCESS, "drain: {c:?}");
        Ok(c.output)
    }
}

fn default_device(_: &mut MachineConfig) {}

/// End of the `count`th of a burst of 9600 8N1 characters started at `start`.
fn char_end(start: u64, count: u64) -> u64 {
    start + FrameFormat::eight_n_one(9600).characters_time(count)
}

// ----- cancel vs the completion DPC of a satisfied read --------------------------------------------

/// A read of 8 is satisfied by the 8th byte at T (the FIFO trigger is 8, so one ISR stores all
/// eight); its cancel callback runs at T too. Either SUCCESS with all 8 bytes, or CANCELLED with
/// none and all 8 still readable.
fn cancel_vs_satisfied_read(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    let data = payload(8);
    let t0 = m.now() + MS;
    let r = m.submit(0, Operation::Read { len: 8 });
    peer_send(m, &data, t0);
    let t = char_end(t0, 8);
    race.hold_cpus_until(t);
    race.m.cancel(r);
    let c = race.wait_for(r)?;
    match (c.status, c.information) {
        (NtStatus::SUCCESS, 8) => {
            check!(
                c.output == data,
                "SUCCESS with the wrong bytes {:?}",
                c.output
            );
            let rest = race.drain()?;
            check!(rest.is_empty(), "bytes delivered twice: {rest:?}");
        }
        (NtStatus::CANCELLED, 0) => {
            let rest = race.drain()?;
            check!(rest == data, "cancelled read lost bytes: left {rest:?}");
        }
        _ => return Err(format!("read ended {c:?}")),
    }
    race.m.close(0);
    Ok(())
}

#[test]
fn cancel_vs_satisfied_read_2_cpus() {
    across_schedules(2, default_device, cancel_vs_satisfied_read);
}

#[test]
fn cancel_vs_satisfied_read_4_cpus() {
    across_schedules(4, default_device, cancel_vs_satisfied_read);
}

// ----- total vs interval timer ------------------------------------------------------------------------

fn trigger_one(config: &mut MachineConfig) {
    config.device.rx_fifo_trigger = 1;
}

/// RI 10 ms and RC 20 ms with one byte at 10 ms: both timers fall due at 20 ms. The read ends once,
/// STATUS_TIMEOUT with the byte, at exactly 20 ms; the loser's DPC must not touch the next read,
/// which starts then and times out 20 ms later.
fn total_vs_interval(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    set_timeouts(m, 0, 10, 0, 20, 0, 0);
    let t0 = m.now();
    let first = m.submit(0, Operation::Read { len: 4 });
    m.run_until(t0); // dispatched before the second
    let second = m.submit(0, Operation::Read { len: 4 });
    let char_time = FrameFormat::eight_n_one(9600).character_time();
    peer_send(m, b"z", t0 + 10 * MS - char_time);
    let c1 = race.wait_for(first)?;
    check!(
        (c1.status, c1.output.as_slice(), c1.completed_at)
            == (NtStatus::TIMEOUT, &b"z"[..], t0 + 20 * MS),
        "first read: {c1:?}"
    );
    let c2 = race.wait_for(second)?;
    check!(
        (c2.status, c2.information, c2.completed_at) == (NtStatus::TIMEOUT, 0, t0 + 40 * MS),
        "second read: {c2:?}"
    );
    race.m.close(0);
    Ok(())
}

#[test]
fn total_vs_interval_2_cpus() {
    across_schedules(2, trigger_one, total_vs_interval);
}

#[test]
fn total_vs_interval_4_cpus() {
    across_schedules(4, trigger_one, total_vs_interval);
}

/// The byte's offset from the timer's due time: one unit early, at the same instant, or one unit
/// late, by seed, so both orders occur besides the same-instant race.
fn offset(race: &Race) -> i64 {
    (race.m.seed() % 3) as i64 - 1
}

/// A one-byte read with RC 20 ms whose byte ends at about 20 ms: SUCCESS with the byte when it
/// ends, or STATUS_TIMEOUT with nothing at 20 ms and the byte left for the next read. Never lost,
/// never twice.
fn total_vs_last_byte(race: &mut Race) -> Outcome {
    let offset = offset(race);
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    set_timeouts(m, 0, 0, 0, 20, 0, 0);
    let t0 = m.now();
    let due = t0 + 20 * MS;
    let r = m.submit(0, Operation::Read { len: 1 });
    let char_time = FrameFormat::eight_n_one(9600).character_time();
    let byte_end = due.saturating_add_signed(offset);
    peer_send(m, b"!", byte_end - char_time);
    let c = race.wait_for(r)?;
    let rest = race.drain()?;
    match (c.status, c.output.as_slice()) {
        (NtStatus::SUCCESS, b"!") => check!(
            byte_end <= due && c.completed_at == byte_end && rest.is_empty(),
            "{c:?}, left {rest:?}"
        ),
        (NtStatus::TIMEOUT, b"") => check!(
            byte_end >= due && c.completed_at == due && rest == b"!",
            "{c:?}, left {rest:?}"
        ),
        _ => return Err(format!("read ended {c:?}")),
    }
    race.m.close(0);
    Ok(())
}

#[test]
fn total_vs_last_byte_2_cpus() {
    across_schedules(2, trigger_one, total_vs_last_byte);
}

#[test]
fn total_vs_last_byte_4_cpus() {
    across_schedules(4, trigger_one, total_vs_last_byte);
}

/// RI 10 ms: bytes end at 5 ms and at about 15 ms, when the interval armed by the first falls
/// due. The read ends with both bytes 10 ms after the second (which restarted the interval), or
/// with the first at 15 ms and the second left for the next read.
fn interval_vs_next_byte(race: &mut Race) -> Outcome {
    let offset = offset(race);
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    set_timeouts(m, 0, 10, 0, 0, 0, 0);
    let t0 = m.now();
    let due = t0 + 15 * MS;
    let r = m.submit(0, Operation::Read { len: 4 });
    let char_time = FrameFormat::eight_n_one(9600).character_time();
    let second_end = due.saturating_add_signed(offset);
    peer_send(m, b"a", t0 + 5 * MS - char_time);
    peer_send(m, b"b", second_end - char_time);
    let c = race.wait_for(r)?;
    check!(c.status == NtStatus::TIMEOUT, "read ended {c:?}");
    let rest = race.drain()?;
    match c.output.as_slice() {
        b"ab" => check!(
            second_end <= due && c.completed_at == second_end + 10 * MS && rest.is_empty(),
            "{c:?}, left {rest:?}"
        ),
        b"a" => check!(
            second_end >= due && c.completed_at == due && rest == b"b",
            "{c:?}, left {rest:?}"
        ),
        _ => return Err(format!("read ended {c:?}")),
    }
    race.m.close(0);
    Ok(())
}

#[test]
fn interval_vs_next_byte_2_cpus() {
    across_schedules(2, trigger_one, interval_vs_next_byte);
}

#[test]
fn interval_vs_next_byte_4_cpus() {
    across_schedules(4, trigger_one, interval_vs_next_byte);
}

// ----- cancel of a write mid-transmission -------------------------------------------------------------

/// A 100-byte write at 115200 is cancelled at a character boundary that varies with the seed. The
/// peer gets a prefix of the data, then the next write's bytes, nothing else.
fn cancel_write_mid_transmission(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 115_200);
    let data = payload(100);
    let t0 = m.now();
    let w = m.submit(0, Operation::Write { data: data.clone() });
    let boundary = 1 + race.m.seed() % 100;
    let at = t0 + FrameFormat::eight_n_one(115_200).characters_time(boundary);
    race.hold_cpus_until(at);
    race.m.cancel(w);
    let c = race.wait_for(w)?;
    check!(
        (c.status, c.information) == (NtStatus::CANCELLED, 0)
            || (c.status, c.information) == (NtStatus::SUCCESS, 100),
        "write ended {c:?}"
    );
    let next = race.m.submit(
        0,
        Operation::Write {
            data: b"END".to_vec(),
        },
    );
    let n = race.wait_for(next)?;
    check!(
        (n.status, n.information) == (NtStatus::SUCCESS, 3),
        "next write {n:?}"
    );
    race.m.run_for(20 * MS);
    let got = peer_received(&race.m);
    let sent = got.len().saturating_sub(3);
    check!(got.len() >= 3 && got[sent..] == *b"END", "peer got {got:?}");
    check!(
        got[..sent] == data[..sent],
        "peer got a non-prefix: {got:?}"
    );
    if c.status == NtStatus::SUCCESS {
        check!(sent == 100, "a successful write lost bytes");
    }
    race.m.close(0);
    Ok(())
}

#[test]
fn cancel_write_mid_transmission_2_cpus() {
    across_schedules(2, default_device, cancel_write_mid_transmission);
}

#[test]
fn cancel_write_mid_transmission_4_cpus() {
    across_schedules(4, default_device, cancel_write_mid_transmission);
}

// ----- mask change during a pending wait --------------------------------------------------------------

/// A wait on CTS is pending; at T the peer raises CTS and SET_WAIT_MASK(CTS) starts. The pending
/// wait completes SUCCESS with 0 (mask change) or CTS (the event), and the CTS event is reported
/// exactly once across it and the next wait.
fn mask_change_vs_event(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    ok(set_wait_mask(m, 0, ev::CTS));
    let first = start_wait(m, 0);
    let t = m.now() + 5 * MS;
    peer_lines(m, lines(true, false, false, false), t);
    race.hold_cpus_until(t);
    let set = start_ioctl(
        &mut race.m,
        0,
        SerialIoctl::SetWaitMask,
        &ev::CTS.to_le_bytes(),
        0,
    );
    let set = race.wait_for(set)?;
    check!(set.status == NtStatus::SUCCESS, "SET_WAIT_MASK {set:?}");
    let w1 = race.wait_for(first)?;
    check!(
        w1.status == NtStatus::SUCCESS && w1.information == 4,
        "first wait {w1:?}"
    );
    let mask1 = u32::from_le_bytes(w1.output[..4].try_into().unwrap_or_default());
    check!(mask1 == 0 || mask1 == ev::CTS, "first wait mask {mask1:#x}");
    let second = start_wait(&mut race.m, 0);
    race.m.run_for(10 * MS);
    let mask2 = match race.m.completion(second).cloned() {
        Some(w2) => {
            check!(w2.status == NtStatus::SUCCESS, "second wait {w2:?}");
            u32::from_le_bytes(w2.output[..4].try_into().unwrap_or_default())
        }
        None => {
            race.m.cancel(second);
            let w2 = race.wait_for(second)?;
            check!(
                (w2.status, w2.information) == (NtStatus::CANCELLED, 0),
                "cancelled second wait {w2:?}"
            );
            0
        }
    };
    check!(
        mask1 | mask2 == ev::CTS && mask1 & mask2 == 0,
        "CTS reported {mask1:#x} then {mask2:#x}: lost or twice"
    );
    race.m.close(0);
    Ok(())
}

#[test]
fn mask_change_vs_event_2_cpus() {
    across_schedules(2, default_device, mask_change_vs_event);
}

#[test]
fn mask_change_vs_event_4_cpus() {
    across_schedules(4, default_device, mask_change_vs_event);
}

// ----- close with requests pending --------------------------------------------------------------------

/// Cleanup starts at T, when a read is satisfied and the peer raises CTS (releasing a held write and
/// immediate character and firing the armed wait). Every request completes exactly once, either
/// with its own result or CANCELLED with 0; the peer sees the immediate character first, if
/// anything; the port reopens and works.
fn close_with_requests_pending(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    ok(set_handflow(
        m,
        0,
        handflow::DTR_CONTROL | handflow::CTS_HANDSHAKE,
        handflow::RTS_CONTROL,
        0,
        0,
    ));
    ok(set_wait_mask(m, 0, ev::CTS));
    let t0 = m.now() + MS;
    let data = payload(8);
    let read = m.submit(0, Operation::Read { len: 8 });
    let write = m.submit(0, Operation::Write { data: payload(40) });
    let immediate = start_ioctl(m, 0, SerialIoctl::ImmediateChar, b"!", 0);
    let wait = start_wait(m, 0);
    peer_send(m, &data, t0);
    let t = char_end(t0, 8);
    peer_lines(m, lines(true, false, false, false), t);
    race.hold_cpus_until(t);
    race.m.close(0);
    let mut results = Vec::new();
    for (name, handle) in [
        ("read", read),
        ("write", write),
        ("immediate", immediate),
        ("wait", wait),
    ] {
        let c = race
            .m
            .completion(handle)
            .cloned()
            .ok_or_else(|| format!("{name} not completed by cleanup"))?;
        results.push((name, c));
    }
    for (name, c) in &results {
        let fine = match (*name, c.status) {
            (_, NtStatus::CANCELLED) => c.information == 0,
            ("read", NtStatus::SUCCESS) => c.output == data,
            ("immediate", NtStatus::SUCCESS) => true,
            ("wait", NtStatus::SUCCESS) => c.information == 4 && c.output == ev::CTS.to_le_bytes(),
            _ => false,
        };
        check!(fine, "{name} ended {c:?}");
    }
    let got = peer_received(&race.m);
    check!(
        got.is_empty() || got[0] == b'!',
        "the peer saw {got:?} without the immediate character first"
    );
    if results[2].1.status == NtStatus::SUCCESS {
        check!(
            !got.is_empty(),
            "immediate character reported sent but never seen"
        );
    }
    check!(
        got.len() <= 1 || got[1..] == payload(40)[..got.len() - 1],
        "write bytes out of order: {got:?}"
    );
    // The port reopens and works.
    check!(race.m.open(0) == NtStatus::SUCCESS, "reopen failed");
    let r = race.m.submit(0, Operation::Read { len: 2 });
    let now = race.m.now();
    peer_send(&mut race.m, b"ok", now);
    let r = race.wait_for(r)?;
    check!(r.output == b"ok", "read after reopen {r:?}");
    race.m.close(0);
    Ok(())
}

#[test]
fn close_with_requests_pending_2_cpus() {
    across_schedules(2, default_device, close_with_requests_pending);
}

#[test]
fn close_with_requests_pending_4_cpus() {
    across_schedules(4, default_device, close_with_requests_pending);
}

// ----- purge vs read completion -----------------------------------------------------------------------

/// PURGE(RXABORT) starts at the instant the 8th byte satisfies a read of 8. Either the read got all
/// 8 bytes, or it was cancelled with none and all 8 are still in the typeahead.
fn purge_vs_read_completion(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    let data = payload(8);
    let t0 = m.now() + MS;
    let r = m.submit(0, Operation::Read { len: 8 });
    peer_send(m, &data, t0);
    race.hold_cpus_until(char_end(t0, 8));
    let p = start_ioctl(
        &mut race.m,
        0,
        SerialIoctl::Purge,
        &purge::RXABORT.to_le_bytes(),
        0,
    );
    let p = race.wait_for(p)?;
    check!(p.status == NtStatus::SUCCESS, "purge {p:?}");
    let c = race.wait_for(r)?;
    let rest = race.drain()?;
    match (c.status, c.information) {
        (NtStatus::SUCCESS, 8) => {
            check!(
                c.output == data && rest.is_empty(),
                "read {c:?}, left {rest:?}"
            );
        }
        (NtStatus::CANCELLED, 0) => check!(rest == data, "purged read lost bytes: left {rest:?}"),
        _ => return Err(format!("read ended {c:?}")),
    }
    race.m.close(0);
    Ok(())
}

#[test]
fn purge_vs_read_completion_2_cpus() {
    across_schedules(2, default_device, purge_vs_read_completion);
}

#[test]
fn purge_vs_read_completion_4_cpus() {
    across_schedules(4, default_device, purge_vs_read_completion);
}

// ----- cancel vs the completion of a write whose last byte reached the UART ------------------------

/// A 30-byte write at 115200: its last bytes go into the TX FIFO at the second THRE (28 character
/// times after the start, the FIFO taking 14 per THRE), and its cancel callback runs at that
/// instant. A write whose bytes all went to the UART completes SUCCESS (serial.sys: the ISR's
/// reference wins); CANCELLED is only right if some bytes never went out.
fn cancel_vs_write_handed_to_uart(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 115_200);
    let data = payload(30);
    let t0 = m.now();
    let w = m.submit(0, Operation::Write { data: data.clone() });
    let format = FrameFormat::eight_n_one(115_200);
    // The seed moves the cancel around the instant the last chunk is handed over.
    let offset = race.m.seed() % 3;
    let at = t0 + format.characters_time(27 + offset);
    race.hold_cpus_until(at);
    race.m.cancel(w);
    let c = race.wait_for(w)?;
    race.m.run_for(20 * MS);
    let got = peer_received(&race.m);
    check!(
        got[..] == data[..got.len()],
        "peer got a non-prefix: {got:?}"
    );
    match (c.status, c.information) {
        (NtStatus::SUCCESS, 30) => {
            check!(got.len() == 30, "SUCCESS but the peer got {}", got.len())
        }
        (NtStatus::CANCELLED, 0) => {
            check!(got.len() < 30, "CANCELLED although all 30 bytes went out")
        }
        _ => return Err(format!("write ended {c:?}")),
    }
    race.m.close(0);
    Ok(())
}

#[test]
fn cancel_vs_write_handed_to_uart_2_cpus() {
    across_schedules(2, default_device, cancel_vs_write_handed_to_uart);
}

#[test]
fn cancel_vs_write_handed_to_uart_4_cpus() {
    across_schedules(4, default_device, cancel_vs_write_handed_to_uart);
}

// ----- a write's total timeout vs a byte being handed to the UART ---------------------------------

fn one_byte_transmit_fifo(config: &mut MachineConfig) {
    config.device.tx_fifo_depth = 1;
}

/// A write at 9600 8N1, one byte per THRE, with a write total timeout (25 or 50 ms) that expires
/// at the instant a THRE interrupt hands its last byte to the UART. (The model delivers
/// that interrupt before or after the whole timer DPC, never inside it, because CPU cost does not
/// take time in the model yet; the fuzzer that found the race saw it inside. The test guards the
/// outcome either way.) Information must be exactly what reached
/// the peer, and a write whose last byte went out must be SUCCESS, not TIMEOUT.
fn write_timeout_vs_byte_handed_to_uart(race: &mut Race) -> Outcome {
    let m = &mut race.m;
    open_8n1(m, 0, 9600);
    // 24 characters at 9600 8N1 take exactly 25 ms, so these expiries fall on the instants at
    // which THRE hands over the next byte.
    let constant = 25 * (1 + u32::try_from(race.m.seed() % 2).unwrap_or(0));
    set_timeouts(&mut race.m, 0, 0, 0, 0, 0, constant);
    // Two bytes go to the UART at once (THR and the shift register), then one per character, so
    // the last of these bytes is handed over exactly when the timeout expires.
    let len = 2 + 24 * usize::try_from(constant / 25).unwrap_or(1);
    let data = payload(len);
    let w = race.m.submit(0, Operation::Write { data: data.clone() });
    let c = race.wait_for(w)?;
    race.m.run_for(100 * MS);
    let got = peer_received(&race.m);
    check!(
        got[..] == data[..got.len()],
        "peer got a non-prefix: {got:?}"
    );
    match c.status {
        NtStatus::TIMEOUT => check!(
            c.information == got.len() && got.len() < len,
            "TIMEOUT with Information {} but the peer got {} of {len}",
            c.information,
            got.len()
        ),
        NtStatus::SUCCESS => check!(
            c.information == len && got.len() == len,
            "SUCCESS with {} but the peer got {} of {len}",
            c.information,
            got.len()
        ),
        _ => return Err(format!("write ended {c:?}")),
    }
    race.m.close(0);
    Ok(())
}

#[test]
fn write_timeout_vs_byte_handed_to_uart_2_cpus() {
    across_schedules(
        2,
        one_byte_transmit_fifo,
        write_timeout_vs_byte_handed_to_uart,
    );
}

#[test]
fn write_timeout_vs_byte_handed_to_uart_4_cpus() {
    across_schedules(
        4,
        one_byte_transmit_fifo,
        write_timeout_vs_byte_handed_to_uart,
    );
}

// ----- a cancel that lands right after the request is marked cancelable --------------------------

/// What a request that is cancelled the instant it becomes cancelable may end as: it must end, and
/// exactly once (a cancel callback that runs before the request is queued must still find it).
fn cancelled_in_the_mark_window(
    race: &mut Race,
    operation: Operation,
    allowed: &[NtStatus],
) -> Outcome {
    let h = race.m.submit(0, operation);
    race.m.cancel_when_marked(h);
    let c = race.wait_for(h)?;
    check!(
        allowed.contains(&c.status),
        "request ended {c:?}, expected one of {allowed:?}"
    );
    race.m.close(0);
    Ok(())
}

fn read_cancelled_when_marked(race: &mut Race) -> Outcome {
    open_8n1(&mut race.m, 0, 9600);
    cancelled_in_the_mark_window(race, Operation::Read { len: 16 }, &[NtStatus::CANCELLED])
}

fn write_cancelled_when_marked(race: &mut Race) -> Outcome {
    open_8n1(&mut race.m, 0, 9600);
    let data = payload(64);
    cancelled_in_the_mark_window(race, Operation::Write { data }, &[NtStatus::CANCELLED])
}

fn flush_cancelled_when_marked(race: &mut Race) -> Outcome {
    open_8n1(&mut race.m, 0, 9600);
    // A write ahead of it keeps the flush queued.
    let _ahead = race.m.submit(0, Operation::Write { data: payload(64) });
    cancelled_in_the_mark_window(race, Operation::Flush, &[NtStatus::CANCELLED])
}

fn xoff_counter_cancelled_when_marked(race: &mut Race) -> Outcome {
    open_8n1(&mut race.m, 0, 9600);
    let input = bytes!(SerialXoffCounter {
        timeout: 0,
        counter: 10,
        xoff_char: 0x13,
        reserved: [0; 3],
    });
    let operation = Operation::DeviceControl {
        code: SerialIoctl::XoffCounter.code(),
        input,
        output_len: 0,
    };
    cancelled_in_the_mark_window(race, operation, &[NtStatus::CANCELLED])
}

fn set_queue_size_cancelled_when_marked(race: &mut Race) -> Outcome {
    open_8n1(&mut race.m, 0, 9600);
    let input = bytes!(SerialQueueSize {
        in_size: 65_536,
        out_size: 0,
    });
    let operation = Operation::DeviceControl {
        code: SerialIoctl::SetQueueSize.code(),
        input,
        output_len: 0,
    };
    // The resize may already be done when the callback looks: either ending is right.
    cancelled_in_the_mark_window(race, operation, &[NtStatus::CANCELLED, NtStatus::SUCCESS])
}

#[test]
fn read_cancelled_when_marked_2_cpus() {
    across_schedules(2, default_device, read_cancelled_when_marked);
}

#[test]
fn write_cancelled_when_marked_2_cpus() {
    across_schedules(2, default_device, write_cancelled_when_marked);
}

#[test]
fn flush_cancelled_when_marked_2_cpus() {
    across_schedules(2, default_device, flush_cancelled_when_marked);
}

#[test]
fn xoff_counter_cancelled_when_marked_2_cpus() {
    across_schedules(2, default_device, xoff_counter_cancelled_when_marked);
}

#[test]
fn set_queue_size_cancelled_when_marked_2_cpus() {
    across_schedules(2, default_device, set_queue_size_cancelled_when_marked);
}

#[test]
fn wait_on_mask_and_immediate_char_cancelled_when_marked_4_cpus() {
    across_schedules(4, default_device, |race| {
        open_8n1(&mut race.m, 0, 9600);
        ok(set_wait_mask(&mut race.m, 0, ev::RXCHAR));
        let wait = Operation::DeviceControl {
            code: SerialIoctl::WaitOnMask.code(),
            input: Vec::new(),
            output_len: 4,
        };
        let h = race.m.submit(0, wait);
        race.m.cancel_when_marked(h);
        let c = race.wait_for(h)?;
        check!(c.status == NtStatus::CANCELLED, "wait ended {c:?}");
        // Hold the transmitter with a write so the immediate character stays pending.
        let _ahead = race.m.submit(0, Operation::Write { data: payload(64) });
        let immediate = Operation::DeviceControl {
            code: SerialIoctl::ImmediateChar.code(),
            input: vec![b'!'],
            output_len: 0,
        };
        cancelled_in_the_mark_window(race, immediate, &[NtStatus::CANCELLED, NtStatus::SUCCESS])
    });
}
