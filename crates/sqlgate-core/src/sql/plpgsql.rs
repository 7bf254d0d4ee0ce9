//! The SQL inside PL/pgSQL code that a migration runs: a `DO` block's body (and the
//! body of a function the same migration creates and then calls), read with
//! PostgreSQL's own PL/pgSQL parser (`pg_query::parse_plpgsql`). Static statements
//! come back parsed, at their line in the file, for the rules to judge like top-level
//! ones. An `EXECUTE` of a string built only from literals is read like a static
//! statement (`dynamic::fold`); other `EXECUTE` strings cannot be read and are listed
//! by line.

use super::parse::{parse, Parsed};
use std::collections::BTreeMap;

/// What a PL/pgSQL body runs.
#[derive(Debug, Default)]
pub struct Body {
    /// Each static SQL statement, parsed on its own (lines are the file's).
    pub statements: Vec<Parsed>,
    /// File lines of `EXECUTE` statements (SQL built at run time: not checked).
    pub dynamic: Vec<u32>,
}

/// Reads the PL/pgSQL body of `code` (a whole `DO …` or `CREATE FUNCTION …` statement,
/// placeholders already substituted) that starts at file line `line`. `Err`: the
/// parser's message when the body cannot be read.
pub fn body(code: &str, line: u32) -> Result<Body, crate::Invalid> {
    let tree = pg_query::parse_plpgsql(code).map_err(|e| crate::Invalid::Body(e.to_string()))?;
    // Line 1 of the body is the line where its quote opens.
    let quote = code.find(['$', '\'']).unwrap_or(0);
    let body_line = line + code[..quote].matches('\n').count() as u32;
    let mut out = Body::default();
    let mut found = Vec::new();
    walk(&tree, &mut found, 0);
    let none = BTreeMap::new();
    // The parser hands back each statement's exact text, in order: found in the code,
    // it has its exact line and column.
    let mut cursor = quote;
    for (kind, lineno, query) in found {
        let at = body_line + lineno.saturating_sub(1);
        if kind == Kind::Dynamic {
            let folded = super::dynamic::fold(&query).or_else(|| {
                let q = query.trim_start();
                q.get(..7)
                    .filter(|p| p.eq_ignore_ascii_case("select "))
                    .and_then(|_| super::dynamic::fold(&q[7..]))
            });
            match folded {
                // A string of literals: the SQL it runs is known, and judged.
                Some(sql) => out.statements.push(parse(&sql, &none, at)),
                None => out.dynamic.push(at),
            }
            continue;
        }
        match code
            .get(cursor..)
            .and_then(|rest| rest.find(query.as_str()))
        {
            Some(i) => {
                let start = cursor + i;
                cursor = start + query.len();
                let line_start = code[..start].rfind('\n').map_or(0, |n| n + 1);
                let column = code[line_start..start].chars().count();
                let first = line + code[..start].matches('\n').count() as u32;
                let padded = format!("{}{query}", " ".repeat(column));
                out.statements.push(parse(&padded, &none, first));
            }
            None => out.statements.push(parse(&query, &none, at)),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Static,
    Dynamic,
}

/// Deeper than this, the rest of a body is not looked at (the parser's own output
/// never nests this deep for real code).
const MAX_DEPTH: usize = 200;

fn walk(v: &serde_json::Value, out: &mut Vec<(Kind, u32, String)>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        serde_json::Value::Array(items) => {
            for item in items {
                walk(item, out, depth + 1);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let lineno = || {
                    value
                        .get("lineno")
                        .and_then(|l| l.as_u64())
                        .unwrap_or(1)
                        .min(u32::MAX as u64) as u32
                };
                let query = |field: &str| {
                    value
                        .get(field)
                        .and_then(|e| e.get("PLpgSQL_expr"))
                        .and_then(|e| e.get("query"))
                        .and_then(|q| q.as_str())
                        .map(str::to_string)
                };
                match key.as_str() {
                    "PLpgSQL_stmt_execsql" => {
                        if let Some(q) = query("sqlstmt") {
                            out.push((Kind::Static, lineno(), q));
                        }
                    }
                    "PLpgSQL_stmt_dynexecute" | "PLpgSQL_stmt_dynfors" => {
                        out.push((Kind::Dynamic, lineno(), query("query").unwrap_or_default()));
                    }
                    _ => {}
                }
                walk(value, out, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_statements_at_their_lines_and_dynamic_ones_listed() {
        let code = "DO $$\nBEGIN\n  ALTER TABLE t ADD COLUMN x int;\n  IF true THEN\n    CREATE INDEX i ON t (x);\n  END IF;\n  EXECUTE 'DROP TABLE ' || 'u';\nEND $$;";
        let b = body(code, 10).unwrap();
        let at: Vec<(u32, u32)> = b
            .statements
            .iter()
            .map(|p| (p.statements[0].line, p.statements[0].column))
            .collect();
        assert_eq!(at, [(12, 3), (14, 5), (16, 1)]);
        assert_eq!(b.dynamic, Vec::<u32>::new(), "a string of literals is read");
        assert_eq!(b.statements.len(), 3);
        let dynamic = body(
            "DO $$\nBEGIN\n  EXECUTE 'DROP TABLE ' || quote_ident(t);\nEND $$;",
            1,
        )
        .unwrap();
        assert_eq!(dynamic.dynamic, [3]);
        assert!(body("DO $$ BEGIN x y z; END $$;", 1).is_err());
    }
}
