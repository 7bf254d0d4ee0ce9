//! `banned-types`: a new column of a type the team bans.

use super::{Ctx, CATEGORY};
use crate::model::{Apply, Claim, Finding, Rule, Severity};
use crate::sql::names;

pub static BANNED_TYPES: Rule = Rule {
    id: "banned-types",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Team policy (`banned_types = [\"money\", …]`): a column added in the change has a type the team bans (names as PostgreSQL normalises them: `integer` and `int4` alike).",
    why: "Teams ban types that bit them: `money` rounds by locale, `json` cannot be indexed or compared, `timestamp` loses the time zone, `serial` leaks its sequence's permissions.",
    fix: "Use the type the team prefers for it (see the policy's comment in sqlgate.toml).",
    bad: "CREATE TABLE prices (id bigint PRIMARY KEY, amount money);",
    good: "CREATE TABLE prices (id bigint PRIMARY KEY, amount numeric(12,2));",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, out: &mut Vec<Finding>) {
    if cx.policy.banned_types.is_empty() {
        return;
    }
    for (key, t) in &cx.design.tables {
        for (name, col) in &t.columns {
            let Some(site) = &col.site else { continue };
            let Some((written, _)) = cx
                .policy
                .banned_types
                .iter()
                .find(|(_, canonical)| *canonical == col.type_name)
            else {
                continue;
            };
            out.push(site.finding(
                &BANNED_TYPES,
                format!(
                    "column {}.{} is of type {}, which the team's policy (`banned_types`) bans (`{written}`)",
                    names::show(key),
                    names::ident(name),
                    col.type_name,
                ),
                BANNED_TYPES.fix.to_string(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::policy::tests::fired;

    #[test]
    fn fires_on_a_new_column_of_a_banned_type_however_written() {
        let on = |p: &mut crate::rules::policy::Policy| {
            p.add_banned_type("money").unwrap();
            p.add_banned_type("integer").unwrap();
        };
        let f = fired(
            "banned-types",
            &[],
            &["create table a (\n  id int4,\n  price money,\n  n bigint);"],
            on,
        );
        assert_eq!(f, [(2, 3), (3, 3)]);
        assert_eq!(
            fired(
                "banned-types",
                &["create table a (id int8);"],
                &["alter table a add column n int;"],
                on
            )
            .len(),
            1
        );
        // Only in a shipped migration; a type changed away in the change; not configured.
        assert!(fired(
            "banned-types",
            &["create table old (p money);"],
            &["alter table old add column q text;"],
            on
        )
        .is_empty());
        assert!(fired(
            "banned-types",
            &[],
            &["create table a (id bigint, p text);"],
            on
        )
        .is_empty());
        assert!(fired("banned-types", &[], &["create table a (p money);"], |_| {}).is_empty());
    }
}
