//! `missing-lock-timeout`: A blocking lock is taken on an existing table with no lock_timeout (neither in the file nor set by the runner).

use super::prelude::*;
use super::CATEGORY;

pub static MISSING_LOCK_TIMEOUT: Rule = Rule {
    id: "missing-lock-timeout",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A blocking lock is taken on an existing table with no lock_timeout (neither in the file nor set by the runner).",
    why: "A migration waiting for its lock queues every other query on the table behind it: a long-running query turns a millisecond ALTER into an outage.",
    fix: "SET lock_timeout = '5s'; at the top of the migration — or keep `lock_timeout` configured (sqlgate apply sets 5s by default).",
    bad: "ALTER TABLE users ADD COLUMN bio text;",
    good: "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN bio text;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    if cx.opts.runner_lock_timeout || state.lock_timeout_set || state.reported_missing_timeout {
        return;
    }
    if let Some((table, _)) = super::blocking_table(cx, cx.node()) {
        state.reported_missing_timeout = true;
        cx.push(out, &MISSING_LOCK_TIMEOUT, -1, format!(
            "this statement waits for a lock on {} with no lock_timeout: while it waits, every query on the table queues behind it",
            names::show(&table)), None);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{case, pair_with, T};

    #[test]
    fn fires_only_when_nothing_sets_lock_timeout() {
        let rule = "missing-lock-timeout";
        let add = "alter table t add column b text;";
        let set = "set lock_timeout = '2s';\nalter table t add column b text;";
        pair_with(rule, &[T], add, set, |c| c.runner_timeout = false);
        pair_with(
            rule,
            &[T],
            add,
            "create table n (a int);\nalter table n add column b text;",
            |c| c.runner_timeout = false,
        );
        assert!(
            !case(&[T], &[add]).fires(rule),
            "the runner sets lock_timeout"
        );
    }
}
