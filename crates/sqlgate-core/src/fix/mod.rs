//! `sqlgate fix`: rewrites the change's migrations into safe equivalents — the
//! findings of the rules in [`FIXABLE`] in, the files to write out. Never touches a
//! shipped migration. A statement that must run outside a transaction makes its
//! migration a no-transaction one when nothing else in it needs the transaction, or
//! moves to a new no-transaction migration after it; what must run later (`VALIDATE`,
//! `ADD CONSTRAINT … USING INDEX`) goes to a new migration after that, in the
//! directory's layout and numbering. A fix that cannot be made equivalent is not made,
//! and the reason is given. Pure.

pub mod rewrite;
pub mod suggest;

use crate::catalog::{display_path, Catalog, Content, Layout, Migration, SourceFile};
use crate::create;
use crate::model::{Finding, Rule, RuleId};
use crate::rules::sql::locking;
use crate::sql;
use chrono::{DateTime, Utc};
use pg_query::NodeEnum;
use rewrite::Op;
use std::collections::BTreeMap;

/// The rules `sqlgate fix` rewrites (the language server's code actions and the
/// pull-request suggestions use the same fixes).
pub static FIXABLE: &[&Rule] = &[
    &locking::CREATE_INDEX_NON_CONCURRENTLY,
    &locking::DROP_INDEX_NON_CONCURRENTLY,
    &locking::ADD_FOREIGN_KEY_VALIDATING,
    &locking::ADD_CHECK_VALIDATING,
    &locking::SET_NOT_NULL,
    &locking::ADD_UNIQUE_CONSTRAINT,
    &locking::ADD_PRIMARY_KEY,
    &locking::MISSING_LOCK_TIMEOUT,
    &locking::ADD_COLUMN_VOLATILE_DEFAULT,
];

/// True when `sqlgate fix` can rewrite the rule's findings.
pub fn has_fix(rule: &Rule) -> bool {
    FIXABLE.iter().any(|r| r.id == rule.id)
}

/// What a fix needs besides the catalog and the findings.
pub struct Options<'a> {
    /// The migration directory as shown in findings.
    pub dir: &'a str,
    pub pg_version: u32,
    pub vars: &'a BTreeMap<String, String>,
    /// The `lock_timeout` a migration that lacks one gets.
    pub lock_timeout: &'a str,
    /// The time new timestamped migrations are named after.
    pub now: DateTime<Utc>,
}

/// A file to write: relative to the migration directory; `old` is `None` for a new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    pub path: String,
    pub old: Option<String>,
    pub new: String,
}

/// A finding the plan fixes, or one it leaves (with the reason).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub rule: RuleId,
    pub file: String,
    pub line: u32,
    /// `None`: fixed; otherwise why not.
    pub not_fixed: Option<String>,
}

/// The files to write and what they fix.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub changes: Vec<FileChange>,
    pub outcomes: Vec<Outcome>,
}

/// What one migration becomes.
#[derive(Default)]
struct Rewritten {
    /// The up SQL's new text.
    text: String,
    /// Run outside a transaction, in a new migration right after it.
    no_tx: Vec<String>,
    /// Run in a new migration after that.
    later: Vec<String>,
}

/// A file whose up SQL starts at byte `base`, made a no-transaction migration in the
/// layout's own words: dbmate's `-- migrate:up transaction:false`, goose's
/// `-- +goose NO TRANSACTION`, otherwise `-- sqlgate:no-transaction` opening the up SQL.
fn no_transaction(layout: Layout, content: &str, base: usize) -> String {
    let (before, after) = content.split_at(base);
    match layout {
        Layout::Goose => format!("-- +goose NO TRANSACTION\n{content}"),
        Layout::Markers => {
            // The marker line just before the up SQL.
            let trimmed = before.trim_end();
            let start = trimmed.rfind('\n').map_or(0, |i| i + 1);
            let first = after.split('\n').next().unwrap_or("");
            if first.trim().eq_ignore_ascii_case("-- migrate:up") {
                // The up SQL starts with its marker.
                format!(
                    "{before}-- migrate:up transaction:false{}",
                    &after[first.len()..]
                )
            } else if trimmed[start..]
                .trim()
                .eq_ignore_ascii_case("-- migrate:up")
            {
                format!(
                    "{}-- migrate:up transaction:false{}{after}",
                    &before[..start],
                    &before[trimmed.len()..]
                )
            } else {
                format!("{before}-- sqlgate:no-transaction\n{after}")
            }
        }
        _ => format!("{before}-- sqlgate:no-transaction\n{after}"),
    }
}

