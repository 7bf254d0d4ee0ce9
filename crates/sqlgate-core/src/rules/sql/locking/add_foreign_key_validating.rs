//! `add-foreign-key-validating`: A foreign key added to an existing table without NOT VALID.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_FOREIGN_KEY_VALIDATING: Rule = Rule {
    id: "add-foreign-key-validating",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A foreign key added to an existing table without NOT VALID.",
    why: "Validating scans the whole table while holding SHARE ROW EXCLUSIVE locks on both tables: writes to both wait for the scan.",
    fix: "Add it NOT VALID (instant), then VALIDATE CONSTRAINT in a later migration (takes a lock that does not block writes).",
    bad: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id);",
    good: "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID;\n-- next migration:\nALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for n in super::added_constraints(cx) {
        let c = n.c;
        if contype(c) != ConstrType::ConstrForeign || c.skip_validation {
            continue;
        }
        let t = n.t();
        let target = c.pktable.as_ref().map(names::range_var).unwrap_or_default();
        let con = n.name("fkey", &c.fk_attrs);
        let refcols = names::strings(&c.pk_attrs).join(", ");
        let refcols = if refcols.is_empty() {
            String::new()
        } else {
            format!(" ({refcols})")
        };
        cx.push(out, &ADD_FOREIGN_KEY_VALIDATING, n.loc, format!(
            "adding foreign key {con} on {t} validates every row while holding SHARE ROW EXCLUSIVE locks on {t} and {}: writes to both wait",
            names::show(&target)),
            Some(format!("ALTER TABLE {t} ADD CONSTRAINT {con} FOREIGN KEY ({}) REFERENCES {}{refcols} NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};",
                n.cols(&c.fk_attrs), names::show(&target))));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T, U};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-foreign-key-validating",
            &[T, U],
            "alter table t add constraint t_u_fk foreign key (a) references u (id);",
            "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;",
        );
        pair(
            "add-foreign-key-validating",
            &[
                T,
                U,
                "alter table t add constraint t_u_fk foreign key (a) references u (id) not valid;",
            ],
            "alter table t add column u_id bigint references u (id);",
            "alter table t validate constraint t_u_fk;",
        );
    }
}
