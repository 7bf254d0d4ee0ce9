//! The seed teams switching with nothing lost, each defect of issue 21 in its exact
//! situation: two files that share a version (seed 001), a renamed file, a refresh
//! that would refuse its own apply, CRLF files hashed as written (seed 003), files
//! that manage their own transaction (seed 002), other tools' no-transaction markers,
//! placeholders inside DO bodies, and rollback on a database without history.
//! Real binary, real files, a real PostgreSQL.

use crate::support::pg::*;
use crate::support::*;
use std::path::Path;

fn apply(dir: &Path, url: &str, extra: &[&str]) -> Run {
    let mut a = vec!["apply", "--database-url", url];
    a.extend_from_slice(extra);
    sg(dir, &a)
}

/// Seed 001's runner: `schema_migrations(migration_name, checksum SHA-256, …)`.
fn seed_001_table(url: &str, files: &[(&str, &str)]) {
    query(
        url,
        "CREATE TABLE schema_migrations (id SERIAL PRIMARY KEY, migration_name VARCHAR(255) UNIQUE NOT NULL,
           applied_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), execution_time_ms INTEGER, checksum VARCHAR(64),
           applied_by VARCHAR(255) DEFAULT current_user)",
    );
    for (name, sql) in files {
        query(url, sql);
        query(
            url,
            &format!(
                "INSERT INTO schema_migrations (migration_name, execution_time_ms, checksum) VALUES ('{name}', 5, encode(sha256(convert_to({}, 'UTF8')), 'hex'))",
                literal(sql)
            ),
        );
    }
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

const INITIAL: &str = "CREATE TABLE users (id bigint PRIMARY KEY);\n";
const THREADS: &str = "CREATE TABLE threads (id bigint PRIMARY KEY);\n";
const POSTS: &str = "CREATE TABLE posts (id bigint PRIMARY KEY);\n";

#[test]
fn two_files_that_share_a_version_are_adopted_and_recorded_one_row_each() {
    let t = tempfile::tempdir().expect("tempdir");
    let files = [
        ("001_add_message_threading_and_search.sql", THREADS),
        ("001_create_initial_schema.sql", INITIAL),
        ("002_posts.sql", POSTS),
    ];
    migrations(t.path(), &files);
    let url = fresh_db();
    seed_001_table(&url, &files);
    let r = sg(t.path(), &["adopt", "--dry-run", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = sg(t.path(), &["adopt", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(
            &url,
            "SELECT version || ' ' || name FROM sqlgate_migrations ORDER BY version, name"
        ),
        [
            "1 001_add_message_threading_and_search",
            "1 001_create_initial_schema",
            "2 002_posts"
        ]
    );
    // Nothing runs again; a new migration runs once.
    migrations(
        t.path(),
        &[("003_tags.sql", "CREATE TABLE tags (id int);\n")],
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("003_tags") && !r.stdout.contains("applied 001"),
        "{}",
        r.stdout
    );
    let r = sg(
        t.path(),
        &["status", "--format", "json", "--database-url", &url],
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_default();
    let applied = v["migrations"]
        .as_array()
        .map(|a| a.iter().filter(|m| m["state"] == "applied").count());
    assert_eq!(applied, Some(4), "{}", r.stdout);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["4"]
    );
}

#[test]
fn on_an_empty_database_every_file_of_a_shared_version_is_applied_and_recorded() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("001_b.sql", "CREATE TABLE b (id int);\n"),
            ("002_c.sql", "CREATE TABLE c (id int);\n"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &["--allow", "duplicate-version"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["3"]
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["3"]
    );
}

#[test]
fn a_history_table_of_the_previous_layout_is_upgraded_in_place() {
    let url = fresh_db();
    query(
        &url,
        "CREATE TABLE sqlgate_migrations (version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
           status text NOT NULL, batch integer NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(),
           execution_ms bigint NOT NULL DEFAULT 0, applied_by text NOT NULL DEFAULT current_user,
           sqlgate_version text NOT NULL, git_commit text, ci_run_url text, statements_done integer,
           error text, up_sql text, adopted_from text);
         COMMENT ON TABLE sqlgate_migrations IS 'sqlgate:history:v2'",
    );
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("001_b.sql", "CREATE TABLE b (id int);\n"),
        ],
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["2"]
    );
    assert_eq!(
        query(
            &url,
            "SELECT obj_description('sqlgate_migrations'::regclass)"
        ),
        ["sqlgate:history:v3"]
    );
}

