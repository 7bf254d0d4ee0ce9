//! `apply` and `status`: running the pending migrations under the migration lock, each
//! in its own transaction together with its history row (or all in one with
//! `--single-transaction`; no-transaction migrations statement by statement), and
//! reading the history for `status`. What to run is decided by `sqlgate_core::plan`;
//! statements run through [`crate::exec`].

use crate::connection::{connect, describe, with_hint};
use crate::exec::{self, StatementError};
use crate::{history, lock};
use sqlgate_core::catalog::{display_path, Catalog, Migration};
use sqlgate_core::model::{Applied, ApplyReport, Failure, Finding, OutOfOrder, StatusLine};
use sqlgate_core::plan::plan;
use sqlgate_core::rules::history::OUT_OF_ORDER;
use sqlgate_core::sql::Parsed;
use sqlgate_core::Error;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

/// Options of `apply`.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    pub dry_run: bool,
    pub to: Option<String>,
    pub count: Option<usize>,
    pub allow_out_of_order: bool,
    /// `out_of_order` from sqlgate.toml; `None`: the numbering's default. `warn` and
    /// `allow` apply a pending migration older than the newest applied one.
    pub out_of_order: Option<OutOfOrder>,
    /// All pending migrations in one transaction: all or nothing.
    pub single_transaction: bool,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub lock_retries: u32,
    pub lock_wait: Duration,
    pub vars: BTreeMap<String, String>,
    pub git_commit: Option<String>,
    pub ci_run_url: Option<String>,
    /// Apply to a database that has tables but no sqlgate history (not adopted).
    pub allow_existing_schema: bool,
    /// Apply only this migration (a version or a file name).
    pub only: Option<String>,
    /// Run statement by statement and record each one's duration, locks and
    /// rewrites (`ApplyReport::steps`), as the scratch replay does: for previews.
    pub observe: bool,
    /// Parses kept for the next run of the same files (a fleet applies them to every
    /// target): by file path, with these options' `vars`.
    pub parsed: Option<ParseCache>,
}

use crate::ahead::Ahead;
pub use crate::ahead::ParseCache;

/// Where `apply` reports what it is doing.
pub trait Progress {
    /// One line of the run's log (stdout).
    fn say(&mut self, line: String);
    /// A migration is about to run (`index` counts from 0), for a progress bar.
    fn started(&mut self, _index: usize, _total: usize, _name: &str) {}
    /// The migration that started last has ended.
    fn ended(&mut self) {}
}

impl<F: FnMut(String)> Progress for F {
    fn say(&mut self, line: String) {
        self(line)
    }
}

fn pg_duration(d: Option<Duration>) -> String {
    d.map_or("0".into(), |d| format!("{}ms", d.as_millis()))
}

/// The directory's out-of-order policy: configured, or its numbering's default.
fn policy(cat: &Catalog, opts: &ApplyOptions) -> OutOfOrder {
    opts.out_of_order
        .unwrap_or(OutOfOrder::default_for(cat.numbering))
}

/// The pre-flight: the findings that stop these pending migrations before the lock
/// is taken (`sqlgate_core::plan::sql_blockers`).
pub type Preflight<'a> = &'a sqlgate_core::plan::Preflight<'a>;

/// What an apply would run and what stops it.
struct ToRun<'a> {
    pending: Vec<&'a Migration>,
    blockers: Vec<Finding>,
    /// The newest version the database has.
    newest_applied: Option<sqlgate_core::catalog::Version>,
}

