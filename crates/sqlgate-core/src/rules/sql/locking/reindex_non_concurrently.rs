//! `reindex-non-concurrently`: REINDEX without CONCURRENTLY.

use super::prelude::*;
use super::CATEGORY;

pub static REINDEX_NON_CONCURRENTLY: Rule = Rule {
    id: "reindex-non-concurrently",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "REINDEX without CONCURRENTLY.",
    why: "Takes a SHARE lock on the table (inserts, updates and deletes wait) and an ACCESS EXCLUSIVE lock on each index it rebuilds (queries that use the index wait) for the whole rebuild.",
    fix:
        "REINDEX … CONCURRENTLY (PostgreSQL 12+) in a migration marked `-- sqlgate:no-transaction`.",
    bad: "REINDEX INDEX orders_user_id_idx;",
    good: "-- sqlgate:no-transaction\nREINDEX INDEX CONCURRENTLY orders_user_id_idx;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::ReindexStmt(r) = cx.node() else {
        return;
    };
    use pg_query::protobuf::ReindexObjectType as K;
    let concurrent = def_elems(&r.params).any(|d| d.defname == "concurrently" && bool_arg(d));
    if concurrent {
        return;
    }
    let target = r
        .relation
        .as_ref()
        .map(names::range_var)
        .unwrap_or_else(|| r.name.clone());
    let kind = K::try_from(r.kind).unwrap_or(K::Undefined);
    let table = match kind {
        K::ReindexObjectIndex => cx.schema.index(&target).map(|(tab, _)| tab.clone()),
        K::ReindexObjectTable => Some(target.clone()),
        _ => None,
    };
    if table.is_some_and(|t| !cx.existing(&t)) {
        return;
    }
    let word = match kind {
        K::ReindexObjectIndex => "INDEX",
        K::ReindexObjectSchema => "SCHEMA",
        K::ReindexObjectDatabase => "DATABASE",
        K::ReindexObjectSystem => "SYSTEM",
        _ => "TABLE",
    };
    let fix = if kind == K::ReindexObjectSystem {
        "REINDEX SYSTEM has no concurrent form: run it outside migrations, in a maintenance window (or REINDEX DATABASE CONCURRENTLY, which skips the system catalogs, on PostgreSQL 12+).".into()
    } else if cx.opts.pg_version >= 12 {
        cx.no_tx_fix(&format!(
            "REINDEX {word} CONCURRENTLY {}",
            names::show(&target)
        ))
    } else {
        "PostgreSQL before 12 has no REINDEX CONCURRENTLY: build a new index CONCURRENTLY, drop the old one CONCURRENTLY, rename.".into()
    };
    let message = match kind {
        K::ReindexObjectSystem => "REINDEX SYSTEM rebuilds every index of the database's system catalogs under their locks: every session's queries and DDL wait on the catalogs until it finishes".to_string(),
        K::ReindexObjectDatabase | K::ReindexObjectSchema => format!(
            "REINDEX {word} {} rebuilds every index in it, one table at a time, each blocking writes to its table (and reads through the index) while it is rebuilt",
            names::show(&target)
        ),
        _ => format!(
            "REINDEX of {} blocks writes to the table (and reads through the index) until the rebuild finishes",
            names::show(&target)
        ),
    };
    cx.push(out, &REINDEX_NON_CONCURRENTLY, -1, message, Some(fix));
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "reindex-non-concurrently",
            &[T],
            "reindex table t;",
            "-- sqlgate:no-transaction\nreindex table concurrently t;",
        );
    }
}
