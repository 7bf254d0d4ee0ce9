//! `transaction-control`: BEGIN/COMMIT/ROLLBACK/SAVEPOINT in a migration that the runner wraps in a transaction.

use super::prelude::*;
use super::CATEGORY;

pub static TRANSACTION_CONTROL: Rule = Rule {
    id: "transaction-control",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "BEGIN/COMMIT/ROLLBACK/SAVEPOINT in a migration that the runner wraps in a transaction.",
    why: "A COMMIT inside the migration ends the runner's transaction early: the rest runs outside it, and a failure leaves the migration half-applied but unrecorded.",
    fix: "Remove the transaction statements: sqlgate runs each migration in its own transaction. If the migration must control transactions itself, mark it `-- sqlgate:no-transaction`.",
    bad: "CREATE TABLE products (id bigint);\nCOMMIT;\nCREATE TABLE prices (product_id bigint);",
    good: "CREATE TABLE products (id bigint);",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    use pg_query::protobuf::TransactionStmtKind as K;
    let NodeEnum::TransactionStmt(t) = cx.node() else {
        return;
    };
    if cx.m.no_transaction {
        return;
    }
    let word = match K::try_from(t.kind).unwrap_or(K::Undefined) {
        K::TransStmtBegin | K::TransStmtStart => "BEGIN",
        K::TransStmtCommit => "COMMIT",
        K::TransStmtRollback => "ROLLBACK",
        K::TransStmtSavepoint => "SAVEPOINT",
        K::TransStmtRelease => "RELEASE SAVEPOINT",
        K::TransStmtRollbackTo => "ROLLBACK TO SAVEPOINT",
        _ => "a transaction command",
    };
    cx.push(
        out,
        &TRANSACTION_CONTROL,
        t.location,
        format!(
            "{word} in `{}`, which the runner already wraps in a transaction",
            cx.m.up.path
        ),
        None,
    );
}

/// A no-transaction migration that ends inside its own `BEGIN`.
pub fn end(cx: &EndCtx, state: &MigrationState, out: &mut Vec<Finding>) {
    if let (Some(line), true) = (state.explicit, cx.m.no_transaction) {
        out.push(
            Finding::new(
                &TRANSACTION_CONTROL,
                cx.file.to_string(),
                format!(
                    "the BEGIN at line {line} of `{}` is never committed: the runner's session ends with the transaction open, so PostgreSQL rolls back everything after it",
                    cx.m.up.path
                ),
            )
            .at(line, 1)
            .version(cx.m.version.raw()),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "transaction-control",
            &[],
            "create table x (id int);\nCOMMIT;\ncreate table y (id int);",
            "BEGIN;\ncreate table x (id int);\nCOMMIT;",
        );
        pair(
            "transaction-control",
            &[],
            "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);",
            "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);\ncommit;",
        );
    }
}
