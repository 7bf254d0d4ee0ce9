//! SQL validity and transactions: what fails on deploy because of the transaction the
//! runner wraps a migration in (or does not), and what cannot be parsed.

use super::{alter_table, Ctx, MigrationState};
use crate::model::{Finding, Rule, Severity};
use crate::sql::ast::{bool_arg, def_elems, nodes};
use crate::sql::names;
use pg_query::protobuf::{AlterTableType, ObjectType, TransactionStmtKind};
use pg_query::NodeEnum;

const CATEGORY: &str = "SQL validity and transactions";

pub static SYNTAX_ERROR: Rule = Rule {
    id: "syntax-error",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "PostgreSQL's parser rejects the migration.",
    why: "The migration fails on deploy, after the migrations before it were applied.",
    fix:
        "Fix the SQL at the reported position. Placeholders must be defined (`[vars]` or `--var`).",
    bad: "CREATE TABEL users (id bigint);",
    good: "CREATE TABLE users (id bigint);",
};

pub static UNDEFINED_PLACEHOLDER: Rule = Rule {
    id: "undefined-placeholder",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A `${NAME}` or `{{ … }}` template placeholder that no `--var` or `[vars]` defines.",
    why: "The runner that renders the template fills it in; without a value sqlgate cannot read the statement, and `apply` would send the braces to PostgreSQL.",
    fix: "Define it: `--var 'NAME=value'`, or `[vars]` in sqlgate.toml. A `{{ … }}` placeholder is named by the text between the braces, trimmed: `{{ index .Options \"Namespace\" }}` is `--var 'index .Options \"Namespace\"=auth'`.",
    bad: "CREATE TABLE {{ .Schema }}.users (id bigint);  -- nothing defines `.Schema`",
    good: "CREATE TABLE {{ .Schema }}.users (id bigint);  -- with [vars] \".Schema\" = \"auth\"",
};

pub static UNCHECKED_DYNAMIC_SQL: Rule = Rule {
    id: "unchecked-dynamic-sql",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A `DO` block or a function the migration calls runs `EXECUTE` with SQL built at run time, or a function such as `query_to_xml` runs SQL given as a computed string; it was not checked.",
    why: "sqlgate judges the static SQL inside PL/pgSQL like top-level statements, and an `EXECUTE` of literal strings (`'DROP ' || 'TABLE t'`) like any statement, but a string built while the block runs cannot be read beforehand: its locks, rewrites and reach are unknown. It is also how a hostile change hides SQL from review.",
    fix: "Review the generated statements by hand, or write them out as plain statements so sqlgate (and reviewers) can see them.",
    bad: "DO $$ BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN x int NOT NULL DEFAULT 0', t); END $$;",
    good: "ALTER TABLE orders ADD COLUMN x int NOT NULL DEFAULT 0;",
};

pub static UNANALYZABLE_STATEMENT: Rule = Rule {
    id: "unanalyzable-statement",
    severity: Severity::Info,
    on: true,
    category: CATEGORY,
    summary: "A statement is nested too deeply for sqlgate to analyse; it was not checked.",
    why: "PostgreSQL accepts it, but none of sqlgate's rules looked at it.",
    fix: "Review it by hand, or simplify it (fewer nested calls or UNIONs).",
    bad: "SELECT abs(abs(abs(… 200 levels …)));",
    good: "SELECT abs(x) FROM …;",
};

pub static TRANSACTION_CONTROL: Rule = Rule {
    id: "transaction-control",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "BEGIN/COMMIT/ROLLBACK/SAVEPOINT in a migration that the runner wraps in a transaction.",
    why: "A COMMIT inside the migration ends the runner's transaction early: the rest runs outside it, and a failure leaves the migration half-applied but unrecorded.",
    fix: "Remove the transaction statements: sqlgate runs each migration in its own transaction. If the migration must control transactions itself, mark it `-- sqlgate:no-transaction`.",
    bad: "BEGIN;\nCREATE TABLE products (id bigint);\nCOMMIT;",
    good: "CREATE TABLE products (id bigint);",
};

