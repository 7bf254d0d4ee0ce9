//! `drop-column`: ALTER TABLE … DROP COLUMN of an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static DROP_COLUMN: Rule = Rule {
    id: "drop-column",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER TABLE … DROP COLUMN of an existing table.",
    why: "Deletes the column's data; running code that selects or inserts it fails until it is deployed without it.",
    fix: "Stop reading and writing the column in code first (deploy), then drop it in a later migration, with an ignore directive giving the reason.",
    bad: "ALTER TABLE users DROP COLUMN nickname;",
    good: "-- sqlgate:ignore drop-column -- unused since release 2026.10\nALTER TABLE users DROP COLUMN nickname;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some(a) = cx.existing_alter() else {
        return;
    };
    for cmd in a.of_kind(AlterTableType::AtDropColumn) {
        cx.push(
            out,
            &DROP_COLUMN,
            a.rv.location,
            format!(
                "DROP COLUMN {}.{} deletes the column's data; running code that uses it fails",
                names::show(&a.table),
                names::ident(&cmd.name)
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
            "drop-column",
            &[T],
            "alter table t drop column a;",
            "create table n (id int, a int);\nalter table n drop column a;",
        );
    }
}
