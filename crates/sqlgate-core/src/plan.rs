//! What `apply` would do: the catalog compared with the history table's records —
//! which migrations are applied, pending, modified, missing or failed, and what must
//! stop an apply (`checksum-mismatch`, `missing-file`, `failed-migration`,
//! `out-of-order`); and the pre-flight: the directory and SQL rules that stop `apply`
//! and `rollback` before anything runs ([`blocking_rules`]). Pure.

use crate::catalog::{display_path, Catalog, Migration, Version};
use crate::check::CheckOptions;
use crate::model::{Apply, Finding, Record, RecordStatus, Rule, RuleId, State, StatusLine};
use crate::rules::database::{CHECKSUM_MISMATCH, FAILED_MIGRATION, MISSING_FILE};
use crate::rules::history::OUT_OF_ORDER;
use crate::rules::sql::transactions;
use std::collections::HashMap;

/// What `apply` would do, and what stops it.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub pending: Vec<&'a Migration>,
    /// Repeatable migrations that are new or changed: applied after `pending`.
    pub pending_repeatables: Vec<&'a Migration>,
    /// `checksum-mismatch`, `missing-file`, `failed-migration`, `out-of-order`.
    pub blockers: Vec<Finding>,
    pub status: Vec<StatusLine>,
    /// The newest version the database has (a pending migration below it runs out of
    /// order).
    pub newest_applied: Option<Version>,
}

/// Compares the catalog with the history rows.
pub fn plan<'a>(
    cat: &'a Catalog,
    rows: &[Record],
    dir: &str,
    allow_out_of_order: bool,
) -> Plan<'a> {
    let mut out = Plan::default();
    let mut by_version: HashMap<&str, Vec<&Migration>> = HashMap::new();
    for m in &cat.migrations {
        by_version.entry(m.version.canonical()).or_default().push(m);
    }
    // The file a row records: the one file of its version, or — where files share a
    // version (both applied by an earlier runner) — the one with its name.
    let file_of = |r: &Record| -> Option<&'a Migration> {
        match by_version.get(r.version.as_str())?.as_slice() {
            [m] => Some(*m),
            many => many.iter().find(|m| m.name == r.name).copied(),
        }
    };
    let recorded: HashMap<&str, &Record> = rows.iter().map(|r| (r.version.as_str(), r)).collect();
    let matched: std::collections::HashSet<&str> = rows
        .iter()
        .filter_map(&file_of)
        .map(|m| m.up.path.as_str())
        .collect();
    // A placeholder written by `baseline <version>` for a version without a file (or
    // by sqlgate before 0.2, which recorded only the version): everything up to it
    // counts as in the database. Rows for files are exact, so gaps stay pending.
    let baseline = rows
        .iter()
        .filter(|r| is_placeholder(r))
        .filter_map(|r| cat.version(&r.version))
        .max();
    out.newest_applied = rows.iter().filter_map(|r| cat.version(&r.version)).max();
    let max_applied = out.newest_applied.clone();
    let repeatables: HashMap<&str, &Migration> = cat
        .repeatables
        .iter()
        .map(|m| (m.name.as_str(), m))
        .collect();
    for r in rows {
        let repeatable = repeatables.get(r.version.as_str()).copied();
        let line = row_line(r, file_of(r), repeatable, dir, &mut out);
        out.status.push(line);
    }
    for m in &cat.migrations {
        let v = m.version.canonical();
        let has_row = matched.contains(m.up.path.as_str());
        if has_row || baseline.as_ref().is_some_and(|b| &m.version <= b) {
            if !has_row {
                out.status
                    .push(unrecorded(v.into(), &m.name, State::Baseline));
            }
            continue;
        }
        if let Some(max) = &max_applied {
            if &m.version < max && !allow_out_of_order {
                out.blockers.push(
                    Finding::new(
                        &OUT_OF_ORDER,
                        display_path(dir, &m.up.path),
                        format!(
                            "{} is pending but the database already has version {max}",
                            m.name
                        ),
                    )
                    .version(m.version.raw()),
                );
            }
        }
        out.pending.push(m);
        out.status
            .push(unrecorded(v.into(), &m.name, State::Pending));
    }
    for m in &cat.repeatables {
        if !recorded.contains_key(m.name.as_str()) {
            out.pending_repeatables.push(m);
            out.status
                .push(unrecorded(m.name.clone(), &m.name, State::Pending));
        }
    }
    // Versioned migrations in order, then the repeatable ones by name.
    out.status.sort_by(|a, b| {
        let key = |l: &StatusLine| (l.version.starts_with("R__"), cat.version(&l.version));
        key(a).cmp(&key(b)).then_with(|| a.version.cmp(&b.version))
    });
    out
}

