//! Fleets on the database side: the targets a control database's query lists, each
//! target's connection (a tenant schema first on `search_path`, its history table in
//! that schema), and applying to many targets concurrently — each under its own
//! advisory lock and transactions, exactly `apply` — with `--fail-fast`. Schema
//! targets on one server share connections: a target's connection goes to the next
//! one, its session reset in between.

use crate::apply::{self, ApplyOptions, Preflight, Progress};
use crate::connection::{connect, describe};
use crate::conninfo::ConnInfo;
use futures_util::stream::{FuturesUnordered, StreamExt};
use sqlgate_core::catalog::Catalog;
use sqlgate_core::fleet::{self, Outcome, Target, TargetReport};
use sqlgate_core::model::StatusLine;
use sqlgate_core::Error;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Instant;
use tokio_postgres::Client;

/// The targets a control database's query returns: one row per target, with a
/// `schema` (a tenant schema in that database) or a `url_env` column, optionally
/// `name` and `wave`.
pub async fn query_targets(control_url: &str, query: &str) -> Result<Vec<Target>, Error> {
    let c = connect(control_url).await?;
    let rows = c.simple_query(query).await.map_err(|e| {
        Error::Usage(format!(
            "targets.query failed on the control database: {}",
            describe(&e)
        ))
    })?;
    let mut out = Vec::new();
    for m in rows {
        let tokio_postgres::SimpleQueryMessage::Row(r) = m else {
            continue;
        };
        let col = |name: &str| {
            r.columns()
                .iter()
                .position(|c| c.name() == name)
                .and_then(|i| r.get(i))
                .map(str::to_string)
        };
        let schema = col("schema");
        let url_env = col("url_env");
        if schema.is_none() && url_env.is_none() {
            return Err(Error::Usage(
                "targets.query must return a `schema` or a `url_env` column for every row".into(),
            ));
        }
        if let Some(s) = &schema {
            fleet::check_schema(s).map_err(|m| Error::Usage(format!("targets.query: {m}")))?;
        }
        let name = col("name")
            .or_else(|| schema.clone())
            .or_else(|| url_env.as_ref().map(|e| e.to_lowercase()))
            .unwrap_or_default();
        fleet::check_name(&name).map_err(|m| Error::Usage(format!("targets.query: {m}")))?;
        let wave = match col("wave") {
            Some(w) => w.trim().parse().map_err(|_| {
                Error::Usage(format!(
                    "targets.query: wave `{w}` of {name} is not a number"
                ))
            })?,
            None => 1,
        };
        out.push(Target {
            name,
            url_env,
            schema,
            wave,
            environment: None,
        });
    }
    Ok(out)
}

/// Where a target is: its connection string (with the tenant schema first on
/// `search_path`) and its history table.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub target: Target,
    pub url: String,
    pub history_table: String,
    /// For a schema target: the server's URL, without the schema (connections to it
    /// are shared by the schema targets), and the schema.
    pub shared: Option<(String, String)>,
}

/// The connection of a target from its URL and schema.
pub fn resolve(target: &Target, url: &str, history_table: &str) -> Resolved {
    let table = history_table.rsplit('.').next().unwrap_or(history_table);
    match &target.schema {
        Some(s) => Resolved {
            target: target.clone(),
            url: ConnInfo::parse(url).with_param("options", &format!("-c search_path={s},public")),
            history_table: format!("{s}.{table}"),
            shared: Some((url.to_string(), s.clone())),
        },
        None => Resolved {
            target: target.clone(),
            url: url.to_string(),
            history_table: history_table.to_string(),
            shared: None,
        },
    }
}

/// How a fleet run goes: at most `jobs` targets at a time; with `fail_fast`,
/// targets not yet started after a failure are skipped.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    pub jobs: usize,
    pub fail_fast: bool,
}

