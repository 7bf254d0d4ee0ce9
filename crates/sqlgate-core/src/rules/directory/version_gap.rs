//! `version-gap`: With `numbering = "sequential"`, a version number is skipped.

use super::CATEGORY;
use super::{at, file_name, DirectoryContext};
use crate::catalog::{Catalog, Version};
use crate::model::{Apply, Claim, Rule, Severity};
use crate::model::{Finding, Numbering};
use std::collections::BTreeSet;

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
    sized: false,
};

pub fn check(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    if cat.numbering != Numbering::Sequential {
        return;
    }
    let width = super::common_width(cat).unwrap_or(1);
    let versions: BTreeSet<&Version> = cat
        .migrations
        .iter()
        .map(|m| &m.version)
        .chain(ctx.other_versions.iter())
        .collect();
    let versions: Vec<&Version> = versions.into_iter().collect();
    for pair in versions.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let first_missing = a.succ();
        if &first_missing == b {
            continue;
        }
        let last_missing = b.pred().unwrap_or_else(|| first_missing.clone());
        let missing = if first_missing == last_missing {
            format!("version {} is missing", first_missing.padded(width))
        } else {
            format!(
                "versions {} to {} are missing",
                first_missing.padded(width),
                last_missing.padded(width)
            )
        };
        // Once per version, even when the version is duplicated.
        let first = cat.migrations.iter().find(|m| &m.version == b);
        if let Some(m) = first.filter(|m| (ctx.in_scope)(m)) {
            out.push(at(
                ctx,
                &VERSION_GAP,
                m,
                format!("`{}` follows version {}: {missing}", file_name(m), a.raw()),
            ));
        }
    }
}
