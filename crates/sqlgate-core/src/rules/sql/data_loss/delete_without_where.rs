//! `delete-without-where`: DELETE without WHERE on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static DELETE_WITHOUT_WHERE: Rule = Rule {
    id: "delete-without-where",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DELETE without WHERE on an existing table.",
    why: "Deletes every row, in one long transaction that holds row locks and bloats the table.",
    fix: "Add the WHERE clause you meant; for large cleanups delete in batches outside the migration.",
    bad: "DELETE FROM audit_log;",
    good: "DELETE FROM audit_log WHERE created_at < now() - interval '1 year';",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some((rv, key)) =
        super::every_row(cx).filter(|_| matches!(cx.node(), NodeEnum::DeleteStmt(_)))
    else {
        return;
    };
    cx.push(
        out,
        &DELETE_WITHOUT_WHERE,
        rv.location,
        format!(
            "DELETE FROM {} without WHERE deletes every row",
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
            "delete-without-where",
            &[T],
            "delete from t;",
            "delete from t where a = 1;",
        );
    }
}
