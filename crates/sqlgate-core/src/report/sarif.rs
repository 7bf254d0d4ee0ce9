//! SARIF 2.1.0 (`--format sarif`), as GitHub code scanning reads it: every rule with
//! its documentation (`explain`'s summary, why and fix), every finding as a result
//! with its file, line and column, and partial fingerprints that do not move when
//! unrelated lines do — so code scanning tracks an alert instead of reopening it.

use crate::model::{Finding, Report, Severity};
use crate::rules::registry;
use sha2::Digest;
use std::collections::HashMap;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// `drop-column` → `DropColumn` (SARIF's readable rule name).
fn camel(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// What identifies a finding apart from where it is: the rule, the file, and the
/// statement (whitespace folded) or the message with its numbers blanked (line
/// numbers in messages move with unrelated edits).
fn identity(f: &Finding) -> String {
    let what = match &f.statement {
        Some(s) => s.split_whitespace().collect::<Vec<_>>().join(" "),
        None => f
            .message
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect(),
    };
    format!("{}\u{0}{}\u{0}{what}", f.rule.as_str(), f.file)
}

pub fn render(report: &Report) -> String {
    let rules: Vec<serde_json::Value> = registry::ALL
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": camel(r.id),
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.why },
                "help": {
                    "text": format!("{}\n\nExample that fires:\n{}\n\nInstead:\n{}", r.fix, r.bad, r.good),
                    "markdown": format!("{}\n\nExample that fires:\n```sql\n{}\n```\n\nInstead:\n```sql\n{}\n```", r.fix, r.bad, r.good),
                },
                "defaultConfiguration": { "level": level(r.severity), "enabled": r.on },
                "properties": { "tags": [r.category] },
            })
        })
        .collect();
    let index: HashMap<&str, usize> = registry::ALL
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i))
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let results: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let key = identity(f);
            let n = seen.entry(key.clone()).or_insert(0);
            *n += 1;
            let fingerprint = format!(
                "{:x}:{}",
                sha2::Sha256::digest(key.as_bytes()),
                n
            );
            let mut message = f.message.clone();
            if !f.fix.is_empty() {
                message.push_str(&format!("\nFix: {}", f.fix));
            }
            let mut result = serde_json::json!({
                "ruleId": f.rule.as_str(),
                "level": level(f.severity),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(f.file.trim_end_matches('/')), "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
                    }
                }],
                "partialFingerprints": { "sqlgateFindingHash/v1": fingerprint },
            });
            if let Some(i) = index.get(f.rule.as_str()) {
                result["ruleIndex"] = serde_json::json!(i);
            }
            result
        })
        .collect();
    let doc = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "sqlgate",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/sqlgate/sqlgate",
                    "rules": rules,
                }
            },
            "automationDetails": { "id": format!("sqlgate/{}/", report.dir) },
            "results": results,
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// A relative path as a URI reference (RFC 3986): every byte but the unreserved
/// characters and `/` percent-encoded, so spaces, quotes, `#`, `?`, `%` and line
/// breaks in file names stay part of the path.
pub fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_become_uri_references() {
        assert_eq!(super::uri("db/001_init.sql"), "db/001_init.sql");
        assert_eq!(
            super::uri("db/my file \"x\"%0A#?.sql"),
            "db/my%20file%20%22x%22%250A%23%3F.sql"
        );
        assert_eq!(super::uri("db/é\n.sql"), "db/%C3%A9%0A.sql");
    }
}
