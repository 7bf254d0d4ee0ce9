//! `alter-enum-add-value-in-transaction`: ALTER TYPE … ADD VALUE inside a transaction, before PostgreSQL 12 (`pg_version`).

use super::prelude::*;
use super::CATEGORY;

pub static ALTER_ENUM_ADD_VALUE_IN_TRANSACTION: Rule = Rule {
    id: "alter-enum-add-value-in-transaction",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER TYPE … ADD VALUE inside a transaction, before PostgreSQL 12 (`pg_version`).",
    why: "PostgreSQL 11 and older refuse ADD VALUE in a transaction block: the deploy fails.",
    fix: "Mark the migration `-- sqlgate:no-transaction`, or set `pg_version` to your server's version if it is 12 or newer.",
    bad: "ALTER TYPE order_status ADD VALUE 'refunded';",
    good: "-- sqlgate:no-transaction\nALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded';",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: false,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    let NodeEnum::AlterEnumStmt(e) = cx.node() else {
        return;
    };
    if !e.old_val.is_empty() || !cx.in_tx || cx.opts.pg_version >= 12 {
        return;
    }
    cx.push(
        out,
        &ALTER_ENUM_ADD_VALUE_IN_TRANSACTION,
        -1,
        format!(
            "ALTER TYPE {} ADD VALUE '{}' fails inside a transaction on PostgreSQL {} (pg_version)",
            names::show(&names::list_key(&e.type_name)),
            e.new_val,
            cx.opts.pg_version
        ),
        None,
    );
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{case, pair_with};

    #[test]
    fn fires_before_postgresql_12_only() {
        let mood = "create type mood as enum ('ok');";
        let rule = "alter-enum-add-value-in-transaction";
        let add = "alter type mood add value 'sad';";
        let no_tx = "-- sqlgate:no-transaction\nalter type mood add value 'sad';";
        pair_with(rule, &[mood], add, no_tx, |c| c.pg = 11);
        assert!(
            !case(&[mood], &[add]).fires(rule),
            "PostgreSQL 12+ allows it"
        );
    }
}