pub static CONCURRENTLY_IN_TRANSACTION: Rule = Rule {
    id: "concurrently-in-transaction",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY or DETACH PARTITION CONCURRENTLY in a transactional migration.",
    why: "PostgreSQL refuses these inside a transaction block: the deploy fails.",
    fix: "Put the statement alone in a migration whose first line is `-- sqlgate:no-transaction`.",
    bad: "CREATE INDEX CONCURRENTLY users_email_idx ON users (email);  -- in a normal migration",
    good: "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);",
};

pub static NON_TRANSACTIONAL_STATEMENT: Rule = Rule {
    id: "non-transactional-statement",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM, CREATE/DROP TABLESPACE, REINDEX DATABASE/SYSTEM in a transactional migration.",
    why: "PostgreSQL refuses these inside a transaction block: the deploy fails.",
    fix: "Move the statement to a migration marked `-- sqlgate:no-transaction`, or out of migrations (maintenance jobs).",
    bad: "VACUUM ANALYZE orders;",
    good: "-- sqlgate:no-transaction\nVACUUM ANALYZE orders;",
};

pub static MIXED_NO_TRANSACTION: Rule = Rule {
    id: "mixed-no-transaction",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A no-transaction migration has more than one statement, and one that cannot run twice comes before another.",
    why: "Without a transaction each statement commits on its own: a failure half-way leaves the migration partly applied, and the rerun stops at a statement that already ran (`CREATE INDEX … already exists`). Re-runnable statements (`IF NOT EXISTS`, `VALIDATE CONSTRAINT`, `SET NOT NULL`) and the recommended sequences (`ADD … NOT VALID` then `VALIDATE`; `CREATE INDEX CONCURRENTLY` then `ADD CONSTRAINT … USING INDEX`) are not reported.",
    fix: "One statement per no-transaction migration; make each one idempotent (`IF NOT EXISTS`).",
    bad: "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON t (a);\nCREATE INDEX CONCURRENTLY b_idx ON t (b);",
    good: "-- 010: sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a_idx ON t (a);\n-- 011: sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b_idx ON t (b);",
};

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
};

