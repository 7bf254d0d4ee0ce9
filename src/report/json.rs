//! The JSON report, schema version 1 (documented in `docs/json-report.md`).

use crate::findings::Report;
use serde_json::json;

/// Schema version of the JSON report. Bump on any breaking change.
pub const SCHEMA_VERSION: u32 = 1;

/// Renders the report as pretty-printed JSON followed by a newline.
pub fn render(report: &Report) -> String {
    let counts = report.counts();
    let value = json!({
        "version": SCHEMA_VERSION,
        "tool": { "name": "sqlgate", "version": env!("CARGO_PKG_VERSION") },
        "dir": report.dir,
        "base": report.base,
        "layout": report.layout,
        "numbering": report.numbering,
        "migrations": { "total": report.migrations, "new": report.new_migrations },
        "findings": report.findings,
        "summary": {
            "error": counts.error,
            "warning": counts.warning,
            "info": counts.info,
            "total": counts.total(),
            "fail_on": report.fail_on.as_str(),
            "failed": report.failed(),
        },
    });
    let mut s =
        serde_json::to_string_pretty(&value).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
