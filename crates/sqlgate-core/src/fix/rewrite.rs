//! One statement's safe equivalent: the SQL that stays where the statement was, what
//! must run outside a transaction, and what must run in a later migration. Text
//! surgery where it can (the author's formatting and comments stay), PostgreSQL's
//! deparser where it must. A statement the rewrite cannot make equivalent is refused
//! with the reason.

use crate::model::Rule;
use crate::rules::sql::locking;
use crate::rules::sql::locking::add_column_volatile_default::NEVER_NULL;
use crate::sql::ast::{contype, deparse, deparse_expr, nodes};
use crate::sql::design::generated_name;
use crate::sql::names;
use pg_query::protobuf::{AlterTableType, ConstrType, ObjectType};
use pg_query::NodeEnum;

/// Where a piece of the rewritten SQL runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// In place of the statement, in its migration.
    Here(String),
    /// Outside any transaction (a no-transaction migration), right after.
    NoTx(String),
    /// In a later, transactional migration (after the no-transaction part).
    Later(String),
}

/// A statement's rewrite, and the names of what it moves to another migration (a
/// later statement that uses one would run before it exists).
#[derive(Debug, Clone, Default)]
pub struct Rewrite {
    pub ops: Vec<Op>,
    pub moved: Vec<String>,
}

/// PostgreSQL's longest identifier.
const MAX_NAME: usize = 63;

/// Byte offset just after the first token that is the keyword `word`, at or after
/// byte `from`.
fn after_keyword(text: &str, word: &str, from: usize) -> Option<usize> {
    let tokens = pg_query::scan_tokens(text).ok()?;
    tokens.iter().find_map(|t| {
        let (s, e) = (t.start.max(0) as usize, t.end.max(0) as usize);
        (s >= from && text.get(s..e)?.eq_ignore_ascii_case(word)).then_some(e)
    })
}

/// Byte offset of the first token that is the keyword `word`.
fn before_keyword(text: &str, word: &str) -> Option<usize> {
    let tokens = pg_query::scan_tokens(text).ok()?;
    tokens.iter().find_map(|t| {
        let (s, e) = (t.start.max(0) as usize, t.end.max(0) as usize);
        text.get(s..e)?.eq_ignore_ascii_case(word).then_some(s)
    })
}

fn insert(text: &str, at: usize, what: &str) -> String {
    format!("{}{what}{}", &text[..at], &text[at..])
}

fn checked_name(name: String) -> Result<String, String> {
    if name.len() > MAX_NAME {
        Err(format!("the name it would need, `{name}`, is longer than PostgreSQL's 63 bytes; name the object yourself"))
    } else {
        Ok(name)
    }
}

/// The rewrite of `node` (its text `text`) for `rule`; `pg` the server's major version.
pub fn rewrite(
    rule: &'static Rule,
    node: &NodeEnum,
    text: &str,
    pg: u32,
) -> Result<Rewrite, String> {
    if std::ptr::eq(rule, &locking::CREATE_INDEX_NON_CONCURRENTLY) {
        create_index(node, text)
    } else if std::ptr::eq(rule, &locking::DROP_INDEX_NON_CONCURRENTLY) {
        drop_index(node, text)
    } else if std::ptr::eq(rule, &locking::ADD_FOREIGN_KEY_VALIDATING) {
        not_valid(node, text, ConstrType::ConstrForeign)
    } else if std::ptr::eq(rule, &locking::ADD_CHECK_VALIDATING) {
        not_valid(node, text, ConstrType::ConstrCheck)
    } else if std::ptr::eq(rule, &locking::SET_NOT_NULL) {
        set_not_null(node, pg)
    } else if std::ptr::eq(rule, &locking::ADD_UNIQUE_CONSTRAINT)
        || std::ptr::eq(rule, &locking::ADD_PRIMARY_KEY)
    {
        unique_using_index(node)
    } else if std::ptr::eq(rule, &locking::ADD_COLUMN_VOLATILE_DEFAULT) {
        volatile_default(node)
    } else {
        Err("this rule has no automatic fix".into())
    }
}

