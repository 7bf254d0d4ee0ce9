//! SQL held in strings that a migration runs: the string of a PL/pgSQL `EXECUTE`,
//! and the query text given to functions that run it (`query_to_xml` and the like).
//! A string built only from literals (`'COP' || 'Y …'`) is folded into its value so
//! it is judged like any other statement; anything else cannot be read beforehand.
//! Also finds calls of named functions by the statement's tokens, which sees calls
//! wherever they are written (a `PREPARE`, a default, a `VALUES` list).

use pg_query::NodeEnum;

/// Functions that run SQL given to them as text.
pub const SQL_TEXT_FUNCTIONS: &[&str] = &[
    "query_to_xml",
    "query_to_xmlschema",
    "query_to_xml_and_xmlschema",
    "ts_stat",
];

/// The value of an expression made only of string literals joined by `||` (with
/// parentheses, casts to a text type and `concat(…)`); `None` for anything else.
pub fn fold(expr: &str) -> Option<String> {
    let tree = pg_query::parse(&format!("SELECT ({expr})"), 0).ok()?;
    let stmt = tree.protobuf.stmts.first()?.stmt.as_ref()?.node.as_ref()?;
    let NodeEnum::SelectStmt(s) = stmt else {
        return None;
    };
    if tree.protobuf.stmts.len() != 1 || s.target_list.len() != 1 {
        return None;
    }
    let target = s.target_list.first()?.node.as_ref()?;
    let NodeEnum::ResTarget(r) = target else {
        return None;
    };
    fold_node(r.val.as_ref()?.node.as_ref()?, 0)
}

fn fold_node(n: &NodeEnum, depth: usize) -> Option<String> {
    if depth > 100 {
        return None;
    }
    match n {
        NodeEnum::AConst(c) => match c.val.as_ref()? {
            pg_query::protobuf::a_const::Val::Sval(s) => Some(s.sval.clone()),
            _ => None,
        },
        NodeEnum::AExpr(e) => {
            let op = super::names::strings(&e.name);
            if op.len() != 1 || op[0] != "||" {
                return None;
            }
            let l = fold_node(e.lexpr.as_ref()?.node.as_ref()?, depth + 1)?;
            let r = fold_node(e.rexpr.as_ref()?.node.as_ref()?, depth + 1)?;
            Some(l + &r)
        }
        NodeEnum::TypeCast(c) => {
            let ty = c.type_name.as_ref()?;
            let name = super::names::strings(&ty.names).last()?.to_lowercase();
            matches!(name.as_str(), "text" | "varchar" | "bpchar" | "name")
                .then(|| fold_node(c.arg.as_ref()?.node.as_ref()?, depth + 1))?
        }
        NodeEnum::FuncCall(f) => {
            let name = super::names::strings(&f.funcname).last()?.to_lowercase();
            if name != "concat" {
                return None;
            }
            let mut out = String::new();
            for a in &f.args {
                out.push_str(&fold_node(a.node.as_ref()?, depth + 1)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// A call of one of `names` in `sql` (lower-case; `schema.name(` counts by its last
/// part, quoted names as written): the function's name and the byte range of its
/// argument list's text (without the parentheses).
pub fn calls(sql: &str, names: &[&str]) -> Vec<(String, std::ops::Range<usize>)> {
    let Ok(tokens) = pg_query::scan_tokens(sql) else {
        return Vec::new();
    };
    let text = |t: &pg_query::protobuf::ScanToken| {
        sql.get(t.start.max(0) as usize..t.end.max(0) as usize)
            .unwrap_or("")
    };
    let mut out = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let word = text(t);
        let name = if let Some(q) = word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
            q.replace("\"\"", "\"")
        } else {
            word.to_ascii_lowercase()
        };
        if !names.contains(&name.as_str()) {
            continue;
        }
        let Some(open) = tokens.get(i + 1).filter(|n| text(n) == "(") else {
            continue;
        };
        let mut depth = 0usize;
        let mut end = sql.len();
        for n in &tokens[i + 1..] {
            match text(n) {
                "(" | "[" => depth += 1,
                ")" | "]" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = n.start.max(0) as usize;
                        break;
                    }
                }
                _ => {}
            }
        }
        let start = open.end.max(0) as usize;
        out.push((name, start..end.max(start)));
    }
    out
}

/// The first argument of an argument list's text (up to the first comma outside
/// parentheses and strings).
pub fn first_argument(args: &str) -> &str {
    let Ok(tokens) = pg_query::scan_tokens(args) else {
        return args;
    };
    let mut depth = 0usize;
    for t in &tokens {
        let s = t.start.max(0) as usize;
        match args.get(s..t.end.max(0) as usize).unwrap_or("") {
            "(" | "[" => depth += 1,
            ")" | "]" => depth = depth.saturating_sub(1),
            "," if depth == 0 => return &args[..s],
            _ => {}
        }
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_fold_and_anything_else_does_not() {
        assert_eq!(
            fold("'COP' || 'Y (SELECT 1) TO PROG' || 'RAM ''id'''").as_deref(),
            Some("COPY (SELECT 1) TO PROGRAM 'id'")
        );
        assert_eq!(
            fold("$x$DROP $x$ || ('TABLE'::text || ' t')").as_deref(),
            Some("DROP TABLE t")
        );
        assert_eq!(fold("concat('a', 'b')").as_deref(), Some("ab"));
        assert_eq!(fold("E'it\\'s'").as_deref(), Some("it's"));
        assert_eq!(fold("'DROP TABLE ' || t"), None);
        assert_eq!(fold("format('DROP TABLE %I', t)"), None);
        assert_eq!(fold("1"), None);
        assert_eq!(fold("'a'); DROP TABLE t; SELECT ('b'"), None);
    }

    #[test]
    fn calls_are_found_wherever_they_are_written() {
        let sql = "SELECT x FROM t WHERE y = query_to_xml('SELECT lo_import(''/etc/passwd'')', true, false, '')";
        let found = calls(sql, SQL_TEXT_FUNCTIONS);
        assert_eq!(found.len(), 1);
        let (name, range) = &found[0];
        assert_eq!(name, "query_to_xml");
        assert_eq!(
            fold(first_argument(&sql[range.clone()])).as_deref(),
            Some("SELECT lo_import('/etc/passwd')")
        );
        let prep = "PREPARE p AS SELECT pg_catalog.pg_read_file('/etc/hostname')";
        assert_eq!(calls(prep, &["pg_read_file"]).len(), 1);
        // A string that only mentions the name is not a call.
        assert!(calls("SELECT 'pg_read_file(x)'", &["pg_read_file"]).is_empty());
        assert!(calls("SELECT pg_read_file_size", &["pg_read_file"]).is_empty());
    }
}
