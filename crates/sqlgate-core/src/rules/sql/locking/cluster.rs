//! `cluster`: CLUSTER.

use super::prelude::*;
use super::CATEGORY;

pub static CLUSTER: Rule = Rule {
    id: "cluster",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "CLUSTER.",
    why: "Rewrites the table in index order under an ACCESS EXCLUSIVE lock.",
    fix: "Use pg_repack --order-by, outside migrations.",
    bad: "CLUSTER orders USING orders_created_at_idx;",
    good: "-- pg_repack --table orders --order-by created_at",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::ClusterStmt(c) = cx.node() else {
        return;
    };
    let table = c.relation.as_ref().map(names::range_var);
    if table.as_deref().is_none_or(|t| cx.existing(t)) {
        let what = table
            .map(|t| names::show(&t))
            .unwrap_or_else(|| "every clustered table".into());
        cx.push(
            out,
            &CLUSTER,
            -1,
            format!("CLUSTER rewrites {what} under an ACCESS EXCLUSIVE lock"),
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
            "cluster",
            &[T, "create index i on t (a);"],
            "cluster t using i;",
            "create table n (a int);\ncreate index ni on n (a);\ncluster n using ni;",
        );
    }
}
