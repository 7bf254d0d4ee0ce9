//! `sqlgate repair <version>…`: accept a file's checksum or clear a failed record;
//! `--forget`: remove records and run nothing (a record-only rollback).

use crate::app;
use crate::config::Settings;
use sqlgate_core::Error;

pub fn run(
    settings: &Settings,
    url: &str,
    versions: &[String],
    forget: bool,
) -> Result<i32, Error> {
    if forget {
        let done = app::runtime()?.block_on(sqlgate_pg::admin::forget(
            url,
            &settings.history_table,
            versions,
            settings.lock_wait,
            &mut |l| app::eprint(&format!("{l}\n")),
        ))?;
        app::print(
            &done
                .iter()
                .map(|d| format!("forgot {d}: its record is removed and nothing was run; the schema keeps what it made, and the next apply runs it again\n"))
                .collect::<String>(),
        )?;
        return Ok(0);
    }
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
