//! The JSON documents, schema version 1 (documented in `docs/json-report.md`): the
//! check report, `status --format json` and the apply report of `sqlgate ci`.

use crate::model::{ApplyReport, Finding, Report, State, StatusLine};
use serde::Serialize;

/// Schema version of the JSON report. Bump on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Migrations {
    total: usize,
    new: usize,
}

#[derive(Serialize)]
struct Summary {
    error: usize,
    warning: usize,
    info: usize,
    total: usize,
    fail_on: &'static str,
    failed: bool,
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    tool: Tool,
    dir: &'a str,
    base: Option<&'a str>,
    layout: &'a str,
    numbering: &'a str,
    migrations: Migrations,
    findings: &'a [Finding],
    summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    replay: Option<&'a crate::model::Replay>,
}

/// Renders the report as pretty-printed JSON followed by a newline.
pub fn render(report: &Report) -> String {
    let counts = report.counts();
    let doc = Document {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "sqlgate",
            version: env!("CARGO_PKG_VERSION"),
        },
        dir: &report.dir,
        base: report.base.as_deref(),
        layout: report.layout.as_str(),
        numbering: report.numbering.as_str(),
        migrations: Migrations {
            total: report.migrations,
            new: report.new_migrations,
        },
        findings: &report.findings,
        summary: Summary {
            error: counts.error,
            warning: counts.warning,
            info: counts.info,
            total: counts.total(),
            fail_on: report.fail_on.as_str(),
            failed: report.failed(),
        },
        replay: report.replay.as_ref(),
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

/// `sqlgate status --format json`.
pub fn status(lines: &[StatusLine], findings: &[Finding]) -> String {
    let count = |s: State| lines.iter().filter(|l| l.state == s).count();
    let (current, latest) = crate::model::current_and_latest(lines);
    let doc = serde_json::json!({
        "version": 1,
        "migrations": lines,
        "summary": {
            "total": lines.len(),
            // As the text says: baselined and adopted migrations are applied too.
            "applied": lines.iter().filter(|l| l.state.is_in_database()).count(),
            "baseline": count(State::Baseline),
            "pending": count(State::Pending),
            "modified": count(State::Modified),
            "missing": count(State::Missing),
            "failed": count(State::Failed),
            "current_version": current,
            "latest_version": latest,
        },
        "findings": findings,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    )
}

/// The apply report (the `report` output of `sqlgate ci` on a deploy).
pub fn apply(rep: &ApplyReport, error: Option<&str>, environment: Option<&str>) -> String {
    let doc = serde_json::json!({
        "version": 1,
        "kind": "apply",
        "environment": environment,
        "applied": rep.applied,
        "pending": rep.pending_after,
        "failure": rep.failure,
        "error": error,
        "interrupted": rep.interrupted,
        "blockers": rep.blockers,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}
