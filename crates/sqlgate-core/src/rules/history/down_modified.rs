//! `down-modified`: The down (rollback) SQL of a shipped migration was edited or deleted.

use super::CATEGORY;
use super::{unified_diff, Compare, Fate, Matching};
use crate::catalog::{Migration, Part};
use crate::model::Finding;
use crate::model::{Apply, Claim, Rule, Severity};

pub static DOWN_MODIFIED: Rule = Rule {
    id: "down-modified",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "The down (rollback) SQL of a shipped migration was edited or deleted.",
    why: "Not a checksum violation (downs are not applied forward), but a rollback that differs from what was reviewed with the up migration may not undo it.",
    fix: "Review the new down SQL against the up migration; keep the edit if it fixes a broken rollback.",
    bad: "-- DOWN\n-DROP TABLE orders;\n+DROP TABLE orders CASCADE;",
    good: "-- DOWN\nDROP TABLE orders;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(m: &Matching, how: &Compare, out: &mut Vec<Finding>) {
    for (b, fate) in &m.fates {
        if let Fate::Kept(h) = fate {
            down_changes(b, h, &|p: &str| m.show(how, p), out);
        }
    }
}

fn down_changes(
    b: &Migration,
    h: &Migration,
    show: &dyn Fn(&str) -> String,
    out: &mut Vec<Finding>,
) {
    let finding = |part: &Part, msg: String| {
        Finding::new(&DOWN_MODIFIED, show(&part.path), msg)
            .version(h.version.raw())
            .at(part.first_line, 1)
    };
    match (&b.down, &h.down) {
        (Some(bd), Some(hd)) if bd.checksum != hd.checksum => {
            let diff = unified_diff(&bd.text, &hd.text, &bd.path, &hd.path);
            out.push(
                finding(
                    hd,
                    format!("the down migration of shipped `{}` was edited", h.name),
                )
                .diff(diff),
            );
        }
        (Some(bd), None) => {
            out.push(finding(
                bd,
                format!("the down migration of shipped `{}` was deleted", h.name),
            ));
        }
        _ => {}
    }
}
