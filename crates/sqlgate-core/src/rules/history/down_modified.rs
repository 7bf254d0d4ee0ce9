//! `down-modified`: The down (rollback) SQL of a shipped migration was edited or deleted.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static DOWN_MODIFIED: Rule = Rule {
    id: "down-modified",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "The down (rollback) SQL of a shipped migration was edited or deleted.",
    why: "Not a checksum violation (downs are not applied forward), but a rollback that differs from what was reviewed with the up migration may not undo it.",
    fix: "Review the new down SQL against the up migration; keep the edit if it fixes a broken rollback.",
    bad: "-- DOWN\n-DROP TABLE orders;\n+DROP TABLE orders CASCADE;",
    good: "-- DOWN\nDROP TABLE orders;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
};