/// A history row's status line; a row that stops `apply` (its file missing, failed,
/// or changed since) adds its blocker, a changed repeatable migration is pending.
fn row_line<'a>(
    r: &Record,
    file: Option<&'a Migration>,
    repeatable: Option<&'a Migration>,
    dir: &str,
    out: &mut Plan<'a>,
) -> StatusLine {
    // A repeatable migration's row: applied again when its file changed.
    if let Some(m) = repeatable {
        let state = if m.matches_checksum(&r.checksum) && r.status == RecordStatus::Applied {
            State::Applied
        } else {
            out.pending_repeatables.push(m);
            State::Pending
        };
        return line(r, state);
    }
    if r.version.starts_with("R__") {
        return line(r, State::Missing);
    }
    match file {
        None if !is_placeholder(r) => {
            out.blockers.push(Finding::new(
                &MISSING_FILE,
                display_path(dir, &r.name),
                format!(
                    "version {} ({}) is recorded as {} in the database but has no file",
                    r.version, r.name, r.status
                ),
            ));
            line(r, State::Missing)
        }
        None => line(r, State::Baseline),
        Some(m) if r.status == RecordStatus::Failed => {
            out.blockers.push(
                Finding::new(
                    &FAILED_MIGRATION,
                    display_path(dir, &m.up.path),
                    format!(
                        "{} failed part-way ({} statements ran): {}",
                        m.name,
                        r.statements_done.unwrap_or(0),
                        r.error.as_deref().unwrap_or("no error recorded")
                    ),
                )
                .version(m.version.raw()),
            );
            line(r, State::Failed)
        }
        Some(m)
            if !is_placeholder(r)
                && r.status != RecordStatus::Failed
                && !m.matches_checksum(&r.checksum) =>
        {
            out.blockers.push(
                Finding::new(
                    &CHECKSUM_MISMATCH,
                    display_path(dir, &m.up.path),
                    format!(
                        "{} was applied with checksum {}…, the file now has {}…",
                        m.name,
                        &r.checksum[..r.checksum.len().min(12)],
                        &m.checksum()[..12]
                    ),
                )
                .version(m.version.raw()),
            );
            line(r, State::Modified)
        }
        Some(_) => line(
            r,
            if r.status == RecordStatus::Baseline {
                State::Baseline
            } else {
                State::Applied
            },
        ),
    }
}

/// A placeholder written by `baseline <version>` for a version without a file (or by
/// sqlgate before 0.2, which recorded only the version).
fn is_placeholder(r: &Record) -> bool {
    r.status == RecordStatus::Baseline && r.checksum.is_empty()
}

/// A status line of a migration without a row.
fn unrecorded(version: String, name: &str, state: State) -> StatusLine {
    StatusLine {
        version,
        name: name.to_string(),
        state,
        applied_at: None,
        execution_ms: None,
        batch: None,
    }
}

fn line(r: &Record, state: State) -> StatusLine {
    StatusLine {
        version: r.version.clone(),
        name: r.name.clone(),
        state,
        applied_at: Some(r.applied_at.clone()),
        execution_ms: Some(r.execution_ms),
        batch: Some(r.batch),
    }
}