fn create_index(node: &NodeEnum, text: &str) -> Result<Rewrite, String> {
    let NodeEnum::IndexStmt(s) = node else {
        return Err("not a CREATE INDEX".into());
    };
    if s.concurrent {
        return Err("already CONCURRENTLY".into());
    }
    let at = after_keyword(text, "index", 0).ok_or("cannot find INDEX in the statement")?;
    let mut add = " CONCURRENTLY".to_string();
    let plain: Vec<String> = nodes(&s.index_params)
        .filter_map(|p| match p {
            NodeEnum::IndexElem(e) if !e.name.is_empty() => Some(e.name.clone()),
            _ => None,
        })
        .collect();
    let table = s
        .relation
        .as_ref()
        .map(|r| r.relname.clone())
        .unwrap_or_default();
    let name = if !s.idxname.is_empty() {
        Some(s.idxname.clone())
    } else if plain.len() == s.index_params.len() {
        // PostgreSQL's own name for it: a rerun finds the index it left.
        Some(checked_name(generated_name(&table, &plain, "idx"))?)
    } else {
        None
    };
    if let (false, Some(n)) = (s.if_not_exists, &name) {
        // A failed CONCURRENTLY build leaves an invalid index: a rerun skips it.
        add.push_str(" IF NOT EXISTS");
        if s.idxname.is_empty() {
            add.push(' ');
            add.push_str(&names::ident(n));
        }
    }
    Ok(Rewrite {
        ops: vec![Op::NoTx(insert(text, at, &add))],
        moved: name.into_iter().collect(),
    })
}

fn drop_index(node: &NodeEnum, text: &str) -> Result<Rewrite, String> {
    let NodeEnum::DropStmt(d) = node else {
        return Err("not a DROP INDEX".into());
    };
    if d.remove_type != ObjectType::ObjectIndex as i32 || d.concurrent {
        return Err("not a plain DROP INDEX".into());
    }
    if d.behavior == pg_query::protobuf::DropBehavior::DropCascade as i32 {
        return Err(
            "DROP INDEX CONCURRENTLY cannot CASCADE: drop what depends on the index first".into(),
        );
    }
    let objects: Vec<String> = nodes(&d.objects)
        .filter_map(|o| match o {
            NodeEnum::List(l) => Some(names::show(&names::list_key(&l.items))),
            _ => None,
        })
        .collect();
    if objects.len() > 1 {
        // CONCURRENTLY drops one index at a time.
        let ops = objects
            .iter()
            .map(|o| Op::NoTx(format!("DROP INDEX CONCURRENTLY IF EXISTS {o}")))
            .collect();
        return Ok(Rewrite {
            ops,
            moved: Vec::new(),
        });
    }
    let at = after_keyword(text, "index", 0).ok_or("cannot find INDEX in the statement")?;
    let add = if d.missing_ok {
        " CONCURRENTLY"
    } else {
        " CONCURRENTLY IF EXISTS"
    };
    Ok(Rewrite {
        ops: vec![Op::NoTx(insert(text, at, add))],
        moved: Vec::new(),
    })
}

/// The one subcommand of an `ALTER TABLE` (a fix only rewrites single-command ones),
/// and the table as written.
fn single_command(node: &NodeEnum) -> Result<(String, &pg_query::protobuf::AlterTableCmd), String> {
    let a = crate::rules::sql::alter_table(node).ok_or("not an ALTER TABLE")?;
    if a.cmds.len() != 1 {
        return Err(
            "the ALTER TABLE does several things: split it into one statement per change first"
                .into(),
        );
    }
    Ok((names::show(&a.table), a.cmds[0].0))
}

