//! The rules: their ids, default severities and documentation (`sqlgate explain`),
//! plus the pure checks that produce findings. `directory` judges one catalog;
//! `history` compares the working tree with the base branch.

pub mod directory;
pub mod history;
pub mod sql;
mod sql_docs;

use crate::findings::{Finding, Severity};
use std::collections::BTreeMap;

/// Documentation and default severity of one rule.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub id: &'static str,
    pub severity: Severity,
    /// False for rules that are off unless enabled in `[rules]`.
    pub on: bool,
    pub category: &'static str,
    /// One line: what the rule reports.
    pub summary: &'static str,
    /// Why it matters in production.
    pub why: &'static str,
    /// What to do instead.
    pub fix: &'static str,
    /// An example that fires (a file listing or SQL).
    pub bad: &'static str,
    /// The corrected example.
    pub good: &'static str,
}

const DIR: &str = "Directory and history";

/// The directory and history rules, in documentation order.
pub const DIRECTORY_RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "duplicate-version",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "Two migrations share a version number (also across branches: a version another pull request already merged).",
        why: "Runners key migrations by version: one of the two is silently skipped or fails with a unique violation on deploy, and environments end up with different schemas.",
        fix: "Renumber the new migration to the next free version (`sqlgate create <name>` picks it).",
        bad: "migrations/004_add_avatar.sql\nmigrations/004_add_teams.sql",
        good: "migrations/004_add_avatar.sql\nmigrations/005_add_teams.sql",
    },
    RuleInfo {
        id: "version-gap",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "With `numbering = \"sequential\"`, a version number is skipped.",
        why: "A gap usually means a migration was lost in a merge or renumbered by hand; a runner that later receives the missing number applies it out of order.",
        fix: "Renumber the migration to close the gap, or set `numbering = \"sparse\"` in sqlgate.toml when gaps are intentional.",
        bad: "001_users.sql\n002_teams.sql\n004_tasks.sql",
        good: "001_users.sql\n002_teams.sql\n003_tasks.sql",
    },
    RuleInfo {
        id: "out-of-order",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A new migration's version is not above every version already on the base branch.",
        why: "Databases that already ran the later migrations will either skip this one forever or apply it after migrations written on top of a different schema.",
        fix: "Renumber the migration above the highest shipped version (rebase, then `sqlgate create` gives the next number).",
        bad: "base: 20240301000000_b.sql\nnew:  20240201000000_a.sql",
        good: "base: 20240301000000_b.sql\nnew:  20240302000000_a.sql",
    },
    RuleInfo {
        id: "invalid-name",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A `.sql` file does not fit the directory's naming (no leading version, or a layout it does not follow).",
        why: "A file the runner cannot order is either skipped silently (never applied) or applied at a random point.",
        fix: "Name it `<version>_<description>.sql` in the directory's layout, or move non-migration SQL out of the directory.",
        bad: "migrations/add_users.sql",
        good: "migrations/003_add_users.sql",
    },
    RuleInfo {
        id: "mixed-layout",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "The directory mixes layouts (e.g. `.up.sql` pairs next to plain `.sql` files).",
        why: "Down migrations and ordering are read differently per layout; a mixed directory is ambiguous and one of the files would be misread.",
        fix: "Convert the file to the directory's layout, or force one with `layout = \"…\"` in sqlgate.toml.",
        bad: "001_a.up.sql\n001_a.down.sql\n002_b.sql",
        good: "001_a.up.sql\n001_a.down.sql\n002_b.up.sql\n002_b.down.sql",
    },
    RuleInfo {
        id: "inconsistent-width",
        severity: Severity::Warning,
        on: true,
        category: DIR,
        summary: "Zero-padded versions of different widths (`009` next to `0010`).",
        why: "Tools and people that sort file names as text put `0010` before `009`, so the order on disk and the order of application disagree.",
        fix: "Use the width the rest of the directory uses (`010`).",
        bad: "009_a.sql\n0010_b.sql",
        good: "009_a.sql\n010_b.sql",
    },
    RuleInfo {
        id: "orphan-down",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A down/rollback file without its up migration.",
        why: "Usually a renamed or deleted up file: the rollback can never run, and a typo'd name means the real migration has no rollback.",
        fix: "Rename the down file to match its up migration, or delete it.",
        bad: "003_add_index.up.sql\n003_add_idx.down.sql",
        good: "003_add_index.up.sql\n003_add_index.down.sql",
    },
    RuleInfo {
        id: "missing-down",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A migration has no down SQL (only with `require_down = true`).",
        why: "The team requires every migration to be reversible; without a down, `sqlgate rollback` refuses to pass this migration.",
        fix: "Add the down SQL (a `.down.sql` file, a `-- DOWN` section, a `_rollback` sibling or `down.sql`, by layout).",
        bad: "005_add_avatar.up.sql",
        good: "005_add_avatar.up.sql\n005_add_avatar.down.sql",
    },
    RuleInfo {
        id: "empty-migration",
        severity: Severity::Warning,
        on: true,
        category: DIR,
        summary: "A migration's up SQL has nothing but whitespace and comments.",
        why: "Usually an unsaved editor buffer or a bad merge: the version is recorded as applied and the intended change never happens.",
        fix: "Write the SQL, or delete the file. If it is an intentional placeholder, silence the rule for it with `-- sqlgate:ignore-file empty-migration -- <reason>`.",
        bad: "-- Migration: 006_add_index\n",
        good: "-- Migration: 006_add_index\nCREATE INDEX CONCURRENTLY …;",
    },
    RuleInfo {
        id: "not-utf8",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A migration file is not valid UTF-8.",
        why: "PostgreSQL rejects invalid UTF-8 in a UTF8 database, and editors and diffs show it differently on each machine.",
        fix: "Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
        bad: "INSERT INTO cities VALUES ('M\\xfcnchen'); -- saved as Latin-1",
        good: "INSERT INTO cities VALUES ('München'); -- saved as UTF-8",
    },
    RuleInfo {
        id: "unreadable-file",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A migration file cannot be read (permissions, a dangling symlink or a symlink loop).",
        why: "A migration that cannot be read cannot be checked or applied.",
        fix: "Fix the file's permissions or the symlink.",
        bad: "001_a.sql -> 001_a.sql (a symlink loop)",
        good: "001_a.sql (a regular file)",
    },
    RuleInfo {
        id: "modified-migration",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A migration that exists on the base branch (shipped) was edited; the report shows the diff.",
        why: "Databases that already applied it will never run the new text: production and fresh environments silently diverge, and the next `apply` fails the checksum check.",
        fix: "Revert the edit and put the change in a new migration. Only whitespace-at-line-end (CRLF) and BOM differences are ignored.",
        bad: "--- a/003_orders.sql\n+++ b/003_orders.sql\n-  total numeric(10,2)\n+  total numeric(12,2)",
        good: "003_orders.sql unchanged\n009_widen_order_total.sql: ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);",
    },
    RuleInfo {
        id: "deleted-migration",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A migration that exists on the base branch was deleted.",
        why: "Databases that applied it keep its effects but lose the record's file (`missing-file` on the next apply); fresh environments never get it.",
        fix: "Restore the file. To undo its effect, write a new migration that reverses it.",
        bad: "base: 003_orders.sql\nhead: (missing)",
        good: "head: 003_orders.sql\n      009_drop_orders.sql",
    },
    RuleInfo {
        id: "renamed-migration",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A migration that exists on the base branch was renamed or renumbered.",
        why: "Runners track migrations by version and name: a renamed migration looks new and runs a second time on every database that already applied it.",
        fix: "Restore the original file name.",
        bad: "base: 003_orders.sql\nhead: 003_create_orders.sql",
        good: "head: 003_orders.sql",
    },
    RuleInfo {
        id: "down-modified",
        severity: Severity::Warning,
        on: true,
        category: DIR,
        summary: "The down (rollback) SQL of a shipped migration was edited or deleted.",
        why: "Not a checksum violation (downs are not applied forward), but a rollback that differs from what was reviewed with the up migration may not undo it.",
        fix: "Review the new down SQL against the up migration; keep the edit if it fixes a broken rollback.",
        bad: "-- DOWN\n-DROP TABLE orders;\n+DROP TABLE orders CASCADE;",
        good: "-- DOWN\nDROP TABLE orders;",
    },
    RuleInfo {
        id: "checksum-mismatch",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "An applied migration's file differs from what the database recorded (`apply`, `status`).",
        why: "The database ran other SQL than the file now says: environments built from the files differ from this one, and the edit will never run here.",
        fix: "Restore the file as it was applied and put the change in a new migration; if the edit is a harmless fix (a comment), accept it with `sqlgate repair <version>`.",
        bad: "history: 003 checksum 5e8a…
file:    003 checksum 91c0…",
        good: "history and file agree",
    },
    RuleInfo {
        id: "missing-file",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "A migration recorded as applied in the database has no file.",
        why: "Usually a deleted or renamed migration, or a checkout of the wrong branch: fresh environments will not get what this database has.",
        fix: "Restore the file (or check out the right branch).",
        bad: "history: 004_add_orders applied
files:   (no 004)",
        good: "history: 004_add_orders applied
files:   004_add_orders.sql",
    },
    RuleInfo {
        id: "failed-migration",
        severity: Severity::Error,
        on: true,
        category: DIR,
        summary: "The database records a no-transaction migration that failed part-way.",
        why: "Some of its statements ran and some did not: applying anything on top of a half-applied migration compounds the damage.",
        fix: "Finish or undo the migration by hand, then clear the record with `sqlgate repair <version>`.",
        bad: "history: 007_index_orders failed (1 of 2 statements ran)",
        good: "history: 007_index_orders applied",
    },
];

