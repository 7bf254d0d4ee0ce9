//! The SQL rules' engine: every statement of every migration in scope is judged
//! against the schema the migrations before it built (see `sql::schema`), in the
//! migration's transaction context, by each rule family in turn ([`FAMILIES`]).
//! Objects created earlier in the same migration or in the same change set are exempt
//! from locking, rewrite and data-loss rules. Pure: a catalog in, findings (and the
//! resolved `sqlgate:ignore` directives) out.
//!
//! Adding a rule: its `static Rule` and its check go into the family file, and one line
//! into `rules::registry`.

pub mod breaking;
pub mod data_loss;
pub mod locking;
mod plpgsql;
pub mod security;
pub mod style;
pub mod transactions;

use crate::catalog::{display_path, text, Catalog, Migration};
use crate::model::{Finding, Rule};
use crate::sql::ast::nodes;
use crate::sql::schema::Schema;
use crate::sql::{self, names, Parsed, ProblemKind, Statement};
use pg_query::protobuf::{AlterTableCmd, AlterTableStmt, AlterTableType, ObjectType, RangeVar};
use pg_query::NodeEnum;
use std::collections::BTreeMap;

/// A rule family's check of one statement.
pub type Family = fn(&Ctx, &mut MigrationState, &mut Vec<Finding>);

/// The rule families, each run on every statement in scope.
pub const FAMILIES: &[Family] = &[
    style::identifiers,
    transactions::check,
    transactions::duplicates,
    data_loss::check,
    locking::check,
    breaking::check,
    security::check,
    style::check,
    locking::lock_levels,
];

/// What the SQL rules need besides the catalog.
pub struct SqlOptions<'a> {
    pub display_dir: &'a str,
    /// Server version the rules assume (`pg_version`).
    pub pg_version: u32,
    /// The runner sets `lock_timeout` (sqlgate apply does, 5s by default).
    pub runner_lock_timeout: bool,
    pub vars: &'a BTreeMap<String, String>,
}

pub use crate::model::finding::Ignore;

/// What the SQL rules found.
#[derive(Debug, Default)]
pub struct Analysis {
    pub findings: Vec<Finding>,
    pub ignores: Vec<Ignore>,
}

/// Parses every migration (shipped ones feed the schema model) and lints those in scope.
pub fn analyse(
    cat: &Catalog,
    in_scope: &dyn Fn(&Migration) -> bool,
    change_set: &dyn Fn(&Migration) -> bool,
    opts: &SqlOptions,
) -> Analysis {
    let mut out = Analysis::default();
    let mut schema = Schema::default();
    // Parse on worker threads, judge in order: each migration is judged against
    // the schema that the ones before it built.
    //
    // Shipped migrations only feed the model; one that never mentions an object the
    // judged migrations touch cannot change what the rules conclude, so it is not
    // parsed (objects the model does not know count as existing, as shipped ones are).
    let relevant = relevant_names(cat, in_scope, opts.vars);
    // Versioned migrations in order, then Flyway's repeatable ones (which run last).
    let all: Vec<&Migration> = cat.migrations.iter().chain(&cat.repeatables).collect();
    let texts: Vec<(&str, u32)> = all
        .iter()
        .map(|m| {
            let needed = in_scope(m)
                || relevant
                    .as_ref()
                    .is_none_or(|names| mentions_any(&m.up.text, names));
            (
                if needed { m.up.text.as_str() } else { "" },
                m.up.first_line,
            )
        })
        .collect();
    sql::parse_in_order(&texts, opts.vars, |index, pre| {
        let m = all[index];
        analyse_one(
            index,
            m,
            pre,
            in_scope(m),
            change_set(m),
            &mut schema,
            opts,
            &mut out,
        );
    });
    out
}

/// Lower-case names of the relations, indexes and types that the migrations in scope
/// touch; `None` when every migration is in scope (nothing to skip) or the set cannot
/// be known (a migration in scope does not parse).
fn relevant_names(
    cat: &Catalog,
    in_scope: &dyn Fn(&Migration) -> bool,
    vars: &BTreeMap<String, String>,
) -> Option<Vec<String>> {
    if cat.migrations.iter().chain(&cat.repeatables).all(in_scope) {
        return None;
    }
    let mut names = Vec::new();
    for m in cat
        .migrations
        .iter()
        .chain(&cat.repeatables)
        .filter(|m| in_scope(m))
    {
        // Streamed: a huge migration never holds all its parse trees at once.
        let parsed = sql::parse_streaming(&m.up.text, vars, m.up.first_line, &mut |_, stmt| {
            collect_names(&stmt.node, &mut names)
        });
        if !parsed.problems.is_empty() {
            return None;
        }
        names.sort();
        names.dedup();
    }
    names.retain(|n| !n.is_empty());
    names.sort();
    names.dedup();
    Some(names)
}

/// The lower-case names of the relations, indexes and types a statement mentions.
fn collect_names(node: &NodeEnum, names: &mut Vec<String>) {
    for (node, ..) in node.nodes() {
        match node {
            pg_query::NodeRef::RangeVar(rv) => names.push(rv.relname.to_lowercase()),
            pg_query::NodeRef::IndexStmt(i) => names.push(i.idxname.to_lowercase()),
            pg_query::NodeRef::DropStmt(d) => names.extend(
                nodes(&d.objects)
                    .filter_map(|o| match o {
                        NodeEnum::List(l) => names::strings(&l.items).pop(),
                        _ => None,
                    })
                    .map(|n| n.to_lowercase()),
            ),
            pg_query::NodeRef::AlterEnumStmt(e) => names.extend(names::strings(&e.type_name).pop()),
            // A function the change calls (a column default): the migration that
            // defined it says how volatile it is.
            pg_query::NodeRef::FuncCall(f) => {
                names.extend(names::strings(&f.funcname).pop().map(|n| n.to_lowercase()))
            }
            pg_query::NodeRef::ColumnDef(d) => {
                if let Some(e) = d.raw_default.as_ref().and_then(|e| e.node.as_ref()) {
                    collect_names(e, names);
                }
            }
            _ => {}
        }
    }
}

