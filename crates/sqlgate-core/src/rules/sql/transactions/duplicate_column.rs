//! `duplicate-column`: The same column assigned or declared twice: UPDATE … SET a = …, a = …, INSERT INTO t (a, a), ON CONFLICT … DO UPDATE SET a twice, CREATE TABLE (a …, a …), a view or CREATE TABLE … AS with two output columns of one name.

use super::prelude::*;
use super::CATEGORY;

pub static DUPLICATE_COLUMN: Rule = Rule {
    id: "duplicate-column",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "The same column assigned or declared twice: UPDATE … SET a = …, a = …, INSERT INTO t (a, a), ON CONFLICT … DO UPDATE SET a twice, CREATE TABLE (a …, a …), a view or CREATE TABLE … AS with two output columns of one name.",
    why: "It parses, so nothing catches it before PostgreSQL rejects it on deploy (\"multiple assignments to same column\", \"column specified more than once\").",
    fix: "Keep one assignment or declaration per column; give output columns distinct names (`AS …`).",
    bad: "UPDATE accounts SET plan = 'free', plan = 'pro' WHERE id = 1;",
    good: "UPDATE accounts SET plan = 'pro' WHERE id = 1;",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};

/// `duplicate-column`: names assigned or declared twice in one statement.
pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for (what, list) in name_lists(cx.node()) {
        let mut seen: Vec<&str> = Vec::new();
        for (name, loc) in list.iter().filter(|(n, _)| !n.is_empty()) {
            if seen.contains(&name.as_str()) {
                cx.push(
                    out,
                    &DUPLICATE_COLUMN,
                    *loc,
                    format!(
                        "{what} names column {} twice: PostgreSQL rejects the statement on deploy",
                        names::ident(name)
                    ),
                    None,
                );
                break;
            }
            seen.push(name);
        }
    }
}

/// The columns a list assigns. `SET a[1] = …, a[2] = …` (or `a.x`, `a.y`) assigns
/// parts of one column: allowed; the whole column and a part of it is not.
fn assigned(targets: &[Node]) -> Vec<(String, i32)> {
    let targets: Vec<&pg_query::protobuf::ResTarget> = nodes(targets)
        .filter_map(|n| match n {
            NodeEnum::ResTarget(r) => Some(r.as_ref()),
            _ => None,
        })
        .collect();
    let whole: Vec<(String, i32)> = targets
        .iter()
        .filter(|r| r.indirection.is_empty())
        .map(|r| (r.name.clone(), r.location))
        .collect();
    let mut out = whole.clone();
    out.extend(
        targets
            .iter()
            .filter(|r| !r.indirection.is_empty() && whole.iter().any(|(w, _)| *w == r.name))
            .map(|r| (r.name.clone(), r.location)),
    );
    out
}

/// The columns a table definition declares.
fn declared(elts: &[Node]) -> Vec<(String, i32)> {
    nodes(elts)
        .filter_map(|e| match e {
            NodeEnum::ColumnDef(d) => Some((d.colname.clone(), d.location)),
            _ => None,
        })
        .collect()
}

/// The output column names of the query a statement stores (a view, `CREATE … AS`,
/// `SELECT … INTO`) when they name no columns themselves.
fn stored_query(node: &NodeEnum) -> Option<(&'static str, Vec<(String, i32)>)> {
    let select = |q: &Option<Box<Node>>| match q.as_ref().and_then(|q| q.node.as_ref()) {
        Some(NodeEnum::SelectStmt(q)) => output_names(q),
        _ => None,
    };
    match node {
        NodeEnum::ViewStmt(v) if v.aliases.is_empty() => {
            Some(("this view's query", select(&v.query)?))
        }
        NodeEnum::CreateTableAsStmt(c)
            if c.into.as_ref().is_some_and(|i| i.col_names.is_empty()) =>
        {
            Some(("this CREATE … AS query", select(&c.query)?))
        }
        NodeEnum::SelectStmt(q)
            if q.into_clause
                .as_ref()
                .is_some_and(|i| i.col_names.is_empty()) =>
        {
            Some(("this SELECT … INTO", output_names(q)?))
        }
        _ => None,
    }
}

