//! `sqlgate rollback`: down SQL of the newest applied migrations.

use crate::app;
use crate::config::Settings;
use sqlgate_core::Error;
use sqlgate_pg::admin::RollbackScope;

pub fn run(settings: &Settings, url: &str, scope: &RollbackScope) -> Result<i32, Error> {
    let cat = app::load_catalog(settings)?;
    app::print(&format!(
        "sqlgate rollback: {} → {}\n",
        settings.dir_display,
        sqlgate_pg::mask(url)
    ))?;
    let done = app::runtime()?.block_on(sqlgate_pg::admin::rollback(
        url,
        &settings.history_table,
        &cat,
        scope,
        settings.lock_wait,
        &settings.vars,
        &mut |l| {
            let _ = app::print(&format!("{l}\n"));
        },
    ))?;
    app::print(&format!("rolled back {} migration(s)\n", done.len()))?;
    Ok(0)
}
