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
    why: "Takes a SHARE lock on the table (inserts, updates and deletes wait) and an ACCESS EXCLUSIVE lock on each index it rebuilds (queries that use the index wait) for the whole rebuild.",
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

pub static ALTER_COLUMN_TYPE_RECHECKS: Rule = Rule {
    id: "alter-column-type-rechecks",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A type change that rewrites no rows (varchar→text, citext→text, a wider precision) of a column a CHECK constraint uses.",
    why: "PostgreSQL re-checks every CHECK constraint that uses the column against every row: a full table scan under an ACCESS EXCLUSIVE lock, even though no row is rewritten.",
    fix: "Drop the constraint, change the type, and add the constraint back NOT VALID, then VALIDATE it in a later migration (a scan that lets reads and writes go on).",
    bad: "ALTER TABLE users ALTER COLUMN email TYPE text;  -- CHECK (email LIKE '%@%')",
    good: "ALTER TABLE users DROP CONSTRAINT users_email_check;\nALTER TABLE users ALTER COLUMN email TYPE text;\nALTER TABLE users ADD CONSTRAINT users_email_check CHECK (email LIKE '%@%') NOT VALID;",
};

pub static ALTER_COLUMN_TYPE_REBUILDS_INDEX: Rule = Rule {
    id: "alter-column-type-rebuilds-index",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A type change that does not rewrite the table (varchar→text, varchar(n)→varchar(m>n)) of a column an index uses in an expression or a `WHERE` predicate.",
    why: "PostgreSQL keeps plain indexes, but rebuilds every index whose expression or predicate uses the column — under the ALTER's ACCESS EXCLUSIVE lock: no reads or writes for the length of the build.",
    fix: "Drop the index first (`DROP INDEX CONCURRENTLY`, a no-transaction migration), change the type, then re-create it with `CREATE INDEX CONCURRENTLY`.",
    bad: "CREATE INDEX posts_keyword_lower ON posts (lower(keyword));  -- shipped\nALTER TABLE posts ALTER COLUMN keyword TYPE text;",
    good: "DROP INDEX CONCURRENTLY posts_keyword_lower;\nALTER TABLE posts ALTER COLUMN keyword TYPE text;\nCREATE INDEX CONCURRENTLY posts_keyword_lower ON posts (lower(keyword));",
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
    why: "Takes an ACCESS EXCLUSIVE lock on the view and rewrites it: every read of the view waits until the refresh finishes.",
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

pub static ADD_DOMAIN_CHECK_VALIDATING: Rule = Rule {
    id: "add-domain-check-validating",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER DOMAIN … ADD CONSTRAINT … CHECK without NOT VALID on an existing domain.",
    why: "Checks every column of every table that uses the domain, holding a SHARE lock on each table for the scan: inserts, updates and deletes on all of them wait.",
    fix: "Add it NOT VALID (new values are checked at once), then ALTER DOMAIN … VALIDATE CONSTRAINT in a later migration.",
    bad: "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%');",
    good: "ALTER DOMAIN email ADD CONSTRAINT email_has_at CHECK (VALUE LIKE '%@%') NOT VALID;\n-- next migration:\nALTER DOMAIN email VALIDATE CONSTRAINT email_has_at;",
};

pub static REWRITE_TABLE: Rule = Rule {
    id: "rewrite-table",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "ALTER TABLE … SET LOGGED, SET UNLOGGED, SET TABLESPACE or SET ACCESS METHOD on an existing table.",
    why: "Rewrites (LOGGED/UNLOGGED, ACCESS METHOD) or copies (TABLESPACE) the whole table and its indexes under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes. SET UNLOGGED also loses the table's contents after a crash and takes it off replicas.",
    fix: "Do it in a maintenance window, or build a new table and switch over; pg_repack can move a table to another tablespace with a short lock.",
    bad: "ALTER TABLE events SET UNLOGGED;",
    good: "-- maintenance window, with lock_timeout set\nSET lock_timeout = '5s';\nALTER TABLE events SET LOGGED;",
};

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
};

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
        NodeEnum::AlterTableStmt(a) if a.objtype == ObjectType::ObjectIndex as i32 => {
            let Some(rv) = &a.relation else { return };
            let index = names::range_var(rv);
            let Some((table, _)) = cx.schema.index(&index) else {
                return;
            };
            if !cx.existing(table) {
                return;
            }
            for c in nodes(&a.cmds) {
                let NodeEnum::AlterTableCmd(c) = c else {
                    continue;
                };
                if c.subtype == AlterTableType::AtSetTableSpace as i32 {
                    cx.push(
                        out,
                        &REWRITE_TABLE,
                        rv.location,
                        format!(
                            "ALTER INDEX {} SET TABLESPACE {} copies the whole index under an ACCESS EXCLUSIVE lock: writes to {} and reads through the index wait until it finishes",
                            names::show(&index),
                            names::ident(&c.name),
                            names::show(table)
                        ),
                        Some("Build a new index CONCURRENTLY in the new tablespace (`CREATE INDEX CONCURRENTLY … TABLESPACE …`), then drop the old one CONCURRENTLY; or use pg_repack.".into()),
                    );
                }
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
                K::ReindexObjectTable => Some(target.clone()),
                _ => None,
            };
            if table.is_some_and(|t| !cx.existing(&t)) {
                return;
            }
            let word = match kind {
                K::ReindexObjectIndex => "INDEX",
                K::ReindexObjectSchema => "SCHEMA",
                K::ReindexObjectDatabase => "DATABASE",
                K::ReindexObjectSystem => "SYSTEM",
                _ => "TABLE",
            };
            let fix = if kind == K::ReindexObjectSystem {
                "REINDEX SYSTEM has no concurrent form: run it outside migrations, in a maintenance window (or REINDEX DATABASE CONCURRENTLY, which skips the system catalogs, on PostgreSQL 12+).".into()
            } else if cx.opts.pg_version >= 12 {
                cx.no_tx_fix(&format!(
                    "REINDEX {word} CONCURRENTLY {}",
                    names::show(&target)
                ))
            } else {
                "PostgreSQL before 12 has no REINDEX CONCURRENTLY: build a new index CONCURRENTLY, drop the old one CONCURRENTLY, rename.".into()
            };
            let message = match kind {
                K::ReindexObjectSystem => "REINDEX SYSTEM rebuilds every index of the database's system catalogs under their locks: every session's queries and DDL wait on the catalogs until it finishes".to_string(),
                K::ReindexObjectDatabase | K::ReindexObjectSchema => format!(
                    "REINDEX {word} {} rebuilds every index in it, one table at a time, each blocking writes to its table (and reads through the index) while it is rebuilt",
                    names::show(&target)
                ),
                _ => format!(
                    "REINDEX of {} blocks writes to the table (and reads through the index) until the rebuild finishes",
                    names::show(&target)
                ),
            };
            cx.push(out, &REINDEX_NON_CONCURRENTLY, -1, message, Some(fix));
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
        NodeEnum::AlterDomainStmt(d) if d.subtype == "C" => {
            let Some(NodeEnum::Constraint(c)) = d.def.as_ref().and_then(|n| n.node.as_ref()) else {
                return;
            };
            let domain = names::list_key(&d.type_name);
            let new = cx
                .schema
                .domains
                .get(&domain)
                .is_some_and(|c| cx.schema.is_new(*c));
            if contype(c) != ConstrType::ConstrCheck || c.skip_validation || new {
                return;
            }
            let sql = cx.text().trim_end().trim_end_matches(';');
            cx.push(out, &ADD_DOMAIN_CHECK_VALIDATING, -1, format!(
                "adding a CHECK to domain {} scans every table column of that domain, holding a SHARE lock on each table: writes to all of them wait",
                names::show(&domain)),
                Some(format!("{sql} NOT VALID;\n-- next migration:\nALTER DOMAIN {} VALIDATE CONSTRAINT {};",
                    names::show(&domain), if c.conname.is_empty() { "<name>".into() } else { names::ident(&c.conname) })));
        }
        NodeEnum::AlterTableMoveAllStmt(m) => {
            cx.push(out, &REWRITE_TABLE, -1, format!(
                "ALTER TABLE ALL IN TABLESPACE {} copies every matching table under an ACCESS EXCLUSIVE lock, one after another",
                names::ident(&m.orig_tablespacename)), None);
        }
        node => {
            let Some(a) = alter_table(node).filter(|a| cx.existing(&a.table)) else {
                return;
            };
            let emptied = state.emptied.contains(&a.table);
            for (cmd, kind, def) in &a.cmds {
                alter_existing(
                    cx, &a.table, a.rv, cmd, *kind, *def, emptied, state.utc, out,
                );
            }
            if cx.in_tx {
                validations(cx, state, &a, out);
            }
        }
    }
}

