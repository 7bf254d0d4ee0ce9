//! `statements-after-access-exclusive`: More work in the same transaction after an ACCESS EXCLUSIVE lock was taken on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static STATEMENTS_AFTER_ACCESS_EXCLUSIVE: Rule = Rule {
    id: "statements-after-access-exclusive",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "More work in the same transaction after an ACCESS EXCLUSIVE lock was taken on an existing table.",
    why: "The lock is held until COMMIT: everything after it (backfills, index builds, locks on other tables) extends the time the table is unavailable.",
    fix: "Put the statement that takes the lock last, or in a migration of its own.",
    bad: "ALTER TABLE users ADD COLUMN plan text;\nUPDATE accounts SET plan = 'free';",
    good: "-- 010\nUPDATE accounts SET plan = 'free' WHERE …;\n-- 011\nALTER TABLE users ADD COLUMN plan text;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    let node = cx.node();
    // VALIDATE in the same statement as a subcommand that takes ACCESS EXCLUSIVE.
    if let Some(a) = alter_table(node).filter(|a| cx.in_tx && cx.existing(&a.table)) {
        let t = names::show(&a.table);
        let heavy = a
            .cmds
            .iter()
            .find(|(_, kind, def)| super::takes_access_exclusive(*kind, *def));
        for cmd in a.of_kind(AlterTableType::AtValidateConstraint) {
            let after_not_valid = state
                .not_valid
                .iter()
                .any(|(tab, name, ..)| tab == &a.table && name == &cmd.name);
            if let (false, Some((other, ..))) = (after_not_valid, heavy) {
                let con = names::ident(&cmd.name);
                state.reported_after_exclusive = true;
                cx.push(out, &STATEMENTS_AFTER_ACCESS_EXCLUSIVE, a.rv.location, format!(
                    "VALIDATE CONSTRAINT {con} scans {t} in the same statement as {}, which takes an ACCESS EXCLUSIVE lock: the table is unavailable for the whole scan",
                    super::subcommand(other)),
                    Some(format!("Run `ALTER TABLE {t} VALIDATE CONSTRAINT {con};` as a statement of its own, in its own migration.")));
            }
        }
    }
    // More work after an earlier statement of the transaction took ACCESS EXCLUSIVE.
    if cx.in_tx && !state.reported_after_exclusive {
        if let Some((locked, line)) = &state.exclusive {
            if is_more_work(cx, node, locked) {
                state.reported_after_exclusive = true;
                cx.push(out, &STATEMENTS_AFTER_ACCESS_EXCLUSIVE, -1, format!(
                    "line {line} took an ACCESS EXCLUSIVE lock on {} that is held until COMMIT; this statement makes the table unavailable for longer",
                    names::show(locked)), None);
            }
        }
    }
    if let Some((table, true)) = super::blocking_table(cx, node) {
        if state.exclusive.is_none() {
            state.exclusive = Some((table, cx.stmt.line));
        }
    }
}

