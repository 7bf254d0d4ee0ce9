//! Which PL/pgSQL code a statement runs: a `DO` block's body, or the body of a
//! PL/pgSQL function the same migration created (`CREATE FUNCTION … LANGUAGE
//! plpgsql`) and now calls (`SELECT f()`, `CALL p()`, `PERFORM` is PL/pgSQL's own).

use crate::sql::ast::language;
use crate::sql::{names, Parsed, Statement};
use pg_query::{NodeEnum, NodeRef};
use std::collections::BTreeMap;

/// The PL/pgSQL code `stmt` runs (whole statements, and their first file line);
/// remembers the PL/pgSQL functions it creates in `functions`.
pub fn run_here(
    stmt: &Statement,
    parsed: &Parsed,
    functions: &mut BTreeMap<String, (String, u32)>,
) -> Vec<(String, u32)> {
    match &stmt.node {
        NodeEnum::DoStmt(d) if language(&d.args).is_none_or(|l| l == "plpgsql") => {
            vec![(parsed.substituted_text(stmt).to_string(), stmt.line)]
        }
        NodeEnum::CreateFunctionStmt(f) => {
            if language(&f.options).as_deref() == Some("plpgsql") {
                let name = names::strings(&f.funcname).join(".").to_lowercase();
                functions.insert(name, (parsed.substituted_text(stmt).to_string(), stmt.line));
            }
            Vec::new()
        }
        _ if functions.is_empty() => Vec::new(),
        node => {
            let mut out = Vec::new();
            for (n, ..) in node.nodes() {
                let called = match n {
                    NodeRef::FuncCall(c) => names::strings(&c.funcname),
                    _ => continue,
                };
                let name = called.join(".").to_lowercase();
                // `f()` may name `public.f` and the other way round: the last part.
                let found = functions.get(&name).or_else(|| {
                    let last = called.last()?.to_lowercase();
                    functions
                        .iter()
                        .find(|(k, _)| k.rsplit('.').next() == Some(last.as_str()))
                        .map(|(_, v)| v)
                });
                // Judged where it runs (at the call), shown where it is written.
                if let Some((code, line)) = found {
                    if !out.iter().any(|(c, _)| c == code) {
                        out.push((code.clone(), *line));
                    }
                }
            }
            out
        }
    }
}
