//! `replay-rewrite`: A statement rewrote an existing table or index (its relfilenode changed) and no static rule reported it.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static REPLAY_REWRITE: Rule = Rule {
    id: "replay-rewrite",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A statement rewrote an existing table or index (its relfilenode changed) and no static rule reported it.",
    why: "A rewrite copies the whole table under an ACCESS EXCLUSIVE lock: on a large table, reads and writes stop for the duration.",
    fix: "Find a form that changes only the catalog (see `sqlgate explain` for the rules about types, defaults and constraints), or schedule the rewrite for a maintenance window.",
    bad: "ALTER TABLE events SET UNLOGGED;",
    good: "CREATE TABLE events_scratch (LIKE events) ... -- or leave the table as it is",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