#[test]
fn a_renamed_file_is_refused_at_adoption_naming_it() {
    let t = tempfile::tempdir().expect("tempdir");
    let files = [
        ("001_add_message_threading_and_search.sql", THREADS),
        ("001_create_initial_schema.sql", INITIAL),
    ];
    let url = fresh_db();
    seed_001_table(&url, &files);
    migrations(
        t.path(),
        &[
            ("010_add_message_threading_and_search.sql", THREADS),
            ("001_create_initial_schema.sql", INITIAL),
        ],
    );
    let r = sg(t.path(), &["adopt", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("010_add_message_threading_and_search.sql") && all.contains("Rename it back"),
        "{all}"
    );
    assert_eq!(
        query(&url, "SELECT to_regclass('sqlgate_migrations') IS NULL"),
        ["t"],
        "nothing recorded"
    );
}

#[test]
fn refresh_refuses_before_rolling_anything_back() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_users.up.sql", "CREATE TABLE users (id int);\n"),
            ("001_users.down.sql", "DROP TABLE users;\n"),
            ("002_bad.up.sql", "CREATE TABLE x (id int);\n"),
            ("002_bad.down.sql", "DROP TABLE x;\n"),
        ],
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    // A new migration that apply would refuse (a COMMIT inside a wrapped file).
    migrations(
        t.path(),
        &[
            (
                "003_bad.up.sql",
                "CREATE TABLE y (id int);\nCOMMIT;\nCREATE TABLE z (id int);\n",
            ),
            ("003_bad.down.sql", "DROP TABLE z;\nDROP TABLE y;\n"),
        ],
    );
    let r = sg(t.path(), &["refresh", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("unchanged"), "{}", r.stderr);
    assert_eq!(
        query(&url, "SELECT to_regclass('users') IS NOT NULL"),
        ["t"],
        "nothing was rolled back"
    );
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["2"]
    );
}

#[test]
fn a_crlf_file_hashed_as_written_is_the_same_file() {
    let crlf = "CREATE TABLE a (id int);\r\nCREATE TABLE b (id int);\r\n";
    let t = tempfile::tempdir().expect("tempdir");
    migrations(t.path(), &[("001_a.sql", crlf)]);
    let url = fresh_db();
    // Seed 003's runner: md5 of the raw file.
    query(
        &url,
        &format!(
            "CREATE TABLE a (id int); CREATE TABLE b (id int);
             CREATE TABLE schema_migrations (id SERIAL PRIMARY KEY, version VARCHAR(255) UNIQUE NOT NULL, name VARCHAR(255) NOT NULL,
               applied_at TIMESTAMP DEFAULT now(), execution_time_ms INTEGER, checksum VARCHAR(64));
             INSERT INTO schema_migrations (version, name, checksum) VALUES ('001', '001_a.sql', md5({}))",
            literal(crlf)
        ),
    );
    let r = sg(t.path(), &["adopt", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("checksum-mismatch"), "{}", r.stdout);
    let r = apply(t.path(), &url, &[]);
    assert_eq!(
        r.code, 0,
        "not blocked as modified: {}{}",
        r.stdout, r.stderr
    );
}

#[test]
fn a_file_that_manages_its_own_transaction_needs_no_directive() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            (
                "001_create_products_table.sql",
                "-- Migration: 001_create_products_table.sql\nBEGIN;\n\nCREATE TABLE products (id int);\nALTER TABLE products ENABLE ROW LEVEL SECURITY;\n\nCOMMIT;\n",
            ),
            (
                "001_create_products_table_rollback.sql",
                "BEGIN;\nDROP TABLE IF EXISTS products;\nCOMMIT;\n",
            ),
            (
                "002_broken.sql",
                "BEGIN;\nCREATE TABLE half (id int);\nSELECT * FROM nope;\nCOMMIT;\n",
            ),
        ],
    );
    let (code, v) = check_json(t.path(), &["--all"]);
    assert!(
        !rules(&v).contains(&"transaction-control".to_string()),
        "{v} ({code})"
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 1, "the second fails: {}{}", r.stdout, r.stderr);
    // The failure rolled back its own work and recorded nothing: the same guarantee.
    assert_eq!(query(&url, "SELECT to_regclass('half') IS NULL"), ["t"]);
    assert_eq!(
        query(&url, "SELECT name FROM sqlgate_migrations"),
        ["001_create_products_table"]
    );
    // The rollback sibling is understood, and named when asked for as an up.
    let r = apply(
        t.path(),
        &url,
        &["--only", "001_create_products_table_rollback.sql"],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("is the down of 001_create_products_table"),
        "{}",
        r.stderr
    );
    let r = sg(
        t.path(),
        &[
            "rollback",
            "--database-url",
            &url,
            "--only",
            "001_create_products_table",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(query(&url, "SELECT to_regclass('products') IS NULL"), ["t"]);
}

#[test]
fn other_runners_no_transaction_markers_and_files_that_must_run_outside_one() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_users.sql", "CREATE TABLE users (id int, email text);\n"),
            (
                "002_pm.sql",
                "-- postgres-migrations disable-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);\n",
            ),
            (
                "003_plain.sql",
                "-- UP\nCREATE INDEX CONCURRENTLY users_id ON users (id);\n-- DOWN\nDROP INDEX users_id;\n",
            ),
        ],
    );
    let (_, v) = check_json(t.path(), &["--all"]);
    assert!(
        !rules(&v).contains(&"concurrently-in-transaction".to_string()),
        "{v}"
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(
            &url,
            "SELECT count(*) FROM pg_index WHERE indisvalid AND indexrelid::regclass::text IN ('users_email', 'users_id')"
        ),
        ["2"]
    );
    // Mixed: still refused.
    write(
        t.path().join("migrations/004_mixed.sql"),
        "ALTER TABLE users ADD COLUMN name text;\nCREATE INDEX CONCURRENTLY users_name ON users (name);\n",
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("concurrently-in-transaction"),
        "{}",
        r.stdout
    );
}

