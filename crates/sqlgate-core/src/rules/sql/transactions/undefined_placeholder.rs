//! `undefined-placeholder`: A `${NAME}` or `{{ … }}` template placeholder that no `--var` or `[vars]` defines.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static UNDEFINED_PLACEHOLDER: Rule = Rule {
    id: "undefined-placeholder",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A `${NAME}` or `{{ … }}` template placeholder that no `--var` or `[vars]` defines.",
    why: "The runner that renders the template fills it in; without a value sqlgate cannot read the statement, and `apply` would send the braces to PostgreSQL.",
    fix: "Define it: `--var 'NAME=value'`, or `[vars]` in sqlgate.toml. A `{{ … }}` placeholder is named by the text between the braces, trimmed: `{{ index .Options \"Namespace\" }}` is `--var 'index .Options \"Namespace\"=auth'`.",
    bad: "CREATE TABLE {{ .Schema }}.users (id bigint);  -- nothing defines `.Schema`",
    good: "CREATE TABLE {{ .Schema }}.users (id bigint);  -- with [vars] \".Schema\" = \"auth\"",
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
            "undefined-placeholder",
            &[],
            "create table ${S}.x (id int);",
            "create table x (id int, j jsonb default '{}', d text default '$x');",
        );
    }
}
