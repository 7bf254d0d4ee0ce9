//! `unused-ignore`: A `sqlgate:ignore` directive silences nothing (or names an unknown rule).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static UNUSED_IGNORE: Rule = Rule {
    id: "unused-ignore",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A `sqlgate:ignore` directive silences nothing (or names an unknown rule).",
    why: "Stale ignores hide the next real problem in that statement, and a misspelt rule id silences nothing at all.",
    fix: "Remove the directive, or fix the rule id (`sqlgate explain` lists them).",
    bad: "-- sqlgate:ignore drop-table -- cleanup\nALTER TABLE users ADD COLUMN bio text;",
    good: "ALTER TABLE users ADD COLUMN bio text;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "unused-ignore",
            &[T],
            "-- sqlgate:ignore drop-table -- cleanup\nalter table t add column b text;",
            "-- sqlgate:ignore drop-table -- cleanup\ndrop table t;",
        );
        pair(
            "unused-ignore",
            &[T],
            "-- sqlgate:ignore drop-tabel -- typo\ndrop table t;",
            "-- sqlgate:ignore-file drop-table -- gone\ndrop table t;",
        );
    }
}