/// The migrations an apply would run: pending in the history, limited by `--to` and
/// `--count`.
fn to_run<'a>(
    cat: &'a Catalog,
    rows: &[sqlgate_core::model::Record],
    dir: &str,
    opts: &ApplyOptions,
) -> Result<ToRun<'a>, Error> {
    let allowed = opts.allow_out_of_order || policy(cat, opts) != OutOfOrder::Error;
    let plan = plan(cat, rows, dir, allowed);
    if let Some(only) = &opts.only {
        let m = sqlgate_core::plan::find(cat, only)
            .map_err(|e| Error::Usage(format!("--only {only}: {e}")))?;
        if !plan.pending.iter().any(|p| p.up.path == m.up.path) {
            return Err(Error::Usage(format!(
                "--only {only}: {} is not pending (`sqlgate status` shows its state); to run it again, roll it back first",
                m.name
            )));
        }
        // Out-of-order findings about the migrations left pending do not stop this one.
        let blockers = plan
            .blockers
            .into_iter()
            .filter(|f| f.rule != OUT_OF_ORDER.id || f.version.as_deref() == Some(m.version.raw()))
            .collect();
        return Ok(ToRun {
            pending: vec![m],
            blockers,
            newest_applied: plan.newest_applied,
        });
    }
    let mut pending: Vec<&Migration> = plan.pending;
    if let Some(to) = &opts.to {
        let to = cat
            .version(to)
            .ok_or_else(|| Error::Usage(format!("--to {to} is not a version number")))?;
        pending.retain(|m| m.version <= to);
    }
    if let Some(n) = opts.count {
        pending.truncate(n);
    }
    // Repeatable migrations run after all versioned ones, so not with --to/--count.
    if opts.to.is_none() && opts.count.is_none() {
        pending.extend(plan.pending_repeatables);
    }
    Ok(ToRun {
        pending,
        blockers: plan.blockers,
        newest_applied: plan.newest_applied,
    })
}

/// Applies pending migrations. `preflight` judges the SQL about to run before the
/// lock is taken or anything is written.
pub async fn apply(
    url: &str,
    table: &str,
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
) -> Result<ApplyReport, Error> {
    let client = connect(url).await?;
    apply_on(&client, table, cat, dir, opts, preflight, progress).await
}

/// [`apply`] on an open connection (a fleet's next schema target on the same server).
/// The session's state is the caller's; the migration lock is released at the end.
pub async fn apply_on(
    client: &Client,
    table: &str,
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    preflight: Preflight<'_>,
    progress: &mut dyn Progress,
) -> Result<ApplyReport, Error> {
    let rows = if history::exists(client, table).await? {
        history::read(client, table).await?
    } else {
        Vec::new()
    };
    // A database something else migrated: that is the refusal to show, not the
    // pre-flight's findings about files that already ran there (checked again under
    // the lock below).
    let mut rows = rows;
    if rows.is_empty()
        && !opts.allow_existing_schema
        && crate::adopt::unrecognised(client, table, dir)
            .await?
            .is_some()
    {
        // Judged again under the lock: a concurrent first run of sqlgate itself
        // (tables made, history being written) is not "something else".
        let key = history::lock_key(table);
        lock::lock(client, key, opts.lock_wait, &mut |l| progress.say(l)).await?;
        let again = async {
            let rows = if history::exists(client, table).await? {
                history::read(client, table).await?
            } else {
                Vec::new()
            };
            let found = if rows.is_empty() {
                crate::adopt::unrecognised(client, table, dir).await?
            } else {
                None
            };
            Ok::<_, Error>((rows, found))
        }
        .await;
        lock::unlock(client, key).await;
        let (now, found) = again?;
        if let Some(found) = found {
            return Ok(ApplyReport {
                blockers: vec![found],
                refused: true,
                ..Default::default()
            });
        }
        rows = now;
    }
    let pending = to_run(cat, &rows, dir, opts)?.pending;
    let refused = preflight.blockers(&pending);
    if !refused.is_empty() {
        return Ok(ApplyReport {
            blockers: refused,
            refused: true,
            pending_after: pending.len(),
            ..Default::default()
        });
    }
    let key = history::lock_key(table);
    // SIGINT/SIGTERM (a cancelled workflow): cancel the running statement on the
    // server; the migration then fails, rolls back, and nothing after it starts.
    let interrupted = Arc::new(AtomicBool::new(false));
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
            flag.store(true, Ordering::SeqCst);
            let _ = cancel.cancel_query(tokio_postgres::NoTls).await;
        })
    };
    lock::lock(client, key, opts.lock_wait, &mut |l| progress.say(l)).await?;
    let result = apply_locked(client, table, cat, dir, opts, &interrupted, progress).await;
    watcher.abort();
    lock::unlock(client, key).await;
    result
}