#[test]
fn flyway_conf_beside_a_script_runs_it_outside_a_transaction() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            (
                "V1__users.sql",
                "CREATE TABLE users (id int, email text);\n",
            ),
            (
                "V2__index.sql",
                "CREATE INDEX CONCURRENTLY users_email ON users (email);\nANALYZE users;\n",
            ),
            ("V2__index.sql.conf", "executeInTransaction=false\n"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["2"]
    );
}

#[test]
fn placeholders_inside_a_do_body_are_a_template() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[(
            "001_ns.sql",
            "DO $$ BEGIN\n  EXECUTE 'CREATE SCHEMA IF NOT EXISTS {{ index .Options \"Namespace\" }}';\nEND $$;\n",
        )],
    );
    let (_, v) = check_json(t.path(), &["--all"]);
    assert!(
        rules(&v).contains(&"undefined-placeholder".to_string()),
        "{v}"
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(
        r.code, 2,
        "apply refuses the braces: {}{}",
        r.stdout, r.stderr
    );
}

#[test]
fn rollback_without_history_and_empty_down_files() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.up.sql", "CREATE TABLE a (id int);\n"),
            ("001_a.down.sql", "DROP TABLE a;\n"),
            ("002_data.up.sql", "INSERT INTO a VALUES (1);\n"),
            ("002_data.down.sql", "-- nothing to undo\n"),
        ],
    );
    let url = fresh_db();
    let r = sg(t.path(), &["rollback", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("no sqlgate history") && !r.stderr.contains("42P01"),
        "{}",
        r.stderr
    );
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    // A comments-only down file is a no-op, as sqlx runs it.
    let r = sg(t.path(), &["rollback", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT name FROM sqlgate_migrations"),
        ["001_a"]
    );
    assert_eq!(query(&url, "SELECT count(*) FROM a"), ["1"]);
}

#[test]
fn forgetting_a_record_runs_nothing_and_dry_run_comes_from_the_environment() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("002_b.sql", "CREATE TABLE b (id int);\n"),
        ],
    );
    let url = fresh_db();
    // SQLGATE_DRY_RUN=true is --dry-run.
    let r = run(sqlgate(t.path())
        .args(["apply", "--database-url", &url])
        .env("SQLGATE_DRY_RUN", "true"));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(query(&url, "SELECT to_regclass('a') IS NULL"), ["t"]);
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    // Seed 001's rollback: forget the record, keep the schema.
    let r = sg(
        t.path(),
        &["repair", "--forget", "2", "--database-url", &url],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("forgot 002_b"), "{}", r.stdout);
    assert_eq!(
        query(&url, "SELECT name FROM sqlgate_migrations"),
        ["001_a"]
    );
    assert_eq!(query(&url, "SELECT to_regclass('b') IS NOT NULL"), ["t"]);
    assert_eq!(
        query(
            &url,
            "SELECT count(*) FROM sqlgate_migrations_audit WHERE action = 'forget'"
        ),
        ["1"]
    );
    // The next apply runs it again: the object exists, and the error says what to do.
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("42P07") && all.contains("sqlgate baseline"),
        "{all}"
    );
}

