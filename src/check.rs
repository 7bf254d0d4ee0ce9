//! `sqlgate check`: reads the directory (and the base branch's copy of it), runs the
//! directory and history rules, and returns one [`Report`]. `evaluate` is pure.

use crate::catalog::{self, display_path, Catalog, CatalogOptions, Content, Migration, SourceFile};
use crate::config::Settings;
use crate::error::Error;
use crate::findings::{Finding, Report};
use crate::git;
use crate::rules::{self, directory, history};
use std::collections::{HashMap, HashSet};

/// The base branch's side of a check.
pub struct Base<'a> {
    /// The ref as the user named it.
    pub name: &'a str,
    pub files: &'a [SourceFile],
    pub catalog: &'a Catalog,
    pub merge_base_paths: Option<&'a HashSet<String>>,
}

/// Catalog options from settings.
pub fn catalog_options(settings: &Settings) -> CatalogOptions {
    CatalogOptions {
        layout: settings.layout,
        numbering: settings.numbering,
        display_dir: settings.dir_display.clone(),
    }
}

/// Runs `check` on the configured directory; `all` lints every migration.
pub fn run(settings: &Settings, all: bool) -> Result<Report, Error> {
    let files = catalog::fs::read_dir(&settings.dir)?;
    let opts = catalog_options(settings);
    let head = catalog::build(&files, &opts);
    let mut report = match &settings.base {
        None => evaluate(&head, &files, None, settings, all),
        Some(reference) => {
            let tree = git::load_base(&settings.dir, reference)?;
            let base_opts = CatalogOptions {
                numbering: Some(head.numbering),
                ..opts
            };
            let base_catalog = catalog::build(&tree.files, &base_opts);
            let base = Base {
                name: reference,
                files: &tree.files,
                catalog: &base_catalog,
                merge_base_paths: tree.merge_base_paths.as_ref(),
            };
            let mut report = evaluate(&head, &files, Some(&base), settings, all);
            if let Some(scratch) = &settings.scratch {
                // Shipped = byte-identical in the base; everything else is this change.
                let head_bytes: HashMap<&str, &[u8]> = files
                    .iter()
                    .filter_map(|f| match &f.content {
                        Content::Bytes(b) => Some((f.path.as_str(), b.as_slice())),
                        Content::Unreadable(_) => None,
                    })
                    .collect();
                let shipped: HashSet<&str> = tree
                    .files
                    .iter()
                    .filter_map(|f| match &f.content {
                        Content::Bytes(b)
                            if head_bytes.get(f.path.as_str()) == Some(&b.as_slice()) =>
                        {
                            Some(f.path.as_str())
                        }
                        _ => None,
                    })
                    .collect();
                let is_new = |m: &Migration| !shipped.contains(m.up.path.as_str());
                replay(&mut report, scratch, &head, &is_new, settings)?;
            }
            return Ok(report);
        }
    };
    if let Some(scratch) = &settings.scratch {
        replay(&mut report, scratch, &head, &|_: &Migration| true, settings)?;
    }
    Ok(report)
}

/// Runs the scratch replay and merges what it saw into the report.
fn replay(
    report: &mut Report,
    scratch: &crate::replay::Scratch,
    head: &Catalog,
    is_new: &dyn Fn(&Migration) -> bool,
    settings: &Settings,
) -> Result<(), Error> {
    let (observed, mut found) =
        crate::replay::run(scratch, head, is_new, &settings.vars, &settings.dir_display)?;
    found.extend(crate::replay::judge(
        &observed.steps,
        &mut report.findings,
        settings.lock_timeout.is_some(),
    ));
    report
        .findings
        .extend(rules::apply_overrides(found, &settings.rules));
    report.replay = Some(observed);
    report.sort();
    Ok(())
}

/// Judges a catalog (and its base, when given) and builds the report.
pub fn evaluate(
    head: &Catalog,
    head_files: &[SourceFile],
    base: Option<&Base>,
    settings: &Settings,
    all: bool,
) -> Report {
    let dir = settings.dir_display.as_str();
    let mut findings: Vec<Finding> = Vec::new();
    let comparison = base.map(|b| history::compare(head, b.catalog, b.merge_base_paths, dir));

    // Problems with file names only count for files this change adds or edits.
    let unchanged: HashSet<String> = match base {
        Some(b) if !all => {
            let base_bytes: HashMap<&str, &[u8]> = b
                .files
                .iter()
                .filter_map(|f| match &f.content {
                    Content::Bytes(bytes) => Some((f.path.as_str(), bytes.as_slice())),
                    Content::Unreadable(_) => None,
                })
                .collect();
            head_files
                .iter()
                .filter(|f| match &f.content {
                    Content::Bytes(bytes) => {
                        base_bytes.get(f.path.as_str()) == Some(&bytes.as_slice())
                    }
                    Content::Unreadable(_) => false,
                })
                .map(|f| display_path(dir, &f.path))
                .collect()
        }
        _ => HashSet::new(),
    };
    findings.extend(
        head.problems
            .iter()
            .filter(|f| !unchanged.contains(&f.file))
            .cloned(),
    );

    let changed = comparison.as_ref().map(|c| &c.changed);
    let in_scope = |m: &Migration| all || changed.is_none_or(|c| c.contains(&m.up.path));
    let missing_versions = comparison
        .as_ref()
        .map(|c| c.missing_versions.clone())
        .unwrap_or_default();
    let ctx = directory::DirectoryContext {
        display_dir: dir,
        require_down: settings.require_down,
        other_versions: &missing_versions,
        in_scope: &in_scope,
    };
    findings.extend(directory::check(head, &ctx));
    let new_migrations = head
        .migrations
        .iter()
        .filter(|m| changed.is_none_or(|c| c.contains(&m.up.path)))
        .count();
    if let Some(c) = &comparison {
        findings.extend(c.findings.iter().cloned());
    }

    let change_set = |m: &Migration| changed.is_some_and(|c| c.contains(&m.up.path));
    let sql_options = rules::sql::SqlOptions {
        display_dir: dir,
        pg_version: settings.pg_version,
        runner_lock_timeout: settings.lock_timeout.is_some(),
        vars: &settings.vars,
    };
    let analysis = rules::sql::analyse(head, &in_scope, &change_set, &sql_options);
    findings.extend(analysis.findings);
    let findings = rules::apply_overrides(findings, &settings.rules);
    let findings = rules::apply_ignores(findings, &analysis.ignores);

    let mut report = Report {
        dir: dir.to_string(),
        base: base.map(|b| b.name.to_string()),
        layout: head.layout.as_str().to_string(),
        numbering: head.numbering.as_str().to_string(),
        migrations: head.migrations.len(),
        new_migrations,
        fail_on: settings.fail_on,
        findings: rules::apply_overrides(findings, &settings.rules),
        replay: None,
    };
    report.sort();
    report
}
