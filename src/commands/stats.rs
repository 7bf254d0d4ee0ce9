//! `sqlgate stats export`: a size snapshot of a database, as JSON (docs/sizes.md).

use crate::app;
use sqlgate_core::Error;
use std::path::Path;

pub fn export(url: &str, output: Option<&Path>) -> Result<i32, Error> {
    let snap = app::runtime()?.block_on(sqlgate_pg::stats::export(url))?;
    let json = serde_json::to_string_pretty(&snap)
        .map_err(|e| Error::Io(format!("cannot write the snapshot: {e}")))?
        + "\n";
    match output {
        Some(path) => {
            std::fs::write(path, json)
                .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
            app::eprint(&format!(
                "sqlgate: {} table(s) of {} written to {}\n",
                snap.tables.len(),
                sqlgate_pg::mask(url),
                path.display()
            ));
        }
        None => app::print(&json)?,
    }
    Ok(0)
}
