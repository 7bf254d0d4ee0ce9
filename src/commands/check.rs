//! `sqlgate check`: reads the directory (and the base branch's copy of it), judges it
//! with the core, replays it on a scratch database when asked, and prints the report.

use crate::app;
use crate::config::Settings;
use crate::source;
use sqlgate_core::catalog::{self, CatalogOptions, Migration, SourceFile};
use sqlgate_core::check::{self, Base};
use sqlgate_core::model::Report;
use sqlgate_core::report;
use sqlgate_core::sizes::{self, Snapshot};
use sqlgate_core::Error;
use sqlgate_pg::replay::sample::Fill;
use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::PathBuf;

/// What the replay needs from the settings.
pub fn replay_options(settings: &Settings) -> sqlgate_pg::replay::ReplayOptions<'_> {
    sqlgate_pg::replay::ReplayOptions {
        vars: &settings.vars,
        dir: &settings.dir_display,
        extensions: &settings.scratch_extensions,
        bounds: &settings.sandbox,
        fills: &[],
        cache: settings.scratch_cache.as_deref(),
    }
}

/// The static verdict, and — with `--scratch` — the replay running beside it (it waits
/// on the server while the rules run on this machine), merged into one report.
fn judge(
    settings: &Settings,
    head: &catalog::Catalog,
    is_new: &(dyn Fn(&Migration) -> bool + Sync),
    snap: Option<&Snapshot>,
    evaluate: impl FnOnce() -> Report,
) -> Result<Report, Error> {
    let Some(scratch) = &settings.scratch else {
        return Ok(evaluate());
    };
    // `[stats] replay_rows`: the tables the change touches get sample rows first.
    let fills: Vec<Fill> = match (snap, settings.stats_limits.0.replay_rows) {
        (Some(snap), rows) if rows > 0 => sizes::fills(head, is_new, &settings.vars, snap, rows)
            .into_iter()
            .map(|(table, rows, production_rows)| Fill {
                table,
                rows,
                production_rows,
            })
            .collect(),
        _ => Vec::new(),
    };
    let opts = sqlgate_pg::replay::ReplayOptions {
        fills: &fills,
        ..replay_options(settings)
    };
    std::thread::scope(|s| {
        let replay = s.spawn(|| sqlgate_pg::replay::run(scratch, head, is_new, &opts));
        let mut report = evaluate();
        let (observed, found) = replay
            .join()
            .map_err(|_| Error::Io("the scratch replay stopped unexpectedly".into()))??;
        check::merge_replay(&mut report, observed, found, &app::check_options(settings));
        Ok(report)
    })
}

/// Runs the check on the configured directory; `all` judges every migration. With a
/// size snapshot, the size-dependent findings are judged with their tables' sizes.
pub fn report(settings: &Settings, all: bool) -> Result<Report, Error> {
    report_of(settings, all).map(|(report, _)| report)
}

/// [`report`], with the directory and base it judged (for what works on them next:
/// `ci`'s suggested fixes).
pub fn report_of(settings: &Settings, all: bool) -> Result<(Report, Change), Error> {
    let snap = snapshot(settings)?;
    let change = read_change(settings)?;
    let mut report = judged(settings, &change, all, snap.as_ref())?;
    if let Some(snap) = &snap {
        sizes::apply(&mut report.findings, snap, &settings.stats_limits.0);
        sizes::measured(&mut report.findings, report.replay.as_ref());
        report.sort();
    }
    Ok((report, change))
}

/// The size snapshot, when one is configured (a warning when it is old).
fn snapshot(settings: &Settings) -> Result<Option<Snapshot>, Error> {
    let Some(path) = &settings.stats else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Usage(format!(
            "cannot read the size snapshot {}: {e}",
            path.display()
        ))
    })?;
    let snap = sizes::parse(&text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    if let Some(age) = chrono::DateTime::parse_from_rfc3339(&snap.exported_at)
        .ok()
        .map(|t| chrono::Utc::now().signed_duration_since(t))
        .filter(|age| age.to_std().is_ok_and(|a| a > settings.stats_limits.1))
    {
        app::eprint(&format!(
            "sqlgate: warning: the size snapshot {} is {} days old: export it again (`sqlgate stats export`)\n",
            path.display(),
            age.num_days()
        ));
    }
    Ok(Some(snap))
}

/// The directory and, with a base ref, the base branch's copy of it — read with one
/// layout decision, as the gate reads them.
pub struct Change {
    pub files: Vec<SourceFile>,
    pub head: catalog::Catalog,
    pub base: Option<(source::git::BaseTree, catalog::Catalog)>,
    /// Up paths of the migrations that shipped (byte-identical on the base).
    pub shipped: HashSet<String>,
}

impl Change {
    /// True for a migration of this change (every one without a base).
    pub fn is_new(&self, m: &Migration) -> bool {
        !self.shipped.contains(&m.up.path)
    }

    /// The gate's verdict on the change.
    pub fn evaluate(&self, settings: &Settings, all: bool) -> Report {
        let opts = app::check_options(settings);
        let base = self.base.as_ref().map(|(tree, catalog)| Base {
            name: settings.base.as_deref().unwrap_or_default(),
            files: &tree.files,
            catalog,
            merge_base_paths: tree.merge_base_paths.as_ref(),
        });
        check::evaluate(&self.head, &self.files, base.as_ref(), &opts, all)
    }
}

