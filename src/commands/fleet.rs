//! Fleets: `sqlgate targets` (the list, or the GitHub Actions matrix), `apply` and
//! `status` on many targets (`--target`, `--targets`, `--shard`, `--all-targets`,
//! `--wave`), and `sqlgate report merge` of the per-target reports.

use super::apply::{check_allow, directory_preflight, sql_preflight};
use crate::app;
use crate::config::Settings;
use sqlgate_core::fleet::{self, Target, TargetReport};
use sqlgate_core::model::{current_and_latest, State};
use sqlgate_core::report;
use sqlgate_core::Error;
use sqlgate_pg::apply::ApplyOptions;
use sqlgate_pg::fleet::Resolved;
use std::path::PathBuf;

/// Which targets a run is about.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// `--target`, `--targets`, `--shard` (comma-separated names).
    pub names: Vec<String>,
    pub all: bool,
    pub wave: Option<u32>,
}

impl Selection {
    pub fn any(&self) -> bool {
        self.all || !self.names.is_empty() || self.wave.is_some()
    }
}

/// Every target: the static ones and those the control database's query returns.
pub fn all_targets(settings: &Settings) -> Result<Vec<Target>, Error> {
    let mut all = settings.targets.clone();
    if let (Some(query), Some(env)) = (&settings.targets_query, &settings.targets_control_env) {
        let url = env_url(env, "targets.control_url_env")?;
        let found = app::runtime()?.block_on(sqlgate_pg::fleet::query_targets(&url, query))?;
        // A row names a variable; only declared ones are read (a row naming
        // GITHUB_TOKEN must not make its value a "database URL" in an error).
        let refused: Vec<String> = found
            .iter()
            .filter_map(|t| {
                let var = t.url_env.as_deref()?;
                (!fleet::url_env_allowed(var, &settings.targets_url_env_allow))
                    .then(|| format!("{} (url_env {var})", t.name))
            })
            .collect();
        if !refused.is_empty() {
            return Err(Error::Usage(format!(
                "nothing was applied: targets.query named environment variables that `[targets] url_env_allow` does not declare ({}): {}. Declare the variables that hold tenant URLs, e.g. `url_env_allow = [\"TENANT_*_URL\"]`; no other variable is read",
                if settings.targets_url_env_allow.is_empty() {
                    "it is empty".to_string()
                } else {
                    settings.targets_url_env_allow.join(", ")
                },
                refused.join(", ")
            )));
        }
        for mut t in found {
            if t.url_env.is_none() {
                t.url_env = Some(env.clone());
            }
            all.push(t);
        }
    }
    let mut seen = std::collections::HashSet::new();
    for t in &all {
        if !seen.insert(t.name.clone()) {
            return Err(Error::Usage(format!("two targets are called `{}`", t.name)));
        }
    }
    if all.is_empty() {
        return Err(Error::Usage(
            "no targets: add `[targets.<name>]` tables (or `targets.query`) to sqlgate.toml (docs/fleets.md)".into(),
        ));
    }
    Ok(all)
}

fn env_url(var: &str, what: &str) -> Result<String, Error> {
    crate::config::env::var(var)
        .ok_or_else(|| Error::Usage(format!("{what}: the environment variable {var} is not set")))
}

/// The selected targets with their connections; every missing URL variable is a
/// configuration error before anything runs.
pub fn resolve(settings: &Settings, sel: &Selection) -> Result<Vec<Resolved>, Error> {
    let all = all_targets(settings)?;
    let chosen = fleet::select(&all, &sel.names, sel.wave).map_err(Error::Usage)?;
    let mut missing = Vec::new();
    let mut invalid = Vec::new();
    let mut out = Vec::new();
    for t in chosen {
        let var = t.url_env.clone().unwrap_or_else(|| "DATABASE_URL".into());
        match crate::config::env::var(&var) {
            Some(url) if sqlgate_pg::is_connection_string(&url) => {
                out.push(sqlgate_pg::fleet::resolve(t, &url, &settings.history_table))
            }
            // Named, never shown: the value may be a secret that is not a URL.
            Some(_) => invalid.push(format!("{} ({var})", t.name)),
            None => missing.push(format!("{} ({var})", t.name)),
        }
    }
    if !invalid.is_empty() {
        return Err(Error::Usage(format!(
            "nothing was applied: the value of the variable of {} target(s) is not a PostgreSQL connection string (it is not shown): {}",
            invalid.len(),
            invalid.join(", ")
        )));
    }
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "nothing was applied: the database URL of {} target(s) is not set: {}",
            missing.len(),
            missing.join(", ")
        )));
    }
    Ok(out)
}

