//! `inconsistent-width`: Zero-padded versions of different widths (`009` next to `0010`).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static INCONSISTENT_WIDTH: Rule = Rule {
    id: "inconsistent-width",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Zero-padded versions of different widths (`009` next to `0010`).",
    why: "Tools and people that sort file names as text put `0010` before `009`, so the order on disk and the order of application disagree.",
    fix: "Use the width the rest of the directory uses (`010`).",
    bad: "009_a.sql\n0010_b.sql",
    good: "009_a.sql\n010_b.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
};
