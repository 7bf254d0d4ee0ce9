//! `apply` and `status` against a real PostgreSQL, through the real binary.

use crate::support::pg::*;
use crate::support::*;
use std::path::Path;
use std::time::{Duration, Instant};

fn apply(dir: &Path, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["apply", "--database-url", url];
    args.extend_from_slice(extra);
    sg(dir, &args)
}

#[test]
fn every_layout_applies_and_reports_status() {
    let layouts: &[&[(&str, &str)]] = &[
        &[
            ("001_a.sql", "create table a (id int);"),
            ("002_b.sql", "create table b (id int);"),
        ],
        &[
            (
                "001_a.sql",
                "-- UP\ncreate table a (id int);\n-- DOWN\ndrop table a;\n",
            ),
            (
                "002_b.sql",
                "-- migrate:up\ncreate table b (id int);\n-- migrate:down\ndrop table b;\n",
            ),
        ],
        &[
            ("001_a.up.sql", "create table a (id int);"),
            ("001_a.down.sql", "drop table a;"),
            ("002_b.up.sql", "create table b (id int);"),
        ],
        &[
            ("001_a.sql", "create table a (id int);"),
            ("001_a_rollback.sql", "drop table a;"),
            ("002_b.sql", "create table b (id int);"),
        ],
        &[
            ("2024-01-01-000000_a/up.sql", "create table a (id int);"),
            ("2024-01-01-000000_a/down.sql", "drop table a;"),
            ("2024-02-01-000000_b/up.sql", "create table b (id int);"),
        ],
    ];
    for files in layouts {
        let t = tempfile::tempdir().unwrap();
        for (name, body) in files.iter() {
            write(t.path().join("migrations").join(name), body);
        }
        let url = fresh_db();
        let r = apply(t.path(), &url, &[]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("applied 2 migration(s)"), "{}", r.stdout);
        assert_eq!(
            query(
                &url,
                "select count(*) from information_schema.tables where table_name in ('a', 'b')"
            ),
            ["2"]
        );
        let s = sg(t.path(), &["status", "--database-url", &url, "--exit-code"]);
        assert_eq!(s.code, 0, "{}", s.stdout);
        assert!(s.stdout.contains("Applied: 2 | Pending: 0"), "{}", s.stdout);
        let again = apply(t.path(), &url, &[]);
        assert!(again.stdout.contains("up to date"), "{}", again.stdout);
    }
}

#[test]
fn status_json_and_exit_code_for_pending() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int);",
    );
    let url = fresh_db();
    let s = sg(
        t.path(),
        &[
            "status",
            "--database-url",
            &url,
            "--exit-code",
            "--format",
            "json",
        ],
    );
    assert_eq!(s.code, 1);
    let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    assert_eq!(v["summary"]["pending"], 1);
    assert_eq!(v["migrations"][0]["state"], "pending");
    assert_eq!(apply(t.path(), &url, &["--dry-run"]).code, 0);
    assert_eq!(
        query(
            &url,
            "select count(*) from information_schema.tables where table_name = 'a'"
        ),
        ["0"]
    );
}

