//! `drop-database`: DROP DATABASE.

use super::prelude::*;
use super::CATEGORY;

pub static DROP_DATABASE: Rule = Rule {
    id: "drop-database",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DROP DATABASE.",
    why: "Deletes a whole database; it never belongs in a migration.",
    fix: "Remove it from the migration; drop databases by hand, with backups.",
    bad: "DROP DATABASE analytics;",
    good: "-- (no statement: done by an operator)",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    if let NodeEnum::DropdbStmt(s) = cx.node() {
        cx.push(
            out,
            &DROP_DATABASE,
            -1,
            format!(
                "DROP DATABASE {} deletes a whole database",
                names::ident(&s.dbname)
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "drop-database",
            &[],
            "-- sqlgate:no-transaction\ndrop database x;",
            "-- sqlgate:no-transaction\ndrop role x;",
        );
    }
}
