//! The report of a `check` run: the findings plus the context a reader needs. Every
//! output format renders this one value.

use super::finding::{Counts, FailOn, Finding};
use super::layout::{Layout, Numbering};
use super::replay::Replay;
use serde::Serialize;

/// Everything a `check` run found, plus the context a reader needs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The migration directory as given.
    pub dir: String,
    /// The git ref compared against, when `--base` was given.
    pub base: Option<String>,
    pub layout: Layout,
    pub numbering: Numbering,
    /// Number of migrations in the directory.
    pub migrations: usize,
    /// Number of migrations that are new in this change (all of them without `--base`).
    pub new_migrations: usize,
    pub fail_on: FailOn,
    /// Sorted: most severe first, then by file, line and column.
    pub findings: Vec<Finding>,
    /// What the scratch replay observed (`check --scratch`).
    pub replay: Option<Replay>,
    /// The `sqlgate:ignore` directives of the files judged, kept for findings that
    /// come later (the replay's).
    #[serde(skip)]
    pub ignores: Vec<super::finding::Ignore>,
}

impl Report {
    pub fn counts(&self) -> Counts {
        Counts::of(&self.findings)
    }

    /// True when some finding is at or above `fail_on`.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| self.fail_on.fails(f.severity))
    }

    /// Sorts findings: most severe first, then file, line, column, rule.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.file.cmp(&b.file))
                .then_with(|| a.line.cmp(&b.line))
                .then_with(|| a.column.cmp(&b.column))
                .then_with(|| a.rule.cmp(&b.rule))
        });
    }
}
