//! `concurrently-in-transaction`: CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH PARTITION CONCURRENTLY in a transactional migration.

use super::prelude::*;
use super::CATEGORY;

pub static CONCURRENTLY_IN_TRANSACTION: Rule = Rule {
    id: "concurrently-in-transaction",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH PARTITION CONCURRENTLY in a transactional migration.",
    why: "PostgreSQL refuses these inside a transaction block: the deploy fails.",
    fix: "Put the statement alone in a migration whose first line is `-- sqlgate:no-transaction`.",
    bad: "ALTER TABLE users ADD COLUMN verified boolean;\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
    good: "ALTER TABLE users ADD COLUMN verified boolean;\n-- next migration:\n-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    if !cx.in_tx {
        return;
    }
    let mut report = |location: i32, what: String| {
        cx.push(
            out,
            &CONCURRENTLY_IN_TRANSACTION,
            location,
            format!("{what} cannot run inside the migration's transaction"),
            Some(cx.no_tx_fix(cx.text())),
        )
    };
    match cx.node() {
        NodeEnum::IndexStmt(s) if s.concurrent && s.relation.is_some() => {
            let table = s
                .relation
                .as_ref()
                .map(names::range_var)
                .unwrap_or_default();
            let name = if s.idxname.is_empty() {
                "an index".to_string()
            } else {
                names::ident(&s.idxname)
            };
            report(
                -1,
                format!(
                    "CREATE INDEX CONCURRENTLY {name} on {}",
                    names::show(&table)
                ),
            );
        }
        NodeEnum::DropStmt(s)
            if s.concurrent && s.remove_type == ObjectType::ObjectIndex as i32 =>
        {
            for o in nodes(&s.objects) {
                let idx = match o {
                    NodeEnum::List(l) => names::list_key(&l.items),
                    NodeEnum::String(st) => st.sval.clone(),
                    _ => continue,
                };
                report(-1, format!("DROP INDEX CONCURRENTLY {}", names::show(&idx)));
            }
        }
        NodeEnum::ReindexStmt(r)
            if def_elems(&r.params).any(|d| d.defname == "concurrently" && bool_arg(d)) =>
        {
            let target = r
                .relation
                .as_ref()
                .map(names::range_var)
                .unwrap_or_else(|| r.name.clone());
            report(
                -1,
                format!("REINDEX … CONCURRENTLY of {}", names::show(&target)),
            );
        }
        node => {
            let Some(a) = alter_table(node) else { return };
            for (_, kind, def) in &a.cmds {
                if let (AlterTableType::AtDetachPartition, Some(NodeEnum::PartitionCmd(p))) =
                    (kind, def)
                {
                    if p.concurrent {
                        report(
                            a.rv.location,
                            format!(
                                "DETACH PARTITION … CONCURRENTLY on {}",
                                names::show(&a.table)
                            ),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "concurrently-in-transaction",
            &[T],
            "alter table t add column b int;\ncreate index concurrently i on t (a);",
            "create index concurrently i on t (a);",
        );
        pair(
            "concurrently-in-transaction",
            &[T, "create index i on t (a);"],
            "drop index concurrently i;\nalter table t add column b int;",
            "drop index concurrently i;",
        );
        pair(
            "concurrently-in-transaction",
            &[T],
            "-- sqlgate:no-transaction\nbegin;\ncreate index concurrently i on t (a);\ncommit;",
            "-- sqlgate:no-transaction\ncreate index concurrently i on t (a);",
        );
    }
}
