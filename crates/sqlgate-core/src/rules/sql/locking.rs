//! Locking and rewrites: statements that block reads or writes of tables that existed
//! before this change while they scan, rewrite or wait, and what runs while such a
//! lock is held.

use super::{alter_table, Ctx, MigrationState};
use crate::model::{Finding, Rule, Severity};
use crate::sql::ast::{
    bool_arg, column_default, constraints, contype, def_elems, deparse, deparse_expr,
    is_null_const, nodes, type_display,
};
use crate::sql::{names, schema};
use pg_query::protobuf::{
    AlterTableCmd, AlterTableType, ColumnDef, ConstrType, Constraint, Node, ObjectType, RangeVar,
    TypeName,
};
use pg_query::NodeEnum;

const CATEGORY: &str = "Locking and rewrites";

pub static CREATE_INDEX_NON_CONCURRENTLY: Rule = Rule {
    id: "create-index-non-concurrently",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "CREATE INDEX without CONCURRENTLY on an existing table.",
    why: "Takes a SHARE lock on the table for the whole build: every INSERT, UPDATE and DELETE waits until the index is built.",
    fix: "CREATE INDEX CONCURRENTLY in a migration of its own marked `-- sqlgate:no-transaction`.",
    bad: "CREATE INDEX orders_user_id_idx ON orders (user_id);",
    good: "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS orders_user_id_idx ON orders (user_id);",
};

pub static DROP_INDEX_NON_CONCURRENTLY: Rule = Rule {
    id: "drop-index-non-concurrently",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "DROP INDEX without CONCURRENTLY of an index on an existing table.",
    why: "Takes an ACCESS EXCLUSIVE lock on the table: it waits behind every running query and blocks all reads and writes meanwhile.",
    fix: "DROP INDEX CONCURRENTLY in a migration marked `-- sqlgate:no-transaction`.",
    bad: "DROP INDEX orders_status_idx;",
    good: "-- sqlgate:no-transaction\nDROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;",
};

pub static REINDEX_NON_CONCURRENTLY: Rule = Rule {
    id: "reindex-non-concurrently",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "REINDEX without CONCURRENTLY.",
    why: "Locks out writes to the table (and reads through the index) for the whole rebuild.",
    fix:
        "REINDEX … CONCURRENTLY (PostgreSQL 12+) in a migration marked `-- sqlgate:no-transaction`.",
    bad: "REINDEX INDEX orders_user_id_idx;",
    good: "-- sqlgate:no-transaction\nREINDEX INDEX CONCURRENTLY orders_user_id_idx;",
};

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
};

pub static ADD_CHECK_VALIDATING: Rule = Rule {
    id: "add-check-validating",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A CHECK constraint added to an existing table without NOT VALID.",
    why: "Validating scans the whole table under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes.",
    fix: "Add it NOT VALID, then VALIDATE CONSTRAINT in a later migration.",
    bad: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0);",
    good: "ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total >= 0) NOT VALID;\n-- next migration:\nALTER TABLE orders VALIDATE CONSTRAINT total_positive;",
};

pub static ADD_UNIQUE_CONSTRAINT: Rule = Rule {
    id: "add-unique-constraint",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A UNIQUE constraint added to an existing table (it builds its index under lock).",
    why: "Builds a unique index under an ACCESS EXCLUSIVE lock: the table is unavailable for the whole build.",
    fix: "Build the index with CREATE UNIQUE INDEX CONCURRENTLY (no-transaction migration), then ADD CONSTRAINT … UNIQUE USING INDEX.",
    bad: "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
    good: "-- sqlgate:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);\n-- next migration:\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;",
};

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
};

pub static ADD_EXCLUSION_CONSTRAINT: Rule = Rule {
    id: "add-exclusion-constraint",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "An EXCLUDE constraint added to an existing table.",
    why: "Builds its index and checks every row under an ACCESS EXCLUSIVE lock; there is no concurrent variant.",
    fix: "Add it while the table is small or in a maintenance window; or enforce the rule in a new table.",
    bad: "ALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
    good: "-- in a maintenance window, with lock_timeout set\nSET lock_timeout = '5s';\nALTER TABLE bookings ADD CONSTRAINT no_overlap EXCLUDE USING gist (room WITH =, during WITH &&);",
};

