//! `prefer-text`: varchar(n): prefer text (with a CHECK if a limit is needed).

use super::prelude::*;
use super::CATEGORY;

pub static PREFER_TEXT: Rule = Rule {
    id: "prefer-text",
    severity: Severity::Info,
    on: false,
    category: CATEGORY,
    summary: "varchar(n): prefer text (with a CHECK if a limit is needed).",
    why: "Changing a varchar limit later needs an ALTER TYPE; text with a CHECK is as fast and easier to change.",
    fix: "Use text, plus CHECK (length(col) <= n) when the limit matters.",
    bad: "CREATE TABLE t (name varchar(100));",
    good: "CREATE TABLE t (name text CHECK (length(name) <= 100));",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for (def, t, name, mods) in super::columns(cx) {
        if name == "varchar" && !mods.is_empty() {
            let col = names::ident(&def.colname);
            cx.push(
                out,
                &PREFER_TEXT,
                def.location,
                format!("column {col} is {}", type_display(t)),
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{case, enable, pair_with};

    #[test]
    fn off_by_default_and_fires_once_enabled() {
        let rule = &super::PREFER_TEXT;
        pair_with(
            rule.id,
            &[],
            "create table n (name varchar(20));",
            "create table n (name text);",
            |c| enable(c, rule),
        );
        assert!(
            !case(&[], &["create table n (name varchar(20));"]).fires(rule.id),
            "off unless enabled"
        );
    }
}