/// `sqlgate targets`.
pub fn targets(
    settings: &Settings,
    format: &str,
    per_job: usize,
    wave: Option<u32>,
) -> Result<i32, Error> {
    let all = all_targets(settings)?;
    let chosen = fleet::select(&all, &[], wave).map_err(Error::Usage)?;
    match format {
        "matrix" => {
            let (shards, note) = fleet::matrix(&chosen, per_job);
            if let Some(n) = note {
                app::eprint(&format!("sqlgate: {n}\n"));
            }
            app::print(&format!("{}\n", serde_json::json!({ "include": shards })))?;
        }
        "json" => app::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&chosen).unwrap_or_default()
        ))?,
        _ => {
            let mut out = String::new();
            for t in &chosen {
                out.push_str(&format!(
                    "{:<30} wave {:<3} {}{}\n",
                    t.name,
                    t.wave,
                    t.url_env
                        .as_deref()
                        .map(|e| format!("${e}"))
                        .unwrap_or_else(|| "$DATABASE_URL".into()),
                    t.schema
                        .as_deref()
                        .map(|s| format!("  schema {s}"))
                        .unwrap_or_default()
                ));
            }
            out.push_str(&format!("{} target(s)\n", chosen.len()));
            app::print(&out)?;
        }
    }
    Ok(0)
}

/// What `apply` on targets was asked besides the selection.
#[derive(Debug, Clone)]
pub struct ApplyArgs {
    pub dry_run: bool,
    pub to: Option<String>,
    pub count: Option<usize>,
    pub jobs: usize,
    pub fail_fast: bool,
    pub report_dir: Option<PathBuf>,
    pub allow: Vec<String>,
    pub allow_out_of_order: bool,
}

