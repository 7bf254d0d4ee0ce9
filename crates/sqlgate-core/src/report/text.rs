//! The human text output: the check report (one block per finding: `file:line:col`,
//! rule, message, why, fix, diff, then a summary; colour only when asked), and what
//! `status`, `validate`, `verify` and `apply` print.

use super::clean;
use crate::catalog::display_path;
use crate::model::RuleId;
use crate::model::{ApplyReport, Check, Invalid, Report, RollbackReport, Severity, StatusLine};
use crate::rules::database::{CHECKSUM_MISMATCH, FAILED_MIGRATION, MISSING_FILE};
use anstyle::{AnsiColor, Style};

fn paint(s: &str, style: Style, color: bool) -> String {
    if color {
        format!("{}{s}{}", style.render(), style.render_reset())
    } else {
        s.to_string()
    }
}

fn green() -> Style {
    AnsiColor::Green.on_default().bold()
}

fn red() -> Style {
    AnsiColor::Red.on_default().bold()
}

fn yellow() -> Style {
    AnsiColor::Yellow.on_default().bold()
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
    render_with_sources(report, color, &|_| None)
}

/// The finding's source line, rustc-style (`annotate-snippets`): the header, the
/// `--> file:line:col` arrow, the line with its number and a caret from the column to
/// the end of the statement's first line. `None` when the line is not available.
fn snippet(f: &crate::model::Finding, source: &str, color: bool) -> Option<String> {
    use annotate_snippets::{Level, Renderer, Snippet};
    let line = source
        .lines()
        .nth(usize::try_from(f.line).ok()?.checked_sub(1)?)?;
    let line = clean(line).into_owned();
    let trimmed = line.trim_end();
    let start = trimmed
        .char_indices()
        .nth(usize::try_from(f.column).ok()?.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let end = trimmed.len().max(start + 1);
    let level = match f.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
        Severity::Info => Level::Info,
    };
    let message = clean(&f.message).into_owned();
    let path = clean(&f.file).into_owned();
    // A caret past the end of the line (an empty line) needs a character to sit on.
    let shown = if start < trimmed.len() {
        trimmed.to_string()
    } else {
        format!("{trimmed}{}", " ".repeat(end - trimmed.len()))
    };
    let msg = level.title(&message).id(f.rule.as_str()).snippet(
        Snippet::source(&shown)
            .line_start(f.line as usize)
            .origin(&path)
            .annotation(level.span(start..end.min(shown.len()))),
    );
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    Some(format!("{}\n", renderer.render(msg)))
}

/// The findings alone, each with its source line when `source` has the file.
pub fn findings(report: &Report, color: bool, source: &dyn Fn(&str) -> Option<String>) -> String {
    let dim = Style::new().dimmed();
    let bold = Style::new().bold();
    let mut out = String::new();
    for f in &report.findings {
        let shown = (f.line > 0 && !f.file.ends_with('/'))
            .then(|| source(&f.file))
            .flatten()
            .and_then(|text| snippet(f, &text, color));
        if let Some(block) = shown {
            out.push_str(&block);
        } else {
            out.push_str(&format!(
                "{}{} {}\n",
                paint(f.severity.as_str(), severity_style(f.severity), color),
                paint(&format!("[{}]", f.rule), bold, color),
                clean(&f.message)
            ));
            // A finding about a directory or a table has no line to point at.
            if f.file.ends_with('/') || f.line == 0 {
                out.push_str(&format!("  --> {}\n", clean(&f.file)));
            } else {
                out.push_str(&format!(
                    "  --> {}:{}:{}\n",
                    clean(&f.file),
                    f.line,
                    f.column
                ));
            }
        }
        if !f.why.is_empty() {
            out.push_str(&format!(
                "   {} {}\n",
                paint("why:", dim, color),
                clean(&f.why)
            ));
        }
        if !f.fix.is_empty() {
            out.push_str(&format!(
                "   {} {}\n",
                paint("fix:", dim, color),
                clean(&f.fix)
            ));
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
                out.push_str(&format!("   | {}\n", paint(&clean(line), style, color)));
            }
        }
        out.push('\n');
    }
    if let Some(r) = &report.replay {
        out.push_str(&format!(
            "replay on {}: {} new statement(s){}\n",
            clean(&r.server),
            r.steps.len(),
            if r.completed {
                ""
            } else {
                ", stopped at the failure"
            }
        ));
        for line in r.schema_diff.lines() {
            out.push_str(&format!("   | {}\n", clean(line)));
        }
        out.push('\n');
    }
    out
}

