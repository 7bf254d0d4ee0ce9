//! `drop-not-null`: DROP NOT NULL on an existing column.

use super::prelude::*;
use super::CATEGORY;

pub static DROP_NOT_NULL: Rule = Rule {
    id: "drop-not-null",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "DROP NOT NULL on an existing column.",
    why: "Code that assumes a value (and readers of the column) may now see NULLs.",
    fix: "Deploy code that handles NULL first.",
    bad: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
    good: "-- sqlgate:ignore drop-not-null -- every deployed version handles users without email\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some(a) = cx.existing_alter() else {
        return;
    };
    for cmd in a.of_kind(AlterTableType::AtDropNotNull) {
        cx.push(
            out,
            &DROP_NOT_NULL,
            a.rv.location,
            format!(
                "DROP NOT NULL on {}.{}: code that expects a value may now read NULL",
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
            "drop-not-null",
            &[T],
            "alter table t alter column id drop not null;",
            "create table n (a int not null);\nalter table n alter column a drop not null;",
        );
    }
}
