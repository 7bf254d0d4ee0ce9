//! The commands that look after the history: `rollback` (down SQL, newest first),
//! `validate` (applied files against recorded checksums, with diffs), `repair`
//! (accept a new checksum or clear a failed record — always audited), `baseline`
//! (mark an existing database as being at a version) and `verify` (connection,
//! server version, privileges, history health). All run under the migration lock.

use crate::connection::{connect, describe, with_hint};
use crate::exec;
use crate::history::{self, quoted};
use crate::lock::{connect_locked as locked, unlock};
use sqlgate_core::catalog::display_path;
use sqlgate_core::catalog::{text, Catalog, Migration, Version};
use sqlgate_core::model::{Applied, Failure, Finding, RollbackReport};
use sqlgate_core::model::{Invalid, RecordStatus, RuleId};
use sqlgate_core::rules::database::{CHECKSUM_MISMATCH, FAILED_MIGRATION, MISSING_FILE};
use sqlgate_core::rules::directory::MISSING_DOWN;
use sqlgate_core::rules::history::{unified_diff, OUT_OF_ORDER};
use sqlgate_core::sql;
use sqlgate_core::Error;
use std::collections::HashMap;
use tokio_postgres::Row;

pub use crate::verify::verify;

pub(crate) fn db_err(what: &str) -> impl Fn(tokio_postgres::Error) -> Error + '_ {
    move |e| Error::Unreachable(format!("{what}: {}", describe(&e)))
}

/// Column `i` of a row sqlgate asked for, or an error saying what was unexpected.
pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    i: usize,
    what: &str,
) -> Result<T, Error> {
    row.try_get(i)
        .map_err(|e| Error::Usage(format!("unexpected value for {what}: {e}")))
}

/// Which applied migrations `rollback` undoes.
#[derive(Debug, Clone)]
pub enum RollbackScope {
    Count(usize),
    /// Everything above this version.
    To(String),
    /// Everything the last `apply` did.
    LastBatch,
    /// Every applied migration (`reset`).
    All,
    /// One migration (a version or a file name); with newer ones applied only when
    /// `allow_out_of_order`.
    Only {
        migration: String,
        allow_out_of_order: bool,
    },
}

/// How a rollback runs.
#[derive(Debug, Clone)]
pub struct RollbackOptions {
    pub scope: RollbackScope,
    pub dry_run: bool,
    pub wait: std::time::Duration,
    pub vars: std::collections::BTreeMap<String, String>,
    pub lock_timeout: Option<std::time::Duration>,
    pub statement_timeout: Option<std::time::Duration>,
}

fn pg_duration(d: Option<std::time::Duration>) -> String {
    d.map_or("0".into(), |d| format!("{}ms", d.as_millis()))
}

/// Runs down SQL, newest first: each in a transaction with the removal of its history
/// row (its down marked no-transaction: statement by statement, then the row). Before
/// anything changes it refuses — with every reason — when a chosen migration has no
/// file or no down SQL, or `preflight` finds down SQL the runner cannot execute. With
/// fewer applied migrations than asked it undoes what there is and says so.
pub async fn rollback(
    url: &str,
    table: &str,
    cat: &Catalog,
    dir: &str,
    opts: &RollbackOptions,
    preflight: &sqlgate_core::plan::Preflight<'_>,
    say: &mut dyn FnMut(String),
) -> Result<RollbackReport, Error> {
    let client = connect(url).await?;
    let mut report = RollbackReport {
        dry_run: opts.dry_run,
        ..Default::default()
    };
    if !history::exists(&client, table).await? {
        return Err(Error::Usage(format!(
            "the database has no sqlgate history ({}): sqlgate applied nothing here, so there is nothing to roll back. If another tool migrated it, take it over first with `sqlgate adopt` (or `sqlgate baseline`)",
            quoted(table)
        )));
    }
    let rows = history::read(&client, table).await?;
    let scope = match &opts.scope {
        RollbackScope::Only {
            migration,
            allow_out_of_order,
        } => match only(
            cat,
            &rows,
            migration,
            *allow_out_of_order,
            dir,
            &mut report.blockers,
        )? {
            Some(scope) => scope,
            None => return Ok(report),
        },
        other => other.clone(),
    };
    let (chosen, short) = choose(cat, &rows, &scope)?;
    report.short = short;
    let plan = downs(cat, &chosen, dir, &mut report.blockers);
    if report.blockers.is_empty() {
        report.blockers = preflight.blockers(&plan);
    }
    report.planned = plan
        .iter()
        .map(|m| Applied {
            version: m.version.raw().into(),
            name: m.name.clone(),
            execution_ms: 0,
        })
        .collect();
    if !report.blockers.is_empty() {
        return Ok(report);
    }
    if opts.dry_run {
        say_dry_run(&plan, dir, opts, say);
        return Ok(report);
    }
    let key = history::lock_key(table);
    crate::lock::lock(&client, key, opts.wait, say).await?;
    let result = run_downs(&client, table, &plan, opts, &mut report, say).await;
    unlock(&client, key).await;
    result.map(|()| report)
}

