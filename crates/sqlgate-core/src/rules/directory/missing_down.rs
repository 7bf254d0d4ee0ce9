//! `missing-down`: A migration has no down SQL: `check` says so only with `require_down = true`; `rollback` refuses to pass it.

use super::CATEGORY;
use crate::model::{Apply, Claim, Rule, Severity};

pub static MISSING_DOWN: Rule = Rule {
    id: "missing-down",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration has no down SQL: `check` says so only with `require_down = true`; `rollback` refuses to pass it.",
    why: "Without a down, `sqlgate rollback` refuses to pass this migration (and with `require_down = true` the team asks every migration to be reversible).",
    fix: "Add the down SQL (a `.down.sql` file, a `-- DOWN` section, a `_rollback` sibling or `down.sql`, by layout).",
    bad: "005_add_avatar.up.sql",
    good: "005_add_avatar.up.sql\n005_add_avatar.down.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
};
