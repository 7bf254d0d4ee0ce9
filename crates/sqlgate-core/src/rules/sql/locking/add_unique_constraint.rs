//! `add-unique-constraint`: A UNIQUE constraint added to an existing table (it builds its index under lock).

use super::prelude::*;
use super::CATEGORY;

pub static ADD_UNIQUE_CONSTRAINT: Rule = Rule {
    id: "add-unique-constraint",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A UNIQUE constraint added to an existing table (it builds its index under lock).",
    why: "Builds a unique index under an ACCESS EXCLUSIVE lock: the table is unavailable for the whole build.",
    fix: "Build the index with CREATE UNIQUE INDEX CONCURRENTLY (no-transaction migration), then ADD CONSTRAINT … UNIQUE USING INDEX.",
    bad: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
    good: "-- sqlgate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n-- next migration:\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for n in super::added_constraints(cx) {
        let c = n.c;
        if contype(c) != ConstrType::ConstrUnique || !c.indexname.is_empty() {
            continue;
        }
        let t = n.t();
        let con = n.name("key", &c.keys);
        cx.push(out, &ADD_UNIQUE_CONSTRAINT, n.loc, format!(
            "adding UNIQUE constraint {con} on {t} ({}) builds its index under an ACCESS EXCLUSIVE lock", n.cols(&c.keys)),
            Some(format!("-- sqlgate:no-transaction migration:\nCREATE UNIQUE INDEX CONCURRENTLY {con} ON {t} ({});\n-- next migration:\nALTER TABLE {t} ADD CONSTRAINT {con} UNIQUE USING INDEX {con};", n.cols(&c.keys))));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-unique-constraint",
            &[T, "create unique index t_a_key on t (a);"],
            "alter table t add constraint t_a_key unique (a);",
            "alter table t add constraint t_a_key unique using index t_a_key;",
        );
    }
}