/// `--only <migration>`: the one record to roll back, or `None` with a blocker when
/// newer migrations are applied and out-of-order rollback is not allowed.
fn only(
    cat: &Catalog,
    rows: &[sqlgate_core::model::Record],
    migration: &str,
    allow_out_of_order: bool,
    dir: &str,
    blockers: &mut Vec<Finding>,
) -> Result<Option<RollbackScope>, Error> {
    let m = sqlgate_core::plan::find(cat, migration)
        .map_err(|e| Error::Usage(format!("--only {migration}: {e}")))?;
    let v = m.version.canonical();
    if !rows.iter().any(|r| {
        r.version == v && matches!(r.status, RecordStatus::Applied | RecordStatus::Baseline)
    }) {
        return Err(Error::Usage(format!(
            "--only {migration}: {} is not applied (`sqlgate status` shows its state)",
            m.name
        )));
    }
    let newer: Vec<&str> = rows
        .iter()
        .filter(|r| {
            matches!(r.status, RecordStatus::Applied | RecordStatus::Baseline)
                && cat.version(&r.version).is_some_and(|x| x > m.version)
        })
        .map(|r| r.name.as_str())
        .collect();
    if !newer.is_empty() && !allow_out_of_order {
        blockers.push(
            Finding::new(
                &OUT_OF_ORDER,
                display_path(dir, &m.up.path),
                format!(
                    "rolling back {} alone leaves newer migrations applied ({}), which may depend on it; pass --allow-out-of-order if they do not, or roll back to it with --to",
                    m.name,
                    newer.join(", ")
                ),
            )
            .version(m.version.raw()),
        );
        return Ok(None);
    }
    Ok(Some(RollbackScope::Only {
        migration: v.to_string(),
        allow_out_of_order: true,
    }))
}

/// The migrations whose down SQL rolls back the chosen records; a record without a
/// file or down SQL is a blocker.
fn downs<'a>(
    cat: &'a Catalog,
    chosen: &[&sqlgate_core::model::Record],
    dir: &str,
    blockers: &mut Vec<Finding>,
) -> Vec<&'a Migration> {
    let by_version: HashMap<&str, &Migration> = cat
        .migrations
        .iter()
        .map(|m| (m.version.canonical(), m))
        .collect();
    let mut plan: Vec<&Migration> = Vec::new();
    for r in chosen {
        let why = match by_version.get(r.version.as_str()) {
            None if r.status == RecordStatus::Baseline => format!(
                "version {} was recorded by `sqlgate baseline` and has no file, so there is no down SQL to run",
                r.version
            ),
            None => format!("{} has no file, so there is no down SQL to run", r.name),
            // A down file of its own that is empty or only comments is a deliberate
            // no-op (sqlx runs it as one); an empty `-- DOWN` section is not a down.
            Some(m)
                if m
                    .down
                    .as_ref()
                    .is_none_or(|d| d.path == m.up.path && !text::has_sql(&d.text)) =>
            {
                format!(
                    "{} has no down SQL (a down file, a `-- DOWN` section or a `_rollback` sibling, by layout)",
                    m.name
                )
            }
            Some(m) => {
                plan.push(m);
                continue;
            }
        };
        blockers.push(
            Finding::new(&MISSING_DOWN, display_path(dir, &r.name), why).version(r.version.clone()),
        );
    }
    plan
}

