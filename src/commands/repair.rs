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
    let mut say = |l: String| app::eprint(&format!("{l}\n"));
    let (done, line): (Vec<String>, fn(&str) -> String) = if forget {
        let done = app::runtime()?.block_on(sqlgate_pg::admin::forget(
            url,
            &settings.history_table,
            versions,
            settings.lock_wait,
            &mut say,
        ))?;
        (done, |d| {
            format!("forgot {d}: its record is removed and nothing was run; the schema keeps what it made, and the next apply runs it again\n")
        })
    } else {
        let cat = app::load_catalog(settings)?;
        let done = app::runtime()?.block_on(sqlgate_pg::admin::repair(
            url,
            &settings.history_table,
            &cat,
            versions,
            settings.lock_wait,
            &mut say,
        ))?;
        (done, |d| format!("repaired {d}\n"))
    };
    app::print(&done.iter().map(|d| line(d)).collect::<String>())?;
    Ok(0)
}
