//! Where things are in a scenario file: byte spans turned into `file:line:column`, and the error
//! type every loading failure is reported with.

use std::fmt;
use std::ops::Range;

/// A scenario file's text and display path.
#[derive(Clone, Debug)]
pub struct Source {
    /// Path as shown in messages (relative to the suite root for built-in scenarios).
    pub path: String,
    /// The whole file.
    pub text: String,
}

impl Source {
    /// 1-based line and column of byte `offset` (columns count characters).
    #[must_use]
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = self.text.get(..offset).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |index| index + 1);
        let column = self
            .text
            .get(line_start..offset)
            .map_or(1, |text| text.chars().count() + 1);
        (line, column)
    }

    /// The text of 1-based `line`.
    #[must_use]
    pub fn line_text(&self, line: usize) -> &str {
        self.text.lines().nth(line.saturating_sub(1)).unwrap_or("")
    }

    /// An error at `span` (the start of the span is reported).
    #[must_use]
    pub fn error_at(&self, span: Option<Range<usize>>, message: impl Into<String>) -> LoadError {
        let (line, column) = span.map_or((1, 1), |span| self.position(span.start));
        LoadError {
            path: self.path.clone(),
            line,
            column,
            message: message.into(),
            excerpt: Some(self.line_text(line).to_owned()),
        }
    }
}

/// A scenario that could not be loaded: file, 1-based line and column, what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file.
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
    /// The offending line, for context.
    pub excerpt: Option<String>,
}

impl LoadError {
    /// An error about a whole file (unreadable, not UTF-8).
    #[must_use]
    pub fn file(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: 1,
            column: 1,
            message: message.into(),
            excerpt: None,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.path, self.line, self.column, self.message
        )?;
        if let Some(excerpt) = self
            .excerpt
            .as_deref()
            .filter(|text| !text.trim().is_empty())
        {
            let (excerpt, caret) = excerpt_window(excerpt, self.column.saturating_sub(1));
            write!(
                f,
                "\n  {} | {excerpt}\n  {} | {}^",
                self.line,
                " ".repeat(self.line.to_string().len()),
                " ".repeat(caret)
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// At most [`crate::limits::MAX_EXCERPT_CHARS`] characters of `line` around character `column`
/// (elided ends marked `…`), and the caret's position in that window.
fn excerpt_window(line: &str, column: usize) -> (String, usize) {
    let max = crate::limits::MAX_EXCERPT_CHARS;
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= max {
        return (line.to_owned(), column);
    }
    let start = column
        .saturating_sub(max / 2)
        .min(chars.len().saturating_sub(max));
    let end = start.saturating_add(max).min(chars.len());
    let mut window: String = chars.get(start..end).unwrap_or_default().iter().collect();
    let mut caret = column.saturating_sub(start);
    if start > 0 {
        window.insert(0, '…');
        caret = caret.saturating_add(1);
    }
    if end < chars.len() {
        window.push('…');
    }
    (window, caret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let source = Source {
            path: "x.toml".into(),
            text: "a = 1\nbb = 2\n".into(),
        };
        assert_eq!(source.position(0), (1, 1));
        assert_eq!(source.position(6), (2, 1));
        assert_eq!(source.position(9), (2, 4));
        let error = source.error_at(Some(9..10), "bad");
        assert_eq!(
            error.to_string(),
            "x.toml:2:4: bad\n  2 | bb = 2\n    |    ^"
        );
    }
}
