//! Fleets on the database side: the targets a control database's query lists, each
//! target's connection (a tenant schema first on `search_path`, its history table in
//! that schema), and applying to many targets concurrently — each under its own
//! advisory lock and transactions, exactly `apply` — with `--fail-fast`.

use crate::apply::{self, ApplyOptions, Preflight, Progress};
use crate::connection::{connect, describe};
use crate::conninfo::ConnInfo;
use futures_util::stream::{FuturesUnordered, StreamExt};
use sqlgate_core::catalog::Catalog;
use sqlgate_core::fleet::{self, Outcome, Target, TargetReport};
use sqlgate_core::model::StatusLine;
use sqlgate_core::Error;
use std::cell::Cell;
use std::time::Instant;

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
}

/// The connection of a target from its URL and schema.
pub fn resolve(target: &Target, url: &str, history_table: &str) -> Resolved {
    let table = history_table.rsplit('.').next().unwrap_or(history_table);
    match &target.schema {
        Some(s) => Resolved {
            target: target.clone(),
            url: ConnInfo::parse(url).with_param("options", &format!("-c search_path={s},public")),
            history_table: format!("{s}.{table}"),
        },
        None => Resolved {
            target: target.clone(),
            url: url.to_string(),
            history_table: history_table.to_string(),
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
            running.push(one(t, cat, dir, opts, preflight, say));
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

async fn one(
    t: &Resolved,
    cat: &Catalog,
    dir: &str,
    opts: &ApplyOptions,
    preflight: Preflight<'_>,
    say: &dyn Fn(&str, String),
) -> TargetReport {
    let started = Instant::now();
    let mut progress = Prefixed {
        name: &t.target.name,
        say,
    };
    match apply::apply(
        &t.url,
        &t.history_table,
        cat,
        dir,
        opts,
        preflight,
        &mut progress,
    )
    .await
    {
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
