//! A fleet's merged apply report: one row per target, most serious first, in text,
//! JSON and markdown (the one deploy comment for the whole fleet).

use super::clean;
use super::markdown::{cell, code};
use crate::fleet::{Outcome, TargetReport};

fn word(o: Outcome) -> &'static str {
    match o {
        Outcome::Error => "error",
        Outcome::Failed => "failed",
        Outcome::Refused => "refused",
        Outcome::Interrupted => "interrupted",
        Outcome::Skipped => "skipped",
        Outcome::Applied => "applied",
        Outcome::UpToDate => "up to date",
    }
}

/// "12 targets: 10 applied, 1 up to date, 1 failed".
pub fn summary(reports: &[TargetReport]) -> String {
    let mut parts = Vec::new();
    for o in [
        Outcome::Applied,
        Outcome::UpToDate,
        Outcome::Failed,
        Outcome::Refused,
        Outcome::Error,
        Outcome::Interrupted,
        Outcome::Skipped,
    ] {
        let n = reports.iter().filter(|r| r.outcome == o).count();
        if n > 0 {
            parts.push(format!("{n} {}", word(o)));
        }
    }
    format!("{} target(s): {}", reports.len(), parts.join(", "))
}

pub fn text(reports: &[TargetReport]) -> String {
    let mut out = String::new();
    for r in reports {
        out.push_str(&format!(
            "  {:<30} wave {:<2} {:<12} applied {:<3} pending {:<3} {:>7} ms{}\n",
            clean(&r.target),
            r.wave,
            word(r.outcome),
            r.applied.len(),
            r.pending,
            r.duration_ms,
            r.error
                .as_deref()
                .map(|e| format!("  {}", clean(e).replace('\n', " ")))
                .unwrap_or_default()
        ));
    }
    out.push_str(&summary(reports));
    out.push('\n');
    out
}

pub fn json(reports: &[TargetReport]) -> String {
    let doc = serde_json::json!({
        "version": 1,
        "kind": "fleet-apply",
        "summary": summary(reports),
        "failed": reports.iter().filter(|r| !r.ok()).count(),
        "targets": reports,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The deploy comment: at most `max_rows` rows (the most serious), the rest counted.
pub fn markdown(reports: &[TargetReport], title: &str, footer: &str, max_rows: usize) -> String {
    let bad = reports.iter().filter(|r| !r.ok()).count();
    let mut out = format!(
        "### {} {}\n\n{}\n\n| target | wave | result | applied | pending | duration | first error |\n|---|---:|---|---:|---:|---:|---|\n",
        if bad == 0 { "✅" } else { "🔴" },
        cell(title),
        cell(&summary(reports))
    );
    for r in reports.iter().take(max_rows) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} ms | {} |\n",
            code(&r.target),
            r.wave,
            word(r.outcome),
            r.applied.len(),
            r.pending,
            r.duration_ms,
            r.error.as_deref().map(code).unwrap_or_default()
        ));
    }
    if reports.len() > max_rows {
        let rest = &reports[max_rows..];
        let rest_bad = rest.iter().filter(|r| !r.ok()).count();
        out.push_str(&format!(
            "\n…and {} more target(s) ({}); every target is in the job summary and the JSON reports.\n",
            rest.len(),
            if rest_bad == 0 {
                "all applied or up to date".to_string()
            } else {
                format!("{rest_bad} of them not applied")
            }
        ));
    }
    if !footer.is_empty() {
        out.push_str(&format!("\n<sub>{footer}</sub>\n"));
    }
    out
}
