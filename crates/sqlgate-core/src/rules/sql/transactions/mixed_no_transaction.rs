//! `mixed-no-transaction`: A no-transaction migration has more than one statement, and one that cannot run twice comes before another.

use super::prelude::*;
use super::CATEGORY;

pub static MIXED_NO_TRANSACTION: Rule = Rule {
    id: "mixed-no-transaction",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A no-transaction migration has more than one statement, and one that cannot run twice comes before another.",
    why: "Without a transaction each statement commits on its own: a failure half-way leaves the migration partly applied, and the rerun stops at a statement that already ran (`CREATE INDEX … already exists`). Re-runnable statements (`IF NOT EXISTS`, `VALIDATE CONSTRAINT`, `SET NOT NULL`) and the recommended sequences (`ADD … NOT VALID` then `VALIDATE`; `CREATE INDEX CONCURRENTLY` then `ADD CONSTRAINT … USING INDEX`) are not reported.",
    fix: "One statement per no-transaction migration; make each one idempotent (`IF NOT EXISTS`).",
    bad: "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON t (a);\nCREATE INDEX CONCURRENTLY b_idx ON t (b);",
    good: "-- 010: sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON t (a);\n-- 011: sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON t (b);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

/// In a no-transaction file: records what a rerun would stop at if a later statement
/// failed.
pub fn check(cx: &Ctx, state: &mut MigrationState, _: &mut Vec<Finding>) {
    if !cx.m.no_transaction {
        return;
    }
    state.last_line = cx.stmt.line;
    let (blocker, using) = rerun_blocker(cx.node());
    state.using_indexes.extend(using);
    if let Some((what, index)) = blocker {
        state.rerun_blockers.push((cx.stmt.line, what, index));
    }
}

/// Whether a statement stops a rerun of its file once it has run (`CREATE INDEX`
/// without `IF NOT EXISTS`: "already exists"), and the indexes it attaches with
/// `USING INDEX`. Statements that can run again (`IF [NOT] EXISTS`, `VALIDATE
/// CONSTRAINT`, `SET NOT NULL`, `UPDATE`, settings) and constraints added `NOT VALID`
/// or `USING INDEX` (harmless to leave, the recommended sequences) do not.
fn rerun_blocker(node: &NodeEnum) -> (Option<(String, Option<String>)>, Vec<String>) {
    let stop = |what: String| (Some((what, None)), Vec::new());
    match node {
        NodeEnum::IndexStmt(i) if !i.if_not_exists => (
            Some((
                format!("CREATE INDEX {}", names::ident(&i.idxname)),
                Some(i.idxname.clone()),
            )),
            Vec::new(),
        ),
        NodeEnum::CreateStmt(c) if !c.if_not_exists => stop("CREATE TABLE".into()),
        NodeEnum::CreateSeqStmt(c) if !c.if_not_exists => stop("CREATE SEQUENCE".into()),
        NodeEnum::CreateSchemaStmt(c) if !c.if_not_exists => stop("CREATE SCHEMA".into()),
        NodeEnum::CreateExtensionStmt(c) if !c.if_not_exists => stop("CREATE EXTENSION".into()),
        NodeEnum::CreateEnumStmt(_) => stop("CREATE TYPE".into()),
        NodeEnum::CreateFunctionStmt(f) if !f.replace => stop("CREATE FUNCTION".into()),
        NodeEnum::ViewStmt(v) if !v.replace => stop("CREATE VIEW".into()),
        NodeEnum::AlterEnumStmt(e) if e.old_val.is_empty() && !e.skip_if_new_val_exists => {
            stop("ALTER TYPE … ADD VALUE".into())
        }
        NodeEnum::RenameStmt(_) => stop("RENAME".into()),
        NodeEnum::DropStmt(d) if !d.missing_ok => stop("DROP".into()),
        NodeEnum::InsertStmt(i) if i.on_conflict_clause.is_none() => stop("INSERT".into()),
        NodeEnum::AlterTableStmt(a) => {
            let mut using = Vec::new();
            let mut blocker = None;
            for c in nodes(&a.cmds) {
                let NodeEnum::AlterTableCmd(c) = c else {
                    continue;
                };
                let kind = AlterTableType::try_from(c.subtype).unwrap_or(AlterTableType::Undefined);
                let def = c.def.as_ref().and_then(|d| d.node.as_ref());
                match (kind, def) {
                    (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(k))) => {
                        if !k.indexname.is_empty() {
                            using.push(k.indexname.clone());
                        } else if !k.skip_validation {
                            blocker.get_or_insert_with(|| {
                                format!("ADD CONSTRAINT {}", names::ident(&k.conname))
                            });
                        }
                    }
                    (AlterTableType::AtAddColumn, _) if !c.missing_ok => {
                        blocker.get_or_insert_with(|| "ADD COLUMN".to_string());
                    }
                    (AlterTableType::AtDropColumn | AlterTableType::AtDropConstraint, _)
                        if !c.missing_ok =>
                    {
                        blocker.get_or_insert_with(|| format!("DROP {}", names::ident(&c.name)));
                    }
                    _ => {}
                }
            }
            (blocker.map(|b| (b, None)), using)
        }
        _ => (None, Vec::new()),
    }
}

/// `mixed-no-transaction`, judged at the end of a no-transaction file with more than
/// one unit: a statement before the last one that a rerun would stop at, once a later
/// statement failed. Files of re-runnable statements, and the recommended sequences
/// (`ADD … NOT VALID` then `VALIDATE`; `CREATE INDEX CONCURRENTLY` then `ADD
/// CONSTRAINT … USING INDEX`; `CHECK … NOT VALID`, `VALIDATE`, `SET NOT NULL`), are
/// not reported.
pub fn end(cx: &EndCtx, state: &MigrationState, out: &mut Vec<Finding>) {
    if !cx.m.no_transaction || state.units < 2 {
        return;
    }
    let Some((line, what, _)) = state.rerun_blockers.iter().find(|(line, _, index)| {
        *line < state.last_line
            && !index
                .as_ref()
                .is_some_and(|i| state.using_indexes.iter().any(|u| u == i))
    }) else {
        return;
    };
    out.push(
        Finding::new(
            &MIXED_NO_TRANSACTION,
            cx.file.to_string(),
            format!(
                "`{}` runs without a transaction: if a statement after line {line} fails, what ran before it stays applied, and a rerun stops at `{what}` (line {line}), which cannot run twice",
                cx.m.up.path
            ),
        )
        .at(*line, 1)
        .version(cx.m.version.raw()),
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T, U};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);\ncreate index concurrently b_i on t (v);", "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);");
        pair("mixed-no-transaction", &[T, U], "-- sqlgate:no-transaction\nalter table t add constraint t_u foreign key (a) references u (id);\ncreate index concurrently if not exists a_i on t (a);", "-- sqlgate:no-transaction\nalter table t add constraint t_u foreign key (a) references u (id) not valid;\nalter table t validate constraint t_u;");
        pair("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\ncreate index concurrently t_v on t (v);\nalter table t add column w int;", "-- sqlgate:no-transaction\ncreate unique index concurrently t_v on t (v);\nalter table t add constraint t_v_key unique using index t_v;");
        pair("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\nalter table t add constraint a_nn check (a is not null);\nalter table t alter column a set not null;", "-- sqlgate:no-transaction\nalter table t add constraint a_nn check (a is not null) not valid;\nalter table t validate constraint a_nn;\nalter table t alter column a set not null;\nalter table t drop constraint a_nn;");
        pair("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);\ncommit;\ncreate index concurrently i on t (a);", "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);\ncreate table y (id int);\ncommit;");
    }
}
