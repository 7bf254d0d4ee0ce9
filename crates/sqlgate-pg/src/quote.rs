//! Quoting for SQL that sqlgate builds itself (names of databases, roles, tables):
//! always quoted, so no name can carry SQL.

/// `"name"`, with `"` doubled.
pub fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// `'text'`, with `'` doubled (for `standard_conforming_strings = on`, the default).
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn quotes_cannot_be_closed_by_the_data() {
        assert_eq!(super::ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(super::literal("it's"), "'it''s'");
    }
}
