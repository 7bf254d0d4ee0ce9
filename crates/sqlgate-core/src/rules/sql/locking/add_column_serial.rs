//! `add-column-serial`: ADD COLUMN of type serial/bigserial, or an identity column, on an existing table.

use super::prelude::*;
use super::CATEGORY;

pub static ADD_COLUMN_SERIAL: Rule = Rule {
    id: "add-column-serial",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ADD COLUMN of type serial/bigserial, or an identity column, on an existing table.",
    why: "Every existing row needs a value from the sequence: the whole table is rewritten under an ACCESS EXCLUSIVE lock.",
    fix: "Add a plain bigint column, attach a sequence as its default for new rows, backfill existing rows in batches.",
    bad: "ALTER TABLE events ADD COLUMN seq bigserial;",
    good: "ALTER TABLE events ADD COLUMN seq bigint;\nCREATE SEQUENCE events_seq_seq OWNED BY events.seq;\nALTER TABLE events ALTER COLUMN seq SET DEFAULT nextval('events_seq_seq');\n-- backfill in batches",
    apply: Apply::Runs,
    claim: Claim::Rewrite,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for c in super::added_columns(cx) {
        if !(c.serial || c.identity) {
            continue;
        }
        let (t, col, table, d) = (c.t(), c.col(), &c.table, c.def);
        cx.push(out, &ADD_COLUMN_SERIAL, d.location, format!(
            "adding {}column {t}.{col} fills every existing row from a sequence: the table is rewritten under an ACCESS EXCLUSIVE lock",
            if c.serial { format!("{} ", c.type_name) } else { "identity ".into() }),
            Some(format!("ALTER TABLE {t} ADD COLUMN {col} bigint;\nCREATE SEQUENCE {}_{}_seq OWNED BY {t}.{col};\nALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT nextval('{}_{}_seq');\n-- backfill existing rows in batches",
                table.replace('.', "_"), d.colname, table.replace('.', "_"), d.colname)));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::{pair, T};

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-column-serial",
            &[T],
            "alter table t add column seq bigserial;",
            "create table n (id bigserial primary key);",
        );
    }
}
