//! `vacuum-full`: VACUUM FULL.

use super::prelude::*;
use super::CATEGORY;

pub static VACUUM_FULL: Rule = Rule {
    id: "vacuum-full",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "VACUUM FULL.",
    why: "Rewrites the table under an ACCESS EXCLUSIVE lock: unavailable for the whole rewrite.",
    fix: "Use plain VACUUM, or pg_repack / pg_squeeze to compact without the long lock.",
    bad: "VACUUM FULL orders;",
    good: "-- sqlgate:no-transaction\nVACUUM (ANALYZE) orders;",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::VacuumStmt(v) = cx.node() else {
        return;
    };
    let full = def_elems(&v.options).any(|d| d.defname == "full" && bool_arg(d));
    let tables: Vec<String> = nodes(&v.rels)
        .filter_map(|r| match r {
            NodeEnum::VacuumRelation(vr) => vr.relation.as_ref().map(names::range_var),
            _ => None,
        })
        .collect();
    if full && (tables.is_empty() || tables.iter().any(|t| cx.existing(t))) {
        let what = if tables.is_empty() {
            "every table".to_string()
        } else {
            tables.join(", ")
        };
        cx.push(
            out,
            &VACUUM_FULL,
            -1,
            format!(
                "VACUUM FULL rewrites {what} under an ACCESS EXCLUSIVE lock: reads and writes wait for the whole rewrite"
            ),
            None,
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "vacuum-full",
            &[T],
            "-- sqlgate:no-transaction\nvacuum full t;",
            "-- sqlgate:no-transaction\nvacuum analyze t;",
        );
    }
}
