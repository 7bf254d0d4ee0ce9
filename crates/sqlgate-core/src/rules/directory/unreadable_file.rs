//! `unreadable-file`: A migration file cannot be read (permissions, a dangling symlink or a symlink loop).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static UNREADABLE_FILE: Rule = Rule {
    id: "unreadable-file",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration file cannot be read (permissions, a dangling symlink or a symlink loop).",
    why: "A migration that cannot be read cannot be checked or applied.",
    fix: "Fix the file's permissions or the symlink.",
    bad: "001_a.sql -> 001_a.sql (a symlink loop)",
    good: "001_a.sql (a regular file)",
    apply: Apply::Blocks,
    claim: Claim::Nothing,
    sized: false,
};