/// Statements that need no transaction around them (kept when a migration becomes a
/// no-transaction one).
fn standalone(node: &NodeEnum) -> bool {
    match node {
        NodeEnum::VariableSetStmt(_) | NodeEnum::CommentStmt(_) => true,
        NodeEnum::IndexStmt(i) => i.concurrent,
        NodeEnum::DropStmt(d) => d.concurrent,
        _ => false,
    }
}

/// Plans the fixes of `findings` in the migrations `is_new` accepts.
pub fn plan(
    cat: &Catalog,
    files: &[SourceFile],
    is_new: &dyn Fn(&Migration) -> bool,
    findings: &[Finding],
    opts: &Options,
) -> Plan {
    let mut plan = Plan::default();
    let new: Vec<&Migration> = cat.migrations.iter().filter(|m| is_new(m)).collect();
    let mut follow_ups: Vec<(&Migration, Vec<String>, bool)> = Vec::new();
    for (n, m) in new.iter().enumerate() {
        let file = display_path(opts.dir, &m.up.path);
        let mine: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.file == file && has_fix(f.rule.rule()))
            .collect();
        if mine.is_empty() {
            continue;
        }
        let later_text: String = new[n + 1..].iter().map(|m| m.up.text.as_str()).collect();
        match rewrite_migration(cat, m, files, &mine, &later_text, opts, &mut plan.outcomes) {
            Ok(Some((change, r))) => {
                plan.changes.push(change);
                if !r.no_tx.is_empty() {
                    follow_ups.push((m, r.no_tx, true));
                }
                if !r.later.is_empty() {
                    follow_ups.push((m, r.later, false));
                }
            }
            Ok(None) => {}
            Err(why) => plan.outcomes.extend(mine.iter().map(|f| Outcome {
                rule: f.rule,
                file: f.file.clone(),
                line: f.line,
                not_fixed: Some(why.clone()),
            })),
        }
    }
    let mut after: Option<crate::catalog::Version> = None;
    for (k, (m, sql, no_tx)) in follow_ups.into_iter().enumerate() {
        // A second apart: timestamped names never collide, in any layout's format.
        let when = opts.now + chrono::Duration::seconds(k as i64);
        let base = if m.description.is_empty() {
            "fix".to_string()
        } else {
            m.description.clone()
        };
        let name = format!("{base} {}", if no_tx { "concurrently" } else { "validate" });
        let Ok((new_files, version)) = create::plan_after(cat, &name, after.as_ref(), when) else {
            continue;
        };
        after = cat
            .version(&version)
            .or_else(|| cat.version(&version.replace('-', "")))
            .or(after);
        let body = format!("\n{};\n", sql.join(";\n\n"));
        for f in new_files {
            let up = !f.path.ends_with("down.sql") && !f.path.ends_with("_rollback.sql");
            let content = follow_up_file(&f.content, &body, &m.name, no_tx, up, cat.layout);
            plan.changes.push(FileChange {
                path: f.path,
                old: None,
                new: content,
            });
        }
    }
    plan
}

