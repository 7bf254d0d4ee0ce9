//! `sqlgate repair <version>…`: accept a file's checksum or clear a failed record.

use crate::app;
use crate::config::Settings;
use sqlgate_core::Error;

pub fn run(settings: &Settings, url: &str, versions: &[String]) -> Result<i32, Error> {
    let cat = app::load_catalog(settings)?;
    let done = app::runtime()?.block_on(sqlgate_pg::admin::repair(
        url,
        &settings.history_table,
        &cat,
        versions,
        settings.lock_wait,
        &mut |l| app::eprint(&format!("{l}\n")),
    ))?;
    app::print(
        &done
            .iter()
            .map(|d| format!("repaired {d}\n"))
            .collect::<String>(),
    )?;
    Ok(0)
}
