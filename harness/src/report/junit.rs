//! JUnit XML in the Jenkins dialect: one `<testsuite>` per target, one `<testcase>` per scenario
//! (classname = group), `<failure>` for FAIL and XPASS, `<skipped>` for SKIP and XFAIL (with the
//! reason), the trace in `<system-out>` of failures only.

use std::fmt::Write as _;

use crate::runner::{ScenarioReport, Status, Summary};

/// Escapes text for XML attributes and content.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // XML 1.0 forbids most control characters even when escaped.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {
                let _ = write!(escaped, "\\x{:02X}", c as u32);
            }
            c => escaped.push(c),
        }
    }
    escaped
}

/// The XML document for one or more targets' results.
#[must_use]
pub fn render(runs: &[(&str, &[ScenarioReport])]) -> String {
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let all: Vec<&ScenarioReport> = runs
        .iter()
        .flat_map(|(_, reports)| reports.iter())
        .collect();
    let failures = all.iter().filter(|r| r.status.is_failure()).count();
    let total_s: f64 = all.iter().map(|r| r.duration_ms).sum::<f64>() / 1000.0;
    let _ = writeln!(
        xml,
        "<testsuites name=\"serial-harness\" tests=\"{}\" failures=\"{failures}\" time=\"{total_s:.3}\">",
        all.len()
    );
    for (target, reports) in runs {
        let summary = Summary::of(reports);
        let time: f64 = reports.iter().map(|r| r.duration_ms).sum::<f64>() / 1000.0;
        let _ = writeln!(
            xml,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\" time=\"{time:.3}\">",
            escape(target),
            summary.total,
            summary.failed + summary.xpass,
            summary.skipped + summary.xfail
        );
        for report in *reports {
            let _ = write!(
                xml,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                escape(&report.name),
                escape(&report.group),
                report.duration_ms / 1000.0
            );
            let message = report.message.as_deref().unwrap_or("");
            match report.status {
                Status::Pass => xml.push_str("/>\n"),
                Status::Skip | Status::Xfail => {
                    let reason = if report.status == Status::Xfail {
                        format!(
                            "known failure: {}; {message}",
                            report.known_failure.as_deref().unwrap_or("")
                        )
                    } else {
                        message.to_owned()
                    };
                    let _ = write!(
                        xml,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                        escape(&reason)
                    );
                }
                Status::Fail | Status::Xpass => {
                    let first = message.lines().next().unwrap_or("failed");
                    let _ = write!(
                        xml,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}\nseed: {}\nreplay: {}</failure>\n",
                        escape(first),
                        report.status.word(),
                        escape(message),
                        report.seed,
                        escape(&report.replay)
                    );
                    if !report.trace.is_empty() {
                        let _ = writeln!(
                            xml,
                            "      <system-out>{}</system-out>",
                            escape(&report.trace.join("\n"))
                        );
                    }
                    xml.push_str("    </testcase>\n");
                }
            }
        }
        xml.push_str("  </testsuite>\n");
    }
    xml.push_str("</testsuites>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\\x01"
        );
    }
}
