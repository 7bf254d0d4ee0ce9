//! `alter-column-type-rebuilds-index`: A type change that does not rewrite the table (varchar→text, varchar(n)→varchar(m>n)) of a column an index uses in an expression or a `WHERE` predicate.

use super::prelude::*;
use super::CATEGORY;

pub static ALTER_COLUMN_TYPE_REBUILDS_INDEX: Rule = Rule {
    id: "alter-column-type-rebuilds-index",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A type change that does not rewrite the table (varchar→text, varchar(n)→varchar(m>n)) of a column an index uses in an expression or a `WHERE` predicate.",
    why: "PostgreSQL keeps plain indexes, but rebuilds every index whose expression or predicate uses the column — under the ALTER's ACCESS EXCLUSIVE lock: no reads or writes for the length of the build.",
    fix: "Drop the index first (`DROP INDEX CONCURRENTLY`, a no-transaction migration), change the type, then re-create it with `CREATE INDEX CONCURRENTLY`.",
    bad: "-- shipped: CREATE INDEX posts_keyword_lower ON posts (lower(keyword));\nALTER TABLE posts ALTER COLUMN keyword TYPE text;",
    good: "DROP INDEX CONCURRENTLY posts_keyword_lower;\nALTER TABLE posts ALTER COLUMN keyword TYPE text;\nCREATE INDEX CONCURRENTLY posts_keyword_lower ON posts (lower(keyword));",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    for change in super::type_changes(cx, state) {
        if !matches!(change.retype, super::Retype::Rewrite { .. }) {
            rebuilt_indexes(cx, &change.table, change.column, change.def.location, out);
        }
    }
}

/// A type change that keeps the table: the indexes of `table` (older than this
/// change) whose expressions or predicates use `column` are rebuilt all the same.
fn rebuilt_indexes(cx: &Ctx, table: &str, column: &str, location: i32, out: &mut Vec<Finding>) {
    let mut rebuilt: Vec<&str> = cx
        .schema
        .indexes
        .iter()
        .filter(|(key, (t, created))| {
            t == table
                && !cx.schema.is_new(*created)
                && cx
                    .schema
                    .index_expression_columns
                    .get(*key)
                    .is_some_and(|cols| cols.iter().any(|c| c == column))
        })
        .map(|(key, _)| key.as_str())
        .collect();
    if rebuilt.is_empty() {
        return;
    }
    rebuilt.sort();
    let list = rebuilt
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.push(
        out,
        &ALTER_COLUMN_TYPE_REBUILDS_INDEX,
        location,
        format!(
            "changing the type of {}.{} rewrites no rows, but PostgreSQL rebuilds {list} (an expression or predicate uses the column) under an ACCESS EXCLUSIVE lock on {}",
            names::show(table),
            names::ident(column),
            names::show(table)
        ),
        None,
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair("alter-column-type-rebuilds-index", &["create table k (id int, w varchar(10), n varchar(10));\ncreate index k_w on k (lower(w));\ncreate index k_n on k (n);"], "alter table k alter column w type text;", "alter table k alter column n type text;");
    }
}
