//! `unchecked-dynamic-sql`: A `DO` block or a function the migration calls runs `EXECUTE` with SQL built at run time, or a function such as `query_to_xml` runs SQL given as a computed string; it was not checked.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static UNCHECKED_DYNAMIC_SQL: Rule = Rule {
    id: "unchecked-dynamic-sql",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A `DO` block or a function the migration calls runs `EXECUTE` with SQL built at run time, or a function such as `query_to_xml` runs SQL given as a computed string; it was not checked.",
    why: "sqlgate judges the static SQL inside PL/pgSQL like top-level statements, and an `EXECUTE` of literal strings (`'DROP ' || 'TABLE t'`) like any statement, but a string built while the block runs cannot be read beforehand: its locks, rewrites and reach are unknown. It is also how a hostile change hides SQL from review.",
    fix: "Review the generated statements by hand, or write them out as plain statements so sqlgate (and reviewers) can see them.",
    bad: "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN x int NOT NULL DEFAULT 0', t); END $$;",
    good: "ALTER TABLE orders ADD COLUMN x int NOT NULL DEFAULT 0;",
    apply: Apply::Runs,
    claim: Claim::NotChecked,
    sized: false,
};

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "unchecked-dynamic-sql",
            &[T],
            "do $$ begin execute format('drop table %I', 't'); end $$;",
            "do $$ begin execute 'drop table t'; end $$;",
        );
        pair(
            "unchecked-dynamic-sql",
            &[T],
            "select query_to_xml('select * from ' || current_user, true, false, '');",
            "select query_to_xml('select 1', true, false, '');",
        );
    }
}
