//! The database's side: one recorded migration of the history table, and the state of
//! each migration once the directory and the history are compared.

use serde::Serialize;
use std::fmt;

/// What a history row says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordStatus {
    Applied,
    /// A no-transaction migration that failed part-way.
    Failed,
    /// Marked as applied by `baseline` without running.
    Baseline,
}

impl RecordStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordStatus::Applied => "applied",
            RecordStatus::Failed => "failed",
            RecordStatus::Baseline => "baseline",
        }
    }

    /// The status of a stored value, `None` for anything else.
    pub fn parse(s: &str) -> Option<RecordStatus> {
        [
            RecordStatus::Applied,
            RecordStatus::Failed,
            RecordStatus::Baseline,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

impl fmt::Display for RecordStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    /// Canonical version (no leading zeros).
    pub version: String,
    pub name: String,
    pub checksum: String,
    pub status: RecordStatus,
    pub batch: i32,
    pub applied_at: String,
    pub execution_ms: i64,
    pub applied_by: String,
    pub statements_done: Option<i32>,
    pub error: Option<String>,
}

/// A migration's state against the database (`status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Applied,
    Pending,
    /// Applied, but the file changed since (`checksum-mismatch`).
    Modified,
    /// Recorded in the database, no file (`missing-file`).
    Missing,
    Failed,
    Baseline,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Applied => "applied",
            State::Pending => "pending",
            State::Modified => "modified",
            State::Missing => "missing",
            State::Failed => "failed",
            State::Baseline => "baseline",
        }
    }

    /// Applied or baselined: the database has it.
    pub fn is_in_database(self) -> bool {
        matches!(self, State::Applied | State::Baseline)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// The database's current version (the newest it has, modified ones included) and
/// the newest version with a file, from the status lines in the directory's order (as
/// the plan gives them: diesel's versions order as text); repeatable migrations have
/// no version and do not count.
pub fn current_and_latest(lines: &[StatusLine]) -> (Option<String>, Option<String>) {
    let newest = |keep: &dyn Fn(&StatusLine) -> bool| {
        lines
            .iter()
            .rev()
            .find(|l| !l.version.starts_with("R__") && keep(l))
            .map(|l| l.version.clone())
    };
    (
        newest(&|l| l.state.is_in_database() || l.state == State::Modified),
        newest(&|l| l.state != State::Missing),
    )
}

/// The state of one migration against the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusLine {
    pub version: String,
    pub name: String,
    pub state: State,
    pub applied_at: Option<String>,
    pub execution_ms: Option<i64>,
    /// The `apply` run that applied it (1, 2, …; 0 for `baseline`/`adopt` without one).
    pub batch: Option<i32>,
}
