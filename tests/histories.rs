//! Real histories: each test is a small directory reproducing what a public project's
//! complete history showed (diesel's text order, a runner that applies every `.sql`
//! file, a layout that flipped under a pull request, out-of-order merges in timestamp
//! projects, Go template placeholders, DDL inside `DO` blocks), on the real binary,
//! real git repositories and a real PostgreSQL.

use crate::support::pg::*;
use crate::support::*;
use serde_json::Value;
use std::path::Path;

fn with_url<'a>(args: &[&'a str], url: &'a str) -> Vec<&'a str> {
    let mut a = args.to_vec();
    a.extend(["--database-url", url]);
    a
}

fn status_names(dir: &Path, url: &str) -> Vec<(String, String)> {
    let r = sg(dir, &with_url(&["status", "--format", "json"], url));
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("status JSON ({e}): {}{}", r.stdout, r.stderr));
    v["migrations"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    (
                        m["name"].as_str().unwrap_or_default().to_string(),
                        m["state"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// diesel: `2025-11-19-091444-0000_a` (18 digits) comes before `2026-01-20-162913_b`
/// (14 digits), because diesel compares versions as strings.
#[test]
fn diesel_versions_order_as_diesel_orders_them() {
    let (_t, p) = repo();
    let a = "2025-11-19-091444-0000_create_posts";
    let b = "2026-01-20-162913_add_index";
    write(
        p.join(format!("migrations/{a}/up.sql")),
        "CREATE TABLE posts (id bigint PRIMARY KEY, title text);\n",
    );
    write(
        p.join(format!("migrations/{a}/down.sql")),
        "DROP TABLE posts;\n",
    );
    commit_all(&p, "base");
    git(&p, &["checkout", "-q", "-b", "feature"]);
    // Needs the table of the first: it only applies in diesel's order.
    write(
        p.join(format!("migrations/{b}/up.sql")),
        "ALTER TABLE posts ADD COLUMN body text;\n",
    );
    write(
        p.join(format!("migrations/{b}/down.sql")),
        "ALTER TABLE posts DROP COLUMN body;\n",
    );
    // A real pull request of that project: no false out-of-order, whatever the policy.
    write(p.join("sqlgate.toml"), "out_of_order = \"error\"\n");
    let (code, v) = check_json(&p, &["--base", "main"]);
    assert_eq!(code, 0, "{v}");
    assert!(rules(&v).is_empty(), "{v}");

    // A fresh database: applied in diesel's order.
    let url = fresh_db();
    let r = sg(&p, &with_url(&["apply"], &url));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let first = r.stdout.find(a).unwrap_or(usize::MAX);
    let second = r.stdout.find(b).unwrap_or(0);
    assert!(first < second, "{}", r.stdout);
    assert_eq!(
        status_names(&p, &url),
        [
            (a.to_string(), "applied".to_string()),
            (b.to_string(), "applied".to_string())
        ]
    );
    // A database where diesel applied the first only: the second is simply next.
    let r = sg(&p, &with_url(&["rollback"], &url));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(b),
        "the newer one goes first: {}",
        r.stdout
    );
    let r = sg(&p, &with_url(&["apply"], &url));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("out of order"), "{}", r.stdout);
    assert_eq!(
        query(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'posts' AND column_name = 'body'"
        ),
        ["1"]
    );
    let r = sg(&p, &with_url(&["status"], &url));
    assert!(
        r.stdout.contains("Current version: 20260120162913"),
        "{}",
        r.stdout
    );
}

/// A runner that applies every `.sql` file in version order: older files are named
/// `<version>_<name>.up.sql`, newer ones `<version>_<name>.sql`, no down files.
#[test]
fn a_directory_of_up_sql_and_plain_sql_files_is_one_flat_history() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_users.up.sql", "CREATE TABLE users (id bigint);\n"),
            (
                "002_orders.up.sql",
                "CREATE TABLE orders (id bigint, user_id bigint);\n",
            ),
            (
                "003_email.sql",
                "ALTER TABLE users ADD COLUMN email text;\n",
            ),
            (
                "004_total.sql",
                "ALTER TABLE orders ADD COLUMN total numeric;\n",
            ),
        ],
    );
    let (code, v) = check_json(t.path(), &["--all"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["layout"], "flat", "{v}");
    assert!(rules(&v).is_empty(), "{v}");
    let url = fresh_db();
    let r = sg(t.path(), &with_url(&["apply"], &url));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let states = status_names(t.path(), &url);
    assert_eq!(states.len(), 4, "{states:?}");
    assert!(states.iter().all(|(_, s)| s == "applied"), "{states:?}");
    assert_eq!(
        query(
            &url,
            "SELECT count(*) FROM information_schema.columns WHERE table_name IN ('users', 'orders')"
        ),
        ["5"]
    );
    // Told so explicitly, the same.
    write(t.path().join("sqlgate.toml"), "layout = \"flat\"\n");
    let (code, v) = check_json(t.path(), &["--all"]);
    assert_eq!(code, 0, "{v}");
}

