//! `add-check-validating`: A CHECK constraint added to an existing table without NOT VALID.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_CHECK_VALIDATING: Rule = Rule {
    id: "add-check-validating",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A CHECK constraint added to an existing table without NOT VALID.",
    why: "Validating scans the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes.",
    fix: "Add it NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
    bad: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);",
    good: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n-- next migration:\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for n in super::added_constraints(cx) {
        let c = n.c;
        if contype(c) != ConstrType::ConstrCheck || c.skip_validation {
            continue;
        }
        let t = n.t();
        let con = n.name("check", &[]);
        let expr = c
            .raw_expr
            .as_ref()
            .and_then(|e| e.node.as_ref())
            .and_then(deparse_expr)
            .unwrap_or_else(|| "…".into());
        cx.push(out, &ADD_CHECK_VALIDATING, n.loc, format!(
            "adding CHECK constraint {con} on {t} scans every row under an ACCESS EXCLUSIVE lock"),
            Some(format!("ALTER TABLE {t} ADD CONSTRAINT {con} CHECK ({expr}) NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};")));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-check-validating",
            &[T],
            "alter table t add constraint a_pos check (a > 0);",
            "alter table t add constraint a_pos check (a > 0) not valid;",
        );
    }
}
