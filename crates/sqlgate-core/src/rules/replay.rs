//! What the scratch replay observed, judged: `replay-error` (a new statement fails),
//! `replay-rewrite` and `replay-blocking-lock` (what no static rule reported), and the
//! observations attached to the static findings of the same statement. Pure.

use crate::model::replay::BLOCKING_LOCKS;
use crate::model::{Finding, ReplayVerdict, Rule, RuleId, Severity, Step};
use crate::rules::sql;

const CATEGORY: &str = "Scratch replay (`check --scratch`)";

pub static REPLAY_ERROR: Rule = Rule {
    id: "replay-error",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A new migration's statement fails on a scratch database built from the migrations before it.",
    why: "It will fail the same way on deploy: the runner stops, and a no-transaction migration is left half-applied.",
    fix: "Fix the statement (PostgreSQL's message, detail and hint say what is wrong); run `sqlgate check --scratch auto` locally to retry.",
    bad: "ALTER TABLE missing_table ADD COLUMN x int;  -- relation \"missing_table\" does not exist",
    good: "ALTER TABLE users ADD COLUMN x int;",
};

pub static REPLAY_REWRITE: Rule = Rule {
    id: "replay-rewrite",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A statement rewrote an existing table or index (its relfilenode changed) and no static rule reported it.",
    why: "A rewrite copies the whole table under an ACCESS EXCLUSIVE lock: on a large table, reads and writes stop for the duration.",
    fix: "Find a form that changes only the catalog (see `sqlgate explain` for the rules about types, defaults and constraints), or schedule the rewrite for a maintenance window.",
    bad: "ALTER TABLE events SET UNLOGGED;",
    good: "CREATE TABLE events_scratch (LIKE events) ... -- or leave the table as it is",
};

pub static REPLAY_BLOCKING_LOCK: Rule = Rule {
    id: "replay-blocking-lock",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A statement took a lock that blocks writes (SHARE or stronger) on an existing table and no static rule reported it.",
    why: "While the lock is held (until the migration's transaction commits) every INSERT, UPDATE and DELETE on the table waits, and so does everything queued behind them.",
    fix: "Keep the transaction short and put such statements in a migration of their own; keep a lock_timeout (sqlgate's runner sets one) so the statement gives up instead of queueing.",
    bad: "CREATE TRIGGER users_audit AFTER UPDATE ON users\n  FOR EACH ROW EXECUTE FUNCTION audit();  -- SHARE ROW EXCLUSIVE on users",
    good: "-- the same, in a migration of its own, deployed at a quiet time",
};

/// Rules whose findings claim the statement rewrites a table.
static REWRITE_CLAIMS: &[&Rule] = &[
    &sql::locking::ALTER_COLUMN_TYPE,
    &sql::locking::ALTER_COLUMN_TYPE_REBUILDS_INDEX,
    &sql::locking::ADD_COLUMN_VOLATILE_DEFAULT,
    &sql::locking::ADD_COLUMN_SERIAL,
    &sql::locking::ADD_COLUMN_GENERATED_STORED,
    &sql::locking::REWRITE_TABLE,
    &sql::locking::CLUSTER,
    &sql::locking::VACUUM_FULL,
];

/// Findings that say a statement was not checked.
static NOT_CHECKED: &[&Rule] = &[
    &sql::transactions::UNCHECKED_DYNAMIC_SQL,
    &sql::transactions::UNANALYZABLE_STATEMENT,
];