const REPLAY: &str = "Scratch replay (`check --scratch`)";

/// What the replay on a scratch database observes.
pub const REPLAY_RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "replay-error",
        severity: Severity::Error,
        on: true,
        category: REPLAY,
        summary: "A new migration's statement fails on a scratch database built from the migrations before it.",
        why: "It will fail the same way on deploy: the runner stops, and a no-transaction migration is left half-applied.",
        fix: "Fix the statement (PostgreSQL's message, detail and hint say what is wrong); run `sqlgate check --scratch auto` locally to retry.",
        bad: "ALTER TABLE missing_table ADD COLUMN x int;  -- relation \"missing_table\" does not exist",
        good: "ALTER TABLE users ADD COLUMN x int;",
    },
    RuleInfo {
        id: "replay-rewrite",
        severity: Severity::Warning,
        on: true,
        category: REPLAY,
        summary: "A statement rewrote an existing table or index (its relfilenode changed) and no static rule reported it.",
        why: "A rewrite copies the whole table under an ACCESS EXCLUSIVE lock: on a large table, reads and writes stop for the duration.",
        fix: "Find a form that changes only the catalog (see `sqlgate explain` for the rules about types, defaults and constraints), or schedule the rewrite for a maintenance window.",
        bad: "ALTER TABLE events SET UNLOGGED;",
        good: "CREATE TABLE events_scratch (LIKE events) ... -- or leave the table as it is",
    },
    RuleInfo {
        id: "replay-blocking-lock",
        severity: Severity::Warning,
        on: true,
        category: REPLAY,
        summary: "A statement took a lock that blocks writes (SHARE or stronger) on an existing table and no static rule reported it.",
        why: "While the lock is held (until the migration's transaction commits) every INSERT, UPDATE and DELETE on the table waits, and so does everything queued behind them.",
        fix: "Keep the transaction short and put such statements in a migration of their own; keep a lock_timeout (sqlgate's runner sets one) so the statement gives up instead of queueing.",
        bad: "CREATE TRIGGER users_audit AFTER UPDATE ON users\n  FOR EACH ROW EXECUTE FUNCTION audit();  -- SHARE ROW EXCLUSIVE on users",
        good: "-- the same, in a migration of its own, deployed at a quiet time",
    },
];

