//! `ban-char`: char(n)/character(n) columns.

use super::prelude::*;
use super::CATEGORY;

pub static BAN_CHAR: Rule = Rule {
    id: "ban-char",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "char(n)/character(n) columns.",
    why: "char(n) pads with spaces and compares surprisingly; it is never faster than text or varchar.",
    fix: "Use text (with a CHECK on the length if needed).",
    bad: "CREATE TABLE t (country char(2));",
    good: "CREATE TABLE t (country text CHECK (length(country) = 2));",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for (def, t, name, _) in super::columns(cx) {
        if name == "bpchar" {
            let col = names::ident(&def.colname);
            cx.push(
                out,
                &BAN_CHAR,
                def.location,
                format!("column {col} is {}", type_display(t)),
                Some(format!("{col} text")),
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
            "ban-char",
            &[],
            "create table n (c char(2));",
            "create table n (c text);",
        );
    }
}
