//! `sqlgate adopt [--from <table>] [--dry-run]`: take over a database another runner
//! or tool migrated — its history becomes sqlgate's, nothing runs, its table stays.
//! Exit 0 adopted, 1 adopted but some files changed since they ran (`repair` after
//! review), 2 refused (failed or unfinished rows, records without a file).

use super::findings_report;
use crate::app;
use crate::config::Settings;
use sqlgate_core::report::{self, text};
use sqlgate_core::Error;

pub fn run(
    settings: &Settings,
    url: &str,
    from: Option<&str>,
    dry_run: bool,
) -> Result<i32, Error> {
    let cat = app::load_catalog(settings)?;
    let done = app::runtime()?.block_on(sqlgate_pg::adopt::adopt(
        url,
        &settings.history_table,
        &cat,
        &settings.dir_display,
        from,
        dry_run,
        settings.lock_wait,
        &mut |l| app::eprint(&format!("{l}\n")),
    ))?;
    let m = &done.mapping;
    let pending: Vec<String> = cat
        .migrations
        .iter()
        .filter(|f| !m.adopted.iter().any(|a| a.version == f.version.canonical()))
        .map(|f| f.name.clone())
        .collect();
    let refused = !m.refusals.is_empty();
    app::print(&text::adoption(
        done.source.tool.name(),
        &done.source.table,
        m,
        &pending,
        done.written,
        &done.skipped,
        dry_run,
    ))?;
    let findings: Vec<_> = m.refusals.iter().chain(&m.mismatches).cloned().collect();
    if !findings.is_empty() {
        let rep = findings_report(settings, &cat, findings);
        app::print(&report::render(&rep, settings.format, false))?;
    }
    Ok(if refused {
        2
    } else {
        i32::from(!m.mismatches.is_empty())
    })
}