fn mentions_any(text: &str, names: &[String]) -> bool {
    if names.is_empty() {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    names.iter().any(|n| lower.contains(n.as_str()))
}

/// Hands each statement of `m` to `f`: from `pre` when already parsed, else streamed.
fn each_statement(
    m: &Migration,
    pre: Option<Parsed>,
    vars: &BTreeMap<String, String>,
    f: &mut (dyn FnMut(&Parsed, Statement) + Send),
) -> Parsed {
    match pre {
        Some(mut parsed) => {
            for stmt in parsed.take_statements() {
                f(&parsed, stmt);
            }
            parsed
        }
        None => sql::parse_streaming(&m.up.text, vars, m.up.first_line, f),
    }
}

#[allow(clippy::too_many_arguments)]
fn analyse_one(
    index: usize,
    m: &Migration,
    pre: Option<Parsed>,
    in_scope: bool,
    change_set: bool,
    schema: &mut Schema,
    opts: &SqlOptions,
    out: &mut Analysis,
) {
    schema.begin_migration(index, change_set);
    // Placeholders nothing defines are read as a plain identifier, so the rest of the
    // migration is still checked (only here: what `apply` runs is never this text).
    let undefined = undefined_placeholders(&m.up.text, opts.vars);
    let stand_ins;
    let (pre, vars) = if undefined.is_empty() {
        (pre, opts.vars)
    } else {
        let mut v = opts.vars.clone();
        for (name, _) in &undefined {
            v.insert(name.clone(), "sqlgate_placeholder".into());
        }
        stand_ins = v;
        (None, &stand_ins)
    };
    if !in_scope {
        each_statement(m, pre, vars, &mut |_, stmt| schema.apply(&stmt.node));
        return;
    }
    let file = display_path(opts.display_dir, &m.up.path);
    let mut state = MigrationState::default();
    let mut findings = Vec::new();
    // PL/pgSQL functions this migration creates, by name: their bodies are judged
    // where the migration calls them.
    let mut functions: BTreeMap<String, (String, u32)> = BTreeMap::new();
    // `BEGIN; … COMMIT;` around the whole file: the runner runs it as its own
    // transaction (the edges dropped), so the edges are not judged.
    let wraps_itself = !m.no_transaction && m.up.text.len() <= 1 << 20 && {
        let lower = m.up.text.to_ascii_lowercase();
        (lower.contains("begin") || lower.contains("start"))
            && lower.contains("commit")
            && sql::parse(&m.up.text, vars, m.up.first_line).unwrap_own_transaction()
    };
    let parsed = each_statement(m, pre, vars, &mut |parsed, stmt| {
        if wraps_itself && sql::parse::transaction_edge(&stmt.node).is_some() {
            return;
        }
        state.before(&stmt.node, stmt.line, m.no_transaction);
        let cx = Ctx {
            m,
            parsed,
            stmt: &stmt,
            schema,
            opts,
            file: &file,
            in_tx: !m.no_transaction || state.explicit.is_some(),
        };
        for family in FAMILIES {
            family(&cx, &mut state, &mut findings);
        }
        let inner = Inner {
            m,
            opts,
            file: &file,
        };
        for (code, line) in plpgsql::run_here(&stmt, parsed, &mut functions) {
            inner.judge(&code, line, schema, &mut state, &mut findings);
        }
        inner.text_calls(
            parsed.text(&stmt),
            stmt.line,
            schema,
            &mut state,
            &mut findings,
            0,
        );
        state.after(&stmt.node, m.no_transaction);
        schema.apply(&stmt.node);
    });
    if m.no_transaction && state.units >= 2 {
        if let Some(f) = transactions::mixed(m, &file, &state) {
            findings.push(f);
        }
    }
    if let (Some(line), true) = (state.explicit, m.no_transaction) {
        findings.push(
            Finding::new(
                &transactions::TRANSACTION_CONTROL,
                file.clone(),
                format!(
                    "the BEGIN at line {line} of `{}` is never committed: the runner's session ends with the transaction open, so PostgreSQL rolls back everything after it",
                    m.up.path
                ),
            )
            .at(line, 1)
            .version(m.version.raw()),
        );
    }
    // Placeholders nothing defines: one finding each, named, instead of a syntax
    // error where the braces start.
    let mut placeholder_at = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for (name, offset) in &undefined {
        if named.contains(&name.as_str()) {
            continue; // once per name and file
        }
        named.push(name);
        let (line, column) = parsed.source_position(*offset);
        placeholder_at.push((line, column));
        let written = if m.up.text[*offset..].starts_with("${") {
            format!("${{{name}}}")
        } else {
            format!("{{{{ {name} }}}}")
        };
        out.findings.push(
            Finding::new(
                &transactions::UNDEFINED_PLACEHOLDER,
                file.clone(),
                format!(
                    "`{written}` is a placeholder that nothing defines: pass `--var '{name}=…'` or add it to `[vars]` in sqlgate.toml"
                ),
            )
            .at(line, column)
            .version(m.version.raw()),
        );
    }
    for p in &parsed.problems {
        if p.kind == ProblemKind::Syntax && placeholder_at.contains(&(p.line, p.column)) {
            continue;
        }
        let rule = match p.kind {
            ProblemKind::Syntax => &transactions::SYNTAX_ERROR,
            ProblemKind::Unanalyzable => &transactions::UNANALYZABLE_STATEMENT,
        };
        out.findings.push(
            Finding::new(rule, file.clone(), p.message.clone())
                .at(p.line, p.column)
                .version(m.version.raw()),
        );
    }
    out.findings.extend(findings);
    resolve_ignores(m, &parsed, &file, &mut out.ignores);
}

/// The undefined `${NAME}` / `{{ … }}` placeholders of a migration that make it a
/// template: when every one of them sits inside a string literal or a comment, the
/// braces are data (a mustache e-mail template stored by the migration), not a
/// template the runner renders, and none is reported.
fn undefined_placeholders(sql: &str, vars: &BTreeMap<String, String>) -> Vec<(String, usize)> {
    let found = text::undefined_placeholders(sql, vars);
    if found.is_empty() {
        return found;
    }
    use pg_query::protobuf::Token as T;
    let Ok(tokens) = pg_query::scan_tokens(sql) else {
        return found; // cannot tell: report them
    };
    let word = |t: &pg_query::protobuf::ScanToken| {
        sql.get(t.start.max(0) as usize..t.end.max(0) as usize)
            .unwrap_or("")
            .to_ascii_lowercase()
    };
    let comment = |t: &&pg_query::protobuf::ScanToken| {
        matches!(T::try_from(t.token), Ok(T::SqlComment | T::CComment))
    };
    // A dollar-quoted body that is code — `DO $$ … $$`, `DO LANGUAGE plpgsql $$ … $$`,
    // `CREATE FUNCTION … AS $$ … $$` — is what the runner renders and runs: a
    // placeholder there is a template placeholder, not data.
    let code_body = |i: usize| {
        let before: Vec<String> = tokens[..i]
            .iter()
            .rev()
            .filter(|t| !comment(t))
            .take(3)
            .map(word)
            .collect();
        let is = |k: usize, w: &str| before.get(k).is_some_and(|b| b == w);
        word(&tokens[i]).starts_with('$')
            && (is(0, "do") || is(0, "as") || (is(1, "language") && is(2, "do")))
    };
    let quoted: Vec<(usize, usize)> = tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            matches!(
                T::try_from(t.token),
                Ok(T::Sconst | T::Usconst | T::Bconst | T::Xconst | T::SqlComment | T::CComment)
            ) && !code_body(*i)
        })
        .map(|(_, t)| (t.start.max(0) as usize, t.end.max(0) as usize))
        .collect();
    let inside = |o: usize| quoted.iter().any(|(s, e)| *s <= o && o < *e);
    if found.iter().all(|(_, o)| inside(*o)) {
        Vec::new()
    } else {
        found
    }
}

/// Judges the static SQL of PL/pgSQL code run at this point of the migration, like
/// top-level statements (inside the block's transaction).
struct Inner<'a> {
    m: &'a Migration,
    opts: &'a SqlOptions<'a>,
    file: &'a str,
}

impl Inner<'_> {
    fn judge(
        &self,
        code: &str,
        line: u32,
        schema: &mut Schema,
        state: &mut MigrationState,
        findings: &mut Vec<Finding>,
    ) {
        let body = match sql::plpgsql::body(code, line) {
            Ok(b) => b,
            Err(why) => {
                findings.push(
                    Finding::new(
                        &transactions::UNANALYZABLE_STATEMENT,
                        self.file.to_string(),
                        format!("the PL/pgSQL body could not be read ({why}); the statements inside it were not checked"),
                    )
                    .at(line, 1)
                    .version(self.m.version.raw()),
                );
                return;
            }
        };
        for at in body.dynamic {
            findings.push(
                Finding::new(
                    &transactions::UNCHECKED_DYNAMIC_SQL,
                    self.file.to_string(),
                    "`EXECUTE` runs SQL built while the block runs: sqlgate cannot see it, so none of its rules checked it".to_string(),
                )
                .at(at, 1)
                .version(self.m.version.raw()),
            );
        }
        for parsed in &body.statements {
            self.statements(parsed, schema, state, findings, 0);
        }
    }

    /// Judges parsed statements run inside the migration's transaction, and the SQL
    /// they hand to functions as text.
    fn statements(
        &self,
        parsed: &Parsed,
        schema: &mut Schema,
        state: &mut MigrationState,
        findings: &mut Vec<Finding>,
        depth: usize,
    ) {
        for stmt in &parsed.statements {
            let cx = Ctx {
                m: self.m,
                parsed,
                stmt,
                schema,
                opts: self.opts,
                file: self.file,
                in_tx: true,
            };
            for family in FAMILIES {
                family(&cx, state, findings);
            }
            self.text_calls(
                parsed.text(stmt),
                stmt.line,
                schema,
                state,
                findings,
                depth + 1,
            );
            state.after(&stmt.node, false);
            schema.apply(&stmt.node);
        }
    }

    /// SQL given as text to a function that runs it (`query_to_xml('SELECT …')`): a
    /// string of literals is judged like a statement here; anything else is
    /// `unchecked-dynamic-sql`.
    fn text_calls(
        &self,
        text: &str,
        line: u32,
        schema: &mut Schema,
        state: &mut MigrationState,
        findings: &mut Vec<Finding>,
        depth: usize,
    ) {
        if depth > 8
            || !sql::dynamic::SQL_TEXT_FUNCTIONS
                .iter()
                .any(|f| text.to_ascii_lowercase().contains(f))
        {
            return;
        }
        let none = BTreeMap::new();
        for (name, args) in sql::dynamic::calls(text, sql::dynamic::SQL_TEXT_FUNCTIONS) {
            let at = line + text[..args.start].matches('\n').count() as u32;
            let arg = sql::dynamic::first_argument(&text[args]);
            match sql::dynamic::fold(arg) {
                Some(query) => {
                    let parsed = sql::parse(&query, &none, at);
                    self.statements(&parsed, schema, state, findings, depth);
                }
                None => findings.push(
                    Finding::new(
                        &transactions::UNCHECKED_DYNAMIC_SQL,
                        self.file.to_string(),
                        format!("{name}() runs SQL built while the migration runs: sqlgate cannot see it, so none of its rules checked it"),
                    )
                    .at(at, 1)
                    .version(self.m.version.raw()),
                ),
            }
        }
    }
}

