//! Results of the commands that look after the history: `validate` and `verify`.

use super::rule::RuleId;

/// One problem `validate` found with an applied migration.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub version: String,
    pub name: String,
    /// `missing-file`, `failed-migration` or `checksum-mismatch`.
    pub problem: RuleId,
    /// For an edited file: the diff from what was applied to the file.
    pub diff: Option<String>,
}

/// One thing `verify` checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub what: String,
    pub ok: bool,
    pub detail: String,
}
