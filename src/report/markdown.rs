//! The markdown report used for pull-request comments and job summaries: verdict,
//! counts, a findings table, diffs and details in collapsible sections, a footer.
//! Shortens itself to stay under a size limit (GitHub comments: 65,536 characters),
//! dropping statement previews, then diffs, then per-finding detail, then table rows —
//! never the verdict and counts.

use crate::findings::{Finding, Report, Severity};

/// GitHub's limit for an issue comment body, with room to spare for a marker.
pub const COMMENT_LIMIT: usize = 65_000;

/// How to render.
#[derive(Debug, Clone)]
pub struct Options {
    /// Maximum length in characters.
    pub max_chars: usize,
    /// Prefix for links to files, e.g. `https://github.com/o/r/blob/<sha>/`.
    pub link_base: Option<String>,
    /// A line for the end (version, run link).
    pub footer: Option<String>,
    /// Where the unshortened report can be found, said when shortening.
    pub full_report_hint: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_chars: COMMENT_LIMIT,
            link_base: None,
            footer: None,
            full_report_hint: "Run `sqlgate check` locally or see the JSON report for everything."
                .into(),
        }
    }
}

fn icon(s: Severity) -> &'static str {
    match s {
        Severity::Error => "🔴",
        Severity::Warning => "🟡",
        Severity::Info => "🔵",
    }
}

/// Escapes text for a table cell.
pub fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

fn fence(body: &str, lang: &str) -> String {
    let mut ticks = "```".to_string();
    while body.contains(&ticks) {
        ticks.push('`');
    }
    format!("{ticks}{lang}\n{}\n{ticks}\n", body.trim_end_matches('\n'))
}

fn location(f: &Finding, opts: &Options) -> String {
    let text = format!("{}:{}", f.file, f.line);
    match &opts.link_base {
        Some(base) => format!("[`{text}`]({base}{}#L{})", f.file, f.line),
        None => format!("`{text}`"),
    }
}

/// The verdict line and counts, kept at every level of shortening.
pub fn head(report: &Report) -> String {
    let c = report.counts();
    let verdict = if report.failed() {
        format!(
            "❌ **sqlgate: {} error(s), {} warning(s)** — this change needs fixes",
            c.error, c.warning
        )
    } else if c.total() == 0 {
        "✅ **sqlgate: no problems found**".to_string()
    } else {
        format!(
            "⚠️ **sqlgate: {} warning(s), {} info** — nothing blocking",
            c.warning, c.info
        )
    };
    let base = report
        .base
        .as_deref()
        .map(|b| format!(" · compared with `{b}`"))
        .unwrap_or_default();
    format!(
        "### {verdict}\n\n`{}` · {} migrations, {} new · layout {} · numbering {}{base} · fail-on `{}`\n\n| 🔴 errors | 🟡 warnings | 🔵 info |\n|---:|---:|---:|\n| {} | {} | {} |\n",
        report.dir,
        report.migrations,
        report.new_migrations,
        report.layout,
        report.numbering,
        report.fail_on.as_str(),
        c.error,
        c.warning,
        c.info
    )
}