/// Rule ids from PRODUCT §2 that later releases implement. They are accepted in
/// `[rules]` and `sqlgate:ignore` so configurations can be written ahead.
pub const PLANNED_RULES: &[&str] = &[];

/// Every rule sqlgate implements, in documentation order.
pub fn all() -> impl Iterator<Item = &'static RuleInfo> {
    DIRECTORY_RULES
        .iter()
        .chain(sql_docs::SQL_RULES.iter())
        .chain(REPLAY_RULES.iter())
}

/// The documentation of a rule sqlgate implements.
pub fn info(id: &str) -> Option<&'static RuleInfo> {
    all().find(|r| r.id == id)
}

/// True for ids that may appear in configuration and ignore directives.
pub fn is_known(id: &str) -> bool {
    info(id).is_some() || PLANNED_RULES.contains(&id)
}

/// The known rule id closest to `id`, for "did you mean" messages.
pub fn closest(id: &str) -> Option<&'static str> {
    all()
        .map(|r| r.id)
        .chain(PLANNED_RULES.iter().copied())
        .map(|known| (strsim(id, known), known))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance (small strings only).
fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// A configured severity for a rule: a level, or `off`.
pub type Overrides = BTreeMap<String, Option<Severity>>;

/// True when a rule runs: on by default and not set to `off`, or enabled in `[rules]`.
pub fn enabled(id: &str, overrides: &Overrides) -> bool {
    match overrides.get(id) {
        Some(level) => level.is_some(),
        None => info(id).is_none_or(|i| i.on),
    }
}

