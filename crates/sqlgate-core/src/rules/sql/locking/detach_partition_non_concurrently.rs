//! `detach-partition-non-concurrently`: ALTER TABLE … DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+, `pg_version`).

use super::prelude::*;
use super::CATEGORY;

pub static DETACH_PARTITION_NON_CONCURRENTLY: Rule = Rule {
    id: "detach-partition-non-concurrently",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "ALTER TABLE … DETACH PARTITION without CONCURRENTLY (PostgreSQL 14+, `pg_version`).",
    why: "Takes an ACCESS EXCLUSIVE lock on the partitioned table (and the partition): every query on the whole table waits, and waits behind every running one.",
    fix: "DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+) in a migration marked `-- sqlgate:no-transaction`.",
    bad: "ALTER TABLE measurements DETACH PARTITION measurements_2023;",
    good: "-- sqlgate:no-transaction\nALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let Some(a) = cx.existing_alter() else {
        return;
    };
    let t = names::show(&a.table);
    for (_, kind, def) in &a.cmds {
        let (AlterTableType::AtDetachPartition, Some(NodeEnum::PartitionCmd(p))) = (kind, def)
        else {
            continue;
        };
        if p.concurrent || cx.opts.pg_version < 14 {
            continue;
        }
        let part = p.name.as_ref().map(names::range_var).unwrap_or_default();
        cx.push(
            out,
            &DETACH_PARTITION_NON_CONCURRENTLY,
            a.rv.location,
            format!(
                "DETACH PARTITION {} takes an ACCESS EXCLUSIVE lock on {t}: every query on the partitioned table waits",
                names::show(&part)
            ),
            Some(cx.no_tx_fix(&format!(
                "ALTER TABLE {t} DETACH PARTITION {} CONCURRENTLY",
                names::show(&part)
            ))),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair("detach-partition-non-concurrently", &["create table m (at date) partition by range (at);", "create table m_2023 partition of m for values from ('2023-01-01') to ('2024-01-01');"], "alter table m detach partition m_2023;", "-- sqlgate:no-transaction\nalter table m detach partition m_2023 concurrently;");
    }
}
