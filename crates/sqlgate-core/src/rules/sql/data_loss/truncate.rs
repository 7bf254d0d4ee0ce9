//! `truncate`: TRUNCATE of an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static TRUNCATE: Rule = Rule {
    id: "truncate",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "TRUNCATE of an existing table.",
    why: "Deletes every row instantly under an ACCESS EXCLUSIVE lock.",
    fix: "If the data really must go, say why with an ignore directive; to remove some rows, DELETE … WHERE in batches.",
    bad: "TRUNCATE sessions;",
    good: "DELETE FROM sessions WHERE expires_at < now() - interval '30 days';",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::TruncateStmt(t) = cx.node() else {
        return;
    };
    for rv in nodes(&t.relations).filter_map(|r| match r {
        NodeEnum::RangeVar(rv) => Some(rv),
        _ => None,
    }) {
        let key = names::range_var(rv);
        if cx.existing(&key) {
            cx.push(
                out,
                &TRUNCATE,
                rv.location,
                format!(
                    "TRUNCATE {} deletes every row of the table under an ACCESS EXCLUSIVE lock",
                    names::show(&key)
                ),
                None,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "truncate",
            &[T],
            "truncate t;",
            "create table n (id int);\ntruncate n;",
        );
    }
}
