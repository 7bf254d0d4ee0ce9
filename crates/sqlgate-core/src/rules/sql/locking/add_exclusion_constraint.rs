//! `add-exclusion-constraint`: An EXCLUDE constraint added to an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_EXCLUSION_CONSTRAINT: Rule = Rule {
    id: "add-exclusion-constraint",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "An EXCLUDE constraint added to an existing table.",
    why: "Builds its index and checks every row under an ACCESS EXCLUSIVE lock; there is no concurrent variant.",
    fix: "Add it while the table is small or in a maintenance window; or enforce the rule in a new table.",
    bad: "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
    good: "SET lock_timeout = '5s';\n-- sqlgate:ignore add-exclusion-constraint -- maintenance window, bookings is small\nALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for n in super::added_constraints(cx) {
        if contype(n.c) == ConstrType::ConstrExclusion {
            cx.push(out, &ADD_EXCLUSION_CONSTRAINT, n.loc, format!(
                "adding exclusion constraint {} on {} builds its index and checks every row under an ACCESS EXCLUSIVE lock", n.name("excl", &[]), n.t()), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair("add-exclusion-constraint", &[T], "alter table t add constraint ex exclude using gist (a with =);", "create table n (a int);\nalter table n add constraint ex exclude using gist (a with =);");
    }
}