/// A planned new migration's file with `body` as its up SQL (and a no-transaction
/// directive in the layout's own words).
fn follow_up_file(
    template: &str,
    body: &str,
    of: &str,
    no_tx: bool,
    up: bool,
    layout: Layout,
) -> String {
    const UP: &str = "\n-- Write the forward (up) SQL here.\n";
    const DOWN: &str = "\n-- Write the SQL that undoes the up migration here.\n";
    let note = format!("\n-- Written by `sqlgate fix` from {of}; undone by its down migration.\n");
    let mut text = template.replace(UP, body).replace(DOWN, &note);
    if no_tx {
        text = match layout {
            Layout::Goose => format!("-- +goose NO TRANSACTION\n{text}"),
            Layout::Markers if text.contains("-- migrate:up\n") => {
                text.replace("-- migrate:up\n", "-- migrate:up transaction:false\n")
            }
            Layout::Markers => text.replacen("-- UP\n", "-- UP\n-- sqlgate:no-transaction\n", 1),
            _ if up => format!("-- sqlgate:no-transaction\n{text}"),
            _ => text,
        };
    }
    text
}

/// The fixes of one migration: its file's new content and what moves to new
/// migrations after it; `None` when nothing could be fixed.
fn rewrite_migration(
    cat: &Catalog,
    m: &Migration,
    files: &[SourceFile],
    findings: &[&Finding],
    later_text: &str,
    opts: &Options,
    outcomes: &mut Vec<Outcome>,
) -> Result<Option<(FileChange, Rewritten)>, String> {
    let (content, base) = source_of(m, files)?;
    let parsed = sql::parse(&m.up.text, opts.vars, m.up.first_line);
    if !parsed.problems.is_empty() {
        return Err("the migration does not parse: fix its syntax first".into());
    }
    let statements = &parsed.statements;
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let (mut done, moved_out) = rewrite_statements(&parsed, findings, later_text, opts);
    let rewritten: Vec<bool> = (0..statements.len())
        .map(|i| moved_out.iter().any(|(k, _)| *k == i))
        .collect();
    // The lock timeout, before the first statement.
    for f in findings
        .iter()
        .filter(|f| f.rule == RuleId::of(&locking::MISSING_LOCK_TIMEOUT))
    {
        let ok = statements.first().map(|s| s.start);
        done.push(Outcome {
            rule: f.rule,
            file: f.file.clone(),
            line: f.line,
            not_fixed: ok
                .is_none()
                .then(|| "the migration has no statement".to_string()),
        });
        if let Some(at) = ok {
            if !edits.iter().any(|e| e.0 == at && e.1 == at) {
                edits.push((
                    at,
                    at,
                    format!("SET lock_timeout = '{}';\n", opts.lock_timeout),
                ));
            }
        }
    }
    if done.iter().all(|o| o.not_fixed.is_some()) {
        outcomes.extend(done);
        return Ok(None);
    }
    // In place as a no-transaction migration when nothing else needs the transaction.
    let needs_no_tx = moved_out
        .iter()
        .any(|(_, r)| r.ops.iter().any(|o| matches!(o, Op::NoTx(_))));
    let in_place = m.no_transaction
        || (needs_no_tx
            && statements
                .iter()
                .enumerate()
                .all(|(i, s)| standalone(&s.node) || rewritten[i]));
    let mut out = Rewritten::default();
    for (i, r) in moved_out {
        let stmt = &statements[i];
        let mut here = Vec::new();
        for op in r.ops {
            match op {
                Op::Here(s) => here.push(s),
                Op::NoTx(s) if in_place => here.push(s),
                Op::NoTx(s) => out.no_tx.push(s),
                Op::Later(s) => out.later.push(s),
            }
        }
        if here.is_empty() {
            // Removed: the statement, its `;` and the rest of its line.
            let tail = &m.up.text[stmt.end..];
            let semi = tail
                .find(|c: char| !c.is_whitespace())
                .filter(|&k| tail[k..].starts_with(';'))
                .map_or(0, |k| k + 1);
            let eol = tail[semi..].find('\n').map_or(tail.len(), |k| semi + k + 1);
            let eol = if tail[semi..eol].trim().is_empty() {
                eol
            } else {
                semi
            };
            edits.push((stmt.start, stmt.end + eol, String::new()));
        } else {
            edits.push((stmt.start, stmt.end, here.join(";\n")));
        }
    }
    let mut text = m.up.text.clone();
    edits.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    for (s, e, with) in edits {
        text.replace_range(s..e, &with);
    }
    out.text = text;
    let mut new_content = format!(
        "{}{}{}",
        &content[..base],
        out.text,
        &content[base + m.up.text.len()..]
    );
    if in_place && !m.no_transaction {
        new_content = no_transaction(cat.layout, &new_content, base);
    }
    outcomes.extend(done);
    Ok(Some((
        FileChange {
            path: m.up.path.clone(),
            old: Some(content),
            new: new_content,
        },
        out,
    )))
}

