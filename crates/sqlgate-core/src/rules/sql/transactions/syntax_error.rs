//! `syntax-error`: PostgreSQL's parser rejects the migration.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static SYNTAX_ERROR: Rule = Rule {
    id: "syntax-error",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "PostgreSQL's parser rejects the migration.",
    why: "The migration fails on deploy, after the migrations before it were applied.",
    fix:
        "Fix the SQL at the reported position. Placeholders must be defined (`[vars]` or `--var`).",
    bad: "CREATE TABEL users (id bigint);",
    good: "CREATE TABLE users (id bigint);",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "syntax-error",
            &[],
            "create tabel x (id int);",
            "create table x (id int);",
        );
    }
}