/// What a dry run would roll back, and the down SQL.
fn say_dry_run(
    plan: &[&Migration],
    dir: &str,
    opts: &RollbackOptions,
    say: &mut dyn FnMut(String),
) {
    for m in plan {
        let Some(down) = &m.down else { continue };
        say(format!(
            "would roll back {} ({}){}",
            m.name,
            display_path(dir, &down.path),
            if m.down_no_transaction {
                " without a transaction"
            } else {
                ""
            }
        ));
        say(text::substitute(&down.text, &opts.vars)
            .trim_end()
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n"));
    }
}

/// The records a scope chooses, newest first, and why there are fewer than asked.
fn choose<'a>(
    cat: &Catalog,
    rows: &'a [sqlgate_core::model::Record],
    scope: &RollbackScope,
) -> Result<(Vec<&'a sqlgate_core::model::Record>, Option<String>), Error> {
    // Repeatable migrations (Flyway's `R__`) have no down; they are not rolled back.
    let mut applied: Vec<&sqlgate_core::model::Record> = rows
        .iter()
        .filter(|r| matches!(r.status, RecordStatus::Applied | RecordStatus::Baseline))
        .filter(|r| !r.version.starts_with("R__"))
        .collect();
    applied.sort_by_key(|r| cat.version(&r.version));
    applied.reverse();
    Ok(match scope {
        RollbackScope::Count(n) => {
            let short = (applied.len() < *n).then(|| {
                format!(
                    "asked for {n}, but only {} migration(s) are applied",
                    applied.len()
                )
            });
            (applied.into_iter().take(*n).collect(), short)
        }
        RollbackScope::To(v) => {
            let to = cat
                .version(v)
                .ok_or_else(|| Error::Usage(format!("--to {v} is not a version number")))?;
            let chosen: Vec<_> = applied
                .into_iter()
                .filter(|r| cat.version(&r.version).is_some_and(|x| x > to))
                .collect();
            (chosen, None)
        }
        RollbackScope::LastBatch => {
            let last = applied
                .iter()
                .filter(|r| r.status == RecordStatus::Applied)
                .map(|r| r.batch)
                .max();
            match last {
                Some(last) => (
                    applied
                        .into_iter()
                        .filter(|r| r.status == RecordStatus::Applied && r.batch == last)
                        .collect(),
                    None,
                ),
                None => (
                    Vec::new(),
                    Some("no apply has run here, so there is no last batch".into()),
                ),
            }
        }
        RollbackScope::All => (applied, None),
        // Resolved to a canonical version by `rollback`.
        RollbackScope::Only { migration, .. } => (
            applied
                .into_iter()
                .filter(|r| &r.version == migration)
                .collect(),
            None,
        ),
    })
}

