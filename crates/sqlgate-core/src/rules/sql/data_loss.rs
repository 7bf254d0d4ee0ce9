//! Data loss: statements that delete tables, columns, schemas, databases or rows of
//! tables that existed before this change.

use super::{alter_table, Ctx, MigrationState};
use crate::model::{Finding, Rule, Severity};
use crate::sql::ast::nodes;
use crate::sql::names;
use pg_query::protobuf::{AlterTableType, DropBehavior, ObjectType};
use pg_query::NodeEnum;

const CATEGORY: &str = "Data loss";

pub static DROP_TABLE: Rule = Rule {
    id: "drop-table",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DROP TABLE of an existing table.",
    why: "Deletes the table and all its rows for good; code still reading it fails.",
    fix: "Deploy code that no longer uses the table first, back up the data, then drop it with `-- sqlgate:ignore drop-table -- <why it is safe>` above the statement.",
    bad: "DROP TABLE legacy_orders;",
    good: "-- sqlgate:ignore drop-table -- unused since v42, archived to s3://…\nDROP TABLE legacy_orders;",
};

pub static DROP_COLUMN: Rule = Rule {
    id: "drop-column",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER TABLE … DROP COLUMN of an existing table.",
    why: "Deletes the column's data; running code that selects or inserts it fails until it is deployed without it.",
    fix: "Stop reading and writing the column in code first (deploy), then drop it in a later migration, with an ignore directive giving the reason.",
    bad: "ALTER TABLE users DROP COLUMN nickname;",
    good: "-- sqlgate:ignore drop-column -- unused since release 2026.10\nALTER TABLE users DROP COLUMN nickname;",
};

pub static DROP_SCHEMA: Rule = Rule {
    id: "drop-schema",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DROP SCHEMA.",
    why: "Deletes every object in the schema (with CASCADE) or fails when it is not empty.",
    fix: "Drop the objects deliberately, one by one, after confirming nothing uses them.",
    bad: "DROP SCHEMA reporting CASCADE;",
    good: "DROP VIEW reporting.daily_totals;  -- each object on purpose",
};

pub static DROP_DATABASE: Rule = Rule {
    id: "drop-database",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DROP DATABASE.",
    why: "Deletes a whole database; it never belongs in a migration.",
    fix: "Remove it from the migration; drop databases by hand, with backups.",
    bad: "DROP DATABASE analytics;",
    good: "-- (no statement: done by an operator)",
};

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
};

pub static DELETE_WITHOUT_WHERE: Rule = Rule {
    id: "delete-without-where",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "DELETE without WHERE on an existing table.",
    why: "Deletes every row, in one long transaction that holds row locks and bloats the table.",
    fix: "Add the WHERE clause you meant; for large cleanups delete in batches outside the migration.",
    bad: "DELETE FROM audit_log;",
    good: "DELETE FROM audit_log WHERE created_at < now() - interval '1 year';",
};

pub static UPDATE_WITHOUT_WHERE: Rule = Rule {
    id: "update-without-where",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "UPDATE without WHERE on an existing table: a whole-table backfill in the migration's transaction.",
    why: "Rewrites every row while holding row locks for the whole migration; on a large table this blocks writers for minutes and bloats the table.",
    fix: "Backfill in batches (UPDATE … WHERE id BETWEEN … AND …) from a job or a no-transaction migration.",
    bad: "UPDATE users SET locale = 'en';",
    good: "UPDATE users SET locale = 'en' WHERE id BETWEEN 1 AND 10000 AND locale IS NULL;  -- repeated per batch",
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    match cx.node() {
        NodeEnum::DropStmt(s) => {
            let kind = ObjectType::try_from(s.remove_type).unwrap_or(ObjectType::Undefined);
            let objects = nodes(&s.objects).filter_map(|o| match o {
                NodeEnum::List(l) => Some(names::list_key(&l.items)),
                NodeEnum::String(st) => Some(st.sval.clone()),
                _ => None,
            });
            match kind {
                ObjectType::ObjectTable => {
                    for t in objects.filter(|t| cx.existing(t)) {
                        cx.push(
                            out,
                            &DROP_TABLE,
                            -1,
                            format!(
                                "DROP TABLE {} deletes the table and all its rows",
                                names::show(&t)
                            ),
                            None,
                        );
                    }
                }
                ObjectType::ObjectSchema => {
                    let cascade = s.behavior == DropBehavior::DropCascade as i32;
                    for sch in objects {
                        cx.push(
                            out,
                            &DROP_SCHEMA,
                            -1,
                            format!(
                                "DROP SCHEMA {} deletes the schema{}",
                                names::ident(&sch),
                                if cascade {
                                    " and everything in it (CASCADE)"
                                } else {
                                    ""
                                }
                            ),
                            None,
                        );
                    }
                }
                _ => {}
            }
        }
        NodeEnum::DropdbStmt(s) => cx.push(
            out,
            &DROP_DATABASE,
            -1,
            format!(
                "DROP DATABASE {} deletes a whole database",
                names::ident(&s.dbname)
            ),
            None,
        ),
        NodeEnum::TruncateStmt(t) => {
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
        NodeEnum::DeleteStmt(d) if d.where_clause.is_none() => {
            if let Some(rv) = &d.relation {
                let key = names::range_var(rv);
                if cx.existing(&key) {
                    cx.push(
                        out,
                        &DELETE_WITHOUT_WHERE,
                        rv.location,
                        format!(
                            "DELETE FROM {} without WHERE deletes every row",
                            names::show(&key)
                        ),
                        None,
                    );
                }
            }
        }
        NodeEnum::UpdateStmt(u) if u.where_clause.is_none() => {
            if let Some(rv) = &u.relation {
                let key = names::range_var(rv);
                if cx.existing(&key) {
                    cx.push(
                        out,
                        &UPDATE_WITHOUT_WHERE,
                        rv.location,
                        format!(
                            "UPDATE {} without WHERE rewrites every row inside the migration's transaction",
                            names::show(&key)
                        ),
                        None,
                    );
                }
            }
        }
        node => {
            let Some(a) = alter_table(node).filter(|a| cx.existing(&a.table)) else {
                return;
            };
            for (cmd, kind, _) in &a.cmds {
                if *kind == AlterTableType::AtDropColumn {
                    cx.push(
                        out,
                        &DROP_COLUMN,
                        a.rv.location,
                        format!(
                            "DROP COLUMN {}.{} deletes the column's data; running code that uses it fails",
                            names::show(&a.table),
                            names::ident(&cmd.name)
                        ),
                        None,
                    );
                }
            }
        }
    }
}