/// The layout of the base must not flip because the pull request adds one file.
#[test]
fn adding_one_file_never_changes_how_the_others_are_read() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        // No downs: the `.up.sql` files are flat names all along.
        (
            &[
                ("001_a.up.sql", "CREATE TABLE a (id int);\n"),
                ("002_b.up.sql", "CREATE TABLE b (id int);\n"),
                ("003_c.sql", "CREATE TABLE c (id int);\n"),
                ("004_d.sql", "CREATE TABLE d (id int);\n"),
            ],
            "005_e.sql",
        ),
        // With a down: pairs and flat tie on the base; one more flat file would
        // have tipped the head over.
        (
            &[
                ("001_a.up.sql", "CREATE TABLE a (id int);\n"),
                ("001_a.down.sql", "DROP TABLE a;\n"),
                ("002_b.sql", "CREATE TABLE b (id int);\n"),
                ("003_c.sql", "CREATE TABLE c (id int);\n"),
            ],
            "004_d.sql",
        ),
    ];
    for (base, added) in cases {
        let (_t, p) = repo();
        for (f, c) in *base {
            write(p.join("migrations").join(f), c);
        }
        commit_all(&p, "base");
        git(&p, &["checkout", "-q", "-b", "feature"]);
        write(
            p.join("migrations").join(added),
            "CREATE TABLE e (id int);\n",
        );
        let (code, v) = check_json(&p, &["--base", "main"]);
        let found = rules(&v);
        for bad in [
            "deleted-migration",
            "out-of-order",
            "mixed-layout",
            "renamed-migration",
        ] {
            assert!(!found.iter().any(|r| r == bad), "{base:?}: {v}");
        }
        assert_eq!(code, 0, "{base:?}: {v}");
        assert_eq!(v["migrations"]["new"], 1, "only the added file is new: {v}");
    }
}

/// Timestamp projects merge parallel branches: diesel, dbmate, Rails and
/// golang-migrate apply an older migration that arrives late. `warn` by default.
#[test]
fn an_older_migration_merged_late_is_applied_by_policy() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("20240101000000_a.sql", "CREATE TABLE a (id int);\n"),
            ("20240301000000_c.sql", "CREATE TABLE c (id int);\n"),
        ],
    );
    let url = fresh_db();
    assert_eq!(sg(t.path(), &with_url(&["apply"], &url)).code, 0);
    migrations(
        t.path(),
        &[("20240201000000_b.sql", "CREATE TABLE b (id int);\n")],
    );
    // `error`: refused, nothing runs.
    write(t.path().join("sqlgate.toml"), "out_of_order = \"error\"\n");
    let r = sg(t.path(), &with_url(&["apply"], &url));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("out-of-order"), "{}", r.stdout);
    assert_eq!(query(&url, "SELECT to_regclass('b') IS NULL"), ["t"]);
    // The default for timestamps (`warn`): applied, and said.
    std::fs::remove_file(t.path().join("sqlgate.toml")).expect("rm");
    let r = sg(t.path(), &with_url(&["apply"], &url));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("20240201000000_b is older than version 20240301000000")
            && r.stdout.contains("out of order (out_of_order = \"warn\")"),
        "{}",
        r.stdout
    );
    assert_eq!(query(&url, "SELECT to_regclass('b') IS NOT NULL"), ["t"]);
    // Sequential numbers keep `error` by default.
    let s = tempfile::tempdir().expect("tempdir");
    migrations(
        s.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("003_c.sql", "CREATE TABLE c (id int);\n"),
        ],
    );
    let url = fresh_db();
    assert_eq!(sg(s.path(), &with_url(&["apply"], &url)).code, 0);
    migrations(s.path(), &[("002_b.sql", "CREATE TABLE b (id int);\n")]);
    let r = sg(s.path(), &with_url(&["apply"], &url));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let r = sg(
        s.path(),
        &with_url(&["apply", "--allow-out-of-order"], &url),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("(--allow-out-of-order)"), "{}", r.stdout);
}

