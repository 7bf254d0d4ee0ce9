//! The locking and rewrite rules against PostgreSQL itself: for each rule's statement,
//! the lock PostgreSQL really takes (from `pg_locks`, inside the transaction) and
//! whether it really rewrites the table (its `relfilenode` changes) — and that the
//! rule's documentation names that lock, so the docs cannot drift from the server.
//! Look-alikes check that what sqlgate calls safe takes no blocking lock or rewrite.

use crate::support::pg::*;
use crate::support::*;

const SETUP: &str = "
    CREATE TABLE u (id bigint PRIMARY KEY);
    INSERT INTO u SELECT generate_series(1, 10);
    CREATE TABLE t (id bigint PRIMARY KEY, a int, v varchar(100), at timestamp, u_id bigint);
    INSERT INTO t SELECT i, i, 'x', now(), 1 FROM generate_series(1, 100) i;
    CREATE INDEX t_a_idx ON t (a);
    CREATE UNIQUE INDEX t_id_uq ON t (id);
    CREATE MATERIALIZED VIEW mv AS SELECT 1 AS x;
    CREATE DOMAIN email AS text;
    CREATE TABLE d (e email);
    CREATE TABLE p (id bigint);
    CREATE UNIQUE INDEX p_id ON p (id);
    CREATE TABLE m (at date) PARTITION BY RANGE (at);
    CREATE TABLE m_2023 PARTITION OF m FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
    CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION noop();
    ALTER TABLE t ADD CONSTRAINT a_pos CHECK (a > 0) NOT VALID;
    CREATE TABLE k (id int, keyword varchar(100), name varchar(50));
    INSERT INTO k SELECT i, 'w' || i, 'n' FROM generate_series(1, 100) i;
    CREATE INDEX k_plain ON k (keyword);
    CREATE INDEX k_lower ON k (lower(keyword));
    CREATE INDEX k_name ON k (name);
    CREATE EXTENSION IF NOT EXISTS citext;
    CREATE TABLE ci (id int, email citext, note text);
    INSERT INTO ci SELECT i, 'a' || i, 'n' FROM generate_series(1, 100) i;
    CREATE TABLE tp (at timestamp(3), at6 timestamp(6), tt time(3), iv interval(3));
    INSERT INTO tp SELECT now(), now(), now(), '1 day' FROM generate_series(1, 100);
    CREATE TABLE ck (id int, email varchar(100) CHECK (email LIKE '%x%'));
    INSERT INTO ck SELECT i, 'x' FROM generate_series(1, 100) i;
";

/// One statement: the rule sqlgate reports for it (`None`: none of the locking rules),
/// the table to watch, the strongest lock PostgreSQL takes on it (empty: none), and
/// whether it rewrites it.
struct Case {
    rule: Option<&'static str>,
    sql: &'static str,
    table: &'static str,
    lock: &'static str,
    rewrite: bool,
}

