//! `failed-migration`: The database records a no-transaction migration that failed part-way.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static FAILED_MIGRATION: Rule = Rule {
    id: "failed-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "The database records a no-transaction migration that failed part-way.",
    why: "Some of its statements ran and some did not: applying anything on top of a half-applied migration compounds the damage.",
    fix: "Finish or undo the migration by hand, then clear the record with `sqlgate repair <version>`.",
    bad: "history: 007_index_orders failed (1 of 2 statements ran)",
    good: "history: 007_index_orders applied",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