fn resolve_ignores(m: &Migration, parsed: &Parsed, file: &str, out: &mut Vec<Ignore>) {
    for d in &m.ignores {
        let lines = if d.whole_file {
            None
        } else {
            let line = d.line + m.up.first_line.saturating_sub(1);
            Some(
                parsed
                    .spans
                    .iter()
                    .find(|s| s.0 > line)
                    .copied()
                    .unwrap_or((0, 0)),
            )
        };
        out.push(Ignore {
            file: file.to_string(),
            version: m.version.raw().to_string(),
            line: d.line + m.up.first_line.saturating_sub(1),
            rules: d.rules.clone(),
            lines,
        });
    }
}

/// What the statements of one migration so far have done, for rules that depend on
/// what came before (locks held, timeouts set, tables emptied, the transaction).
#[derive(Default)]
pub struct MigrationState {
    /// Statements seen, this one included.
    pub statements: usize,
    /// In a no-transaction migration: what runs as one unit (a statement, or an
    /// explicit `BEGIN … COMMIT` block), this one included.
    pub units: usize,
    /// In a no-transaction migration: the line of an explicit `BEGIN` not yet
    /// committed or rolled back.
    pub explicit: Option<u32>,
    /// The migration sets `lock_timeout` itself.
    pub lock_timeout_set: bool,
    /// The session's `timezone` is UTC (`SET timezone = 'UTC'`).
    pub utc: bool,
    /// Tables this migration emptied (DELETE without WHERE, TRUNCATE): adding a NOT
    /// NULL column to them cannot fail.
    pub emptied: Vec<String>,
    /// In the current transaction: a table under ACCESS EXCLUSIVE, and the line of
    /// the statement that locked it.
    pub exclusive: Option<(String, u32)>,
    /// In the current transaction: constraints added NOT VALID to existing tables —
    /// (table, constraint, line, the lock the ADD holds until COMMIT).
    pub not_valid: Vec<(String, String, u32, &'static str)>,
    pub reported_after_exclusive: bool,
    pub reported_missing_timeout: bool,
    /// In a no-transaction migration: statements a rerun would stop at (line, what,
    /// the index it creates), and the indexes later statements attach with `USING
    /// INDEX` (the recommended CONCURRENTLY-then-constraint sequence).
    pub rerun_blockers: Vec<(u32, String, Option<String>)>,
    pub using_indexes: Vec<String>,
    /// Line of the last unit's statement.
    pub last_line: u32,
}

fn transaction_kind(node: &NodeEnum) -> Option<pg_query::protobuf::TransactionStmtKind> {
    match node {
        NodeEnum::TransactionStmt(t) => {
            pg_query::protobuf::TransactionStmtKind::try_from(t.kind).ok()
        }
        _ => None,
    }
}

impl MigrationState {
    /// Before the families judge a statement.
    fn before(&mut self, node: &NodeEnum, line: u32, no_transaction: bool) {
        use pg_query::protobuf::TransactionStmtKind as K;
        self.statements += 1;
        match node {
            NodeEnum::VariableSetStmt(v) if v.name == "lock_timeout" => {
                self.lock_timeout_set = true
            }
            NodeEnum::VariableSetStmt(v) if v.name == "timezone" => {
                let value = crate::sql::ast::nodes(&v.args)
                    .find_map(|a| match a {
                        NodeEnum::AConst(c) => match &c.val {
                            Some(pg_query::protobuf::a_const::Val::Sval(s)) => Some(s.sval.clone()),
                            _ => None,
                        },
                        _ => None,
                    })
                    .unwrap_or_default();
                self.utc = matches!(
                    value.to_ascii_uppercase().as_str(),
                    "UTC"
                        | "ETC/UTC"
                        | "UCT"
                        | "ETC/UCT"
                        | "ZULU"
                        | "ETC/ZULU"
                        | "GMT"
                        | "ETC/GMT"
                        | "Z"
                );
            }
            _ => {}
        }
        if !no_transaction {
            return;
        }
        match transaction_kind(node) {
            Some(K::TransStmtBegin | K::TransStmtStart) => {
                if self.explicit.is_none() {
                    self.units += 1;
                }
                self.explicit.get_or_insert(line);
            }
            Some(
                K::TransStmtCommit
                | K::TransStmtRollback
                | K::TransStmtCommitPrepared
                | K::TransStmtPrepare,
            ) => {
                self.explicit = None;
            }
            _ if self.explicit.is_none() => self.units += 1,
            _ => {}
        }
    }

    /// After the families judged a statement.
    fn after(&mut self, node: &NodeEnum, no_transaction: bool) {
        match node {
            NodeEnum::DeleteStmt(d) if d.where_clause.is_none() => {
                self.emptied
                    .extend(d.relation.as_ref().map(names::range_var));
            }
            NodeEnum::TruncateStmt(t) => {
                self.emptied
                    .extend(nodes(&t.relations).filter_map(|r| match r {
                        NodeEnum::RangeVar(rv) => Some(names::range_var(rv)),
                        _ => None,
                    }))
            }
            _ => {}
        }
        // Outside a transaction, each statement commits: its locks are gone.
        if no_transaction && self.explicit.is_none() {
            self.exclusive = None;
            self.not_valid.clear();
        }
    }
}

/// One statement in its context: the migration, the parsed file, the schema model
/// as the statements before it left it, and the options. What every family's check
/// receives.
pub struct Ctx<'a> {
    pub m: &'a Migration,
    pub parsed: &'a Parsed,
    pub stmt: &'a Statement,
    pub schema: &'a Schema,
    pub opts: &'a SqlOptions<'a>,
    pub file: &'a str,
    /// The migration runs inside a transaction.
    pub in_tx: bool,
}

/// The longest statement text a finding carries.
const MAX_STATEMENT_CHARS: usize = 2000;

impl Ctx<'_> {
    /// The statement's parse tree.
    pub fn node(&self) -> &NodeEnum {
        &self.stmt.node
    }

    /// A finding of `rule` at `location` (a byte offset in the statement, or -1 for its
    /// start), carrying the statement's text.
    pub fn finding(&self, rule: &'static Rule, location: i32, message: String) -> Finding {
        let (line, col) = self.parsed.location(self.stmt, location);
        let mut text: String = self.parsed.text(self.stmt).to_string();
        if text.chars().count() > MAX_STATEMENT_CHARS {
            text = text.chars().take(MAX_STATEMENT_CHARS).collect::<String>() + " …";
        }
        let mut f = Finding::new(rule, self.file.to_string(), message)
            .at(line, col)
            .version(self.m.version.raw());
        f.statement = Some(text);
        f
    }

    /// Adds a finding, with a fix specific to this statement when given.
    pub fn push(
        &self,
        out: &mut Vec<Finding>,
        rule: &'static Rule,
        location: i32,
        message: String,
        fix: Option<String>,
    ) {
        let mut f = self.finding(rule, location, message);
        if let Some(fix) = fix {
            f.fix = fix;
        }
        out.push(f);
    }

    /// True when `key` names a table that existed before this change (objects the
    /// model does not know count as existing).
    pub fn existing(&self, key: &str) -> bool {
        !self.schema.table_is_new(key)
    }

    /// The fix for a statement that must run outside a transaction.
    pub fn no_tx_fix(&self, sql: &str) -> String {
        format!("Run it in a migration of its own whose first line is `-- sqlgate:no-transaction`:\n    {sql};")
    }

    /// The statement's text as written.
    pub fn text(&self) -> &str {
        self.parsed.text(self.stmt)
    }
}

/// An `ALTER TABLE` on a table (not a view, index or sequence), split into its table
/// and commands; `None` for anything else.
pub struct AlterTable<'a> {
    pub table: String,
    pub rv: &'a RangeVar,
    pub cmds: Vec<(&'a AlterTableCmd, AlterTableType, Option<&'a NodeEnum>)>,
}

