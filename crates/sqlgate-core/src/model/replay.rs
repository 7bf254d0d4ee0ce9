//! What the scratch replay observed (`check --scratch`), shown in every report format.

use serde::Serialize;

/// What one new statement did on the scratch database.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// Last line of the statement (for matching findings to it).
    pub end_line: u32,
    pub duration_ms: f64,
    /// `table: LockMode` for locks taken on tables that existed before the change.
    pub locks: Vec<String>,
    /// Tables and indexes that existed before the change and were rewritten.
    pub rewrites: Vec<String>,
    /// True when any of `locks` blocks writes (SHARE or stronger).
    pub blocking: bool,
}

/// The replay's result.
#[derive(Debug, Clone, Serialize, Default, PartialEq)]
pub struct Replay {
    /// The scratch server (password masked) or `auto`.
    pub server: String,
    /// True when every migration ran.
    pub completed: bool,
    pub steps: Vec<Step>,
    /// Unified diff of the schema before and after the new migrations.
    pub schema_diff: String,
    /// The schema after the new migrations, as sorted normalised lines (what `fix
    /// --scratch` compares; not in reports).
    #[serde(skip)]
    pub schema_after: String,
    /// The shipped migrations' state on a scratch server given by URL: `built` (this
    /// run applied them and kept the result) or `reused` (a copy of a kept one);
    /// absent when they were replayed in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<&'static str>,
    /// With `[stats] replay_rows`: the tables filled with generated rows before the
    /// change ran, so the steps' durations are measured at a known size.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub samples: Vec<Sample>,
}

/// A table the replay filled with generated rows (`[stats] replay_rows`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sample {
    /// `schema.table`.
    pub table: String,
    /// Rows inserted (0 when the table's constraints refused them).
    pub rows: i64,
    /// The table's rows in the size snapshot.
    pub production_rows: i64,
    pub fill_ms: f64,
    /// Why no rows went in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Lock modes that conflict with ROW EXCLUSIVE (block INSERT/UPDATE/DELETE).
pub const BLOCKING_LOCKS: &[&str] = &[
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];
