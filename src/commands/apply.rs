//! `sqlgate apply`: pending migrations under the migration lock, one transaction each.

use super::findings_report;
use crate::app;
use crate::config::{parse_duration, Settings};
use sqlgate_core::catalog::Catalog;
use sqlgate_core::model::ApplyReport;
use sqlgate_core::report::text;
use sqlgate_core::Error;
use sqlgate_pg::apply::ApplyOptions;
use std::io::IsTerminal;
use std::time::Instant;

/// What `sqlgate apply` was asked to do besides the settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dry_run: bool,
    pub to: Option<String>,
    pub count: Option<usize>,
    pub allow_out_of_order: bool,
    pub single_transaction: bool,
    pub lock_wait: Option<String>,
    pub lock_retries: Option<u32>,
}

pub fn run(settings: &Settings, url: &str, args: &Options) -> Result<i32, Error> {
    let cat = app::load_catalog(settings)?;
    let opts = ApplyOptions {
        dry_run: args.dry_run,
        to: args.to.clone(),
        count: args.count,
        allow_out_of_order: args.allow_out_of_order,
        single_transaction: args.single_transaction,
        lock_timeout: settings.lock_timeout,
        statement_timeout: settings.statement_timeout,
        lock_retries: args.lock_retries.unwrap_or(settings.lock_retries),
        lock_wait: match &args.lock_wait {
            Some(w) => parse_duration(w)
                .map_err(|m| Error::Usage(format!("--lock-wait: {m}")))?
                .unwrap_or_default(),
            None => settings.lock_wait,
        },
        vars: settings.vars.clone(),
        git_commit: std::env::var("GITHUB_SHA").ok(),
        ci_run_url: app::ci_run_url(),
    };
    app::print(&format!(
        "sqlgate apply: {} → {}\n",
        settings.dir_display,
        sqlgate_pg::mask(url)
    ))?;
    let started = Instant::now();
    let bar = std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
    let rep = app::runtime()?.block_on(sqlgate_pg::apply::apply(
        url,
        &settings.history_table,
        &cat,
        &settings.dir_display,
        &opts,
        &mut app::Progress::new(bar),
    ))?;
    finish(settings, &cat, &rep, args.dry_run, started)
}

/// Prints how an apply ended (blockers, interruption, failure, summary) and returns
/// the exit code. Shared by `apply` and `ci`.
pub fn finish(
    settings: &Settings,
    cat: &Catalog,
    rep: &ApplyReport,
    dry_run: bool,
    started: Instant,
) -> Result<i32, Error> {
    let blockers = findings_report(settings, cat, rep.blockers.clone());
    let end = text::apply_end(
        rep,
        &settings.dir_display,
        Some(&blockers),
        dry_run,
        started.elapsed().as_millis(),
    );
    app::print(&end.stdout)?;
    app::eprint(&end.stderr);
    Ok(end.code)
}
