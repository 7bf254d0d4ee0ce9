//! `prefer-identity`: serial/bigserial: prefer GENERATED … AS IDENTITY.

use super::prelude::*;
use super::CATEGORY;

pub static PREFER_IDENTITY: Rule = Rule {
    id: "prefer-identity",
    severity: Severity::Info,
    on: false,
    category: CATEGORY,
    summary: "serial/bigserial: prefer GENERATED … AS IDENTITY.",
    why: "serial creates a loosely attached sequence with separate permissions; identity columns are the SQL-standard replacement.",
    fix: "Use bigint GENERATED ALWAYS AS IDENTITY.",
    bad: "CREATE TABLE t (id bigserial PRIMARY KEY);",
    good: "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for (def, _, name, _) in super::columns(cx) {
        if matches!(
            name.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
        ) {
            let col = names::ident(&def.colname);
            cx.push(
                out,
                &PREFER_IDENTITY,
                def.location,
                format!("column {col} is {name}"),
                Some(format!("{col} bigint GENERATED ALWAYS AS IDENTITY")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{case, enable, pair_with};

    #[test]
    fn off_by_default_and_fires_once_enabled() {
        let rule = &super::PREFER_IDENTITY;
        pair_with(
            rule.id,
            &[],
            "create table n (id serial);",
            "create table n (id bigint generated always as identity);",
            |c| enable(c, rule),
        );
        assert!(
            !case(&[], &["create table n (id serial);"]).fires(rule.id),
            "off unless enabled"
        );
    }
}
