//! The SQL rules: every statement of every migration in scope is judged against the
//! schema the migrations before it built (see `sql::schema`), in the migration's
//! transaction context. Objects created earlier in the same migration or in the same
//! change set are exempt from locking, rewrite and data-loss rules. Pure: a catalog in,
//! findings (and the resolved `sqlgate:ignore` directives) out.

use crate::catalog::{display_path, Catalog, Migration};
use crate::findings::Finding;
use crate::sql::schema::{self, Schema};
use crate::sql::{self, names, Parsed, Statement};
use pg_query::protobuf::{
    a_const, AlterTableCmd, AlterTableType, ColumnDef, ConstrType, Constraint, DefElem, Node,
    ObjectType, RangeVar, RoleSpecType, TransactionStmtKind, TypeName,
};
use pg_query::NodeEnum;
use std::collections::BTreeMap;

/// What the SQL rules need besides the catalog.
pub struct SqlOptions<'a> {
    pub display_dir: &'a str,
    /// Server version the rules assume (`pg_version`).
    pub pg_version: u32,
    /// The runner sets `lock_timeout` (sqlgate apply does, 5s by default).
    pub runner_lock_timeout: bool,
    pub vars: &'a BTreeMap<String, String>,
}

/// An ignore directive resolved to the lines it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The file as shown in findings.
    pub file: String,
    pub version: String,
    /// Line of the directive.
    pub line: u32,
    pub rules: Vec<String>,
    /// Lines of the statement it silences; `None` for `ignore-file`; `Some((0, 0))`
    /// when no statement follows it.
    pub lines: Option<(u32, u32)>,
}

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
    let texts: Vec<(&str, u32)> = cat
        .migrations
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
        let m = &cat.migrations[index];
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
    if cat.migrations.iter().all(in_scope) {
        return None;
    }
    let mut names = Vec::new();
    for m in cat.migrations.iter().filter(|m| in_scope(m)) {
        let parsed = sql::parse(&m.up.text, vars, m.up.first_line);
        if !parsed.problems.is_empty() {
            return None;
        }
        for stmt in &parsed.statements {
            for (node, ..) in stmt.node.nodes() {
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
                    pg_query::NodeRef::AlterEnumStmt(e) => {
                        names.extend(names::strings(&e.type_name).pop())
                    }
                    _ => {}
                }
            }
        }
    }
    names.retain(|n| !n.is_empty());
    names.sort();
    names.dedup();
    Some(names)
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
    if !in_scope {
        each_statement(m, pre, opts.vars, &mut |_, stmt| schema.apply(&stmt.node));
        return;
    }
    let file = display_path(opts.display_dir, &m.up.path);
    let mut state = MigrationState::default();
    let mut count = 0usize;
    let mut findings = Vec::new();
    let parsed = each_statement(m, pre, opts.vars, &mut |parsed, stmt| {
        let lint = Lint {
            m,
            parsed,
            stmt: &stmt,
            schema,
            opts,
            file: &file,
            in_tx: !m.no_transaction,
        };
        lint.statement(&mut state, &mut findings);
        count += 1;
        if m.no_transaction && count == 2 {
            findings.push(lint.finding(
                "mixed-no-transaction",
                -1,
                format!(
                    "`{}` runs without a transaction and has more than one statement: a failure after the first leaves it half-applied",
                    m.up.path
                ),
            ));
        }
        schema.apply(&stmt.node);
    });
    for p in &parsed.problems {
        out.findings.push(
            Finding::new(p.rule, file.clone(), p.message.clone())
                .at(p.line, p.column)
                .version(m.version.raw()),
        );
    }
    out.findings.extend(findings);
    resolve_ignores(m, &parsed, &file, &mut out.ignores);
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

#[derive(Default)]
struct MigrationState {
    lock_timeout_set: bool,
    /// Tables this migration emptied (DELETE without WHERE, TRUNCATE): adding a NOT
    /// NULL column to them cannot fail.
    emptied: Vec<String>,
    /// A table under ACCESS EXCLUSIVE, and the line of the statement that locked it.
    exclusive: Option<(String, u32)>,
    reported_after_exclusive: bool,
    reported_missing_timeout: bool,
}

struct Lint<'a> {
    m: &'a Migration,
    parsed: &'a Parsed,
    stmt: &'a Statement,
    schema: &'a Schema,
    opts: &'a SqlOptions<'a>,
    file: &'a str,
    in_tx: bool,
}

const MAX_STATEMENT_CHARS: usize = 2000;

fn deparse(node: NodeEnum) -> Option<String> {
    node.deparse(Default::default()).ok()
}

fn nodes(list: &[Node]) -> impl Iterator<Item = &NodeEnum> {
    list.iter().filter_map(|n| n.node.as_ref())
}

fn def_elems(list: &[Node]) -> impl Iterator<Item = &DefElem> {
    nodes(list).filter_map(|n| match n {
        NodeEnum::DefElem(d) => Some(d.as_ref()),
        _ => None,
    })
}

