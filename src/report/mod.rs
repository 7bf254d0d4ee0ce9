//! Renders a [`Report`](crate::findings::Report) in every output format. All renderers
//! are pure: a report in, a string out.

pub mod github;
pub mod json;
pub mod markdown;
pub mod text;

use crate::config::Format;
use crate::findings::Report;

/// Renders `report` in `format`; `color` only affects `text`.
pub fn render(report: &Report, format: Format, color: bool) -> String {
    match format {
        Format::Text => text::render(report, color),
        Format::Json => json::render(report),
        Format::Markdown => markdown::render(report, &markdown::Options::default()),
        Format::Github => github::render(report),
    }
}
