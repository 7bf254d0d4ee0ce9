//! Style: column types that age badly (off or info by default) and identifiers that
//! PostgreSQL silently truncates.

use super::{alter_table, Ctx, MigrationState};
use crate::model::{Finding, Rule, Severity};
use crate::sql::ast::{nodes, truncate_bytes, type_display};
use crate::sql::{names, schema};
use pg_query::protobuf::{AlterTableType, ColumnDef};
use pg_query::NodeEnum;

const CATEGORY: &str = "Style";

pub static PREFER_BIGINT: Rule = Rule {
    id: "prefer-bigint",
    severity: Severity::Info,
    on: false,
    category: CATEGORY,
    summary: "integer/smallint (or serial) columns: prefer bigint.",
    why: "integer keys and counters run out at 2,147,483,647 (smallint at 32,767), and changing the type later rewrites the table.",
    fix: "Use bigint (or bigint GENERATED ALWAYS AS IDENTITY).",
    bad: "CREATE TABLE t (id serial PRIMARY KEY, hits integer);",
    good: "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, hits bigint);",
};

pub static PREFER_TEXT: Rule = Rule {
    id: "prefer-text",
    severity: Severity::Info,
    on: false,
    category: CATEGORY,
    summary: "varchar(n): prefer text (with a CHECK if a limit is needed).",
    why: "Changing a varchar limit later needs an ALTER TYPE; text with a CHECK is as fast and easier to change.",
    fix: "Use text, plus CHECK (length(col) <= n) when the limit matters.",
    bad: "CREATE TABLE t (name varchar(100));",
    good: "CREATE TABLE t (name text CHECK (length(name) <= 100));",
};

pub static PREFER_TIMESTAMPTZ: Rule = Rule {
    id: "prefer-timestamptz",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "timestamp without time zone: prefer timestamptz.",
    why: "timestamp stores wall-clock time without a zone: values shift silently when servers or sessions use different time zones.",
    fix: "Use timestamptz.",
    bad: "CREATE TABLE t (created_at timestamp);",
    good: "CREATE TABLE t (created_at timestamptz);",
};

pub static PREFER_IDENTITY: Rule = Rule {
    id: "prefer-identity",
    severity: Severity::Info,
    on: false,
    category: CATEGORY,
    summary: "serial/bigserial: prefer GENERATED … AS IDENTITY.",
    why: "serial creates a loosely attached sequence with separate permissions; identity columns are the SQL-standard replacement.",
    fix: "Use bigint GENERATED ALWAYS AS IDENTITY.",
    bad: "CREATE TABLE t (id bigserial PRIMARY KEY);",
    good: "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
};

pub static PREFER_JSONB: Rule = Rule {
    id: "prefer-jsonb",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "json columns: prefer jsonb.",
    why: "json stores text and reparses it on every access, cannot be indexed with GIN and has no equality operator.",
    fix: "Use jsonb.",
    bad: "CREATE TABLE t (payload json);",
    good: "CREATE TABLE t (payload jsonb);",
};

pub static BAN_CHAR: Rule = Rule {
    id: "ban-char",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "char(n)/character(n) columns.",
    why: "char(n) pads with spaces and compares surprisingly; it is never faster than text or varchar.",
    fix: "Use text (with a CHECK on the length if needed).",
    bad: "CREATE TABLE t (country char(2));",
    good: "CREATE TABLE t (country text CHECK (length(country) = 2));",
};

pub static IDENTIFIER_TOO_LONG: Rule = Rule {
    id: "identifier-too-long",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "An identifier longer than 63 bytes.",
    why: "PostgreSQL silently truncates it to 63 bytes: two long names can collide, and code using the full name does not find the object.",
    fix: "Shorten the name to at most 63 bytes.",
    bad: "CREATE INDEX index_on_customer_orders_by_customer_id_and_created_at_and_status_desc ON …;",
    good: "CREATE INDEX customer_orders_customer_created_status_idx ON …;",
};

/// The column types of `CREATE TABLE` and `ALTER TABLE … ADD COLUMN`.
pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    match cx.node() {
        NodeEnum::CreateStmt(c) => {
            for def in nodes(&c.table_elts).filter_map(|n| match n {
                NodeEnum::ColumnDef(d) => Some(d.as_ref()),
                _ => None,
            }) {
                column(cx, def, out);
            }
        }
        node => {
            let Some(a) = alter_table(node) else { return };
            for (_, kind, def) in &a.cmds {
                if let (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(d))) = (kind, def) {
                    column(cx, d, out);
                }
            }
        }
    }
}