pub static UNUSED_IGNORE: Rule = Rule {
    id: "unused-ignore",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A `sqlgate:ignore` directive silences nothing (or names an unknown rule).",
    why: "Stale ignores hide the next real problem in that statement, and a misspelt rule id silences nothing at all.",
    fix: "Remove the directive, or fix the rule id (`sqlgate explain` lists them).",
    bad: "-- sqlgate:ignore drop-table -- cleanup\nALTER TABLE users ADD COLUMN bio text;",
    good: "ALTER TABLE users ADD COLUMN bio text;",
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    match cx.node() {
        NodeEnum::TransactionStmt(t) if !cx.m.no_transaction => {
            let kind =
                TransactionStmtKind::try_from(t.kind).unwrap_or(TransactionStmtKind::Undefined);
            let word = match kind {
                TransactionStmtKind::TransStmtBegin | TransactionStmtKind::TransStmtStart => {
                    "BEGIN"
                }
                TransactionStmtKind::TransStmtCommit => "COMMIT",
                TransactionStmtKind::TransStmtRollback => "ROLLBACK",
                TransactionStmtKind::TransStmtSavepoint => "SAVEPOINT",
                TransactionStmtKind::TransStmtRelease => "RELEASE SAVEPOINT",
                TransactionStmtKind::TransStmtRollbackTo => "ROLLBACK TO SAVEPOINT",
                _ => "a transaction command",
            };
            cx.push(
                out,
                &TRANSACTION_CONTROL,
                t.location,
                format!(
                    "{word} in `{}`, which the runner already wraps in a transaction",
                    cx.m.up.path
                ),
                None,
            );
        }
        NodeEnum::IndexStmt(s) if s.concurrent && cx.in_tx && s.relation.is_some() => {
            let table = s
                .relation
                .as_ref()
                .map(names::range_var)
                .unwrap_or_default();
            let name = if s.idxname.is_empty() {
                "an index".to_string()
            } else {
                names::ident(&s.idxname)
            };
            cx.push(
                out,
                &CONCURRENTLY_IN_TRANSACTION,
                -1,
                format!(
                    "CREATE INDEX CONCURRENTLY {name} on {} cannot run inside the migration's transaction",
                    names::show(&table)
                ),
                Some(cx.no_tx_fix(cx.text())),
            );
        }
        NodeEnum::DropStmt(s)
            if s.concurrent && cx.in_tx && s.remove_type == ObjectType::ObjectIndex as i32 =>
        {
            for o in crate::sql::ast::nodes(&s.objects) {
                let idx = match o {
                    NodeEnum::List(l) => names::list_key(&l.items),
                    NodeEnum::String(st) => st.sval.clone(),
                    _ => continue,
                };
                cx.push(
                    out,
                    &CONCURRENTLY_IN_TRANSACTION,
                    -1,
                    format!(
                        "DROP INDEX CONCURRENTLY {} cannot run inside the migration's transaction",
                        names::show(&idx)
                    ),
                    Some(cx.no_tx_fix(cx.text())),
                );
            }
        }
        NodeEnum::DropdbStmt(_) => non_transactional(cx, "DROP DATABASE", out),
        NodeEnum::CreatedbStmt(_) => non_transactional(cx, "CREATE DATABASE", out),
        NodeEnum::AlterSystemStmt(_) => non_transactional(cx, "ALTER SYSTEM", out),
        NodeEnum::CreateTableSpaceStmt(_) => non_transactional(cx, "CREATE TABLESPACE", out),
        NodeEnum::DropTableSpaceStmt(_) => non_transactional(cx, "DROP TABLESPACE", out),
        NodeEnum::VacuumStmt(v) if v.is_vacuumcmd => {
            let full = def_elems(&v.options).any(|d| d.defname == "full" && bool_arg(d));
            non_transactional(cx, if full { "VACUUM FULL" } else { "VACUUM" }, out);
        }
        NodeEnum::ReindexStmt(r) => {
            use pg_query::protobuf::ReindexObjectType as K;
            let kind = K::try_from(r.kind).unwrap_or(K::Undefined);
            if matches!(
                kind,
                K::ReindexObjectDatabase | K::ReindexObjectSystem | K::ReindexObjectSchema
            ) {
                non_transactional(cx, "REINDEX DATABASE/SCHEMA/SYSTEM", out);
            }
            let concurrent =
                def_elems(&r.params).any(|d| d.defname == "concurrently" && bool_arg(d));
            if concurrent && cx.in_tx {
                let target = r
                    .relation
                    .as_ref()
                    .map(names::range_var)
                    .unwrap_or_else(|| r.name.clone());
                cx.push(
                    out,
                    &CONCURRENTLY_IN_TRANSACTION,
                    -1,
                    format!(
                        "REINDEX … CONCURRENTLY of {} cannot run inside the migration's transaction",
                        names::show(&target)
                    ),
                    Some(cx.no_tx_fix(cx.text())),
                );
            }
        }
        node => {
            if let Some(a) = alter_table(node) {
                detach_concurrently(cx, &a, out);
            }
        }
    }
    finish(cx, state, out);
}

fn detach_concurrently(cx: &Ctx, a: &super::AlterTable, out: &mut Vec<Finding>) {
    if !cx.in_tx {
        return;
    }
    for (_, kind, def) in &a.cmds {
        if *kind != AlterTableType::AtDetachPartition {
            continue;
        }
        if let Some(NodeEnum::PartitionCmd(p)) = def {
            if p.concurrent {
                cx.push(
                    out,
                    &CONCURRENTLY_IN_TRANSACTION,
                    a.rv.location,
                    format!(
                        "DETACH PARTITION … CONCURRENTLY on {} cannot run inside the migration's transaction",
                        names::show(&a.table)
                    ),
                    Some(cx.no_tx_fix(cx.text())),
                );
            }
        }
    }
}

