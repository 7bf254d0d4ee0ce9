//! `add-primary-key`: A PRIMARY KEY added to an existing table (index build and NOT NULL checks under lock).

use super::prelude::*;
use super::CATEGORY;

pub static ADD_PRIMARY_KEY: Rule = Rule {
    id: "add-primary-key",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A PRIMARY KEY added to an existing table (index build and NOT NULL checks under lock).",
    why: "Builds the index and checks every row under an ACCESS EXCLUSIVE lock.",
    fix: "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD CONSTRAINT … PRIMARY KEY USING INDEX (columns already NOT NULL).",
    bad: "ALTER TABLE events ADD PRIMARY KEY (id);",
    good: "-- sqlgate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY events_pkey ON events (id);\n-- next migration:\nALTER TABLE events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_pkey;",
    apply: Apply::Runs,
    claim: Claim::Nothing,
    sized: true,
};

pub fn check(cx: &Ctx, _: &mut MigrationState, out: &mut Vec<Finding>) {
    for n in super::added_constraints(cx) {
        let (c, table, t) = (n.c, &n.table, n.t());
        if contype(c) != ConstrType::ConstrPrimary {
            continue;
        }
        if c.indexname.is_empty() {
            let con = if c.conname.is_empty() {
                format!("{}_pkey", table.rsplit('.').next().unwrap_or(table))
            } else {
                c.conname.clone()
            };
            cx.push(out, &ADD_PRIMARY_KEY, n.loc, format!(
                "adding PRIMARY KEY {con} on {t} ({}) builds its index and checks every row under an ACCESS EXCLUSIVE lock", n.cols(&c.keys)),
                Some(format!("-- sqlgate:no-transaction migration:\nCREATE UNIQUE INDEX CONCURRENTLY {con} ON {t} ({});\n-- next migration:\nALTER TABLE {t} ADD CONSTRAINT {con} PRIMARY KEY USING INDEX {con};", n.cols(&c.keys))));
            continue;
        }
        // USING INDEX: PostgreSQL sets the key columns NOT NULL, scanning the table
        // under ACCESS EXCLUSIVE when one is still nullable.
        let Some(tab) = cx.schema.tables.get(table) else {
            continue;
        };
        let idx = names::key(table.split_once('.').map_or("", |(s, _)| s), &c.indexname);
        let nullable: Vec<String> = cx
            .schema
            .index_columns
            .get(&idx)
            .or_else(|| cx.schema.index_columns.get(&c.indexname))
            .into_iter()
            .flatten()
            .filter(|col| tab.columns.get(*col).is_some_and(|k| !k.not_null))
            .filter(|col| !cx.schema.has_valid_not_null_check(table, col))
            .cloned()
            .collect();
        if nullable.is_empty() {
            continue;
        }
        let cols = nullable
            .iter()
            .map(|c| names::ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        cx.push(out, &ADD_PRIMARY_KEY, n.loc, format!(
            "PRIMARY KEY USING INDEX {} on {t}: {cols} may hold NULLs, so PostgreSQL sets them NOT NULL first, scanning the table under an ACCESS EXCLUSIVE lock"
            , names::ident(&c.indexname)),
            Some(format!("Make {cols} NOT NULL without a scan first (CHECK (… IS NOT NULL) NOT VALID, VALIDATE in a later migration, then SET NOT NULL), then add the primary key USING INDEX.")));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::sql::test_support::pair;

    #[test]
    fn fires_and_its_look_alike_does_not() {
        pair(
            "add-primary-key",
            &[
                "create table p (id bigint not null);",
                "create unique index p_pkey on p (id);",
            ],
            "alter table p add primary key (id);",
            "alter table p add constraint p_pkey primary key using index p_pkey;",
        );
        pair(
            "add-primary-key",
            &[
                "create table p (id bigint);",
                "create unique index p_pkey on p (id);",
            ],
            "alter table p add constraint p_pkey primary key using index p_pkey;",
            "alter table p add constraint p_id_nn check (id is not null) not valid;",
        );
    }
}
