//! `duplicate-version`: Two migrations share a version number (also across branches: a version another pull request already merged).

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static DUPLICATE_VERSION: Rule = Rule {
    id: "duplicate-version",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "Two migrations share a version number (also across branches: a version another pull request already merged).",
    why: "Most runners key migrations by version: one of the two is silently skipped or fails with a unique violation on deploy, and environments end up with different schemas. (sqlgate itself records each file on its own row, so it applies both.)",
    fix: "A pull request's new file: renumber it to the next free version (`sqlgate create <name>` picks it). Files that both shipped long ago and already ran (an inherited history): keep them as they are — renaming a migration that ran would make it look new — and say so once with `-- sqlgate:ignore duplicate-version -- both ran under the old runner` in the newer file.",
    bad: "migrations/004_add_avatar.sql\nmigrations/004_add_teams.sql",
    good: "migrations/004_add_avatar.sql\nmigrations/005_add_teams.sql",
    apply: Apply::Allowable,
    claim: Claim::Nothing,
};