/// Reads the configured directory and its base branch (`settings.base`).
pub fn read_change(settings: &Settings) -> Result<Change, Error> {
    let (files, head) = app::read_catalog(settings)?;
    let Some(reference) = &settings.base else {
        return Ok(Change {
            files,
            head,
            base: None,
            shipped: HashSet::new(),
        });
    };
    let tree = source::git::load_base(&settings.dir, reference, &files)?;
    // One way of reading both trees: a file the pull request adds must not change how
    // the files it leaves alone are read (docs/layouts.md).
    let decision = catalog::decide(&[&files, &tree.files], settings.layout);
    let head = if head.decision == decision {
        head
    } else {
        let opts = CatalogOptions {
            decision: Some(decision),
            ..app::catalog_options(settings)
        };
        catalog::build(&files, &opts)
    };
    let base_opts = CatalogOptions {
        numbering: Some(head.numbering),
        decision: Some(decision),
        ..app::catalog_options(settings)
    };
    let base_catalog = catalog::build(&tree.files, &base_opts);
    let shipped = check::shipped_paths(&files, &tree.files);
    Ok(Change {
        files,
        head,
        base: Some((tree, base_catalog)),
        shipped,
    })
}

fn judged(
    settings: &Settings,
    change: &Change,
    all: bool,
    snap: Option<&Snapshot>,
) -> Result<Report, Error> {
    let is_new = |m: &Migration| change.is_new(m);
    judge(settings, &change.head, &is_new, snap, || {
        change.evaluate(settings, all)
    })
}

/// `sqlgate check`: prints (or writes) the report; exit 1 when it fails.
pub fn run(settings: &Settings, all: bool, output: Option<&PathBuf>) -> Result<i32, Error> {
    let rep = report(settings, all)?;
    let color =
        output.is_none() && std::io::stdout().is_terminal() && !crate::config::env::no_color();
    let rendered = if settings.format == report::Format::Text {
        // Each finding with its source line, as the files are now.
        let texts = source_texts(settings, &rep);
        report::text::render_with_sources(&rep, color, &|file| texts.get(file).cloned())
    } else {
        report::render(&rep, settings.format, color)
    };
    match output {
        Some(path) => {
            std::fs::write(path, rendered)
                .map_err(|e| Error::Io(format!("cannot write `{}`: {e}", path.display())))?;
            let c = rep.counts();
            app::eprint(&format!(
                "sqlgate: {} errors, {} warnings, {} info; report written to {}\n",
                c.error,
                c.warning,
                c.info,
                path.display()
            ));
        }
        None => app::print(&rendered)?,
    }
    Ok(i32::from(rep.failed()))
}

/// The text of every migration file by the path findings show (for source lines).
fn source_texts(settings: &Settings, rep: &Report) -> std::collections::HashMap<String, String> {
    let mut named: Vec<&str> = rep.findings.iter().map(|f| f.file.as_str()).collect();
    named.sort();
    named.dedup();
    let limits = source::fs::Limits {
        max_file_size: settings.max_file_size,
    };
    let prefix = catalog::display_path(&settings.dir_display, "");
    named
        .into_iter()
        .filter_map(|shown| {
            let rel = if prefix.is_empty() {
                shown
            } else {
                shown.strip_prefix(prefix.as_str())?
            };
            match source::fs::read_file(&settings.dir, rel, limits) {
                catalog::Content::Bytes(b) => {
                    Some((shown.to_string(), String::from_utf8_lossy(&b).into_owned()))
                }
                catalog::Content::Unreadable(_) => None,
            }
        })
        .collect()
}

/// `check --pre-commit FILES…`: the staged migration files. With `base` set in
/// sqlgate.toml the check is against it (as in a pull request); otherwise only the
/// findings about the given files count. Files outside the migration directory are
/// ignored; none inside: nothing to do.
pub fn pre_commit(settings: &Settings, files: &[PathBuf]) -> Result<i32, Error> {
    let dir = std::fs::canonicalize(&settings.dir).unwrap_or_else(|_| settings.dir.clone());
    let shown: Vec<String> = files
        .iter()
        .filter_map(|f| {
            // The file's own name is kept: a symlink in the directory is judged
            // as that file (as `check` does: a link out is `unreadable-file`),
            // not as wherever it points.
            let parent = f.parent().filter(|p| !p.as_os_str().is_empty());
            let parent = std::fs::canonicalize(parent.unwrap_or(std::path::Path::new(".")))
                .unwrap_or_else(|_| parent.map(|p| p.to_path_buf()).unwrap_or_default());
            let abs = parent.join(f.file_name()?);
            let rel = abs.strip_prefix(&dir).ok()?;
            Some(catalog::display_path(
                &settings.dir_display,
                &rel.to_string_lossy().replace('\\', "/"),
            ))
        })
        .collect();
    if shown.is_empty() && !files.is_empty() {
        return Ok(0);
    }
    let mut rep = report(settings, false)?;
    if settings.base.is_none() && !shown.is_empty() {
        rep.findings.retain(|f| shown.iter().any(|s| s == &f.file));
    }
    app::print(&report::render(&rep, settings.format, false))?;
    Ok(i32::from(rep.failed()))
}
