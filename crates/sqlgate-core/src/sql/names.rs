//! Object names as PostgreSQL folds them. The parser already lower-cases unquoted
//! identifiers; here names become one comparable key (`public` is the default schema).

use pg_query::protobuf::{Node, RangeVar};
use pg_query::NodeEnum;

/// The key of a relation: `table` for the `public` schema or none, else `schema.table`.
pub fn key(schema: &str, name: &str) -> String {
    if schema.is_empty() || schema == "public" {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// The key of a `RangeVar`.
pub fn range_var(rv: &RangeVar) -> String {
    key(&rv.schemaname, &rv.relname)
}

/// The strings of a name list (`schema.object` as `[schema, object]`).
pub fn strings(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| match &n.node {
            Some(NodeEnum::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect()
}

/// The key of a qualified name list, e.g. from `DROP TABLE a.b`.
pub fn list_key(nodes: &[Node]) -> String {
    let parts = strings(nodes);
    match parts.as_slice() {
        [name] => key("", name),
        [schema, name] => key(schema, name),
        [.., schema, name] => key(schema, name),
        [] => String::new(),
    }
}

/// Shows a key the way a user writes it (quoted when needed).
pub fn show(key: &str) -> String {
    key.split('.').map(ident).collect::<Vec<_>>().join(".")
}

/// Quotes an identifier when PostgreSQL would need quotes.
pub fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_quoting() {
        assert_eq!(key("public", "users"), "users");
        assert_eq!(key("", "users"), "users");
        assert_eq!(key("app", "users"), "app.users");
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(show("app.Order Items"), "app.\"Order Items\"");
    }
}