const CASES: &[Case] = &[
    Case { rule: Some("create-index-non-concurrently"), sql: "CREATE INDEX t_v_idx ON t (v)", table: "t", lock: "ShareLock", rewrite: false },
    Case { rule: Some("drop-index-non-concurrently"), sql: "DROP INDEX t_a_idx", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("reindex-non-concurrently"), sql: "REINDEX TABLE t", table: "t", lock: "ShareLock", rewrite: false },
    Case { rule: Some("add-foreign-key-validating"), sql: "ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id)", table: "t", lock: "ShareRowExclusiveLock", rewrite: false },
    Case { rule: Some("add-foreign-key-validating"), sql: "ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id)", table: "u", lock: "ShareRowExclusiveLock", rewrite: false },
    Case { rule: Some("add-check-validating"), sql: "ALTER TABLE t ADD CONSTRAINT a_small CHECK (a < 1000)", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("add-unique-constraint"), sql: "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("add-primary-key"), sql: "ALTER TABLE p ADD PRIMARY KEY (id)", table: "p", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("add-primary-key"), sql: "ALTER TABLE p ADD CONSTRAINT p_pkey PRIMARY KEY USING INDEX p_id", table: "p", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("add-exclusion-constraint"), sql: "ALTER TABLE t ADD CONSTRAINT a_ex EXCLUDE USING btree (a WITH =)", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("set-not-null"), sql: "ALTER TABLE t ALTER COLUMN a SET NOT NULL", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("add-column-volatile-default"), sql: "ALTER TABLE t ADD COLUMN r float8 DEFAULT random()", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("add-column-serial"), sql: "ALTER TABLE t ADD COLUMN seq bigserial", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("add-column-generated-stored"), sql: "ALTER TABLE t ADD COLUMN a2 int GENERATED ALWAYS AS (a * 2) STORED", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("alter-column-type"), sql: "ALTER TABLE t ALTER COLUMN a TYPE bigint", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("alter-column-type"), sql: "SET LOCAL timezone = 'Europe/Paris'; ALTER TABLE t ALTER COLUMN at TYPE timestamptz", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("cluster"), sql: "CLUSTER t USING t_a_idx", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("refresh-matview-non-concurrently"), sql: "REFRESH MATERIALIZED VIEW mv", table: "mv", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("rewrite-table"), sql: "ALTER TABLE t SET UNLOGGED", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("rewrite-table"), sql: "ALTER TABLE t SET ACCESS METHOD heap2", table: "t", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("detach-partition-non-concurrently"), sql: "ALTER TABLE m DETACH PARTITION m_2023", table: "m", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("detach-partition-non-concurrently"), sql: "ALTER TABLE m DETACH PARTITION m_2023", table: "m_2023", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("add-domain-check-validating"), sql: "ALTER DOMAIN email ADD CONSTRAINT email_at CHECK (VALUE LIKE '%@%')", table: "d", lock: "ShareLock", rewrite: false },
    Case { rule: Some("validate-in-same-transaction"), sql: "ALTER TABLE t ADD CONSTRAINT a_big CHECK (a > -1) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT a_big", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("validate-in-same-transaction"), sql: "ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID; ALTER TABLE t VALIDATE CONSTRAINT t_u_fk", table: "u", lock: "ShareRowExclusiveLock", rewrite: false },
    // varchar → text rewrites no rows, but an index whose expression uses the column
    // is built again (its relfilenode changes); a plain index keeps its storage.
    Case { rule: Some("alter-column-type-rebuilds-index"), sql: "ALTER TABLE k ALTER COLUMN keyword TYPE text", table: "k", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: Some("alter-column-type-rebuilds-index"), sql: "ALTER TABLE k ALTER COLUMN keyword TYPE text", table: "k_lower", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("alter-column-type-rebuilds-index"), sql: "ALTER TABLE k ALTER COLUMN keyword TYPE text", table: "k_plain", lock: "AccessExclusiveLock", rewrite: false },
    // A precision lowered rewrites; a type change that rewrites nothing still
    // re-checks the CHECK constraints on the column (under ACCESS EXCLUSIVE).
    Case { rule: Some("alter-column-type"), sql: "ALTER TABLE tp ALTER COLUMN at6 TYPE timestamp(3)", table: "tp", lock: "AccessExclusiveLock", rewrite: true },
    Case { rule: Some("alter-column-type-rechecks"), sql: "ALTER TABLE ck ALTER COLUMN email TYPE text", table: "ck", lock: "AccessExclusiveLock", rewrite: false },
    // citext's casts and temporal precision raised, dropped or set to 6: no rewrite.
    Case { rule: None, sql: "ALTER TABLE ci ALTER COLUMN email TYPE text", table: "ci", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE ci ALTER COLUMN note TYPE citext", table: "ci", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE tp ALTER COLUMN at TYPE timestamp(6)", table: "tp", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE tp ALTER COLUMN at6 TYPE timestamp", table: "tp", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE tp ALTER COLUMN tt TYPE time(6)", table: "tp", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE tp ALTER COLUMN iv TYPE interval", table: "tp", lock: "AccessExclusiveLock", rewrite: false },
    // What sqlgate calls safe, or lighter than the rules above.
    Case { rule: None, sql: "ALTER TABLE k ALTER COLUMN name TYPE text", table: "k_name", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE t VALIDATE CONSTRAINT a_pos", table: "t", lock: "ShareUpdateExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE t SET (fillfactor = 70)", table: "t", lock: "ShareUpdateExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE t ADD CONSTRAINT t_u_fk FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID", table: "u", lock: "ShareRowExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE t ALTER COLUMN v TYPE varchar(1000) USING v::varchar(1000)", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE t ALTER COLUMN v TYPE text", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "SET LOCAL timezone = 'UTC'; ALTER TABLE t ALTER COLUMN at TYPE timestamptz", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER TABLE t ADD COLUMN flag boolean NOT NULL DEFAULT true", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "CREATE TRIGGER trg2 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION noop()", table: "t", lock: "ShareRowExclusiveLock", rewrite: false },
    Case { rule: None, sql: "DROP TRIGGER trg ON t", table: "t", lock: "AccessExclusiveLock", rewrite: false },
    Case { rule: None, sql: "ALTER DOMAIN email ADD CONSTRAINT email_at CHECK (VALUE LIKE '%@%') NOT VALID", table: "d", lock: "", rewrite: false },
];

/// PostgreSQL's lock modes, weakest first.
const MODES: &[&str] = &[
    "AccessShareLock",
    "RowShareLock",
    "RowExclusiveLock",
    "ShareUpdateExclusiveLock",
    "ShareLock",
    "ShareRowExclusiveLock",
    "ExclusiveLock",
    "AccessExclusiveLock",
];

/// How the documentation names a mode.
fn words(mode: &str) -> &'static str {
    match mode {
        "AccessExclusiveLock" => "ACCESS EXCLUSIVE",
        "ShareRowExclusiveLock" => "SHARE ROW EXCLUSIVE",
        "ShareUpdateExclusiveLock" => "SHARE UPDATE EXCLUSIVE",
        "ShareLock" => "SHARE lock",
        _ => "",
    }
}

/// (strongest lock held on `table`, whether its relfilenode changed) after `sql`,
/// inside a transaction that is then rolled back.
fn observe(url: &str, sql: &str, table: &str) -> (String, bool) {
    rt().block_on(async {
        let c = client(url).await;
        let filenode = || async {
            c.query_one(
                "SELECT relfilenode FROM pg_class WHERE oid = $1::text::regclass",
                &[&table],
            )
            .await
            .expect("relfilenode")
            .get::<_, u32>(0)
        };
        let before = filenode().await;
        c.batch_execute("BEGIN").await.expect("begin");
        c.batch_execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        let modes: Vec<String> = c
            .query(
                "SELECT mode FROM pg_locks WHERE locktype = 'relation' AND granted
                   AND pid = pg_backend_pid() AND relation = $1::text::regclass",
                &[&table],
            )
            .await
            .expect("pg_locks")
            .iter()
            .map(|r| r.get(0))
            .collect();
        let after = filenode().await;
        c.batch_execute("ROLLBACK").await.expect("rollback");
        let strongest = MODES
            .iter()
            .rev()
            .find(|m| modes.iter().any(|x| x == *m))
            .map(|m| m.to_string())
            .unwrap_or_default();
        (strongest, before != after)
    })
}

#[test]
fn each_locking_rule_takes_the_lock_and_rewrite_its_documentation_says() {
    let url = fresh_db();
    query(&url, SETUP);
    query(
        &url,
        "CREATE ACCESS METHOD heap2 TYPE TABLE HANDLER heap_tableam_handler",
    );
    // What sqlgate says of each statement, against the same schema as shipped.
    let (_t, dir) = repo();
    migrations(&dir, &[("001_setup.sql", SETUP)]);
    commit_all(&dir, "shipped");
    for (i, case) in CASES.iter().enumerate() {
        let (lock, rewrote) = observe(&url, case.sql, case.table);
        assert_eq!(lock, case.lock, "{}: the lock on {}", case.sql, case.table);
        assert_eq!(
            rewrote, case.rewrite,
            "{}: rewrite of {}",
            case.sql, case.table
        );

        let file = format!("{:03}_case.sql", i + 2);
        write(
            dir.join("migrations").join(&file),
            format!("{};\n", case.sql),
        );
        let (_, report) = check_json(&dir, &["--base", "HEAD"]);
        let fired: Vec<String> = rules(&report);
        std::fs::remove_file(dir.join("migrations").join(&file)).expect("remove");
        let locking: Vec<&str> = sqlgate_core::rules::registry::ALL
            .iter()
            .filter(|r| r.category == "Locking and rewrites")
            .map(|r| r.id)
            .filter(|id| {
                !["missing-lock-timeout", "statements-after-access-exclusive"].contains(id)
            })
            .collect();
        match case.rule {
            Some(rule) => {
                assert!(
                    fired.iter().any(|f| f == rule),
                    "{}: expected {rule}, got {fired:?}",
                    case.sql
                );
                let doc = sqlgate_core::rules::registry::ALL
                    .iter()
                    .find(|r| r.id == rule)
                    .map(|r| format!("{} {}", r.why, r.summary))
                    .unwrap_or_default();
                assert!(
                    doc.contains(words(case.lock)),
                    "{rule}'s documentation should name {}: {doc}",
                    words(case.lock)
                );
                if case.rewrite {
                    assert!(
                        doc.to_lowercase().contains("rewrit") || doc.contains("refresh"),
                        "{rule} should say it rewrites: {doc}"
                    );
                }
            }
            None => assert!(
                !fired.iter().any(|f| locking.contains(&f.as_str())),
                "{}: no locking rule should fire, got {fired:?}",
                case.sql
            ),
        }
    }
}

/// VACUUM FULL cannot run in a transaction, so its rewrite is observed from outside.
#[test]
fn vacuum_full_rewrites_as_its_rule_says() {
    let url = fresh_db();
    query(
        &url,
        "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100);",
    );
    let node = || query(&url, "SELECT relfilenode FROM pg_class WHERE relname = 't'");
    let before = node();
    query(&url, "VACUUM FULL t");
    assert_ne!(node(), before);
    let why = sqlgate_core::rules::sql::locking::VACUUM_FULL.why;
    assert!(
        why.contains("Rewrites") && why.contains("ACCESS EXCLUSIVE"),
        "{why}"
    );
    query(&url, "VACUUM t");
    let after_plain = node();
    query(&url, "VACUUM (ANALYZE) t");
    assert_eq!(
        node(),
        after_plain,
        "plain VACUUM, the rule's fix, does not rewrite"
    );
}

/// `ALTER SCHEMA … RENAME TO` breaks queries that name the schema, and sqlgate says so.
#[test]
fn renaming_a_schema_breaks_queries_that_name_it() {
    let url = fresh_db();
    query(&url, "CREATE SCHEMA pub; CREATE TABLE pub.t_pub (id int)");
    query(&url, "ALTER SCHEMA pub RENAME TO pub2");
    let broken = rt().block_on(async {
        let c = client(&url).await;
        c.batch_execute("SELECT * FROM pub.t_pub").await.is_err()
    });
    assert!(broken, "a query naming the old schema fails");
    let (_t, dir) = repo();
    migrations(&dir, &[("001_s.sql", "CREATE SCHEMA pub;\n")]);
    commit_all(&dir, "shipped");
    write(
        dir.join("migrations/002_r.sql"),
        "ALTER SCHEMA pub RENAME TO pub2;\n",
    );
    let (_, report) = check_json(&dir, &["--base", "HEAD"]);
    assert!(
        rules(&report).contains(&"rename-schema".to_string()),
        "{report}"
    );
}

/// `ALTER INDEX … SET TABLESPACE` copies the index under ACCESS EXCLUSIVE (its
/// relfilenode changes), and sqlgate reports it.
#[test]
fn moving_an_index_to_another_tablespace_copies_it_under_access_exclusive() {
    let url = fresh_db();
    let data = query(&url, "SHOW data_directory").pop().unwrap_or_default();
    // A directory the server's user owns, beside its data directory.
    let dir = std::path::Path::new(&data)
        .parent()
        .map(|p| p.join(format!("ts_{}", std::process::id())))
        .expect("the data directory has a parent");
    std::fs::create_dir_all(&dir).expect("tablespace directory");
    let meta = std::fs::metadata(&data).expect("data directory");
    use std::os::unix::fs::MetadataExt;
    std::os::unix::fs::chown(&dir, Some(meta.uid()), Some(meta.gid())).expect("chown");
    let ts = format!("ts_{}", std::process::id());
    query(
        &url,
        &format!("CREATE TABLESPACE {ts} LOCATION '{}'", dir.display()),
    );
    query(
        &url,
        "CREATE TABLE ti (id int); INSERT INTO ti SELECT generate_series(1, 100); CREATE INDEX ti_id ON ti (id)",
    );
    let (lock, rewrote) = observe(
        &url,
        &format!("ALTER INDEX ti_id SET TABLESPACE {ts}"),
        "ti_id",
    );
    assert_eq!(lock, "AccessExclusiveLock");
    assert!(rewrote, "the index is copied to a new file");
    query(&url, "DROP TABLE ti");
    query(&admin_url(), &format!("DROP TABLESPACE IF EXISTS {ts}"));
    let (_t, repo_dir) = repo();
    migrations(
        &repo_dir,
        &[(
            "001_t.sql",
            "CREATE TABLE ti (id int);\nCREATE INDEX ti_id ON ti (id);\n",
        )],
    );
    commit_all(&repo_dir, "shipped");
    write(
        repo_dir.join("migrations/002_move.sql"),
        format!("ALTER INDEX ti_id SET TABLESPACE {ts};\n"),
    );
    let (_, report) = check_json(&repo_dir, &["--base", "HEAD"]);
    assert!(
        rules(&report).contains(&"rewrite-table".to_string()),
        "{report}"
    );
}
