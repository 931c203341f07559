//! Malformed scenario files give `file:line:column` errors pointing at the problem, never a panic.

use serial_harness::scenario::{LoadError, Source, parse};

fn error_of(text: &str) -> LoadError {
    let source = Source {
        path: "bad.toml".into(),
        text: text.into(),
    };
    parse(&source, "group/bad").expect_err("the file is malformed")
}

/// The 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .expect("needle in text")
        + 1
}

const HEADER: &str = "description = \"x\"\ntopology = \"peer\"\n";

#[test]
fn toml_syntax_errors_point_at_their_line() {
    let text = format!("{HEADER}\n[[step]]\naction = \"read\"\nlen = = 3\n");
    let error = error_of(&text);
    assert_eq!(error.path, "bad.toml");
    assert_eq!(error.line, line_of(&text, "len = ="));
    assert!(error.to_string().starts_with("bad.toml:6:"), "{error}");
}

#[test]
fn unknown_keys_point_at_the_key() {
    let text = format!("{HEADER}\n[[step]]\naction = \"read\"\nlen = 3\nlenght = 4\n");
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "lenght"));
    assert!(error.message.contains("lenght"), "{error}");
}

#[test]
fn wrong_types_point_at_the_value() {
    let text = format!("{HEADER}\n[[step]]\naction = \"read\"\nlen = \"three\"\n");
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "len = \"three\""));
}

#[test]
fn unknown_actions_are_named_with_the_list() {
    let text = format!("{HEADER}\n[[step]]\naction = \"reed\"\n");
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "reed"));
    assert!(error.message.contains("unknown action 'reed'"), "{error}");
    assert!(error.message.contains("read"), "{error}");
}

#[test]
fn keys_that_do_not_apply_to_the_action_are_rejected() {
    let text = format!("{HEADER}\n[[step]]\naction = \"write\"\ndata = \"x\"\nlen = 4\n");
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "len = 4"));
    assert!(
        error
            .message
            .contains("`len` does not apply to action 'write'"),
        "{error}"
    );
}

#[test]
fn missing_required_keys_are_reported_at_the_action() {
    let text = format!("{HEADER}\n[[step]]\naction = \"read\"\n");
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "action = \"read\""));
    assert!(error.message.contains("needs `len`"), "{error}");
}

#[test]
fn unknown_status_names_point_at_the_expectation() {
    let text = format!(
        "{HEADER}\n[[step]]\naction = \"read\"\nlen = 1\nexpect = {{ status = \"TIMEDOUT\" }}\n"
    );
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "TIMEDOUT"));
    assert!(
        error.message.contains("unknown status 'TIMEDOUT'"),
        "{error}"
    );
}

#[test]
fn unknown_flags_point_at_the_mask() {
    let text = format!("{HEADER}\n[[step]]\naction = \"set_mask\"\nmask = \"RXCHAR|TXEMTPY\"\n");
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "TXEMTPY"));
    assert!(error.message.contains("TXEMTPY"), "{error}");
}

#[test]
fn bad_ioctl_fields_point_at_the_field() {
    let text = format!(
        "{HEADER}\n[[step]]\naction = \"ioctl\"\nioctl = \"SET_TIMEOUTS\"\ninput = {{ ri = 1,\n  rx = 2 }}\n"
    );
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "rx = 2"));
    assert!(error.message.contains("unknown field 'rx'"), "{error}");
}

#[test]
fn waits_need_an_earlier_start() {
    let text = format!("{HEADER}\n[[step]]\naction = \"wait\"\nname = \"r\"\n");
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "[[step]]"));
    assert!(
        error
            .message
            .contains("no earlier step starts a request named 'r'"),
        "{error}"
    );
}

#[test]
fn peer_actions_need_the_peer_topology() {
    let text = "topology = \"loopback\"\n\n[[step]]\naction = \"peer_send\"\ndata = \"x\"\n";
    let error = error_of(text);
    assert_eq!(error.line, line_of(text, "peer_send"));
    assert!(
        error.message.contains("needs topology = \"peer\""),
        "{error}"
    );
}