#[test]
fn three_appliers_at_once_apply_everything_exactly_once() {
    let t = tempfile::tempdir().unwrap();
    for i in 1..=12 {
        write(
            t.path().join(format!("migrations/{i:03}_t{i}.sql")),
            format!("create table t{i} (id int);\ninsert into t{i} values ({i});\nselect pg_sleep(0.05);\n"),
        );
    }
    write(
        t.path().join("migrations/013_index.sql"),
        "-- sqlgate:no-transaction\ncreate index concurrently t1_id on t1 (id);\n",
    );
    let url = fresh_db();
    let children: Vec<_> = (0..3)
        .map(|_| {
            sqlgate(t.path())
                .args(["apply", "--database-url", &url])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(
        query(
            &url,
            "select count(*) from public.sqlgate_migrations where status = 'applied'"
        ),
        ["13"]
    );
    assert_eq!(query(&url, "select count(*) from t7"), ["1"]);
}

#[test]
fn a_failing_migration_stops_the_run_cleanly() {
    let t = tempfile::tempdir().unwrap();
    migrations(
        t.path(),
        &[
            ("001_ok.sql", "create table ok (id int);"),
            (
                "002_bad.sql",
                "create table half (id int);\n\nselect * from no_such_table;\n",
            ),
            ("003_later.sql", "create table later (id int);"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("002_bad") && r.stderr.contains("migrations/002_bad.sql:3:15"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("42P01") && r.stderr.contains("no_such_table"),
        "{}",
        r.stderr
    );
    assert_eq!(
        query(
            &url,
            "select string_agg(version, ',') from sqlgate_migrations"
        ),
        ["1"]
    );
    assert_eq!(
        query(
            &url,
            "select count(*) from information_schema.tables where table_name in ('half', 'later')"
        ),
        ["0"]
    );
    assert_eq!(
        query(
            &url,
            "select count(*) from information_schema.tables where table_name = 'ok'"
        ),
        ["1"]
    );
}

/// Every migration of a run but the last commits without waiting for its WAL flush;
/// the last commits as the session does (its flush covers the earlier ones), and the
/// setting never leaks past a migration's transaction.
#[test]
fn only_the_last_migration_of_a_run_waits_for_the_flush() {
    let t = tempfile::tempdir().unwrap();
    let seen = |n: &str| {
        format!("insert into seen values ('{n}', current_setting('synchronous_commit'));")
    };
    migrations(
        t.path(),
        &[
            (
                "001_a.sql",
                &format!("create table seen (m text, sync text);\n{}", seen("1")),
            ),
            ("002_b.sql", &seen("2")),
            ("003_c.sql", &seen("3")),
        ],
    );
    let url = fresh_db();
    // The test server commits asynchronously; this database waits, as servers ship.
    query(
        &url,
        "do $$ begin execute format('alter database %I set synchronous_commit = on', current_database()); end $$",
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(
            &url,
            "select string_agg(m || '=' || sync, ',' order by m) from seen"
        ),
        ["1=off,2=off,3=on"]
    );
    // One pending migration: the run's last, so it waits as the session does.
    write(t.path().join("migrations/004_d.sql"), seen("4"));
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(query(&url, "select sync from seen where m = '4'"), ["on"]);
    assert_eq!(
        query(
            &url,
            "select count(*) from sqlgate_migrations where status = 'applied'"
        ),
        ["4"]
    );
}

#[test]
fn an_edited_applied_migration_is_refused() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int);\n",
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    migrations(
        t.path(),
        &[
            ("001_a.sql", "create table a (id bigint);\n"),
            ("002_b.sql", "create table b (id int);"),
        ],
    );
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("checksum-mismatch"), "{}", r.stdout);
    assert_eq!(
        query(
            &url,
            "select count(*) from information_schema.tables where table_name = 'b'"
        ),
        ["0"]
    );
    let s = sg(t.path(), &["status", "--database-url", &url]);
    assert!(
        s.stdout.contains("modified") && s.stdout.contains("checksum-mismatch"),
        "{}",
        s.stdout
    );
    // CRLF and a BOM are not edits.
    write(
        t.path().join("migrations/001_a.sql"),
        "\u{feff}create table a (id int);\r\n",
    );
    std::fs::remove_file(t.path().join("migrations/002_b.sql")).unwrap();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
}

#[test]
fn a_failed_no_transaction_migration_is_recorded_and_blocks() {
    let t = tempfile::tempdir().unwrap();
    migrations(
        t.path(),
        &[
            ("001_a.sql", "create table a (id int);"),
            ("002_idx.sql", "-- sqlgate:no-transaction\ncreate index concurrently a_id on a (id);\ncreate index concurrently b_id on missing (id);\n"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("002_idx.sql:3:1"), "{}", r.stderr);
    assert_eq!(
        query(
            &url,
            "select status || ':' || statements_done from sqlgate_migrations where version = '2'"
        ),
        ["failed:1"]
    );
    let again = apply(t.path(), &url, &[]);
    assert_eq!(again.code, 1);
    assert!(
        again.stdout.contains("failed-migration"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_held_lock_times_out_retries_and_fails_within_bounds() {
    let t = tempfile::tempdir().unwrap();
    migrations(
        t.path(),
        &[
            ("001_a.sql", "create table a (id int);"),
            ("002_b.sql", "alter table a add column b int;"),
        ],
    );
    write(
        t.path().join("sqlgate.toml"),
        "lock_timeout = \"300ms\"\nlock_retries = 1\n",
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &["--count", "1"]).code, 0);
    let rt = rt();
    let holder = rt.block_on(async {
        let c = client(&url).await;
        c.batch_execute("BEGIN; LOCK TABLE a IN ACCESS SHARE MODE;")
            .await
            .unwrap();
        c
    });
    let start = Instant::now();
    let r = apply(t.path(), &url, &[]);
    let took = start.elapsed();
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("retry 1/1"), "{}", r.stdout);
    assert!(r.stderr.contains("55P03"), "{}", r.stderr);
    assert!(took < Duration::from_secs(10), "{took:?}");
    drop(holder);
    drop(rt);
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
}

#[test]
fn passwords_never_appear_in_output() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("migrations/001_a.sql"), "select 1;");
    let r = apply(
        t.path(),
        "postgres://app:hunter2secret@127.0.0.1:1/nodb",
        &[],
    );
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("hunter2secret") && !r.stderr.contains("hunter2secret"));
    assert!(r.stderr.contains("app:****@127.0.0.1:1"), "{}", r.stderr);
}

fn wait_for_query(url: &str, pattern: &str) -> String {
    let start = Instant::now();
    loop {
        let pids = query(
            url,
            &format!("select pid::text from pg_stat_activity where state = 'active' and query like '%{pattern}%' and pid <> pg_backend_pid()"),
        );
        if let Some(p) = pids.first() {
            return p.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{pattern} never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn sleeping_setup(seconds: u32) -> (tempfile::TempDir, String) {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int);",
    );
    write(
        t.path().join("migrations/002_slow.sql"),
        format!("create table slow (id int);\nselect pg_sleep({seconds});\n"),
    );
    (t, fresh_db())
}

fn wait_exit(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < limit,
            "the runner did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_cancels_the_statement_and_releases_the_lock() {
    let (t, url) = sleeping_setup(60);
    let mut child = sqlgate(t.path())
        .args(["apply", "--database-url", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_query(&url, "pg_sleep(60)");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(!status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("interrupted") && stderr.contains("57014"),
        "{stderr}"
    );
    assert_eq!(query(&url, "select count(*) from pg_stat_activity where query like '%pg_sleep(60)%' and pid <> pg_backend_pid()"), ["0"]);
    assert_eq!(
        query(
            &url,
            "select string_agg(version, ',') from sqlgate_migrations"
        ),
        ["1"]
    );
    assert_eq!(
        query(
            &url,
            "select count(*) from information_schema.tables where table_name = 'slow'"
        ),
        ["0"]
    );
    write(
        t.path().join("migrations/002_slow.sql"),
        "create table slow (id int);\n",
    );
    let start = Instant::now();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the lock was not released"
    );
}

#[test]
fn kill_9_mid_migration_records_nothing_and_the_next_run_succeeds() {
    let (t, url) = sleeping_setup(3);
    let mut child = sqlgate(t.path())
        .args(["apply", "--database-url", &url])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_query(&url, "pg_sleep(3)");
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        query(
            &url,
            "select string_agg(version, ',') from sqlgate_migrations"
        ),
        ["1"]
    );
    // The orphaned backend ends with its transaction rolled back; the next runner
    // waits for its lock, then applies everything.
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(
            &url,
            "select string_agg(version, ',' order by version) from sqlgate_migrations"
        ),
        ["1,2"]
    );
}

#[test]
fn a_terminated_backend_is_a_clear_error_with_consistent_history() {
    let (t, url) = sleeping_setup(60);
    let mut child = sqlgate(t.path())
        .args(["apply", "--database-url", &url])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = wait_for_query(&url, "pg_sleep(60)");
    query(&url, &format!("select pg_terminate_backend({pid})::text"));
    let status = wait_exit(&mut child, Duration::from_secs(10));
    assert!(!status.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("002_slow")
            && (stderr.contains("57P01")
                || stderr.contains("closed")
                || stderr.contains("terminat")),
        "{stderr}"
    );
    assert_eq!(
        query(
            &url,
            "select string_agg(version, ',') from sqlgate_migrations"
        ),
        ["1"]
    );
    write(
        t.path().join("migrations/002_slow.sql"),
        "create table slow (id int);\n",
    );
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
}

#[test]
fn rollback_through_each_down_format_and_refusals() {
    let layouts: &[&[(&str, &str)]] = &[
        &[
            (
                "001_a.sql",
                "-- UP\ncreate table a (id int);\n-- DOWN\ndrop table a;\n",
            ),
            (
                "002_b.sql",
                "-- UP\ncreate table b (id int);\n-- DOWN\ndrop table b;\n",
            ),
        ],
        &[
            ("001_a.up.sql", "create table a (id int);"),
            ("001_a.down.sql", "drop table a;"),
            ("002_b.up.sql", "create table b (id int);"),
            ("002_b.down.sql", "drop table b;"),
        ],
        &[
            ("001_a.sql", "create table a (id int);"),
            ("001_a_rollback.sql", "drop table a;"),
            ("002_b.sql", "create table b (id int);"),
            ("002_b_rollback.sql", "drop table b;"),
        ],
        &[
            ("2024-01-01-000000_a/up.sql", "create table a (id int);"),
            ("2024-01-01-000000_a/down.sql", "drop table a;"),
            ("2024-02-01-000000_b/up.sql", "create table b (id int);"),
            ("2024-02-01-000000_b/down.sql", "drop table b;"),
        ],
    ];
    for files in layouts {
        let t = tempfile::tempdir().unwrap();
        for (name, body) in files.iter() {
            write(t.path().join("migrations").join(name), body);
        }
        let url = fresh_db();
        assert_eq!(apply(t.path(), &url, &[]).code, 0);
        let r = sg(t.path(), &["rollback", "--database-url", &url]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert_eq!(query(&url, "select string_agg(table_name, ',' order by table_name) from information_schema.tables where table_name in ('a', 'b')"), ["a"]);
        assert_eq!(
            query(&url, "select count(*) from sqlgate_migrations"),
            ["1"]
        );
        assert_eq!(apply(t.path(), &url, &[]).code, 0);
        let r = sg(t.path(), &["rollback", "--database-url", &url, "--batch"]);
        assert_eq!(r.code, 0);
        assert_eq!(
            query(&url, "select count(*) from sqlgate_migrations"),
            ["1"]
        );
        let r = sg(t.path(), &["rollback", "--database-url", &url, "--to", "0"]);
        assert_eq!(r.code, 0);
        assert_eq!(
            query(
                &url,
                "select count(*) from information_schema.tables where table_name in ('a', 'b')"
            ),
            ["0"]
        );
    }
    // Without a down file, nothing is rolled back.
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int);",
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    let r = sg(t.path(), &["rollback", "--database-url", &url]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("no down SQL"), "{}", r.stdout);
    assert!(r.stderr.contains("nothing was rolled back"), "{}", r.stderr);
    assert_eq!(
        query(&url, "select count(*) from sqlgate_migrations"),
        ["1"]
    );
}

#[test]
fn validate_repair_baseline_and_verify() {
    let t = tempfile::tempdir().unwrap();
    migrations(
        t.path(),
        &[
            ("001_a.sql", "create table a (id int);\n"),
            ("002_b.sql", "create table b (id int);\n"),
        ],
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
    let v = sg(t.path(), &["validate", "--database-url", &url]);
    assert_eq!(v.code, 0, "{}", v.stdout);
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int); -- comment added later\n",
    );
    let v = sg(t.path(), &["validate", "--database-url", &url]);
    assert_eq!(v.code, 1);
    assert!(
        v.stdout.contains("checksum-mismatch")
            && v.stdout
                .contains("+create table a (id int); -- comment added later"),
        "{}",
        v.stdout
    );
    let r = sg(t.path(), &["repair", "1", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(sg(t.path(), &["validate", "--database-url", &url]).code, 0);
    assert_eq!(
        query(
            &url,
            "select action || ':' || version from sqlgate_migrations_audit"
        ),
        ["accept-checksum:1"]
    );
    let ok = sg(t.path(), &["verify", "--database-url", &url]);
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert!(
        ok.stdout.contains("PostgreSQL") && ok.stdout.contains("sqlgate:history:v3"),
        "{}",
        ok.stdout
    );

    // Baseline: an existing database at version 1; only 2 runs.
    let url2 = fresh_db();
    query(&url2, "create table a (id int)");
    let b = sg(t.path(), &["baseline", "1", "--database-url", &url2]);
    assert_eq!(b.code, 0, "{}", b.stderr);
    let r = apply(t.path(), &url2, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("applied 002_b") && !r.stdout.contains("applied 001_a"),
        "{}",
        r.stdout
    );
    // Again: nothing conflicts, nothing changes.
    let again = sg(t.path(), &["baseline", "1", "--database-url", &url2]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again.stdout.contains("left as they are: 001_a"),
        "{}",
        again.stdout
    );
    // A version without a file is refused.
    let missing = sg(t.path(), &["baseline", "42", "--database-url", &url2]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no migration file has version 42"));
}

#[test]
fn tls_modes_against_a_tls_server() {
    let (server, ca, _certs) = tls_server();
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int);",
    );
    let base = format!("postgres://sqlgate@127.0.0.1:{}/postgres", server.port());
    let r = apply(t.path(), &format!("{base}?sslmode=require"), &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let ssl = query(&base, "select count(*) from pg_stat_ssl where ssl")[0].clone();
    assert_eq!(ssl, "0", "the checking connection itself is plain");
    // verify-ca: the chain is checked, the name (127.0.0.1 vs localhost) is not.
    let ok = sg(
        t.path(),
        &[
            "status",
            "--database-url",
            &format!("{base}?sslmode=verify-ca&sslrootcert={}", ca.display()),
        ],
    );
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    // verify-full: the name must match.
    let bad = sg(
        t.path(),
        &[
            "status",
            "--database-url",
            &format!("{base}?sslmode=verify-full&sslrootcert={}", ca.display()),
        ],
    );
    assert_eq!(bad.code, 3, "{}", bad.stderr);
    assert!(
        bad.stderr.contains("sslmode=verify-full")
            && bad.stderr.to_lowercase().contains("certificate"),
        "{}",
        bad.stderr
    );
    let full = format!(
        "host=localhost port={} user=sqlgate dbname=postgres sslmode=verify-full sslrootcert={}",
        server.port(),
        ca.display()
    );
    let good = sg(t.path(), &["status", "--database-url", &full]);
    assert_eq!(good.code, 0, "{}{}", good.stdout, good.stderr);
    // Without the CA, the platform roots do not trust it.
    let untrusted = sg(
        t.path(),
        &[
            "status",
            "--database-url",
            &format!("{base}?sslmode=verify-ca"),
        ],
    );
    assert_eq!(untrusted.code, 3);
    assert!(
        untrusted.stderr.contains("sslrootcert"),
        "{}",
        untrusted.stderr
    );
}

#[test]
fn single_transaction_is_all_or_nothing() {
    let t = tempfile::tempdir().unwrap();
    migrations(
        t.path(),
        &[
            ("001_a.sql", "create table a (id int);"),
            ("002_b.sql", "create table b (id int);\nselect 1 / 0;\n"),
        ],
    );
    let url = fresh_db();
    let r = apply(t.path(), &url, &["--single-transaction"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("22012") && r.stderr.contains("002_b.sql:2:"),
        "{}",
        r.stderr
    );
    assert_eq!(query(&url, "select count(*) from information_schema.tables where table_name in ('a', 'b', 'sqlgate_migrations')"), ["1"]);
    assert_eq!(
        query(&url, "select count(*) from sqlgate_migrations"),
        ["0"]
    );
    write(
        t.path().join("migrations/002_b.sql"),
        "create table b (id int);\n",
    );
    assert_eq!(apply(t.path(), &url, &["--single-transaction"]).code, 0);
    assert_eq!(
        query(&url, "select count(*) from sqlgate_migrations"),
        ["2"]
    );
    write(
        t.path().join("migrations/003_c.sql"),
        "-- sqlgate:no-transaction\ncreate index concurrently a_id on a (id);\n",
    );
    let r = apply(t.path(), &url, &["--single-transaction"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("003_c"), "{}", r.stderr);
}

#[test]
fn lemmy_first_247_migrations_apply_to_a_real_server() {
    let Some(corpora) = corpora() else {
        eprintln!("note: ../shared/corpora is absent; lemmy apply test skipped");
        return;
    };
    let lemmy = corpora.join("lemmy");
    let mut names: Vec<String> = std::fs::read_dir(&lemmy)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let t = tempfile::tempdir().unwrap();
    for name in names.iter().take(247) {
        for f in ["up.sql", "down.sql"] {
            let src = lemmy.join(name).join(f);
            if src.exists() {
                write(
                    t.path().join("migrations").join(name).join(f),
                    std::fs::read(&src).unwrap(),
                );
            }
        }
    }
    let url = fresh_db();
    let r = apply(t.path(), &url, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("applied 247 migration(s)"),
        "{}",
        r.stdout
    );
    assert_eq!(
        query(
            &url,
            "select count(*) from sqlgate_migrations where status = 'applied'"
        ),
        ["247"]
    );
    let s = sg(t.path(), &["status", "--database-url", &url, "--exit-code"]);
    assert_eq!(s.code, 0);
}

#[test]
fn a_second_runner_waits_for_the_lock_and_says_who_holds_it() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int);",
    );
    let url = fresh_db();
    let rt = rt();
    let holder = rt.block_on(async {
        let c = client(&url).await;
        let key = sqlgate_pg::history::lock_key("public.sqlgate_migrations");
        c.query_one("select pg_advisory_lock($1)", &[&key])
            .await
            .unwrap();
        c
    });
    let start = Instant::now();
    let r = apply(t.path(), &url, &["--lock-wait", "2s"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(start.elapsed() >= Duration::from_secs(2) && start.elapsed() < Duration::from_secs(10));
    assert!(
        r.stdout
            .contains("waiting for the migration lock held by pid"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("lock"), "{}", r.stderr);
    drop(holder);
    drop(rt);
    assert_eq!(apply(t.path(), &url, &[]).code, 0);
}

/// Runs `sqlgate <args>` with standard output and error on a pseudo-terminal, as a
/// person at a terminal would; returns what it printed.
fn on_terminal(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two descriptors into the given integers; no name,
    // termios or window size is passed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: both descriptors were just opened by openpty and are owned here.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = sqlgate(cwd);
    cmd.args(args)
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .stdout(slave.try_clone().expect("dup"))
        .stderr(slave);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("sqlgate runs");
    drop(cmd); // the parent's copies of the terminal's slave side
    let mut out = Vec::new();
    let mut file = std::fs::File::from(master);
    let mut buf = [0u8; 4096];
    // The master reads EIO once the child (the last holder of the slave) exits.
    while let Ok(n) = file.read(&mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    child.wait().expect("sqlgate ends");
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn database_commands_are_coloured_on_a_terminal_only() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        "create table a (id int);",
    );
    write(
        t.path().join("migrations/002_b.sql"),
        "create table b (id int);",
    );
    let url = fresh_db();
    assert_eq!(apply(t.path(), &url, &["--to", "1"]).code, 0);
    let esc = "\u{1b}[";
    let shown = on_terminal(t.path(), &["status", "--database-url", &url], &[]);
    assert!(
        shown.contains(esc),
        "status on a terminal is coloured: {shown:?}"
    );
    assert!(
        shown.contains("001_a") && shown.contains("002_b"),
        "{shown:?}"
    );
    let plain = on_terminal(
        t.path(),
        &["status", "--database-url", &url],
        &[("NO_COLOR", "1")],
    );
    assert!(!plain.contains(esc), "NO_COLOR: {plain:?}");
    let piped = sg(t.path(), &["status", "--database-url", &url]);
    assert!(!piped.stdout.contains(esc), "piped: {:?}", piped.stdout);
    let applied = on_terminal(t.path(), &["apply", "--database-url", &url], &[]);
    assert!(
        applied.contains(esc),
        "apply on a terminal is coloured: {applied:?}"
    );
    assert!(applied.contains("applied 1 migration(s)"), "{applied:?}");
    let valid = on_terminal(t.path(), &["validate", "--database-url", &url], &[]);
    assert!(valid.contains(esc) && valid.contains("valid:"), "{valid:?}");
}
