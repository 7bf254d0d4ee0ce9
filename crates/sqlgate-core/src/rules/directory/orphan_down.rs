//! `orphan-down`: A down/rollback file without its up migration.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static ORPHAN_DOWN: Rule = Rule {
    id: "orphan-down",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A down/rollback file without its up migration.",
    why: "Usually a renamed or deleted up file: the rollback can never run, and a typo'd name means the real migration has no rollback.",
    fix: "Rename the down file to match its up migration, or delete it.",
    bad: "003_add_index.up.sql\n003_add_idx.down.sql",
    good: "003_add_index.up.sql\n003_add_index.down.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};
