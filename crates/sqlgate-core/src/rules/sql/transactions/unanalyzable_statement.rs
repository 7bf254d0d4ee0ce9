//! `unanalyzable-statement`: A statement is nested too deeply for sqlgate to analyse; it was not checked.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static UNANALYZABLE_STATEMENT: Rule = Rule {
    id: "unanalyzable-statement",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "A statement sqlgate cannot analyse (nested too deeply, or a PL/pgSQL body it cannot read); it was not checked.",
    why: "PostgreSQL accepts it, but none of sqlgate's rules looked at it.",
    fix: "Review it by hand, or simplify it (fewer nested calls or UNIONs).",
    bad: "DO $$ BEGIN IF THEN END; END $$;  -- also: SELECT abs(abs(abs(… 200 levels …)));",
    good: "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app') THEN CREATE ROLE app; END IF; END $$;",
    apply: Apply::Allowable,
    claim: Claim::NotChecked,
    sized: false,
};

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn a_body_that_does_not_parse_is_not_checked() {
        pair(
            "unanalyzable-statement",
            &[T],
            "do $$ begin if then end; end $$;",
            "do $$ begin update t set a = 1 where id = 1; end $$;",
        );
    }
}