pub static SET_NOT_NULL: Rule = Rule {
    id: "set-not-null",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER COLUMN … SET NOT NULL on an existing table.",
    why: "Scans the whole table under an ACCESS EXCLUSIVE lock to check for NULLs. From PostgreSQL 12 the scan is skipped when a validated CHECK (col IS NOT NULL) exists.",
    fix: "Add CHECK (col IS NOT NULL) NOT VALID, VALIDATE it in a later migration, then SET NOT NULL (no scan on PostgreSQL 12+) and drop the check.",
    bad: "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
    good: "ALTER TABLE users ADD CONSTRAINT users_email_not_null CHECK (email IS NOT NULL) NOT VALID;\n-- next migration:\nALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;\nALTER TABLE users ALTER COLUMN email SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT users_email_not_null;",
};

pub static ADD_COLUMN_VOLATILE_DEFAULT: Rule = Rule {
    id: "add-column-volatile-default",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), a function of unknown volatility) — or any default before PostgreSQL 11.",
    why: "Rewrites the whole table under an ACCESS EXCLUSIVE lock to compute a value per row.",
    fix: "Add the column without a default, SET DEFAULT for new rows, and backfill existing rows in batches.",
    bad: "ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();",
    good: "ALTER TABLE orders ADD COLUMN token uuid;\nALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid();\n-- backfill in batches: UPDATE orders SET token = gen_random_uuid() WHERE id BETWEEN … AND … AND token IS NULL;",
};

pub static ADD_COLUMN_REQUIRED: Rule = Rule {
    id: "add-column-required",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ADD COLUMN … NOT NULL without a default on an existing table.",
    why: "Fails on any table that has rows (\"column contains null values\"): the deploy breaks in production although it worked on an empty dev database.",
    fix: "Give it a constant default (instant on PostgreSQL 11+), or add it nullable, backfill, then SET NOT NULL safely.",
    bad: "ALTER TABLE users ADD COLUMN plan text NOT NULL;",
    good: "ALTER TABLE users ADD COLUMN plan text NOT NULL DEFAULT 'free';",
};

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
};

pub static ADD_COLUMN_GENERATED_STORED: Rule = Rule {
    id: "add-column-generated-stored",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ADD COLUMN … GENERATED ALWAYS AS (…) STORED on an existing table.",
    why: "Computes and stores the value for every row: a full table rewrite under an ACCESS EXCLUSIVE lock.",
    fix: "Add a plain column maintained by a trigger and backfill in batches, or compute the value in a view or in queries.",
    bad: "ALTER TABLE users ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) STORED;",
    good: "CREATE INDEX CONCURRENTLY users_email_lower_idx ON users (lower(email));  -- query the expression instead",
};

pub static ALTER_COLUMN_TYPE: Rule = Rule {
    id: "alter-column-type",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER COLUMN … TYPE that rewrites the table (not a binary-coercible change such as varchar(n)→varchar(m>n) or varchar→text).",
    why: "Rewrites the table and rebuilds its indexes under an ACCESS EXCLUSIVE lock; running code may also break on the new type.",
    fix: "Add a new column of the new type, backfill it in batches, switch the code, then drop the old column. Widening varchar or moving to text is safe.",
    bad: "ALTER TABLE orders ALTER COLUMN id TYPE bigint;",
    good: "ALTER TABLE orders ALTER COLUMN note TYPE text;  -- varchar → text: no rewrite",
};

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
};

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
};

pub static REFRESH_MATVIEW_NON_CONCURRENTLY: Rule = Rule {
    id: "refresh-matview-non-concurrently",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "REFRESH MATERIALIZED VIEW without CONCURRENTLY.",
    why: "Blocks every read of the view until the refresh finishes.",
    fix: "REFRESH MATERIALIZED VIEW CONCURRENTLY (the view needs a unique index).",
    bad: "REFRESH MATERIALIZED VIEW daily_totals;",
    good: "REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;",
};

pub static LOCK_TABLE: Rule = Rule {
    id: "lock-table",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "An explicit LOCK TABLE on an existing table.",
    why: "Holds the lock until the migration commits, blocking the application for the migration's whole duration.",
    fix: "Avoid explicit locks; if one is needed, keep the migration short and set lock_timeout.",
    bad: "LOCK TABLE orders IN ACCESS EXCLUSIVE MODE;",
    good: "SET lock_timeout = '5s';\n-- only the statement that needs it",
};

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
};

pub static STATEMENTS_AFTER_ACCESS_EXCLUSIVE: Rule = Rule {
    id: "statements-after-access-exclusive",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "More work in the same transaction after an ACCESS EXCLUSIVE lock was taken on an existing table.",
    why: "The lock is held until COMMIT: everything after it (backfills, index builds, locks on other tables) extends the time the table is unavailable.",
    fix: "Put the statement that takes the lock last, or in a migration of its own.",
    bad: "ALTER TABLE users ADD COLUMN plan text;\nUPDATE accounts SET plan = 'free';",
    good: "-- 010\nUPDATE accounts SET plan = 'free' WHERE …;\n-- 011\nALTER TABLE users ADD COLUMN plan text;",
};

