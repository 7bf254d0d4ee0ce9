//! Rules that compare the working tree with the base branch: `modified-migration`
//! (with a unified diff), `deleted-migration`, `renamed-migration`, `down-modified`,
//! `out-of-order`, and `duplicate-version` against versions already merged. Pure.

use super::directory::DUPLICATE_VERSION;
use crate::catalog::{display_path, Catalog, Migration, Part, Version};
use crate::model::{Finding, OutOfOrder, Rule, Severity};
use similar::TextDiff;
use std::collections::HashSet;
use std::time::Duration;

const CATEGORY: &str = "Directory and history";

pub static OUT_OF_ORDER: Rule = Rule {
    id: "out-of-order",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A new migration's version is not above every version already on the base branch. An error by default for sequential numbers, a warning for timestamps (`out_of_order` in sqlgate.toml).",
    why: "Databases that already ran the later migrations will either skip this one forever or apply it after migrations written on top of a different schema.",
    fix: "Rename it above the highest shipped version (the finding names a fresh file name; `sqlgate create` gives the next one). In a timestamp project that merges parallel branches, `out_of_order = \"warn\"` (the default there) or `\"allow\"` accepts it, and `apply` runs it saying so.",
    bad: "base: 20240301000000_b.sql\nnew:  20240201000000_a.sql",
    good: "base: 20240301000000_b.sql\nnew:  20240302000000_a.sql",
};

pub static MODIFIED_MIGRATION: Rule = Rule {
    id: "modified-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration that exists on the base branch (shipped) was edited; the report shows the diff.",
    why: "Databases that already applied it will never run the new text: production and fresh environments silently diverge, and the next `apply` fails the checksum check.",
    fix: "Revert the edit and put the change in a new migration. Only whitespace-at-line-end (CRLF) and BOM differences are ignored.",
    bad: "--- a/003_orders.sql\n+++ b/003_orders.sql\n-  total numeric(10,2)\n+  total numeric(12,2)",
    good: "003_orders.sql unchanged\n009_widen_order_total.sql: ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);",
};

pub static DELETED_MIGRATION: Rule = Rule {
    id: "deleted-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration that exists on the base branch was deleted.",
    why: "Databases that applied it keep its effects but lose the record's file (`missing-file` on the next apply); fresh environments never get it.",
    fix: "Restore the file. To undo its effect, write a new migration that reverses it.",
    bad: "base: 003_orders.sql\nhead: (missing)",
    good: "head: 003_orders.sql\n      009_drop_orders.sql",
};

pub static RENAMED_MIGRATION: Rule = Rule {
    id: "renamed-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration that exists on the base branch was renamed or renumbered.",
    why: "Runners track migrations by version and name: a renamed migration looks new and runs a second time on every database that already applied it.",
    fix: "Restore the original file name.",
    bad: "base: 003_orders.sql\nhead: 003_create_orders.sql",
    good: "head: 003_orders.sql",
};

pub static DOWN_MODIFIED: Rule = Rule {
    id: "down-modified",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "The down (rollback) SQL of a shipped migration was edited or deleted.",
    why: "Not a checksum violation (downs are not applied forward), but a rollback that differs from what was reviewed with the up migration may not undo it.",
    fix: "Review the new down SQL against the up migration; keep the edit if it fixes a broken rollback.",
    bad: "-- DOWN\n-DROP TABLE orders;\n+DROP TABLE orders CASCADE;",
    good: "-- DOWN\nDROP TABLE orders;",
};

/// Diffs longer than this are cut (the report says so).
const MAX_DIFF_BYTES: usize = 256 * 1024;

/// What comparing with the base found.
#[derive(Debug, Default)]
pub struct Comparison {
    pub findings: Vec<Finding>,
    /// Up paths (relative) of migrations that are new or changed in the working tree.
    pub changed: HashSet<String>,
    /// Versions on the base branch that the working tree does not have (merged by
    /// someone else after this branch started). They still count as shipped.
    pub missing_versions: Vec<Version>,
}

/// A unified diff of two texts with 3 lines of context, bounded in time and size.
pub fn unified_diff(old: &str, new: &str, old_path: &str, new_path: &str) -> String {
    let diff = TextDiff::configure()
        .timeout(Duration::from_secs(2))
        .diff_lines(old, new);
    let mut s = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{old_path}"), &format!("b/{new_path}"))
        .to_string();
    if s.len() > MAX_DIFF_BYTES {
        let mut cut = MAX_DIFF_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("\n… diff truncated …\n");
    }
    s
}

