//! `version-gap`: With `numbering = "sequential"`, a version number is skipped.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static VERSION_GAP: Rule = Rule {
    id: "version-gap",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "With `numbering = \"sequential\"`, a version number is skipped.",
    why: "A gap usually means a migration was lost in a merge or renumbered by hand; a runner that later receives the missing number applies it out of order.",
    fix: "Renumber the migration to close the gap, or set `numbering = \"sparse\"` in sqlgate.toml when gaps are intentional.",
    bad: "001_users.sql\n002_teams.sql\n004_tasks.sql",
    good: "001_users.sql\n002_teams.sql\n003_tasks.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
};