/// The history row written with each migration (the insert prepared once per run).
struct Recorder {
    insert: tokio_postgres::Statement,
    batch: i32,
}

impl Recorder {
    /// The history insert, prepared, and the batch number of this run.
    async fn prepare(
        client: &Client,
        table: &str,
        rows: &[sqlgate_core::model::Record],
    ) -> Result<Recorder, Error> {
        let insert = history::upsert_sql(table);
        Ok(Recorder {
            insert: client.prepare(&insert).await.map_err(|e| {
                Error::Unreachable(format!(
                    "cannot prepare the history insert: {}",
                    describe(&e)
                ))
            })?,
            batch: rows.iter().map(|r| r.batch).max().unwrap_or(0) + 1,
        })
    }
}

/// Pending migrations older than what the database already has: applied, and said.
fn say_out_of_order(
    pending: &[&Migration],
    newest_applied: Option<&sqlgate_core::catalog::Version>,
    cat: &Catalog,
    opts: &ApplyOptions,
    progress: &mut dyn Progress,
) {
    if let Some(newest) = newest_applied {
        for m in pending
            .iter()
            .filter(|m| !m.repeatable && &m.version < newest)
        {
            progress.say(format!(
                "  {} is older than version {newest}, which the database already has: applying it out of order ({})",
                m.name,
                if opts.allow_out_of_order {
                    "--allow-out-of-order".to_string()
                } else {
                    format!("out_of_order = \"{}\"", policy(cat, opts))
                }
            ));
        }
    }
}