/// Applies to every target as `schedule` says. Every target gets a report.
pub async fn apply_all(
    targets: &[Resolved],
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    preflight: Preflight<'_>,
    schedule: Schedule,
    say: &dyn Fn(&str, String),
) -> Vec<TargetReport> {
    let failed = Cell::new(false);
    // Every target runs the same files: each is parsed once.
    let opts = &ApplyOptions {
        parsed: Some(opts.parsed.clone().unwrap_or_default()),
        ..opts.clone()
    };
    let pool = Pool {
        idle: RefCell::default(),
        reuse: reusable(cat),
    };
    let mut reports = Vec::new();
    let mut running = FuturesUnordered::new();
    let mut queue = targets.iter();
    loop {
        while running.len() < schedule.jobs.max(1) {
            let Some(t) = queue.next() else { break };
            if schedule.fail_fast && failed.get() {
                reports.push(TargetReport::error(
                    &t.target,
                    Outcome::Skipped,
                    "not started: another target failed (--fail-fast)".into(),
                ));
                continue;
            }
            running.push(one(t, cat, dir, opts, preflight, say, &pool));
        }
        let Some(r) = running.next().await else { break };
        if !r.ok() {
            failed.set(true);
        }
        reports.push(r);
    }
    reports
}

struct Prefixed<'a> {
    name: &'a str,
    say: &'a dyn Fn(&str, String),
}

impl Progress for Prefixed<'_> {
    fn say(&mut self, line: String) {
        (self.say)(self.name, line)
    }
}

/// Open connections of finished schema targets, by server URL.
struct Pool {
    idle: RefCell<HashMap<String, Vec<Client>>>,
    /// Whether a session may serve several targets (see [`reusable`]).
    reuse: bool,
}

/// Whether the migrations let a schema target's session be another's: a target's
/// schema is set with `SET search_path` on a shared connection, which `RESET`
/// (or `DISCARD`) in a migration would undo — where the URL's `options` keep it. A
/// directory that mentions either gets a connection per target, as before.
fn reusable(cat: &Catalog) -> bool {
    !cat.migrations.iter().chain(&cat.repeatables).any(|m| {
        let text = m.up.text.to_ascii_lowercase();
        ["reset", "discard"].iter().any(|w| {
            text.match_indices(w).any(|(i, _)| {
                let word =
                    |c: Option<u8>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_');
                !word(i.checked_sub(1).map(|j| text.as_bytes()[j]))
                    && !word(text.as_bytes().get(i + w.len()).copied())
            })
        })
    })
}

impl Pool {
    /// A connection to `server` with `schema` first on `search_path`: an idle one
    /// if there is one, else a new one.
    async fn take(&self, server: &str, schema: &str) -> Result<Client, Error> {
        let idle = self.idle.borrow_mut().get_mut(server).and_then(Vec::pop);
        let client = match idle {
            Some(c) => c,
            None => connect(server).await?,
        };
        client
            .batch_execute(&format!(
                "SET search_path = {}, public",
                crate::quote::ident(schema)
            ))
            .await
            .map_err(|e| Error::Unreachable(format!("cannot set search_path: {}", describe(&e))))?;
        Ok(client)
    }

    /// Hands a connection back with its session reset (settings, temporary tables,
    /// prepared statements, locks); one that cannot be reset is closed.
    async fn give(&self, server: &str, client: Client) {
        if !client.is_closed() && client.batch_execute("DISCARD ALL").await.is_ok() {
            self.idle
                .borrow_mut()
                .entry(server.to_string())
                .or_default()
                .push(client);
        }
    }
}

async fn one(
    t: &Resolved,
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    preflight: Preflight<'_>,
    say: &dyn Fn(&str, String),
    pool: &Pool,
) -> TargetReport {
    let started = Instant::now();
    let mut progress = Prefixed {
        name: &t.target.name,
        say,
    };
    let table = &t.history_table;
    let result = match &t.shared {
        Some((server, schema)) if pool.reuse => match pool.take(server, schema).await {
            Ok(client) => {
                let r =
                    apply::apply_on(&client, table, cat, dir, opts, preflight, &mut progress).await;
                if r.is_ok() {
                    pool.give(server, client).await;
                }
                r
            }
            Err(e) => Err(e),
        },
        _ => apply::apply(&t.url, table, cat, dir, opts, preflight, &mut progress).await,
    };
    match result {
        Ok(rep) => TargetReport::of(&t.target, &rep, started.elapsed().as_millis() as u64, dir),
        Err(e) => TargetReport::error(&t.target, Outcome::Error, e.to_string()),
    }
}

/// One target's status, or why it could not be read.
pub async fn status(t: &Resolved, cat: &Catalog, dir: &str) -> Result<Vec<StatusLine>, Error> {
    apply::status(&t.url, &t.history_table, cat, dir)
        .await
        .map(|(lines, _)| lines)
}