/// A project whose files are Go templates rendered by its runner.
#[test]
fn go_template_placeholders_are_variables() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            (
                "001_schema.sql",
                "CREATE SCHEMA IF NOT EXISTS {{ index .Options \"Namespace\" }};\n",
            ),
            (
                "002_users.sql",
                "CREATE TABLE {{ index .Options \"Namespace\" }}.users (\n  id bigint PRIMARY KEY,\n  email text\n);\n",
            ),
        ],
    );
    // Undefined: one finding per file naming the placeholder, no syntax error.
    let (code, v) = check_json(t.path(), &["--all"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        rules(&v),
        ["undefined-placeholder", "undefined-placeholder"],
        "{v}"
    );
    let f = &v["findings"][0];
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("{{ index .Options \"Namespace\" }}")),
        "{f}"
    );
    let url = fresh_db();
    let r = sg(t.path(), &with_url(&["apply"], &url));
    assert_eq!(
        r.code, 2,
        "refused before anything runs: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("undefined-placeholder"), "{}", r.stdout);
    assert_eq!(query(&url, "SELECT to_regnamespace('auth') IS NULL"), ["t"]);
    // --var names it by the trimmed text between the braces.
    let var = "index .Options \"Namespace\"=auth";
    let (code, v) = check_json(t.path(), &["--all", "--var", var]);
    assert_eq!(code, 0, "{v}");
    let r = sg(t.path(), &with_url(&["apply", "--var", var], &url));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        query(&url, "SELECT to_regclass('auth.users') IS NOT NULL"),
        ["t"]
    );
    // And `[vars]` in sqlgate.toml.
    write(
        t.path().join("sqlgate.toml"),
        "[vars]\n\"index .Options \\\"Namespace\\\"\" = \"auth\"\n",
    );
    let (code, v) = check_json(t.path(), &["--all"]);
    assert_eq!(code, 0, "{v}");
}

/// `DO $$ BEGIN ALTER TABLE … NOT NULL …; CREATE INDEX …; END $$;` used to report
/// nothing.
#[test]
fn ddl_inside_do_blocks_is_checked() {
    let (_t, p) = repo();
    write(
        p.join("migrations/001_users.sql"),
        "CREATE SCHEMA auth;\nCREATE TABLE auth.users (id bigint PRIMARY KEY, email text);\n",
    );
    commit_all(&p, "base");
    git(&p, &["checkout", "-q", "-b", "feature"]);
    write(
        p.join("migrations/002_flags.sql"),
        "DO $$\nBEGIN\n  ALTER TABLE auth.users ADD COLUMN is_sso boolean NOT NULL;\n  CREATE INDEX users_sso_idx ON auth.users (is_sso);\n  EXECUTE format('GRANT SELECT ON %I.users TO app', 'auth');\nEND $$;\n",
    );
    let (code, v) = check_json(&p, &["--base", "main"]);
    assert_eq!(code, 1, "{v}");
    let at: Vec<(String, u64, u64)> = v["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap_or_default().to_string(),
                        f["line"].as_u64().unwrap_or(0),
                        f["column"].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for want in [
        ("add-column-required", 3),
        ("create-index-non-concurrently", 4),
        ("unchecked-dynamic-sql", 5),
    ] {
        assert!(
            at.iter().any(|(r, l, _)| r == want.0 && *l == want.1),
            "{want:?} in {at:?}"
        );
    }
}