/// The migration's file and where its up SQL starts in it.
fn source_of(m: &Migration, files: &[SourceFile]) -> Result<(String, usize), String> {
    let content = files
        .iter()
        .find(|f| f.path == m.up.path)
        .and_then(|f| match &f.content {
            Content::Bytes(b) => String::from_utf8(b.clone()).ok(),
            Content::Unreadable(_) => None,
        })
        .ok_or("the file cannot be read as UTF-8 text")?;
    if m.up.raw.is_some() {
        return Err("the file has a byte-order mark or CRLF line ends: fix it by hand (or normalise it first)".into());
    }
    let base = content
        .find(&m.up.text)
        .ok_or("the up SQL is not found as written in the file")?;
    Ok((content, base))
}

/// Each statement with a fixable finding, rewritten (or why not).
#[allow(clippy::type_complexity)]
fn rewrite_statements(
    parsed: &sql::Parsed,
    findings: &[&Finding],
    later_text: &str,
    opts: &Options,
) -> (Vec<Outcome>, Vec<(usize, rewrite::Rewrite)>) {
    let statements = &parsed.statements;
    let mut done: Vec<Outcome> = Vec::new();
    let mut moved_out: Vec<(usize, rewrite::Rewrite)> = Vec::new();
    for (i, stmt) in statements.iter().enumerate() {
        let here: Vec<&&Finding> = findings
            .iter()
            .filter(|f| f.line >= stmt.line && f.line <= stmt.end_line)
            .filter(|f| f.rule != RuleId::of(&locking::MISSING_LOCK_TIMEOUT))
            .collect();
        let mut fixed = false;
        for f in here {
            let outcome = |why: Option<String>| Outcome {
                rule: f.rule,
                file: f.file.clone(),
                line: f.line,
                not_fixed: why,
            };
            if fixed {
                done.push(outcome(Some(
                    "the statement was rewritten for another finding: run `sqlgate fix` again"
                        .into(),
                )));
                continue;
            }
            let text = parsed.text(stmt);
            if parsed.substituted_text(stmt) != text {
                done.push(outcome(Some(
                    "the statement uses placeholders: fix it by hand".into(),
                )));
                continue;
            }
            match rewrite::rewrite(f.rule.rule(), &stmt.node, text, opts.pg_version) {
                Ok(r) => {
                    let rest: String = statements[i + 1..]
                        .iter()
                        .map(|s| parsed.text(s))
                        .collect::<Vec<_>>()
                        .join("\n");
                    let needs_move = r.ops.iter().any(|o| !matches!(o, Op::Here(_)));
                    let used = r.moved.iter().find(|name| {
                        let n = name.to_lowercase();
                        needs_move
                            && (rest.to_lowercase().contains(&n)
                                || later_text.to_lowercase().contains(&n))
                    });
                    if let Some(name) = used {
                        done.push(outcome(Some(format!("a later statement uses `{name}`, which the fix would create in a later migration: fix it by hand"))));
                        continue;
                    }
                    done.push(outcome(None));
                    moved_out.push((i, r));
                    fixed = true;
                }
                Err(why) => done.push(outcome(Some(why))),
            }
        }
    }
    (done, moved_out)
}

#[cfg(test)]
mod tests;