/// Every list of column names a statement gives, with what to call it.
fn name_lists(node: &NodeEnum) -> Vec<(&'static str, Vec<(String, i32)>)> {
    match node {
        NodeEnum::UpdateStmt(u) => vec![("this UPDATE's SET", assigned(&u.target_list))],
        NodeEnum::InsertStmt(i) => {
            let mut lists = vec![("this INSERT's column list", assigned(&i.cols))];
            if let Some(c) = &i.on_conflict_clause {
                lists.push(("this ON CONFLICT … DO UPDATE SET", assigned(&c.target_list)));
            }
            lists
        }
        NodeEnum::MergeStmt(m) => nodes(&m.merge_when_clauses)
            .filter_map(|w| match w {
                NodeEnum::MergeWhenClause(w) => {
                    Some(("this MERGE's column list", assigned(&w.target_list)))
                }
                _ => None,
            })
            .collect(),
        NodeEnum::CreateForeignTableStmt(f) => f
            .base_stmt
            .iter()
            .map(|c| ("this CREATE FOREIGN TABLE", declared(&c.table_elts)))
            .collect(),
        NodeEnum::ViewStmt(v) if !v.aliases.is_empty() => vec![(
            "this view's column list",
            nodes(&v.aliases)
                .filter_map(|a| match a {
                    NodeEnum::String(s) => Some((s.sval.clone(), -1)),
                    _ => None,
                })
                .collect(),
        )],
        NodeEnum::CreateStmt(c) => vec![("this CREATE TABLE", declared(&c.table_elts))],
        node => stored_query(node).into_iter().collect(),
    }
}

/// The output column names of a query as PostgreSQL names them (FigureColname);
/// `None` when a `*` makes them unknowable.
fn output_names(q: &pg_query::protobuf::SelectStmt) -> Option<Vec<(String, i32)>> {
    if let Some(l) = &q.larg {
        return output_names(l);
    }
    let mut out = Vec::new();
    for t in nodes(&q.target_list) {
        let NodeEnum::ResTarget(r) = t else { continue };
        let name = if r.name.is_empty() {
            figure_name(r.val.as_ref().and_then(|v| v.node.as_ref()))?
        } else {
            r.name.clone()
        };
        out.push((name, r.location));
    }
    Some(out)
}