fn string_arg(d: &DefElem) -> Option<&str> {
    match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
        Some(NodeEnum::AConst(c)) => match &c.val {
            Some(a_const::Val::Sval(s)) => Some(s.sval.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn bool_arg(d: &DefElem) -> bool {
    match d.arg.as_ref().and_then(|a| a.node.as_ref()) {
        Some(NodeEnum::Boolean(b)) => b.boolval,
        Some(NodeEnum::Integer(i)) => i.ival != 0,
        Some(NodeEnum::String(s)) => matches!(s.sval.as_str(), "true" | "on" | "1"),
        None => true,
        _ => false,
    }
}

/// Functions that are not volatile and may appear in column defaults. Unknown
/// functions count as volatile: that is PostgreSQL's default for CREATE FUNCTION.
const NON_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_timestamp",
    "current_date",
    "localtimestamp",
    "lower",
    "upper",
    "btrim",
    "trim",
    "length",
    "char_length",
    "concat",
    "concat_ws",
    "abs",
    "round",
    "floor",
    "ceil",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "date_trunc",
    "to_timestamp",
    "to_char",
    "to_date",
    "current_setting",
    "current_user",
    "session_user",
    "current_schema",
    "md5",
    "replace",
    "substring",
    "substr",
    "left",
    "right",
    "format",
    "timezone",
    "age",
    "date_part",
    "extract",
    "array_fill",
    "string_to_array",
    "jsonb_typeof",
    "inet_client_addr",
    "pg_backend_pid",
    "current_database",
    "version",
];

/// The first volatile function called by a default expression, if any.
fn volatile_call(node: &NodeEnum, depth: usize) -> Option<String> {
    if depth > 64 {
        return None;
    }
    let sub = |n: &Option<Box<Node>>| {
        n.as_ref()
            .and_then(|n| n.node.as_ref())
            .and_then(|n| volatile_call(n, depth + 1))
    };
    let list = |l: &[Node]| nodes(l).find_map(|n| volatile_call(n, depth + 1));
    match node {
        NodeEnum::FuncCall(f) => {
            let name = names::strings(&f.funcname)
                .last()
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            if !NON_VOLATILE.contains(&name.as_str()) {
                return Some(name);
            }
            list(&f.args)
        }
        NodeEnum::TypeCast(t) => sub(&t.arg),
        NodeEnum::AExpr(e) => sub(&e.lexpr).or_else(|| sub(&e.rexpr)),
        NodeEnum::BoolExpr(b) => list(&b.args),
        NodeEnum::CoalesceExpr(c) => list(&c.args),
        NodeEnum::MinMaxExpr(c) => list(&c.args),
        NodeEnum::AArrayExpr(a) => list(&a.elements),
        NodeEnum::RowExpr(r) => list(&r.args),
        NodeEnum::CaseExpr(c) => sub(&c.arg)
            .or_else(|| list(&c.args))
            .or_else(|| sub(&c.defresult)),
        NodeEnum::CaseWhen(w) => sub(&w.expr).or_else(|| sub(&w.result)),
        NodeEnum::NullTest(n) => sub(&n.arg),
        NodeEnum::SubLink(_) => Some("a subquery".into()),
        _ => None,
    }
}

fn is_null_const(node: Option<&NodeEnum>) -> bool {
    match node {
        Some(NodeEnum::AConst(c)) => c.isnull,
        Some(NodeEnum::TypeCast(t)) => is_null_const(t.arg.as_ref().and_then(|a| a.node.as_ref())),
        _ => false,
    }
}

fn constraints(def: &ColumnDef) -> impl Iterator<Item = &Constraint> {
    nodes(&def.constraints).filter_map(|n| match n {
        NodeEnum::Constraint(c) => Some(c.as_ref()),
        _ => None,
    })
}

fn contype(c: &Constraint) -> ConstrType {
    ConstrType::try_from(c.contype).unwrap_or(ConstrType::Undefined)
}

fn column_default(def: &ColumnDef) -> Option<&NodeEnum> {
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

fn type_display(t: &TypeName) -> String {
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

/// True when changing `old` to `new` needs no table rewrite (binary-coercible).
pub fn binary_coercible(old: &schema::Column, new: &TypeName) -> bool {
    let new_name = schema::type_name(new);
    let new_mods = schema::typmods(new);
    let new_array = !new.array_bounds.is_empty();
    if old.array != new_array {
        return false;
    }
    let widened = |old_mods: &[i64], new_mods: &[i64]| match (old_mods.first(), new_mods.first()) {
        (_, None) => true,
        (Some(o), Some(n)) => n >= o,
        (None, Some(_)) => false,
    };
    match (old.type_name.as_str(), new_name.as_str()) {
        (a, b) if a == b && old.typmods == new_mods => true,
        ("varchar", "varchar") | ("varbit", "varbit") => widened(&old.typmods, &new_mods),
        ("varchar", "text") | ("text", "varchar") => new_name == "text" || new_mods.is_empty(),
        ("bpchar", "text") | ("bpchar", "varchar") => {
            new_mods.is_empty() || widened(&old.typmods, &new_mods)
        }
        ("numeric", "numeric") => {
            new_mods.is_empty()
                || (old.typmods.len() == 2
                    && new_mods.len() == 2
                    && new_mods[1] == old.typmods[1]
                    && new_mods[0] >= old.typmods[0])
        }
        ("cidr", "inet") => true,
        _ => false,
    }
}

impl Lint<'_> {
    fn finding(&self, rule: &'static str, location: i32, message: String) -> Finding {
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

    fn push(
        &self,
        out: &mut Vec<Finding>,
        rule: &'static str,
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

    fn existing(&self, key: &str) -> bool {
        !self.schema.table_is_new(key)
    }

    fn no_tx_fix(&self, sql: &str) -> String {
        format!("Run it in a migration of its own whose first line is `-- sqlgate:no-transaction`:\n    {sql};")
    }

    fn statement(&self, state: &mut MigrationState, out: &mut Vec<Finding>) {
        let node = &self.stmt.node;
        self.identifiers(node, out);
        match node {
            NodeEnum::TransactionStmt(t) if self.in_tx => {
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
                self.push(
                    out,
                    "transaction-control",
                    t.location,
                    format!(
                        "{word} in `{}`, which the runner already wraps in a transaction",
                        self.m.up.path
                    ),
                    None,
                );
            }
            NodeEnum::VariableSetStmt(v) if v.name == "lock_timeout" => {
                state.lock_timeout_set = true;
            }
            NodeEnum::IndexStmt(s) => self.index(s, out),
            NodeEnum::DropStmt(s) => self.drop(s, out),
            NodeEnum::DropdbStmt(s) => {
                self.push(
                    out,
                    "drop-database",
                    -1,
                    format!(
                        "DROP DATABASE {} deletes a whole database",
                        names::ident(&s.dbname)
                    ),
                    None,
                );
                self.non_transactional("DROP DATABASE", out);
            }
            NodeEnum::CreatedbStmt(_) => self.non_transactional("CREATE DATABASE", out),
            NodeEnum::AlterSystemStmt(_) => self.non_transactional("ALTER SYSTEM", out),
            NodeEnum::CreateTableSpaceStmt(_) => self.non_transactional("CREATE TABLESPACE", out),
            NodeEnum::DropTableSpaceStmt(_) => self.non_transactional("DROP TABLESPACE", out),
            NodeEnum::VacuumStmt(v) => {
                let full = def_elems(&v.options).any(|d| d.defname == "full" && bool_arg(d));
                if v.is_vacuumcmd {
                    self.non_transactional(if full { "VACUUM FULL" } else { "VACUUM" }, out);
                }
                let tables: Vec<String> = nodes(&v.rels)
                    .filter_map(|r| match r {
                        NodeEnum::VacuumRelation(vr) => vr.relation.as_ref().map(names::range_var),
                        _ => None,
                    })
                    .collect();
                if full && (tables.is_empty() || tables.iter().any(|t| self.existing(t))) {
                    let what = if tables.is_empty() {
                        "every table".to_string()
                    } else {
                        tables.join(", ")
                    };
                    self.push(out, "vacuum-full", -1, format!(
                        "VACUUM FULL rewrites {what} under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite"), None);
                }
            }
            NodeEnum::ReindexStmt(r) => {
                let concurrent =
                    def_elems(&r.params).any(|d| d.defname == "concurrently" && bool_arg(d));
                let target = r
                    .relation
                    .as_ref()
                    .map(names::range_var)
                    .unwrap_or_else(|| r.name.clone());
                let kind = pg_query::protobuf::ReindexObjectType::try_from(r.kind)
                    .unwrap_or(pg_query::protobuf::ReindexObjectType::Undefined);
                use pg_query::protobuf::ReindexObjectType as K;
                let table_of = |t: &str| match kind {
                    K::ReindexObjectIndex => self.schema.index(t).map(|(tab, _)| tab.clone()),
                    _ => Some(t.to_string()),
                };
                if matches!(
                    kind,
                    K::ReindexObjectDatabase | K::ReindexObjectSystem | K::ReindexObjectSchema
                ) {
                    self.non_transactional("REINDEX DATABASE/SCHEMA/SYSTEM", out);
                }
                if concurrent {
                    if self.in_tx {
                        self.push(out, "concurrently-in-transaction", -1, format!(
                            "REINDEX … CONCURRENTLY of {} cannot run inside the migration's transaction", names::show(&target)),
                            Some(self.no_tx_fix(self.parsed.text(self.stmt))));
                    }
                } else if table_of(&target).is_none_or(|t| self.existing(&t)) {
                    let fix = if self.opts.pg_version >= 12 {
                        self.no_tx_fix(&format!(
                            "REINDEX {} CONCURRENTLY {}",
                            if kind == K::ReindexObjectIndex {
                                "INDEX"
                            } else {
                                "TABLE"
                            },
                            names::show(&target)
                        ))
                    } else {
                        "PostgreSQL before 12 has no REINDEX CONCURRENTLY: build a new index CONCURRENTLY, drop the old one CONCURRENTLY, rename.".into()
                    };
                    self.push(out, "reindex-non-concurrently", -1, format!(
                        "REINDEX of {} blocks writes to the table (and reads through the index) until the rebuild finishes", names::show(&target)), Some(fix));
                }
            }
            NodeEnum::ClusterStmt(c) => {
                let table = c.relation.as_ref().map(names::range_var);
                if table.as_deref().is_none_or(|t| self.existing(t)) {
                    let what = table
                        .map(|t| names::show(&t))
                        .unwrap_or_else(|| "every clustered table".into());
                    self.push(
                        out,
                        "cluster",
                        -1,
                        format!("CLUSTER rewrites {what} under an ACCESS EXCLUSIVE lock"),
                        None,
                    );
                }
            }
            NodeEnum::RefreshMatViewStmt(r) if !r.concurrent => {
                let key = r
                    .relation
                    .as_ref()
                    .map(names::range_var)
                    .unwrap_or_default();
                let new = self
                    .schema
                    .matviews
                    .get(&key)
                    .is_some_and(|c| self.schema.is_new(*c));
                if !new {
                    self.push(out, "refresh-matview-non-concurrently", -1, format!(
                        "REFRESH MATERIALIZED VIEW {} blocks every read of the view until it finishes", names::show(&key)),
                        Some(format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {}; (needs a unique index on the view)", names::show(&key))));
                }
            }
            NodeEnum::LockStmt(l) => {
                let tables: Vec<String> = nodes(&l.relations)
                    .filter_map(|r| match r {
                        NodeEnum::RangeVar(rv) => Some(names::range_var(rv)),
                        _ => None,
                    })
                    .filter(|t| self.existing(t))
                    .collect();
                if !tables.is_empty() {
                    self.push(
                        out,
                        "lock-table",
                        -1,
                        format!(
                            "LOCK TABLE {} holds the lock until the migration commits",
                            tables
                                .iter()
                                .map(|t| names::show(t))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        None,
                    );
                }
            }
            NodeEnum::AlterEnumStmt(e)
                if e.old_val.is_empty() && self.in_tx && self.opts.pg_version < 12 =>
            {
                self.push(out, "alter-enum-add-value-in-transaction", -1, format!(
                    "ALTER TYPE {} ADD VALUE '{}' fails inside a transaction on PostgreSQL {} (pg_version)",
                    names::show(&names::list_key(&e.type_name)), e.new_val, self.opts.pg_version), None);
            }
            NodeEnum::TruncateStmt(t) => {
                for rv in nodes(&t.relations).filter_map(|r| match r {
                    NodeEnum::RangeVar(rv) => Some(rv),
                    _ => None,
                }) {
                    let key = names::range_var(rv);
                    if self.existing(&key) {
                        self.push(out, "truncate", rv.location, format!(
                            "TRUNCATE {} deletes every row of the table under an ACCESS EXCLUSIVE lock", names::show(&key)), None);
                    }
                }
            }
            NodeEnum::DeleteStmt(d) if d.where_clause.is_none() => {
                if let Some(rv) = &d.relation {
                    let key = names::range_var(rv);
                    if self.existing(&key) {
                        self.push(
                            out,
                            "delete-without-where",
                            rv.location,
                            format!(
                                "DELETE FROM {} without WHERE deletes every row",
                                names::show(&key)
                            ),
                            None,
                        );
                    }
                }
            }
            NodeEnum::UpdateStmt(u) if u.where_clause.is_none() => {
                if let Some(rv) = &u.relation {
                    let key = names::range_var(rv);
                    if self.existing(&key) {
                        self.push(out, "update-without-where", rv.location, format!(
                            "UPDATE {} without WHERE rewrites every row inside the migration's transaction", names::show(&key)), None);
                    }
                }
            }
            NodeEnum::AlterTableStmt(a) => self.alter_table(a, &state.emptied, out),
            NodeEnum::RenameStmt(r) => self.rename(r, out),
            NodeEnum::CreateStmt(c) => {
                for def in nodes(&c.table_elts).filter_map(|n| match n {
                    NodeEnum::ColumnDef(d) => Some(d.as_ref()),
                    _ => None,
                }) {
                    self.style(def, out);
                }
            }
            NodeEnum::CreateRoleStmt(r) => self.password(&r.options, &r.role, out),
            NodeEnum::AlterRoleStmt(r) => {
                let role = r
                    .role
                    .as_ref()
                    .map(|s| s.rolename.clone())
                    .unwrap_or_default();
                self.password(&r.options, &role, out);
            }
            NodeEnum::CreateFunctionStmt(f) => {
                let definer = def_elems(&f.options).any(|d| d.defname == "security" && bool_arg(d));
                let sets_path = def_elems(&f.options).any(|d| {
                    d.defname == "set"
                        && matches!(
                    d.arg.as_ref().and_then(|a| a.node.as_ref()),
                    Some(NodeEnum::VariableSetStmt(v)) if v.name == "search_path")
                });
                if definer && !sets_path {
                    let name = names::strings(&f.funcname).join(".");
                    self.push(out, "security-definer-search-path", -1, format!(
                        "SECURITY DEFINER function {name} does not set search_path: callers can make it run their objects with its owner's rights"),
                        Some(format!("Add `SET search_path = pg_catalog, pg_temp` to {name} and schema-qualify what it uses.")));
                }
            }
            NodeEnum::AlterFunctionStmt(f) => {
                let definer = def_elems(&f.actions).any(|d| d.defname == "security" && bool_arg(d));
                let sets_path = def_elems(&f.actions).any(|d| d.defname == "set");
                if definer && !sets_path {
                    self.push(
                        out,
                        "security-definer-search-path",
                        -1,
                        "ALTER FUNCTION … SECURITY DEFINER without SET search_path".into(),
                        None,
                    );
                }
            }
            NodeEnum::GrantStmt(g) if g.is_grant => {
                let public = nodes(&g.grantees).any(|n| matches!(n, NodeEnum::RoleSpec(r) if r.roletype == RoleSpecType::RolespecPublic as i32));
                if public {
                    self.push(
                        out,
                        "grant-to-public",
                        -1,
                        "GRANT … TO PUBLIC gives the privilege to every role, present and future"
                            .into(),
                        None,
                    );
                }
            }
            _ => {}
        }
        self.locks(state, out);
    }

    fn non_transactional(&self, what: &str, out: &mut Vec<Finding>) {
        if self.in_tx {
            self.push(
                out,
                "non-transactional-statement",
                -1,
                format!("{what} cannot run inside the migration's transaction: the deploy fails"),
                Some(self.no_tx_fix(self.parsed.text(self.stmt))),
            );
        }
    }

    fn index(&self, s: &pg_query::protobuf::IndexStmt, out: &mut Vec<Finding>) {
        let Some(rv) = &s.relation else { return };
        let table = names::range_var(rv);
        let name = if s.idxname.is_empty() {
            "an index".to_string()
        } else {
            names::ident(&s.idxname)
        };
        if s.concurrent {
            if self.in_tx {
                self.push(out, "concurrently-in-transaction", -1, format!(
                    "CREATE INDEX CONCURRENTLY {name} on {} cannot run inside the migration's transaction", names::show(&table)),
                    Some(self.no_tx_fix(self.parsed.text(self.stmt))));
            }
        } else if self.existing(&table) {
            let mut concurrent = s.clone();
            concurrent.concurrent = true;
            let sql = deparse(NodeEnum::IndexStmt(Box::new(concurrent)))
                .unwrap_or_else(|| "CREATE INDEX CONCURRENTLY …".into());
            self.push(out, "create-index-non-concurrently", rv.location, format!(
                "CREATE INDEX {name} on existing table {} takes a SHARE lock: inserts, updates and deletes wait until the index is built",
                names::show(&table)), Some(self.no_tx_fix(&sql)));
        }
    }

    fn drop(&self, s: &pg_query::protobuf::DropStmt, out: &mut Vec<Finding>) {
        let kind = ObjectType::try_from(s.remove_type).unwrap_or(ObjectType::Undefined);
        let objects: Vec<String> = nodes(&s.objects)
            .filter_map(|o| match o {
                NodeEnum::List(l) => Some(names::list_key(&l.items)),
                NodeEnum::String(st) => Some(st.sval.clone()),
                _ => None,
            })
            .collect();
        match kind {
            ObjectType::ObjectIndex => {
                for idx in &objects {
                    if s.concurrent {
                        if self.in_tx {
                            self.push(out, "concurrently-in-transaction", -1, format!(
                                "DROP INDEX CONCURRENTLY {} cannot run inside the migration's transaction", names::show(idx)),
                                Some(self.no_tx_fix(self.parsed.text(self.stmt))));
                        }
                        continue;
                    }
                    let on_new_table = self
                        .schema
                        .index(idx)
                        .is_some_and(|(t, c)| self.schema.is_new(*c) || !self.existing(t));
                    if !on_new_table {
                        let table = self
                            .schema
                            .index(idx)
                            .map(|(t, _)| format!(" on {}", names::show(t)))
                            .unwrap_or_default();
                        self.push(out, "drop-index-non-concurrently", -1, format!(
                            "DROP INDEX {}{table} takes an ACCESS EXCLUSIVE lock on the table: it waits for running queries and blocks everything behind it",
                            names::show(idx)),
                            Some(self.no_tx_fix(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", names::show(idx)))));
                    }
                }
            }
            ObjectType::ObjectTable => {
                for t in objects.iter().filter(|t| self.existing(t)) {
                    self.push(
                        out,
                        "drop-table",
                        -1,
                        format!(
                            "DROP TABLE {} deletes the table and all its rows",
                            names::show(t)
                        ),
                        None,
                    );
                }
            }
            ObjectType::ObjectSchema => {
                for sch in &objects {
                    self.push(
                        out,
                        "drop-schema",
                        -1,
                        format!(
                            "DROP SCHEMA {} deletes the schema{}",
                            names::ident(sch),
                            if s.behavior == pg_query::protobuf::DropBehavior::DropCascade as i32 {
                                " and everything in it (CASCADE)"
                            } else {
                                ""
                            }
                        ),
                        None,
                    );
                }
            }
            _ => {}
        }
    }

    fn rename(&self, r: &pg_query::protobuf::RenameStmt, out: &mut Vec<Finding>) {
        let Some(rv) = &r.relation else { return };
        let table = names::range_var(rv);
        if !self.existing(&table) {
            return;
        }
        match ObjectType::try_from(r.rename_type).unwrap_or(ObjectType::Undefined) {
            ObjectType::ObjectTable => self.push(out, "rename-table", rv.location, format!(
                "renaming table {} to {} breaks running code that still uses the old name", names::show(&table), names::ident(&r.newname)),
                Some(format!("ALTER TABLE {} RENAME TO {};\nCREATE VIEW {} AS SELECT * FROM {}; -- until every deployed version uses the new name",
                    names::show(&table), names::ident(&r.newname), names::show(&table), names::ident(&r.newname)))),
            ObjectType::ObjectColumn => self.push(out, "rename-column", rv.location, format!(
                "renaming column {}.{} to {} breaks running code that still uses the old name",
                names::show(&table), names::ident(&r.subname), names::ident(&r.newname)), None),
            _ => {}
        }
    }

    fn password(&self, options: &[Node], role: &str, out: &mut Vec<Finding>) {
        for d in def_elems(options).filter(|d| d.defname == "password") {
            let Some(pw) = string_arg(d) else { continue };
            let hashed =
                pw.starts_with("SCRAM-SHA-256$") || (pw.len() == 35 && pw.starts_with("md5"));
            // Written in the file (not substituted from a placeholder)?
            let literal = format!("'{}'", pw.replace('\'', "''"));
            if !hashed && self.parsed.text(self.stmt).contains(&literal) {
                self.push(out, "plaintext-password", d.location, format!(
                    "the password of role {} is written in the migration, so it is in git history", names::ident(role)),
                    Some(format!("Use a placeholder filled from a secret: `PASSWORD :'{role}_password'` with `--var {role}_password=…` (or set the password outside migrations).")));
            }
        }
    }

    fn style(&self, def: &ColumnDef, out: &mut Vec<Finding>) {
        let Some(t) = &def.type_name else { return };
        let name = schema::type_name(t);
        let mods = schema::typmods(t);
        let col = names::ident(&def.colname);
        let loc = def.location;
        match name.as_str() {
            "int4" | "int2" | "serial" | "serial4" | "smallserial" | "serial2" => {
                self.push(
                    out,
                    "prefer-bigint",
                    loc,
                    format!("column {col} is {}: 32-bit values run out", type_display(t)),
                    None,
                );
            }
            _ => {}
        }
        if matches!(
            name.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
        ) {
            self.push(
                out,
                "prefer-identity",
                loc,
                format!("column {col} is {name}"),
                Some(format!("{col} bigint GENERATED ALWAYS AS IDENTITY")),
            );
        }
        match name.as_str() {
            "varchar" if !mods.is_empty() => self.push(
                out,
                "prefer-text",
                loc,
                format!("column {col} is {}", type_display(t)),
                None,
            ),
            "timestamp" => self.push(
                out,
                "prefer-timestamptz",
                loc,
                format!("column {col} is timestamp without time zone"),
                Some(format!("{col} timestamptz")),
            ),
            "json" => self.push(
                out,
                "prefer-jsonb",
                loc,
                format!("column {col} is json"),
                Some(format!("{col} jsonb")),
            ),
            "bpchar" => self.push(
                out,
                "ban-char",
                loc,
                format!("column {col} is {}", type_display(t)),
                Some(format!("{col} text")),
            ),
            _ => {}
        }
    }

    /// `identifier-too-long`: the parser truncates long names itself, so the tokens of
    /// the statement's text are measured, in statements that define or rename objects.
    fn identifiers(&self, node: &NodeEnum, out: &mut Vec<Finding>) {
        let defines = matches!(
            node,
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
        );
        if !defines {
            return;
        }
        let sql = self.parsed.substituted_text(self.stmt);
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
                let (line, col) = self
                    .parsed
                    .location(self.stmt, self.stmt_offset_in_substituted() + a as i32);
                let mut f = self.finding(
                    "identifier-too-long",
                    -1,
                    format!(
                        "`{name}` is {} bytes; PostgreSQL silently truncates it to 63 (`{}`)",
                        name.len(),
                        truncate_bytes(&name, 63)
                    ),
                );
                f.line = line;
                f.column = col;
                out.push(f);
                seen.push(name);
            }
        }
    }

    /// Offset of the statement's start relative to the parsed input (for `location`).
    fn stmt_offset_in_substituted(&self) -> i32 {
        self.parsed.statement_offset(self.stmt) as i32
    }

    fn alter_table(
        &self,
        a: &pg_query::protobuf::AlterTableStmt,
        emptied: &[String],
        out: &mut Vec<Finding>,
    ) {
        let Some(rv) = &a.relation else { return };
        if a.objtype != ObjectType::ObjectTable as i32 && a.objtype != ObjectType::Undefined as i32
        {
            return;
        }
        let table = names::range_var(rv);
        let existing = self.existing(&table);
        for cmd in nodes(&a.cmds).filter_map(|n| match n {
            NodeEnum::AlterTableCmd(c) => Some(c.as_ref()),
            _ => None,
        }) {
            let def = cmd.def.as_ref().and_then(|d| d.node.as_ref());
            let kind = AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined);
            if let (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(d))) = (kind, def) {
                self.style(d, out);
            }
            if kind == AlterTableType::AtDetachPartition {
                if let Some(NodeEnum::PartitionCmd(p)) = def {
                    if p.concurrent && self.in_tx {
                        self.push(out, "concurrently-in-transaction", rv.location, format!(
                            "DETACH PARTITION … CONCURRENTLY on {} cannot run inside the migration's transaction", names::show(&table)),
                            Some(self.no_tx_fix(self.parsed.text(self.stmt))));
                    }
                }
            }
            if kind == AlterTableType::AtDisableRowSecurity && existing {
                self.push(
                    out,
                    "disable-row-level-security",
                    rv.location,
                    format!(
                        "row level security is disabled on {}: its policies stop applying",
                        names::show(&table)
                    ),
                    None,
                );
            }
            if !existing {
                continue;
            }
            self.alter_existing(&table, rv, cmd, kind, def, emptied.contains(&table), out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn alter_existing(
        &self,
        table: &str,
        rv: &RangeVar,
        cmd: &AlterTableCmd,
        kind: AlterTableType,
        def: Option<&NodeEnum>,
        emptied: bool,
        out: &mut Vec<Finding>,
    ) {
        let t = names::show(table);
        let col = names::ident(&cmd.name);
        match (kind, def) {
            (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(d))) => {
                self.add_column(table, d, emptied, out)
            }
            (AlterTableType::AtDropColumn, _) => self.push(
                out,
                "drop-column",
                rv.location,
                format!(
                "DROP COLUMN {t}.{col} deletes the column's data; running code that uses it fails"),
                None,
            ),
            (AlterTableType::AtAlterColumnType, Some(NodeEnum::ColumnDef(d))) => {
                let Some(new) = &d.type_name else { return };
                let old = self
                    .schema
                    .tables
                    .get(table)
                    .and_then(|tab| tab.columns.get(&cmd.name));
                let using = d.raw_default.is_some();
                if let Some(old) = old {
                    if !using && binary_coercible(old, new) {
                        return;
                    }
                }
                let from = old
                    .map(|o| {
                        let mods = if o.typmods.is_empty() {
                            String::new()
                        } else {
                            format!(
                                "({})",
                                o.typmods
                                    .iter()
                                    .map(i64::to_string)
                                    .collect::<Vec<_>>()
                                    .join(",")
                            )
                        };
                        format!(" from {}{mods}", o.type_name)
                    })
                    .unwrap_or_default();
                self.push(out, "alter-column-type", d.location, format!(
                    "changing {t}.{col}{from} to {} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
                    type_display(new)),
                    Some(format!(
                        "ALTER TABLE {t} ADD COLUMN {}_new {};\n-- backfill in batches, switch the code to the new column, then drop {col} and rename",
                        cmd.name, type_display(new))));
            }
            (AlterTableType::AtSetNotNull, _) => {
                let checked = self
                    .schema
                    .tables
                    .get(table)
                    .is_some_and(|tab| tab.has_valid_not_null_check(&cmd.name));
                if checked && self.opts.pg_version >= 12 {
                    return;
                }
                let con = format!("{}_{}_not_null", rv.relname, cmd.name);
                self.push(out, "set-not-null", rv.location, format!(
                    "SET NOT NULL on {t}.{col} scans the whole table under an ACCESS EXCLUSIVE lock"),
                    Some(if self.opts.pg_version >= 12 { format!(
                        "ALTER TABLE {t} ADD CONSTRAINT {con} CHECK ({col} IS NOT NULL) NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};\nALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;\nALTER TABLE {t} DROP CONSTRAINT {con};")
                    } else { format!("On PostgreSQL {} there is no scan-free way: use CHECK ({col} IS NOT NULL) NOT VALID + VALIDATE instead of SET NOT NULL.", self.opts.pg_version) }));
            }
            (AlterTableType::AtDropNotNull, _) => self.push(
                out,
                "drop-not-null",
                rv.location,
                format!("DROP NOT NULL on {t}.{col}: code that expects a value may now read NULL"),
                None,
            ),
            (AlterTableType::AtColumnDefault, None) => self.push(
                out,
                "drop-default",
                rv.location,
                format!(
                    "DROP DEFAULT on {t}.{col}: running code that omits the column now writes NULL"
                ),
                None,
            ),
            (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(c))) => {
                self.add_constraint(table, rv, None, c, out)
            }
            _ => {}
        }
    }

    fn add_column(&self, table: &str, d: &ColumnDef, emptied: bool, out: &mut Vec<Finding>) {
        let t = names::show(table);
        let col = names::ident(&d.colname);
        let ty = d.type_name.as_ref().map(type_display).unwrap_or_default();
        let type_name = d
            .type_name
            .as_ref()
            .map(schema::type_name)
            .unwrap_or_default();
        let serial = matches!(
            type_name.as_str(),
            "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
        );
        let identity = !d.identity.is_empty()
            || constraints(d).any(|c| contype(c) == ConstrType::ConstrIdentity);
        if serial || identity {
            self.push(out, "add-column-serial", d.location, format!(
                "adding {}column {t}.{col} fills every existing row from a sequence: the table is rewritten under an ACCESS EXCLUSIVE lock",
                if serial { format!("{type_name} ") } else { "identity ".into() }),
                Some(format!("ALTER TABLE {t} ADD COLUMN {col} bigint;\nCREATE SEQUENCE {}_{}_seq OWNED BY {t}.{col};\nALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT nextval('{}_{}_seq');\n-- backfill existing rows in batches",
                    table.replace('.', "_"), d.colname, table.replace('.', "_"), d.colname)));
        }
        if constraints(d).any(|c| contype(c) == ConstrType::ConstrGenerated) {
            self.push(out, "add-column-generated-stored", d.location, format!(
                "adding generated column {t}.{col} computes and stores it for every row: a full rewrite under an ACCESS EXCLUSIVE lock"), None);
        }
        let default = column_default(d);
        let has_default = default.is_some_and(|e| !is_null_const(Some(e)));
        if let Some(expr) = default.filter(|_| has_default && !serial) {
            let volatile = volatile_call(expr, 0);
            if volatile.is_some() || self.opts.pg_version < 11 {
                let why = match &volatile {
                    Some(f) => {
                        format!("its default calls {f}(), which is volatile (evaluated per row)")
                    }
                    None => format!(
                        "PostgreSQL {} stores any default by rewriting",
                        self.opts.pg_version
                    ),
                };
                let expr_sql = deparse_expr(expr).unwrap_or_else(|| "<default>".into());
                self.push(out, "add-column-volatile-default", d.location, format!(
                    "adding {t}.{col} rewrites the whole table under an ACCESS EXCLUSIVE lock: {why}"),
                    Some(format!("ALTER TABLE {t} ADD COLUMN {col} {ty};\nALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {expr_sql};\n-- backfill existing rows in batches: UPDATE {t} SET {col} = {expr_sql} WHERE … AND {col} IS NULL;")));
            }
        }
        let not_null = d.is_not_null
            || constraints(d).any(|c| {
                matches!(
                    contype(c),
                    ConstrType::ConstrNotnull | ConstrType::ConstrPrimary
                )
            });
        if not_null
            && !has_default
            && !emptied
            && !serial
            && !identity
            && !constraints(d).any(|c| contype(c) == ConstrType::ConstrGenerated)
        {
            self.push(out, "add-column-required", d.location, format!(
                "adding {t}.{col} as NOT NULL without a default fails as soon as {t} has a row (\"column contains null values\")"),
                Some(format!("ALTER TABLE {t} ADD COLUMN {col} {ty} NOT NULL DEFAULT <value>;  -- a constant default is instant on PostgreSQL 11+")));
        }
        for c in constraints(d) {
            self.add_constraint(
                table,
                &RangeVar {
                    location: d.location,
                    ..Default::default()
                },
                Some(&d.colname),
                c,
                out,
            );
        }
    }

    fn add_constraint(
        &self,
        table: &str,
        rv: &RangeVar,
        column: Option<&str>,
        c: &Constraint,
        out: &mut Vec<Finding>,
    ) {
        let t = names::show(table);
        let loc = if c.location >= 0 {
            c.location
        } else {
            rv.location
        };
        let cols = |keys: &[Node]| {
            let k = names::strings(keys);
            if k.is_empty() {
                column.map(str::to_string).unwrap_or_default()
            } else {
                k.join(", ")
            }
        };
        let name = |suffix: &str, keys: &[Node]| {
            let base = table.rsplit('.').next().unwrap_or(table);
            let cols = cols(keys).replace(", ", "_");
            if !c.conname.is_empty() {
                c.conname.clone()
            } else if cols.is_empty() {
                format!("{base}_{suffix}")
            } else {
                format!("{base}_{cols}_{suffix}")
            }
        };
        match contype(c) {
            ConstrType::ConstrForeign if !c.skip_validation => {
                let target = c.pktable.as_ref().map(names::range_var).unwrap_or_default();
                let con = name("fkey", &c.fk_attrs);
                let refcols = names::strings(&c.pk_attrs).join(", ");
                let refcols = if refcols.is_empty() {
                    String::new()
                } else {
                    format!(" ({refcols})")
                };
                self.push(out, "add-foreign-key-validating", loc, format!(
                    "adding foreign key {con} on {t} validates every row while holding SHARE ROW EXCLUSIVE locks on {t} and {}: writes to both wait",
                    names::show(&target)),
                    Some(format!("ALTER TABLE {t} ADD CONSTRAINT {con} FOREIGN KEY ({}) REFERENCES {}{refcols} NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};",
                        cols(&c.fk_attrs), names::show(&target))));
            }
            ConstrType::ConstrCheck if !c.skip_validation => {
                let con = name("check", &[]);
                let expr = c
                    .raw_expr
                    .as_ref()
                    .and_then(|e| e.node.as_ref())
                    .and_then(deparse_expr)
                    .unwrap_or_else(|| "…".into());
                self.push(out, "add-check-validating", loc, format!(
                    "adding CHECK constraint {con} on {t} scans every row under an ACCESS EXCLUSIVE lock"),
                    Some(format!("ALTER TABLE {t} ADD CONSTRAINT {con} CHECK ({expr}) NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};")));
            }
            ConstrType::ConstrUnique if c.indexname.is_empty() => {
                let con = name("key", &c.keys);
                self.push(out, "add-unique-constraint", loc, format!(
                    "adding UNIQUE constraint {con} on {t} ({}) builds its index under an ACCESS EXCLUSIVE lock", cols(&c.keys)),
                    Some(format!("-- sqlgate:no-transaction migration:\nCREATE UNIQUE INDEX CONCURRENTLY {con} ON {t} ({});\n-- next migration:\nALTER TABLE {t} ADD CONSTRAINT {con} UNIQUE USING INDEX {con};", cols(&c.keys))));
            }
            ConstrType::ConstrPrimary if c.indexname.is_empty() => {
                let con = if c.conname.is_empty() {
                    format!("{}_pkey", table.rsplit('.').next().unwrap_or(table))
                } else {
                    c.conname.clone()
                };
                self.push(out, "add-primary-key", loc, format!(
                    "adding PRIMARY KEY {con} on {t} ({}) builds its index and checks every row under an ACCESS EXCLUSIVE lock", cols(&c.keys)),
                    Some(format!("-- sqlgate:no-transaction migration:\nCREATE UNIQUE INDEX CONCURRENTLY {con} ON {t} ({});\n-- next migration:\nALTER TABLE {t} ADD CONSTRAINT {con} PRIMARY KEY USING INDEX {con};", cols(&c.keys))));
            }
            ConstrType::ConstrExclusion => {
                self.push(out, "add-exclusion-constraint", loc, format!(
                    "adding exclusion constraint {} on {t} builds its index and checks every row under an ACCESS EXCLUSIVE lock", name("excl", &[])), None);
            }
            _ => {}
        }
    }

    /// Lock-level rules: `statements-after-access-exclusive`, `missing-lock-timeout`.
    fn locks(&self, state: &mut MigrationState, out: &mut Vec<Finding>) {
        let node = &self.stmt.node;
        match node {
            NodeEnum::DeleteStmt(d) if d.where_clause.is_none() => {
                state
                    .emptied
                    .extend(d.relation.as_ref().map(names::range_var));
            }
            NodeEnum::TruncateStmt(t) => {
                state
                    .emptied
                    .extend(nodes(&t.relations).filter_map(|r| match r {
                        NodeEnum::RangeVar(rv) => Some(names::range_var(rv)),
                        _ => None,
                    }))
            }
            _ => {}
        }
        let blocking = self.blocking_table(node);
        if let Some((table, _)) = &blocking {
            if !self.opts.runner_lock_timeout
                && !state.lock_timeout_set
                && !state.reported_missing_timeout
            {
                state.reported_missing_timeout = true;
                self.push(out, "missing-lock-timeout", -1, format!(
                    "this statement waits for a lock on {} with no lock_timeout: while it waits, every query on the table queues behind it",
                    names::show(table)), None);
            }
        }
        if self.in_tx && !state.reported_after_exclusive {
            if let Some((locked, line)) = &state.exclusive {
                if self.is_more_work(node, locked) {
                    state.reported_after_exclusive = true;
                    self.push(out, "statements-after-access-exclusive", -1, format!(
                        "line {line} took an ACCESS EXCLUSIVE lock on {} that is held until COMMIT; this statement makes the table unavailable for longer",
                        names::show(locked)), None);
                }
            }
        }
        if let Some((table, true)) = blocking {
            if state.exclusive.is_none() {
                state.exclusive = Some((table, self.stmt.line));
            }
        }
    }

    /// The existing table a statement locks in a way that blocks writes, and whether
    /// the lock is ACCESS EXCLUSIVE.
    fn blocking_table(&self, node: &NodeEnum) -> Option<(String, bool)> {
        let existing = |rv: &RangeVar| {
            let k = names::range_var(rv);
            self.existing(&k).then_some(k)
        };
        match node {
            NodeEnum::AlterTableStmt(a) => {
                let rv = a.relation.as_ref()?;
                let table = existing(rv)?;
                let light = [
                    AlterTableType::AtValidateConstraint,
                    AlterTableType::AtSetStatistics,
                    AlterTableType::AtClusterOn,
                    AlterTableType::AtDropCluster,
                    AlterTableType::AtSetOptions,
                    AlterTableType::AtResetOptions,
                ];
                let kinds: Vec<AlterTableType> = nodes(&a.cmds)
                    .filter_map(|n| match n {
                        NodeEnum::AlterTableCmd(c) => AlterTableType::try_from(c.subtype).ok(),
                        _ => None,
                    })
                    .collect();
                if kinds.iter().all(|k| light.contains(k)) {
                    return None;
                }
                let fk_only = nodes(&a.cmds).all(|n| matches!(n, NodeEnum::AlterTableCmd(c)
                    if matches!(c.def.as_ref().and_then(|d| d.node.as_ref()), Some(NodeEnum::Constraint(k)) if contype(k) == ConstrType::ConstrForeign)));
                Some((table, !fk_only))
            }
            NodeEnum::IndexStmt(i) if !i.concurrent => {
                existing(i.relation.as_ref()?).map(|t| (t, false))
            }
            NodeEnum::DropStmt(d) if d.remove_type == ObjectType::ObjectTable as i32 => {
                nodes(&d.objects)
                    .filter_map(|o| match o {
                        NodeEnum::List(l) => Some(names::list_key(&l.items)),
                        _ => None,
                    })
                    .find(|t| self.existing(t))
                    .map(|t| (t, true))
            }
            NodeEnum::DropStmt(d)
                if d.remove_type == ObjectType::ObjectIndex as i32 && !d.concurrent =>
            {
                nodes(&d.objects)
                    .filter_map(|o| match o {
                        NodeEnum::List(l) => self
                            .schema
                            .index(&names::list_key(&l.items))
                            .map(|(t, _)| t.clone()),
                        _ => None,
                    })
                    .find(|t| self.existing(t))
                    .map(|t| (t, true))
            }
            NodeEnum::TruncateStmt(t) => nodes(&t.relations)
                .filter_map(|r| match r {
                    NodeEnum::RangeVar(rv) => existing(rv),
                    _ => None,
                })
                .next()
                .map(|t| (t, true)),
            NodeEnum::RenameStmt(r) => existing(r.relation.as_ref()?).map(|t| (t, true)),
            NodeEnum::CreateTrigStmt(t) => existing(t.relation.as_ref()?).map(|t| (t, false)),
            NodeEnum::LockStmt(l) => nodes(&l.relations)
                .filter_map(|r| match r {
                    NodeEnum::RangeVar(rv) => existing(rv),
                    _ => None,
                })
                .next()
                .map(|t| (t, l.mode >= 8)),
            NodeEnum::ClusterStmt(c) => existing(c.relation.as_ref()?).map(|t| (t, true)),
            NodeEnum::RefreshMatViewStmt(r) if !r.concurrent => {
                let k = names::range_var(r.relation.as_ref()?);
                (!self
                    .schema
                    .matviews
                    .get(&k)
                    .is_some_and(|c| self.schema.is_new(*c)))
                .then_some((k, true))
            }
            _ => None,
        }
    }

    /// True when a statement, run while `locked` is held, does real work: DML and
    /// index builds on existing tables, rewrites and maintenance — and, when the runner
    /// sets no lock_timeout, waiting for locks on other existing tables.
    fn is_more_work(&self, node: &NodeEnum, locked: &str) -> bool {
        let other_existing = |rv: &Option<RangeVar>| {
            rv.as_ref().is_some_and(|rv| {
                let k = names::range_var(rv);
                k != locked && self.existing(&k)
            })
        };
        let unbounded_wait = !self.opts.runner_lock_timeout;
        match node {
            NodeEnum::UpdateStmt(u) => u
                .relation
                .as_ref()
                .is_some_and(|rv| self.existing(&names::range_var(rv))),
            NodeEnum::DeleteStmt(d) => d
                .relation
                .as_ref()
                .is_some_and(|rv| self.existing(&names::range_var(rv))),
            NodeEnum::InsertStmt(i) => {
                i.select_stmt.is_some()
                    && i.relation
                        .as_ref()
                        .is_some_and(|rv| self.existing(&names::range_var(rv)))
            }
            NodeEnum::MergeStmt(_)
            | NodeEnum::CopyStmt(_)
            | NodeEnum::ClusterStmt(_)
            | NodeEnum::VacuumStmt(_) => true,
            NodeEnum::RefreshMatViewStmt(_) => true,
            NodeEnum::IndexStmt(i) => i
                .relation
                .as_ref()
                .is_some_and(|rv| self.existing(&names::range_var(rv))),
            NodeEnum::AlterTableStmt(a) => unbounded_wait && other_existing(&a.relation),
            NodeEnum::RenameStmt(r) => unbounded_wait && other_existing(&r.relation),
            NodeEnum::CreateTrigStmt(t) => unbounded_wait && other_existing(&t.relation),
            NodeEnum::LockStmt(_) | NodeEnum::TruncateStmt(_) => unbounded_wait,
            _ => false,
        }
    }
}

fn deparse_expr(expr: &NodeEnum) -> Option<String> {
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

fn truncate_bytes(s: &str, max: usize) -> &str {
    let mut cut = max.min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{build, CatalogOptions, Content, SourceFile};
    use crate::findings::Severity;
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
            let mut r: Vec<_> = self.findings().iter().map(|f| f.rule).collect();
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
        ("transaction-control", &[], "BEGIN;\ncreate table x (id int);\nCOMMIT;", "create table x (id int);"),
        ("concurrently-in-transaction", &[T], "create index concurrently i on t (a);", "-- sqlgate:no-transaction\ncreate index concurrently i on t (a);"),
        ("concurrently-in-transaction", &[T, "create index i on t (a);"], "drop index concurrently i;", "-- sqlgate:no-transaction\ndrop index concurrently i;"),
        ("non-transactional-statement", &[T], "vacuum t;", "-- sqlgate:no-transaction\nvacuum t;"),
        ("non-transactional-statement", &[], "create database x;", "create schema x;"),
        ("mixed-no-transaction", &[T], "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);\ncreate index concurrently b_i on t (v);", "-- sqlgate:no-transaction\ncreate index concurrently a_i on t (a);"),
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
        ("add-column-required", &[T], "alter table t add column plan text not null;", "alter table t add column plan text not null default 'free';"),
        ("add-column-required", &[T], "alter table t add column plan text not null;", "delete from t;\nalter table t add column plan text not null;"),
        ("add-column-serial", &[T], "alter table t add column seq bigserial;", "create table n (id bigserial primary key);"),
        ("add-column-generated-stored", &[T], "alter table t add column a2 int generated always as (a * 2) stored;", "create table n (a int, a2 int generated always as (a * 2) stored);"),
        ("alter-column-type", &[T], "alter table t alter column a type bigint;", "alter table t alter column v type varchar(100);"),
        ("alter-column-type", &[T], "alter table t alter column v type varchar(20);", "alter table t alter column v type text;"),
        ("alter-column-type", &[T], "alter table t alter column n type numeric(12,4);", "alter table t alter column n type numeric(14,2);"),
        ("vacuum-full", &[T], "-- sqlgate:no-transaction\nvacuum full t;", "-- sqlgate:no-transaction\nvacuum analyze t;"),
        ("cluster", &[T, "create index i on t (a);"], "cluster t using i;", "create table n (a int);\ncreate index ni on n (a);\ncluster n using ni;"),
        ("refresh-matview-non-concurrently", &["create materialized view mv as select 1 as x;"], "refresh materialized view mv;", "refresh materialized view concurrently mv;"),
        ("lock-table", &[T], "lock table t in access exclusive mode;", "create table n (a int);\nlock table n in access exclusive mode;"),
        ("statements-after-access-exclusive", &[T], "alter table t add column b text;\nupdate t set b = 'x' where id < 100;", "alter table t add column b text;\nalter table t add column c text;"),
        ("rename-column", &[T], "alter table t rename column a to b;", "create table n (a int);\nalter table n rename column a to b;"),
        ("rename-table", &[T], "alter table t rename to t2;", "create table n (a int);\nalter table n rename to n2;"),
        ("drop-not-null", &[T], "alter table t alter column id drop not null;", "create table n (a int not null);\nalter table n alter column a drop not null;"),
        ("drop-default", &[T], "alter table t alter column a drop default;", "alter table t alter column a set default 1;"),
        ("plaintext-password", &[], "create role app login password 'hunter2';", "create role app login password 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2lnbg==';"),
        ("security-definer-search-path", &[], "create function f() returns int language sql security definer as $$ select 1 $$;", "create function f() returns int language sql security definer set search_path = pg_catalog, pg_temp as $$ select 1 $$;"),
        ("grant-to-public", &[T], "grant select on t to public;", "grant select on t to reporting;"),
        ("disable-row-level-security", &[T], "alter table t disable row level security;", "alter table t enable row level security;"),
        ("prefer-timestamptz", &[], "create table n (at timestamp);", "create table n (at timestamptz);"),
        ("prefer-jsonb", &[T], "alter table t add column p json;", "alter table t add column p jsonb;"),
        ("ban-char", &[], "create table n (c char(2));", "create table n (c text);"),
        ("identifier-too-long", &[], "create table abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij (id int);", "create table abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefghij_abcdefgh (id int);"),
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
        let untested: Vec<&str> = crate::rules::sql_docs::SQL_RULES
            .iter()
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
            &["-- drop table t;\n/* truncate t; */\nselect 'drop table t; delete from t';\ndo $$ begin drop table t; end $$;\ncreate function g() returns void language plpgsql as $$ begin truncate t; delete from t; end $$;\ncreate function h() returns int language sql begin atomic select 1; end;"],
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
        assert_eq!((f[0].rule, f[0].line), ("drop-column", 3));
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
