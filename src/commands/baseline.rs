//! `sqlgate baseline <version>…`: mark migrations as applied without running them
//! (a database that was migrated before sqlgate ran it).

use crate::app;
use crate::config::Settings;
use sqlgate_core::Error;

pub fn run(settings: &Settings, url: &str, versions: &[String], force: bool) -> Result<i32, Error> {
    let cat = app::load_catalog(settings)?;
    let done = app::runtime()?.block_on(sqlgate_pg::admin::baseline(
        url,
        &settings.history_table,
        &cat,
        versions,
        force,
        settings.lock_wait,
        &mut |l| app::eprint(&format!("{l}\n")),
    ))?;
    for w in &done.warnings {
        app::eprint(&format!("sqlgate: warning: {w}\n"));
    }
    let mut out = String::new();
    if done.recorded.is_empty() {
        out.push_str("baseline: nothing to record\n");
    } else {
        out.push_str(&format!(
            "baseline: recorded {} migration(s) as applied without running them: {}\n",
            done.recorded.len(),
            done.recorded.join(", ")
        ));
    }
    if !done.skipped.is_empty() {
        out.push_str(&format!(
            "already in the history, left as they are: {}\n",
            done.skipped.join(", ")
        ));
    }
    app::print(&out)?;
    Ok(0)
}