#[test]
fn unknown_topologies_are_reported() {
    let text = "topology = \"daisy-chain\"\n";
    let error = error_of(text);
    assert_eq!((error.line, error.column), (1, 12));
}

#[test]
fn start_steps_cannot_carry_expectations() {
    let text = format!(
        "{HEADER}\n[[step]]\naction = \"read\"\nlen = 1\nstart = \"r\"\nexpect = {{ status = \"SUCCESS\" }}\n"
    );
    let error = error_of(&text);
    assert_eq!(error.line, line_of(&text, "expect ="));
}

#[test]
fn the_message_shows_the_line_and_a_caret() {
    let text = format!("{HEADER}\n[[step]]\naction = \"sleep\"\nms = -5\n");
    let rendered = error_of(&text).to_string();
    assert!(rendered.contains("\n  6 | ms = -5\n"), "{rendered}");
    assert!(rendered.ends_with('^'), "{rendered}");
}

#[test]
fn arbitrary_input_never_panics() {
    // Every prefix of a valid file, and some garbage: each either parses or errors.
    let valid = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/flow_control/cts_handshake_holds_transmit.toml"
    ))
    .unwrap();
    let mut cut = 0;
    while cut <= valid.len() {
        if valid.is_char_boundary(cut) {
            let source = Source {
                path: "prefix.toml".into(),
                text: valid[..cut].to_owned(),
            };
            let _ = parse(&source, "x/prefix");
        }
        cut += 7;
    }
    for garbage in [
        "\u{0}",
        "[[step]",
        "topology = 5",
        "[[step]]\naction = 3",
        "ports = [9]\ntopology = \"none\"",
    ] {
        let source = Source {
            path: "garbage.toml".into(),
            text: garbage.into(),
        };
        assert!(parse(&source, "x/garbage").is_err(), "{garbage:?}");
    }
}

#[test]
fn the_builtin_suite_loads() {
    let scenarios = serial_harness::suite::builtin().expect("every built-in scenario parses");
    assert!(scenarios.len() >= 60, "{} scenarios", scenarios.len());
    for group in [
        "read",
        "write",
        "purge",
        "wait",
        "timeouts",
        "flow_control",
        "status",
        "errors",
        "open_close",
    ] {
        assert!(
            scenarios.iter().any(|s| s.group() == group),
            "no scenario in group {group}"
        );
    }
}

#[test]
fn lengths_and_times_beyond_the_limits_are_refused_at_their_key() {
    for (key, value) in [
        ("len", "18446744073709551615"),
        ("len", "100000000000"),
        ("fill", "16777217"),
    ] {
        let text = format!("{HEADER}\n[[step]]\naction = \"read\"\n{key} = {value}\n");
        let error = error_of(&text);
        assert_eq!(error.line, line_of(&text, value), "{error}");
        assert!(
            error.message.contains("above the limit of 16777216 bytes"),
            "{error}"
        );
    }
    let text = format!("{HEADER}\n[[step]]\naction = \"sleep\"\nms = 18446744073709551615\n");
    assert!(
        error_of(&text)
            .message
            .contains("above the limit of 3600000 ms")
    );
}

#[test]
fn a_file_with_too_many_steps_is_refused_before_it_is_parsed() {
    let mut text = HEADER.to_owned();
    for _ in 0..10_001 {
        text.push_str("[[step]]\naction = \"sleep\"\nms = 1\n");
    }
    assert!(error_of(&text).message.contains("more than 10000 steps"));
}

#[test]
fn an_error_in_a_huge_line_quotes_only_a_window_of_it() {
    let text = format!(
        "{HEADER}x = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let shown = error_of(&text).to_string();
    assert!(shown.len() < 1_000, "{} bytes of message", shown.len());
}
