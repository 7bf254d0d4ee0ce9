//! `update-without-where`: UPDATE without WHERE on an existing table: a whole-table backfill in the migration's transaction.

use super::prelude::*;
use super::CATEGORY;

pub static UPDATE_WITHOUT_WHERE: Rule = Rule {
    id: "update-without-where",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "UPDATE without WHERE on an existing table: a whole-table backfill in the migration's transaction.",
    why: "Rewrites every row while holding row locks for the whole migration; on a large table this blocks writers for minutes and bloats the table.",
    fix: "Backfill in batches (UPDATE … WHERE id BETWEEN … AND …) from a job or a no-transaction migration.",
    bad: "UPDATE users SET locale = 'en';",
    good: "UPDATE users SET locale = 'en' WHERE id BETWEEN 1 AND 10000 AND locale IS NULL;  -- repeated per batch",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some((rv, key)) =
        super::every_row(cx).filter(|_| matches!(cx.node(), NodeEnum::UpdateStmt(_)))
    else {
        return;
    };
    cx.push(
        out,
        &UPDATE_WITHOUT_WHERE,
        rv.location,
        format!(
            "UPDATE {} without WHERE rewrites every row inside the migration's transaction",
            names::show(&key)
        ),
        None,
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "update-without-where",
            &[T],
            "update t set a = 1;",
            "update t set a = 1 where id < 1000;",
        );
    }
}
