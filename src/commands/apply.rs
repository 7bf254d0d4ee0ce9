//! `sqlgate apply`: pending migrations under the migration lock, one transaction each,
//! after the pre-flight (the directory before connecting, the SQL about to run before
//! the lock) found nothing the runner cannot execute.

use super::findings_report;
use crate::app;
use crate::config::{parse_duration, Settings};
use sqlgate_core::catalog::Catalog;
use sqlgate_core::model::{ApplyReport, Finding};
use sqlgate_core::plan;
use sqlgate_core::report::{self, text, Format};
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
    /// Blocking rules to run past on purpose (`--allow`).
    pub allow: Vec<String>,
    /// Apply only this migration (`--only`).
    pub only: Option<String>,
    /// Apply to a populated database sqlgate has no history of.
    pub allow_existing_schema: bool,
}

/// Checks `--allow` values: only the pre-flight's rules can be allowed.
pub fn check_allow(allow: &[String]) -> Result<(), Error> {
    for a in allow {
        if !plan::allowable(a) {
            return Err(Error::Usage(format!(
                "--allow {a}: only the rules that stop an apply can be allowed ({})",
                plan::allowable_ids().join(", ")
            )));
        }
    }
    Ok(())
}

/// The pre-flight of the directory as a whole: what stops any apply, found before
/// connecting. Prints the report and returns exit code 2 when something does.
pub fn directory_preflight(
    settings: &Settings,
    cat: &Catalog,
    allow: &[String],
) -> Result<Option<i32>, Error> {
    let found = plan::directory_blockers(cat, &app::check_options(settings), allow);
    if found.is_empty() {
        return Ok(None);
    }
    refuse(
        settings,
        cat,
        found,
        "nothing applied and the database was not contacted",
    )
}

/// Prints a refusal in the configured format.
pub fn refuse(
    settings: &Settings,
    cat: &Catalog,
    findings: Vec<Finding>,
    what: &str,
) -> Result<Option<i32>, Error> {
    let rep = findings_report(settings, cat, findings);
    app::print(&report::render(&rep, settings.format, false))?;
    app::eprint(&format!(
        "sqlgate: {what}: the runner cannot execute these as written. Fix them (or, knowing why, pass `--allow <rule>`).\n"
    ));
    Ok(Some(2))
}

/// The pre-flight of the SQL about to run, for `sqlgate_pg::apply::apply`.
pub fn sql_preflight<'a>(
    settings: &'a Settings,
    cat: &'a Catalog,
    allow: &'a [String],
    down: bool,
) -> plan::Preflight<'a> {
    plan::Preflight {
        cat,
        check: app::check_options(settings),
        allow,
        down,
        memo: Default::default(),
    }
}

pub fn run(settings: &Settings, url: &str, args: &Options) -> Result<i32, Error> {
    check_allow(&args.allow)?;
    let cat = app::load_catalog(settings)?;
    if let Some(code) = directory_preflight(settings, &cat, &args.allow)? {
        return Ok(code);
    }
    let base = app::apply_options(settings);
    let opts = ApplyOptions {
        dry_run: args.dry_run,
        to: args.to.clone(),
        count: args.count,
        allow_out_of_order: args.allow_out_of_order,
        single_transaction: args.single_transaction,
        lock_retries: args.lock_retries.unwrap_or(base.lock_retries),
        lock_wait: match &args.lock_wait {
            Some(w) => parse_duration(w)
                .map_err(|m| Error::Usage(format!("--lock-wait: {m}")))?
                .unwrap_or_default(),
            None => base.lock_wait,
        },
        allow_existing_schema: args.allow_existing_schema,
        only: args.only.clone(),
        ..base
    };
    app::print(&format!(
        "sqlgate apply: {} → {}\n",
        settings.dir_display,
        sqlgate_pg::mask(url)
    ))?;
    let started = Instant::now();
    let bar = std::io::stderr().is_terminal() && !crate::config::env::ci_set();
    let preflight = sql_preflight(settings, &cat, &args.allow, false);
    let rep = app::runtime()?.block_on(sqlgate_pg::apply::apply(
        url,
        &settings.history_table,
        &cat,
        &settings.dir_display,
        &opts,
        &preflight,
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
    let mut end = text::apply_end(
        rep,
        &settings.dir_display,
        Some(&blockers),
        dry_run,
        started.elapsed().as_millis(),
        app::color(),
    );
    if !rep.blockers.is_empty() && settings.format != Format::Text {
        end.stdout = report::render(&blockers, settings.format, false);
    }
    app::print(&end.stdout)?;
    app::eprint(&end.stderr);
    Ok(end.code)
}
