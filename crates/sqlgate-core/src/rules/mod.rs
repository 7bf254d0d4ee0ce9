//! The rules: each rule's documentation sits next to the check that reports it, one
//! file per family, all listed in [`registry`]. `directory` judges one catalog,
//! `history` compares the working tree with the base branch, `database` the files
//! with the history table, `sql` every statement, `replay` what a scratch database
//! observed. This module applies `[rules]` overrides and `sqlgate:ignore` directives.

pub mod database;
pub mod directory;
pub mod history;
pub mod policy;
pub mod registry;
pub mod replay;
pub mod sql;

use crate::model::{Finding, Severity};
use std::collections::BTreeMap;

/// A configured severity for a rule: a level, or `off`.
pub type Overrides = BTreeMap<String, Option<Severity>>;

/// True when a rule runs: on by default and not set to `off`, or enabled in `[rules]`.
pub fn enabled(id: &str, overrides: &Overrides) -> bool {
    match overrides.get(id) {
        Some(level) => level.is_some(),
        None => registry::info(id).is_none_or(|i| i.on),
    }
}

/// Applies `[rules]` overrides: changes severities, drops rules set to `off` and
/// rules that are off by default and not enabled.
pub fn apply_overrides(findings: Vec<Finding>, overrides: &Overrides) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|mut f| match overrides.get(f.rule.as_str()) {
            Some(None) => None,
            Some(Some(sev)) => {
                f.severity = *sev;
                Some(f)
            }
            None => enabled(f.rule.as_str(), overrides).then_some(f),
        })
        .collect()
}

/// Drops the findings that `sqlgate:ignore` directives silence, and reports each
/// directive (or rule in it) that silenced nothing as `unused-ignore`.
pub fn apply_ignores(findings: Vec<Finding>, ignores: &[sql::Ignore]) -> Vec<Finding> {
    let mut used = vec![Vec::<&str>::new(); ignores.len()];
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let hit = ignores.iter().position(|ig| ig.silences(&f));
        match hit {
            Some(i) => used[i].push(f.rule.as_str()),
            None => kept.push(f),
        }
    }
    for (ig, used) in ignores.iter().zip(&used) {
        if ig.rules.is_empty() {
            kept.push(unused(ig, "names no rule".to_string()));
            continue;
        }
        for rule in &ig.rules {
            if used.contains(&rule.as_str()) {
                continue;
            }
            let why = if !registry::is_known(rule) {
                let hint = registry::closest(rule)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                format!("`{rule}` is not a rule{hint}")
            } else if ig.lines == Some((0, 0)) {
                format!("no statement follows this `sqlgate:ignore {rule}`")
            } else {
                format!("`sqlgate:ignore {rule}` silences nothing here")
            };
            kept.push(unused(ig, why));
        }
    }
    kept
}

/// Findings that come after the others were judged (the scratch replay's): those a
/// directive silences are dropped, and that directive's `unused-ignore` for the rule
/// goes too — it did silence something.
pub fn apply_late_ignores(
    earlier: &mut Vec<Finding>,
    later: Vec<Finding>,
    ignores: &[sql::Ignore],
) -> Vec<Finding> {
    let mut kept = Vec::with_capacity(later.len());
    for f in later {
        match ignores.iter().find(|ig| ig.silences(&f)) {
            Some(ig) => {
                let unused_text = format!("`sqlgate:ignore {}` silences nothing here", f.rule);
                earlier.retain(|u| {
                    !(u.rule == sql::transactions::UNUSED_IGNORE.id
                        && u.file == ig.file
                        && u.line == ig.line
                        && u.message == unused_text)
                });
            }
            None => kept.push(f),
        }
    }
    kept
}

fn unused(ig: &sql::Ignore, message: String) -> Finding {
    Finding::new(&sql::transactions::UNUSED_IGNORE, ig.file.clone(), message)
        .at(ig.line, 1)
        .version(ig.version.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_change_and_silence() {
        let fs = vec![
            Finding::new(&directory::VERSION_GAP, "a", "x"),
            Finding::new(&directory::EMPTY_MIGRATION, "b", "y"),
        ];
        let mut o = Overrides::new();
        o.insert("version-gap".into(), Some(Severity::Info));
        o.insert("empty-migration".into(), None);
        let out = apply_overrides(fs, &o);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Info);
    }
}
