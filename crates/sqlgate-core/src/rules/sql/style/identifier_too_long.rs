//! `identifier-too-long`: An identifier longer than 63 bytes.

use super::prelude::*;
use super::CATEGORY;

pub static IDENTIFIER_TOO_LONG: Rule = Rule {
    id: "identifier-too-long",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "An identifier longer than 63 bytes.",
    why: "PostgreSQL silently truncates it to 63 bytes: two long names can collide, and code using the full name does not find the object.",
    fix: "Shorten the name to at most 63 bytes.",
    bad: "CREATE INDEX index_on_customer_orders_by_customer_id_and_created_at_and_status_desc ON customer_orders (customer_id, created_at, status DESC);",
    good: "CREATE INDEX customer_orders_customer_created_status_idx ON customer_orders (customer_id, created_at, status DESC);",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

/// `identifier-too-long`: the parser truncates long names itself, so the tokens of
/// the statement's text are measured, in statements that define, rename, alter, drop
/// or otherwise name objects.
pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
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
                    crate::sql::ast::truncate_bytes(&name, 63)
                ),
            );
            f.line = line;
            f.column = col;
            out.push(f);
            seen.push(name);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair("identifier-too-long", &[], "create table abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij (id int);", "create table abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefgh (id int);");
        pair("identifier-too-long", &[], "drop index if exists index_on_customer_orders_by_customer_id_and_created_at_and_status_desc;", "drop index if exists customer_orders_idx;");
    }
}