/// True when a statement, run while `locked` is held, does real work: DML and
/// index builds on existing tables, rewrites and maintenance — and, when the runner
/// sets no lock_timeout, waiting for locks on other existing tables.
fn is_more_work(cx: &Ctx, node: &NodeEnum, locked: &str) -> bool {
    let other_existing = |rv: &Option<RangeVar>| {
        rv.as_ref().is_some_and(|rv| {
            let k = names::range_var(rv);
            k != locked && cx.existing(&k)
        })
    };
    let unbounded_wait = !cx.opts.runner_lock_timeout;
    match node {
        NodeEnum::UpdateStmt(u) => u
            .relation
            .as_ref()
            .is_some_and(|rv| cx.existing(&names::range_var(rv))),
        NodeEnum::DeleteStmt(d) => d
            .relation
            .as_ref()
            .is_some_and(|rv| cx.existing(&names::range_var(rv))),
        NodeEnum::InsertStmt(i) => {
            i.select_stmt.is_some()
                && i.relation
                    .as_ref()
                    .is_some_and(|rv| cx.existing(&names::range_var(rv)))
        }
        NodeEnum::MergeStmt(_)
        | NodeEnum::CopyStmt(_)
        | NodeEnum::ClusterStmt(_)
        | NodeEnum::VacuumStmt(_) => true,
        NodeEnum::RefreshMatViewStmt(_) => true,
        NodeEnum::IndexStmt(i) => i
            .relation
            .as_ref()
            .is_some_and(|rv| cx.existing(&names::range_var(rv))),
        // A scan of a constraint, or another table's lock (and its wait).
        NodeEnum::AlterTableStmt(a) => {
            other_existing(&a.relation)
                || (a
                    .relation
                    .as_ref()
                    .is_some_and(|rv| cx.existing(&names::range_var(rv)))
                    && nodes(&a.cmds).any(|n| {
                        matches!(n, NodeEnum::AlterTableCmd(c)
                        if c.subtype == AlterTableType::AtValidateConstraint as i32)
                    }))
        }
        // Reading existing tables: SELECT count(*) FROM big, CREATE TABLE … AS SELECT.
        NodeEnum::SelectStmt(_) | NodeEnum::CreateTableAsStmt(_) => reads_existing(cx, node),
        NodeEnum::RenameStmt(r) => unbounded_wait && other_existing(&r.relation),
        NodeEnum::CreateTrigStmt(t) => unbounded_wait && other_existing(&t.relation),
        NodeEnum::LockStmt(_) | NodeEnum::TruncateStmt(_) => unbounded_wait,
        _ => false,
    }
}

/// True when a query reads a table that existed before this change.
fn reads_existing(cx: &Ctx, node: &NodeEnum) -> bool {
    // The table a CREATE TABLE … AS / SELECT … INTO creates is not read.
    let target = match node {
        NodeEnum::CreateTableAsStmt(c) => c.into.as_ref().and_then(|i| i.rel.as_ref()),
        NodeEnum::SelectStmt(s) => s.into_clause.as_ref().and_then(|i| i.rel.as_ref()),
        _ => None,
    }
    .map(names::range_var);
    node.nodes().into_iter().any(|(n, ..)| {
        matches!(n, pg_query::NodeRef::RangeVar(rv)
            if !rv.relname.is_empty()
                && target.as_deref() != Some(names::range_var(rv).as_str())
                && cx.existing(&names::range_var(rv)))
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T, U};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "statements-after-access-exclusive",
            &[T],
            "alter table t add column b text;\nupdate t set b = 'x' where id < 100;",
            "alter table t add column b text;\nalter table t add column c text;",
        );
        pair(
            "statements-after-access-exclusive",
            &[
                T,
                "alter table t add constraint a_pos check (a > 0) not valid;",
            ],
            "alter table t add column b text;\nalter table t validate constraint a_pos;",
            "alter table t validate constraint a_pos;\nalter table t add column b text;",
        );
        pair(
            "statements-after-access-exclusive",
            &[T],
            "alter table t add column b text;\nselect count(*) from t;",
            "alter table t add column b text;\nselect set_config('app.x', '1', true);",
        );
        pair(
            "statements-after-access-exclusive",
            &[T],
            "alter table t add column b text;\ncreate table z as select * from t;",
            "alter table t add column b text;\ncreate table z as select 1 as x;",
        );
        pair("statements-after-access-exclusive", &[T, U], "alter table t add column b text;\nalter table u add column c text;", "alter table t add column b text;\ncreate table n (a int);\nalter table n add column c text;");
        pair(
            "statements-after-access-exclusive",
            &[
                T,
                "alter table t add constraint a_pos check (a > 0) not valid;",
            ],
            "alter table t validate constraint a_pos, drop column v;",
            "alter table t validate constraint a_pos;",
        );
        pair(
            "statements-after-access-exclusive",
            &[
                T,
                "create trigger trg before insert on t for each row execute function f();",
            ],
            "drop trigger trg on t;\nupdate t set a = 1 where id < 10;",
            "update t set a = 1 where id < 10;\ndrop trigger trg on t;",
        );
    }
}
