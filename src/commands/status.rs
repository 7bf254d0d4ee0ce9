//! `sqlgate status`: every migration against the database's history, and what would
//! stop an apply (listed, never refused).

use super::findings_report;
use crate::app;
use crate::config::Settings;
use sqlgate_core::model::State;
use sqlgate_core::plan;
use sqlgate_core::report::{json, text};
use sqlgate_core::Error;

/// Output formats of `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

pub fn run(settings: &Settings, url: &str, format: Format, exit_code: bool) -> Result<i32, Error> {
    let cat = app::load_catalog(settings)?;
    let (lines, blockers) = app::runtime()?.block_on(sqlgate_pg::apply::status(
        url,
        &settings.history_table,
        &cat,
        &settings.dir_display,
    ))?;
    let pending = lines.iter().filter(|l| l.state == State::Pending).count();
    // What would stop an apply, listed next to the migrations (status never refuses).
    let mut blockers = blockers;
    let opts = app::check_options(settings);
    blockers.extend(plan::directory_blockers(&cat, &opts, &[]));
    let pending_versions: std::collections::HashSet<&str> = lines
        .iter()
        .filter(|l| l.state == State::Pending)
        .map(|l| l.version.as_str())
        .collect();
    blockers.extend(plan::sql_blockers(
        &cat,
        &|m| pending_versions.contains(m.version.raw()),
        false,
        &opts,
        &[],
    ));
    let blocked = !blockers.is_empty();
    match format {
        Format::Json => app::print(&json::status(&lines, &blockers))?,
        Format::Text => {
            let color = app::color();
            app::print(&text::status(
                &sqlgate_pg::mask(url),
                &lines,
                blockers.len(),
                color,
            ))?;
            if !blockers.is_empty() {
                let n = blockers.len();
                let rep = findings_report(settings, &cat, blockers);
                // The problems, and what they mean for a deploy — not a check's
                // FAILED verdict: `status` reports (exit 0; `--exit-code` for 1).
                app::print(&text::findings(&rep, color, &|_| None))?;
                app::print(&format!(
                    "`sqlgate apply` refuses to run until {} fixed{}\n",
                    if n == 1 {
                        "this problem is"
                    } else {
                        "these problems are"
                    },
                    if exit_code {
                        ""
                    } else {
                        " (status itself exits 0; `--exit-code` makes it 1)"
                    }
                ))?;
            }
        }
    }
    Ok(i32::from(exit_code && (pending > 0 || blocked)))
}
