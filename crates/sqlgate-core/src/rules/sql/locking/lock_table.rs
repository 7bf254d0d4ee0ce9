//! `lock-table`: An explicit LOCK TABLE on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static LOCK_TABLE: Rule = Rule {
    id: "lock-table",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "An explicit LOCK TABLE on an existing table.",
    why: "Holds the lock until the migration commits, blocking the application for the migration's whole duration.",
    fix: "Avoid explicit locks; if one is needed, keep the migration short and set lock_timeout.",
    bad: "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;",
    good: "SET lock_timeout = '5s';\n-- only the statement that needs it",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::LockStmt(l) = cx.node() else {
        return;
    };
    let tables: Vec<String> = nodes(&l.relations)
        .filter_map(|r| match r {
            NodeEnum::RangeVar(rv) => Some(names::range_var(rv)),
            _ => None,
        })
        .filter(|t| cx.existing(t))
        .collect();
    if !tables.is_empty() {
        cx.push(
            out,
            &LOCK_TABLE,
            -1,
            format!(
                "LOCK TABLE {} holds the lock until the migration commits",
                tables
                    .iter()
                    .map(|t| names::show(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "lock-table",
            &[T],
            "lock table t in access exclusive mode;",
            "create table n (a int);\nlock table n in access exclusive mode;",
        );
    }
}
