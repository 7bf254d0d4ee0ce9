//! `required-columns`: a new table lacks a column every table must have.

use super::{shown, Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};
use crate::sql::names;

pub static REQUIRED_COLUMNS: Rule = Rule {
    id: "required-columns",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`required_columns = [\"created_at\", …]`): a table created in the change lacks one of the columns every table must have.",
    why: "Columns every table carries (creation time, tenant, audit fields) are what the team's tooling, retention jobs and support queries rely on; adding them later to a big table is a migration of its own.",
    fix: "Add the missing columns when creating the table (or later in the same change).",
    bad: "CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric);",
    good: "CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric, created_at timestamptz NOT NULL DEFAULT now());",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    if cx.policy.required_columns.is_empty() {
        return;
    }
    for (key, t) in &cx.design.tables {
        let Some(site) = &t.site else { continue };
        let missing: Vec<String> = cx
            .policy
            .required_columns
            .iter()
            .filter(|c| !t.columns.contains_key(c.as_str()))
            .map(|c| names::ident(c))
            .collect();
        if missing.is_empty() {
            continue;
        }
        let table = shown(key);
        out.push(site.finding(
            &REQUIRED_COLUMNS,
            format!(
                "table {table} has no column {}: the team's policy (`required_columns`) asks every new table for {}",
                missing.join(", "),
                cx.policy.required_columns.iter().map(|c| names::ident(c)).collect::<Vec<_>>().join(", "),
            ),
            format!(
                "Add {} to {table} in this change, e.g. `ALTER TABLE {table} ADD COLUMN {} …;`",
                missing.join(", "),
                missing[0]
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::fired;

    #[test]
    fn fires_on_a_new_table_missing_a_column() {
        let on = |p: &mut crate::rules::policy::Policy| {
            p.required_columns = vec!["created_at".into(), "updated_at".into()]
        };
        assert_eq!(
            fired(
                "required-columns",
                &[],
                &["-- x\ncreate table a (id int, created_at timestamptz);"],
                on
            ),
            [(2, 1)]
        );
        // Added later in the change; a shipped table; not configured.
        assert!(fired(
            "required-columns",
            &[],
            &[
                "create table a (id int, created_at timestamptz);",
                "alter table a add column updated_at timestamptz;"
            ],
            on
        )
        .is_empty());
        assert!(fired(
            "required-columns",
            &["create table old (id int);"],
            &["alter table old add column x int;"],
            on
        )
        .is_empty());
        assert!(fired(
            "required-columns",
            &[],
            &["create table a (id int);"],
            |_| {}
        )
        .is_empty());
    }
}
