//! Check runs: every finding as a check-run annotation (GitHub shows only ten
//! workflow-command annotations per level per step; a check run carries all of them,
//! 50 per request). Pure payload building here; the calls are in `api`.

use serde_json::{json, Value};
use sqlgate_core::model::{Finding, Severity};

/// GitHub's limit of annotations per check-run request.
pub const PER_REQUEST: usize = 50;

/// One annotation (`path` as the repository knows it).
pub fn annotation(f: &Finding, path: &str) -> Value {
    let level = match f.severity {
        Severity::Error => "failure",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let line = f.line.max(1);
    let mut a = json!({
        "path": path,
        "start_line": line,
        "end_line": line,
        "annotation_level": level,
        "title": f.rule.as_str(),
        "message": f.message,
        "raw_details": format!("Why: {}\nFix: {}", f.why, f.fix),
    });
    if f.column > 0 {
        a["start_column"] = json!(f.column);
        a["end_column"] = json!(f.column);
    }
    a
}

/// The payloads: the first creates the run (with the first 50 annotations), each
/// next one adds 50 more. `conclusion`: `success`, `failure` or `neutral`.
pub fn payloads(
    name: &str,
    head_sha: &str,
    conclusion: &str,
    title: &str,
    summary: &str,
    annotations: &[Value],
) -> Vec<Value> {
    let output =
        |chunk: &[Value]| json!({ "title": title, "summary": summary, "annotations": chunk });
    let mut chunks: Vec<&[Value]> = annotations.chunks(PER_REQUEST).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    chunks
        .iter()
        .enumerate()
        .map(|(i, chunk)| {
            if i == 0 {
                json!({
                    "name": name,
                    "head_sha": head_sha,
                    "status": "completed",
                    "conclusion": conclusion,
                    "output": output(chunk),
                })
            } else {
                json!({ "output": output(chunk) })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_go_fifty_at_a_time() {
        let a: Vec<Value> = (0..180).map(|i| json!({ "n": i })).collect();
        let p = payloads("sqlgate", "abc", "failure", "t", "s", &a);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0]["head_sha"], "abc");
        assert_eq!(
            p[3]["output"]["annotations"].as_array().map(Vec::len),
            Some(30)
        );
        assert!(p[1].get("head_sha").is_none());
        assert_eq!(
            payloads("sqlgate", "abc", "success", "t", "s", &[]).len(),
            1
        );
    }
}
