//! Renders what sqlgate reports in every output format. All renderers are pure: data
//! in, a string out. Adding a format: one file here plus a [`Format`] variant.

pub mod explain;
pub mod fleet;
pub mod github;
pub mod json;
pub mod markdown;
pub mod preview;
pub mod sarif;
pub mod text;

use crate::model::Report;
use std::borrow::Cow;

/// Text from data (file names, SQL, PostgreSQL's messages) made safe to print:
/// control characters other than newline and tab — escape sequences, carriage
/// returns, the C1 controls — are shown as `\x1B`-style escapes, so nothing from a
/// file reaches a terminal as a command or rewrites a line.
pub fn clean(s: &str) -> Cow<'_, str> {
    let unsafe_char =
        |c: char| (c.is_control() && c != '\n' && c != '\t') || c == '\u{2028}' || c == '\u{2029}';
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            let n = c as u32;
            if n <= 0xFF {
                out.push_str(&format!("\\x{n:02X}"));
            } else {
                out.push_str(&format!("\\u{{{n:04X}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Json,
    Markdown,
    Github,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF consumers.
    Sarif,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 5] = [
        Format::Text,
        Format::Json,
        Format::Markdown,
        Format::Github,
        Format::Sarif,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Github => "github",
            Format::Sarif => "sarif",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
                format!("`{s}` is not a format ({})", all.join(", "))
            })
    }
}

/// Renders `report` in `format`; `color` only affects `text`.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report, &markdown::Options::default()),
        Format::Github => github::render(report),
        Format::Sarif => sarif::render(report),
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn control_characters_are_shown_escaped() {
        assert_eq!(clean("plain\nnext\tcol"), "plain\nnext\tcol");
        assert_eq!(clean("a\x1b[31mred\rb\u{9b}c"), "a\\x1B[31mred\\x0Db\\x9Bc");
        assert_eq!(clean("line\u{2028}sep"), "line\\u{2028}sep");
    }
}
