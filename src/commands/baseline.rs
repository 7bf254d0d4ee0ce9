//! `sqlgate baseline <version>`: mark an existing database as being at a version.

use crate::app;
use crate::config::Settings;
use sqlgate_core::Error;

pub fn run(settings: &Settings, url: &str, version: &str) -> Result<i32, Error> {
    app::runtime()?.block_on(sqlgate_pg::admin::baseline(
        url,
        &settings.history_table,
        version,
        settings.lock_wait,
    ))?;
    app::print(&format!(
        "baseline: the database is recorded as at version {version}; migrations up to it will not run\n"
    ))?;
    Ok(0)
}