/// `VALIDATE CONSTRAINT` under a lock this transaction already holds: after the
/// NOT VALID ADD it validates (`validate-in-same-transaction`), or in one statement
/// with a subcommand that takes ACCESS EXCLUSIVE. Records NOT VALID ADDs for later.
fn validations(
    cx: &Ctx,
    state: &mut MigrationState,
    a: &super::AlterTable,
    out: &mut Vec<Finding>,
) {
    let t = names::show(&a.table);
    let heavy = a
        .cmds
        .iter()
        .find(|(_, kind, def)| takes_access_exclusive(*kind, *def));
    for (cmd, kind, def) in &a.cmds {
        match (kind, def) {
            (AlterTableType::AtAddConstraint, Some(NodeEnum::Constraint(c)))
                if c.skip_validation =>
            {
                let lock = if contype(c) == ConstrType::ConstrForeign {
                    "SHARE ROW EXCLUSIVE (on both tables)"
                } else {
                    "ACCESS EXCLUSIVE"
                };
                state
                    .not_valid
                    .push((a.table.clone(), c.conname.clone(), cx.stmt.line, lock));
            }
            (AlterTableType::AtValidateConstraint, _) => {
                let con = names::ident(&cmd.name);
                if let Some((_, _, line, lock)) = state
                    .not_valid
                    .iter()
                    .find(|(tab, name, ..)| tab == &a.table && name == &cmd.name)
                {
                    cx.push(out, &VALIDATE_IN_SAME_TRANSACTION, a.rv.location, format!(
                        "VALIDATE CONSTRAINT {con} on {t} runs in the transaction that added it NOT VALID (line {line}): its scan runs under the {lock} lock the ADD holds until COMMIT"),
                        Some(format!("Move `ALTER TABLE {t} VALIDATE CONSTRAINT {con};` to a later migration.")));
                } else if let Some((other, ..)) = heavy {
                    state.reported_after_exclusive = true;
                    cx.push(out, &STATEMENTS_AFTER_ACCESS_EXCLUSIVE, a.rv.location, format!(
                        "VALIDATE CONSTRAINT {con} scans {t} in the same statement as {}, which takes an ACCESS EXCLUSIVE lock: the table is unavailable for the whole scan",
                        subcommand(other)),
                        Some(format!("Run `ALTER TABLE {t} VALIDATE CONSTRAINT {con};` as a statement of its own, in its own migration.")));
                }
            }
            _ => {}
        }
    }
}