fn is_one_of(f: &Finding, rules: &[&'static Rule]) -> bool {
    rules.iter().any(|r| RuleId::of(r) == f.rule)
}

/// Attaches what the replay saw to the static findings of the same statement —
/// marking each `confirmed` when the replay saw the rewrite or blocking lock, or, for
/// a rewrite claim, `disproved` and downgraded to info when the statement ran and
/// rewrote nothing — and reports rewrites and blocking locks no static rule reported
/// (pure). With a runner `lock_timeout` a statement that only takes a blocking lock
/// (no rewrite) cannot queue up traffic behind it, so that finding is info rather
/// than a warning.
pub fn judge(steps: &[Step], findings: &mut [Finding], runner_lock_timeout: bool) -> Vec<Finding> {
    let mut extra = Vec::new();
    for s in steps {
        let mut observed = Vec::new();
        if !s.rewrites.is_empty() {
            observed.push(format!("rewrote {}", s.rewrites.join(", ")));
        }
        if !s.locks.is_empty() {
            observed.push(format!("took {}", s.locks.join(", ")));
        }
        let note = if observed.is_empty() {
            format!(" [replay: ran in {} ms, rewrote nothing]", s.duration_ms)
        } else {
            format!(" [replay: {}; {} ms]", observed.join("; "), s.duration_ms)
        };
        let mut matched = false;
        for f in findings.iter_mut() {
            if f.file != s.file || f.line < s.line || f.line > s.end_line {
                continue;
            }
            // "Not checked" is no claim about what the statement does: the replay's
            // observation is reported on its own.
            if is_one_of(f, NOT_CHECKED) {
                continue;
            }
            matched = true;
            let claims_rewrite = is_one_of(f, REWRITE_CLAIMS);
            if claims_rewrite && s.rewrites.is_empty() {
                f.replay = Some(ReplayVerdict::Disproved);
                f.severity = Severity::Info;
                f.message.push_str(&format!(
                    " [replay: no rewrite — the table's relfilenode did not change; {} ms]",
                    s.duration_ms
                ));
                continue;
            }
            if (claims_rewrite && !s.rewrites.is_empty()) || s.blocking {
                f.replay = Some(ReplayVerdict::Confirmed);
            }
            if !observed.is_empty() {
                f.message.push_str(&note);
            }
        }
        if matched || observed.is_empty() {
            continue;
        }
        if !s.rewrites.is_empty() {
            extra.push(
                Finding::new(
                    &REPLAY_REWRITE,
                    s.file.clone(),
                    if s.rewrites.iter().all(|r| r.starts_with("index ")) {
                        format!(
                            "the scratch replay saw this statement rebuild {} (new relfilenode): the index is built again while the statement holds its lock on the table",
                            s.rewrites.join(", ")
                        )
                    } else {
                        format!(
                            "the scratch replay saw this statement rewrite {} (new relfilenode): the whole table is copied under an ACCESS EXCLUSIVE lock",
                            s.rewrites.join(", ")
                        )
                    },
                )
                .at(s.line, s.column),
            );
        } else if s.blocking {
            let blocking: Vec<&str> = s
                .locks
                .iter()
                .filter(|l| {
                    BLOCKING_LOCKS
                        .iter()
                        .any(|m| l.ends_with(&format!(": {m}")))
                })
                .map(String::as_str)
                .collect();
            let mut f = Finding::new(
                &REPLAY_BLOCKING_LOCK,
                s.file.clone(),
                format!(
                    "the scratch replay saw this statement take {}, which blocks writes to the table until the migration commits",
                    blocking.join(", ")
                ),
            )
            .at(s.line, s.column);
            if runner_lock_timeout && f.severity == Severity::Warning {
                f.severity = Severity::Info;
                f.message.push_str(
                    " (brief here; the runner's lock_timeout keeps it from queueing traffic behind it)",
                );
            }
            extra.push(f);
        }
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(line: u32, locks: &[&str], rewrites: &[&str], blocking: bool) -> Step {
        Step {
            file: "m/002.sql".into(),
            line,
            column: 1,
            end_line: line + 1,
            duration_ms: 1.5,
            locks: locks.iter().map(|s| s.to_string()).collect(),
            rewrites: rewrites.iter().map(|s| s.to_string()).collect(),
            blocking,
        }
    }

    #[test]
    fn observations_attach_or_become_findings() {
        let mut statics = vec![Finding::new(
            &crate::rules::sql::locking::ALTER_COLUMN_TYPE,
            "m/002.sql",
            "type change",
        )
        .at(3, 8)];
        let steps = vec![
            step(3, &["public.t: AccessExclusiveLock"], &["public.t"], true),
            step(6, &[], &["public.u"], false),
            step(9, &["public.u: ShareRowExclusiveLock"], &[], true),
            step(12, &["public.u: ShareUpdateExclusiveLock"], &[], false),
        ];
        let extra = judge(&steps, &mut statics, false);
        assert!(statics[0]
            .message
            .contains("[replay: rewrote public.t; took public.t: AccessExclusiveLock; 1.5 ms]"));
        let got: Vec<(&str, u32)> = extra.iter().map(|f| (f.rule.as_str(), f.line)).collect();
        assert_eq!(
            got,
            vec![("replay-rewrite", 6), ("replay-blocking-lock", 9)]
        );
        assert_eq!(extra[1].severity, Severity::Warning);
        let mut none = Vec::new();
        let extra = judge(&steps, &mut none, true);
        assert_eq!(
            extra.len(),
            3,
            "the rewrite at line 3 now has no static finding"
        );
        assert_eq!(extra[2].severity, Severity::Info);
        assert_eq!(statics[0].replay, Some(ReplayVerdict::Confirmed));
        assert_eq!(
            extra[0].severity,
            Severity::Warning,
            "rewrites stay warnings"
        );
    }

    #[test]
    fn a_rewrite_the_replay_did_not_see_is_downgraded_with_the_evidence() {
        let claim = |line| {
            Finding::new(
                &crate::rules::sql::locking::ALTER_COLUMN_TYPE,
                "m/002.sql",
                "type change",
            )
            .at(line, 1)
        };
        let mut statics = vec![claim(3), claim(6)];
        let steps = vec![
            step(3, &["public.t: AccessExclusiveLock"], &[], true),
            step(6, &["public.t: AccessExclusiveLock"], &["public.t"], true),
        ];
        let extra = judge(&steps, &mut statics, true);
        assert!(extra.is_empty());
        assert_eq!(statics[0].severity, Severity::Info);
        assert_eq!(statics[0].replay, Some(ReplayVerdict::Disproved));
        assert!(
            statics[0].message.contains("relfilenode did not change"),
            "{}",
            statics[0].message
        );
        assert_eq!(statics[1].severity, Severity::Error);
        assert_eq!(statics[1].replay, Some(ReplayVerdict::Confirmed));
    }
}
