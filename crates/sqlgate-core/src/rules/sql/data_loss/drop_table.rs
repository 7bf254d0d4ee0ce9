//! `drop-table`: DROP TABLE of an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static DROP_TABLE: Rule = Rule {
    id: "drop-table",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DROP TABLE of an existing table.",
    why: "Deletes the table and all its rows for good; code still reading it fails.",
    fix: "Deploy code that no longer uses the table first, back up the data, then drop it with `-- sqlgate:ignore drop-table -- <why it is safe>` above the statement.",
    bad: "DROP TABLE legacy_orders;",
    good: "-- sqlgate:ignore drop-table -- unused since v42, archived to s3://…\nDROP TABLE legacy_orders;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for t in super::dropped(cx, ObjectType::ObjectTable) {
        if cx.existing(&t) {
            cx.push(
                out,
                &DROP_TABLE,
                -1,
                format!(
                    "DROP TABLE {} deletes the table and all its rows",
                    names::show(&t)
                ),
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "drop-table",
            &[T],
            "drop table t;",
            "create table n (id int);\ndrop table n;",
        );
    }
}