/// The words of an `ALTER TABLE` subcommand, for messages.
fn subcommand(cmd: &AlterTableCmd) -> String {
    let kind = AlterTableType::try_from(cmd.subtype).unwrap_or(AlterTableType::Undefined);
    let col = names::ident(&cmd.name);
    match kind {
        AlterTableType::AtDropColumn => format!("DROP COLUMN {col}"),
        AlterTableType::AtAddColumn => "ADD COLUMN".into(),
        AlterTableType::AtAlterColumnType => format!("ALTER COLUMN {col} TYPE"),
        AlterTableType::AtSetNotNull => format!("ALTER COLUMN {col} SET NOT NULL"),
        AlterTableType::AtDropNotNull => format!("ALTER COLUMN {col} DROP NOT NULL"),
        AlterTableType::AtAddConstraint => "ADD CONSTRAINT".into(),
        AlterTableType::AtDropConstraint => format!("DROP CONSTRAINT {col}"),
        _ => "another subcommand".into(),
    }
}

/// The lock an `ALTER TABLE` subcommand takes (PostgreSQL's AlterTableGetLockLevel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// SHARE UPDATE EXCLUSIVE: reads and writes go on.
    ShareUpdate,
    /// SHARE ROW EXCLUSIVE: writes wait (triggers, foreign keys).
    ShareRow,
    /// ACCESS EXCLUSIVE: everything waits.
    Access,
}