/// Applies to the selected targets; the per-target reports (also written to
/// `report_dir`), merged. `Ok(None)`: the directory's pre-flight refused.
pub fn run_apply(
    settings: &Settings,
    sel: &Selection,
    args: &ApplyArgs,
) -> Result<Option<Vec<TargetReport>>, Error> {
    check_allow(&args.allow)?;
    let targets = resolve(settings, sel)?;
    let cat = app::load_catalog(settings)?;
    if directory_preflight(settings, &cat, &args.allow)?.is_some() {
        return Ok(None);
    }
    let opts = ApplyOptions {
        dry_run: args.dry_run,
        to: args.to.clone(),
        count: args.count,
        allow_out_of_order: args.allow_out_of_order,
        ..app::apply_options(settings)
    };
    let preflight = sql_preflight(settings, &cat, &args.allow, false);
    app::print(&format!(
        "sqlgate apply: {} → {} target(s), {} at a time{}\n",
        settings.dir_display,
        targets.len(),
        args.jobs.max(1),
        if args.fail_fast { ", fail-fast" } else { "" }
    ))?;
    let say = |name: &str, line: String| {
        let _ = app::print(&format!("[{name}] {}\n", line.trim_start()));
    };
    let reports = app::runtime()?.block_on(sqlgate_pg::fleet::apply_all(
        &targets,
        &cat,
        &settings.dir_display,
        &opts,
        &preflight,
        sqlgate_pg::fleet::Schedule {
            jobs: args.jobs,
            fail_fast: args.fail_fast,
        },
        &say,
    ));
    if let Some(dir) = &args.report_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
        for r in &reports {
            let path = dir.join(format!("{}.json", r.target));
            std::fs::write(&path, serde_json::to_string_pretty(r).unwrap_or_default())
                .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    Ok(Some(fleet::merge(reports)))
}

pub fn apply(settings: &Settings, sel: &Selection, args: &ApplyArgs) -> Result<i32, Error> {
    let Some(reports) = run_apply(settings, sel, args)? else {
        return Ok(2);
    };
    print_merged(&reports, settings.format)?;
    Ok(i32::from(reports.iter().any(|r| !r.ok())))
}

fn print_merged(
    reports: &[TargetReport],
    format: sqlgate_core::report::Format,
) -> Result<(), Error> {
    match format {
        sqlgate_core::report::Format::Json => app::print(&report::fleet::json(reports)),
        sqlgate_core::report::Format::Markdown => app::print(&report::fleet::markdown(
            reports,
            "Migrations applied",
            "",
            500,
        )),
        sqlgate_core::report::Format::Text => app::print(&report::fleet::text(reports)),
        // Fleet reports have no file positions for annotations or SARIF results.
        other => Err(Error::Usage(format!(
            "fleet reports come as text, json or markdown, not {}",
            other.as_str()
        ))),
    }
}

/// `sqlgate report merge`: the reports in these files and directories (`*.json`).
pub fn read_reports(paths: &[PathBuf]) -> Result<Vec<TargetReport>, Error> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::Io(format!("cannot read {}: {e}", p.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "json"))
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(p.clone());
        }
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| Error::Io(format!("cannot read {}: {e}", f.display())))?;
        let r: TargetReport = serde_json::from_str(&text).map_err(|e| {
            Error::Usage(format!(
                "{} is not a sqlgate target report: {e}",
                f.display()
            ))
        })?;
        out.push(r);
    }
    Ok(fleet::merge(out))
}

pub fn merge(paths: &[PathBuf], format: sqlgate_core::report::Format) -> Result<i32, Error> {
    let reports = read_reports(paths)?;
    if reports.is_empty() {
        return Err(Error::Usage(
            "no reports found (expected <target>.json files)".into(),
        ));
    }
    print_merged(&reports, format)?;
    Ok(i32::from(reports.iter().any(|r| !r.ok())))
}

/// `status --all-targets`: which target is at which version, which lag, which failed.
pub fn status(settings: &Settings, sel: &Selection, exit_code: bool) -> Result<i32, Error> {
    let targets = resolve(settings, sel)?;
    let cat = app::load_catalog(settings)?;
    let rt = app::runtime()?;
    let mut out = String::new();
    let mut lagging = 0;
    for t in &targets {
        match rt.block_on(sqlgate_pg::fleet::status(t, &cat, &settings.dir_display)) {
            Ok(lines) => {
                let (current, _) = current_and_latest(&lines);
                let pending = lines.iter().filter(|l| l.state == State::Pending).count();
                let failed = lines.iter().filter(|l| l.state == State::Failed).count();
                if pending > 0 || failed > 0 {
                    lagging += 1;
                }
                out.push_str(&format!(
                    "  {:<30} at {:<16} pending {:<3} failed {:<2}{}\n",
                    t.target.name,
                    current.unwrap_or_else(|| "none".into()),
                    pending,
                    failed,
                    if pending == 0 && failed == 0 {
                        ""
                    } else {
                        "  lags"
                    }
                ));
            }
            Err(e) => {
                lagging += 1;
                out.push_str(&format!("  {:<30} unreachable: {e}\n", t.target.name));
            }
        }
    }
    let newest = cat
        .migrations
        .iter()
        .map(|m| &m.version)
        .max()
        .map_or_else(|| "none".to_string(), |v| v.canonical().to_string());
    out.push_str(&format!(
        "{} target(s), {lagging} behind or failing; newest file: {newest}\n",
        targets.len()
    ));
    app::print(&out)?;
    Ok(i32::from(exit_code && lagging > 0))
}
