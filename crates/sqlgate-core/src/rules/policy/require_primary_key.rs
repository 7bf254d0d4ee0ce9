//! `require-primary-key`: a table the change creates has no primary key by its end.

use super::{shown, Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};

pub static REQUIRE_PRIMARY_KEY: Rule = Rule {
    id: "require-primary-key",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`require_primary_key = true`): a table created in the change has no primary key by the end of the change.",
    why: "Without a primary key, rows cannot be addressed one by one: logical replication cannot replicate UPDATE and DELETE, ORMs and admin tools misbehave, and duplicates creep in. Adding one later to a big table takes an ACCESS EXCLUSIVE lock while the index builds.",
    fix: "Declare a primary key when creating the table (`id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`), or add one later in the same change.",
    bad: "CREATE TABLE events (id bigint, payload jsonb);",
    good: "CREATE TABLE events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    if !cx.policy.require_primary_key {
        return;
    }
    for (key, t) in &cx.design.tables {
        let Some(site) = &t.site else { continue };
        if t.primary_key.is_some() {
            continue;
        }
        let table = shown(key);
        out.push(site.finding(
            &REQUIRE_PRIMARY_KEY,
            format!("table {table} is created without a primary key, and none is added by the end of the change: the team's policy (`require_primary_key`) asks for one"),
            format!("Declare one when creating it, e.g. `id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY`, or add one in this change: `ALTER TABLE {table} ADD PRIMARY KEY (…);`"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::{fired, with};

    #[test]
    fn fires_on_a_new_table_without_one_and_only_then() {
        let on = |p: &mut crate::rules::policy::Policy| p.require_primary_key = true;
        let f = fired(
            "require-primary-key",
            &[],
            &["create table a (id int);\ncreate table b (id int primary key);"],
            on,
        );
        assert_eq!(f, [(1, 1)], "only table a, at its statement");
        // A primary key added by a later statement, or a later migration, of the change.
        assert!(fired(
            "require-primary-key",
            &[],
            &["create table a (id int);\nalter table a add primary key (id);"],
            on
        )
        .is_empty());
        assert!(fired(
            "require-primary-key",
            &[],
            &[
                "create table a (id int);",
                "alter table a add constraint a_pk primary key (id);"
            ],
            on
        )
        .is_empty());
        // Shipped tables, partitions, temporary tables and dropped tables are not judged.
        assert!(fired(
            "require-primary-key",
            &["create table old (id int);"],
            &["alter table old add column x int;"],
            on
        )
        .is_empty());
        assert!(fired("require-primary-key", &["create table p (id int primary key) partition by range (id);"], &["create table p1 partition of p for values from (1) to (9);\ncreate temp table tmp (x int);\ncreate table gone (x int);\ndrop table gone;"], on).is_empty());
        // Not configured: silent.
        assert!(fired(
            "require-primary-key",
            &[],
            &["create table a (id int);"],
            |_| {}
        )
        .is_empty());
        // Removing the key in the change counts as having none.
        let f = with(
            &[],
            &[
                "create table a (id int primary key);",
                "alter table a drop constraint a_pkey;",
            ],
            on,
        );
        assert!(f
            .iter()
            .any(|f| f.rule == "require-primary-key" && f.file == "m/001_m.sql"));
    }
}
