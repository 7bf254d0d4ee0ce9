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

pub static RENAME_SCHEMA: Rule = Rule {
    id: "rename-schema",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "ALTER SCHEMA … RENAME TO.",
    why: "Every query, function body, view definition text and search_path setting that names the schema stops finding it the moment the migration commits, until all deployed code uses the new name.",
    fix: "Keep the schema's name; move objects one at a time (`ALTER TABLE … SET SCHEMA`) behind views, or deploy code that uses both names first.",
    bad: "ALTER SCHEMA billing RENAME TO payments;",
    good: "CREATE SCHEMA payments;  -- then move objects one at a time",
};

pub static RENAME_ENUM_VALUE: Rule = Rule {
    id: "rename-enum-value",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "ALTER TYPE … RENAME VALUE on an enum that existing columns use.",
    why: "Running code that writes the old label fails (`invalid input value for enum`) and code that compares with it silently stops matching, until the new code is deployed.",
    fix: "Add the new label (`ALTER TYPE … ADD VALUE`), deploy code that writes it, migrate the rows in batches, and stop using the old label; an enum value cannot be dropped.",
    bad: "ALTER TYPE order_status RENAME VALUE 'canceled' TO 'cancelled';",
    good: "ALTER TYPE order_status ADD VALUE 'cancelled';",
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    if let NodeEnum::RenameStmt(r) = cx.node() {
        if r.rename_type == ObjectType::ObjectSchema as i32 {
            cx.push(
                out,
                &RENAME_SCHEMA,
                -1,
                format!(
                    "renaming schema {} to {} breaks every query that names it until the new code is deployed",
                    names::ident(&r.subname),
                    names::ident(&r.newname)
                ),
                None,
            );
            return;
        }
        let Some(rv) = &r.relation else { return };
        let table = names::range_var(rv);
        if !cx.existing(&table) {
            return;
        }
        let t = names::show(&table);
        match ObjectType::try_from(r.rename_type).unwrap_or(ObjectType::Undefined) {
            ObjectType::ObjectTable if compatibility_view(&cx.m.up.text, &rv.relname, &r.newname) => {
                // `CREATE VIEW old AS SELECT * FROM new` in the same migration: a simple
                // view is auto-updatable, so reads and writes through the old name go on.
                let mut f = cx.finding(
                    &RENAME_TABLE,
                    rv.location,
                    format!(
                        "renaming table {t} to {}: the view {t} this migration creates over it keeps SELECT, INSERT, UPDATE and DELETE through the old name working; drop the view once no deployed code uses it",
                        names::ident(&r.newname)
                    ),
                );
                f.severity = crate::model::Severity::Info;
                out.push(f);
            }
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
    if let NodeEnum::AlterEnumStmt(e) = cx.node() {
        if e.old_val.is_empty() {
            return;
        }
        let ty = names::strings(&e.type_name);
        let short = ty.last().map(|t| t.to_lowercase()).unwrap_or_default();
        // Only an enum that columns of tables from before this change use.
        let used: Vec<String> = cx
            .schema
            .tables
            .iter()
            .filter(|(_, t)| !cx.schema.is_new(t.created))
            .flat_map(|(k, t)| {
                t.columns
                    .iter()
                    .filter(|(_, c)| c.type_name == short)
                    .map(move |(c, _)| format!("{k}.{c}"))
            })
            .collect();
        if used.is_empty() {
            return;
        }
        cx.push(
            out,
            &RENAME_ENUM_VALUE,
            -1,
            format!(
                "renaming value '{}' of enum {} to '{}' breaks running code that writes or compares the old label ({} use it)",
                e.old_val,
                ty.join("."),
                e.new_val,
                used.join(", ")
            ),
            None,
        );
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

/// Whether `sql` creates a view named `old` that is `SELECT * FROM new` (a
/// compatibility view after a rename), schema-qualified or not, quoted or not.
fn compatibility_view(sql: &str, old: &str, new: &str) -> bool {
    static RE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let Some(re) = RE
        .get_or_init(|| {
            regex::Regex::new(
                r#"(?is)create\s+(?:or\s+replace\s+)?view\s+([\w."]+)\s+as\s+select\s+\*\s+from\s+([\w."]+)\s*;"#,
            )
            .ok()
        })
        .as_ref()
    else {
        return false;
    };
    let last = |name: &str| {
        let part = name.rsplit('.').next().unwrap_or(name);
        match part.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
            Some(quoted) => quoted.to_string(),
            None => part.to_lowercase(),
        }
    };
    re.captures_iter(sql)
        .any(|c| last(&c[1]) == old && last(&c[2]) == new)
}
