//! `apply` and `status`: what is applied, pending, modified, missing or failed
//! (`plan`, pure), and running the pending migrations under one advisory lock, each
//! in its own transaction together with its history row.

use super::history::{self, Row};
use super::{connect, describe};
use crate::catalog::{display_path, Catalog, Migration};
use crate::error::Error;
use crate::findings::Finding;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// The state of one migration against the database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusLine {
    pub version: String,
    pub name: String,
    /// `applied`, `pending`, `modified`, `missing`, `failed`, `baseline`.
    pub state: &'static str,
    pub applied_at: Option<String>,
    pub execution_ms: Option<i64>,
}

/// What `apply` would do, and what stops it.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    pub pending: Vec<&'a Migration>,
    /// `checksum-mismatch`, `missing-file`, `failed-migration`, `out-of-order`.
    pub blockers: Vec<Finding>,
    pub status: Vec<StatusLine>,
}

/// Compares the catalog with the history rows.
pub fn plan<'a>(cat: &'a Catalog, rows: &[Row], dir: &str, allow_out_of_order: bool) -> Plan<'a> {
    let mut out = Plan::default();
    let by_version: HashMap<&str, &Migration> = cat
        .migrations
        .iter()
        .map(|m| (m.version.canonical(), m))
        .collect();
    let recorded: HashMap<&str, &Row> = rows.iter().map(|r| (r.version.as_str(), r)).collect();
    let baseline = rows
        .iter()
        .filter(|r| r.status == "baseline")
        .filter_map(|r| crate::catalog::Version::from_digits(&r.version))
        .max();
    let max_applied = rows
        .iter()
        .filter_map(|r| crate::catalog::Version::from_digits(&r.version))
        .max();
    for r in rows {
        match by_version.get(r.version.as_str()) {
            None if r.status != "baseline" => {
                out.blockers.push(Finding::new(
                    "missing-file",
                    format!("{dir}/"),
                    format!(
                        "version {} ({}) is recorded as {} in the database but has no file",
                        r.version, r.name, r.status
                    ),
                ));
                out.status.push(line(r, "missing"));
            }
            None => out.status.push(line(r, "baseline")),
            Some(m) if r.status == "failed" => {
                out.blockers.push(
                    Finding::new(
                        "failed-migration",
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
                out.status.push(line(r, "failed"));
            }
            Some(m) if r.status == "applied" && r.checksum != m.checksum() => {
                out.blockers.push(
                    Finding::new(
                        "checksum-mismatch",
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
                out.status.push(line(r, "modified"));
            }
            Some(_) => out.status.push(line(
                r,
                if r.status == "baseline" {
                    "baseline"
                } else {
                    "applied"
                },
            )),
        }
    }
    for m in &cat.migrations {
        let v = m.version.canonical();
        if recorded.contains_key(v) || baseline.as_ref().is_some_and(|b| &m.version <= b) {
            if !recorded.contains_key(v) {
                out.status.push(StatusLine {
                    version: m.version.raw().into(),
                    name: m.name.clone(),
                    state: "baseline",
                    applied_at: None,
                    execution_ms: None,
                });
            }
            continue;
        }
        if let Some(max) = &max_applied {
            if &m.version < max && !allow_out_of_order {
                out.blockers.push(
                    Finding::new(
                        "out-of-order",
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
        out.status.push(StatusLine {
            version: m.version.raw().into(),
            name: m.name.clone(),
            state: "pending",
            applied_at: None,
            execution_ms: None,
        });
    }
    out.status.sort_by(|a, b| {
        let va = crate::catalog::Version::from_digits(&a.version);
        let vb = crate::catalog::Version::from_digits(&b.version);
        va.cmp(&vb)
    });
    out
}

fn line(r: &Row, state: &'static str) -> StatusLine {
    StatusLine {
        version: r.version.clone(),
        name: r.name.clone(),
        state,
        applied_at: Some(r.applied_at.clone()),
        execution_ms: Some(r.execution_ms),
    }
}

/// Options of `apply`.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    pub dry_run: bool,
    pub to: Option<String>,
    pub count: Option<usize>,
    pub allow_out_of_order: bool,
    /// All pending migrations in one transaction: all or nothing.
    pub single_transaction: bool,
    /// Draw a progress bar on stderr (a terminal).
    pub progress: bool,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub lock_retries: u32,
    pub lock_wait: Duration,
    pub vars: BTreeMap<String, String>,
    pub git_commit: Option<String>,
    pub ci_run_url: Option<String>,
}

/// One applied migration.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Applied {
    pub version: String,
    pub name: String,
    pub execution_ms: u64,
}

/// Why an apply stopped with a migration failure (exit 1, not an `Error`).
#[derive(Debug, Clone)]
pub struct Failure {
    pub migration: String,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// For a no-transaction migration: how many statements ran before the failure.
    pub statements_done: Option<usize>,
}

/// The result of `apply`.
#[derive(Debug, Default)]
pub struct ApplyReport {
    pub applied: Vec<Applied>,
    pub blockers: Vec<Finding>,
    pub failure: Option<Failure>,
    pub pending_after: usize,
    /// Stopped by SIGINT/SIGTERM.
    pub interrupted: bool,
}

fn pg_duration(d: Option<Duration>) -> String {
    d.map_or("0".into(), |d| format!("{}ms", d.as_millis()))
}

/// Takes the advisory lock, waiting up to `wait` and saying who holds it.
pub(super) async fn lock(
    client: &tokio_postgres::Client,
    key: i64,
    wait: Duration,
    say: &mut dyn FnMut(String),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut last_said = None::<Instant>;
    loop {
        // A short, non-blocking call: a waiting runner holds no snapshot, so it
        // never blocks the other runner's CREATE INDEX CONCURRENTLY.
        let row = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await
            .map_err(|e| {
                Error::Unreachable(format!("cannot take the migration lock: {}", describe(&e)))
            })?;
        if row.get::<_, bool>(0) {
            return Ok(());
        }
        if start.elapsed() >= wait {
            return Err(Error::Unreachable(format!(
                "another sqlgate run still holds the migration lock after {}s (lock_wait)",
                wait.as_secs()
            )));
        }
        if last_said.is_none_or(|t| t.elapsed() >= Duration::from_secs(10)) {
            let holder = client
                .query_opt(
                    "SELECT a.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''), coalesce(a.client_addr::text, 'local')
                       FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                      WHERE l.locktype = 'advisory' AND l.granted
                        AND l.classid = (($1::bigint >> 32) & 4294967295)::oid AND l.objid = ($1::bigint & 4294967295)::oid
                        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                      LIMIT 1",
                    &[&key],
                )
                .await
                .ok()
                .flatten()
                .map(|r| format!("pid {} ({}@{}, {})", r.get::<_, i32>(0), r.get::<_, String>(1), r.get::<_, String>(3), r.get::<_, String>(2)))
                .unwrap_or_else(|| "another session".into());
            say(format!("waiting for the migration lock held by {holder}…"));
            last_said = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Releases the migration lock (best effort: the session ending releases it too).
pub(super) async fn unlock(client: &tokio_postgres::Client, key: i64) {
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&key])
        .await;
}

/// Applies pending migrations. `say` receives progress lines.
pub async fn apply(
    url: &str,
    table: &str,
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    say: &mut dyn FnMut(String),
) -> Result<ApplyReport, Error> {
    let client = connect(url).await?;
    let key = history::lock_key(table);
    // SIGINT/SIGTERM (a cancelled workflow): cancel the running statement on the
    // server; the migration then fails, rolls back, and nothing after it starts.
    let interrupted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let flag = interrupted.clone();
        let cancel = client.cancel_token();
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            let _ = cancel.cancel_query(tokio_postgres::NoTls).await;
        })
    };
    lock(&client, key, opts.lock_wait, say).await?;
    let result = apply_locked(&client, table, cat, dir, opts, &interrupted, say).await;
    watcher.abort();
    unlock(&client, key).await;
    result
}

async fn apply_locked(
    client: &tokio_postgres::Client,
    table: &str,
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    interrupted: &std::sync::atomic::AtomicBool,
    say: &mut dyn FnMut(String),
) -> Result<ApplyReport, Error> {
    history::ensure(client, table).await?;
    let rows = history::read(client, table).await?;
    let plan = plan(cat, &rows, dir, opts.allow_out_of_order);
    let mut report = ApplyReport {
        blockers: plan.blockers,
        ..Default::default()
    };
    if !report.blockers.is_empty() {
        report.pending_after = plan.pending.len();
        return Ok(report);
    }
    let mut pending: Vec<&Migration> = plan.pending;
    if let Some(to) = &opts.to {
        let to = crate::catalog::Version::from_digits(to)
            .ok_or_else(|| Error::Usage(format!("--to {to} is not a version number")))?;
        pending.retain(|m| m.version <= to);
    }
    if let Some(n) = opts.count {
        pending.truncate(n);
    }
    let batch = rows.iter().map(|r| r.batch).max().unwrap_or(0) + 1;
    let q = history::quoted(table);
    let insert = format!(
        "INSERT INTO {q} (version, name, checksum, status, batch, execution_ms, sqlgate_version, git_commit, ci_run_url, statements_done, error, up_sql)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, status = EXCLUDED.status,
           batch = EXCLUDED.batch, applied_at = now(), execution_ms = EXCLUDED.execution_ms, statements_done = EXCLUDED.statements_done,
           error = EXCLUDED.error, up_sql = EXCLUDED.up_sql"
    );
    let total = pending.len();
    if opts.single_transaction && !opts.dry_run && !pending.is_empty() {
        if let Some(m) = pending.iter().find(|m| m.no_transaction) {
            return Err(Error::Usage(format!(
                "--single-transaction cannot include {}, which must run outside a transaction; apply up to the version before it first (--to)",
                m.name
            )));
        }
        return apply_all_or_nothing(client, &pending, &insert, batch, opts, say, report).await;
    }
    for (i, m) in pending.iter().enumerate() {
        if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
            report.interrupted = true;
            report.pending_after = total - i;
            return Ok(report);
        }
        let sql = m.up_sql(&opts.vars);
        if opts.dry_run {
            say(format!(
                "would apply {} ({}){}",
                m.name,
                display_path(dir, &m.up.path),
                if m.no_transaction {
                    " without a transaction"
                } else {
                    ""
                }
            ));
            say(sql
                .trim_end()
                .lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n"));
            continue;
        }
        let started = Instant::now();
        if opts.progress {
            // A bar on the terminal (stderr), replaced by the per-migration line.
            let width = 30;
            let filled = width * i / total.max(1);
            eprint!(
                "\r\x1b[2K[{}{}] {}/{} {}",
                "#".repeat(filled),
                "-".repeat(width - filled),
                i,
                total,
                m.name
            );
        }
        let outcome = if m.no_transaction {
            run_without_transaction(client, m, &sql, opts).await
        } else {
            run_in_transaction(client, m, &sql, opts, &insert, batch, say).await
        };
        let ms = started.elapsed().as_millis() as u64;
        if opts.progress {
            eprint!("\r\x1b[2K");
        }
        match outcome {
            Ok(()) => {
                if m.no_transaction {
                    record(client, &insert, m, "applied", batch, ms, opts, None, None).await?;
                }
                say(format!(
                    "  applied {} ({} ms) [{}/{}]",
                    m.name,
                    ms,
                    i + 1,
                    total
                ));
                report.applied.push(Applied {
                    version: m.version.raw().into(),
                    name: m.name.clone(),
                    execution_ms: ms,
                });
            }
            Err((failure, done)) => {
                report.interrupted = interrupted.load(std::sync::atomic::Ordering::SeqCst);
                if m.no_transaction {
                    record(
                        client,
                        &insert,
                        m,
                        "failed",
                        batch,
                        ms,
                        opts,
                        Some(done as i32),
                        Some(failure.message.clone()),
                    )
                    .await?;
                }
                report.failure = Some(failure);
                report.pending_after = total - i;
                return Ok(report);
            }
        }
    }
    report.pending_after = if opts.dry_run { total } else { 0 };
    Ok(report)
}

/// Runs a migration's statements one by one on `client` (inside whatever transaction
/// is open), so a failure names its exact statement. Returns the error and the file
/// position of the failing statement (or of PostgreSQL's reported position in it).
async fn exec_statements(
    client: &tokio_postgres::Client,
    m: &Migration,
    vars: &BTreeMap<String, String>,
) -> Result<(), (tokio_postgres::Error, u32, u32)> {
    let parsed = crate::sql::parse(&m.up.text, vars, m.up.first_line);
    if !parsed.problems.is_empty() || parsed.statements.is_empty() {
        let sql = m.up_sql(vars);
        return client.batch_execute(&sql).await.map_err(|e| {
            let f = failure(m, &sql, 0, &e, vars);
            (e, f.line, f.column)
        });
    }
    for stmt in &parsed.statements {
        let text = parsed.substituted_text(stmt);
        if let Err(e) = client.batch_execute(text).await {
            let (line, column) = error_position(&parsed, stmt, &e);
            return Err((e, line, column));
        }
    }
    Ok(())
}

/// Where a failed statement went wrong in its file: PostgreSQL's error position inside
/// the statement when it gives one, else the statement's start.
pub(crate) fn error_position(
    parsed: &crate::sql::Parsed,
    stmt: &crate::sql::Statement,
    e: &tokio_postgres::Error,
) -> (u32, u32) {
    let text = parsed.substituted_text(stmt);
    let pos = e.as_db_error().and_then(|d| match d.position() {
        Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    });
    match pos {
        Some(p) => {
            let byte = text
                .char_indices()
                .nth(p.saturating_sub(1))
                .map_or(text.len(), |(b, _)| b);
            parsed.position(parsed.statement_start_substituted(stmt) + byte)
        }
        None => (stmt.line, stmt.column),
    }
}

/// `--single-transaction`: every pending migration and its history row in one
/// transaction; a failure anywhere leaves the database as it was.
async fn apply_all_or_nothing(
    client: &tokio_postgres::Client,
    pending: &[&Migration],
    insert: &str,
    batch: i32,
    opts: &ApplyOptions,
    say: &mut dyn FnMut(String),
    mut report: ApplyReport,
) -> Result<ApplyReport, Error> {
    let begin = format!(
        "BEGIN; SET LOCAL lock_timeout = '{}'; SET LOCAL statement_timeout = '{}'",
        pg_duration(opts.lock_timeout),
        pg_duration(opts.statement_timeout)
    );
    client
        .batch_execute(&begin)
        .await
        .map_err(|e| Error::Unreachable(describe(&e)))?;
    let mut done = Vec::new();
    for m in pending {
        let sql = m.up_sql(&opts.vars);
        let started = Instant::now();
        let step = async {
            exec_statements(client, m, &opts.vars).await?;
            let ms = started.elapsed().as_millis() as i64;
            insert_row(client, insert, m, "applied", batch, ms, opts, None, None)
                .await
                .map_err(|e| (e, m.up.first_line, 1))
        }
        .await;
        if let Err((e, line, column)) = step {
            let _ = client.batch_execute("ROLLBACK").await;
            let mut f = failure(m, &sql, 0, &e, &opts.vars);
            (f.line, f.column) = (line, column);
            report.failure = Some(f);
            report.pending_after = pending.len() + 1;
            say(format!(
                "  rolled back all {} migration(s) of this run",
                done.len() + 1
            ));
            return Ok(report);
        }
        let ms = started.elapsed().as_millis() as u64;
        say(format!("  ran {} ({} ms)", m.name, ms));
        done.push(Applied {
            version: m.version.raw().into(),
            name: m.name.clone(),
            execution_ms: ms,
        });
    }
    client.batch_execute("COMMIT").await.map_err(|e| {
        Error::Unreachable(format!(
            "COMMIT failed; nothing was applied: {}",
            describe(&e)
        ))
    })?;
    report.applied = done;
    Ok(report)
}

/// Writes one history row (the statement is an upsert on `version`).
#[allow(clippy::too_many_arguments)]
async fn insert_row(
    client: &tokio_postgres::Client,
    insert: &str,
    m: &Migration,
    status: &str,
    batch: i32,
    ms: i64,
    opts: &ApplyOptions,
    done: Option<i32>,
    error: Option<String>,
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            insert,
            &[
                &m.version.canonical(),
                &m.name,
                &m.checksum(),
                &status,
                &batch,
                &ms,
                &env!("CARGO_PKG_VERSION"),
                &opts.git_commit,
                &opts.ci_run_url,
                &done,
                &error,
                &m.up.text,
            ],
        )
        .await
}

#[allow(clippy::too_many_arguments)]
async fn record(
    client: &tokio_postgres::Client,
    insert: &str,
    m: &Migration,
    status: &str,
    batch: i32,
    ms: u64,
    opts: &ApplyOptions,
    done: Option<i32>,
    error: Option<String>,
) -> Result<(), Error> {
    insert_row(
        client, insert, m, status, batch, ms as i64, opts, done, error,
    )
    .await
    .map(|_| ())
    .map_err(|e| {
        Error::Unreachable(format!(
            "cannot record {} in the history table: {}",
            m.name,
            describe(&e)
        ))
    })
}

/// The file position of a PostgreSQL error position (1-based character offset into
/// `sql`, the substituted text sent for the migration).
fn failure(
    m: &Migration,
    sql: &str,
    base_offset: usize,
    e: &tokio_postgres::Error,
    vars: &BTreeMap<String, String>,
) -> Failure {
    let parsed = crate::sql::parse(&m.up.text, vars, m.up.first_line);
    let pos = e.as_db_error().and_then(|d| match d.position() {
        Some(tokio_postgres::error::ErrorPosition::Original(p)) => Some(*p as usize),
        _ => None,
    });
    let (line, column) = match pos {
        Some(p) => {
            let byte = sql
                .char_indices()
                .nth(p.saturating_sub(1))
                .map_or(sql.len(), |(b, _)| b);
            parsed.position(base_offset + byte)
        }
        None => parsed
            .statements
            .iter()
            .find(|s| s.start >= base_offset)
            .map_or((m.up.first_line, 1), |s| (s.line, s.column)),
    };
    Failure {
        migration: m.name.clone(),
        file: m.up.path.clone(),
        line,
        column,
        message: describe(e),
        statements_done: None,
    }
}

async fn run_in_transaction(
    client: &tokio_postgres::Client,
    m: &Migration,
    sql: &str,
    opts: &ApplyOptions,
    insert: &str,
    batch: i32,
    say: &mut dyn FnMut(String),
) -> Result<(), (Failure, usize)> {
    let mut attempt = 0;
    loop {
        let started = Instant::now();
        let mut at = (m.up.first_line, 1);
        let result: Result<(), (tokio_postgres::Error, bool)> = async {
            client
                .batch_execute("BEGIN")
                .await
                .map_err(|e| (e, false))?;
            client
                .batch_execute(&format!(
                    "SET LOCAL lock_timeout = '{}'; SET LOCAL statement_timeout = '{}'",
                    pg_duration(opts.lock_timeout),
                    pg_duration(opts.statement_timeout)
                ))
                .await
                .map_err(|e| (e, false))?;
            exec_statements(client, m, &opts.vars)
                .await
                .map_err(|(e, line, column)| {
                    at = (line, column);
                    (e, true)
                })?;
            let ms = started.elapsed().as_millis() as i64;
            insert_row(client, insert, m, "applied", batch, ms, opts, None, None)
                .await
                .map_err(|e| (e, false))?;
            client
                .batch_execute("COMMIT")
                .await
                .map_err(|e| (e, false))?;
            Ok(())
        }
        .await;
        match result {
            Ok(()) => return Ok(()),
            Err((e, in_sql)) => {
                let _ = client.batch_execute("ROLLBACK").await;
                let lock_timeout =
                    e.code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE);
                if lock_timeout && attempt < opts.lock_retries {
                    attempt += 1;
                    let backoff = Duration::from_secs(1 << attempt.min(5));
                    say(format!("  {} could not get its lock within lock_timeout; retry {attempt}/{} in {}s", m.name, opts.lock_retries, backoff.as_secs()));
                    tokio::time::sleep(backoff).await;
                    continue;
                }
                let mut f = failure(m, sql, 0, &e, &opts.vars);
                if in_sql {
                    (f.line, f.column) = at;
                } else {
                    f.message = format!("while recording or committing: {}", f.message);
                }
                return Err((f, 0));
            }
        }
    }
}

async fn run_without_transaction(
    client: &tokio_postgres::Client,
    m: &Migration,
    sql: &str,
    opts: &ApplyOptions,
) -> Result<(), (Failure, usize)> {
    let set = format!(
        "SET lock_timeout = '{}'; SET statement_timeout = '{}'",
        pg_duration(opts.lock_timeout),
        pg_duration(opts.statement_timeout)
    );
    if let Err(e) = client.batch_execute(&set).await {
        return Err((failure(m, sql, 0, &e, &opts.vars), 0));
    }
    let parsed = crate::sql::parse(&m.up.text, &opts.vars, m.up.first_line);
    for (done, stmt) in parsed.statements.iter().enumerate() {
        let text = parsed.substituted_text(stmt);
        if let Err(e) = client.batch_execute(text).await {
            let mut f = failure(m, text, 0, &e, &opts.vars);
            f.line = stmt.line;
            f.column = stmt.column;
            f.statements_done = Some(done);
            return Err((f, done));
        }
    }
    let _ = client
        .batch_execute("RESET lock_timeout; RESET statement_timeout")
        .await;
    Ok(())
}

/// Reads the history (without creating it) and compares it with the catalog.
pub async fn status(
    url: &str,
    table: &str,
    cat: &Catalog,
    dir: &str,
) -> Result<(Vec<StatusLine>, Vec<Finding>), Error> {
    let client = connect(url).await?;
    let rows = if history::exists(&client, table).await? {
        history::read(&client, table).await?
    } else {
        Vec::new()
    };
    let p = plan(cat, &rows, dir, false);
    Ok((p.status, p.blockers))
}
