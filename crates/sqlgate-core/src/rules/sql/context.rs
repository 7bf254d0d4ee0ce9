//! What a SQL rule's check receives: the statement in its context ([`Ctx`]), what the
//! migration's statements so far have done ([`MigrationState`], kept by the engine
//! before and after the rules run), and the `ALTER TABLE` helper most rules share.

use super::SqlOptions;
use crate::catalog::Migration;
use crate::model::{Finding, Rule};
use crate::sql::ast::nodes;
use crate::sql::schema::Schema;
use crate::sql::{names, Parsed, Statement};
use pg_query::protobuf::{
    AlterTableCmd, AlterTableStmt, AlterTableType, ConstrType, ObjectType, RangeVar,
};
use pg_query::NodeEnum;

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
    pub(super) fn before(&mut self, node: &NodeEnum, line: u32, no_transaction: bool) {
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
    pub(super) fn after(&mut self, node: &NodeEnum, no_transaction: bool) {
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

impl MigrationState {
    /// Before the rules judge a statement in a transaction: the constraints it adds
    /// NOT VALID to existing tables (a `VALIDATE` in the same transaction scans under
    /// the lock the ADD holds).
    pub(super) fn before_rules(&mut self, cx: &Ctx) {
        if !cx.in_tx {
            return;
        }
        let Some(a) = alter_table(cx.node()).filter(|a| cx.existing(&a.table)) else {
            return;
        };
        for (_, kind, def) in &a.cmds {
            if let (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(c))) = (kind, def) {
                if c.skip_validation {
                    let lock = if crate::sql::ast::contype(c) == ConstrType::ConstrForeign {
                        "SHARE ROW EXCLUSIVE (on both tables)"
                    } else {
                        "ACCESS EXCLUSIVE"
                    };
                    self.not_valid
                        .push((a.table.clone(), c.conname.clone(), cx.stmt.line, lock));
                }
            }
        }
    }
}

/// A migration in scope after its last statement: what an `end` check receives.
pub struct EndCtx<'a> {
    pub m: &'a Migration,
    pub file: &'a str,
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

/// A statement's text as a finding carries it (cut after 2,000 characters).
pub(super) fn statement_text(parsed: &Parsed, stmt: &Statement) -> String {
    let text = parsed.text(stmt);
    if text.chars().count() > MAX_STATEMENT_CHARS {
        text.chars().take(MAX_STATEMENT_CHARS).collect::<String>() + " …"
    } else {
        text.to_string()
    }
}

impl Ctx<'_> {
    /// The statement's parse tree.
    pub fn node(&self) -> &NodeEnum {
        &self.stmt.node
    }

    /// A finding of `rule` at `location` (a byte offset in the statement, or -1 for its
    /// start), carrying the statement's text.
    pub fn finding(&self, rule: &'static Rule, location: i32, message: String) -> Finding {
        let (line, col) = self.parsed.location(self.stmt, location);
        let text = statement_text(self.parsed, self.stmt);
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

    /// The statement's `ALTER TABLE`, when it is one on a table that existed before
    /// this change.
    pub fn existing_alter(&self) -> Option<AlterTable<'_>> {
        alter_table(self.node()).filter(|a| self.existing(&a.table))
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

impl<'a> AlterTable<'a> {
    /// The subcommands of one kind.
    pub fn of_kind(&self, kind: AlterTableType) -> impl Iterator<Item = &'a AlterTableCmd> + '_ {
        self.cmds
            .iter()
            .filter(move |(_, k, _)| *k == kind)
            .map(|(c, ..)| *c)
    }
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
