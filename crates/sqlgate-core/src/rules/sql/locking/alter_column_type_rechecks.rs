//! `alter-column-type-rechecks`: A type change that rewrites no rows (varchar→text, citext→text, a wider precision) of a column a CHECK constraint uses.

use super::prelude::*;
use super::CATEGORY;

pub static ALTER_COLUMN_TYPE_RECHECKS: Rule = Rule {
    id: "alter-column-type-rechecks",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A type change that rewrites no rows (varchar→text, citext→text, a wider precision) of a column a CHECK constraint uses.",
    why: "PostgreSQL re-checks every CHECK constraint that uses the column against every row: a full table scan under an ACCESS EXCLUSIVE lock, even though no row is rewritten.",
    fix: "Drop the constraint, change the type, and add the constraint back NOT VALID, then VALIDATE it in a later migration (a scan that lets reads and writes go on).",
    bad: "ALTER TABLE users ALTER COLUMN email TYPE text;  -- CHECK (email LIKE '%@%')",
    good: "ALTER TABLE users DROP CONSTRAINT users_email_check;\nALTER TABLE users ALTER COLUMN email TYPE text;\nALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email LIKE '%@%') NOT VALID;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    for change in super::type_changes(cx, state) {
        if matches!(change.retype, super::Retype::Coercible) {
            rechecked(cx, &change.table, change.column, change.def.location, out);
        }
    }
}

/// A type change without a rewrite still re-checks the CHECK constraints that use the
/// column: a full scan under ACCESS EXCLUSIVE.
fn rechecked(cx: &Ctx, table: &str, column: &str, location: i32, out: &mut Vec<Finding>) {
    if !cx.existing(table) {
        return;
    }
    let Some(t) = cx.schema.tables.get(table) else {
        return;
    };
    let mut names: Vec<&str> = t
        .checks
        .iter()
        .filter(|(_, cols)| cols.iter().any(|c| c == column || c == "*"))
        .map(|(n, _)| n.as_str())
        .collect();
    // A NOT NULL check is re-checked too, but it is a `not_null_checks` entry as well.
    names.sort();
    names.dedup();
    if names.is_empty() {
        return;
    }
    cx.push(
        out,
        &ALTER_COLUMN_TYPE_RECHECKS,
        location,
        format!(
            "changing the type of {}.{} rewrites no rows, but PostgreSQL re-checks {} on every row: a full scan of {} under an ACCESS EXCLUSIVE lock",
            names::show(table),
            names::ident(column),
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            names::show(table)
        ),
        None,
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "alter-column-type-rechecks",
            &["create table ck (email varchar(100) check (email like '%@%'), other text);"],
            "alter table ck alter column email type text;",
            "alter table ck alter column other type text;",
        );
        pair(
            "alter-column-type-rechecks",
            &["create table ck2 (a varchar(10), b varchar(10), constraint ab check (a <> b));"],
            "alter table ck2 alter column b type varchar(20);",
            "alter table ck2 drop constraint ab;\nalter table ck2 alter column b type varchar(20);",
        );
    }
}