#[test]
fn a_populated_database_without_history_is_refused_as_such_first() {
    let t = tempfile::tempdir().expect("tempdir");
    // A shipped file apply's pre-flight would refuse (a wrapped COMMIT).
    migrations(
        t.path(),
        &[(
            "001_a.sql",
            "CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n",
        )],
    );
    let url = fresh_db();
    query(&url, "CREATE TABLE a (id int); CREATE TABLE b (id int)");
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("existing-schema"), "{}", r.stdout);
    assert!(!r.stdout.contains("transaction-control"), "{}", r.stdout);
    assert!(r.stdout.contains("sqlgate baseline"), "{}", r.stdout);
    assert!(!r.stdout.contains("migrations/:1:1"), "{}", r.stdout);
    // adopt without another tool's table names baseline.
    let r = sg(t.path(), &["adopt", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("sqlgate baseline"), "{}", r.stderr);
}

#[test]
fn golang_migrate_dirty_and_validate_say_what_to_do() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.up.sql", "CREATE TABLE a (id int);\n"),
            ("001_a.down.sql", "DROP TABLE a;\n"),
        ],
    );
    let url = fresh_db();
    query(
        &url,
        "CREATE TABLE a (id int); CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
         INSERT INTO schema_migrations VALUES (1, true)",
    );
    let r = sg(t.path(), &["adopt", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("dirty")
            && all.contains("migrate force")
            && !all.contains("failed or unfinished"),
        "{all}"
    );
    // Adopted as modified: validate says there is no copy and names repair.
    query(&url, "UPDATE schema_migrations SET dirty = false");
    let url2 = fresh_db();
    query(
        &url2,
        "CREATE TABLE a (id int);
         CREATE TABLE schema_migrations (id SERIAL PRIMARY KEY, migration_name VARCHAR(255) UNIQUE NOT NULL,
           applied_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), execution_time_ms INTEGER, checksum VARCHAR(64),
           applied_by VARCHAR(255) DEFAULT current_user);
         INSERT INTO schema_migrations (migration_name, checksum) VALUES ('001_a.up.sql', repeat('0', 64))",
    );
    let r = sg(t.path(), &["adopt", "--database-url", &url2]);
    assert_eq!(r.code, 1, "adopted as modified: {}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("Sha256Hex"), "{}", r.stdout);
    let r = sg(t.path(), &["validate", "--database-url", &url2]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("sqlgate repair 1"), "{}", r.stdout);
}

#[test]
fn baseline_and_repair_with_files_that_share_a_version() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("001_b.sql", "CREATE TABLE b (id int);\n"),
            ("002_c.sql", "CREATE TABLE c (id int);\n"),
        ],
    );
    let url = fresh_db();
    query(&url, "CREATE TABLE a (id int); CREATE TABLE b (id int)");
    let r = sg(t.path(), &["baseline", "1", "2", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT name FROM sqlgate_migrations ORDER BY name"),
        ["001_a", "001_b", "002_c"],
        "every file of a shared version is recorded"
    );
    // repair takes a version: with two rows it says what to do instead of failing.
    let r = sg(t.path(), &["repair", "1", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("001_a") && r.stderr.contains("--forget"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_missing_down_without_require_down_says_what_rollback_needs() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(t.path(), &[("001_a.sql", "CREATE TABLE a (id int);\n")]);
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    let r = sg(t.path(), &["rollback", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("missing-down"), "{all}");
    assert!(
        !all.contains("The team requires every migration to be reversible"),
        "require_down is off: {all}"
    );
}