/// [`render`], with each finding's source line shown under it where `source` gives
/// the text of its file (by the path findings show).
pub fn render_with_sources(
    report: &Report,
    color: bool,
    source: &dyn Fn(&str) -> Option<String>,
) -> String {
    let mut out = findings(report, color, source);
    let c = report.counts();
    let against = report
        .base
        .as_deref()
        .map(|b| format!(", compared with {}", clean(b)))
        .unwrap_or_default();
    out.push_str(&format!(
        "sqlgate: {} in {} ({} new; layout {}, numbering {}{against})\n",
        plural(report.migrations, "migration"),
        clean(&report.dir),
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

/// `sqlgate status`: one line per migration, then the totals (`color`: on a terminal).
pub fn status(target: &str, lines: &[StatusLine], problems: usize, color: bool) -> String {
    let mut out = format!(
        "{}  {}\n",
        paint("MIGRATION STATUS", Style::new().bold(), color),
        clean(target)
    );
    for l in lines {
        let (mark, style) = match l.state {
            s if s.is_in_database() => ("[x]", green()),
            crate::model::State::Pending => ("[ ]", yellow()),
            _ => ("[!]", red()),
        };
        let state = paint(&format!("{:<8}", l.state.as_str()), style, color);
        let mark = paint(mark, style, color);
        let when = match (&l.applied_at, l.execution_ms, l.batch) {
            (Some(at), Some(ms), Some(b)) if b > 0 => {
                format!("  {}  {ms} ms  batch {b}", clean(at))
            }
            (Some(at), Some(ms), _) => format!("  {}  {ms} ms", clean(at)),
            _ => String::new(),
        };
        out.push_str(&format!("  {mark} {:<50} {state}{when}\n", clean(&l.name)));
    }
    let (current, latest) = crate::model::current_and_latest(lines);
    out.push_str(&format!(
        "Current version: {} | Latest file: {}\n",
        current.as_deref().map_or("none".into(), clean),
        latest.as_deref().map_or("none".into(), clean)
    ));
    out.push_str(&format!(
        "Total: {} | Applied: {} | Pending: {} | Problems: {problems}\n",
        lines.len(),
        lines.iter().filter(|l| l.state.is_in_database()).count(),
        lines
            .iter()
            .filter(|l| l.state == crate::model::State::Pending)
            .count(),
    ));
    out
}

/// `sqlgate validate`: each problem with its diff, then a verdict line.
pub fn validate(problems: &[Invalid], color: bool) -> String {
    let mut out = String::new();
    for p in problems {
        out.push_str(&format!(
            "{} {} (version {})\n",
            paint(&format!("error[{}]", p.problem), red(), color),
            clean(&p.name),
            clean(&p.version)
        ));
        match &p.diff {
            Some(d) if !d.trim().is_empty() => {
                for l in d.lines() {
                    out.push_str(&format!("   | {}\n", clean(l)));
                }
            }
            // Adopted from a tool that kept only a checksum: what it ran is unknown.
            _ if p.problem == RuleId::of(&CHECKSUM_MISMATCH) => out.push_str(
                "   = the history has no copy of the SQL that ran (adopted from a tool that kept only its checksum): compare with the file's history (`git log -p -- <file>`)\n",
            ),
            _ => {}
        }
        let next = if p.problem == RuleId::of(&CHECKSUM_MISMATCH) {
            Some(format!(
                "once the edit is reviewed, accept the file as it is now: `sqlgate repair {}`",
                clean(&p.version)
            ))
        } else if p.problem == RuleId::of(&FAILED_MIGRATION) {
            Some(format!(
                "undo what it did by hand, then clear the record: `sqlgate repair {}`",
                clean(&p.version)
            ))
        } else if p.problem == RuleId::of(&MISSING_FILE) {
            Some("restore the file (or check out the branch that has it)".to_string())
        } else {
            None
        };
        if let Some(next) = next {
            out.push_str(&format!("   = next: {next}\n"));
        }
    }
    out.push_str(&if problems.is_empty() {
        format!(
            "{} every applied migration matches its file\n",
            paint("valid:", green(), color)
        )
    } else {
        format!(
            "{}\n",
            paint(&format!("{} problem(s)", problems.len()), red(), color)
        )
    });
    out
}

/// `sqlgate verify`: one line per check.
pub fn verify(target: &str, checks: &[Check], color: bool) -> String {
    let mut out = format!("sqlgate verify: {}\n", clean(target));
    for c in checks {
        out.push_str(&format!(
            "  {} {}: {}\n",
            if c.ok {
                paint("[ok]", green(), color)
            } else {
                paint("[!!]", red(), color)
            },
            c.what,
            clean(&c.detail)
        ));
    }
    out
}

/// What an apply run prints when it ends, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyEnd {
    /// For standard output.
    pub stdout: String,
    /// For standard error.
    pub stderr: String,
    pub code: i32,
}

/// How an apply ended: the findings that refused it, an interruption, the failing
/// migration with its position, or the summary. `blockers` is the check-style report
/// of the refusing findings; `elapsed_ms` the run's duration.
pub fn apply_end(
    rep: &ApplyReport,
    dir: &str,
    blockers: Option<&Report>,
    dry_run: bool,
    elapsed_ms: u128,
    color: bool,
) -> ApplyEnd {
    let end = |stdout: String, stderr: String, code: i32| ApplyEnd {
        stdout,
        stderr,
        code,
    };
    if let Some(b) = blockers.filter(|_| !rep.blockers.is_empty()) {
        if rep.refused
            && rep
                .blockers
                .iter()
                .any(|f| f.rule == crate::rules::database::EXISTING_SCHEMA.id)
        {
            return end(
                render(b, color),
                "sqlgate: nothing applied: the database was migrated by something else. Adopt it first (see the fix above), or pass --allow-existing-schema if its tables really belong to something else.\n".into(),
                2,
            );
        }
        if rep.refused {
            return end(
                render(b, color),
                "sqlgate: nothing applied and the migration lock was not taken: the runner cannot execute these as written. Fix them (or, knowing why, pass `--allow <rule>`).\n".into(),
                2,
            );
        }
        return end(
            render(b, color),
            "sqlgate: nothing applied: fix the findings above first\n".into(),
            1,
        );
    }
    if rep.interrupted && rep.failure.is_none() {
        return end(
            String::new(),
            format!(
                "sqlgate: interrupted: {} migration(s) applied, {} not started; the lock is released\n",
                rep.applied.len(),
                rep.pending_after
            ),
            1,
        );
    }
    if let Some(f) = &rep.failure {
        let mut err = String::new();
        if rep.interrupted {
            err.push_str("sqlgate: interrupted by a signal: the running statement was cancelled on the server\n");
        }
        let what = match f.statements_done {
            Some(n) => format!(
                "it ran without a transaction: {n} statement(s) before the failing one stayed applied, and it is recorded as failed until `sqlgate repair`"
            ),
            None => "it was rolled back".to_string(),
        };
        err.push_str(&format!(
            "sqlgate: {} {} at {}:{}:{}\n  {}\n{} migration(s) applied before it; {what}; {} later migration(s) not run.\n",
            paint("FAILED:", red(), color),
            clean(&f.migration),
            clean(&display_path(dir, &f.file)),
            f.line,
            f.column,
            clean(&f.message).replace('\n', "\n  "),
            rep.applied.len(),
            rep.pending_after.saturating_sub(1)
        ));
        return end(String::new(), err, 1);
    }
    let summary = if dry_run {
        format!(
            "dry run: {} migration(s) would be applied; nothing changed\n",
            rep.pending_after
        )
    } else if rep.applied.is_empty() {
        format!(
            "{} nothing to apply\n",
            paint("up to date:", green(), color)
        )
    } else {
        format!(
            "{} in {elapsed_ms} ms\n",
            paint(
                &format!("applied {} migration(s)", rep.applied.len()),
                green(),
                color
            )
        )
    };
    end(summary, String::new(), 0)
}

/// How a rollback ended: the findings that refused it, the failing down SQL, or what
/// it did — and, when it did less than asked, why — with its exit code.
pub fn rollback_end(
    rep: &RollbackReport,
    dir: &str,
    blockers: Option<&Report>,
    color: bool,
) -> ApplyEnd {
    let end = |stdout: String, stderr: String, code: i32| ApplyEnd {
        stdout,
        stderr,
        code,
    };
    if let Some(b) = blockers.filter(|_| !rep.blockers.is_empty()) {
        return end(
            render(b, color),
            "sqlgate: nothing was rolled back and the migration lock was not taken: fix the findings above first\n".into(),
            2,
        );
    }
    if let Some(f) = &rep.failure {
        let state = match f.statements_done {
            Some(n) if n > 0 => format!(
                "its down SQL ran without a transaction: {n} statement(s) before the failing one stayed, and it is recorded as failed until `sqlgate repair`"
            ),
            _ => "its down SQL was rolled back, so it is still applied".into(),
        };
        return end(
            String::new(),
            format!(
                "sqlgate: {} {} at {}:{}:{}\n  {}\n{} migration(s) rolled back before it; {state}; {} older one(s) not rolled back.\n",
                paint("FAILED rolling back", red(), color),
                clean(&f.migration),
                clean(&display_path(dir, &f.file)),
                f.line,
                f.column,
                clean(&f.message).replace('\n', "\n  "),
                rep.done.len(),
                rep.planned.len().saturating_sub(rep.done.len() + 1)
            ),
            1,
        );
    }
    let short = rep
        .short
        .as_deref()
        .map(|why| format!("sqlgate: rolled back less than asked: {why}\n"))
        .unwrap_or_default();
    let code = i32::from(rep.short.is_some());
    if rep.dry_run {
        return end(
            format!(
                "dry run: {} migration(s) would be rolled back; nothing changed\n",
                rep.planned.len()
            ),
            short,
            code,
        );
    }
    let summary = if rep.done.is_empty() {
        "nothing to roll back\n".to_string()
    } else {
        format!(
            "{}\n",
            paint(
                &format!("rolled back {} migration(s)", rep.done.len()),
                green(),
                color
            )
        )
    };
    end(summary, short, code)
}

/// What `sqlgate adopt` did or would do: the mapping row by row, then a verdict.
/// `pending` are the files the source has no record of (the next `apply` runs them).
/// Findings (refusals, checksum mismatches) are rendered apart, as a check report.
pub fn adoption(
    tool: &str,
    table: &str,
    mapping: &crate::adopt::Mapping,
    pending: &[String],
    written: usize,
    skipped: &[String],
    dry_run: bool,
) -> String {
    let adopted = &mapping.adopted;
    let refused = !mapping.refusals.is_empty();
    let mut out = format!("sqlgate adopt: {} ({})\n", clean(table), clean(tool));
    for a in adopted {
        let when = a
            .applied_at
            .as_deref()
            .map(clean)
            .unwrap_or_else(|| "time unknown".into());
        let batch = if a.batch > 0 {
            format!("  batch {}", a.batch)
        } else {
            String::new()
        };
        let sum = if a.up_sql.is_none() {
            "  (file changed since)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  [x] {:<50} {when}{batch}{sum}\n",
            clean(&a.name)
        ));
    }
    // Refused: the findings below say why; a file the tool recorded as dirty or
    // failed is not "not in" its table.
    for p in pending.iter().filter(|_| !refused) {
        out.push_str(&format!(
            "  [ ] {:<50} not in {}: pending\n",
            clean(p),
            clean(table)
        ));
    }
    let verdict = if refused {
        format!(
            "refused: nothing was written; {} was left as it is\n",
            clean(table)
        )
    } else if dry_run {
        format!(
            "dry run: {} migration(s) would be recorded as applied, {} pending; nothing changed\n",
            adopted.len(),
            pending.len()
        )
    } else {
        let kept = if skipped.is_empty() {
            String::new()
        } else {
            format!(
                " ({} already in sqlgate's history, left as they are: {})",
                skipped.len(),
                skipped
                    .iter()
                    .map(|s| clean(s))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        format!(
            "adopted {written} migration(s){kept}: no migration was run and {} was left as it is (drop it when you no longer need it). {} pending: `sqlgate apply` runs them.\n",
            clean(table),
            pending.len()
        )
    };
    out.push_str(&verdict);
    out
}
