//! `add-column-generated-stored`: ADD COLUMN … GENERATED ALWAYS AS (…) STORED on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_COLUMN_GENERATED_STORED: Rule = Rule {
    id: "add-column-generated-stored",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ADD COLUMN … GENERATED ALWAYS AS (…) STORED on an existing table.",
    why: "Computes and stores the value for every row: a full table rewrite under an ACCESS EXCLUSIVE lock.",
    fix: "Add a plain column maintained by a trigger and backfill in batches, or compute the value in a view or in queries.",
    bad: "ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;",
    good: "CREATE INDEX CONCURRENTLY users_email_lower_idx ON users (lower(email));  -- query the expression instead",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for c in super::added_columns(cx).into_iter().filter(|c| c.generated) {
        cx.push(out, &ADD_COLUMN_GENERATED_STORED, c.def.location, format!(
            "adding generated column {}.{} computes and stores it for every row: a full rewrite under an ACCESS EXCLUSIVE lock", c.t(), c.col()), None);
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-column-generated-stored",
            &[T],
            "alter table t add column a2 int generated always as (a * 2) stored;",
            "create table n (a int, a2 int generated always as (a * 2) stored);",
        );
    }
}
