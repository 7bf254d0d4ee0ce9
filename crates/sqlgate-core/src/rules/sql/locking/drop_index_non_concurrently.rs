//! `drop-index-non-concurrently`: DROP INDEX without CONCURRENTLY of an index on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static DROP_INDEX_NON_CONCURRENTLY: Rule = Rule {
    id: "drop-index-non-concurrently",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "DROP INDEX without CONCURRENTLY of an index on an existing table.",
    why: "Takes an ACCESS EXCLUSIVE lock on the table: it waits behind every running query and blocks all reads and writes meanwhile.",
    fix: "DROP INDEX CONCURRENTLY in a migration marked `-- sqlgate:no-transaction`.",
    bad: "DROP INDEX orders_status_idx;",
    good: "-- sqlgate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::DropStmt(s) = cx.node() else {
        return;
    };
    if s.concurrent || s.remove_type != ObjectType::ObjectIndex as i32 {
        return;
    }
    for o in nodes(&s.objects) {
        let idx = match o {
            NodeEnum::List(l) => names::list_key(&l.items),
            NodeEnum::String(st) => st.sval.clone(),
            _ => continue,
        };
        let on_new_table = cx
            .schema
            .index(&idx)
            .is_some_and(|(t, c)| cx.schema.is_new(*c) || !cx.existing(t));
        if on_new_table {
            continue;
        }
        let table = cx
            .schema
            .index(&idx)
            .map(|(t, _)| format!(" on {}", names::show(t)))
            .unwrap_or_default();
        cx.push(
            out,
            &DROP_INDEX_NON_CONCURRENTLY,
            -1,
            format!(
                "DROP INDEX {}{table} takes an ACCESS EXCLUSIVE lock on the table: it waits for running queries and blocks everything behind it",
                names::show(&idx)
            ),
            Some(cx.no_tx_fix(&format!(
                "DROP INDEX CONCURRENTLY IF EXISTS {}",
                names::show(&idx)
            ))),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "drop-index-non-concurrently",
            &[T, "create index i on t (a);"],
            "drop index i;",
            "-- sqlgate:no-transaction\ndrop index concurrently i;",
        );
    }
}
