//! `prefer-jsonb`: json columns: prefer jsonb.

use super::prelude::*;
use super::CATEGORY;

pub static PREFER_JSONB: Rule = Rule {
    id: "prefer-jsonb",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "json columns: prefer jsonb.",
    why: "json stores text and reparses it on every access, cannot be indexed with GIN and has no equality operator.",
    fix: "Use jsonb.",
    bad: "CREATE TABLE t (payload json);",
    good: "CREATE TABLE t (payload jsonb);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for (def, _, name, _) in super::columns(cx) {
        if name == "json" {
            let col = names::ident(&def.colname);
            cx.push(
                out,
                &PREFER_JSONB,
                def.location,
                format!("column {col} is json"),
                Some(format!("{col} jsonb")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "prefer-jsonb",
            &[T],
            "alter table t add column p json;",
            "alter table t add column p jsonb;",
        );
    }
}