/// `duplicate-column`: names assigned or declared twice in one statement.
pub fn duplicates(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let assigned = |targets: &[pg_query::protobuf::Node]| -> Vec<(String, i32)> {
        let targets: Vec<&pg_query::protobuf::ResTarget> = nodes(targets)
            .filter_map(|n| match n {
                NodeEnum::ResTarget(r) => Some(r.as_ref()),
                _ => None,
            })
            .collect();
        // `SET a[1] = …, a[2] = …` (or `a.x`, `a.y`) assigns parts of one column:
        // allowed; the whole column and a part of it is not.
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
    };
    let mut report = |what: &str, list: Vec<(String, i32)>| {
        let mut seen: Vec<&str> = Vec::new();
        for (name, loc) in &list {
            if name.is_empty() {
                continue;
            }
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
                return;
            }
            seen.push(name);
        }
    };
    match cx.node() {
        NodeEnum::UpdateStmt(u) => report("this UPDATE's SET", assigned(&u.target_list)),
        NodeEnum::InsertStmt(i) => {
            report("this INSERT's column list", assigned(&i.cols));
            if let Some(c) = &i.on_conflict_clause {
                report("this ON CONFLICT … DO UPDATE SET", assigned(&c.target_list));
            }
        }
        NodeEnum::MergeStmt(m) => {
            for w in nodes(&m.merge_when_clauses) {
                let NodeEnum::MergeWhenClause(w) = w else {
                    continue;
                };
                report("this MERGE's column list", assigned(&w.target_list));
            }
        }
        NodeEnum::CreateForeignTableStmt(f) => {
            if let Some(c) = &f.base_stmt {
                report(
                    "this CREATE FOREIGN TABLE",
                    nodes(&c.table_elts)
                        .filter_map(|e| match e {
                            NodeEnum::ColumnDef(d) => Some((d.colname.clone(), d.location)),
                            _ => None,
                        })
                        .collect(),
                );
            }
        }
        NodeEnum::ViewStmt(v) if !v.aliases.is_empty() => report(
            "this view's column list",
            nodes(&v.aliases)
                .filter_map(|a| match a {
                    NodeEnum::String(s) => Some((s.sval.clone(), -1)),
                    _ => None,
                })
                .collect(),
        ),
        NodeEnum::CreateStmt(c) => report(
            "this CREATE TABLE",
            nodes(&c.table_elts)
                .filter_map(|e| match e {
                    NodeEnum::ColumnDef(d) => Some((d.colname.clone(), d.location)),
                    _ => None,
                })
                .collect(),
        ),
        NodeEnum::ViewStmt(v) if v.aliases.is_empty() => {
            if let Some(NodeEnum::SelectStmt(q)) = v.query.as_ref().and_then(|q| q.node.as_ref()) {
                if let Some(cols) = output_names(q) {
                    report("this view's query", cols);
                }
            }
        }
        NodeEnum::CreateTableAsStmt(c)
            if c.into.as_ref().is_some_and(|i| i.col_names.is_empty()) =>
        {
            if let Some(NodeEnum::SelectStmt(q)) = c.query.as_ref().and_then(|q| q.node.as_ref()) {
                if let Some(cols) = output_names(q) {
                    report("this CREATE … AS query", cols);
                }
            }
        }
        NodeEnum::SelectStmt(q)
            if q.into_clause
                .as_ref()
                .is_some_and(|i| i.col_names.is_empty()) =>
        {
            if let Some(cols) = output_names(q) {
                report("this SELECT … INTO", cols);
            }
        }
        _ => {}
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

/// In a no-transaction file: what a rerun would stop at if a later statement failed.
fn finish(cx: &Ctx, state: &mut MigrationState, _out: &mut Vec<Finding>) {
    if !cx.m.no_transaction {
        return;
    }
    state.last_line = cx.stmt.line;
    let (blocker, using) = rerun_blocker(cx.node());
    state.using_indexes.extend(using);
    if let Some((what, index)) = blocker {
        state.rerun_blockers.push((cx.stmt.line, what, index));
    }
}

/// Whether a statement stops a rerun of its file once it has run (`CREATE INDEX`
/// without `IF NOT EXISTS`: "already exists"), and the indexes it attaches with
/// `USING INDEX`. Statements that can run again (`IF [NOT] EXISTS`, `VALIDATE
/// CONSTRAINT`, `SET NOT NULL`, `UPDATE`, settings) and constraints added `NOT VALID`
/// or `USING INDEX` (harmless to leave, the recommended sequences) do not.
fn rerun_blocker(node: &NodeEnum) -> (Option<(String, Option<String>)>, Vec<String>) {
    let stop = |what: String| (Some((what, None)), Vec::new());
    match node {
        NodeEnum::IndexStmt(i) if !i.if_not_exists => (
            Some((
                format!("CREATE INDEX {}", names::ident(&i.idxname)),
                Some(i.idxname.clone()),
            )),
            Vec::new(),
        ),
        NodeEnum::CreateStmt(c) if !c.if_not_exists => stop("CREATE TABLE".into()),
        NodeEnum::CreateSeqStmt(c) if !c.if_not_exists => stop("CREATE SEQUENCE".into()),
        NodeEnum::CreateSchemaStmt(c) if !c.if_not_exists => stop("CREATE SCHEMA".into()),
        NodeEnum::CreateExtensionStmt(c) if !c.if_not_exists => stop("CREATE EXTENSION".into()),
        NodeEnum::CreateEnumStmt(_) => stop("CREATE TYPE".into()),
        NodeEnum::CreateFunctionStmt(f) if !f.replace => stop("CREATE FUNCTION".into()),
        NodeEnum::ViewStmt(v) if !v.replace => stop("CREATE VIEW".into()),
        NodeEnum::AlterEnumStmt(e) if e.old_val.is_empty() && !e.skip_if_new_val_exists => {
            stop("ALTER TYPE … ADD VALUE".into())
        }
        NodeEnum::RenameStmt(_) => stop("RENAME".into()),
        NodeEnum::DropStmt(d) if !d.missing_ok => stop("DROP".into()),
        NodeEnum::InsertStmt(i) if i.on_conflict_clause.is_none() => stop("INSERT".into()),
        NodeEnum::AlterTableStmt(a) => {
            let mut using = Vec::new();
            let mut blocker = None;
            for c in nodes(&a.cmds) {
                let NodeEnum::AlterTableCmd(c) = c else {
                    continue;
                };
                let kind = AlterTableType::try_from(c.subtype).unwrap_or(AlterTableType::Undefined);
                let def = c.def.as_ref().and_then(|d| d.node.as_ref());
                match (kind, def) {
                    (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(k))) => {
                        if !k.indexname.is_empty() {
                            using.push(k.indexname.clone());
                        } else if !k.skip_validation {
                            blocker.get_or_insert_with(|| {
                                format!("ADD CONSTRAINT {}", names::ident(&k.conname))
                            });
                        }
                    }
                    (AlterTableType::AtAddColumn, _) if !c.missing_ok => {
                        blocker.get_or_insert_with(|| "ADD COLUMN".to_string());
                    }
                    (AlterTableType::AtDropColumn | AlterTableType::AtDropConstraint, _)
                        if !c.missing_ok =>
                    {
                        blocker.get_or_insert_with(|| format!("DROP {}", names::ident(&c.name)));
                    }
                    _ => {}
                }
            }
            (blocker.map(|b| (b, None)), using)
        }
        _ => (None, Vec::new()),
    }
}

