//! `duplicate-version`: Two migrations share a version number (also across branches: a version another pull request already merged).

use super::CATEGORY;
use super::{at, file_name, DirectoryContext};
use crate::catalog::{Catalog, Migration, Version};
use crate::model::Finding;
use crate::model::{Apply, Claim, Rule, Severity};
use std::collections::BTreeMap;

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
    sized: false,
};

pub fn check(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    let mut by_version: BTreeMap<&Version, Vec<&Migration>> = BTreeMap::new();
    for m in &cat.migrations {
        by_version.entry(&m.version).or_default().push(m);
    }
    for (version, ms) in by_version.into_iter().filter(|(_, ms)| ms.len() > 1) {
        let names: Vec<String> = ms.iter().map(|m| format!("`{}`", file_name(m))).collect();
        let all_new = ms.iter().all(|m| (ctx.in_scope)(m));
        for (i, m) in ms.iter().enumerate() {
            // Report the newcomers; when every one is new, the first keeps the number.
            if !(ctx.in_scope)(m) || (all_new && i == 0) {
                continue;
            }
            out.push(at(
                ctx,
                &DUPLICATE_VERSION,
                m,
                format!(
                    "version {version} is used by {} migrations: {}",
                    ms.len(),
                    names.join(", ")
                ),
            ));
        }
    }
}

/// Against the base branch: a new file that takes a version a base migration has.
pub fn against_base(
    m: &crate::rules::history::Matching,
    how: &crate::rules::history::Compare,
    out: &mut Vec<Finding>,
) {
    use crate::rules::history::Fate;
    for (b, fate) in &m.fates {
        let Fate::Reused(h, known) = fate else {
            continue;
        };
        let msg = if *known == Some(false) {
            format!(
                "version {} was already merged into the base branch as `{}` by another change; `{}` reuses it",
                b.version, b.up.path, h.up.path
            )
        } else {
            format!(
                "version {} is already used on the base branch by `{}`; `{}` reuses it (if you renamed that migration, restore its name instead)",
                b.version, b.up.path, h.up.path
            )
        };
        out.push(
            Finding::new(&DUPLICATE_VERSION, m.show(how, &h.up.path), msg).version(h.version.raw()),
        );
    }
}