fn first_changed_line(old: &str, new: &str) -> u32 {
    let mut line = 1;
    let mut o = old.lines();
    for n in new.lines() {
        match o.next() {
            Some(ol) if ol == n => line += 1,
            _ => return line,
        }
    }
    line
}

/// How [`compare`] judges: what it knows of the merge base, where the directory is,
/// the out-of-order policy, and the time fresh names are suggested for.
#[derive(Debug, Clone, Copy)]
pub struct Compare<'a> {
    pub merge_base_paths: Option<&'a HashSet<String>>,
    pub display_dir: &'a str,
    pub out_of_order: OutOfOrder,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Compares the working tree (`head`) with the base branch (`base`).
/// `merge_base_paths` lists the up paths that existed where this branch forked from
/// the base; it tells a file this branch deleted from one that was merged into the
/// base later. `None` when unknown (a shallow clone): then a base file missing here is
/// reported as deleted, and a version collision as a duplicate.
pub fn compare(head: &Catalog, base: &Catalog, how: &Compare) -> Comparison {
    let Compare {
        merge_base_paths,
        display_dir,
        ..
    } = *how;
    let mut out = Comparison::default();
    let head_by_path = head.by_path();
    let base_by_path = base.by_path();
    let is_new = |m: &Migration| !base_by_path.contains_key(m.up.path.as_str());
    let mut accounted: HashSet<&str> = HashSet::new();
    let show = |path: &str| display_path(display_dir, path);

    for b in &base.migrations {
        if let Some(h) = head_by_path.get(b.up.path.as_str()) {
            if !h.same_up(b) {
                let diff = unified_diff(&b.up.text, &h.up.text, &b.up.path, &h.up.path);
                let line = h.up.first_line + first_changed_line(&b.up.text, &h.up.text) - 1;
                out.findings.push(
                    Finding::new(
                        &MODIFIED_MIGRATION,
                        show(&h.up.path),
                        format!(
                            "`{}` is already on the base branch and was edited",
                            h.up.path
                        ),
                    )
                    .version(h.version.raw())
                    .at(line, 1)
                    .diff(diff),
                );
                out.changed.insert(h.up.path.clone());
            }
            down_changes(b, h, &show, &mut out.findings);
            continue;
        }
        // Not at the same path: renamed with the same content?
        if let Some(h) = head
            .migrations
            .iter()
            .find(|h| is_new(h) && !accounted.contains(h.up.path.as_str()) && h.same_up(b))
        {
            accounted.insert(h.up.path.as_str());
            out.changed.insert(h.up.path.clone());
            out.findings.push(
                Finding::new(
                    &RENAMED_MIGRATION,
                    show(&h.up.path),
                    format!(
                        "`{}` on the base branch was renamed to `{}`",
                        b.up.path, h.up.path
                    ),
                )
                .version(h.version.raw()),
            );
            continue;
        }
        let on_branch = merge_base_paths.map(|paths| paths.contains(&b.up.path));
        let same_version = head.migrations.iter().find(|h| {
            is_new(h) && !accounted.contains(h.up.path.as_str()) && h.version == b.version
        });
        match (same_version, on_branch) {
            (Some(h), Some(true)) => {
                accounted.insert(h.up.path.as_str());
                out.changed.insert(h.up.path.clone());
                let diff = unified_diff(&b.up.text, &h.up.text, &b.up.path, &h.up.path);
                out.findings.push(
                    Finding::new(
                        &RENAMED_MIGRATION,
                        show(&h.up.path),
                        format!(
                            "`{}` on the base branch was renamed to `{}` and edited",
                            b.up.path, h.up.path
                        ),
                    )
                    .version(h.version.raw())
                    .diff(diff),
                );
            }
            (Some(h), known) => {
                accounted.insert(h.up.path.as_str());
                out.changed.insert(h.up.path.clone());
                out.missing_versions.push(b.version.clone());
                let msg = if known == Some(false) {
                    format!(
                        "version {} was already merged into the base branch as `{}` by another change; `{}` reuses it",
                        b.version, b.up.path, h.up.path
                    )
                } else {
                    format!(
                        "version {} is already used on the base branch by `{}`; `{}` reuses it (if you renamed that migration, restore its name instead)",
                        b.version, b.up.path, h.up.path
                    )
                };
                out.findings.push(
                    Finding::new(&DUPLICATE_VERSION, show(&h.up.path), msg)
                        .version(h.version.raw()),
                );
            }
            (None, Some(false)) => {
                // Merged into the base after this branch forked: not deleted here.
                out.missing_versions.push(b.version.clone());
            }
            (None, _) => {
                out.findings.push(
                    Finding::new(
                        &DELETED_MIGRATION,
                        show(&b.up.path),
                        format!("`{}` is on the base branch but was deleted", b.up.path),
                    )
                    .version(b.version.raw()),
                );
            }
        }
    }

    let shipped_max = base.max_version();
    for h in head.migrations.iter().filter(|h| is_new(h)) {
        out.changed.insert(h.up.path.clone());
        if accounted.contains(h.up.path.as_str()) {
            continue;
        }
        if let Some(max) = shipped_max {
            // Equal versions at other paths are duplicates (reported above or by the
            // directory rules); only strictly lower versions are out of order.
            if &h.version < max && how.out_of_order != OutOfOrder::Allow {
                let holder = base
                    .migrations
                    .iter()
                    .rev()
                    .find(|b| &b.version == max)
                    .map(|b| b.up.path.as_str())
                    .unwrap_or_default();
                let fresh = crate::create::renamed_path(head, h, how.now);
                let (severity, consequence) = if how.out_of_order == OutOfOrder::Warn {
                    (
                        Severity::Warning,
                        format!(
                            "databases that already ran version {max} will apply it after that one (`out_of_order = \"warn\"`)"
                        ),
                    )
                } else {
                    (
                        Severity::Error,
                        "`sqlgate apply` refuses it on databases that already ran the later one (`out_of_order = \"error\"`)".to_string(),
                    )
                };
                let mut finding = Finding::new(
                    &OUT_OF_ORDER,
                    show(&h.up.path),
                    format!(
                        "new migration `{}` has version {}, below version {} (`{holder}`) already on the base branch: {consequence}",
                        h.up.path, h.version, max
                    ),
                )
                .version(h.version.raw())
                .fix(format!(
                    "Rename it to `{fresh}` so it runs after everything shipped, unless it must run before `{holder}`; in a timestamp project that merges parallel branches, `out_of_order = \"warn\"` or `\"allow\"` in sqlgate.toml accepts this."
                ));
                finding.severity = severity;
                out.findings.push(finding);
            }
        }
    }
    // Repeatable migrations are meant to change: new or edited ones are judged, and
    // nothing else is said about them.
    for h in &head.repeatables {
        let same = base
            .repeatables
            .iter()
            .any(|b| b.up.path == h.up.path && b.same_up(h));
        if !same {
            out.changed.insert(h.up.path.clone());
        }
    }
    out
}