fn column(cx: &Ctx, def: &ColumnDef, out: &mut Vec<Finding>) {
    let Some(t) = &def.type_name else { return };
    let name = schema::type_name(t);
    let mods = schema::typmods(t);
    let col = names::ident(&def.colname);
    let loc = def.location;
    if matches!(
        name.as_str(),
        "int4" | "int2" | "serial" | "serial4" | "smallserial" | "serial2"
    ) {
        cx.push(
            out,
            &PREFER_BIGINT,
            loc,
            format!(
                "column {col} is {}: {}",
                type_display(t),
                if matches!(name.as_str(), "int2" | "smallserial" | "serial2") {
                    "16-bit values run out at 32,767"
                } else {
                    "32-bit values run out at 2,147,483,647"
                }
            ),
            None,
        );
    }
    if matches!(
        name.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    ) {
        cx.push(
            out,
            &PREFER_IDENTITY,
            loc,
            format!("column {col} is {name}"),
            Some(format!("{col} bigint GENERATED ALWAYS AS IDENTITY")),
        );
    }
    match name.as_str() {
        "varchar" if !mods.is_empty() => cx.push(
            out,
            &PREFER_TEXT,
            loc,
            format!("column {col} is {}", type_display(t)),
            None,
        ),
        "timestamp" => cx.push(
            out,
            &PREFER_TIMESTAMPTZ,
            loc,
            format!("column {col} is timestamp without time zone"),
            Some(format!("{col} timestamptz")),
        ),
        "json" => cx.push(
            out,
            &PREFER_JSONB,
            loc,
            format!("column {col} is json"),
            Some(format!("{col} jsonb")),
        ),
        "bpchar" => cx.push(
            out,
            &BAN_CHAR,
            loc,
            format!("column {col} is {}", type_display(t)),
            Some(format!("{col} text")),
        ),
        _ => {}
    }
}

/// `identifier-too-long`: the parser truncates long names itself, so the tokens of
/// the statement's text are measured, in statements that define, rename, alter, drop
/// or otherwise name objects.
pub fn identifiers(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let defines = matches!(
        cx.node(),
        NodeEnum::CreateStmt(_)
            | NodeEnum::IndexStmt(_)
            | NodeEnum::ViewStmt(_)
            | NodeEnum::CreateSeqStmt(_)
            | NodeEnum::CreateFunctionStmt(_)
            | NodeEnum::CreateTrigStmt(_)
            | NodeEnum::RenameStmt(_)
            | NodeEnum::AlterTableStmt(_)
            | NodeEnum::CreateTableAsStmt(_)
            | NodeEnum::CreateEnumStmt(_)
            | NodeEnum::CompositeTypeStmt(_)
            | NodeEnum::CreateSchemaStmt(_)
            | NodeEnum::CreatePolicyStmt(_)
            | NodeEnum::CreateDomainStmt(_)
            | NodeEnum::CreateExtensionStmt(_)
            // Names that refer to objects: truncated too, so the statement can act on
            // a different object than the one written.
            | NodeEnum::DropStmt(_)
            | NodeEnum::AlterObjectSchemaStmt(_)
            | NodeEnum::AlterOwnerStmt(_)
            | NodeEnum::AlterSeqStmt(_)
            | NodeEnum::AlterEnumStmt(_)
            | NodeEnum::AlterDomainStmt(_)
            | NodeEnum::AlterFunctionStmt(_)
            | NodeEnum::CommentStmt(_)
            | NodeEnum::GrantStmt(_)
    );
    if !defines {
        return;
    }
    let sql = cx.parsed.substituted_text(cx.stmt);
    let Ok(scan) = pg_query::scan(sql) else {
        return;
    };
    let mut seen = Vec::new();
    for tok in scan
        .tokens
        .iter()
        .filter(|t| t.token == pg_query::protobuf::Token::Ident as i32)
    {
        let (Ok(a), Ok(b)) = (usize::try_from(tok.start), usize::try_from(tok.end)) else {
            continue;
        };
        let Some(raw) = sql.get(a..b) else { continue };
        let name = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            Some(quoted) => quoted.replace("\"\"", "\""),
            None => raw.to_lowercase(),
        };
        if name.len() > 63 && !seen.contains(&name) {
            let offset = cx.parsed.statement_offset(cx.stmt) as i32 + a as i32;
            let (line, col) = cx.parsed.location(cx.stmt, offset);
            let mut f = cx.finding(
                &IDENTIFIER_TOO_LONG,
                -1,
                format!(
                    "`{name}` is {} bytes; PostgreSQL silently truncates it to 63 (`{}`)",
                    name.len(),
                    truncate_bytes(&name, 63)
                ),
            );
            f.line = line;
            f.column = col;
            out.push(f);
            seen.push(name);
        }
    }
}
