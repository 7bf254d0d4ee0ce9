//! `sqlgate rollback`: down SQL of the newest applied migrations, honest about what it
//! did: it refuses (changing nothing) when a chosen migration has no down SQL, and
//! says so — exit 1 — when there was less to roll back than asked.

use super::apply::{check_allow, sql_preflight};
use super::findings_report;
use crate::app;
use crate::config::Settings;
use sqlgate_core::report::{self, text, Format};
use sqlgate_core::Error;
use sqlgate_pg::admin::{RollbackOptions, RollbackScope};

pub fn run(
    settings: &Settings,
    url: &str,
    scope: RollbackScope,
    dry_run: bool,
    allow: &[String],
) -> Result<i32, Error> {
    check_allow(allow)?;
    let cat = app::load_catalog(settings)?;
    app::print(&format!(
        "sqlgate rollback: {} → {}\n",
        settings.dir_display,
        sqlgate_pg::mask(url)
    ))?;
    let opts = RollbackOptions {
        scope,
        dry_run,
        wait: settings.lock_wait,
        vars: settings.vars.clone(),
        lock_timeout: settings.lock_timeout,
        statement_timeout: settings.statement_timeout,
    };
    let preflight = sql_preflight(settings, &cat, allow, true);
    let rep = app::runtime()?.block_on(sqlgate_pg::admin::rollback(
        url,
        &settings.history_table,
        &cat,
        &settings.dir_display,
        &opts,
        &preflight,
        &mut |l| {
            let _ = app::print(&format!("{l}\n"));
        },
    ))?;
    let blockers = findings_report(settings, &cat, rep.blockers.clone());
    let mut end = text::rollback_end(&rep, &settings.dir_display, Some(&blockers), app::color());
    if !rep.blockers.is_empty() && settings.format != Format::Text {
        end.stdout = report::render(&blockers, settings.format, false);
    }
    app::print(&end.stdout)?;
    app::eprint(&end.stderr);
    Ok(end.code)
}