/// What a dry run would apply, and the SQL.
fn say_dry_run(m: &Migration, dir: &str, opts: &ApplyOptions, progress: &mut dyn Progress) {
    progress.say(format!(
        "would apply {} ({}){}",
        m.name,
        display_path(dir, &m.up.path),
        if m.no_transaction {
            " without a transaction"
        } else {
            ""
        }
    ));
    progress.say(
        m.up_sql(&opts.vars)
            .trim_end()
            .lines()
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}

async fn apply_locked(
    client: &Client,
    table: &str,
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    interrupted: &AtomicBool,
    progress: &mut dyn Progress,
) -> Result<ApplyReport, Error> {
    // Never migrate from scratch a database something else migrated. Judged under
    // the lock: a concurrent first run of sqlgate itself is not "something else".
    if !opts.allow_existing_schema {
        if let Some(found) = crate::adopt::unrecognised(client, table, dir).await? {
            return Ok(ApplyReport {
                blockers: vec![found],
                refused: true,
                ..Default::default()
            });
        }
    }
    history::ensure(client, table).await?;
    // Read again under the lock: another runner may have applied some meanwhile.
    let rows = history::read(client, table).await?;
    let ToRun {
        pending,
        blockers,
        newest_applied,
    } = to_run(cat, &rows, dir, opts)?;
    let mut report = ApplyReport {
        blockers,
        ..Default::default()
    };
    if !report.blockers.is_empty() {
        report.pending_after = pending.len();
        return Ok(report);
    }
    say_out_of_order(&pending, newest_applied.as_ref(), cat, opts, progress);
    let recorder = Recorder::prepare(client, table, &rows).await?;
    let total = pending.len();
    if opts.single_transaction && !opts.dry_run && !pending.is_empty() {
        single_transaction_allows(&pending)?;
        return apply_all_or_nothing(client, &pending, &recorder, opts, progress, report).await;
    }
    let mut ahead = (!opts.dry_run).then(|| Ahead::start(&pending, opts));
    for (i, m) in pending.iter().enumerate() {
        if interrupted.load(Ordering::SeqCst) {
            if i > 0 {
                flush(client, progress).await;
            }
            report.interrupted = true;
            report.pending_after = total - i;
            return Ok(report);
        }
        let Some(ahead) = ahead.as_mut() else {
            say_dry_run(m, dir, opts, progress);
            continue;
        };
        let started = Instant::now();
        progress.started(i, total, &m.name);
        let parsed = ahead.next(m, opts).await;
        let run = Run {
            client,
            recorder: &recorder,
            opts,
            // Every migration but the run's last commits without waiting for its WAL
            // flush; the last one's flush (or `flush` after a failure) covers them.
            last: i + 1 == total,
        };
        let outcome = run.one(m, &parsed, dir, &mut report.steps, progress).await;
        let ms = started.elapsed().as_millis() as u64;
        progress.ended();
        match outcome {
            Ok(()) => {
                if m.no_transaction {
                    record(client, &recorder, m, "applied", ms, opts, None, None).await?;
                }
                progress.say(format!(
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
            Err(failure) => {
                if i > 0 {
                    flush(client, progress).await;
                }
                report.interrupted = interrupted.load(Ordering::SeqCst);
                // A no-transaction migration that ran part of its statements is
                // recorded as failed; one that ran nothing is not recorded at all.
                if let Some(done) = failure.statements_done.filter(|_| m.no_transaction) {
                    record(
                        client,
                        &recorder,
                        m,
                        "failed",
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

/// `--single-transaction` cannot hold a migration that must run outside one.
fn single_transaction_allows(pending: &[&Migration]) -> Result<(), Error> {
    match pending.iter().find(|m| m.no_transaction) {
        Some(m) => Err(Error::Usage(format!(
            "--single-transaction cannot include {}, which must run outside a transaction; apply up to the version before it first (--to)",
            m.name
        ))),
        None => Ok(()),
    }
}

/// How one migration of a run is run.
struct Run<'a> {
    client: &'a Client,
    recorder: &'a Recorder,
    opts: &'a ApplyOptions,
    /// The run's last migration (see [`begin_sql`]).
    last: bool,
}

impl Run<'_> {
    /// Runs `m`: observed (previews), without a transaction, or in one.
    async fn one(
        &self,
        m: &Migration,
        parsed: &Parsed,
        dir: &str,
        steps: &mut Vec<sqlgate_core::model::Step>,
        progress: &mut dyn Progress,
    ) -> Result<(), Failure> {
        let (client, opts, recorder) = (self.client, self.opts, self.recorder);
        if opts.observe {
            let file = display_path(dir, &m.up.path);
            run_observed(client, m, parsed, opts, recorder, file, steps).await
        } else if m.no_transaction {
            run_without_transaction(client, m, parsed, opts).await
        } else {
            run_in_transaction(client, m, parsed, opts, recorder, progress, self.last).await
        }
    }
}

/// `BEGIN` and a migration's settings. Without `wait_for_flush` the migration commits
/// with `synchronous_commit = off`: the commit does not wait for its WAL to reach the
/// disk. A server crash may then lose it — with its history row, which is in the same
/// transaction, so a later run applies it again: never half-applied, never recorded
/// without its effects. The run's last migration commits as the session would (its
/// flush covers every earlier commit), and a run that stops early calls [`flush`], so
/// nothing the run reports as applied can be lost once the lock is released.
fn begin_sql(opts: &ApplyOptions, wait_for_flush: bool) -> String {
    format!(
        "BEGIN; SET LOCAL lock_timeout = '{}'; SET LOCAL statement_timeout = '{}'{}",
        pg_duration(opts.lock_timeout),
        pg_duration(opts.statement_timeout),
        if wait_for_flush {
            ""
        } else {
            "; SET LOCAL synchronous_commit = off"
        }
    )
}

/// Waits until every commit of this session so far is on disk: a transaction with an
/// id, committed as the session commits, waits for the WAL up to its commit record,
/// which follows every earlier asynchronous commit. Said, not fatal, when it fails:
/// the server's WAL writer flushes within a fraction of a second anyway, and only a
/// server crash in that window could lose a commit.
async fn flush(client: &Client, progress: &mut dyn Progress) {
    if let Err(e) = client
        .batch_execute("BEGIN; SELECT txid_current(); COMMIT")
        .await
    {
        progress.say(format!(
            "  could not wait for the migrations applied so far to reach the disk: {}",
            describe(&e)
        ));
    }
}

/// A failure of migration `m` at the position of a failing statement.
fn failure(m: &Migration, e: &StatementError) -> Failure {
    Failure {
        migration: m.name.clone(),
        file: m.up.path.clone(),
        line: e.line,
        column: e.column,
        message: with_hint(&e.error),
        statements_done: None,
    }
}

/// A failure of migration `m` outside its statements (BEGIN, SET, recording, COMMIT).
fn failure_around(m: &Migration, parsed: &Parsed, e: &tokio_postgres::Error) -> Failure {
    let (line, column) = parsed.whole_error_position(exec::pg_position(e));
    Failure {
        migration: m.name.clone(),
        file: m.up.path.clone(),
        line,
        column,
        message: describe(e),
        statements_done: None,
    }
}

/// `--single-transaction`: every pending migration and its history row in one
/// transaction; a failure anywhere leaves the database as it was.
async fn apply_all_or_nothing(
    client: &Client,
    pending: &[&Migration],
    recorder: &Recorder,
    opts: &ApplyOptions,
    progress: &mut dyn Progress,
    mut report: ApplyReport,
) -> Result<ApplyReport, Error> {
    let begin = begin_sql(opts, true);
    client
        .batch_execute(&begin)
        .await
        .map_err(|e| Error::Unreachable(describe(&e)))?;
    let mut done = Vec::new();
    let mut ahead = Ahead::start(pending, opts);
    for m in pending {
        let started = Instant::now();
        // No-transaction migrations were refused before: each file's own BEGIN/COMMIT
        // is unwrapped.
        let parsed = ahead.next(m, opts).await;
        let step = match exec::run_in_transaction(client, &parsed).await {
            Err(e) => Err(failure(m, &e)),
            Ok(()) => {
                let ms = started.elapsed().as_millis() as i64;
                insert_row(client, recorder, m, "applied", ms, opts, None, None)
                    .await
                    .map_err(|e| {
                        let mut f = failure_around(m, &parsed, &e);
                        (f.line, f.column) = (m.up.first_line, 1);
                        f
                    })
                    .map(|_| ())
            }
        };
        if let Err(f) = step {
            let _ = client.batch_execute("ROLLBACK").await;
            report.failure = Some(f);
            report.pending_after = pending.len() + 1;
            progress.say(format!(
                "  rolled back all {} migration(s) of this run",
                done.len() + 1
            ));
            return Ok(report);
        }
        let ms = started.elapsed().as_millis() as u64;
        progress.say(format!("  ran {} ({} ms)", m.name, ms));
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
    client: &Client,
    recorder: &Recorder,
    m: &Migration,
    status: &str,
    ms: i64,
    opts: &ApplyOptions,
    done: Option<i32>,
    error: Option<String>,
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            &recorder.insert,
            &[
                &m.history_key(),
                &m.name,
                &m.checksum(),
                &status,
                &recorder.batch,
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
    client: &Client,
    recorder: &Recorder,
    m: &Migration,
    status: &str,
    ms: u64,
    opts: &ApplyOptions,
    done: Option<i32>,
    error: Option<String>,
) -> Result<(), Error> {
    insert_row(client, recorder, m, status, ms as i64, opts, done, error)
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

/// One transaction: the statements and the history row, in one round trip; retried
/// when a lock could not be had within lock_timeout.
#[allow(clippy::too_many_arguments)]
async fn run_in_transaction(
    client: &Client,
    m: &Migration,
    parsed: &Parsed,
    opts: &ApplyOptions,
    recorder: &Recorder,
    progress: &mut dyn Progress,
    wait_for_flush: bool,
) -> Result<(), Failure> {
    let begin = begin_sql(opts, wait_for_flush);
    let mut attempt = 0;
    loop {
        let started = Instant::now();
        // The row's duration is the time until it is written: the statements' share.
        let record = async {
            let ms = started.elapsed().as_millis() as i64;
            insert_row(client, recorder, m, "applied", ms, opts, None, None).await
        };
        let Err(err) = exec::run_transaction(client, &begin, parsed, record).await else {
            return Ok(());
        };
        let lock_timeout =
            err.error().code() == Some(&tokio_postgres::error::SqlState::LOCK_NOT_AVAILABLE);
        if lock_timeout && attempt < opts.lock_retries {
            attempt += 1;
            let backoff = Duration::from_secs(1 << attempt.min(5));
            progress.say(format!(
                "  {} could not get its lock within lock_timeout; retry {attempt}/{} in {}s",
                m.name,
                opts.lock_retries,
                backoff.as_secs()
            ));
            tokio::time::sleep(backoff).await;
            continue;
        }
        return Err(match err {
            exec::TransactionError::Statement(s) => failure(m, &s),
            exec::TransactionError::Around(e, what) => {
                let mut f = failure_around(m, parsed, &e);
                f.message = format!("while {what}: {}", f.message);
                f
            }
        });
    }
}

/// A migration run statement by statement under the replay's observer (its
/// transaction and history row as usual; a no-transaction one without): the
/// duration, locks and rewrites of each statement go to `steps`.
async fn run_observed(
    client: &Client,
    m: &Migration,
    parsed: &Parsed,
    opts: &ApplyOptions,
    recorder: &Recorder,
    file: String,
    steps: &mut Vec<sqlgate_core::model::Step>,
) -> Result<(), Failure> {
    if m.no_transaction || !parsed.problems.is_empty() {
        return run_without_transaction(client, m, parsed, opts).await;
    }
    let around = |e: Error| Failure {
        migration: m.name.clone(),
        file: m.up.path.clone(),
        line: m.up.first_line,
        column: 1,
        message: e.to_string(),
        statements_done: None,
    };
    let existing = crate::replay::relations(client).await.map_err(around)?;
    let begin = begin_sql(opts, true);
    if let Err(e) = client.batch_execute(&begin).await {
        return Err(failure_around(m, parsed, &e));
    }
    let started = Instant::now();
    let mut watch = crate::replay::Watch::new(&existing, true, file, steps);
    let result = match exec::run_each(client, parsed, &mut watch).await {
        Ok(Ok(())) => {
            let ms = started.elapsed().as_millis() as i64;
            match insert_row(client, recorder, m, "applied", ms, opts, None, None).await {
                Ok(_) => client
                    .batch_execute("COMMIT")
                    .await
                    .map_err(|e| failure_around(m, parsed, &e)),
                Err(e) => Err(failure_around(m, parsed, &e)),
            }
        }
        Ok(Err(e)) => Err(failure(m, &e)),
        Err(e) => Err(around(e)),
    };
    if result.is_err() {
        let _ = client.batch_execute("ROLLBACK").await;
    }
    result
}

/// A no-transaction migration: session timeouts, then the statements one by one; a
/// failure says how many ran before it.
async fn run_without_transaction(
    client: &Client,
    m: &Migration,
    parsed: &Parsed,
    opts: &ApplyOptions,
) -> Result<(), Failure> {
    let set = format!(
        "SET lock_timeout = '{}'; SET statement_timeout = '{}'",
        pg_duration(opts.lock_timeout),
        pg_duration(opts.statement_timeout)
    );
    if !parsed.problems.is_empty() {
        // Statement by statement needs every statement: never run a guess.
        let (line, column) = parsed
            .problems
            .first()
            .map_or((m.up.first_line, 1), |p| (p.line, p.column));
        return Err(Failure {
            migration: m.name.clone(),
            file: m.up.path.clone(),
            line,
            column,
            message: format!(
                "it runs without a transaction, statement by statement, and sqlgate cannot split it into statements with certainty ({}); nothing of it ran",
                parsed.problems.first().map_or("", |p| p.message.as_str())
            ),
            statements_done: None,
        });
    }
    if let Err(e) = client.batch_execute(&set).await {
        return Err(failure_around(m, parsed, &e));
    }
    let Ok(result) = exec::run_each(client, parsed, &mut exec::Quiet).await;
    if let Err(e) = result {
        let mut f = failure(m, &e);
        f.statements_done = Some(e.done);
        return Err(f);
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
    let mut blockers = p.blockers;
    blockers.extend(crate::adopt::unrecognised(&client, table, dir).await?);
    Ok((p.status, blockers))
}
