//! The applier never guesses: what it cannot run as written is refused before the
//! lock, every statement runs or the migration fails, rollback says what it did. Each
//! test is a case that went wrong before (real PostgreSQL, the real binary).

use crate::support::pg::*;
use crate::support::*;
use std::path::Path;

fn apply(dir: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--database-url", url];
    args.extend_from_slice(extra);
    sg(dir, &args)
}

fn history_exists(url: &str) -> bool {
    query(
        url,
        "SELECT to_regclass('public.sqlgate_migrations') IS NOT NULL",
    ) == ["t"]
}

#[test]
fn a_no_transaction_migration_that_does_not_parse_runs_nothing() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("002_b.sql", "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\nCREATE TABLE b (id int ;\n"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("syntax-error"), "{}", r.stdout);
    assert!(r.stdout.contains("002_b.sql:3"), "{}", r.stdout);
    assert!(r.stderr.contains("lock was not taken"), "{}", r.stderr);
    assert!(
        !history_exists(&url),
        "nothing recorded, not even the table"
    );
    assert_eq!(
        query(
            &url,
            "SELECT count(*) FROM pg_class WHERE relname IN ('a', 'a_idx', 'b')"
        ),
        ["0"],
        "nothing ran, not even the valid migration before it"
    );
}

#[test]
fn a_no_transaction_migration_with_an_unanalyzable_statement_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    let deep = format!("SELECT {}1{};\n", "abs(".repeat(200), ")".repeat(200));
    write(
        t.path().join("migrations/001_a.sql"),
        format!("-- sqlgate:no-transaction\nCREATE TABLE a (id int);\n{deep}"),
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("unanalyzable-statement"), "{}", r.stdout);
    assert_eq!(
        query(&url, "SELECT count(*) FROM pg_class WHERE relname = 'a'"),
        ["0"]
    );
    // In a transactional migration the same statement runs (PostgreSQL judges the
    // text as written, nothing is skipped).
    write(
        t.path().join("migrations/001_a.sql"),
        format!("CREATE TABLE a (id int);\n{deep}"),
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn duplicate_versions_are_each_applied_recorded_and_listed() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("002_tags.sql", "CREATE TABLE tags (id int);\n"),
            ("002_hooks.sql", "CREATE TABLE hooks (id int);\n"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(
            &url,
            "SELECT name FROM sqlgate_migrations ORDER BY version, name"
        ),
        ["001_a", "002_hooks", "002_tags"]
    );
    let s = sg(t.path(), &["status", "--database-url", &url]);
    assert_eq!(s.code, 0, "{}{}", s.stdout, s.stderr);
    assert!(
        s.stdout.contains("002_hooks") && s.stdout.contains("002_tags"),
        "{}",
        s.stdout
    );
    let j = sg(
        t.path(),
        &["status", "--database-url", &url, "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&j.stdout).expect("json");
    let applied = v["migrations"]
        .as_array()
        .map(|a| a.iter().filter(|m| m["state"] == "applied").count());
    assert_eq!(applied, Some(3), "{v}");
    // Nothing runs twice.
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["3"]
    );
}

#[test]
fn a_file_that_manages_its_own_transaction_runs_as_one_and_anything_else_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path().join("migrations/001_products.sql"),
        "BEGIN;\nCREATE TABLE products (id int);\nCOMMIT;\n",
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT name FROM sqlgate_migrations"),
        ["001_products"]
    );
    // Statements after its COMMIT would run outside any transaction: refused.
    write(
        t.path().join("migrations/002_more.sql"),
        "BEGIN;\nCREATE TABLE more (id int);\nCOMMIT;\nCREATE TABLE after (id int);\n",
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("transaction-control"), "{}", r.stdout);
    assert!(r.stdout.contains("sqlgate:no-transaction"), "{}", r.stdout);
    assert_eq!(
        query(&url, "SELECT count(*) FROM pg_class WHERE relname = 'more'"),
        ["0"]
    );
}

