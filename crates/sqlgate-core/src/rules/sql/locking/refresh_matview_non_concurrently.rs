//! `refresh-matview-non-concurrently`: REFRESH MATERIALIZED VIEW without CONCURRENTLY.

use super::prelude::*;
use super::CATEGORY;

pub static REFRESH_MATVIEW_NON_CONCURRENTLY: Rule = Rule {
    id: "refresh-matview-non-concurrently",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY.",
    why: "Takes an ACCESS EXCLUSIVE lock on the view and rewrites it: every read of the view waits until the refresh finishes.",
    fix: "REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index).",
    bad: "REFRESH MATERIALIZED VIEW daily_totals;",
    good: "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::RefreshMatViewStmt(r) = cx.node() else {
        return;
    };
    if r.concurrent {
        return;
    }
    let key = r
        .relation
        .as_ref()
        .map(names::range_var)
        .unwrap_or_default();
    let new = cx
        .schema
        .matviews
        .get(&key)
        .is_some_and(|c| cx.schema.is_new(*c));
    if !new {
        cx.push(
            out,
            &REFRESH_MATVIEW_NON_CONCURRENTLY,
            -1,
            format!(
                "REFRESH MATERIALIZED VIEW {} blocks every read of the view until it finishes",
                names::show(&key)
            ),
            Some(format!(
                "REFRESH MATERIALIZED VIEW CONCURRENTLY {}; (needs a unique index on the view)",
                names::show(&key)
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "refresh-matview-non-concurrently",
            &["create materialized view mv as select 1 as x;"],
            "refresh materialized view mv;",
            "refresh materialized view concurrently mv;",
        );
    }
}
