//! `alter-column-type`: ALTER COLUMN … TYPE that rewrites the table (not a binary-coercible change such as varchar(n)→varchar(m>n) or varchar→text).

use super::prelude::*;
use super::CATEGORY;

pub static ALTER_COLUMN_TYPE: Rule = Rule {
    id: "alter-column-type",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER COLUMN … TYPE that rewrites the table (not a binary-coercible change such as varchar(n)→varchar(m>n) or varchar→text).",
    why: "Rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock; running code may also break on the new type.",
    fix: "Add a new column of the new type, backfill it in batches, switch the code, then drop the old column. Widening varchar or moving to text is safe.",
    bad: "ALTER TABLE orders ALTER COLUMN id TYPE bigint;",
    good: "ALTER TABLE orders ALTER COLUMN note TYPE text;  -- varchar → text: no rewrite",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    for change in super::type_changes(cx, state) {
        let super::Retype::Rewrite { from } = &change.retype else {
            continue;
        };
        let t = names::show(&change.table);
        let col = names::ident(change.column);
        cx.push(
            out,
            &ALTER_COLUMN_TYPE,
            change.def.location,
            format!(
                "changing {t}.{col}{from} to {} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
                type_display(change.new)
            ),
            Some(format!(
                "ALTER TABLE {t} ADD COLUMN {}_new {};\n-- backfill in batches, switch the code to the new column, then drop {col} and rename",
                change.column,
                type_display(change.new)
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "alter-column-type",
            &[T],
            "alter table t alter column a type bigint;",
            "alter table t alter column v type varchar(100);",
        );
        pair(
            "alter-column-type",
            &[T],
            "alter table t alter column v type varchar(20);",
            "alter table t alter column v type text;",
        );
        pair(
            "alter-column-type",
            &[T],
            "alter table t alter column n type numeric(12,4);",
            "alter table t alter column n type numeric(14,2);",
        );
        pair(
            "alter-column-type",
            &["create table k (kind varchar(100));"],
            "alter table k alter column kind type varchar(1000) using lower(kind)::varchar(1000);",
            "alter table k alter column kind type varchar(1000) using kind::varchar(1000);",
        );
        pair(
            "alter-column-type",
            &["create table e (at timestamp);"],
            "alter table e alter column at type timestamptz;",
            "set timezone = 'UTC';\nalter table e alter column at type timestamptz;",
        );
        pair("alter-column-type", &["create extension citext;", "create table c (email citext, name text);"], "alter table c alter column email type varchar(100);", "alter table c alter column email type text;\nalter table c alter column name type citext;");
        pair("alter-column-type", &["create table e (at timestamp(6), t time(3), i interval(3));"], "alter table e alter column at type timestamp(3);", "alter table e alter column at type timestamp;\nalter table e alter column t type time(6);\nalter table e alter column i type interval;");
    }
}
