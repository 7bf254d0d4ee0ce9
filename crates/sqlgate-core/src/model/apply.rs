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
#[derive(Debug, Clone, Serialize)]
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
    pub failure: Option<Failure>,
    /// Migrations still pending when the run ended.
    pub pending_after: usize,
    /// Stopped by SIGINT/SIGTERM.
    pub interrupted: bool,
}
