//! What an `apply` did: the migrations it applied, what stopped it, and how a failing
//! migration failed. Rendered by `report` (text, JSON, markdown).

use super::finding::Finding;
use serde::Serialize;

/// One applied migration.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub version: String,
    pub name: String,
    pub execution_ms: u64,
}

/// Why an apply stopped with a migration failure (exit 1, not an error).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Failure {
    pub migration: String,
    /// The file, relative to the migration directory.
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// PostgreSQL's code, message, detail and hint, as people read them.
    pub message: String,
    /// For a no-transaction migration: how many statements ran before the failure.
    pub statements_done: Option<usize>,
}

/// The result of `apply`.
#[derive(Debug, Default, Clone)]
pub struct ApplyReport {
    pub applied: Vec<Applied>,
    /// What refused the run before anything was applied.
    pub blockers: Vec<Finding>,
    /// The blockers are the pre-flight's (rules the runner cannot execute past,
    /// found before the lock was taken): exit 2 rather than 1.
    pub refused: bool,
    pub failure: Option<Failure>,
    /// Migrations still pending when the run ended.
    pub pending_after: usize,
    /// Stopped by SIGINT/SIGTERM.
    pub interrupted: bool,
    /// With `observe`: every statement that ran, with its duration, the locks it
    /// took and the relations it rewrote (previews).
    pub steps: Vec<crate::model::Step>,
}

/// What a `rollback` did, and why it did less than asked when it did.
#[derive(Debug, Default, Clone)]
pub struct RollbackReport {
    /// What it would undo, newest first (all of it with `--dry-run`).
    pub planned: Vec<Applied>,
    /// What it undid.
    pub done: Vec<Applied>,
    /// Why fewer migrations than asked were rolled back (`--count 3` with two
    /// applied, say).
    pub short: Option<String>,
    /// What refused the run before anything changed (a migration without down SQL,
    /// a down the runner cannot execute).
    pub blockers: Vec<Finding>,
    /// The down SQL that failed.
    pub failure: Option<Failure>,
    pub dry_run: bool,
}
