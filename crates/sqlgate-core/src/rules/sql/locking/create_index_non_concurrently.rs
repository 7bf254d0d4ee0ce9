//! `create-index-non-concurrently`: CREATE INDEX without CONCURRENTLY on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static CREATE_INDEX_NON_CONCURRENTLY: Rule = Rule {
    id: "create-index-non-concurrently",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "CREATE INDEX without CONCURRENTLY on an existing table.",
    why: "Takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until the index is built.",
    fix: "CREATE INDEX CONCURRENTLY in a migration of its own marked `-- sqlgate:no-transaction`.",
    bad: "CREATE INDEX orders_user_id_idx ON orders (user_id);",
    good: "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_idx ON orders (user_id);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::IndexStmt(s) = cx.node() else {
        return;
    };
    if s.concurrent {
        return;
    }
    let Some(rv) = &s.relation else { return };
    let table = names::range_var(rv);
    if !cx.existing(&table) {
        return;
    }
    let name = if s.idxname.is_empty() {
        "an index".to_string()
    } else {
        names::ident(&s.idxname)
    };
    let mut concurrent = (**s).clone();
    concurrent.concurrent = true;
    let sql = deparse(NodeEnum::IndexStmt(Box::new(concurrent)))
        .unwrap_or_else(|| "CREATE INDEX CONCURRENTLY …".into());
    cx.push(
        out,
        &CREATE_INDEX_NON_CONCURRENTLY,
        rv.location,
        format!(
            "CREATE INDEX {name} on existing table {} takes a SHARE lock: inserts, updates and deletes wait until the index is built",
            names::show(&table)
        ),
        Some(cx.no_tx_fix(&sql)),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "create-index-non-concurrently",
            &[T],
            "create index i on t (a);",
            "create table n (a int);\ncreate index i on n (a);",
        );
    }
}