fn level(kind: AlterTableType, def: Option<&NodeEnum>) -> Level {
    use AlterTableType as K;
    match kind {
        K::AtValidateConstraint
        | K::AtSetStatistics
        | K::AtClusterOn
        | K::AtDropCluster
        | K::AtSetOptions
        | K::AtResetOptions
        | K::AtSetRelOptions
        | K::AtResetRelOptions
        | K::AtAttachPartition => Level::ShareUpdate,
        K::AtDetachPartition if matches!(def, Some(NodeEnum::PartitionCmd(p)) if p.concurrent) => {
            Level::ShareUpdate
        }
        K::AtEnableTrig
        | K::AtEnableAlwaysTrig
        | K::AtEnableReplicaTrig
        | K::AtEnableTrigAll
        | K::AtEnableTrigUser
        | K::AtDisableTrig
        | K::AtDisableTrigAll
        | K::AtDisableTrigUser => Level::ShareRow,
        K::AtAddConstraint if matches!(def, Some(NodeEnum::Constraint(c)) if contype(c) == ConstrType::ConstrForeign) => {
            Level::ShareRow
        }
        _ => Level::Access,
    }
}

fn takes_access_exclusive(kind: AlterTableType, def: Option<&NodeEnum>) -> bool {
    level(kind, def) == Level::Access
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
    utc: bool,
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
            // `USING col::newtype` is the same as no USING (Django writes it).
            let using = d
                .raw_default
                .as_ref()
                .and_then(|e| e.node.as_ref())
                .is_some_and(|e| !is_plain_cast(e, &cmd.name, new));
            if let Some(old) = old {
                if !using && binary_coercible(old, new) {
                    rebuilt_indexes(cx, table, &cmd.name, d.location, out);
                    rechecked(cx, table, &cmd.name, d.location, out);
                    return;
                }
                // PostgreSQL 12+ skips the rewrite between timestamp and timestamptz
                // when the session's time zone is UTC.
                let pair = (old.type_name.as_str(), schema::type_name(new));
                if !using
                    && utc
                    && cx.opts.pg_version >= 12
                    && matches!(
                        (pair.0, pair.1.as_str()),
                        ("timestamp", "timestamptz") | ("timestamptz", "timestamp")
                    )
                {
                    rebuilt_indexes(cx, table, &cmd.name, d.location, out);
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
            let checked = cx.schema.has_valid_not_null_check(table, &cmd.name);
            if checked && cx.opts.pg_version >= 12 {
                return;
            }
            // A table the model does not know, with a constraint validated earlier
            // whose definition is unknown: it may prove the column non-null.
            if let Some(validated) = cx
                .schema
                .validated_unknown
                .get(table)
                .filter(|v| !v.is_empty() && cx.opts.pg_version >= 12)
            {
                let mut f = cx.finding(
                    &SET_NOT_NULL,
                    rv.location,
                    format!(
                        "SET NOT NULL on {t}.{col}: sqlgate cannot tell whether it scans the table under an ACCESS EXCLUSIVE lock — {} was validated earlier, but its definition was made outside the migrations; if it is `CHECK ({col} IS NOT NULL)`, PostgreSQL skips the scan",
                        validated
                            .iter()
                            .map(|c| names::ident(c))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                f.severity = crate::model::Severity::Warning;
                out.push(f);
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
        (
            AlterTableType::AtSetLogged
            | AlterTableType::AtSetUnLogged
            | AlterTableType::AtSetTableSpace
            | AlterTableType::AtSetAccessMethod,
            _,
        ) => {
            let what = match kind {
                AlterTableType::AtSetLogged => "SET LOGGED rewrites".to_string(),
                AlterTableType::AtSetUnLogged => "SET UNLOGGED rewrites".to_string(),
                AlterTableType::AtSetTableSpace => {
                    format!("SET TABLESPACE {} copies", names::ident(&cmd.name))
                }
                _ => "SET ACCESS METHOD rewrites".to_string(),
            };
            cx.push(
                out,
                &REWRITE_TABLE,
                rv.location,
                format!("{what} {t} and its indexes under an ACCESS EXCLUSIVE lock: no reads or writes until it finishes"),
                None,
            );
        }
        (AlterTableType::AtDetachPartition, Some(NodeEnum::PartitionCmd(p)))
            if !p.concurrent && cx.opts.pg_version >= 14 =>
        {
            let part = p.name.as_ref().map(names::range_var).unwrap_or_default();
            cx.push(
                out,
                &DETACH_PARTITION_NON_CONCURRENTLY,
                rv.location,
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
        let volatile = volatile_call(cx, expr, 0);
        if volatile.is_some() || cx.opts.pg_version < 11 {
            let why = match &volatile {
                Some((f, true)) => {
                    format!("its default calls {f}(), which is volatile (evaluated per row)")
                }
                Some((f, false)) => format!(
                    "its default calls {f}(), a function of unknown volatility — PostgreSQL treats a function as volatile unless it is declared IMMUTABLE or STABLE (if {f} is, its CREATE FUNCTION in an earlier migration tells sqlgate; or silence this with `-- sqlgate:ignore add-column-volatile-default`)"
                ),
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
        ConstrType::ConstrPrimary => {
            // USING INDEX: PostgreSQL sets the key columns NOT NULL, scanning the
            // table under ACCESS EXCLUSIVE when one is still nullable.
            let Some(tab) = cx.schema.tables.get(table) else {
                return;
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
                return;
            }
            let cols = nullable
                .iter()
                .map(|c| names::ident(c))
                .collect::<Vec<_>>()
                .join(", ");
            cx.push(out, &ADD_PRIMARY_KEY, loc, format!(
                "PRIMARY KEY USING INDEX {} on {t}: {cols} may hold NULLs, so PostgreSQL sets them NOT NULL first, scanning the table under an ACCESS EXCLUSIVE lock"
                , names::ident(&c.indexname)),
                Some(format!("Make {cols} NOT NULL without a scan first (CHECK (… IS NOT NULL) NOT VALID, VALIDATE in a later migration, then SET NOT NULL), then add the primary key USING INDEX.")));
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
            let strongest = nodes(&a.cmds)
                .filter_map(|n| match n {
                    NodeEnum::AlterTableCmd(c) => Some(level(
                        AlterTableType::try_from(c.subtype).unwrap_or(AlterTableType::Undefined),
                        c.def.as_ref().and_then(|d| d.node.as_ref()),
                    )),
                    _ => None,
                })
                .max()?;
            (strongest > Level::ShareUpdate).then_some((table, strongest == Level::Access))
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
        NodeEnum::DropStmt(d) if d.remove_type == ObjectType::ObjectTrigger as i32 => {
            // `DROP TRIGGER t ON tab`: objects are [schema?, table, trigger].
            nodes(&d.objects)
                .filter_map(|o| match o {
                    NodeEnum::List(l) => {
                        let parts = names::strings(&l.items);
                        (parts.len() >= 2).then(|| parts[..parts.len() - 1].join("."))
                    }
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
        // A scan of a constraint, or another table's lock (and its wait).
        NodeEnum::AlterTableStmt(a) => {
            other_existing(&a.relation)
                || (a
                    .relation
                    .as_ref()
                    .is_some_and(|rv| cx.existing(&names::range_var(rv)))
                    && nodes(&a.cmds).any(|n| {
                        matches!(n, NodeEnum::AlterTableCmd(c)
                        if c.subtype == AlterTableType::AtValidateConstraint as i32)
                    }))
        }
        // Reading existing tables: SELECT count(*) FROM big, CREATE TABLE … AS SELECT.
        NodeEnum::SelectStmt(_) | NodeEnum::CreateTableAsStmt(_) => reads_existing(cx, node),
        NodeEnum::RenameStmt(r) => unbounded_wait && other_existing(&r.relation),
        NodeEnum::CreateTrigStmt(t) => unbounded_wait && other_existing(&t.relation),
        NodeEnum::LockStmt(_) | NodeEnum::TruncateStmt(_) => unbounded_wait,
        _ => false,
    }
}

/// True when a query reads a table that existed before this change.
fn reads_existing(cx: &Ctx, node: &NodeEnum) -> bool {
    // The table a CREATE TABLE … AS / SELECT … INTO creates is not read.
    let target = match node {
        NodeEnum::CreateTableAsStmt(c) => c.into.as_ref().and_then(|i| i.rel.as_ref()),
        NodeEnum::SelectStmt(s) => s.into_clause.as_ref().and_then(|i| i.rel.as_ref()),
        _ => None,
    }
    .map(names::range_var);
    node.nodes().into_iter().any(|(n, ..)| {
        matches!(n, pg_query::NodeRef::RangeVar(rv)
            if !rv.relname.is_empty()
                && target.as_deref() != Some(names::range_var(rv).as_str())
                && cx.existing(&names::range_var(rv)))
    })
}

/// Functions that are not volatile and may appear in column defaults. Unknown
/// functions count as volatile — PostgreSQL's default for CREATE FUNCTION — and are
/// reported as of unknown volatility.
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

/// Functions PostgreSQL declares volatile that defaults commonly call.
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "setval",
    "random_normal",
    "txid_current",
    "pg_current_xact_id",
];

/// How many arguments well-known functions take (PostgreSQL 10 to 18).
const ARITY: &[(&str, &[usize])] = &[
    ("now", &[0]),
    ("transaction_timestamp", &[0]),
    ("statement_timestamp", &[0]),
    ("clock_timestamp", &[0]),
    ("timeofday", &[0]),
    ("random", &[0, 2]),
    ("gen_random_uuid", &[0]),
    ("uuid_generate_v4", &[0]),
    ("uuidv4", &[0]),
    ("uuidv7", &[0, 1]),
    ("txid_current", &[0]),
    ("pg_current_xact_id", &[0]),
];

/// The first function a default expression calls that may be volatile, and whether
/// it is known to be (`false`: unknown volatility, volatile by PostgreSQL's default).
fn volatile_call(cx: &Ctx, node: &NodeEnum, depth: usize) -> Option<(String, bool)> {
    if depth > 64 {
        return None;
    }
    let sub = |n: &Option<Box<Node>>| {
        n.as_ref()
            .and_then(|n| n.node.as_ref())
            .and_then(|n| volatile_call(cx, n, depth + 1))
    };
    let list = |l: &[Node]| nodes(l).find_map(|n| volatile_call(cx, n, depth + 1));
    match node {
        NodeEnum::FuncCall(f) => {
            let name = names::strings(&f.funcname)
                .last()
                .cloned()
                .unwrap_or_default()
                .to_lowercase();
            // A known name with arguments it does not take is not that function
            // (`now(123)`): its volatility is unknown (or PostgreSQL rejects it).
            if let Some((_, counts)) = ARITY.iter().find(|(n, _)| *n == name) {
                if !counts.contains(&f.args.len()) && !cx.schema.functions.contains_key(&name) {
                    return Some((format!("{name} with {} argument(s)", f.args.len()), false));
                }
            }
            if VOLATILE.contains(&name.as_str()) {
                return Some((name, true));
            }
            match cx.schema.functions.get(&name).map(String::as_str) {
                Some("volatile") => return Some((name, true)),
                Some(_) => {}
                None if !NON_VOLATILE.contains(&name.as_str()) => return Some((name, false)),
                None => {}
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
        NodeEnum::SubLink(_) => Some(("a subquery".into(), true)),
        _ => None,
    }
}

/// True when `expr` is just the column cast to `new` (`kind::varchar(1000)`).
fn is_plain_cast(expr: &NodeEnum, column: &str, new: &TypeName) -> bool {
    let NodeEnum::TypeCast(c) = expr else {
        return false;
    };
    let Some(NodeEnum::ColumnRef(r)) = c.arg.as_ref().and_then(|a| a.node.as_ref()) else {
        return false;
    };
    let same_type = c.type_name.as_ref().is_some_and(|t| {
        schema::type_name(t) == schema::type_name(new)
            && schema::typmods(t) == schema::typmods(new)
            && t.array_bounds.len() == new.array_bounds.len()
    });
    same_type && names::strings(&r.fields).last().map(String::as_str) == Some(column)
}

/// A type change that keeps the table: the indexes of `table` (older than this
/// change) whose expressions or predicates use `column` are rebuilt all the same.
fn rebuilt_indexes(cx: &Ctx, table: &str, column: &str, location: i32, out: &mut Vec<Finding>) {
    let mut rebuilt: Vec<&str> = cx
        .schema
        .indexes
        .iter()
        .filter(|(key, (t, created))| {
            t == table
                && !cx.schema.is_new(*created)
                && cx
                    .schema
                    .index_expression_columns
                    .get(*key)
                    .is_some_and(|cols| cols.iter().any(|c| c == column))
        })
        .map(|(key, _)| key.as_str())
        .collect();
    if rebuilt.is_empty() {
        return;
    }
    rebuilt.sort();
    let list = rebuilt
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.push(
        out,
        &ALTER_COLUMN_TYPE_REBUILDS_INDEX,
        location,
        format!(
            "changing the type of {}.{} rewrites no rows, but PostgreSQL rebuilds {list} (an expression or predicate uses the column) under an ACCESS EXCLUSIVE lock on {}",
            names::show(table),
            names::ident(column),
            names::show(table)
        ),
        None,
    );
}

/// A type change without a rewrite still re-checks the CHECK constraints that use the
/// column: a full scan under ACCESS EXCLUSIVE.
fn rechecked(cx: &Ctx, table: &str, column: &str, location: i32, out: &mut Vec<Finding>) {
    if !cx.existing(table) {
        return;
    }
    let Some(t) = cx.schema.tables.get(table) else {
        return;
    };
    let mut names: Vec<&str> = t
        .checks
        .iter()
        .filter(|(_, cols)| cols.iter().any(|c| c == column || c == "*"))
        .map(|(n, _)| n.as_str())
        .collect();
    // A NOT NULL check is re-checked too, but it is a `not_null_checks` entry as well.
    names.sort();
    names.dedup();
    if names.is_empty() {
        return;
    }
    cx.push(
        out,
        &ALTER_COLUMN_TYPE_RECHECKS,
        location,
        format!(
            "changing the type of {}.{} rewrites no rows, but PostgreSQL re-checks {} on every row: a full scan of {} under an ACCESS EXCLUSIVE lock",
            names::show(table),
            names::ident(column),
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", "),
            names::show(table)
        ),
        None,
    );
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
        // citext's casts to and from text are binary-coercible (a length limit on
        // the target is a check, not a cast without one).
        ("citext", "text") | ("text", "citext") | ("varchar", "citext") => true,
        ("citext", "varchar") => new_mods.is_empty(),
        // Temporal types: raising the fractional-second precision, dropping it, or
        // setting it to 6 (the maximum) rewrites nothing; lowering it does.
        ("timestamp", "timestamp")
        | ("timestamptz", "timestamptz")
        | ("time", "time")
        | ("timetz", "timetz") => {
            let old_p = old.typmods.first().copied().unwrap_or(6);
            new_mods.first().is_none_or(|&n| n >= old_p)
        }
        ("interval", "interval") => {
            // `interval(p)` is (full range, p); a field restriction is not a widening.
            const FULL_RANGE: i64 = 32767;
            let precision = |m: &[i64]| match m {
                [] => Some(6),
                [FULL_RANGE] => Some(6),
                [FULL_RANGE, p] => Some(*p),
                _ => None,
            };
            match (precision(&old.typmods), precision(&new_mods)) {
                (Some(o), Some(n)) => new_mods.is_empty() || n >= o,
                _ => false,
            }
        }
        _ => false,
    }
}
