//! `rewrite-table`: ALTER TABLE … SET LOGGED, SET UNLOGGED, SET TABLESPACE or SET ACCESS METHOD on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static REWRITE_TABLE: Rule = Rule {
    id: "rewrite-table",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER TABLE … SET LOGGED, SET UNLOGGED, SET TABLESPACE or SET ACCESS METHOD on an existing table.",
    why: "Rewrites (LOGGED/UNLOGGED, ACCESS METHOD) or copies (TABLESPACE) the whole table and its indexes under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes. SET UNLOGGED also loses the table's contents after a crash and takes it off replicas.",
    fix: "Do it in a maintenance window, or build a new table and switch over; pg_repack can move a table to another tablespace with a short lock.",
    bad: "ALTER TABLE events SET UNLOGGED;",
    good: "SET lock_timeout = '5s';\n-- sqlgate:ignore rewrite-table -- maintenance window, events is small\nALTER TABLE events SET LOGGED;",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    match cx.node() {
        NodeEnum::AlterTableStmt(a) if a.objtype == ObjectType::ObjectIndex as i32 => {
            let Some(rv) = &a.relation else { return };
            let index = names::range_var(rv);
            let Some((table, _)) = cx.schema.index(&index) else {
                return;
            };
            if !cx.existing(table) {
                return;
            }
            for c in nodes(&a.cmds) {
                let NodeEnum::AlterTableCmd(c) = c else {
                    continue;
                };
                if c.subtype == AlterTableType::AtSetTableSpace as i32 {
                    cx.push(
                        out,
                        &REWRITE_TABLE,
                        rv.location,
                        format!(
                            "ALTER INDEX {} SET TABLESPACE {} copies the whole index under an ACCESS EXCLUSIVE lock: writes to {} and reads through the index wait until it finishes",
                            names::show(&index),
                            names::ident(&c.name),
                            names::show(table)
                        ),
                        Some("Build a new index CONCURRENTLY in the new tablespace (`CREATE INDEX CONCURRENTLY … TABLESPACE …`), then drop the old one CONCURRENTLY; or use pg_repack.".into()),
                    );
                }
            }
        }
        NodeEnum::AlterTableMoveAllStmt(m) => {
            cx.push(out, &REWRITE_TABLE, -1, format!(
                "ALTER TABLE ALL IN TABLESPACE {} copies every matching table under an ACCESS EXCLUSIVE lock, one after another",
                names::ident(&m.orig_tablespacename)), None);
        }
        _ => {
            let Some(a) = cx.existing_alter() else {
                return;
            };
            let t = names::show(&a.table);
            for (cmd, kind, _) in &a.cmds {
                let what = match kind {
                    AlterTableType::AtSetLogged => "SET LOGGED rewrites".to_string(),
                    AlterTableType::AtSetUnLogged => "SET UNLOGGED rewrites".to_string(),
                    AlterTableType::AtSetTableSpace => {
                        format!("SET TABLESPACE {} copies", names::ident(&cmd.name))
                    }
                    AlterTableType::AtSetAccessMethod => "SET ACCESS METHOD rewrites".to_string(),
                    _ => continue,
                };
                cx.push(
                    out,
                    &REWRITE_TABLE,
                    a.rv.location,
                    format!("{what} {t} and its indexes under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes"),
                    None,
                );
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
            "rewrite-table",
            &[T],
            "alter table t set unlogged;",
            "create table n (a int);\nalter table n set unlogged;",
        );
        pair(
            "rewrite-table",
            &[T],
            "alter table t set tablespace fast;",
            "alter table t set (fillfactor = 70);",
        );
        pair(
            "rewrite-table",
            &[T],
            "alter table t set logged;",
            "alter table t set without cluster;",
        );
        pair(
            "rewrite-table",
            &[T, "create index t_a on t (a);"],
            "alter index t_a set tablespace fast;",
            "alter index t_a set (fillfactor = 70);",
        );
    }
}