fn figure_name(node: Option<&NodeEnum>) -> Option<String> {
    Some(match node {
        Some(NodeEnum::ColumnRef(c)) => match nodes(&c.fields).last() {
            Some(NodeEnum::AStar(_)) => return None,
            Some(NodeEnum::String(s)) => s.sval.clone(),
            _ => "?column?".into(),
        },
        Some(NodeEnum::FuncCall(f)) => names::strings(&f.funcname)
            .pop()
            .unwrap_or_else(|| "?column?".into()),
        Some(NodeEnum::TypeCast(t)) => {
            match figure_name(t.arg.as_ref().and_then(|a| a.node.as_ref()))? {
                n if n == "?column?" => t
                    .type_name
                    .as_ref()
                    .and_then(|ty| names::strings(&ty.names).pop())
                    .unwrap_or(n),
                n => n,
            }
        }
        // `(q.h).id` is named `id`; `(x).*` cannot be known; `a[1]` is `a`.
        Some(NodeEnum::AIndirection(i)) => match nodes(&i.indirection).last() {
            Some(NodeEnum::String(s)) => s.sval.clone(),
            Some(NodeEnum::AStar(_)) => return None,
            _ => figure_name(i.arg.as_ref().and_then(|a| a.node.as_ref()))?,
        },
        Some(NodeEnum::CaseExpr(_)) => "case".into(),
        Some(NodeEnum::CoalesceExpr(_)) => "coalesce".into(),
        Some(NodeEnum::AArrayExpr(_)) => "array".into(),
        Some(NodeEnum::RowExpr(_)) => "row".into(),
        Some(NodeEnum::MinMaxExpr(m)) => if m.op == pg_query::protobuf::MinMaxOp::IsGreatest as i32
        {
            "greatest"
        } else {
            "least"
        }
        .into(),
        Some(NodeEnum::SubLink(l)) => {
            match pg_query::protobuf::SubLinkType::try_from(l.sub_link_type) {
                Ok(pg_query::protobuf::SubLinkType::ExistsSublink) => "exists".into(),
                Ok(pg_query::protobuf::SubLinkType::ArraySublink) => "array".into(),
                Ok(pg_query::protobuf::SubLinkType::ExprSublink) => {
                    match l.subselect.as_ref().and_then(|s| s.node.as_ref()) {
                        Some(NodeEnum::SelectStmt(q)) => output_names(q)?
                            .into_iter()
                            .next()
                            .map(|(n, _)| n)
                            .unwrap_or_else(|| "?column?".into()),
                        _ => "?column?".into(),
                    }
                }
                _ => "?column?".into(),
            }
        }
        Some(
            NodeEnum::AConst(_)
            | NodeEnum::AExpr(_)
            | NodeEnum::BoolExpr(_)
            | NodeEnum::NullTest(_)
            | NodeEnum::BooleanTest(_)
            | NodeEnum::ParamRef(_),
        ) => "?column?".into(),
        // Anything else: how PostgreSQL names it is not modelled, so no verdict.
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "duplicate-column",
            &[T],
            "update t set a = 1, a = 2 where id = 1;",
            "update t set a = 1, v = 'x' where id = 1;",
        );
        pair(
            "duplicate-column",
            &["create table k (id int, a int[])"],
            "insert into k (id, id) values (1, 2);",
            "update k set a[1] = 1, a[2] = 2 where id = 1;",
        );
        pair("duplicate-column", &[T], "insert into t (id, a) values (1, 2) on conflict (id) do update set a = 1, a = excluded.a;", "insert into t (id, a) values (1, 2) on conflict (id) do update set a = excluded.a;");
        pair(
            "duplicate-column",
            &[],
            "create table n (a int, b int, a text);",
            "create table n (a int, b int, c text);",
        );
        pair(
            "duplicate-column",
            &[T],
            "create view tv as select id, a as id from t;",
            "create view tv (x, y) as select id, id from t;",
        );
        pair(
            "duplicate-column",
            &[T],
            "create table z as select 1, 2;",
            "create table z as select 1 as x, 2 as y;",
        );
        pair(
            "duplicate-column",
            &[T],
            "select id, a as id into z from t;",
            "select id, a into z from t;",
        );
        pair(
            "duplicate-column",
            &["create table c (h t)"],
            "create table z as select (c.h).id, (c.h).id from c;",
            "create table z as select (c.h).id, (c.h).a from c;",
        );
        pair("duplicate-column", &[T], "merge into t using t s on t.id = s.id when not matched then insert (a, a) values (1, 2);", "merge into t using t s on t.id = s.id when not matched then insert (a, v) values (1, 'x');");
        pair(
            "duplicate-column",
            &[T],
            "merge into t using t s on t.id = s.id when matched then update set a = 1, a = 2;",
            "merge into t using t s on t.id = s.id when matched then update set a = 1, v = 'x';",
        );
        pair(
            "duplicate-column",
            &[],
            "create foreign table ft (a int, a text) server s;",
            "create foreign table ft (a int, b text) server s;",
        );
        pair(
            "duplicate-column",
            &[T],
            "create view dv (a, a) as select id, a from t;",
            "create view dv (a, b) as select id, a from t;",
        );
        pair(
            "duplicate-column",
            &[
                "create type pt as (x int, y int);",
                "create table k (a pt);",
            ],
            "update k set a = row(1, 2), a.x = 3;",
            "update k set a.x = 1, a.y = 2;",
        );
    }
}
