//! The JSON report, schema version 1 (documented in `docs/json-report.md`).

use crate::findings::{Finding, Report};
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
    replay: Option<&'a crate::replay::Replay>,
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
        layout: &report.layout,
        numbering: &report.numbering,
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
