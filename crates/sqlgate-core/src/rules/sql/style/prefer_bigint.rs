//! `prefer-bigint`: integer/smallint (or serial) columns: prefer bigint.

use super::prelude::*;
use super::CATEGORY;

pub static PREFER_BIGINT: Rule = Rule {
    id: "prefer-bigint",
    severity: Severity::Info,
    on: false,
    category: CATEGORY,
    summary: "integer/smallint (or serial) columns: prefer bigint.",
    why: "integer keys and counters run out at 2,147,483,647 (smallint at 32,767), and changing the type later rewrites the table.",
    fix: "Use bigint (or bigint GENERATED ALWAYS AS IDENTITY).",
    bad: "CREATE TABLE t (id serial PRIMARY KEY, hits integer);",
    good: "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, hits bigint);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for (def, t, name, _) in super::columns(cx) {
        if !matches!(
            name.as_str(),
            "int4" | "int2" | "serial" | "serial4" | "smallserial" | "serial2"
        ) {
            continue;
        }
        let limit = if matches!(name.as_str(), "int2" | "smallserial" | "serial2") {
            "16-bit values run out at 32,767"
        } else {
            "32-bit values run out at 2,147,483,647"
        };
        cx.push(
            out,
            &PREFER_BIGINT,
            def.location,
            format!(
                "column {} is {}: {limit}",
                names::ident(&def.colname),
                type_display(t)
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{case, enable, pair_with};

    #[test]
    fn off_by_default_and_fires_once_enabled() {
        let rule = &super::PREFER_BIGINT;
        pair_with(
            rule.id,
            &[],
            "create table n (id int);",
            "create table n (id bigint);",
            |c| enable(c, rule),
        );
        assert!(
            !case(&[], &["create table n (id int);"]).fires(rule.id),
            "off unless enabled"
        );
    }
}
