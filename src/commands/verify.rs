//! `sqlgate verify`: connection, server version, privileges, history health.

use crate::app;
use crate::config::Settings;
use sqlgate_core::report::text;
use sqlgate_core::Error;

pub fn run(settings: &Settings, url: &str) -> Result<i32, Error> {
    let checks =
        app::runtime()?.block_on(sqlgate_pg::admin::verify(url, &settings.history_table))?;
    app::print(&text::verify(&sqlgate_pg::mask(url), &checks))?;
    Ok(i32::from(checks.iter().any(|c| !c.ok)))
}
