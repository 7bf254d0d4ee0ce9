//! `checksum-mismatch`: An applied migration's file differs from what the database recorded (`apply`, `status`).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static CHECKSUM_MISMATCH: Rule = Rule {
    id: "checksum-mismatch",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "An applied migration's file differs from what the database recorded (`apply`, `status`).",
    why: "The database ran other SQL than the file now says: environments built from the files differ from this one, and the edit will never run here.",
    fix: "Restore the file as it was applied and put the change in a new migration; if the edit is a harmless fix (a comment), accept it with `sqlgate repair <version>`.",
    bad: "history: 003 checksum 5e8a…
file:    003 checksum 91c0…",
    good: "history and file agree",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
