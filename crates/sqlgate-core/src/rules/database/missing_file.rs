//! `missing-file`: A migration recorded as applied in the database has no file.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static MISSING_FILE: Rule = Rule {
    id: "missing-file",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration recorded as applied in the database has no file.",
    why: "Usually a deleted or renamed migration, or a checkout of the wrong branch: fresh environments will not get what this database has.",
    fix: "Restore the file (or check out the right branch).",
    bad: "history: 004_add_orders applied
files:   (no 004)",
    good: "history: 004_add_orders applied
files:   004_add_orders.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
