//! `missing-down`: A migration has no down SQL: `check` says so only with `require_down = true`; `rollback` refuses to pass it.

use super::CATEGORY;
use super::{at, DirectoryContext};
use crate::catalog::Catalog;
use crate::model::Finding;
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
    sized: false,
};

pub fn check(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    if !ctx.require_down {
        return;
    }
    for m in cat
        .migrations
        .iter()
        .filter(|m| (ctx.in_scope)(m) && m.down.is_none())
    {
        let msg = if cat.layout.has_down() {
            format!(
                "`{}` has no down migration and `require_down = true`",
                m.name
            )
        } else {
            format!(
                "`{}` has no down migration and `require_down = true`, but the flat layout has no place for one",
                m.name
            )
        };
        out.push(at(ctx, &MISSING_DOWN, m, msg));
    }
}
