//! `add-column-required`: ADD COLUMN … NOT NULL without a default on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_COLUMN_REQUIRED: Rule = Rule {
    id: "add-column-required",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ADD COLUMN … NOT NULL without a default on an existing table.",
    why: "Fails on any table that has rows (\"column contains null values\"): the deploy breaks in production although it worked on an empty dev database.",
    fix: "Give it a constant default (instant on PostgreSQL 11+), or add it nullable, backfill, then SET NOT NULL safely.",
    bad: "ALTER TABLE users ADD COLUMN plan text NOT NULL;",
    good: "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    for c in super::added_columns(cx) {
        let d = c.def;
        let not_null = d.is_not_null
            || constraints(d).any(|k| {
                matches!(
                    contype(k),
                    ConstrType::ConstrNotnull | ConstrType::ConstrPrimary
                )
            });
        let emptied = state.emptied.contains(&c.table);
        if !not_null || c.default.is_some() || emptied || c.serial || c.identity || c.generated {
            continue;
        }
        let (t, col, ty) = (c.t(), c.col(), &c.ty);
        cx.push(out, &ADD_COLUMN_REQUIRED, d.location, format!(
            "adding {t}.{col} as NOT NULL without a default fails as soon as {t} has a row (\"column contains null values\")"),
            Some(format!("ALTER TABLE {t} ADD COLUMN {col} {ty} NOT NULL DEFAULT <value>;  -- a constant default is instant on PostgreSQL 11+")));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-column-required",
            &[T],
            "alter table t add column plan text not null;",
            "alter table t add column plan text not null default 'free';",
        );
        pair(
            "add-column-required",
            &[T],
            "alter table t add column plan text not null;",
            "delete from t;\nalter table t add column plan text not null;",
        );
    }
}
