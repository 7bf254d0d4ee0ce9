//! The human text report: one block per finding (`file:line:col`, rule, message, why,
//! fix, diff), then a summary. Colour only when asked (a terminal).

use crate::findings::{Report, Severity};
use anstyle::{AnsiColor, Style};

fn paint(s: &str, style: Style, color: bool) -> String {
    if color {
        format!("{}{s}{}", style.render(), style.render_reset())
    } else {
        s.to_string()
    }
}

fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Error => AnsiColor::Red.on_default().bold(),
        Severity::Warning => AnsiColor::Yellow.on_default().bold(),
        Severity::Info => AnsiColor::Cyan.on_default().bold(),
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Renders the report for people.
pub fn render(report: &Report, color: bool) -> String {
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    let mut out = String::new();
    for f in &report.findings {
        out.push_str(&format!(
            "{}{} {}\n",
            paint(f.severity.as_str(), severity_style(f.severity), color),
            paint(&format!("[{}]", f.rule), bold, color),
            f.message
        ));
        out.push_str(&format!("  --> {}:{}:{}\n", f.file, f.line, f.column));
        if !f.why.is_empty() {
            out.push_str(&format!("   {} {}\n", paint("why:", dim, color), f.why));
        }
        if !f.fix.is_empty() {
            out.push_str(&format!("   {} {}\n", paint("fix:", dim, color), f.fix));
        }
        if let Some(diff) = &f.diff {
            for line in diff.lines() {
                let style = if line.starts_with('+') && !line.starts_with("+++") {
                    AnsiColor::Green.on_default()
                } else if line.starts_with('-') && !line.starts_with("---") {
                    AnsiColor::Red.on_default()
                } else {
                    dim
                };
                out.push_str(&format!("   | {}\n", paint(line, style, color)));
            }
        }
        out.push('\n');
    }
    if let Some(r) = &report.replay {
        out.push_str(&format!(
            "replay on {}: {} new statement(s){}\n",
            r.server,
            r.steps.len(),
            if r.completed {
                ""
            } else {
                ", stopped at the failure"
            }
        ));
        for line in r.schema_diff.lines() {
            out.push_str(&format!("   | {line}\n"));
        }
        out.push('\n');
    }
    let c = report.counts();
    let against = report
        .base
        .as_deref()
        .map(|b| format!(", compared with {b}"))
        .unwrap_or_default();
    out.push_str(&format!(
        "sqlgate: {} in {} ({} new; layout {}, numbering {}{against})\n",
        plural(report.migrations, "migration"),
        report.dir,
        report.new_migrations,
        report.layout,
        report.numbering,
    ));
    let counts = format!(
        "{}, {}, {} info",
        plural(c.error, "error"),
        plural(c.warning, "warning"),
        c.info
    );
    if report.failed() {
        out.push_str(&format!(
            "{} {counts} (fail-on: {})\n",
            paint("FAILED:", severity_style(Severity::Error), color),
            report.fail_on.as_str()
        ));
    } else if c.total() == 0 {
        out.push_str(&format!(
            "{} no problems found\n",
            paint("OK:", AnsiColor::Green.on_default().bold(), color)
        ));
    } else {
        out.push_str(&format!(
            "{} {counts} (below fail-on: {})\n",
            paint("PASSED:", AnsiColor::Green.on_default().bold(), color),
            report.fail_on.as_str()
        ));
    }
    out
}