async fn run_downs(
    client: &tokio_postgres::Client,
    table: &str,
    plan: &[&Migration],
    opts: &RollbackOptions,
    report: &mut RollbackReport,
    say: &mut dyn FnMut(String),
) -> Result<(), Error> {
    let delete = client
        .prepare(&history::delete_one_sql(table))
        .await
        .map_err(db_err("cannot prepare the history update"))?;
    for m in plan {
        let Some(down) = &m.down else { continue };
        let mut parsed = sql::parse(&down.text, &opts.vars, down.first_line);
        if !m.down_no_transaction {
            parsed.unwrap_own_transaction();
        }
        let started = std::time::Instant::now();
        let failed = |line: u32, column: u32, message: String, done: Option<usize>| Failure {
            migration: m.name.clone(),
            file: down.path.clone(),
            line,
            column,
            message,
            statements_done: done,
        };
        let outcome = if m.down_no_transaction {
            let set = format!(
                "SET lock_timeout = '{}'; SET statement_timeout = '{}'",
                pg_duration(opts.lock_timeout),
                pg_duration(opts.statement_timeout)
            );
            client
                .batch_execute(&set)
                .await
                .map_err(db_err("cannot set the timeouts"))?;
            let Ok(result) = exec::run_each(client, &parsed, &mut exec::Quiet).await;
            match result {
                Ok(()) => client
                    .execute(&delete, &[&m.version.canonical(), &m.name])
                    .await
                    .map(|_| ())
                    .map_err(|e| failed(down.first_line, 1, describe(&e), None)),
                Err(e) => Err(failed(e.line, e.column, with_hint(&e.error), Some(e.done))),
            }
        } else {
            let begin = format!(
                "BEGIN; SET LOCAL lock_timeout = '{}'; SET LOCAL statement_timeout = '{}'",
                pg_duration(opts.lock_timeout),
                pg_duration(opts.statement_timeout)
            );
            let version = m.version.canonical();
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 2] = [&version, &m.name];
            let record = client.execute(&delete, &params);
            exec::run_transaction(client, &begin, &parsed, record)
                .await
                .map_err(|err| match err {
                    exec::TransactionError::Statement(s) => {
                        failed(s.line, s.column, with_hint(&s.error), None)
                    }
                    exec::TransactionError::Around(e, what) => failed(
                        down.first_line,
                        1,
                        format!("while {what}: {}", describe(&e)),
                        None,
                    ),
                })
        };
        let ms = started.elapsed().as_millis() as u64;
        match outcome {
            Ok(()) => {
                say(format!("  rolled back {} ({ms} ms)", m.name));
                report.done.push(Applied {
                    version: m.version.raw().into(),
                    name: m.name.clone(),
                    execution_ms: ms,
                });
            }
            Err(f) => {
                if let Some(done) = f.statements_done.filter(|&n| n > 0) {
                    // Half undone: the record says so until someone repairs it.
                    let _ = client
                        .execute(
                            &history::mark_failed_sql(table),
                            &[
                                &m.version.canonical(),
                                &m.name,
                                &(done as i32),
                                &format!("rollback failed: {}", f.message),
                            ],
                        )
                        .await;
                }
                report.failure = Some(f);
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Compares applied migrations with their files.
pub async fn validate(url: &str, table: &str, cat: &Catalog) -> Result<Vec<Invalid>, Error> {
    let client = connect(url).await?;
    if !history::exists(&client, table).await? {
        return Ok(Vec::new());
    }
    history::check_compatible(&client, table).await?;
    let rows = client
        .query(&history::validate_rows_sql(table), &[])
        .await
        .map_err(db_err("cannot read the history table"))?;
    let mut by_version: HashMap<&str, Vec<&Migration>> = HashMap::new();
    for m in &cat.migrations {
        by_version.entry(m.version.canonical()).or_default().push(m);
    }
    let mut out = Vec::new();
    for r in rows {
        let version: String = history::column(&r, 0, "version", table, "(unknown)")?;
        let v = version.as_str();
        let name: String = history::column(&r, 1, "name", table, v)?;
        // The file of this row: the one of its version, or the one with its name.
        let file = match by_version.get(v).map(Vec::as_slice) {
            Some([m]) => Some(*m),
            Some(many) => many.iter().find(|m| m.name == name).copied(),
            None => None,
        };
        let checksum: String = history::column(&r, 2, "checksum", table, v)?;
        let status: String = history::column(&r, 3, "status", table, v)?;
        let recorded: Option<String> = history::column(&r, 4, "up_sql", table, v)?;
        let status = RecordStatus::parse(&status);
        let (problem, name, diff) = match (file, status) {
            (None, Some(RecordStatus::Baseline)) if checksum.is_empty() => continue,
            (None, _) => (&MISSING_FILE, name, None),
            (Some(m), Some(RecordStatus::Failed)) => (&FAILED_MIGRATION, m.name.clone(), None),
            (Some(m), Some(RecordStatus::Applied | RecordStatus::Baseline))
                if !checksum.is_empty() && !m.matches_checksum(&checksum) =>
            {
                (
                    &CHECKSUM_MISMATCH,
                    m.name.clone(),
                    recorded.map(|old| unified_diff(&old, &m.up.text, &m.up.path, &m.up.path)),
                )
            }
            _ => continue,
        };
        out.push(Invalid {
            version,
            name,
            problem: RuleId::of(problem),
            diff,
        });
    }
    Ok(out)
}

/// A version as given on the command line, in the history table's form.
fn canonical(v: &str) -> Result<String, Error> {
    Version::parse(v)
        .map(|c| c.canonical().to_string())
        .ok_or_else(|| Error::Usage(format!("{v} is not a version number")))
}

/// Removes the history rows of `versions` and runs nothing (`repair --forget`: a
/// record-only rollback, audited). Returns the names forgotten.
pub async fn forget(
    url: &str,
    table: &str,
    versions: &[String],
    wait: std::time::Duration,
    say: &mut dyn FnMut(String),
) -> Result<Vec<String>, Error> {
    let (client, key) = locked(url, table, wait, say).await?;
    let result = async {
        history::check_compatible(&client, table).await?;
        let mut done = Vec::new();
        for v in versions {
            let canon = canonical(v)?;
            let rows = client
                .query(&history::forget_sql(table), &[&canon])
                .await
                .map_err(db_err("cannot remove the record"))?;
            if rows.is_empty() {
                return Err(Error::Usage(format!(
                    "version {v} is not in the history table (`sqlgate status` lists what is)"
                )));
            }
            for r in rows {
                let name: String = get(&r, 0, "the forgotten row's name")?;
                history::audit(
                    &client,
                    table,
                    "forget",
                    &canon,
                    &format!("{name}: record removed, nothing run"),
                )
                .await?;
                done.push(name);
            }
        }
        Ok(done)
    }
    .await;
    unlock(&client, key).await;
    result
}

/// Accepts the file's checksum of an applied version, or clears a failed record.
pub async fn repair(
    url: &str,
    table: &str,
    cat: &Catalog,
    versions: &[String],
    wait: std::time::Duration,
    say: &mut dyn FnMut(String),
) -> Result<Vec<String>, Error> {
    let (client, key) = locked(url, table, wait, say).await?;
    let result = async {
        history::check_compatible(&client, table).await?;
        let by_version: HashMap<&str, &Migration> = cat
            .migrations
            .iter()
            .map(|m| (m.version.canonical(), m))
            .collect();
        let mut done = Vec::new();
        for v in versions {
            let canon = canonical(v)?;
            let rows = client
                .query(
                    &history::version_rows_sql(table),
                    &[&canon],
                )
                .await
                .map_err(db_err("cannot read the history table"))?;
            if rows.len() > 1 {
                let names: Vec<String> = rows
                    .iter()
                    .filter_map(|r| r.try_get::<_, String>(2).ok())
                    .collect();
                return Err(Error::Usage(format!(
                    "version {v} is recorded for {} files ({}): repair takes a version, so fix these rows by hand, or forget them (`sqlgate repair --forget {v}`) and record them again (`sqlgate baseline {v}`)",
                    rows.len(),
                    names.join(", ")
                )));
            }
            let row = rows
                .first()
                .ok_or_else(|| Error::Usage(format!("version {v} is not in the history table")))?;
            let (status, old): (String, String) = (
                get(row, 0, "the history row's status")?,
                get(row, 1, "the history row's checksum")?,
            );
            if RecordStatus::parse(&status) == Some(RecordStatus::Failed) {
                client
                    .execute(
                        &history::delete_version_sql(table),
                        &[&canon],
                    )
                    .await
                    .map_err(db_err("cannot clear the failed record"))?;
                history::audit(
                    &client,
                    table,
                    "clear-failed",
                    &canon,
                    "failed record removed; the migration will run again",
                )
                .await?;
                done.push(format!(
                    "{v}: failed record cleared (the migration runs again on the next apply)"
                ));
                continue;
            }
            let m = by_version.get(canon.as_str()).ok_or_else(|| {
                Error::Usage(format!("version {v} has no file to take the checksum from"))
            })?;
            if m.matches_checksum(&old) {
                done.push(format!("{v}: already matches its file"));
                continue;
            }
            client
                .execute(
                    &history::accept_checksum_sql(table),
                    &[&canon, &m.checksum(), &m.up.text],
                )
                .await
                .map_err(db_err("cannot update the checksum"))?;
            history::audit(
                &client,
                table,
                "accept-checksum",
                &canon,
                &format!("{old} -> {}", m.checksum()),
            )
            .await?;
            done.push(format!(
                "{v}: checksum {}… accepted (was {}…)",
                &m.checksum()[..12],
                &old[..old.len().min(12)]
            ));
        }
        Ok(done)
    }
    .await;
    unlock(&client, key).await;
    result
}

/// What `baseline` recorded.
#[derive(Debug, Default)]
pub struct Baselined {
    /// Migrations recorded as baseline, by name.
    pub recorded: Vec<String>,
    /// Versions already in the history, left as they are.
    pub skipped: Vec<String>,
    /// What `--force` let through.
    pub warnings: Vec<String>,
}

/// The files (and, with `force`, versions without one) a baseline records: every
/// file up to one version, or the files of each version given.
fn baseline_choice<'a>(
    cat: &'a Catalog,
    versions: &[String],
    force: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<(Version, Option<&'a Migration>)>, Error> {
    let mut wanted = Vec::new();
    for v in versions {
        wanted.push(
            cat.version(v)
                .ok_or_else(|| Error::Usage(format!("{v} is not a version number")))?,
        );
    }
    // (version, migration if it has a file)
    let mut chosen: Vec<(Version, Option<&Migration>)> = Vec::new();
    let mut missing = Vec::new();
    if let [only] = wanted.as_slice() {
        chosen.extend(
            cat.migrations
                .iter()
                .filter(|m| &m.version <= only)
                .map(|m| (m.version.clone(), Some(m))),
        );
        if !cat.migrations.iter().any(|m| &m.version == only) {
            missing.push(only.clone());
        }
    } else {
        for v in &wanted {
            // Every file of the version (files that share one are each recorded).
            let files: Vec<&Migration> =
                cat.migrations.iter().filter(|m| &m.version == v).collect();
            if files.is_empty() {
                missing.push(v.clone());
            }
            chosen.extend(files.into_iter().map(|m| (v.clone(), Some(m))));
        }
    }
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|v| v.raw().to_string())
            .collect::<Vec<_>>();
        if !force {
            return Err(Error::Usage(format!(
                "no migration file has version {}: baseline records files that exist, so that what the database has and what the directory says agree (`--force` records it anyway)",
                list.join(", ")
            )));
        }
        for v in missing {
            warnings.push(format!(
                "version {} has no file: recorded as a placeholder (status will not list it by name, and nothing can roll it back)",
                v.raw()
            ));
            chosen.push((v, None));
        }
    }
    Ok(chosen)
}

/// Marks migrations as applied without running them. One version: every migration up
/// to and including it; several: exactly those (gaps stay pending). Each is recorded
/// by its name with its file's checksum (so `validate` compares it). Versions without
/// a file are refused unless `force` (then recorded as a placeholder, with a warning);
/// versions already in the history are left as they are, unless recorded as failed.
pub async fn baseline(
    url: &str,
    table: &str,
    cat: &Catalog,
    versions: &[String],
    force: bool,
    wait: std::time::Duration,
    say: &mut dyn FnMut(String),
) -> Result<Baselined, Error> {
    let mut out = Baselined::default();
    let chosen = baseline_choice(cat, versions, force, &mut out.warnings)?;
    let (client, key) = locked(url, table, wait, say).await?;
    let result = async {
        history::ensure(&client, table).await?;
        let rows = history::read(&client, table).await?;
        let insert = history::baseline_insert_sql(table);
        client
            .batch_execute("BEGIN")
            .await
            .map_err(db_err("cannot start a transaction"))?;
        let written = async {
            for (v, m) in &chosen {
                // This file's row: by version, and by name where files share it.
                let shared = chosen.iter().filter(|(w, _)| w == v).count() > 1;
                let recorded = rows.iter().find(|r| {
                    r.version == v.canonical() && (!shared || m.is_none_or(|m| r.name == m.name))
                });
                if let Some(r) = recorded {
                    if r.status == RecordStatus::Failed {
                        return Err(Error::Usage(format!(
                            "version {} is recorded as failed: finish or undo it and run `sqlgate repair {}` first",
                            v.raw(),
                            v.raw()
                        )));
                    }
                    out.skipped.push(r.name.clone());
                    continue;
                }
                let (name, checksum, sql) = match m {
                    Some(m) => (m.name.clone(), m.checksum().to_string(), Some(m.up.text.clone())),
                    None => ("baseline".to_string(), String::new(), None),
                };
                client
                    .execute(
                        &insert,
                        &[&v.canonical(), &name, &checksum, &env!("CARGO_PKG_VERSION"), &sql],
                    )
                    .await
                    .map_err(db_err("cannot write the baseline"))?;
                history::audit(&client, table, "baseline", v.canonical(), &format!("{name} recorded as applied without running")).await?;
                out.recorded.push(name);
            }
            Ok(())
        }
        .await;
        match written {
            Ok(()) => client
                .batch_execute("COMMIT")
                .await
                .map_err(db_err("cannot commit the baseline")),
            Err(e) => {
                let _ = client.batch_execute("ROLLBACK").await;
                Err(e)
            }
        }
    }
    .await;
    unlock(&client, key).await;
    result.map(|()| out)
}