#[test]
fn concurrently_in_a_transaction_names_the_directive() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            (
                "002_idx.sql",
                "CREATE TABLE b (id int);\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\n",
            ),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("concurrently-in-transaction"));
    assert!(
        r.stdout.contains("-- sqlgate:no-transaction"),
        "{}",
        r.stdout
    );
    // Allowed on purpose, PostgreSQL refuses it, and the error says what to do.
    let r = apply(t.path(), &url, &["--allow", "concurrently-in-transaction"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("25001"), "{}", r.stderr);
    assert!(r.stderr.contains("sqlgate:no-transaction"), "{}", r.stderr);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["1"]
    );
    let bad = apply(t.path(), &url, &["--allow", "drop-table"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--allow drop-table"), "{}", bad.stderr);
}

#[test]
fn rollback_says_when_it_did_less_than_asked() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.up.sql", "CREATE TABLE a (id int);\n"),
            ("001_a.down.sql", "DROP TABLE a;\n"),
            ("002_b.up.sql", "CREATE TABLE b (id int);\n"),
            ("002_b.down.sql", "DROP TABLE b;\n"),
        ],
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    // Dry run: the plan and the SQL, nothing changes.
    let d = sg(
        t.path(),
        &[
            "rollback",
            "--database-url",
            &url,
            "--count",
            "2",
            "--dry-run",
        ],
    );
    assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);
    assert!(d.stdout.contains("would roll back 002_b") && d.stdout.contains("DROP TABLE b"));
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["2"]
    );
    // More than there is.
    let r = sg(
        t.path(),
        &["rollback", "--database-url", &url, "--count", "3"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("asked for 3, but only 2"), "{}", r.stderr);
    assert!(
        r.stdout.contains("rolled back 2 migration(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["0"]
    );

    // A baseline whose version has no file: there is no down SQL to run past it.
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("002_b.up.sql", "CREATE TABLE b (id int);\n"),
            ("002_b.down.sql", "DROP TABLE b;\n"),
        ],
    );
    let url = fresh_db();
    let b = sg(
        t.path(),
        &["baseline", "1", "--force", "--database-url", &url],
    );
    assert_eq!(b.code, 0, "{}{}", b.stdout, b.stderr);
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    let r = sg(t.path(), &["rollback", "--database-url", &url, "--to", "0"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("sqlgate baseline"), "{}", r.stdout);
    assert!(r.stderr.contains("nothing was rolled back"), "{}", r.stderr);
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["2"]
    );
}

#[test]
fn apply_dry_run_into_a_closed_pipe_ends_quietly_and_frees_the_lock() {
    let t = tempfile::tempdir().expect("tempdir");
    for i in 1..=30 {
        write(
            t.path().join(format!("migrations/{i:03}_t.sql")),
            format!("CREATE TABLE t{i} (id int);\nCREATE TABLE u{i} (id int);\n"),
        );
    }
    let url = fresh_db();
    let bin = env!("CARGO_BIN_EXE_sqlgate");
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            &format!("'{bin}' apply --dry-run --database-url '{url}' | head -1; echo \"exit=${{PIPESTATUS[0]}}\""),
        ])
        .current_dir(t.path())
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("exit=0"), "{stdout}{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let r = apply(t.path(), &url, &["--lock-wait", "2s"]);
    assert_eq!(r.code, 0, "the lock is free: {}{}", r.stdout, r.stderr);
}