pub static MISSING_LOCK_TIMEOUT: Rule = Rule {
    id: "missing-lock-timeout",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A blocking lock is taken on an existing table with no lock_timeout (neither in the file nor set by the runner).",
    why: "A migration waiting for its lock queues every other query on the table behind it: a long-running query turns a millisecond ALTER into an outage.",
    fix: "SET lock_timeout = '5s'; at the top of the migration — or keep `lock_timeout` configured (sqlgate apply sets 5s by default).",
    bad: "ALTER TABLE users ADD COLUMN bio text;",
    good: "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN bio text;",
};

pub fn check(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    match cx.node() {
        NodeEnum::IndexStmt(s) if !s.concurrent => {
            let Some(rv) = &s.relation else { return };
            let table = names::range_var(rv);
            if !cx.existing(&table) {
                return;
            }
            let name = if s.idxname.is_empty() {
                "an index".to_string()
            } else {
                names::ident(&s.idxname)
            };
            let mut concurrent = (**s).clone();
            concurrent.concurrent = true;
            let sql = deparse(NodeEnum::IndexStmt(Box::new(concurrent)))
                .unwrap_or_else(|| "CREATE INDEX CONCURRENTLY …".into());
            cx.push(
                out,
                &CREATE_INDEX_NON_CONCURRENTLY,
                rv.location,
                format!(
                    "CREATE INDEX {name} on existing table {} takes a SHARE lock: inserts, updates and deletes wait until the index is built",
                    names::show(&table)
                ),
                Some(cx.no_tx_fix(&sql)),
            );
        }
        NodeEnum::DropStmt(s)
            if !s.concurrent && s.remove_type == ObjectType::ObjectIndex as i32 =>
        {
            for o in nodes(&s.objects) {
                let idx = match o {
                    NodeEnum::List(l) => names::list_key(&l.items),
                    NodeEnum::String(st) => st.sval.clone(),
                    _ => continue,
                };
                let on_new_table = cx
                    .schema
                    .index(&idx)
                    .is_some_and(|(t, c)| cx.schema.is_new(*c) || !cx.existing(t));
                if on_new_table {
                    continue;
                }
                let table = cx
                    .schema
                    .index(&idx)
                    .map(|(t, _)| format!(" on {}", names::show(t)))
                    .unwrap_or_default();
                cx.push(
                    out,
                    &DROP_INDEX_NON_CONCURRENTLY,
                    -1,
                    format!(
                        "DROP INDEX {}{table} takes an ACCESS EXCLUSIVE lock on the table: it waits for running queries and blocks everything behind it",
                        names::show(&idx)
                    ),
                    Some(cx.no_tx_fix(&format!(
                        "DROP INDEX CONCURRENTLY IF EXISTS {}",
                        names::show(&idx)
                    ))),
                );
            }
        }
        NodeEnum::VacuumStmt(v) => {
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
        NodeEnum::ReindexStmt(r) => {
            use pg_query::protobuf::ReindexObjectType as K;
            let concurrent =
                def_elems(&r.params).any(|d| d.defname == "concurrently" && bool_arg(d));
            if concurrent {
                return;
            }
            let target = r
                .relation
                .as_ref()
                .map(names::range_var)
                .unwrap_or_else(|| r.name.clone());
            let kind = K::try_from(r.kind).unwrap_or(K::Undefined);
            let table = match kind {
                K::ReindexObjectIndex => cx.schema.index(&target).map(|(tab, _)| tab.clone()),
                _ => Some(target.clone()),
            };
            if table.is_some_and(|t| !cx.existing(&t)) {
                return;
            }
            let fix = if cx.opts.pg_version >= 12 {
                cx.no_tx_fix(&format!(
                    "REINDEX {} CONCURRENTLY {}",
                    if kind == K::ReindexObjectIndex {
                        "INDEX"
                    } else {
                        "TABLE"
                    },
                    names::show(&target)
                ))
            } else {
                "PostgreSQL before 12 has no REINDEX CONCURRENTLY: build a new index CONCURRENTLY, drop the old one CONCURRENTLY, rename.".into()
            };
            cx.push(
                out,
                &REINDEX_NON_CONCURRENTLY,
                -1,
                format!(
                    "REINDEX of {} blocks writes to the table (and reads through the index) until the rebuild finishes",
                    names::show(&target)
                ),
                Some(fix),
            );
        }
        NodeEnum::ClusterStmt(c) => {
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
        NodeEnum::RefreshMatViewStmt(r) if !r.concurrent => {
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
        NodeEnum::LockStmt(l) => {
            let tables: Vec<String> = nodes(&l.relations)
                .filter_map(|r| match r {
                    NodeEnum::RangeVar(rv) => Some(names::range_var(rv)),
                    _ => None,
                })
                .filter(|t| cx.existing(t))
                .collect();
            if !tables.is_empty() {
                cx.push(
                    out,
                    &LOCK_TABLE,
                    -1,
                    format!(
                        "LOCK TABLE {} holds the lock until the migration commits",
                        tables
                            .iter()
                            .map(|t| names::show(t))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                );
            }
        }
        NodeEnum::AlterEnumStmt(e)
            if e.old_val.is_empty() && cx.in_tx && cx.opts.pg_version < 12 =>
        {
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
        node => {
            let Some(a) = alter_table(node).filter(|a| cx.existing(&a.table)) else {
                return;
            };
            let emptied = state.emptied.contains(&a.table);
            for (cmd, kind, def) in &a.cmds {
                alter_existing(cx, &a.table, a.rv, cmd, *kind, *def, emptied, out);
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn alter_existing(
    cx: &Ctx,
    table: &str,
    rv: &RangeVar,
    cmd: &AlterTableCmd,
    kind: AlterTableType,
    def: Option<&NodeEnum>,
    emptied: bool,
    out: &mut Vec<Finding>,
) {
    let t = names::show(table);
    let col = names::ident(&cmd.name);
    match (kind, def) {
        (AlterTableType::AtAddColumn, Some(NodeEnum::ColumnDef(d))) => {
            add_column(cx, table, d, emptied, out)
        }
        (AlterTableType::AtAlterColumnType, Some(NodeEnum::ColumnDef(d))) => {
            let Some(new) = &d.type_name else { return };
            let old = cx
                .schema
                .tables
                .get(table)
                .and_then(|tab| tab.columns.get(&cmd.name));
            let using = d.raw_default.is_some();
            if let Some(old) = old {
                if !using && binary_coercible(old, new) {
                    return;
                }
            }
            let from = old
                .map(|o| {
                    let mods = if o.typmods.is_empty() {
                        String::new()
                    } else {
                        format!(
                            "({})",
                            o.typmods
                                .iter()
                                .map(i64::to_string)
                                .collect::<Vec<_>>()
                                .join(",")
                        )
                    };
                    format!(" from {}{mods}", o.type_name)
                })
                .unwrap_or_default();
            cx.push(
                out,
                &ALTER_COLUMN_TYPE,
                d.location,
                format!(
                    "changing {t}.{col}{from} to {} rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
                    type_display(new)
                ),
                Some(format!(
                    "ALTER TABLE {t} ADD COLUMN {}_new {};\n-- backfill in batches, switch the code to the new column, then drop {col} and rename",
                    cmd.name,
                    type_display(new)
                )),
            );
        }
        (AlterTableType::AtSetNotNull, _) => {
            let checked = cx
                .schema
                .tables
                .get(table)
                .is_some_and(|tab| tab.has_valid_not_null_check(&cmd.name));
            if checked && cx.opts.pg_version >= 12 {
                return;
            }
            let con = format!("{}_{}_not_null", rv.relname, cmd.name);
            let fix = if cx.opts.pg_version >= 12 {
                format!(
                    "ALTER TABLE {t} ADD CONSTRAINT {con} CHECK ({col} IS NOT NULL) NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};\nALTER TABLE {t} ALTER COLUMN {col} SET NOT NULL;\nALTER TABLE {t} DROP CONSTRAINT {con};"
                )
            } else {
                format!(
                    "On PostgreSQL {} there is no scan-free way: use CHECK ({col} IS NOT NULL) NOT VALID + VALIDATE instead of SET NOT NULL.",
                    cx.opts.pg_version
                )
            };
            cx.push(
                out,
                &SET_NOT_NULL,
                rv.location,
                format!("SET NOT NULL on {t}.{col} scans the whole table under an ACCESS EXCLUSIVE lock"),
                Some(fix),
            );
        }
        (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(c))) => {
            add_constraint(cx, table, rv, None, c, out)
        }
        _ => {}
    }
}

fn add_column(cx: &Ctx, table: &str, d: &ColumnDef, emptied: bool, out: &mut Vec<Finding>) {
    let t = names::show(table);
    let col = names::ident(&d.colname);
    let ty = d.type_name.as_ref().map(type_display).unwrap_or_default();
    let type_name = d
        .type_name
        .as_ref()
        .map(schema::type_name)
        .unwrap_or_default();
    let serial = matches!(
        type_name.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8"
    );
    let identity =
        !d.identity.is_empty() || constraints(d).any(|c| contype(c) == ConstrType::ConstrIdentity);
    if serial || identity {
        cx.push(out, &ADD_COLUMN_SERIAL, d.location, format!(
            "adding {}column {t}.{col} fills every existing row from a sequence: the table is rewritten under an ACCESS EXCLUSIVE lock",
            if serial { format!("{type_name} ") } else { "identity ".into() }),
            Some(format!("ALTER TABLE {t} ADD COLUMN {col} bigint;\nCREATE SEQUENCE {}_{}_seq OWNED BY {t}.{col};\nALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT nextval('{}_{}_seq');\n-- backfill existing rows in batches",
                table.replace('.', "_"), d.colname, table.replace('.', "_"), d.colname)));
    }
    if constraints(d).any(|c| contype(c) == ConstrType::ConstrGenerated) {
        cx.push(out, &ADD_COLUMN_GENERATED_STORED, d.location, format!(
            "adding generated column {t}.{col} computes and stores it for every row: a full rewrite under an ACCESS EXCLUSIVE lock"), None);
    }
    let default = column_default(d);
    let has_default = default.is_some_and(|e| !is_null_const(Some(e)));
    if let Some(expr) = default.filter(|_| has_default && !serial) {
        let volatile = volatile_call(expr, 0);
        if volatile.is_some() || cx.opts.pg_version < 11 {
            let why = match &volatile {
                Some(f) => {
                    format!("its default calls {f}(), which is volatile (evaluated per row)")
                }
                None => format!(
                    "PostgreSQL {} stores any default by rewriting",
                    cx.opts.pg_version
                ),
            };
            let expr_sql = deparse_expr(expr).unwrap_or_else(|| "<default>".into());
            cx.push(out, &ADD_COLUMN_VOLATILE_DEFAULT, d.location, format!(
                "adding {t}.{col} rewrites the whole table under an ACCESS EXCLUSIVE lock: {why}"),
                Some(format!("ALTER TABLE {t} ADD COLUMN {col} {ty};\nALTER TABLE {t} ALTER COLUMN {col} SET DEFAULT {expr_sql};\n-- backfill existing rows in batches: UPDATE {t} SET {col} = {expr_sql} WHERE … AND {col} IS NULL;")));
        }
    }
    let not_null = d.is_not_null
        || constraints(d).any(|c| {
            matches!(
                contype(c),
                ConstrType::ConstrNotnull | ConstrType::ConstrPrimary
            )
        });
    if not_null
        && !has_default
        && !emptied
        && !serial
        && !identity
        && !constraints(d).any(|c| contype(c) == ConstrType::ConstrGenerated)
    {
        cx.push(out, &ADD_COLUMN_REQUIRED, d.location, format!(
            "adding {t}.{col} as NOT NULL without a default fails as soon as {t} has a row (\"column contains null values\")"),
            Some(format!("ALTER TABLE {t} ADD COLUMN {col} {ty} NOT NULL DEFAULT <value>;  -- a constant default is instant on PostgreSQL 11+")));
    }
    for c in constraints(d) {
        add_constraint(
            cx,
            table,
            &RangeVar {
                location: d.location,
                ..Default::default()
            },
            Some(&d.colname),
            c,
            out,
        );
    }
}

fn add_constraint(
    cx: &Ctx,
    table: &str,
    rv: &RangeVar,
    column: Option<&str>,
    c: &Constraint,
    out: &mut Vec<Finding>,
) {
    let t = names::show(table);
    let loc = if c.location >= 0 {
        c.location
    } else {
        rv.location
    };
    let cols = |keys: &[Node]| {
        let k = names::strings(keys);
        if k.is_empty() {
            column.map(str::to_string).unwrap_or_default()
        } else {
            k.join(", ")
        }
    };
    let name = |suffix: &str, keys: &[Node]| {
        let base = table.rsplit('.').next().unwrap_or(table);
        let cols = cols(keys).replace(", ", "_");
        if !c.conname.is_empty() {
            c.conname.clone()
        } else if cols.is_empty() {
            format!("{base}_{suffix}")
        } else {
            format!("{base}_{cols}_{suffix}")
        }
    };
    match contype(c) {
        ConstrType::ConstrForeign if !c.skip_validation => {
            let target = c.pktable.as_ref().map(names::range_var).unwrap_or_default();
            let con = name("fkey", &c.fk_attrs);
            let refcols = names::strings(&c.pk_attrs).join(", ");
            let refcols = if refcols.is_empty() {
                String::new()
            } else {
                format!(" ({refcols})")
            };
            cx.push(out, &ADD_FOREIGN_KEY_VALIDATING, loc, format!(
                "adding foreign key {con} on {t} validates every row while holding SHARE ROW EXCLUSIVE locks on {t} and {}: writes to both wait",
                names::show(&target)),
                Some(format!("ALTER TABLE {t} ADD CONSTRAINT {con} FOREIGN KEY ({}) REFERENCES {}{refcols} NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};",
                    cols(&c.fk_attrs), names::show(&target))));
        }
        ConstrType::ConstrCheck if !c.skip_validation => {
            let con = name("check", &[]);
            let expr = c
                .raw_expr
                .as_ref()
                .and_then(|e| e.node.as_ref())
                .and_then(deparse_expr)
                .unwrap_or_else(|| "…".into());
            cx.push(out, &ADD_CHECK_VALIDATING, loc, format!(
                "adding CHECK constraint {con} on {t} scans every row under an ACCESS EXCLUSIVE lock"),
                Some(format!("ALTER TABLE {t} ADD CONSTRAINT {con} CHECK ({expr}) NOT VALID;\n-- next migration:\nALTER TABLE {t} VALIDATE CONSTRAINT {con};")));
        }
        ConstrType::ConstrUnique if c.indexname.is_empty() => {
            let con = name("key", &c.keys);
            cx.push(out, &ADD_UNIQUE_CONSTRAINT, loc, format!(
                "adding UNIQUE constraint {con} on {t} ({}) builds its index under an ACCESS EXCLUSIVE lock", cols(&c.keys)),
                Some(format!("-- sqlgate:no-transaction migration:\nCREATE UNIQUE INDEX CONCURRENTLY {con} ON {t} ({});\n-- next migration:\nALTER TABLE {t} ADD CONSTRAINT {con} UNIQUE USING INDEX {con};", cols(&c.keys))));
        }
        ConstrType::ConstrPrimary if c.indexname.is_empty() => {
            let con = if c.conname.is_empty() {
                format!("{}_pkey", table.rsplit('.').next().unwrap_or(table))
            } else {
                c.conname.clone()
            };
            cx.push(out, &ADD_PRIMARY_KEY, loc, format!(
                "adding PRIMARY KEY {con} on {t} ({}) builds its index and checks every row under an ACCESS EXCLUSIVE lock", cols(&c.keys)),
                Some(format!("-- sqlgate:no-transaction migration:\nCREATE UNIQUE INDEX CONCURRENTLY {con} ON {t} ({});\n-- next migration:\nALTER TABLE {t} ADD CONSTRAINT {con} PRIMARY KEY USING INDEX {con};", cols(&c.keys))));
        }
        ConstrType::ConstrExclusion => {
            cx.push(out, &ADD_EXCLUSION_CONSTRAINT, loc, format!(
                "adding exclusion constraint {} on {t} builds its index and checks every row under an ACCESS EXCLUSIVE lock", name("excl", &[])), None);
        }
        _ => {}
    }
}

/// Lock-level rules, after every other check of the statement:
/// `statements-after-access-exclusive`, `missing-lock-timeout`.
pub fn lock_levels(cx: &Ctx, state: &mut MigrationState, out: &mut Vec<Finding>) {
    let node = cx.node();
    let blocking = blocking_table(cx, node);
    if let Some((table, _)) = &blocking {
        if !cx.opts.runner_lock_timeout
            && !state.lock_timeout_set
            && !state.reported_missing_timeout
        {
            state.reported_missing_timeout = true;
            cx.push(out, &MISSING_LOCK_TIMEOUT, -1, format!(
                "this statement waits for a lock on {} with no lock_timeout: while it waits, every query on the table queues behind it",
                names::show(table)), None);
        }
    }
    if cx.in_tx && !state.reported_after_exclusive {
        if let Some((locked, line)) = &state.exclusive {
            if is_more_work(cx, node, locked) {
                state.reported_after_exclusive = true;
                cx.push(out, &STATEMENTS_AFTER_ACCESS_EXCLUSIVE, -1, format!(
                    "line {line} took an ACCESS EXCLUSIVE lock on {} that is held until COMMIT; this statement makes the table unavailable for longer",
                    names::show(locked)), None);
            }
        }
    }
    if let Some((table, true)) = blocking {
        if state.exclusive.is_none() {
            state.exclusive = Some((table, cx.stmt.line));
        }
    }
}

/// The existing table a statement locks in a way that blocks writes, and whether
/// the lock is ACCESS EXCLUSIVE.
fn blocking_table(cx: &Ctx, node: &NodeEnum) -> Option<(String, bool)> {
    let existing = |rv: &RangeVar| {
        let k = names::range_var(rv);
        cx.existing(&k).then_some(k)
    };
    match node {
        NodeEnum::AlterTableStmt(a) => {
            let rv = a.relation.as_ref()?;
            let table = existing(rv)?;
            let light = [
                AlterTableType::AtValidateConstraint,
                AlterTableType::AtSetStatistics,
                AlterTableType::AtClusterOn,
                AlterTableType::AtDropCluster,
                AlterTableType::AtSetOptions,
                AlterTableType::AtResetOptions,
            ];
            let kinds: Vec<AlterTableType> = nodes(&a.cmds)
                .filter_map(|n| match n {
                    NodeEnum::AlterTableCmd(c) => AlterTableType::try_from(c.subtype).ok(),
                    _ => None,
                })
                .collect();
            if kinds.iter().all(|k| light.contains(k)) {
                return None;
            }
            let fk_only = nodes(&a.cmds).all(|n| matches!(n, NodeEnum::AlterTableCmd(c)
                if matches!(c.def.as_ref().and_then(|d| d.node.as_ref()), Some(NodeEnum::Constraint(k)) if contype(k) == ConstrType::ConstrForeign)));
            Some((table, !fk_only))
        }
        NodeEnum::IndexStmt(i) if !i.concurrent => {
            existing(i.relation.as_ref()?).map(|t| (t, false))
        }
        NodeEnum::DropStmt(d) if d.remove_type == ObjectType::ObjectTable as i32 => {
            nodes(&d.objects)
                .filter_map(|o| match o {
                    NodeEnum::List(l) => Some(names::list_key(&l.items)),
                    _ => None,
                })
                .find(|t| cx.existing(t))
                .map(|t| (t, true))
        }
        NodeEnum::DropStmt(d)
            if d.remove_type == ObjectType::ObjectIndex as i32 && !d.concurrent =>
        {
            nodes(&d.objects)
                .filter_map(|o| match o {
                    NodeEnum::List(l) => cx
                        .schema
                        .index(&names::list_key(&l.items))
                        .map(|(t, _)| t.clone()),
                    _ => None,
                })
                .find(|t| cx.existing(t))
                .map(|t| (t, true))
        }
        NodeEnum::TruncateStmt(t) => nodes(&t.relations)
            .filter_map(|r| match r {
                NodeEnum::RangeVar(rv) => existing(rv),
                _ => None,
            })
            .next()
            .map(|t| (t, true)),
        NodeEnum::RenameStmt(r) => existing(r.relation.as_ref()?).map(|t| (t, true)),
        NodeEnum::CreateTrigStmt(t) => existing(t.relation.as_ref()?).map(|t| (t, false)),
        NodeEnum::LockStmt(l) => nodes(&l.relations)
            .filter_map(|r| match r {
                NodeEnum::RangeVar(rv) => existing(rv),
                _ => None,
            })
            .next()
            .map(|t| (t, l.mode >= 8)),
        NodeEnum::ClusterStmt(c) => existing(c.relation.as_ref()?).map(|t| (t, true)),
        NodeEnum::RefreshMatViewStmt(r) if !r.concurrent => {
            let k = names::range_var(r.relation.as_ref()?);
            (!cx.schema
                .matviews
                .get(&k)
                .is_some_and(|c| cx.schema.is_new(*c)))
            .then_some((k, true))
        }
        _ => None,
    }
}

/// True when a statement, run while `locked` is held, does real work: DML and
/// index builds on existing tables, rewrites and maintenance — and, when the runner
/// sets no lock_timeout, waiting for locks on other existing tables.
fn is_more_work(cx: &Ctx, node: &NodeEnum, locked: &str) -> bool {
    let other_existing = |rv: &Option<RangeVar>| {
        rv.as_ref().is_some_and(|rv| {
            let k = names::range_var(rv);
            k != locked && cx.existing(&k)
        })
    };
    let unbounded_wait = !cx.opts.runner_lock_timeout;
    match node {
        NodeEnum::UpdateStmt(u) => u
            .relation
            .as_ref()
            .is_some_and(|rv| cx.existing(&names::range_var(rv))),
        NodeEnum::DeleteStmt(d) => d
            .relation
            .as_ref()
            .is_some_and(|rv| cx.existing(&names::range_var(rv))),
        NodeEnum::InsertStmt(i) => {
            i.select_stmt.is_some()
                && i.relation
                    .as_ref()
                    .is_some_and(|rv| cx.existing(&names::range_var(rv)))
        }
        NodeEnum::MergeStmt(_)
        | NodeEnum::CopyStmt(_)
        | NodeEnum::ClusterStmt(_)
        | NodeEnum::VacuumStmt(_) => true,
        NodeEnum::RefreshMatViewStmt(_) => true,
        NodeEnum::IndexStmt(i) => i
            .relation
            .as_ref()
            .is_some_and(|rv| cx.existing(&names::range_var(rv))),
        NodeEnum::AlterTableStmt(a) => unbounded_wait && other_existing(&a.relation),
        NodeEnum::RenameStmt(r) => unbounded_wait && other_existing(&r.relation),
        NodeEnum::CreateTrigStmt(t) => unbounded_wait && other_existing(&t.relation),
        NodeEnum::LockStmt(_) | NodeEnum::TruncateStmt(_) => unbounded_wait,
        _ => false,
    }
}

/// Functions that are not volatile and may appear in column defaults. Unknown
/// functions count as volatile: that is PostgreSQL's default for CREATE FUNCTION.
const NON_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_timestamp",
    "current_date",
    "localtimestamp",
    "lower",
    "upper",
    "btrim",
    "trim",
    "length",
    "char_length",
    "concat",
    "concat_ws",
    "abs",
    "round",
    "floor",
    "ceil",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array",
    "make_interval",
    "make_date",
    "make_timestamp",
    "make_timestamptz",
    "date_trunc",
    "to_timestamp",
    "to_char",
    "to_date",
    "current_setting",
    "current_user",
    "session_user",
    "current_schema",
    "md5",
    "replace",
    "substring",
    "substr",
    "left",
    "right",
    "format",
    "timezone",
    "age",
    "date_part",
    "extract",
    "array_fill",
    "string_to_array",
    "jsonb_typeof",
    "inet_client_addr",
    "pg_backend_pid",
    "current_database",
    "version",
];

/// The first volatile function called by a default expression, if any.
fn volatile_call(node: &NodeEnum, depth: usize) -> Option<String> {
    if depth > 64 {
        return None;
    }
    let sub = |n: &Option<Box<Node>>| {
        n.as_ref()
            .and_then(|n| n.node.as_ref())
            .and_then(|n| volatile_call(n, depth + 1))
    };
    let list = |l: &[Node]| nodes(l).find_map(|n| volatile_call(n, depth + 1));
    match node {
        NodeEnum::FuncCall(f) => {
            let name = names::strings(&f.funcname)
                .last()
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            if !NON_VOLATILE.contains(&name.as_str()) {
                return Some(name);
            }
            list(&f.args)
        }
        NodeEnum::TypeCast(t) => sub(&t.arg),
        NodeEnum::AExpr(e) => sub(&e.lexpr).or_else(|| sub(&e.rexpr)),
        NodeEnum::BoolExpr(b) => list(&b.args),
        NodeEnum::CoalesceExpr(c) => list(&c.args),
        NodeEnum::MinMaxExpr(c) => list(&c.args),
        NodeEnum::AArrayExpr(a) => list(&a.elements),
        NodeEnum::RowExpr(r) => list(&r.args),
        NodeEnum::CaseExpr(c) => sub(&c.arg)
            .or_else(|| list(&c.args))
            .or_else(|| sub(&c.defresult)),
        NodeEnum::CaseWhen(w) => sub(&w.expr).or_else(|| sub(&w.result)),
        NodeEnum::NullTest(n) => sub(&n.arg),
        NodeEnum::SubLink(_) => Some("a subquery".into()),
        _ => None,
    }
}

/// True when changing `old` to `new` needs no table rewrite (binary-coercible).
pub fn binary_coercible(old: &schema::Column, new: &TypeName) -> bool {
    let new_name = schema::type_name(new);
    let new_mods = schema::typmods(new);
    let new_array = !new.array_bounds.is_empty();
    if old.array != new_array {
        return false;
    }
    let widened = |old_mods: &[i64], new_mods: &[i64]| match (old_mods.first(), new_mods.first()) {
        (_, None) => true,
        (Some(o), Some(n)) => n >= o,
        (None, Some(_)) => false,
    };
    match (old.type_name.as_str(), new_name.as_str()) {
        (a, b) if a == b && old.typmods == new_mods => true,
        ("varchar", "varchar") | ("varbit", "varbit") => widened(&old.typmods, &new_mods),
        ("varchar", "text") | ("text", "varchar") => new_name == "text" || new_mods.is_empty(),
        ("bpchar", "text") | ("bpchar", "varchar") => {
            new_mods.is_empty() || widened(&old.typmods, &new_mods)
        }
        ("numeric", "numeric") => {
            new_mods.is_empty()
                || (old.typmods.len() == 2
                    && new_mods.len() == 2
                    && new_mods[1] == old.typmods[1]
                    && new_mods[0] >= old.typmods[0])
        }
        ("cidr", "inet") => true,
        _ => false,
    }
}
