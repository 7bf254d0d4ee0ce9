//! `prefer-timestamptz`: timestamp without time zone: prefer timestamptz.

use super::prelude::*;
use super::CATEGORY;

pub static PREFER_TIMESTAMPTZ: Rule = Rule {
    id: "prefer-timestamptz",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "timestamp without time zone: prefer timestamptz.",
    why: "timestamp stores wall-clock time without a zone: values shift silently when servers or sessions use different time zones.",
    fix: "Use timestamptz.",
    bad: "CREATE TABLE t (created_at timestamp);",
    good: "CREATE TABLE t (created_at timestamptz);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for (def, _, name, _) in super::columns(cx) {
        if name == "timestamp" {
            let col = names::ident(&def.colname);
            cx.push(
                out,
                &PREFER_TIMESTAMPTZ,
                def.location,
                format!("column {col} is timestamp without time zone"),
                Some(format!("{col} timestamptz")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "prefer-timestamptz",
            &[],
            "create table n (at timestamp);",
            "create table n (at timestamptz);",
        );
    }
}