/// The rules that stop `apply` and `rollback` before the migration lock is taken
/// (`apply: Apply::Blocks` in their definition): what the runner cannot execute as
/// written (the deploy would fail, or run part of a migration and record it whole).
/// Other findings (`drop-table`, …) are the pull request's business, not the runner's.
pub fn blocking_rules() -> impl Iterator<Item = &'static Rule> {
    crate::rules::registry::ALL
        .iter()
        .copied()
        .filter(|r| r.apply == Apply::Blocks)
}

/// Whether `id` names a rule `--allow` accepts: a pre-flight rule, or one marked
/// `Apply::Allowable` (`unanalyzable-statement` stops a no-transaction migration;
/// `duplicate-version` once blocked, and allowing it changes nothing now).
pub fn allowable(id: &str) -> bool {
    crate::rules::registry::info(id).is_some_and(|r| r.apply != Apply::Runs)
}

/// The rules `--allow` accepts, for messages.
pub fn allowable_ids() -> Vec<&'static str> {
    crate::rules::registry::ALL
        .iter()
        .filter(|r| r.apply != Apply::Runs)
        .map(|r| r.id)
        .collect()
}

fn blocking(f: &Finding, allow: &[String]) -> bool {
    f.rule.rule().apply == Apply::Blocks && !allow.iter().any(|a| f.rule == a.as_str())
}

/// What in the directory as a whole stops an apply (duplicate versions, names the
/// runner would skip, unreadable or non-UTF-8 files), except the rules in `allow`.
pub fn directory_blockers(cat: &Catalog, opts: &CheckOptions, allow: &[String]) -> Vec<Finding> {
    let everything = |_: &Migration| true;
    let ctx = crate::rules::directory::DirectoryContext {
        display_dir: opts.dir,
        require_down: false,
        other_versions: &[],
        in_scope: &everything,
    };
    let mut out: Vec<Finding> = crate::rules::directory::catalog_problems(cat);
    out.extend(crate::rules::directory::check(cat, &ctx));
    out.retain(|f| blocking(f, allow));
    out
}

/// The pre-flight of the migrations a run chose, as data the runner judges them with
/// before the migration lock is taken (`apply`, `rollback`, previews, fleets).
#[derive(Debug, Clone)]
pub struct Preflight<'a> {
    pub cat: &'a Catalog,
    pub check: CheckOptions<'a>,
    /// Rules the user allowed (`--allow`).
    pub allow: &'a [String],
    /// Judging down SQL (rollback) rather than up SQL.
    pub down: bool,
    /// Verdicts already given, by the chosen migrations' paths: a fleet judges the
    /// same pending migrations for every target once.
    pub memo: Memo,
}

/// [`Preflight::blockers`]' verdicts, shared by its clones.
pub type Memo = std::sync::Arc<std::sync::Mutex<HashMap<Vec<String>, Vec<Finding>>>>;

impl Preflight<'_> {
    /// What stops the run: the chosen migrations' SQL that the runner cannot execute.
    pub fn blockers(&self, chosen: &[&Migration]) -> Vec<Finding> {
        let key: Vec<String> = chosen.iter().map(|m| m.up.path.clone()).collect();
        if let Some(known) = self.memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return known;
        }
        let names: std::collections::HashSet<&str> = key.iter().map(String::as_str).collect();
        let found = sql_blockers(
            self.cat,
            &|m: &Migration| names.contains(m.up.path.as_str()),
            self.down,
            &self.check,
            self.allow,
        );
        if let Ok(mut memo) = self.memo.lock() {
            memo.insert(key, found.clone());
        }
        found
    }
}

