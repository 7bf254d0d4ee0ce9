//! `sqlgate validate`: applied migrations against their files, with diffs.

use crate::app;
use crate::config::Settings;
use sqlgate_core::report::text;
use sqlgate_core::Error;

pub fn run(settings: &Settings, url: &str) -> Result<i32, Error> {
    let cat = app::load_catalog(settings)?;
    let problems = app::runtime()?.block_on(sqlgate_pg::admin::validate(
        url,
        &settings.history_table,
        &cat,
    ))?;
    app::print(&text::validate(&problems, app::color()))?;
    Ok(i32::from(!problems.is_empty()))
}
