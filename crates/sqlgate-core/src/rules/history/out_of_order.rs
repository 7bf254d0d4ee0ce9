//! `out-of-order`: A new migration's version is not above every version already on the base branch. An error by default for sequential numbers, a warning for timestamps (`out_of_order` in sqlgate.toml).

use super::CATEGORY;
use super::{Compare, Matching};
use crate::model::{Apply, Claim, Rule, Severity};
use crate::model::{Finding, OutOfOrder};

pub static OUT_OF_ORDER: Rule = Rule {
    id: "out-of-order",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A new migration's version is not above every version already on the base branch. An error by default for sequential numbers, a warning for timestamps (`out_of_order` in sqlgate.toml).",
    why: "Databases that already ran the later migrations will either skip this one forever or apply it after migrations written on top of a different schema.",
    fix: "Rename it above the highest shipped version (the finding names a fresh file name; `sqlgate create` gives the next one). In a timestamp project that merges parallel branches, `out_of_order = \"warn\"` (the default there) or `\"allow\"` accepts it, and `apply` runs it saying so.",
    bad: "base: 20240301000000_b.sql\nnew:  20240201000000_a.sql",
    good: "base: 20240301000000_b.sql\nnew:  20240302000000_a.sql",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(m: &Matching, how: &Compare, out: &mut Vec<Finding>) {
    let Some(max) = m.base.max_version() else {
        return;
    };
    if how.out_of_order == OutOfOrder::Allow {
        return;
    }
    let (head, base) = (m.head, m.base);
    for h in head
        .migrations
        .iter()
        .filter(|h| m.new.contains(h.up.path.as_str()) && !m.accounted.contains(h.up.path.as_str()))
    {
        // Equal versions at other paths are duplicates (reported by duplicate-version);
        // only strictly lower versions are out of order.
        if &h.version >= max {
            continue;
        }
        let holder = base
            .migrations
            .iter()
            .rev()
            .find(|b| &b.version == max)
            .map(|b| b.up.path.as_str())
            .unwrap_or_default();
        let fresh = crate::create::renamed_path(head, h, how.now);
        let (severity, consequence) = if how.out_of_order == OutOfOrder::Warn {
            (
                Severity::Warning,
                format!(
                    "databases that already ran version {max} will apply it after that one (`out_of_order = \"warn\"`)"
                ),
            )
        } else {
            (
                Severity::Error,
                "`sqlgate apply` refuses it on databases that already ran the later one (`out_of_order = \"error\"`)".to_string(),
            )
        };
        let mut finding = Finding::new(
            &OUT_OF_ORDER,
            m.show(how, &h.up.path),
            format!(
                "new migration `{}` has version {}, below version {} (`{holder}`) already on the base branch: {consequence}",
                h.up.path, h.version, max
            ),
        )
        .version(h.version.raw())
        .fix(format!(
            "Rename it to `{fresh}` so it runs after everything shipped, unless it must run before `{holder}`; in a timestamp project that merges parallel branches, `out_of_order = \"warn\"` or `\"allow\"` in sqlgate.toml accepts this."
        ));
        finding.severity = severity;
        out.push(finding);
    }
}