/// `mixed-no-transaction`, judged at the end of a no-transaction file with more than
/// one unit: a statement before the last one that a rerun would stop at, once a later
/// statement failed. Files of re-runnable statements, and the recommended sequences
/// (`ADD … NOT VALID` then `VALIDATE`; `CREATE INDEX CONCURRENTLY` then `ADD
/// CONSTRAINT … USING INDEX`; `CHECK … NOT VALID`, `VALIDATE`, `SET NOT NULL`), are
/// not reported.
pub fn mixed(m: &crate::catalog::Migration, file: &str, state: &MigrationState) -> Option<Finding> {
    let (line, what, _) = state.rerun_blockers.iter().find(|(line, _, index)| {
        *line < state.last_line
            && !index
                .as_ref()
                .is_some_and(|i| state.using_indexes.iter().any(|u| u == i))
    })?;
    Some(
        Finding::new(
            &MIXED_NO_TRANSACTION,
            file.to_string(),
            format!(
                "`{}` runs without a transaction: if a statement after line {line} fails, what ran before it stays applied, and a rerun stops at `{what}` (line {line}), which cannot run twice",
                m.up.path
            ),
        )
        .at(*line, 1)
        .version(m.version.raw()),
    )
}

fn non_transactional(cx: &Ctx, what: &str, out: &mut Vec<Finding>) {
    if cx.in_tx {
        cx.push(
            out,
            &NON_TRANSACTIONAL_STATEMENT,
            -1,
            format!("{what} cannot run inside the migration's transaction: the deploy fails"),
            Some(cx.no_tx_fix(cx.text())),
        );
    }
}
