//! `replay-error`: A new migration's statement fails on a scratch database built from the migrations before it.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static REPLAY_ERROR: Rule = Rule {
    id: "replay-error",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A new migration's statement fails on a scratch database built from the migrations before it.",
    why: "It will fail the same way on deploy: the runner stops, and a no-transaction migration is left half-applied.",
    fix: "Fix the statement (PostgreSQL's message, detail and hint say what is wrong); run `sqlgate check --scratch auto` locally to retry.",
    bad: "ALTER TABLE missing_table ADD COLUMN x int;  -- relation \"missing_table\" does not exist",
    good: "ALTER TABLE users ADD COLUMN x int;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
