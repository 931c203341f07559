//! The `serial-harness` binary: outputs and documented exit codes (0 passed, 1 failures,
//! 2 usage or file errors).

use std::path::PathBuf;
use std::process::{Command, Output};

fn harness(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_serial-harness"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("serial-harness-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_passing_run_exits_0_with_nextest_style_lines() {
    let output = harness(&["run", "--no-progress", "read/zero_length", "wait/rxchar"]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("        PASS ["), "{text}");
    assert!(text.contains("(1/2) read/zero_length"), "{text}");
    assert!(text.contains("Summary"), "{text}");
    assert!(text.contains("2 passed, 0 failed"), "{text}");
}

#[test]
fn a_failing_scenario_exits_1_and_explains_itself() {
    let dir = scratch("failing");
    let file = dir.join("wrong_status.toml");
    std::fs::write(
        &file,
        "topology = \"loopback\"\n\n[[step]]\naction = \"read\"\nlen = 0\nexpect = { status = \"TIMEOUT\" }\n",
    )
    .unwrap();
    let output = harness(&[
        "run",
        "--no-progress",
        "--seed",
        "99",
        file.to_str().unwrap(),
    ]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("        FAIL ["), "{text}");
    assert!(text.contains("step 1 (read, line 3):"), "{text}");
    assert!(
        text.contains("status: expected STATUS_TIMEOUT, got STATUS_SUCCESS"),
        "{text}"
    );
    assert!(text.contains("seed: 99"), "{text}");
    assert!(
        text.contains("replay: serial-harness run --seed 99 --model --cpus 2"),
        "{text}"
    );
}

#[test]
fn a_malformed_file_exits_2_with_its_location() {
    let dir = scratch("malformed");
    let file = dir.join("broken.toml");
    std::fs::write(
        &file,
        "topology = \"none\"\n\n[[step]]\naction = \"sleep\"\nmss = 5\n",
    )
    .unwrap();
    let output = harness(&["run", file.to_str().unwrap()]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("broken.toml:5:1:"), "{text}");
    assert!(text.contains("mss"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(harness(&["run", "--bogus"]).status.code(), Some(2));
    assert_eq!(harness(&["run", "no/such/scenario"]).status.code(), Some(2));
    assert_eq!(harness(&["frobnicate"]).status.code(), Some(2));
    // Out-of-range values are refused, never clamped or left to abort.
    for args in [
        &["demo", "--cpus", "0"][..],
        &["demo", "--cpus", "100000"],
        &["demo", "--bytes", "18446744073709551615"],
        &["ioctl", "GET_COMMSTATUS", "--output-len", "100000000000"],
        &["bridge", "--for-ms", "18446744073709551615"],
    ] {
        let output = harness(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("invalid value"), "{args:?}");
    }
    #[cfg(not(windows))]
    {
        let output = harness(&["run", "--port", "COM3"]);
        assert_eq!(output.status.code(), Some(2));
        assert!(stderr(&output).contains("only be used on Windows"));
    }
}

/// A scenario file whose expectation the driver does not meet, marked as a known failure.
fn known_failure_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("known_failure.toml");
    std::fs::write(
        &path,
        "description = \"GET_BAUD_RATE reports a rate it was never set to\"\n\
         topology = \"none\"\n\
         known_failure = \"kept to show how a known failure is reported\"\n\n\
         [[step]]\n\
         action = \"ioctl\"\n\
         ioctl = \"GET_BAUD_RATE\"\n\
         expect = { status = \"SUCCESS\", information = 3 }\n",
    )
    .unwrap();
    path
}

#[test]
fn known_failures_are_xfail_and_do_not_fail_the_run() {
    let dir = scratch("xfail");
    let file = known_failure_file(&dir);
    let output = harness(&["run", "--no-progress", file.to_str().unwrap()]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("       XFAIL ["), "{text}");
    assert!(text.contains("known failure:"), "{text}");
}

#[test]
fn json_and_junit_outputs() {
    let dir = scratch("reports");
    let junit = dir.join("results.xml");
    let known = known_failure_file(&dir);
    let output = harness(&[
        "run",
        "--no-progress",
        "--json",
        "--junit",
        junit.to_str().unwrap(),
        "timeouts/set_get_round_trip",
        known.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("valid JSON");
    assert_eq!(json["target"], "model");
    assert_eq!(json["summary"]["passed"], 1);
    assert_eq!(json["summary"]["xfail"], 1);
    assert_eq!(json["scenarios"][0]["name"], "timeouts/set_get_round_trip");
    assert_eq!(json["scenarios"][0]["status"], "pass");
    assert!(
        json["scenarios"][1]["name"]
            .as_str()
            .unwrap()
            .contains("known_failure")
    );
    assert_eq!(json["scenarios"][1]["status"], "xfail");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"model\" tests=\"2\" failures=\"0\""),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase name=\"timeouts/set_get_round_trip\" classname=\"timeouts\""),
        "{xml}"
    );
    assert!(xml.contains("<skipped message=\"known failure:"), "{xml}");
}

#[test]
fn list_shows_the_builtin_suite() {
    let output = harness(&["list"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for group in [
        "read/",
        "write/",
        "purge/",
        "wait/",
        "timeouts/",
        "flow_control/",
        "status/",
        "errors/",
        "open_close/",
    ] {
        assert!(text.contains(group), "{group} missing");
    }
    assert!(text.lines().count() >= 60);
    let json = harness(&["list", "--json", "--group", "wait"]);
    let entries: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        entries
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["group"] == "wait")
    );
}

#[test]
fn ioctl_prints_status_and_decoded_output() {
    let output = harness(&["ioctl", "GET_BAUD_RATE"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("IOCTL_SERIAL_GET_BAUD_RATE (0x001B0050)"),
        "{text}"
    );
    assert!(text.contains("status: STATUS_SUCCESS"), "{text}");
    assert!(text.contains("baud_rate = 1200"), "{text}");

    let output = harness(&["ioctl", "SET_BAUD_RATE", "0"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("STATUS_INVALID_PARAMETER"));
    assert!(stdout(&output).contains("ERROR_INVALID_PARAMETER"));

    let output = harness(&[
        "ioctl",
        "SET_HANDFLOW",
        "control_handshake=DTR_CONTROL|CTS_HANDSHAKE",
        "flow_replace=RTS_CONTROL",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let output = harness(&["ioctl", "WAIT_ON_MASK"]);
    assert!(stdout(&output).contains("STATUS_INVALID_PARAMETER"));

    assert_eq!(harness(&["ioctl", "NOT_AN_IOCTL"]).status.code(), Some(2));
    assert_eq!(
        harness(&["ioctl", "SET_BAUD_RATE", "fast"]).status.code(),
        Some(2)
    );
}

#[test]
fn demo_reports_the_loopback_transfer() {
    let output = harness(&["demo", "--bytes", "512", "--baud", "57600"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("512 bytes at 57600 baud 8N1 came back intact"),
        "{text}"
    );
    assert!(text.contains("interrupts:"), "{text}");
    let json = harness(&["demo", "--bytes", "64", "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(report["matched"], true);
    assert!(report["interrupts"].as_u64().unwrap() > 0);
    assert!(report["elapsed_ms"].as_f64().unwrap() >= report["wire_ms"].as_f64().unwrap() * 0.9);
}

#[test]
fn demo_runs_above_115200_baud_with_a_faster_uart_clock() {
    let output = harness(&[
        "demo", "--bytes", "4096", "--baud", "921600", "--clock", "14745600",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(
        text.contains("4096 bytes at 921600 baud 8N1 came back intact"),
        "{text}"
    );
    let svg = std::env::temp_dir().join(format!("serial-timeline-{}.svg", std::process::id()));
    let output = harness(&[
        "demo",
        "--bytes",
        "4096",
        "--timeline",
        svg.to_str().unwrap(),
        "--timeline-ms",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let picture = std::fs::read_to_string(&svg).unwrap();
    let _ = std::fs::remove_file(&svg);
    assert!(picture.starts_with("<svg"), "{picture}");
    assert!(
        picture.contains("ISR of port 0") && picture.contains("CPU 1"),
        "{picture}"
    );
    let refused = harness(&["demo", "--baud", "230400"]);
    assert_ne!(refused.status.code(), Some(0));
    assert!(
        stderr(&refused).contains("--clock 14745600"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn the_request_deadline_is_an_option() {
    let scenario = "read/large_transfer_through_loopback";
    let default = harness(&["run", "--model", "--no-progress", scenario]);
    assert_eq!(default.status.code(), Some(0), "{}", stderr(&default));
    let short = harness(&[
        "run",
        "--model",
        "--no-progress",
        "--request-deadline-ms",
        "1",
        scenario,
    ]);
    let text = stderr(&short);
    assert_eq!(short.status.code(), Some(1), "{text}");
    assert!(
        text.contains("did not complete within 1 ms"),
        "the hung request names the deadline: {text}"
    );
}

#[test]
fn compare_puts_targets_side_by_side() {
    let output = harness(&[
        "compare",
        "--no-progress",
        "--target",
        "model",
        "--target",
        "model",
        "wait/rxchar",
    ]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("wait/rxchar"), "{text}");
    assert!(
        text.contains("0 scenario(s) with different results"),
        "{text}"
    );
}

#[test]
fn demo_runs_two_ports_in_full_duplex_and_finds_the_largest_rate_that_holds() {
    let output = harness(&[
        "demo",
        "--topology",
        "null-modem",
        "--bytes",
        "4096",
        "--baud",
        "921600",
        "--clock",
        "14745600",
        "--read-size",
        "64",
        "--rx-trigger",
        "8",
        "--max-baud",
        "--json",
    ]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["run"]["intact"], true, "{text}");
    assert_eq!(report["run"]["received"], serde_json::json!([4096, 4096]));
    assert_eq!(report["run"]["rx_trigger"], 8);
    let largest = report["largest_holding_baud"].as_u64().unwrap();
    assert!(largest >= 921_600, "{text}");
    // The ladder stops at the first rate that loses bytes, and says what it lost.
    assert_eq!(report["first_failing"]["intact"], false, "{text}");
    // A rate the cost model cannot sustain fails the command.
    let lost = harness(&[
        "demo",
        "--topology",
        "null-modem",
        "--bytes",
        "2048",
        "--baud",
        "12000000",
        "--clock",
        "192000000",
    ]);
    assert_eq!(lost.status.code(), Some(1), "{}", stdout(&lost));
    assert!(stdout(&lost).contains("BYTES LOST"), "{}", stdout(&lost));
    for args in [
        &["demo", "--topology", "peer"][..],
        &["demo", "--topology", "null-modem", "--rx-trigger", "5"],
    ] {
        assert_eq!(harness(args).status.code(), Some(2), "{args:?}");
    }
}
