//! One file per command: each takes the settings and its own options, does the work
//! through the core, `sqlgate_pg` and `source`, prints through `report`, and returns
//! the exit code. Adding a command: a file here plus a variant in `cli::Command`.

pub mod adopt;
pub mod apply;
pub mod baseline;
pub mod check;
pub mod create;
pub mod explain;
pub mod fix;
pub mod fleet;
pub mod lsp;
pub mod preview;
pub mod repair;
pub mod reset;
pub mod rollback;
pub mod stats;
pub mod status;
pub mod validate;
pub mod verify;

use crate::config::Settings;
use sqlgate_core::catalog::Catalog;
use sqlgate_core::model::{FailOn, Finding, Report};

/// A check-style report of findings about a catalog (what refuses an apply, the
/// problems `status` lists), rendered by the same renderers as `check`.
pub fn findings_report(settings: &Settings, cat: &Catalog, findings: Vec<Finding>) -> Report {
    let mut rep = Report {
        dir: settings.dir_display.clone(),
        base: None,
        layout: cat.layout,
        numbering: cat.numbering,
        migrations: cat.migrations.len(),
        new_migrations: 0,
        fail_on: FailOn::Error,
        findings,
        replay: None,
        ignores: Vec::new(),
    };
    rep.sort();
    rep
}