/// What in the SQL about to run stops it: syntax errors, transaction statements in a
/// wrapped migration, statements that cannot run in a transaction, and — in a
/// no-transaction migration, which runs statement by statement — any statement sqlgate
/// could not split off with certainty. `run` says which migrations will run; with
/// `down`, their down SQL is judged instead of their up SQL.
pub fn sql_blockers(
    cat: &Catalog,
    run: &dyn Fn(&Migration) -> bool,
    down: bool,
    opts: &CheckOptions,
    allow: &[String],
) -> Vec<Finding> {
    let chosen: Vec<Migration> = cat
        .migrations
        .iter()
        .chain(cat.repeatables.iter())
        .filter(|m| run(m))
        .filter_map(|m| {
            if !down {
                return Some(m.clone());
            }
            let d = m.down.as_ref()?;
            Some(Migration {
                up: d.clone(),
                down: None,
                no_transaction: m.down_no_transaction,
                ignores: Vec::new(),
                ..m.clone()
            })
        })
        .collect();
    if chosen.is_empty() {
        return Vec::new();
    }
    let no_transaction: std::collections::HashSet<String> = chosen
        .iter()
        .filter(|m| m.no_transaction)
        .map(|m| display_path(opts.dir, &m.up.path))
        .collect();
    let subset = Catalog {
        layout: cat.layout,
        numbering: cat.numbering,
        migrations: chosen,
        repeatables: Vec::new(),
        decision: cat.decision,
        textual_order: cat.textual_order,
        problems: Vec::new(),
    };
    let all = |_: &Migration| true;
    let sql_opts = crate::rules::sql::SqlOptions {
        display_dir: opts.dir,
        pg_version: opts.pg_version,
        runner_lock_timeout: opts.runner_lock_timeout,
        vars: opts.vars,
        // Policies are for review; apply's pre-flight never judges them.
        policy: &Default::default(),
    };
    let mut out = crate::rules::sql::analyse(&subset, &all, &all, &sql_opts).findings;
    let unanalyzable = RuleId::of(&transactions::UNANALYZABLE_STATEMENT);
    out.retain(|f| {
        blocking(f, allow)
            || (f.rule == unanalyzable
                && no_transaction.contains(&f.file)
                && !allow.iter().any(|a| a == unanalyzable.as_str()))
    });
    for f in &mut out {
        if f.rule == unanalyzable {
            f.severity = crate::model::Severity::Error;
            f.message.push_str(
                " — in a no-transaction migration, which runs statement by statement, sqlgate will not guess where this statement ends",
            );
        }
    }
    out
}

/// The migration `--only` names: a version (`7`, `007`, `1.2`) or a file name, path
/// or stem (`007_add_tags.sql`, `007_add_tags`). Errors say what exists.
pub fn find<'a>(cat: &'a Catalog, raw: &str) -> Result<&'a Migration, crate::Invalid> {
    let raw = raw.trim();
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    if let Some(v) = Version::parse(base) {
        let same: Vec<&Migration> = cat.migrations.iter().filter(|m| m.version == v).collect();
        return match same.as_slice() {
            [m] => Ok(m),
            [] => Err(crate::Invalid::Migration(format!(
                "no migration has version {base}"
            ))),
            _ => Err(crate::Invalid::Migration(format!(
                "several migrations have version {base} ({}): name the file",
                same.iter()
                    .map(|m| m.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        };
    }
    let stem = base
        .strip_suffix(".up.sql")
        .or_else(|| base.strip_suffix(".sql"))
        .unwrap_or(base);
    cat.migrations
        .iter()
        .find(|m| {
            m.name == stem
                || m.up.path == raw
                || m.up.path.rsplit('/').next() == Some(base)
                || m.up.path.split('/').next() == Some(stem)
        })
        .ok_or_else(|| {
            // A down file (`…_rollback.sql`, `….down.sql`, `U1__x.sql`): say whose.
            let of = cat.migrations.iter().find(|m| {
                m.down.as_ref().is_some_and(|d| {
                    d.path != m.up.path
                        && (d.path == raw || d.path.rsplit('/').next() == Some(base))
                })
            });
            crate::Invalid::Migration(match of {
                Some(m) => format!(
                    "{base} is the down of {}: `sqlgate apply` runs up migrations; roll it back with `sqlgate rollback --only {}`",
                    m.name, m.name
                ),
                None => format!("no migration file is called {base}"),
            })
        })
}