fn not_valid(node: &NodeEnum, text: &str, kind: ConstrType) -> Result<Rewrite, String> {
    let (table, cmd) = single_command(node)?;
    let Some(NodeEnum::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else {
        return Err("not an ADD CONSTRAINT".into());
    };
    if contype(c) != kind || c.skip_validation {
        return Err("not a validating constraint".into());
    }
    let bare = crate::rules::sql::alter_table(node)
        .map(|a| a.rv.relname.clone())
        .unwrap_or_default();
    let mut sql = text.trim_end().to_string();
    let name = if c.conname.is_empty() {
        // PostgreSQL's name for it, written out so the VALIDATE can name it.
        let name = match kind {
            ConstrType::ConstrForeign => {
                generated_name(&bare, &names::strings(&c.fk_attrs), "fkey")
            }
            _ => {
                let cols = crate::sql::schema::check_columns(c).unwrap_or_default();
                let refs = column_refs(c);
                if refs == 1 && cols.len() == 1 && cols[0] != "*" {
                    generated_name(&bare, &cols, "check")
                } else {
                    generated_name(&bare, &[], "check")
                }
            }
        };
        let name = checked_name(name)?;
        let word = if kind == ConstrType::ConstrForeign {
            "foreign"
        } else {
            "check"
        };
        let at = before_keyword(&sql, word).ok_or("cannot find the constraint in the statement")?;
        sql = insert(&sql, at, &format!("CONSTRAINT {} ", names::ident(&name)));
        name
    } else {
        c.conname.clone()
    };
    sql.push_str(" NOT VALID");
    Ok(Rewrite {
        ops: vec![
            Op::Here(sql),
            Op::Later(format!(
                "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                names::ident(&name)
            )),
        ],
        moved: Vec::new(),
    })
}

/// How many column references a CHECK expression holds (PostgreSQL names an unnamed
/// check after its column only when there is exactly one).
fn column_refs(c: &pg_query::protobuf::Constraint) -> usize {
    c.raw_expr
        .as_ref()
        .and_then(|e| e.node.as_ref())
        .map(|e| {
            e.nodes()
                .iter()
                .filter(|(n, ..)| matches!(n, pg_query::NodeRef::ColumnRef(_)))
                .count()
        })
        .unwrap_or(0)
}

fn set_not_null(node: &NodeEnum, pg: u32) -> Result<Rewrite, String> {
    if pg < 12 {
        return Err("before PostgreSQL 12, SET NOT NULL scans the table even with a validated check: there is no lock-free equivalent".into());
    }
    let (table, cmd) = single_command(node)?;
    if AlterTableType::try_from(cmd.subtype) != Ok(AlterTableType::AtSetNotNull) {
        return Err("not SET NOT NULL".into());
    }
    let bare = crate::rules::sql::alter_table(node)
        .map(|a| a.rv.relname.clone())
        .unwrap_or_default();
    let check = checked_name(generated_name(
        &bare,
        std::slice::from_ref(&cmd.name),
        "not_null_check",
    ))?;
    let (col, check) = (names::ident(&cmd.name), names::ident(&check));
    Ok(Rewrite {
        ops: vec![
            Op::Here(format!("ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({col} IS NOT NULL) NOT VALID")),
            Op::Later(format!(
                "ALTER TABLE {table} VALIDATE CONSTRAINT {check};\nALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;\nALTER TABLE {table} DROP CONSTRAINT {check}"
            )),
        ],
        moved: Vec::new(),
    })
}

fn unique_using_index(node: &NodeEnum) -> Result<Rewrite, String> {
    let (table, cmd) = single_command(node)?;
    let Some(NodeEnum::Constraint(c)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else {
        return Err("not an ADD CONSTRAINT".into());
    };
    let kind = contype(c);
    let (words, suffix) = match kind {
        ConstrType::ConstrUnique => ("UNIQUE", "key"),
        ConstrType::ConstrPrimary => ("PRIMARY KEY", "pkey"),
        _ => return Err("not a UNIQUE or PRIMARY KEY constraint".into()),
    };
    if !c.indexname.is_empty() {
        return Err("already USING INDEX".into());
    }
    if c.deferrable
        || !c.including.is_empty()
        || !c.options.is_empty()
        || c.nulls_not_distinct
        || !c.indexspace.is_empty()
    {
        return Err("the constraint has options (DEFERRABLE, INCLUDE, WITH, NULLS NOT DISTINCT or a tablespace) the index would need too: write the index by hand".into());
    }
    let cols = names::strings(&c.keys);
    let bare = crate::rules::sql::alter_table(node)
        .map(|a| a.rv.relname.clone())
        .unwrap_or_default();
    let name = if c.conname.is_empty() {
        let named: &[String] = if kind == ConstrType::ConstrPrimary {
            &[]
        } else {
            &cols
        };
        checked_name(generated_name(&bare, named, suffix))?
    } else {
        c.conname.clone()
    };
    let shown_cols: Vec<String> = cols.iter().map(|c| names::ident(c)).collect();
    let name_sql = names::ident(&name);
    Ok(Rewrite {
        ops: vec![
            Op::NoTx(format!(
                "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {name_sql} ON {table} ({})",
                shown_cols.join(", ")
            )),
            Op::Later(format!(
                "ALTER TABLE {table} ADD CONSTRAINT {name_sql} {words} USING INDEX {name_sql}"
            )),
        ],
        moved: vec![name],
    })
}

fn volatile_default(node: &NodeEnum) -> Result<Rewrite, String> {
    let (table, cmd) = single_command(node)?;
    let Some(NodeEnum::ColumnDef(def)) = cmd.def.as_ref().and_then(|d| d.node.as_ref()) else {
        return Err("not an ADD COLUMN".into());
    };
    let others = crate::sql::ast::constraints(def).any(|c| contype(c) != ConstrType::ConstrDefault);
    if others || def.is_not_null {
        return Err("the column has constraints (NOT NULL, CHECK, …) that the batched backfill would have to satisfy first: add it nullable, backfill, then add them".into());
    }
    let expr = crate::sql::ast::column_default(def).ok_or("the column has no default")?;
    let call = match expr {
        NodeEnum::TypeCast(t) => t.arg.as_ref().and_then(|a| a.node.as_ref()),
        other => Some(other),
    };
    let ok = matches!(call, Some(NodeEnum::FuncCall(f))
        if names::strings(&f.funcname).last().is_some_and(|n| NEVER_NULL.contains(&n.to_lowercase().as_str())));
    if !ok {
        return Err("the default is not a call known never to return NULL (random(), gen_random_uuid(), clock_timestamp(), nextval(), …): a batched backfill could not tell done rows from pending ones".into());
    }
    let expr_sql = deparse_expr(expr).ok_or("cannot print the default back as SQL")?;
    // The same statement without the default.
    let mut bare = node.clone();
    if let NodeEnum::AlterTableStmt(a) = &mut bare {
        for c in a.cmds.iter_mut() {
            if let Some(NodeEnum::AlterTableCmd(cmd)) = c.node.as_mut() {
                if let Some(NodeEnum::ColumnDef(d)) = cmd.def.as_mut().and_then(|d| d.node.as_mut())
                {
                    d.raw_default = None;
                    d.constraints.clear();
                }
            }
        }
    }
    let add = deparse(bare).ok_or("cannot print the statement back as SQL")?;
    let col = names::ident(&def.colname);
    Ok(Rewrite {
        ops: vec![
            Op::Here(format!("{add};\nALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {expr_sql}")),
            Op::NoTx(format!(
                "-- Backfill in batches of 10,000 rows, each committed: no long lock, no long transaction.\nDO $$\nBEGIN\n  LOOP\n    UPDATE {table} SET {col} = {expr_sql}\n     WHERE ctid = ANY (ARRAY(SELECT ctid FROM {table} WHERE {col} IS NULL LIMIT 10000));\n    EXIT WHEN NOT FOUND;\n    COMMIT;\n  END LOOP;\nEND $$"
            )),
        ],
        moved: Vec::new(),
    })
}
