//! Breaking changes for running code: the schema changes under code that is already
//! deployed (renames, dropped NOT NULL and defaults) of tables that existed before.

use super::{alter_table, Ctx, MigrationState};
use crate::model::{Finding, Rule, Severity};
use crate::sql::names;
use pg_query::protobuf::{AlterTableType, ObjectType};
use pg_query::NodeEnum;

const CATEGORY: &str = "Breaking changes for running code";

pub static RENAME_COLUMN: Rule = Rule {
    id: "rename-column",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "RENAME COLUMN on an existing table.",
    why: "Running code still uses the old name and fails from the moment the migration commits until the new code is deployed.",
    fix: "Expand and contract: add the new column, write both, backfill, switch reads, then drop the old one.",
    bad: "ALTER TABLE users RENAME COLUMN name TO full_name;",
    good: "ALTER TABLE users ADD COLUMN full_name text;  -- then dual-write, backfill, switch, drop",
};

pub static RENAME_TABLE: Rule = Rule {
    id: "rename-table",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "RENAME of an existing table.",
    why: "Running code still uses the old name and fails until the new code is deployed.",
    fix: "Rename, then create a view with the old name for the transition, or expand and contract.",
    bad: "ALTER TABLE customer RENAME TO customers;",
    good: "ALTER TABLE customer RENAME TO customers;\nCREATE VIEW customer AS SELECT * FROM customers;  -- until the code is deployed",
};

pub static DROP_NOT_NULL: Rule = Rule {
    id: "drop-not-null",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "DROP NOT NULL on an existing column.",
    why: "Code that assumes a value (and readers of the column) may now see NULLs.",
    fix: "Deploy code that handles NULL first.",
    bad: "ALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
    good: "-- after deploying code that handles users without email\nALTER TABLE users ALTER COLUMN email DROP NOT NULL;",
};

pub static DROP_DEFAULT: Rule = Rule {
    id: "drop-default",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "DROP DEFAULT on an existing column.",
    why: "Running code that omits the column now inserts NULL (or fails on NOT NULL).",
    fix: "Deploy code that always sets the column first.",
    bad: "ALTER TABLE users ALTER COLUMN plan DROP DEFAULT;",
    good: "-- after deploying code that always sets plan\nALTER TABLE users ALTER COLUMN plan DROP DEFAULT;",
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    if let NodeEnum::RenameStmt(r) = cx.node() {
        let Some(rv) = &r.relation else { return };
        let table = names::range_var(rv);
        if !cx.existing(&table) {
            return;
        }
        let t = names::show(&table);
        match ObjectType::try_from(r.rename_type).unwrap_or(ObjectType::Undefined) {
            ObjectType::ObjectTable => cx.push(
                out,
                &RENAME_TABLE,
                rv.location,
                format!(
                    "renaming table {t} to {} breaks running code that still uses the old name",
                    names::ident(&r.newname)
                ),
                Some(format!(
                    "ALTER TABLE {t} RENAME TO {new};\nCREATE VIEW {t} AS SELECT * FROM {new}; -- until every deployed version uses the new name",
                    new = names::ident(&r.newname)
                )),
            ),
            ObjectType::ObjectColumn => cx.push(
                out,
                &RENAME_COLUMN,
                rv.location,
                format!(
                    "renaming column {t}.{} to {} breaks running code that still uses the old name",
                    names::ident(&r.subname),
                    names::ident(&r.newname)
                ),
                None,
            ),
            _ => {}
        }
        return;
    }
    let Some(a) = alter_table(cx.node()).filter(|a| cx.existing(&a.table)) else {
        return;
    };
    let t = names::show(&a.table);
    // The column as it is after the earlier subcommands of the same statement.
    let mut nullability: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
    for (cmd, kind, def) in &a.cmds {
        let col = names::ident(&cmd.name);
        match kind {
            AlterTableType::AtDropNotNull => {
                nullability.insert(cmd.name.as_str(), false);
            }
            AlterTableType::AtSetNotNull => {
                nullability.insert(cmd.name.as_str(), true);
            }
            _ => {}
        }
        match (kind, def) {
            (AlterTableType::AtDropNotNull, _) => cx.push(
                out,
                &DROP_NOT_NULL,
                a.rv.location,
                format!("DROP NOT NULL on {t}.{col}: code that expects a value may now read NULL"),
                None,
            ),
            (AlterTableType::AtColumnDefault, None) => {
                let not_null = nullability.get(cmd.name.as_str()).copied().or_else(|| {
                    cx.schema
                        .tables
                        .get(&a.table)
                        .and_then(|tab| tab.columns.get(&cmd.name))
                        .map(|c| c.not_null)
                });
                let effect = match not_null {
                    Some(true) => "fails (the column is NOT NULL)",
                    Some(false) => "now writes NULL",
                    None => "now writes NULL — or fails, if the column is NOT NULL",
                };
                cx.push(
                    out,
                    &DROP_DEFAULT,
                    a.rv.location,
                    format!(
                        "DROP DEFAULT on {t}.{col}: running code that omits the column {effect}"
                    ),
                    None,
                )
            }
            _ => {}
        }
    }
}
