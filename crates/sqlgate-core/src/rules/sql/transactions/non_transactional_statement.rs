//! `non-transactional-statement`: VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM, CREATE/DROP TABLESPACE, REINDEX DATABASE/SYSTEM in a transactional migration.

use super::prelude::*;
use super::CATEGORY;

pub static NON_TRANSACTIONAL_STATEMENT: Rule = Rule {
    id: "non-transactional-statement",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM, CREATE/DROP TABLESPACE, REINDEX DATABASE/SYSTEM in a transactional migration.",
    why: "PostgreSQL refuses these inside a transaction block: the deploy fails.",
    fix: "Move the statement to a migration marked `-- sqlgate:no-transaction`, or out of migrations (maintenance jobs).",
    bad: "UPDATE orders SET archived = true WHERE created_at < '2020-01-01';\nVACUUM ANALYZE orders;",
    good: "UPDATE orders SET archived = true WHERE created_at < '2020-01-01';\n-- next migration:\n-- sqlgate:no-transaction\nVACUUM ANALYZE orders;",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let what = match cx.node() {
        NodeEnum::DropdbStmt(_) => "DROP DATABASE",
        NodeEnum::CreatedbStmt(_) => "CREATE DATABASE",
        NodeEnum::AlterSystemStmt(_) => "ALTER SYSTEM",
        NodeEnum::CreateTableSpaceStmt(_) => "CREATE TABLESPACE",
        NodeEnum::DropTableSpaceStmt(_) => "DROP TABLESPACE",
        NodeEnum::VacuumStmt(v) if v.is_vacuumcmd => {
            if def_elems(&v.options).any(|d| d.defname == "full" && bool_arg(d)) {
                "VACUUM FULL"
            } else {
                "VACUUM"
            }
        }
        NodeEnum::ReindexStmt(r)
            if matches!(
                pg_query::protobuf::ReindexObjectType::try_from(r.kind),
                Ok(pg_query::protobuf::ReindexObjectType::ReindexObjectDatabase
                    | pg_query::protobuf::ReindexObjectType::ReindexObjectSystem
                    | pg_query::protobuf::ReindexObjectType::ReindexObjectSchema)
            ) =>
        {
            "REINDEX DATABASE/SCHEMA/SYSTEM"
        }
        _ => return,
    };
    if cx.in_tx {
        cx.push(
            out,
            &NON_TRANSACTIONAL_STATEMENT,
            -1,
            format!("{what} cannot run inside the migration's transaction: the deploy fails"),
            Some(cx.no_tx_fix(cx.text())),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "non-transactional-statement",
            &[T],
            "update t set a = 1 where id = 1;\nvacuum t;",
            "vacuum t;",
        );
        pair(
            "non-transactional-statement",
            &[],
            "create schema y;\ncreate database x;",
            "create schema x;",
        );
    }
}
