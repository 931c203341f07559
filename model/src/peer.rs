//! A scripted device at the far end of a serial line: it sends characters at its own frame format
//! (which may not match the UART's), changes its modem lines at scheduled times, and records what
//! it receives and what it sees of the UART's DTR/RTS/break.

use std::collections::VecDeque;

use crate::uart::{FrameFormat, LineChar, LineErrors, ModemInputs, ModemOutputs, Time};

/// A deterministic far-end device. Driven by [`crate::board::Board`].
#[derive(Debug, Clone)]
pub struct ScriptedPeer {
    format: FrameFormat,
    now: Time,
    /// End of the last character this peer has put on its TX line.
    line_free_at: Time,
    outgoing: VecDeque<LineChar>,
    scheduled_lines: VecDeque<(Time, ModemInputs)>,
    lines: ModemInputs,
    received: Vec<LineChar>,
    observed: ModemOutputs,
    observed_log: Vec<(Time, ModemOutputs)>,
}

impl Default for ScriptedPeer {
    /// 9600 baud 8N1, all modem lines inactive.
    fn default() -> Self {
        Self::new(FrameFormat::default())
    }
}

impl ScriptedPeer {
    /// A peer sending with `format`, with all modem lines inactive.
    pub fn new(format: FrameFormat) -> Self {
        Self {
            format,
            now: 0,
            line_free_at: 0,
            outgoing: VecDeque::new(),
            scheduled_lines: VecDeque::new(),
            lines: ModemInputs::default(),
            received: Vec::new(),
            observed: ModemOutputs::default(),
            observed_log: Vec::new(),
        }
    }

    /// The peer's own frame format.
    pub fn format(&self) -> FrameFormat {
        self.format
    }

    /// Changes the peer's frame format for characters sent from now on.
    pub fn set_format(&mut self, format: FrameFormat) {
        self.format = format;
    }

    /// Sends `bytes` back to back, the first starting at `start` (or when the peer's line is free,
    /// if later). Each character is timed from the start of the burst, so the burst has no
    /// cumulative rounding. Returns the end of the last stop bit.
    pub fn send(&mut self, bytes: &[u8], start: Time) -> Time {
        let begin = start.max(self.line_free_at);
        for (count, &data) in (1..).zip(bytes) {
            let at = begin.saturating_add(self.format.characters_time(count));
            self.outgoing.push_back(LineChar {
                at,
                data,
                format: self.format,
                errors: LineErrors::NONE,
            });
            self.line_free_at = at;
        }
        self.line_free_at.max(begin)
    }

    /// Sends one character with forced line errors (wrong parity bit, spacing stop bit, or a
    /// break, which carries data 0 and lasts one character time). Returns its end time.
    pub fn send_char(&mut self, data: u8, errors: LineErrors, start: Time) -> Time {
        let begin = start.max(self.line_free_at);
        let at = begin.saturating_add(self.format.character_time());
        let data = if errors.break_condition { 0 } else { data };
        self.outgoing.push_back(LineChar {
            at,
            data,
            format: self.format,
            errors,
        });
        self.line_free_at = at;
        at
    }

    /// Sends a break of one character time. Returns its end time.
    pub fn send_break(&mut self, start: Time) -> Time {
        self.send_char(0, LineErrors::BREAK, start)
    }

    /// Drives the peer's modem lines (the UART's CTS/DSR/RI/DCD) to `lines` at time `at`.
    pub fn set_lines(&mut self, lines: ModemInputs, at: Time) {
        let index = self
            .scheduled_lines
            .partition_point(|(time, _)| *time <= at);
        self.scheduled_lines.insert(index, (at, lines));
    }

    /// The modem lines the peer drives now.
    pub fn lines(&self) -> ModemInputs {
        self.lines
    }

    /// Characters the UART transmitted to the peer, in order, with their end times.
    pub fn received(&self) -> &[LineChar] {
        &self.received
    }

    /// The data bytes of [`Self::received`].
    pub fn received_bytes(&self) -> Vec<u8> {
        self.received.iter().map(|ch| ch.data).collect()
    }

    /// Hands over and forgets the received characters.
    pub fn take_received(&mut self) -> Vec<LineChar> {
        std::mem::take(&mut self.received)
    }

    /// The UART's DTR/RTS/OUT1/OUT2/break as the peer sees them now.
    pub fn observed_outputs(&self) -> ModemOutputs {
        self.observed
    }

    /// Every change of the UART's outputs the peer saw, with its time.
    pub fn output_history(&self) -> &[(Time, ModemOutputs)] {
        &self.observed_log
    }

    /// Characters scheduled but not yet handed to the line.
    pub fn pending_chars(&self) -> usize {
        self.outgoing.len()
    }

    /// When the peer next needs attention: a scheduled line change or a character to hand over.
    pub fn next_deadline(&self) -> Option<Time> {
        let next_char = self.outgoing.front().map(|ch| ch.at);
        let next_lines = self.scheduled_lines.front().map(|(at, _)| *at);
        match (next_char, next_lines) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Applies every line change due at or before `now`.
    pub(crate) fn advance(&mut self, now: Time) {
        self.now = self.now.max(now);
        while let Some(&(at, lines)) = self.scheduled_lines.front() {
            if at > self.now {
                break;
            }
            self.lines = lines;
            self.scheduled_lines.pop_front();
        }
    }

    /// Characters to put on the line towards the UART (the UART paces their arrival).
    pub(crate) fn take_outgoing(&mut self) -> VecDeque<LineChar> {
        std::mem::take(&mut self.outgoing)
    }

    pub(crate) fn record(&mut self, ch: LineChar) {
        self.received.push(ch);
    }

    pub(crate) fn observe(&mut self, outputs: ModemOutputs, at: Time) {
        if outputs != self.observed || self.observed_log.is_empty() {
            self.observed = outputs;
            self.observed_log.push((at, outputs));
        }
    }
}
