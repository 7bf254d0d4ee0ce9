//! What `sqlgate preview` reports: a text summary for the terminal and the preview
//! section of the pull-request comment (kept apart from the check's verdict).

use super::clean;
use super::markdown::{cell, code, fence};
use crate::model::Step;
use crate::preview::{Listed, PreviewReport};

/// The slowest statements first, at most `n`.
fn slowest(steps: &[Step], n: usize) -> Vec<&Step> {
    let mut s: Vec<&Step> = steps.iter().collect();
    s.sort_by(|a, b| b.duration_ms.total_cmp(&a.duration_ms));
    s.truncate(n);
    s
}

/// The terminal summary of `preview up`.
pub fn text(r: &PreviewReport) -> String {
    let mut out = format!(
        "preview {}: {} ({} ms){}\n",
        clean(&r.name),
        clean(&r.action),
        r.elapsed_ms,
        r.template
            .as_deref()
            .map(|t| format!(", from template {}", clean(t)))
            .unwrap_or_default()
    );
    for why in &r.reasons {
        out.push_str(&format!("  rebuilt because: {}\n", clean(why)));
    }
    for a in &r.applied {
        out.push_str(&format!(
            "  applied {} ({} ms)\n",
            clean(&a.name),
            a.execution_ms
        ));
    }
    for s in slowest(&r.steps, 10)
        .into_iter()
        .filter(|s| !s.locks.is_empty() || !s.rewrites.is_empty())
    {
        out.push_str(&format!(
            "  {}:{}  {:.1} ms{}{}\n",
            clean(&s.file),
            s.line,
            s.duration_ms,
            if s.locks.is_empty() {
                String::new()
            } else {
                format!("  locks {}", clean(&s.locks.join(", ")))
            },
            if s.rewrites.is_empty() {
                String::new()
            } else {
                format!("  rewrote {}", clean(&s.rewrites.join(", ")))
            },
        ));
    }
    if let Some(f) = &r.failure {
        if f.file.is_empty() {
            // Not one statement's failure (a bound of the sandbox ended the build).
            out.push_str(&format!("  FAILED: {}\n", clean(&f.message)));
        } else {
            out.push_str(&format!(
                "  FAILED: {} at {}:{}:{}: {}\n",
                clean(&f.migration),
                clean(&f.file),
                f.line,
                f.column,
                clean(&f.message)
            ));
        }
    }
    for b in &r.blockers {
        out.push_str(&format!("  refused: {} {}\n", b.rule, clean(&b.message)));
    }
    if !r.url.is_empty() {
        out.push_str(&format!("  database: {}\n", clean(&r.url)));
    }
    out
}

/// The preview section of the pull-request comment.
pub fn markdown(r: &PreviewReport) -> String {
    let verb = match r.action.as_str() {
        "created" => "✅ created",
        "updated" => "✅ updated",
        "rebuilt" => "✅ rebuilt",
        "up-to-date" => "✅ up to date",
        "dropped" => "🗑️ dropped",
        "failed" => "🔴 failed",
        other => other,
    };
    let mut out = format!(
        "### Preview database {}\n\n{verb} in {:.1} s{}.\n",
        code(&r.name),
        r.elapsed_ms as f64 / 1000.0,
        r.template
            .as_deref()
            .map(|t| format!(", copied from {}", code(t)))
            .unwrap_or_default()
    );
    if !r.reasons.is_empty() {
        out.push_str(&format!(
            "\nRebuilt because an applied migration changed: {}\n",
            r.reasons
                .iter()
                .map(|w| cell(w))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if let Some(f) = &r.failure {
        if f.file.is_empty() {
            out.push_str(&format!(
                "\n**The build failed**: {}\nThe previous preview (if any) is unchanged.\n",
                cell(&f.message)
            ));
        } else {
            out.push_str(&format!(
                "\n**{}** failed at {}: {}\nThe previous preview (if any) is unchanged.\n",
                cell(&f.migration),
                code(&format!("{}:{}:{}", f.file, f.line, f.column)),
                cell(&f.message)
            ));
        }
    }
    for b in &r.blockers {
        out.push_str(&format!(
            "\n- refused: {} {}\n",
            code(b.rule.as_str()),
            cell(&b.message)
        ));
    }
    if !r.applied.is_empty() {
        out.push_str("\n| migration | duration |\n|---|---:|\n");
        for a in &r.applied {
            out.push_str(&format!("| {} | {} ms |\n", code(&a.name), a.execution_ms));
        }
    }
    let heavy: Vec<&Step> = slowest(&r.steps, 10)
        .into_iter()
        .filter(|s| !s.locks.is_empty() || !s.rewrites.is_empty())
        .collect();
    if !heavy.is_empty() {
        out.push_str("\n<details><summary>Slowest statements, with their locks and rewrites</summary>\n\n| statement | duration | locks | rewrites |\n|---|---:|---|---|\n");
        for s in heavy {
            out.push_str(&format!(
                "| {} | {:.1} ms | {} | {} |\n",
                code(&format!("{}:{}", s.file, s.line)),
                s.duration_ms,
                cell(&s.locks.join(", ")),
                cell(&s.rewrites.join(", "))
            ));
        }
        out.push_str("\n</details>\n");
    }
    if !r.schema_diff.is_empty() {
        out.push_str(&format!(
            "\n<details><summary>Schema diff</summary>\n\n{}\n</details>\n",
            fence(&r.schema_diff, "diff")
        ));
    }
    out
}

/// `preview list`.
pub fn list(previews: &[Listed]) -> String {
    if previews.is_empty() {
        return "no previews\n".into();
    }
    let mut out = format!(
        "{:<40} {:>6}  {:<20}  {:>10}  head\n",
        "database", "pr", "built", "size"
    );
    for p in previews {
        out.push_str(&format!(
            "{:<40} {:>6}  {:<20}  {:>7} MB  {}{}\n",
            clean(&p.database),
            p.marker.pr.map(|n| n.to_string()).unwrap_or_default(),
            clean(&p.marker.built_at),
            p.size_bytes / 1_000_000,
            clean(p.marker.head.as_deref().unwrap_or("")),
            if p.marker.building {
                "  (building)"
            } else {
                ""
            }
        ));
    }
    out
}
