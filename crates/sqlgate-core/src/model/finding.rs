//! A [`Finding`]: one problem a rule reported (rule, severity, location, message, why,
//! fix), the data every output format renders; severities and the `--fail-on` policy.

use super::rule::{Rule, RuleId};
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
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

    /// Every value, for command-line parsers and help texts.
    pub const ALL: [FailOn; 3] = [FailOn::Error, FailOn::Warning, FailOn::Never];

    /// True when a finding of this severity fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            FailOn::Error => severity >= Severity::Error,
            FailOn::Warning => severity >= Severity::Warning,
            FailOn::Never => false,
        }
    }
}

impl std::str::FromStr for FailOn {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        FailOn::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| format!("`{s}` is not one of error, warning, never"))
    }
}

/// One problem found by a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule; serialized as its stable id, e.g. `modified-migration`.
    pub rule: RuleId,
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
    /// What the scratch replay made of a static finding: `confirmed` (it saw the
    /// rewrite or lock the rule describes) or `disproved` (the statement ran and
    /// rewrote nothing: downgraded to info). Absent without a replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replay: Option<ReplayVerdict>,
    /// With a size snapshot (`check --stats`): the table the statement locks,
    /// rewrites or scans, its size and an estimate of how long.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<crate::sizes::TableSize>,
}

/// See [`Finding::replay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayVerdict {
    Confirmed,
    Disproved,
}

impl Finding {
    /// A finding at `file:1:1` with the rule's default severity, why and fix.
    pub fn new(rule: &'static Rule, file: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            rule: RuleId::of(rule),
            severity: rule.severity,
            file: file.into(),
            line: 1,
            column: 1,
            version: None,
            message: message.into(),
            why: rule.why.to_string(),
            fix: rule.fix.to_string(),
            statement: None,
            diff: None,
            replay: None,
            table: None,
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

/// A `sqlgate:ignore` directive resolved to the lines it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    /// The file as shown in findings.
    pub file: String,
    pub version: String,
    /// Line of the directive.
    pub line: u32,
    pub rules: Vec<String>,
    /// Lines of the statement it silences; `None` for `ignore-file`; `Some((0, 0))`
    /// when no statement follows it.
    pub lines: Option<(u32, u32)>,
}

impl Ignore {
    /// Whether this directive silences `f`.
    pub fn silences(&self, f: &Finding) -> bool {
        self.file == f.file
            && self.rules.iter().any(|r| f.rule == r.as_str())
            && self
                .lines
                .is_none_or(|(a, b)| a > 0 && f.line >= a && f.line <= b)
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
        use crate::rules::directory::{DUPLICATE_VERSION, VERSION_GAP};
        let mut a = Finding::new(&VERSION_GAP, "m/1.sql", "x");
        a.severity = Severity::Warning;
        let b = Finding::new(&DUPLICATE_VERSION, "m/1.sql", "y");
        let c = Counts::of(&[a, b]);
        assert_eq!((c.error, c.warning, c.info, c.total()), (1, 1, 0, 2));
    }
}
