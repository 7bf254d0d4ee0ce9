//! Renders what sqlgate reports in every output format. All renderers are pure: data
//! in, a string out. Adding a format: one file here plus a [`Format`] variant.

pub mod explain;
pub mod github;
pub mod json;
pub mod markdown;
pub mod text;

use crate::model::Report;

/// Output formats of `check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Json,
    Markdown,
    Github,
}

impl Format {
    /// Every format, in documentation order.
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Markdown, Format::Github];

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Github => "github",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not a format (text, json, markdown, github)"))
    }
}

/// Renders `report` in `format`; `color` only affects `text`.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report, &markdown::Options::default()),
        Format::Github => github::render(report),
    }
}
