//! `inconsistent-width`: Zero-padded versions of different widths (`009` next to `0010`).

use super::CATEGORY;
use super::{at, DirectoryContext};
use crate::catalog::Catalog;
use crate::model::{Apply, Claim, Rule, Severity};
use crate::model::{Finding, Numbering};

pub static INCONSISTENT_WIDTH: Rule = Rule {
    id: "inconsistent-width",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Zero-padded versions of different widths (`009` next to `0010`).",
    why: "Tools and people that sort file names as text put `0010` before `009`, so the order on disk and the order of application disagree.",
    fix: "Use the width the rest of the directory uses (`010`).",
    bad: "009_a.sql\n0010_b.sql",
    good: "009_a.sql\n010_b.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    if cat.numbering == Numbering::Timestamp {
        return;
    }
    if !cat.migrations.iter().any(|m| m.version.is_padded()) {
        return; // `1_a.sql`, `10_b.sql`: no padding intended
    }
    let Some(expected) = super::common_width(cat) else {
        return;
    };
    for m in cat.migrations.iter().filter(|m| (ctx.in_scope)(m)) {
        let w = m.version.width();
        if w != expected && (m.version.is_padded() || w < expected) {
            let mut f = at(
                ctx,
                &INCONSISTENT_WIDTH,
                m,
                format!(
                    "version `{}` is {w} digits wide; the other migrations use {expected} (`{}`)",
                    m.version.raw(),
                    m.version.padded(expected)
                ),
            );
            f.fix = format!(
                "Use the width the rest of the directory uses: `{}` instead of `{}`.",
                m.version.padded(expected),
                m.version.raw()
            );
            out.push(f);
        }
    }
}
