//! `sqlgate preview up|down|list|gc`: preview databases on a staging server, one per
//! pull request (see `sqlgate_pg::preview`). `up` exits 0 when the preview matches
//! the migrations, 1 when a migration failed (the previous preview is unchanged), 2
//! when the pre-flight refused or the name or database is not sqlgate's to touch.

use super::apply::{check_allow, directory_preflight, sql_preflight};
use crate::app;
use crate::config::{parse_duration, Settings};
use crate::source;
use sqlgate_core::catalog::Migration;
use sqlgate_core::check;
use sqlgate_core::preview::{self, PreviewReport};
use sqlgate_core::report::{self, Format};
use sqlgate_core::Error;
use sqlgate_pg::preview::UpOptions;
use std::collections::HashSet;

/// What `preview up` was asked besides the settings.
#[derive(Debug, Clone, Default)]
pub struct UpArgs {
    pub pr: Option<u64>,
    pub name: Option<String>,
    pub print_url: bool,
    pub lock_wait: Option<String>,
    pub allow: Vec<String>,
}

/// The outcome of `preview up`: the report, the connection string (with its
/// password), and the exit code.
pub struct Up {
    pub report: PreviewReport,
    pub url: String,
    pub code: i32,
}

/// Builds or updates the preview (shared by `preview up` and `ci`). `Ok(None)`: the
/// directory's pre-flight refused (already printed, exit 2).
pub fn run_up(settings: &Settings, server: &str, args: &UpArgs) -> Result<Option<Up>, Error> {
    check_allow(&args.allow)?;
    let name = preview::name(&settings.preview_prefix, args.pr, args.name.as_deref())
        .map_err(Error::from)?;
    let (files, cat) = app::read_catalog(settings)?;
    if directory_preflight(settings, &cat, &args.allow)?.is_some() {
        return Ok(None);
    }
    // The base branch's migrations, for the schema diff.
    let shipped: Option<HashSet<String>> = match &settings.base {
        Some(reference) => {
            let tree = source::git::load_base(&settings.dir, reference, &files)?;
            Some(check::shipped_paths(&files, &tree.files))
        }
        None => None,
    };
    let is_shipped = |m: &Migration| shipped.as_ref().is_some_and(|s| s.contains(&m.up.path));
    let wait = match &args.lock_wait {
        Some(w) => parse_duration(w)
            .map_err(|m| Error::Usage(format!("--lock-wait: {m}")))?
            .unwrap_or_default(),
        None => settings.lock_wait,
    };
    let opts = UpOptions {
        name,
        pr: args.pr,
        head: crate::config::env::git_commit().or_else(|| source::git::head(&settings.dir)),
        template: settings.preview_template.clone(),
        extensions: &settings.scratch_extensions,
        history_table: &settings.history_table,
        dir: &settings.dir_display,
        apply: app::apply_options(settings),
        shipped: shipped
            .is_some()
            .then_some(&is_shipped as &dyn Fn(&Migration) -> bool),
        max: settings.preview_max,
        wait,
        bounds: &settings.sandbox,
    };
    let preflight = sql_preflight(settings, &cat, &args.allow, false);
    let (report, url) = app::runtime()?.block_on(sqlgate_pg::preview::up(
        server,
        &cat,
        &opts,
        &preflight,
        &mut |l: String| app::eprint(&format!("{l}\n")),
    ))?;
    let code = if !report.blockers.is_empty() {
        2
    } else {
        i32::from(
            report.failure.is_some() || matches!(report.action.as_str(), "failed" | "interrupted"),
        )
    };
    Ok(Some(Up { report, url, code }))
}

pub fn up(settings: &Settings, server: &str, args: &UpArgs) -> Result<i32, Error> {
    let Some(up) = run_up(settings, server, args)? else {
        return Ok(2);
    };
    if settings.format == Format::Json {
        app::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&up.report).unwrap_or_default()
        ))?;
    } else {
        app::print(&report::preview::text(&up.report))?;
    }
    if args.print_url && up.code == 0 {
        app::print(&format!("{}\n", up.url))?;
    }
    Ok(up.code)
}

fn which(settings: &Settings, pr: Option<u64>, name: Option<&str>) -> Result<String, Error> {
    preview::name(&settings.preview_prefix, pr, name).map_err(Error::from)
}

pub fn down(
    settings: &Settings,
    server: &str,
    pr: Option<u64>,
    name: Option<&str>,
) -> Result<i32, Error> {
    let name = which(settings, pr, name)?;
    let done = app::runtime()?.block_on(sqlgate_pg::preview::down(
        server,
        &name,
        settings.lock_wait,
        &mut |l| app::eprint(&format!("{l}\n")),
    ))?;
    app::print(&match done {
        sqlgate_pg::preview::Down::Dropped => format!("preview {name}: dropped\n"),
        sqlgate_pg::preview::Down::Absent => format!("preview {name}: there is none\n"),
    })?;
    Ok(0)
}

pub fn list(server: &str, json: bool) -> Result<i32, Error> {
    let all = app::runtime()?.block_on(sqlgate_pg::preview::list(server))?;
    if json {
        app::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&all).unwrap_or_default()
        ))?;
    } else {
        app::print(&report::preview::list(&all))?;
    }
    Ok(0)
}

pub fn gc(settings: &Settings, server: &str, older_than: Option<&str>) -> Result<i32, Error> {
    let max_age = older_than
        .map(|d| parse_duration(d).map_err(|m| Error::Usage(format!("--older-than: {m}"))))
        .transpose()?
        .flatten();
    let dropped = app::runtime()?.block_on(sqlgate_pg::preview::gc(
        server,
        Some(&settings.preview_prefix),
        max_age,
        &[],
        settings.lock_wait,
        &mut |l| app::eprint(&format!("{l}\n")),
    ))?;
    app::print(&if dropped.is_empty() {
        "preview gc: nothing to drop\n".to_string()
    } else {
        format!("preview gc: dropped {}\n", dropped.join(", "))
    })?;
    Ok(0)
}