/// The `ALTER TABLE` of a statement, when it is one on a table.
pub fn alter_table(node: &NodeEnum) -> Option<AlterTable<'_>> {
    let NodeEnum::AlterTableStmt(a) = node else {
        return None;
    };
    alter_table_stmt(a)
}

fn alter_table_stmt(a: &AlterTableStmt) -> Option<AlterTable<'_>> {
    let rv = a.relation.as_ref()?;
    if a.objtype != ObjectType::ObjectTable as i32 && a.objtype != ObjectType::Undefined as i32 {
        return None;
    }
    let cmds = nodes(&a.cmds)
        .filter_map(|n| match n {
            NodeEnum::AlterTableCmd(c) => Some(c.as_ref()),
            _ => None,
        })
        .map(|c| {
            (
                c,
                AlterTableType::try_from(c.subtype).unwrap_or(AlterTableType::Undefined),
                c.def.as_ref().and_then(|d| d.node.as_ref()),
            )
        })
        .collect();
    Some(AlterTable {
        table: names::range_var(rv),
        rv,
        cmds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{build, CatalogOptions, Content, SourceFile};
    use crate::model::Severity;
    use crate::rules::{apply_ignores, apply_overrides, Overrides};

    struct Case {
        shipped: Vec<&'static str>,
        new: Vec<&'static str>,
        pg: u32,
        runner_timeout: bool,
        overrides: Overrides,
        vars: BTreeMap<String, String>,
    }

    fn case(shipped: &[&'static str], new: &[&'static str]) -> Case {
        Case {
            shipped: shipped.to_vec(),
            new: new.to_vec(),
            pg: 15,
            runner_timeout: true,
            overrides: Overrides::new(),
            vars: BTreeMap::new(),
        }
    }

    impl Case {
        fn findings(&self) -> Vec<Finding> {
            let files: Vec<SourceFile> = self
                .shipped
                .iter()
                .chain(self.new.iter())
                .enumerate()
                .map(|(i, sql)| SourceFile {
                    path: format!("{:03}_m.sql", i + 1),
                    content: Content::Bytes(sql.as_bytes().to_vec()),
                    name_not_utf8: false,
                })
                .collect();
            let cat = build(
                &files,
                &CatalogOptions {
                    display_dir: "m".into(),
                    ..Default::default()
                },
            );
            let shipped = self.shipped.len();
            let is_new =
                |m: &Migration| m.version.canonical().parse::<usize>().unwrap_or(0) > shipped;
            let opts = SqlOptions {
                display_dir: "m",
                pg_version: self.pg,
                runner_lock_timeout: self.runner_timeout,
                vars: &self.vars,
            };
            let a = analyse(&cat, &is_new, &is_new, &opts);
            apply_ignores(apply_overrides(a.findings, &self.overrides), &a.ignores)
        }

        fn rules(&self) -> Vec<&'static str> {
            let mut r: Vec<_> = self.findings().iter().map(|f| f.rule.as_str()).collect();
            r.sort();
            r.dedup();
            r
        }

        fn fires(&self, rule: &str) -> bool {
            self.rules().contains(&rule)
        }
    }

    const T: &str =
        "create table t (id bigint primary key, a int, v varchar(50), n numeric(10,2), j jsonb);";
    const U: &str = "create table u (id bigint primary key);";

    /// (rule, shipped, firing migration, look-alike that must not fire)
    const PAIRS: &[(&str, &[&str], &str, &str)] = &[
        ("syntax-error", &[], "create tabel x (id int);", "create table x (id int);"),
        ("alter-column-type-rebuilds-index", &["create table k (id int, w varchar(10), n varchar(10));\ncreate index k_w on k (lower(w));\ncreate index k_n on k (n);"], "alter table k alter column w type text;", "alter table k alter column n type text;"),
        ("unchecked-dynamic-sql", &[T], "do $$ begin execute format('drop table %I', 't'); end $$;", "do $$ begin execute 'drop table t'; end $$;"),
        ("unchecked-dynamic-sql", &[T], "select query_to_xml('select * from ' || current_user, true, false, '');", "select query_to_xml('select 1', true, false, '');"),
        ("undefined-placeholder", &[], "create table ${S}.x (id int);", "create table x (id int, j jsonb default '{}', d text default '$x');"),
        ("transaction-control", &[], "create table x (id int);\nCOMMIT;\ncreate table y (id int);", "BEGIN;\ncreate table x (id int);\nCOMMIT;"),
        ("concurrently-in-transaction", &[T], "alter table t add column b int;\ncreate index concurrently i on t (a);", "create index concurrently i on t (a);"),
        ("concurrently-in-transaction", &[T, "create index i on t (a);"], "drop index concurrently i;\nalter table t add column b int;", "drop index concurrently i;"),
        ("non-transactional-statement", &[T], "update t set a = 1 where id = 1;\nvacuum t;", "vacuum t;"),
        ("non-transactional-statement", &[], "create schema y;\ncreate database x;", "create schema x;"),
        ("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);\ncreate index concurrently b_i on t (v);", "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);"),
        ("mixed-no-transaction", &[T, U], "-- sqlgate:no-transaction\nalter table t add constraint t_u foreign key (a) references u (id);\ncreate index concurrently if not exists a_i on t (a);", "-- sqlgate:no-transaction\nalter table t add constraint t_u foreign key (a) references u (id) not valid;\nalter table t validate constraint t_u;"),
        ("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\ncreate index concurrently t_v on t (v);\nalter table t add column w int;", "-- sqlgate:no-transaction\ncreate unique index concurrently t_v on t (v);\nalter table t add constraint t_v_key unique using index t_v;"),
        ("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\nalter table t add constraint a_nn check (a is not null);\nalter table t alter column a set not null;", "-- sqlgate:no-transaction\nalter table t add constraint a_nn check (a is not null) not valid;\nalter table t validate constraint a_nn;\nalter table t alter column a set not null;\nalter table t drop constraint a_nn;"),
        ("unused-ignore", &[T], "-- sqlgate:ignore drop-table -- cleanup\nalter table t add column b text;", "-- sqlgate:ignore drop-table -- cleanup\ndrop table t;"),
        ("unused-ignore", &[T], "-- sqlgate:ignore drop-tabel -- typo\ndrop table t;", "-- sqlgate:ignore-file drop-table -- gone\ndrop table t;"),
        ("drop-table", &[T], "drop table t;", "create table n (id int);\ndrop table n;"),
        ("drop-column", &[T], "alter table t drop column a;", "create table n (id int, a int);\nalter table n drop column a;"),
        ("drop-schema", &[], "drop schema s cascade;", "drop view if exists s.v;"),
        ("drop-database", &[], "-- sqlgate:no-transaction\ndrop database x;", "-- sqlgate:no-transaction\ndrop role x;"),
        ("truncate", &[T], "truncate t;", "create table n (id int);\ntruncate n;"),
        ("delete-without-where", &[T], "delete from t;", "delete from t where a = 1;"),
        ("update-without-where", &[T], "update t set a = 1;", "update t set a = 1 where id < 1000;"),
        ("create-index-non-concurrently", &[T], "create index i on t (a);", "create table n (a int);\ncreate index i on n (a);"),
        ("drop-index-non-concurrently", &[T, "create index i on t (a);"], "drop index i;", "-- sqlgate:no-transaction\ndrop index concurrently i;"),
        ("reindex-non-concurrently", &[T], "reindex table t;", "-- sqlgate:no-transaction\nreindex table concurrently t;"),
        ("add-foreign-key-validating", &[T, U], "alter table t add constraint t_u_fk foreign key (a) references u (id);", "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;"),
        ("add-foreign-key-validating", &[T, U, "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;"], "alter table t add column u_id bigint references u (id);", "alter table t validate constraint t_u_fk;"),
        ("add-check-validating", &[T], "alter table t add constraint a_pos check (a > 0);", "alter table t add constraint a_pos check (a > 0) not valid;"),
        ("add-unique-constraint", &[T, "create unique index t_a_key on t (a);"], "alter table t add constraint t_a_key unique (a);", "alter table t add constraint t_a_key unique using index t_a_key;"),
        ("add-primary-key", &["create table p (id bigint not null);", "create unique index p_pkey on p (id);"], "alter table p add primary key (id);", "alter table p add constraint p_pkey primary key using index p_pkey;"),
        ("add-exclusion-constraint", &[T], "alter table t add constraint ex exclude using gist (a with =);", "create table n (a int);\nalter table n add constraint ex exclude using gist (a with =);"),
        ("set-not-null", &[T], "alter table t alter column a set not null;", "alter table t alter column a set default 0;"),
        ("set-not-null", &[T, "alter table t add constraint a_nn check (a is not null) not valid;"], "alter table t alter column a set not null;", "alter table t validate constraint a_nn;\nalter table t alter column a set not null;"),
        ("add-column-volatile-default", &[T], "alter table t add column token uuid default gen_random_uuid();", "alter table t add column flag boolean default true;"),
        ("add-column-volatile-default", &[T], "alter table t add column r float8 not null default random();", "alter table t add column at timestamptz not null default now();"),
        ("add-column-volatile-default", &[T, "create function seven() returns int language sql immutable as $$ select 7 $$;"], "alter table t add column z int default random_seven();", "alter table t add column z int default seven();"),
        ("add-column-volatile-default", &[T, "create function eight() returns int language sql as $$ select 8 $$;", "alter function eight() immutable;"], "alter table t add column z int default now(123);", "alter table t add column z int default eight();"),
        ("add-column-required", &[T], "alter table t add column plan text not null;", "alter table t add column plan text not null default 'free';"),
        ("add-column-required", &[T], "alter table t add column plan text not null;", "delete from t;\nalter table t add column plan text not null;"),
        ("add-column-serial", &[T], "alter table t add column seq bigserial;", "create table n (id bigserial primary key);"),
        ("add-column-generated-stored", &[T], "alter table t add column a2 int generated always as (a * 2) stored;", "create table n (a int, a2 int generated always as (a * 2) stored);"),
        ("alter-column-type", &[T], "alter table t alter column a type bigint;", "alter table t alter column v type varchar(100);"),
        ("alter-column-type", &[T], "alter table t alter column v type varchar(20);", "alter table t alter column v type text;"),
        ("alter-column-type", &[T], "alter table t alter column n type numeric(12,4);", "alter table t alter column n type numeric(14,2);"),
        ("alter-column-type-rechecks", &["create table ck (email varchar(100) check (email like '%@%'), other text);"], "alter table ck alter column email type text;", "alter table ck alter column other type text;"),
        ("alter-column-type-rechecks", &["create table ck2 (a varchar(10), b varchar(10), constraint ab check (a <> b));"], "alter table ck2 alter column b type varchar(20);", "alter table ck2 drop constraint ab;\nalter table ck2 alter column b type varchar(20);"),
        ("vacuum-full", &[T], "-- sqlgate:no-transaction\nvacuum full t;", "-- sqlgate:no-transaction\nvacuum analyze t;"),
        ("cluster", &[T, "create index i on t (a);"], "cluster t using i;", "create table n (a int);\ncreate index ni on n (a);\ncluster n using ni;"),
        ("refresh-matview-non-concurrently", &["create materialized view mv as select 1 as x;"], "refresh materialized view mv;", "refresh materialized view concurrently mv;"),
        ("lock-table", &[T], "lock table t in access exclusive mode;", "create table n (a int);\nlock table n in access exclusive mode;"),
        ("statements-after-access-exclusive", &[T], "alter table t add column b text;\nupdate t set b = 'x' where id < 100;", "alter table t add column b text;\nalter table t add column c text;"),
        ("rename-column", &[T], "alter table t rename column a to b;", "create table n (a int);\nalter table n rename column a to b;"),
        ("rename-table", &[T], "alter table t rename to t2;", "create table n (a int);\nalter table n rename to n2;"),
        ("rename-schema", &[], "alter schema billing rename to payments;", "create schema payments;"),
        ("rename-enum-value", &["create type st as enum ('a', 'b');", "create table o (id int, s st);"], "alter type st rename value 'a' to 'c';", "create type st2 as enum ('a');\nalter type st2 rename value 'a' to 'c';"),
        ("drop-not-null", &[T], "alter table t alter column id drop not null;", "create table n (a int not null);\nalter table n alter column a drop not null;"),
        ("drop-default", &[T], "alter table t alter column a drop default;", "alter table t alter column a set default 1;"),
        ("plaintext-password", &[], "create role app login password 'hunter2';", "create role app login password 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2lnbg==';"),
        ("security-definer-search-path", &[], "create function f() returns int language sql security definer as $$ select 1 $$;", "create function f() returns int language sql security definer set search_path = pg_catalog, pg_temp as $$ select 1 $$;"),
        ("grant-to-public", &[T], "grant select on t to public;", "grant select on t to reporting;"),
        ("disable-row-level-security", &[T], "alter table t disable row level security;", "alter table t enable row level security;"),
        ("server-side-access", &[], "copy (select 1) to program 'env > /tmp/env.txt';", "copy t from stdin;"),
        ("server-side-access", &[T], "copy t to '/tmp/t.csv';", "copy t to stdout;"),
        ("server-side-access", &[], "select pg_read_file('/etc/passwd');", "select pg_size_pretty(1024::bigint);"),
        ("server-side-access", &[], "select lo_export(1234, '/tmp/x');", "select lo_create(0);"),
        ("server-side-access", &[], "create extension plpython3u;", "create extension pgcrypto;"),
        ("server-side-access", &[], "create extension dblink;", "create extension pg_trgm;"),
        ("server-side-access", &[], "create function f() returns int language plpython3u as $$ return 1 $$;", "create function f() returns int language sql as $$ select 1 $$;"),
        ("server-side-access", &[], "create function f() returns void language plpgsql as $$ begin perform pg_read_file('/etc/passwd'); end $$;", "create function f() returns void language plpgsql as $$ begin perform 1; end $$;"),
        ("server-side-access", &[], "do $$ begin execute 'copy t to program ''id'''; end $$;", "do $$ begin raise notice 'hello'; end $$;"),
        ("server-side-access", &[], "-- sqlgate:no-transaction\nalter system set work_mem = '1GB';", "set work_mem = '1GB';"),
        ("server-side-access", &[], "do $$ begin execute 'cop' || 'y (select 1) to prog' || 'ram ''id > /tmp/x'''; end $$;", "do $$ begin execute 'select ' || '1'; end $$;"),
        ("server-side-access", &[], "prepare p as select pg_read_file('/etc/hostname'); create table leak as execute p;", "prepare p as select 1; execute p;"),
        ("server-side-access", &[], "select query_to_xml('select lo_import(''/etc/passwd'') as o', true, false, '');", "select query_to_xml('select 1 as o', true, false, '');"),
        ("server-side-access", &[], "alter database app set session_preload_libraries = 'evil';", "alter database app set work_mem = '64MB';"),
        ("server-side-access", &[], "alter role app set local_preload_libraries = 'evil';", "alter role app set statement_timeout = '5s';"),
        ("server-side-access", &[], "create event trigger t on ddl_command_start execute function f();", "create trigger t before insert on t for each row execute function f();"),
        ("server-side-access", &[], "create table t (a text default pg_read_file('/etc/hostname'));", "create table t (a text default 'x');"),
        ("server-side-access", &[], "create server other foreign data wrapper postgres_fdw options (host 'evil.example.com');", "create schema other;"),
        ("server-side-access", &[], "grant pg_execute_server_program to app;", "grant pg_read_all_data to app;"),
        ("server-side-access", &[], "alter role app superuser;", "alter role app nosuperuser;"),
        ("server-side-access", &[], "load 'auto_explain';", "select 1;"),
        ("prefer-timestamptz", &[], "create table n (at timestamp);", "create table n (at timestamptz);"),
        ("prefer-jsonb", &[T], "alter table t add column p json;", "alter table t add column p jsonb;"),
        ("ban-char", &[], "create table n (c char(2));", "create table n (c text);"),
        // Round 2: the dangers that passed silently, and look-alikes that must stay quiet.
        ("validate-in-same-transaction", &[T], "alter table t add constraint a_pos check (a > 0) not valid;\nalter table t validate constraint a_pos;", "alter table t add constraint a_pos check (a > 0) not valid;"),
        ("validate-in-same-transaction", &[T, U], "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;\nalter table t validate constraint t_u_fk;", "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;"),
        ("validate-in-same-transaction", &[T], "alter table t add constraint a_nn check (a is not null) not valid;\nalter table t validate constraint a_nn;\nalter table t alter column a set not null;", "alter table t add constraint a_nn check (a is not null) not valid;"),
        ("validate-in-same-transaction", &[T], "-- sqlgate:no-transaction\nbegin;\nalter table t add constraint a_pos check (a > 0) not valid;\nalter table t validate constraint a_pos;\ncommit;", "-- sqlgate:no-transaction\nalter table t add constraint a_pos check (a > 0) not valid;\nalter table t validate constraint a_pos;"),
        ("statements-after-access-exclusive", &[T, "alter table t add constraint a_pos check (a > 0) not valid;"], "alter table t add column b text;\nalter table t validate constraint a_pos;", "alter table t validate constraint a_pos;\nalter table t add column b text;"),
        ("statements-after-access-exclusive", &[T], "alter table t add column b text;\nselect count(*) from t;", "alter table t add column b text;\nselect set_config('app.x', '1', true);"),
        ("statements-after-access-exclusive", &[T], "alter table t add column b text;\ncreate table z as select * from t;", "alter table t add column b text;\ncreate table z as select 1 as x;"),
        ("statements-after-access-exclusive", &[T, U], "alter table t add column b text;\nalter table u add column c text;", "alter table t add column b text;\ncreate table n (a int);\nalter table n add column c text;"),
        ("statements-after-access-exclusive", &[T, "alter table t add constraint a_pos check (a > 0) not valid;"], "alter table t validate constraint a_pos, drop column v;", "alter table t validate constraint a_pos;"),
        ("statements-after-access-exclusive", &[T, "create trigger trg before insert on t for each row execute function f();"], "drop trigger trg on t;\nupdate t set a = 1 where id < 10;", "update t set a = 1 where id < 10;\ndrop trigger trg on t;"),
        ("add-primary-key", &["create table p (id bigint);", "create unique index p_pkey on p (id);"], "alter table p add constraint p_pkey primary key using index p_pkey;", "alter table p add constraint p_id_nn check (id is not null) not valid;"),
        ("add-domain-check-validating", &["create domain email as text;"], "alter domain email add constraint email_at check (value like '%@%');", "alter domain email add constraint email_at check (value like '%@%') not valid;"),
        ("add-domain-check-validating", &[], "alter domain email add constraint email_at check (value like '%@%');", "create domain email as text;\nalter domain email add constraint email_at check (value like '%@%');"),
        ("rewrite-table", &[T], "alter table t set unlogged;", "create table n (a int);\nalter table n set unlogged;"),
        ("rewrite-table", &[T], "alter table t set tablespace fast;", "alter table t set (fillfactor = 70);"),
        ("rewrite-table", &[T], "alter table t set logged;", "alter table t set without cluster;"),
        ("rewrite-table", &[T, "create index t_a on t (a);"], "alter index t_a set tablespace fast;", "alter index t_a set (fillfactor = 70);"),
        ("detach-partition-non-concurrently", &["create table m (at date) partition by range (at);", "create table m_2023 partition of m for values from ('2023-01-01') to ('2024-01-01');"], "alter table m detach partition m_2023;", "-- sqlgate:no-transaction\nalter table m detach partition m_2023 concurrently;"),
        ("duplicate-column", &[T], "update t set a = 1, a = 2 where id = 1;", "update t set a = 1, v = 'x' where id = 1;"),
        ("duplicate-column", &["create table k (id int, a int[])"], "insert into k (id, id) values (1, 2);", "update k set a[1] = 1, a[2] = 2 where id = 1;"),
        ("duplicate-column", &[T], "insert into t (id, a) values (1, 2) on conflict (id) do update set a = 1, a = excluded.a;", "insert into t (id, a) values (1, 2) on conflict (id) do update set a = excluded.a;"),
        ("duplicate-column", &[], "create table n (a int, b int, a text);", "create table n (a int, b int, c text);"),
        ("duplicate-column", &[T], "create view tv as select id, a as id from t;", "create view tv (x, y) as select id, id from t;"),
        ("duplicate-column", &[T], "create table z as select 1, 2;", "create table z as select 1 as x, 2 as y;"),
        ("duplicate-column", &[T], "select id, a as id into z from t;", "select id, a into z from t;"),
        ("duplicate-column", &["create table c (h t)"], "create table z as select (c.h).id, (c.h).id from c;", "create table z as select (c.h).id, (c.h).a from c;"),
        ("duplicate-column", &[T], "merge into t using t s on t.id = s.id when not matched then insert (a, a) values (1, 2);", "merge into t using t s on t.id = s.id when not matched then insert (a, v) values (1, 'x');"),
        ("duplicate-column", &[T], "merge into t using t s on t.id = s.id when matched then update set a = 1, a = 2;", "merge into t using t s on t.id = s.id when matched then update set a = 1, v = 'x';"),
        ("duplicate-column", &[], "create foreign table ft (a int, a text) server s;", "create foreign table ft (a int, b text) server s;"),
        ("duplicate-column", &[T], "create view dv (a, a) as select id, a from t;", "create view dv (a, b) as select id, a from t;"),
        ("duplicate-column", &["create type pt as (x int, y int);", "create table k (a pt);"], "update k set a = row(1, 2), a.x = 3;", "update k set a.x = 1, a.y = 2;"),
        ("concurrently-in-transaction", &[T], "-- sqlgate:no-transaction\nbegin;\ncreate index concurrently i on t (a);\ncommit;", "-- sqlgate:no-transaction\ncreate index concurrently i on t (a);"),
        ("transaction-control", &[], "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);", "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);\ncommit;"),
        ("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);\ncommit;\ncreate index concurrently i on t (a);", "-- sqlgate:no-transaction\nbegin;\ncreate table x (id int);\ncreate table y (id int);\ncommit;"),
        // Round 2: false alarms.
        ("set-not-null", &["alter table ext add constraint e_nn check (email is not null) not valid;"], "alter table ext alter column email set not null;", "alter table ext validate constraint e_nn;\nalter table ext alter column email set not null;"),
        ("alter-column-type", &["create table k (kind varchar(100));"], "alter table k alter column kind type varchar(1000) using lower(kind)::varchar(1000);", "alter table k alter column kind type varchar(1000) using kind::varchar(1000);"),
        ("alter-column-type", &["create table e (at timestamp);"], "alter table e alter column at type timestamptz;", "set timezone = 'UTC';\nalter table e alter column at type timestamptz;"),
        ("alter-column-type", &["create extension citext;", "create table c (email citext, name text);"], "alter table c alter column email type varchar(100);", "alter table c alter column email type text;\nalter table c alter column name type citext;"),
        ("alter-column-type", &["create table e (at timestamp(6), t time(3), i interval(3));"], "alter table e alter column at type timestamp(3);", "alter table e alter column at type timestamp;\nalter table e alter column t type time(6);\nalter table e alter column i type interval;"),
        ("add-column-volatile-default", &[T, "create function slug() returns text language sql immutable as $$ select 'x' $$;"], "alter table t add column s text default other_slug();", "alter table t add column s text default slug();"),
        ("identifier-too-long", &[], "create table abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij (id int);", "create table abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefgh (id int);"),
        ("identifier-too-long", &[], "drop index if exists index_on_customer_orders_by_customer_id_and_created_at_and_status_desc;", "drop index if exists customer_orders_idx;"),
    ];

    #[test]
    fn every_rule_fires_and_its_look_alike_does_not() {
        for (rule, shipped, bad, good) in PAIRS {
            let fired = case(shipped, &[bad]).rules();
            assert!(
                fired.contains(rule),
                "{rule} should fire on {bad:?}; got {fired:?}"
            );
            let quiet = case(shipped, &[good]).rules();
            assert!(
                !quiet.contains(rule),
                "{rule} should not fire on {good:?}; got {quiet:?}"
            );
        }
    }

    #[test]
    fn every_sql_rule_has_a_test_pair() {
        let covered: Vec<&str> = PAIRS.iter().map(|p| p.0).collect();
        let untested: Vec<&str> = crate::rules::registry::ALL
            .iter()
            .filter(|r| {
                [
                    "SQL validity and transactions",
                    "Data loss",
                    "Locking and rewrites",
                    "Breaking changes for running code",
                    "Security",
                    "Style",
                ]
                .contains(&r.category)
            })
            .map(|r| r.id)
            .filter(|id| !covered.contains(id))
            .filter(|id| {
                ![
                    "unanalyzable-statement",
                    "alter-enum-add-value-in-transaction",
                    "missing-lock-timeout",
                    "prefer-bigint",
                    "prefer-text",
                    "prefer-identity",
                ]
                .contains(id)
            })
            .collect();
        assert!(untested.is_empty(), "no fire/quiet pair for {untested:?}");
    }

    #[test]
    fn version_dependent_rules() {
        let enum_type = "create type mood as enum ('ok');";
        let mut c = case(&[enum_type], &["alter type mood add value 'sad';"]);
        assert!(!c.fires("alter-enum-add-value-in-transaction"));
        c.pg = 11;
        assert!(c.fires("alter-enum-add-value-in-transaction"));
        let mut c = case(
            &[enum_type],
            &["-- sqlgate:no-transaction\nalter type mood add value 'sad';"],
        );
        c.pg = 11;
        assert!(!c.fires("alter-enum-add-value-in-transaction"));
        // Before 11 every default rewrites.
        let mut c = case(
            &[T],
            &["alter table t add column flag boolean default true;"],
        );
        assert!(!c.fires("add-column-volatile-default"));
        c.pg = 10;
        assert!(c.fires("add-column-volatile-default"));
        // A validated CHECK only helps from 12 on.
        let mut c = case(
            &[
                T,
                "alter table t add constraint a_nn check (a is not null);",
            ],
            &["alter table t alter column a set not null;"],
        );
        assert!(!c.fires("set-not-null"));
        c.pg = 11;
        assert!(c.fires("set-not-null"));
    }

    #[test]
    fn round_two_messages_say_what_happens() {
        let msg = |shipped: &[&'static str], sql: &'static str, rule: &str| {
            let mut c = case(shipped, &[sql]);
            c.overrides
                .insert("prefer-bigint".into(), Some(Severity::Info));
            c.findings()
                .into_iter()
                .find(|f| f.rule == rule)
                .map(|f| (f.message, f.fix))
                .unwrap_or_else(|| panic!("{rule} on {sql}"))
        };
        let (m, _) = msg(&[], "create table n (a smallint);", "prefer-bigint");
        assert!(m.contains("16-bit") && m.contains("32,767"), "{m}");
        let (m, _) = msg(&[], "create table n (a integer);", "prefer-bigint");
        assert!(m.contains("32-bit"), "{m}");
        let (m, _) = msg(
            &["create table n (a int not null default 1);"],
            "alter table n alter column a drop default;",
            "drop-default",
        );
        assert!(m.contains("fails") && !m.contains("writes NULL"), "{m}");
        let (m, _) = msg(
            &["create table n (a int default 1);"],
            "alter table n alter column a drop default;",
            "drop-default",
        );
        assert!(m.contains("writes NULL"), "{m}");
        let (_, fix) = msg(
            &[],
            "-- sqlgate:no-transaction\nreindex system app;",
            "reindex-non-concurrently",
        );
        assert!(
            fix.contains("no concurrent form") && !fix.contains("TABLE"),
            "{fix}"
        );
        let (_, fix) = msg(
            &[],
            "-- sqlgate:no-transaction\nreindex database app;",
            "reindex-non-concurrently",
        );
        assert!(fix.contains("REINDEX DATABASE CONCURRENTLY app"), "{fix}");
        let (m, _) = msg(
            &[T],
            "alter table t add column s text default my_slug();",
            "add-column-volatile-default",
        );
        assert!(
            m.contains("unknown volatility") && m.contains("CREATE FUNCTION"),
            "{m}"
        );
        let (m, _) = msg(
            &[T],
            "alter table t add column s uuid default gen_random_uuid();",
            "add-column-volatile-default",
        );
        assert!(m.contains("which is volatile"), "{m}");
        let (m, _) = msg(&[T], "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);\ncreate index concurrently b_i on t (v);", "mixed-no-transaction");
        assert!(!m.contains("half-applied"), "{m}");
    }

    #[test]
    fn share_update_exclusive_statements_need_no_lock_timeout() {
        for sql in [
            "alter table t set (fillfactor = 70);",
            "alter table t validate constraint c;",
            "-- sqlgate:no-transaction\nalter table t detach partition p concurrently;",
        ] {
            let mut c = case(&[T], &[sql]);
            c.runner_timeout = false;
            assert!(!c.fires("missing-lock-timeout"), "{sql}: {:?}", c.rules());
        }
        for sql in [
            "drop trigger trg on t;",
            "alter table t set unlogged;",
            "alter table t detach partition p;",
        ] {
            let mut c = case(&[T], &[sql]);
            c.runner_timeout = false;
            assert!(c.fires("missing-lock-timeout"), "{sql}: {:?}", c.rules());
        }
    }

    #[test]
    fn detach_partition_depends_on_the_server_version() {
        let mut c = case(&[T], &["alter table t detach partition p;"]);
        assert!(c.fires("detach-partition-non-concurrently"));
        c.pg = 13;
        assert!(!c.fires("detach-partition-non-concurrently"));
    }

    #[test]
    fn lock_timeout_rule_follows_the_runner() {
        let mut c = case(&[T], &["alter table t add column b text;"]);
        assert!(!c.fires("missing-lock-timeout"));
        c.runner_timeout = false;
        assert!(c.fires("missing-lock-timeout"));
        let mut c = case(
            &[T],
            &["set lock_timeout = '2s';\nalter table t add column b text;"],
        );
        c.runner_timeout = false;
        assert!(!c.fires("missing-lock-timeout"));
        let mut c = case(
            &[],
            &["create table n (a int);\nalter table n add column b text;"],
        );
        c.runner_timeout = false;
        assert!(!c.fires("missing-lock-timeout"));
    }

    #[test]
    fn off_by_default_style_rules_can_be_enabled() {
        let mut c = case(
            &[],
            &["create table n (id serial primary key, name varchar(20));"],
        );
        assert!(
            !c.fires("prefer-bigint") && !c.fires("prefer-text") && !c.fires("prefer-identity")
        );
        c.overrides
            .insert("prefer-bigint".into(), Some(Severity::Warning));
        c.overrides
            .insert("prefer-text".into(), Some(Severity::Info));
        c.overrides
            .insert("prefer-identity".into(), Some(Severity::Info));
        assert!(c.fires("prefer-bigint") && c.fires("prefer-text") && c.fires("prefer-identity"));
    }

    #[test]
    fn dangerous_words_in_comments_strings_and_bodies_are_not_statements() {
        let c = case(
            &[T],
            &["-- drop table t;\n/* truncate t; */\nselect 'drop table t; delete from t';\ndo $$ begin raise notice 'drop table t'; end $$;\ncreate function g() returns void language plpgsql as $$ begin truncate t; delete from t; end $$;\ncreate function h() returns int language sql begin atomic select 1; end;"],
        );
        assert!(c.rules().is_empty(), "{:?}", c.rules());
    }

    #[test]
    fn objects_new_in_the_change_set_are_exempt() {
        // Table created by one new migration, indexed and constrained by the next.
        let c = case(&[], &["create table n (a int, b int);", "create index n_a on n (a);\nalter table n add constraint n_b check (b > 0);\nalter table n alter column a set not null;"]);
        assert!(c.rules().is_empty(), "{:?}", c.rules());
        // The same statements against a shipped table fire.
        let c = case(
            &["create table n (a int, b int);"],
            &["create index n_a on n (a);\nalter table n add constraint n_b check (b > 0);"],
        );
        assert_eq!(
            c.rules(),
            ["add-check-validating", "create-index-non-concurrently"]
        );
    }

    #[test]
    fn names_fold_like_postgresql() {
        let c = case(
            &["create table App.Users (id int);"],
            &["create index i on app.users (id);"],
        );
        assert!(c.fires("create-index-non-concurrently"));
        let c = case(
            &[],
            &["create table \"Users\" (id int);\ncreate index i on \"Users\" (id);"],
        );
        assert!(!c.fires("create-index-non-concurrently"));
        let c = case(
            &[],
            &["create table public.users (id int);\ncreate index i on users (id);"],
        );
        assert!(!c.fires("create-index-non-concurrently"));
    }

    #[test]
    fn findings_point_at_the_statement_and_offer_concrete_sql() {
        let f = case(
            &[T],
            &["-- add an index\n\n  create index t_a_idx on t (a);"],
        )
        .findings();
        let f = f
            .iter()
            .find(|f| f.rule == "create-index-non-concurrently")
            .expect("finding");
        assert_eq!((f.file.as_str(), f.line), ("m/002_m.sql", 3));
        assert!(
            f.message.contains("t_a_idx") && f.message.contains("SHARE lock"),
            "{}",
            f.message
        );
        assert!(
            f.fix.contains("CREATE INDEX CONCURRENTLY t_a_idx ON t"),
            "{}",
            f.fix
        );
        assert_eq!(
            f.statement.as_deref(),
            Some("create index t_a_idx on t (a)")
        );
        let f = case(
            &[T, U],
            &["alter table t add constraint t_u_fk foreign key (a) references u (id);"],
        )
        .findings();
        assert!(
            f[0].fix.contains("NOT VALID") && f[0].fix.contains("VALIDATE CONSTRAINT t_u_fk"),
            "{}",
            f[0].fix
        );
    }

    #[test]
    fn ignore_directives_silence_one_statement() {
        let c = case(&[T], &["-- sqlgate:ignore drop-column -- unused since v2\nalter table t drop column a;\nalter table t drop column v;"]);
        let f = c.findings();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!((f[0].rule.as_str(), f[0].line), ("drop-column", 3));
        let c = case(
            &[T],
            &["alter table t drop column a;\n-- sqlgate:ignore drop-column\n"],
        );
        assert!(c.fires("unused-ignore") && c.fires("drop-column"));
    }

    #[test]
    fn placeholders_and_passwords() {
        let mut c = case(&[], &["create role app login password :'app_password';"]);
        c.vars.insert("app_password".into(), "s3cret".into());
        assert!(!c.fires("plaintext-password"));
        assert!(!c.fires("syntax-error"));
    }

    #[test]
    fn sql_inside_do_blocks_and_called_functions_is_judged_where_it_is_written() {
        let c = case(
            &[T],
            &["do $$\nbegin\n  alter table t add column z int not null;\n  create index t_z on t (z);\nend $$;"],
        );
        let at = |rule: &str| {
            c.findings()
                .iter()
                .find(|f| f.rule == rule)
                .map(|f| (f.line, f.column))
        };
        assert_eq!(
            at("add-column-required"),
            Some((3, 28)),
            "{:?}",
            c.findings()
        );
        assert_eq!(at("create-index-non-concurrently"), Some((4, 23)));
        // A function: judged when the migration calls it, not when it is created.
        let f = "create function fill() returns void language plpgsql as $$ begin update t set a = 1; end $$;";
        let created = case(&[T], &[f]);
        assert!(
            !created.fires("update-without-where"),
            "{:?}",
            created.rules()
        );
        let called: &'static str = "create function fill() returns void language plpgsql as $$ begin update t set a = 1; end $$;\nselect public.fill();";
        assert!(case(&[T], &[called]).fires("update-without-where"));
        // A function without LANGUAGE has an SQL-standard body, not PL/pgSQL.
        let c = case(
            &[T],
            &["create function g() returns void begin atomic select 1; end;\nselect g();"],
        );
        assert!(!c.fires("unanalyzable-statement"), "{:?}", c.rules());
        // Other languages and bodies that do not parse are not guessed at.
        let c = case(
            &[T],
            &["do language plpython3u $$ plpy.execute('drop table t') $$;"],
        );
        assert!(!c.fires("drop-table"), "{:?}", c.rules());
        let c = case(&[T], &["do $$ begin if then end; end $$;"]);
        assert!(c.fires("unanalyzable-statement"), "{:?}", c.rules());
    }

    #[test]
    fn an_undefined_template_placeholder_is_named_not_a_syntax_error() {
        let ns = r#"index .Options "Namespace""#;
        let sql: &'static str = r#"create table {{ index .Options "Namespace" }}.users (id int);
create index {{index .Options "Namespace"}}_i on {{ index .Options "Namespace" }}.users (id);
drop table t;"#;
        let c = case(&[T], &[sql]);
        let f = c.findings();
        assert_eq!(c.rules(), ["drop-table", "undefined-placeholder"], "{f:?}");
        let f: Vec<_> = f
            .into_iter()
            .filter(|f| f.rule == "undefined-placeholder")
            .collect();
        assert_eq!(f.len(), 1, "one finding per name: {f:?}");
        assert_eq!((f[0].line, f[0].column), (1, 14));
        assert!(f[0].message.contains(ns), "{}", f[0].message);
        // Defined: substituted, parsed and linted like any SQL.
        let mut c = case(&[T], &[sql]);
        c.vars.insert(ns.into(), "auth".into());
        assert_eq!(c.rules(), ["drop-table"], "{:?}", c.findings());
        // Braces only inside strings and comments are data, not a template.
        let c = case(
            &[],
            &["-- Hello {{ .Name }}\ninsert into t (body) values ('Dear {{ .Name }}, ${amount}');"],
        );
        assert!(!c.fires("undefined-placeholder"), "{:?}", c.findings());
        // ... unless the file also uses them as a template, outside strings.
        let c = case(
            &[],
            &["create table {{ .S }}.t (body text default '{{ .Greeting }}');"],
        );
        assert_eq!(c.findings().len(), 2, "{:?}", c.findings());
        // A DO body (or a function's) is code the runner renders: placeholders there
        // are a template's, even though the body is a string to the scanner.
        let c = case(
            &[],
            &["DO $$ BEGIN\n  EXECUTE 'SET search_path TO {{ index .Options \"Namespace\" }}';\nEND $$;"],
        );
        assert!(c.fires("undefined-placeholder"), "{:?}", c.findings());
        let c = case(
            &[],
            &["create function f() returns int language sql as $$ select {{ .N }} $$;"],
        );
        assert!(c.fires("undefined-placeholder"), "{:?}", c.findings());
        let c = case(&[], &["comment on table t is $$ see {{ .Docs }} $$;"]);
        assert!(!c.fires("undefined-placeholder"), "{:?}", c.findings());
        // A real syntax error elsewhere in the file is still one.
        let c = case(
            &[],
            &["create table ${S}.t (id int);\ncreate tabel u (id int);"],
        );
        assert_eq!(c.rules(), ["syntax-error", "undefined-placeholder"]);
    }

    #[test]
    fn a_rename_with_a_compatibility_view_is_not_a_warning() {
        let c = case(
            &["create table cards (id int);"],
            &["alter table cards rename to cards_v2;\ncreate view cards as select * from cards_v2;"],
        );
        let f = c.findings();
        let rename = f.iter().find(|f| f.rule == "rename-table");
        assert!(
            rename.is_some_and(|f| f.severity == crate::model::Severity::Info
                && f.message.contains("keeps SELECT, INSERT")),
            "{f:?}"
        );
        // A view over something else does not count.
        let c = case(
            &[
                "create table cards (id int);",
                "create table other (id int);",
            ],
            &["alter table cards rename to cards_v2;\ncreate view cards as select * from other;"],
        );
        assert!(
            c.findings()
                .iter()
                .any(|f| f.rule == "rename-table" && f.severity == crate::model::Severity::Warning),
            "{:?}",
            c.findings()
        );
    }

    #[test]
    fn set_not_null_after_validating_an_unknown_constraint_says_it_cannot_tell() {
        let c = case(
            &[],
            &["alter table ext validate constraint ext_a_nn;\nalter table ext alter column a set not null;"],
        );
        let f = c.findings();
        let s = f.iter().find(|f| f.rule == "set-not-null");
        assert!(
            s.is_some_and(|f| f.severity == crate::model::Severity::Warning
                && f.message.contains("cannot tell")),
            "{f:?}"
        );
        let c = case(&[], &["alter table ext alter column a set not null;"]);
        assert!(
            c.findings()
                .iter()
                .any(|f| f.rule == "set-not-null" && f.severity == crate::model::Severity::Error),
            "{:?}",
            c.findings()
        );
    }

    #[test]
    fn drop_default_describes_the_column_after_the_same_statement() {
        let c = case(
            &["create table k (id int, a int not null default 0);"],
            &["alter table k alter column a drop not null, alter column a drop default;"],
        );
        let f = c.findings();
        let msg = f
            .iter()
            .find(|f| f.rule == "drop-default")
            .map(|f| f.message.clone())
            .unwrap_or_default();
        assert!(
            msg.contains("now writes NULL") && !msg.contains("fails"),
            "{msg}"
        );
        let c = case(
            &["create table k (id int, a int not null default 0);"],
            &["alter table k alter column a drop default;"],
        );
        let f = c.findings();
        assert!(
            f.iter()
                .any(|f| f.rule == "drop-default" && f.message.contains("fails")),
            "{f:?}"
        );
    }

    #[test]
    fn only_migrations_in_scope_are_linted() {
        let c = case(
            &[
                "create table n (a int);\ndrop table n;\ncreate table n (a int);",
                "truncate n;",
            ],
            &["select 1;"],
        );
        assert!(c.rules().is_empty(), "{:?}", c.rules());
    }
}
