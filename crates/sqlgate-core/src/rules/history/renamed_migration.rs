//! `renamed-migration`: A migration that exists on the base branch was renamed or renumbered.

use super::CATEGORY;
use super::{unified_diff, Compare, Fate, Matching};
use crate::model::Finding;
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
    sized: false,
};

pub fn check(m: &Matching, how: &Compare, out: &mut Vec<Finding>) {
    for (b, fate) in &m.fates {
        match fate {
            Fate::Moved(h) => out.push(
                Finding::new(
                    &RENAMED_MIGRATION,
                    m.show(how, &h.up.path),
                    format!(
                        "`{}` on the base branch was renamed to `{}`",
                        b.up.path, h.up.path
                    ),
                )
                .version(h.version.raw()),
            ),
            Fate::MovedEdited(h) => {
                let diff = unified_diff(&b.up.text, &h.up.text, &b.up.path, &h.up.path);
                out.push(
                    Finding::new(
                        &RENAMED_MIGRATION,
                        m.show(how, &h.up.path),
                        format!(
                            "`{}` on the base branch was renamed to `{}` and edited",
                            b.up.path, h.up.path
                        ),
                    )
                    .version(h.version.raw())
                    .diff(diff),
                );
            }
            _ => {}
        }
    }
}
