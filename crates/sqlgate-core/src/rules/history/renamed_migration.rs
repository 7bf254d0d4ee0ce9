//! `renamed-migration`: A migration that exists on the base branch was renamed or renumbered.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static RENAMED_MIGRATION: Rule = Rule {
    id: "renamed-migration",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration that exists on the base branch was renamed or renumbered.",
    why: "Runners track migrations by version and name: a renamed migration looks new and runs a second time on every database that already applied it.",
    fix: "Restore the original file name.",
    bad: "base: 003_orders.sql\nhead: 003_create_orders.sql",
    good: "head: 003_orders.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
};
