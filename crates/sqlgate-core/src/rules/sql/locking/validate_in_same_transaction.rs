//! `validate-in-same-transaction`: VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT … NOT VALID it validates.

use super::prelude::*;
use super::CATEGORY;

pub static VALIDATE_IN_SAME_TRANSACTION: Rule = Rule {
    id: "validate-in-same-transaction",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "VALIDATE CONSTRAINT in the same transaction as the ADD CONSTRAINT … NOT VALID it validates.",
    why: "The ADD's lock is held until COMMIT — ACCESS EXCLUSIVE for a CHECK, SHARE ROW EXCLUSIVE on both tables for a foreign key — so the validating scan runs under it: reads (CHECK) or writes (foreign key) wait for the whole scan, which is what NOT VALID was meant to avoid.",
    fix: "Commit in between: VALIDATE CONSTRAINT in a later migration (it then takes only SHARE UPDATE EXCLUSIVE).",
    bad: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
    good: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n-- next migration:\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    if !cx.in_tx {
        return;
    }
    let Some(a) = cx.existing_alter() else {
        return;
    };
    let t = names::show(&a.table);
    for cmd in a.of_kind(AlterTableType::AtValidateConstraint) {
        let con = names::ident(&cmd.name);
        if let Some((_, _, line, lock)) = state
            .not_valid
            .iter()
            .find(|(tab, name, ..)| tab == &a.table && name == &cmd.name)
        {
            cx.push(out, &VALIDATE_IN_SAME_TRANSACTION, a.rv.location, format!(
                "VALIDATE CONSTRAINT {con} on {t} runs in the transaction that added it NOT VALID (line {line}): its scan runs under the {lock} lock the ADD holds until COMMIT"),
                Some(format!("Move `ALTER TABLE {t} VALIDATE CONSTRAINT {con};` to a later migration.")));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T, U};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair("validate-in-same-transaction", &[T], "alter table t add constraint a_pos check (a > 0) not valid;\nalter table t validate constraint a_pos;", "alter table t add constraint a_pos check (a > 0) not valid;");
        pair("validate-in-same-transaction", &[T, U], "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;\nalter table t validate constraint t_u_fk;", "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;");
        pair("validate-in-same-transaction", &[T], "alter table t add constraint a_nn check (a is not null) not valid;\nalter table t validate constraint a_nn;\nalter table t alter column a set not null;", "alter table t add constraint a_nn check (a is not null) not valid;");
        pair("validate-in-same-transaction", &[T], "-- sqlgate:no-transaction\nbegin;\nalter table t add constraint a_pos check (a > 0) not valid;\nalter table t validate constraint a_pos;\ncommit;", "-- sqlgate:no-transaction\nalter table t add constraint a_pos check (a > 0) not valid;\nalter table t validate constraint a_pos;");
    }
}