fn down_changes(
    b: &Migration,
    h: &Migration,
    show: &dyn Fn(&str) -> String,
    out: &mut Vec<Finding>,
) {
    let finding = |part: &Part, msg: String| {
        Finding::new(&DOWN_MODIFIED, show(&part.path), msg)
            .version(h.version.raw())
            .at(part.first_line, 1)
    };
    match (&b.down, &h.down) {
        (Some(bd), Some(hd)) if bd.checksum != hd.checksum => {
            let diff = unified_diff(&bd.text, &hd.text, &bd.path, &hd.path);
            out.push(
                finding(
                    hd,
                    format!("the down migration of shipped `{}` was edited", h.name),
                )
                .diff(diff),
            );
        }
        (Some(bd), None) => {
            out.push(finding(
                bd,
                format!("the down migration of shipped `{}` was deleted", h.name),
            ));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::of_files as cat;

    fn how(merge_base_paths: Option<&HashSet<String>>) -> Compare<'_> {
        Compare {
            merge_base_paths,
            display_dir: "m",
            out_of_order: OutOfOrder::Error,
            now: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        }
    }

    fn rules(c: &Comparison) -> Vec<(&str, &str)> {
        let mut v: Vec<_> = c
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.file.as_str()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn unchanged_is_clean_and_new_is_changed() {
        let base = cat(&[("001_a.sql", "select 1;\n")]);
        let head = cat(&[("001_a.sql", "select 1;\r\n"), ("002_b.sql", "select 2;\n")]);
        let c = compare(&head, &base, &how(None));
        assert!(c.findings.is_empty());
        assert_eq!(c.changed, HashSet::from(["002_b.sql".to_string()]));
    }

    #[test]
    fn edit_is_modified_with_diff_and_line() {
        let base = cat(&[("001_a.sql", "create table a (\n  id int\n);\n")]);
        let head = cat(&[("001_a.sql", "create table a (\n  id bigint\n);\n")]);
        let c = compare(&head, &base, &how(None));
        assert_eq!(rules(&c), [("modified-migration", "m/001_a.sql")]);
        let f = &c.findings[0];
        assert_eq!(f.line, 2);
        let diff = f.diff.as_deref().unwrap();
        assert!(
            diff.contains("-  id int") && diff.contains("+  id bigint"),
            "{diff}"
        );
        assert!(diff.contains("--- a/001_a.sql"));
    }

    #[test]
    fn deleted_renamed_and_behind() {
        let base = cat(&[
            ("001_a.sql", "select 1;"),
            ("002_b.sql", "select 2;"),
            ("003_c.sql", "select 3;"),
        ]);
        // 002 renamed (same content), 003 deleted.
        let head = cat(&[("001_a.sql", "select 1;"), ("002_bee.sql", "select 2;")]);
        let c = compare(&head, &base, &how(None));
        assert_eq!(
            rules(&c),
            [
                ("deleted-migration", "m/003_c.sql"),
                ("renamed-migration", "m/002_bee.sql")
            ]
        );
        // When the merge base did not have 003, the branch is merely behind.
        let mb: HashSet<String> = ["001_a.sql".to_string(), "002_b.sql".to_string()].into();
        let c = compare(&head, &base, &how(Some(&mb)));
        assert_eq!(rules(&c), [("renamed-migration", "m/002_bee.sql")]);
        assert_eq!(c.missing_versions, [Version::from_digits("3").unwrap()]);
    }

    #[test]
    fn same_version_merged_elsewhere_is_duplicate() {
        let base = cat(&[
            ("001_a.sql", "select 1;"),
            ("002_theirs.sql", "select 'theirs';"),
        ]);
        let head = cat(&[
            ("001_a.sql", "select 1;"),
            ("002_mine.sql", "select 'mine';"),
        ]);
        let mb: HashSet<String> = ["001_a.sql".to_string()].into();
        let c = compare(&head, &base, &how(Some(&mb)));
        assert_eq!(rules(&c), [("duplicate-version", "m/002_mine.sql")]);
        assert!(c.findings[0].message.contains("already merged"));
        // Unknown merge base: still a duplicate, and the message mentions renames.
        let c = compare(&head, &base, &how(None));
        assert_eq!(rules(&c), [("duplicate-version", "m/002_mine.sql")]);
        // Known to have been on the branch: a rename with an edit.
        let mb: HashSet<String> = ["001_a.sql".to_string(), "002_theirs.sql".to_string()].into();
        let c = compare(&head, &base, &how(Some(&mb)));
        assert_eq!(rules(&c), [("renamed-migration", "m/002_mine.sql")]);
    }

    #[test]
    fn out_of_order_below_shipped_max() {
        let base = cat(&[("20240101000000_a.sql", "x"), ("20240301000000_c.sql", "y")]);
        let head = cat(&[
            ("20240101000000_a.sql", "x"),
            ("20240301000000_c.sql", "y"),
            ("20240201000000_b.sql", "z"),
            ("20240401000000_d.sql", "w"),
        ]);
        let c = compare(&head, &base, &how(None));
        assert_eq!(rules(&c), [("out-of-order", "m/20240201000000_b.sql")]);
    }

    #[test]
    fn down_edits_are_warnings_not_checksum_violations() {
        let base = cat(&[(
            "001_a.sql",
            "-- UP\ncreate table a();\n-- DOWN\ndrop table a;\n",
        )]);
        let head = cat(&[(
            "001_a.sql",
            "-- UP\ncreate table a();\n-- DOWN\ndrop table a cascade;\n",
        )]);
        let c = compare(&head, &base, &how(None));
        assert_eq!(rules(&c), [("down-modified", "m/001_a.sql")]);
        assert_eq!(c.findings[0].line, 3);
        let base = cat(&[("001_a.up.sql", "x"), ("001_a.down.sql", "y")]);
        let head = cat(&[("001_a.up.sql", "x")]);
        let c = compare(&head, &base, &how(None));
        assert_eq!(rules(&c), [("down-modified", "m/001_a.down.sql")]);
    }
}
