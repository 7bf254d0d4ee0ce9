//! `rls-schemas`: a table created in an exposed schema without row-level security.

use super::{shown, Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};

pub static RLS_SCHEMAS: Rule = Rule {
    id: "rls-schemas",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`rls_schemas = [\"public\"]`): a table created in one of those schemas without `ENABLE ROW LEVEL SECURITY` in the change.",
    why: "In a schema exposed to clients (Supabase's and PostgREST's `public`), a table without row-level security is readable and writable by every role the API uses, from the moment it exists.",
    fix: "Enable row-level security in the same change and add the policies the table needs: `ALTER TABLE … ENABLE ROW LEVEL SECURITY;`.",
    bad: "CREATE TABLE profiles (id uuid PRIMARY KEY, bio text);",
    good: "CREATE TABLE profiles (id uuid PRIMARY KEY, bio text);\nALTER TABLE profiles ENABLE ROW LEVEL SECURITY;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    for (key, t) in &cx.design.tables {
        let Some(site) = &t.site else { continue };
        if t.rls || !cx.policy.rls_schemas.contains(&t.schema) {
            continue;
        }
        let table = shown(key);
        out.push(site.finding(
            &RLS_SCHEMAS,
            format!(
                "table {table} is created in schema {} without row-level security: the team's policy (`rls_schemas`) asks every table there for it",
                crate::sql::names::ident(&t.schema)
            ),
            format!("Add `ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;` (and its policies) in this change."),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::fired;

    #[test]
    fn fires_on_an_exposed_table_without_rls() {
        let on = |p: &mut crate::rules::policy::Policy| {
            p.rls_schemas = vec!["public".into(), "api".into()]
        };
        assert_eq!(fired("rls-schemas", &[], &["create table a (id int);\ncreate table private.b (id int);\ncreate table api.c (id int);"], on), [(1, 1), (3, 1)]);
        assert!(fired(
            "rls-schemas",
            &[],
            &[
                "create table public.a (id int);",
                "alter table a enable row level security;"
            ],
            on
        )
        .is_empty());
        assert!(fired(
            "rls-schemas",
            &["create table old (id int);"],
            &["alter table old add column x int;"],
            on
        )
        .is_empty());
        assert!(fired("rls-schemas", &[], &["create table a (id int);"], |_| {}).is_empty());
    }
}
