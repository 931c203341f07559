//! An opt-in record of what each virtual CPU ran and when ([`crate::kernel::Machine::record_timeline`]),
//! drawn as an SVG picture: one lane per CPU with the ISR, DPC, timer-DPC and PASSIVE-level spans
//! on it, received bytes (RBR reads) and request completions marked along the top.
//!
//! Cost is charged, not spent, in the model: a span starts at its virtual time and is drawn as
//! wide as its charged cost, on the same time scale.

use std::fmt::Write as _;

/// What a span was.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SpanKind {
    /// The ISR.
    Isr,
    /// A CustomDpc routine.
    Dpc,
    /// A timer's DPC routine.
    TimerDpc,
    /// A dispatch routine, work item or other PASSIVE-level job.
    Job,
}

/// One routine run on one CPU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// The CPU.
    pub cpu: usize,
    /// What ran.
    pub kind: SpanKind,
    /// Its name (`ISR of port 0`, `DPC ReadComplete of port 0`, …).
    pub label: String,
    /// Virtual time it started, 100 ns units.
    pub start: u64,
    /// Its charged cost, ns.
    pub cost_ns: u64,
}

/// A point event along the top of the picture.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Mark {
    /// The driver read a received byte (RBR), at this virtual time.
    ByteReceived(u64),
    /// A request completed, at this virtual time.
    Completed(u64),
}

/// Everything recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Timeline {
    /// Routine runs, in the order they ended.
    pub spans: Vec<Span>,
    /// Byte and completion marks, in time order.
    pub marks: Vec<Mark>,
}

/// Picture width in pixels (the time axis).
const WIDTH: f64 = 1200.0;
const LANE: f64 = 36.0;
const TOP: f64 = 40.0;
const LEFT: f64 = 70.0;

impl Timeline {
    /// The SVG picture of `[from, to)` (100 ns units) on `cpus` lanes.
    #[must_use]
    pub fn svg(&self, cpus: usize, from: u64, to: u64) -> String {
        let to = to.max(from + 1);
        let scale = WIDTH / (to - from) as f64; // pixels per 100 ns
        let x = |t: u64| LEFT + (t.saturating_sub(from)) as f64 * scale;
        let height = TOP + LANE * cpus as f64 + 30.0;
        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="11">"#,
            LEFT + WIDTH + 10.0
        );
        let _ = writeln!(
            svg,
            r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
        );
        for cpu in 0..cpus {
            let y = TOP + LANE * cpu as f64;
            let _ = writeln!(
                svg,
                r##"<text x="4" y="{}">CPU {cpu}</text><line x1="{LEFT}" y1="{}" x2="{}" y2="{}" stroke="#dddddd"/>"##,
                y + LANE / 2.0 + 4.0,
                y + LANE,
                LEFT + WIDTH,
                y + LANE
            );
        }
        for span in self
            .spans
            .iter()
            .filter(|s| s.start >= from && s.start < to)
        {
            let (fill, row) = match span.kind {
                SpanKind::Isr => ("#d62728", 0.0),
                SpanKind::Dpc => ("#1f77b4", 12.0),
                SpanKind::TimerDpc => ("#9467bd", 12.0),
                SpanKind::Job => ("#7f7f7f", 24.0),
            };
            let width = (span.cost_ns as f64 / 100.0 * scale).max(1.0);
            let y = TOP + LANE * span.cpu as f64 + row;
            let _ = writeln!(
                svg,
                r#"<rect x="{:.2}" y="{y}" width="{width:.2}" height="10" fill="{fill}"><title>{} at {:.1} µs, {:.1} µs</title></rect>"#,
                x(span.start),
                span.label,
                span.start as f64 / 10.0,
                span.cost_ns as f64 / 1000.0
            );
        }
        let mut last: Option<(bool, i64)> = None;
        for mark in &self.marks {
            let (at, color, y) = match *mark {
                Mark::ByteReceived(at) => (at, "#2ca02c", 18.0),
                Mark::Completed(at) => (at, "#ff7f0e", 28.0),
            };
            // Marks that fall on the same pixel are drawn once (a burst reads 14 bytes at once).
            let key = (matches!(mark, Mark::Completed(_)), (x(at) * 2.0) as i64);
            if at >= from && at < to && last != Some(key) {
                last = Some(key);
                let _ = writeln!(
                    svg,
                    r#"<line x1="{:.2}" y1="{y}" x2="{:.2}" y2="{}" stroke="{color}"/>"#,
                    x(at),
                    x(at),
                    y + 8.0
                );
            }
        }
        let legend_y = TOP + LANE * cpus as f64 + 20.0;
        let _ = writeln!(
            svg,
            r##"<text x="{LEFT}" y="{legend_y}"><tspan fill="#d62728">■ ISR</tspan>  <tspan fill="#1f77b4">■ DPC</tspan>  <tspan fill="#9467bd">■ timer DPC</tspan>  <tspan fill="#7f7f7f">■ PASSIVE</tspan>  <tspan fill="#2ca02c">| byte read</tspan>  <tspan fill="#ff7f0e">| request completed</tspan>   {:.3} ms to {:.3} ms; widths are charged cost</text>"##,
            from as f64 / 10_000.0,
            to as f64 / 10_000.0
        );
        svg.push_str("</svg>\n");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_marks_inside_the_window_are_drawn() {
        let timeline = Timeline {
            spans: vec![
                Span {
                    cpu: 1,
                    kind: SpanKind::Isr,
                    label: "ISR of port 0".into(),
                    start: 50,
                    cost_ns: 5_000,
                },
                Span {
                    cpu: 0,
                    kind: SpanKind::Dpc,
                    label: "late".into(),
                    start: 5_000,
                    cost_ns: 1_000,
                },
            ],
            marks: vec![Mark::ByteReceived(60), Mark::Completed(70)],
        };
        let svg = timeline.svg(2, 0, 1_000);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("ISR of port 0"));
        assert!(!svg.contains("late"), "outside the window");
        assert_eq!(
            svg.matches("<line x1").count(),
            2 + 2,
            "two lanes and two marks"
        );
    }
}