#[test]
fn down_sql_can_run_without_a_transaction_in_every_layout() {
    let layouts: &[&[(&str, &str)]] = &[
        // Markers: the directive right after the DOWN marker.
        &[
            ("001_a.sql", "-- UP\nCREATE TABLE a (id int);\n-- DOWN\nDROP TABLE a;\n"),
            (
                "002_idx.sql",
                "-- sqlgate:no-transaction\n-- UP\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\n-- DOWN\n-- sqlgate:no-transaction\nDROP INDEX CONCURRENTLY a_idx;\n",
            ),
        ],
        // dbmate's markers.
        &[
            ("001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n"),
            (
                "002_idx.sql",
                "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY a_idx;\n",
            ),
        ],
        // Pairs: the down file's first line.
        &[
            ("001_a.up.sql", "CREATE TABLE a (id int);\n"),
            ("001_a.down.sql", "DROP TABLE a;\n"),
            (
                "002_idx.up.sql",
                "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\n",
            ),
            (
                "002_idx.down.sql",
                "-- sqlgate:no-transaction\nDROP INDEX CONCURRENTLY a_idx;\n",
            ),
        ],
        // diesel's folders: `metadata.toml` says it for both directions.
        &[
            ("2024-01-01-000000_a/up.sql", "CREATE TABLE a (id int);\n"),
            ("2024-01-01-000000_a/down.sql", "DROP TABLE a;\n"),
            (
                "2024-01-02-000000_idx/up.sql",
                "CREATE INDEX CONCURRENTLY a_idx ON a (id);\n",
            ),
            (
                "2024-01-02-000000_idx/down.sql",
                "DROP INDEX CONCURRENTLY a_idx;\n",
            ),
            (
                "2024-01-02-000000_idx/metadata.toml",
                "\u{feff}run_in_transaction = false\r\n",
            ),
        ],
    ];
    for files in layouts {
        let t = tempfile::tempdir().expect("tempdir");
        for (name, sql) in *files {
            write(t.path().join("migrations").join(name), sql);
        }
        let url = fresh_db();
        let r = apply(t.path(), &url, &[]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert_eq!(
            query(
                &url,
                "SELECT count(*) FROM pg_class WHERE relname = 'a_idx'"
            ),
            ["1"]
        );
        let r = sg(t.path(), &["rollback", "--database-url", &url]);
        assert_eq!(r.code, 0, "{files:?}: {}{}", r.stdout, r.stderr);
        assert_eq!(
            query(
                &url,
                "SELECT count(*) FROM pg_class WHERE relname = 'a_idx'"
            ),
            ["0"]
        );
        assert_eq!(
            query(&url, "SELECT count(*) FROM sqlgate_migrations"),
            ["1"]
        );
    }
    // Without the directive the down cannot run, and the pre-flight says so.
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.up.sql", "CREATE TABLE a (id int);\n"),
            ("001_a.down.sql", "DROP TABLE a;\n"),
            (
                "002_idx.up.sql",
                "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY a_idx ON a (id);\n",
            ),
            (
                "002_idx.down.sql",
                "DROP INDEX CONCURRENTLY a_idx;\nUPDATE a SET id = id WHERE false;\n",
            ),
        ],
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    let r = sg(t.path(), &["rollback", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("concurrently-in-transaction"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_failing_statement_in_one_round_trip_still_has_its_position() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("002_b.sql", "INSERT INTO a VALUES (1);\n\n  INSERT INTO a VALUES (1 / 0);\nCREATE TABLE c (id int);\n"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // Division by zero has no position: the statement that failed is named.
    assert!(r.stderr.contains("002_b.sql:3:3"), "{}", r.stderr);
    assert!(r.stderr.contains("22012"), "{}", r.stderr);
    assert_eq!(query(&url, "SELECT count(*) FROM a"), ["0"], "rolled back");
    assert_eq!(
        query(&url, "SELECT count(*) FROM sqlgate_migrations"),
        ["1"]
    );
    assert_eq!(
        query(&url, "SELECT count(*) FROM pg_class WHERE relname = 'c'"),
        ["0"]
    );
}

#[test]
fn libclang_detection_ignores_the_cpp_library() {
    let only_cpp = tempfile::tempdir().expect("tempdir");
    std::fs::write(only_cpp.path().join("libclang-cpp.so.14"), "").expect("write");
    let real = tempfile::tempdir().expect("tempdir");
    std::fs::write(real.path().join("libclang.so.1"), "").expect("write");
    let versioned = tempfile::tempdir().expect("tempdir");
    std::fs::write(versioned.path().join("libclang-14.so"), "").expect("write");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ensure-deps.sh");
    let found = |dir: &Path| {
        std::process::Command::new("bash")
            .args([
                "-c",
                &format!(
                    ". '{}'; libclang_in_dir '{}'",
                    script.display(),
                    dir.display()
                ),
            ])
            .output()
            .expect("bash runs")
            .status
            .success()
    };
    assert!(!found(only_cpp.path()));
    assert!(found(real.path()));
    assert!(found(versioned.path()));
}
