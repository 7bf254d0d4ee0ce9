//! `empty-migration`: A migration's up SQL has nothing but whitespace and comments.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static EMPTY_MIGRATION: Rule = Rule {
    id: "empty-migration",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A migration's up SQL has nothing but whitespace and comments.",
    why: "Usually an unsaved editor buffer or a bad merge: the version is recorded as applied and the intended change never happens.",
    fix: "Write the SQL, or delete the file. If it is an intentional placeholder, silence the rule for it with `-- sqlgate:ignore-file empty-migration -- <reason>`.",
    bad: "-- Migration: 006_add_index\n",
    good: "-- Migration: 006_add_index\nCREATE INDEX CONCURRENTLY …;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
};
