//! The pull-request gate's judgement: a catalog (and its base branch's copy) in, one
//! [`Report`] out — directory, history and SQL rules, overrides and ignores applied.
//! Pure; the binary reads the files and the base tree.

use crate::catalog::{display_path, Catalog, Content, Migration, SourceFile};
use crate::model::{FailOn, Finding, Replay, Report};
use crate::rules::{self, directory, history, Overrides};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The base branch's side of a check.
pub struct Base<'a> {
    /// The ref as the user named it.
    pub name: &'a str,
    pub files: &'a [SourceFile],
    pub catalog: &'a Catalog,
    pub merge_base_paths: Option<&'a HashSet<String>>,
}

/// What a check needs besides the catalogs.
#[derive(Debug, Clone)]
pub struct CheckOptions<'a> {
    /// The migration directory as shown to users.
    pub dir: &'a str,
    pub require_down: bool,
    pub fail_on: FailOn,
    pub pg_version: u32,
    /// The runner sets a lock_timeout (sqlgate's does, 5s by default).
    pub runner_lock_timeout: bool,
    pub vars: &'a BTreeMap<String, String>,
    pub rules: &'a Overrides,
    /// The team's `[policy]` (nothing runs unless configured).
    pub policy: &'a rules::policy::Policy,
    /// `out_of_order` as configured; `None`: the numbering's default.
    pub out_of_order: Option<crate::model::OutOfOrder>,
    /// The time a fresh timestamped name is suggested for (an out-of-order fix).
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Up paths of the migrations that shipped: byte-identical on the base branch.
/// Everything else is this change.
pub fn shipped_paths(head: &[SourceFile], base: &[SourceFile]) -> HashSet<String> {
    let head_bytes: HashMap<&str, &[u8]> = head
        .iter()
        .filter_map(|f| match &f.content {
            Content::Bytes(b) => Some((f.path.as_str(), b.as_slice())),
            Content::Unreadable(_) => None,
        })
        .collect();
    base.iter()
        .filter_map(|f| match &f.content {
            Content::Bytes(b) if head_bytes.get(f.path.as_str()) == Some(&b.as_slice()) => {
                Some(f.path.clone())
            }
            _ => None,
        })
        .collect()
}

/// Merges what the scratch replay observed into the report: `found` (replay errors)
/// and the judgement of the observed steps against the static findings.
pub fn merge_replay(
    report: &mut Report,
    observed: Replay,
    mut found: Vec<Finding>,
    opts: &CheckOptions,
) {
    found.extend(rules::replay::judge(
        &observed.steps,
        &mut report.findings,
        opts.runner_lock_timeout,
    ));
    let found = rules::apply_late_ignores(&mut report.findings, found, &report.ignores);
    report
        .findings
        .extend(rules::apply_overrides(found, opts.rules));
    report.replay = Some(observed);
    report.sort();
}

/// Judges a catalog (and its base, when given) and builds the report.
pub fn evaluate(
    head: &Catalog,
    head_files: &[SourceFile],
    base: Option<&Base>,
    opts: &CheckOptions,
    all: bool,
) -> Report {
    let dir = opts.dir;
    let mut findings: Vec<Finding> = Vec::new();
    let policy = opts
        .out_of_order
        .unwrap_or(crate::model::OutOfOrder::default_for(head.numbering));
    let comparison = base.map(|b| {
        let how = history::Compare {
            merge_base_paths: b.merge_base_paths,
            display_dir: dir,
            out_of_order: policy,
            now: opts.now,
        };
        history::compare(head, b.catalog, &how)
    });

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
        directory::catalog_problems(head)
            .into_iter()
            .filter(|f| !unchanged.contains(&f.file)),
    );

    let changed = comparison.as_ref().map(|c| &c.changed);
    let in_scope = |m: &Migration| all || changed.is_none_or(|c| c.contains(&m.up.path));
    let missing_versions = comparison
        .as_ref()
        .map(|c| c.missing_versions.clone())
        .unwrap_or_default();
    let ctx = directory::DirectoryContext {
        display_dir: dir,
        require_down: opts.require_down,
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
        pg_version: opts.pg_version,
        runner_lock_timeout: opts.runner_lock_timeout,
        vars: opts.vars,
        policy: opts.policy,
    };
    let analysis = rules::sql::analyse(head, &in_scope, &change_set, &sql_options);
    findings.extend(analysis.findings);
    let findings = rules::apply_overrides(findings, opts.rules);
    let findings = rules::apply_ignores(findings, &analysis.ignores);

    let mut report = Report {
        dir: dir.to_string(),
        base: base.map(|b| b.name.to_string()),
        layout: head.layout,
        numbering: head.numbering,
        migrations: head.migrations.len(),
        new_migrations,
        fail_on: opts.fail_on,
        findings: rules::apply_overrides(findings, opts.rules),
        replay: None,
        ignores: analysis.ignores,
    };
    report.sort();
    report
}