/// Applies `[rules]` overrides: changes severities, drops rules set to `off` and
/// rules that are off by default and not enabled.
pub fn apply_overrides(findings: Vec<Finding>, overrides: &Overrides) -> Vec<Finding> {
    findings
        .into_iter()
        .filter_map(|mut f| match overrides.get(f.rule) {
            Some(None) => None,
            Some(Some(sev)) => {
                f.severity = *sev;
                Some(f)
            }
            None => enabled(f.rule, overrides).then_some(f),
        })
        .collect()
}

/// Drops the findings that `sqlgate:ignore` directives silence, and reports each
/// directive (or rule in it) that silenced nothing as `unused-ignore`.
pub fn apply_ignores(findings: Vec<Finding>, ignores: &[sql::Ignore]) -> Vec<Finding> {
    let mut used = vec![Vec::<&str>::new(); ignores.len()];
    let mut kept = Vec::with_capacity(findings.len());
    for f in findings {
        let hit = ignores.iter().position(|ig| {
            ig.file == f.file
                && ig.rules.iter().any(|r| r == f.rule)
                && ig
                    .lines
                    .is_none_or(|(a, b)| a > 0 && f.line >= a && f.line <= b)
        });
        match hit {
            Some(i) => used[i].push(f.rule),
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
            let why = if !is_known(rule) {
                let hint = closest(rule)
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

fn unused(ig: &sql::Ignore, message: String) -> Finding {
    Finding::new("unused-ignore", ig.file.clone(), message)
        .at(ig.line, 1)
        .version(ig.version.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_documented_once() {
        let mut ids: Vec<_> = all().map(|r| r.id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for r in all() {
            assert!(
                !r.why.is_empty() && !r.fix.is_empty() && !r.bad.is_empty() && !r.good.is_empty(),
                "{}",
                r.id
            );
            assert!(
                !PLANNED_RULES.contains(&r.id),
                "{} is both planned and implemented",
                r.id
            );
        }
    }

    #[test]
    fn overrides_change_and_silence() {
        let fs = vec![
            Finding::new("version-gap", "a", "x"),
            Finding::new("empty-migration", "b", "y"),
        ];
        let mut o = Overrides::new();
        o.insert("version-gap".into(), Some(Severity::Info));
        o.insert("empty-migration".into(), None);
        let out = apply_overrides(fs, &o);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].severity, Severity::Info);
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(closest("version-gaps"), Some("version-gap"));
        assert_eq!(closest("drop-colum"), Some("drop-column"));
        assert_eq!(closest("zzzzzzzzzzzz"), None);
    }
}
