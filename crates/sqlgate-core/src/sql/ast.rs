//! Small helpers over PostgreSQL's parse tree (pg_query's protobuf nodes): lists of
//! nodes, `DefElem` options, column constraints and defaults, type names, deparsing.

use super::schema;
use pg_query::protobuf::{a_const, ColumnDef, ConstrType, Constraint, DefElem, Node, TypeName};
use pg_query::NodeEnum;

/// The nodes of a list, skipping empty entries.
pub fn nodes(list: &[Node]) -> impl Iterator<Item = &NodeEnum> {
    list.iter().filter_map(|n| n.node.as_ref())
}

/// The `DefElem` options of a list.
pub fn def_elems(list: &[Node]) -> impl Iterator<Item = &DefElem> {
    nodes(list).filter_map(|n| match n {
        NodeEnum::DefElem(d) => Some(d.as_ref()),
        _ => None,
    })
}

/// A `DefElem`'s string argument.
pub fn string_arg(d: &DefElem) -> Option<&str> {
    match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(a_const::Val::Sval(s)) => Some(s.sval.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// The `LANGUAGE` a `DO` block's arguments or a `CREATE FUNCTION`'s options name,
/// lower-case; `None` when they name none (`DO`: plpgsql; a function: SQL).
pub fn language(options: &[Node]) -> Option<String> {
    def_elems(options)
        .find(|d| d.defname == "language")
        .and_then(string_arg)
        .map(str::to_ascii_lowercase)
}

/// A `DefElem`'s boolean argument (a bare option counts as true).
pub fn bool_arg(d: &DefElem) -> bool {
    match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::Boolean(b)) => b.boolval,
        Some(NodeEnum::Integer(i)) => i.ival != 0,
        Some(NodeEnum::String(s)) => matches!(s.sval.as_str(), "true" | "on" | "1"),
        None => true,
        _ => false,
    }
}

/// True for a `NULL` constant (also cast: `NULL::int`).
pub fn is_null_const(node: Option<&NodeEnum>) -> bool {
    match node {
        Some(NodeEnum::AConst(c)) => c.isnull,
        Some(NodeEnum::TypeCast(t)) => is_null_const(t.arg.as_ref().and_then(|a| a.node.as_ref())),
        _ => false,
    }
}

/// The constraints of a column definition.
pub fn constraints(def: &ColumnDef) -> impl Iterator<Item = &Constraint> {
    nodes(&def.constraints).filter_map(|n| match n {
        NodeEnum::Constraint(c) => Some(c.as_ref()),
        _ => None,
    })
}

/// A constraint's type.
pub fn contype(c: &Constraint) -> ConstrType {
    ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined)
}

/// A column definition's default expression, however it was written.
pub fn column_default(def: &ColumnDef) -> Option<&NodeEnum> {
    def.raw_default
        .as_ref()
        .and_then(|d| d.node.as_ref())
        .or_else(|| {
            constraints(def)
                .find(|c| contype(c) == ConstrType::ConstrDefault)
                .and_then(|c| c.raw_expr.as_ref())
                .and_then(|e| e.node.as_ref())
        })
}

/// A type as written for people: `varchar(50)`, `numeric(10,2)`.
pub fn type_display(t: &TypeName) -> String {
    let name = schema::type_name(t);
    let mods = schema::typmods(t);
    if mods.is_empty() {
        name
    } else {
        format!(
            "{name}({})",
            mods.iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",")
        )
    }
}

/// A statement back as SQL.
pub fn deparse(node: NodeEnum) -> Option<String> {
    node.deparse(Default::default()).ok()
}

/// An expression back as SQL.
pub fn deparse_expr(expr: &NodeEnum) -> Option<String> {
    // Put the expression into a parsed `SELECT 1` (so every enum field is valid for
    // the C deparser) and strip the SELECT.
    let mut parsed = pg_query::parse("SELECT 1", 0).ok()?;
    let raw = parsed.protobuf.stmts.first_mut()?;
    let Some(NodeEnum::SelectStmt(select)) = raw.stmt.as_mut()?.node.as_mut() else {
        return None;
    };
    let Some(NodeEnum::ResTarget(target)) = select.target_list.first_mut()?.node.as_mut() else {
        return None;
    };
    target.val = Some(Box::new(Node {
        node: Some(expr.clone()),
    }));
    let sql = parsed.deparse(Default::default()).ok()?;
    Some(sql.trim_start_matches("SELECT ").to_string())
}

/// At most `max` bytes of `s`, cut at a character boundary.
pub fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut cut = max.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// The string values of a `DefElem` whose argument is a string or a list of them
/// (a function's `AS 'body'` or `AS 'obj_file', 'link_symbol'`).
pub fn strings_of(d: &DefElem) -> Vec<String> {
    match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::String(s)) => vec![s.sval.clone()],
        Some(NodeEnum::List(l)) => nodes(&l.items)
            .filter_map(|n| match n {
                NodeEnum::String(s) => Some(s.sval.clone()),
                _ => None,
            })
            .collect(),
        _ => string_arg(d).map(str::to_string).into_iter().collect(),
    }
}
