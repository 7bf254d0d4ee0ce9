//! The one data model for everything sqlgate reports: a [`Finding`] (rule id, severity,
//! location, message, why, fix) and a [`Report`] that every output format renders.

use serde::Serialize;
use std::fmt;

/// How serious a finding is. Ordered: `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which findings make `check` exit 1 (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

impl FailOn {
    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::Error => "error",
            FailOn::Warning => "warning",
            FailOn::Never => "never",
        }
    }

    /// True when a finding of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

/// One problem found by a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule id, e.g. `modified-migration`.
    pub rule: &'static str,
    pub severity: Severity,
    /// Path as shown to the user (the migration directory joined with the file name).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// The migration version the finding belongs to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// What happened, naming the objects involved.
    pub message: String,
    /// Why it matters.
    pub why: String,
    /// What to do instead.
    pub fix: String,
    /// The statement text, for SQL rules.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// A unified diff, for edits to shipped migrations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

impl Finding {
    /// A finding at `file:line:col` with the rule's default severity, why and fix.
    pub fn new(rule: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        let info = crate::rules::info(rule);
        Finding {
            rule,
            severity: info.map(|i| i.severity).unwrap_or(Severity::Error),
            file: file.into(),
            line: 1,
            column: 1,
            version: None,
            message: message.into(),
            why: info.map(|i| i.why.to_string()).unwrap_or_default(),
            fix: info.map(|i| i.fix.to_string()).unwrap_or_default(),
            statement: None,
            diff: None,
        }
    }

    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = line.max(1);
        self.column = column.max(1);
        self
    }

    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    pub fn diff(mut self, diff: String) -> Self {
        self.diff = Some(diff);
        self
    }
}

/// Counts of findings by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }

    pub fn total(&self) -> usize {
        self.error + self.warning + self.info
    }
}

/// Everything a `check` run found, plus the context a reader needs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The migration directory as given.
    pub dir: String,
    /// The git ref compared against, when `--base` was given.
    pub base: Option<String>,
    pub layout: String,
    pub numbering: String,
    /// Number of migrations in the directory.
    pub migrations: usize,
    /// Number of migrations that are new in this change (all of them without `--base`).
    pub new_migrations: usize,
    pub fail_on: FailOn,
    /// Sorted: most severe first, then by file, line and column.
    pub findings: Vec<Finding>,
    /// What the scratch replay observed (`check --scratch`).
    pub replay: Option<crate::replay::Replay>,
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
                .then_with(|| a.rule.cmp(b.rule))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_thresholds() {
        assert!(FailOn::Error.fails(Severity::Error));
        assert!(!FailOn::Error.fails(Severity::Warning));
        assert!(FailOn::Warning.fails(Severity::Warning));
        assert!(!FailOn::Warning.fails(Severity::Info));
        assert!(!FailOn::Never.fails(Severity::Error));
    }

    #[test]
    fn counts_by_severity() {
        let mut a = Finding::new("version-gap", "m/1.sql", "x");
        a.severity = Severity::Warning;
        let b = Finding::new("duplicate-version", "m/1.sql", "y");
        let c = Counts::of(&[a, b]);
        assert_eq!((c.error, c.warning, c.info, c.total()), (1, 1, 0, 2));
    }
}