fn body(report: &Report, opts: &Options, level: u8, max_rows: usize) -> String {
    let mut out = head(report);
    if report.findings.is_empty() {
        out.push_str("\nNo findings: numbering, names and shipped migrations are all in order.\n");
    } else {
        out.push_str("\n| | Rule | Location | Finding |\n|---|---|---|---|\n");
        for f in report.findings.iter().take(max_rows) {
            out.push_str(&format!(
                "| {} | `{}` | {} | {} |\n",
                icon(f.severity),
                f.rule,
                location(f, opts),
                cell(&f.message)
            ));
        }
        if report.findings.len() > max_rows {
            out.push_str(&format!(
                "\n…and {} more findings not shown here.\n",
                report.findings.len() - max_rows
            ));
        }
        if level < 2 {
            for f in report.findings.iter().take(max_rows) {
                if let Some(diff) = &f.diff {
                    out.push_str(&format!(
                        "\n<details><summary>Diff of <code>{}</code> ({})</summary>\n\n{}\n</details>\n",
                        cell(&f.file),
                        f.rule,
                        fence(diff, "diff")
                    ));
                }
            }
        }
        if level < 3 {
            out.push_str("\n<details><summary>Why these matter and what to do</summary>\n\n");
            for f in report.findings.iter().take(max_rows) {
                out.push_str(&format!(
                    "- **`{}`** at {}: {}\n  - *Why:* {}\n  - *Fix:* {}\n",
                    f.rule,
                    location(f, opts),
                    cell(&f.message),
                    cell(&f.why),
                    cell(&f.fix)
                ));
                if level < 1 {
                    if let Some(stmt) = &f.statement {
                        out.push_str(&format!("\n{}\n", fence(stmt, "sql")));
                    }
                }
            }
            out.push_str("\n</details>\n");
        }
    }
    if level > 0 {
        out.push_str(&format!(
            "\n> This report was shortened to fit. {}\n",
            opts.full_report_hint
        ));
    }
    if let Some(footer) = &opts.footer {
        out.push_str(&format!("\n<sub>{footer}</sub>\n"));
    }
    out
}

/// Renders the report, shortening it until it fits `opts.max_chars`.
pub fn render(report: &Report, opts: &Options) -> String {
    let all = report.findings.len();
    for level in 0..=3u8 {
        let s = body(report, opts, level, all);
        if s.chars().count() <= opts.max_chars {
            return s;
        }
    }
    // Fewer table rows, halving until it fits.
    let mut rows = all;
    loop {
        rows /= 2;
        let s = body(report, opts, 3, rows);
        if s.chars().count() <= opts.max_chars || rows == 0 {
            if s.chars().count() <= opts.max_chars {
                return s;
            }
            // Even the head is too long (a tiny limit): cut hard, keep the start.
            return s.chars().take(opts.max_chars).collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::FailOn;

    fn report(n: usize, diff_len: usize) -> Report {
        let findings = (0..n)
            .map(|i| {
                Finding::new(
                    "modified-migration",
                    format!("migrations/{i:03}_x.sql"),
                    format!("edited | {i}"),
                )
                .diff("+x\n".repeat(diff_len))
            })
            .collect();
        Report {
            dir: "migrations".into(),
            base: Some("origin/main".into()),
            layout: "flat".into(),
            numbering: "sequential".into(),
            migrations: n,
            new_migrations: 0,
            fail_on: FailOn::Error,
            findings,
        }
    }

    #[test]
    fn clean_report_says_so() {
        let s = render(&report(0, 0), &Options::default());
        assert!(s.contains("no problems found"));
        assert!(!s.contains("shortened"));
    }

    #[test]
    fn full_report_has_table_diff_and_escaping() {
        let s = render(&report(2, 3), &Options::default());
        assert!(s.contains("❌"));
        assert!(s.contains("| 2 | 0 | 0 |"));
        assert!(s.contains("edited \\| 1"));
        assert!(s.contains("```diff\n+x\n+x\n+x\n```"));
    }

    #[test]
    fn huge_report_is_shortened_but_keeps_verdict_and_counts() {
        let r = report(3000, 200);
        let s = render(&r, &Options::default());
        assert!(s.chars().count() <= COMMENT_LIMIT, "{}", s.len());
        assert!(s.contains("❌ **sqlgate: 3000 error(s)"));
        assert!(s.contains("| 3000 | 0 | 0 |"));
        assert!(s.contains("shortened"));
        assert!(s.contains("more findings not shown"));
        // A mid-size one only loses the diffs.
        let r = report(20, 5000);
        let s = render(&r, &Options::default());
        assert!(!s.contains("```diff"));
        assert!(s.contains("migrations/019_x.sql"));
    }
}
