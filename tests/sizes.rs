//! Size-aware verdicts: `sqlgate stats export` against a real PostgreSQL, and
//! `check --stats` with the snapshot.

use crate::support::pg::*;
use crate::support::*;
use serde_json::Value;

/// `sqlgate stats export` of `url` into `dir/sizes.json`; its path.
fn export(dir: &std::path::Path, url: &str) -> std::path::PathBuf {
    let snap = dir.join("sizes.json");
    let r = sg(
        dir,
        &[
            "stats",
            "export",
            "--database-url",
            url,
            "--output",
            snap.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    snap
}

#[test]
fn verdicts_follow_the_tables_sizes() {
    let url = fresh_db();
    query(
        &url,
        "CREATE TABLE big AS SELECT g AS id, g % 100 AS a, (g % 7)::text AS note FROM generate_series(1, 2000000) g;
         CREATE TABLE small (id int PRIMARY KEY, a int, note text);
         INSERT INTO small SELECT g, g, 'planted-secret-7f3a' FROM generate_series(1, 500) g;
         CREATE TABLE parent (id int PRIMARY KEY);
         ANALYZE big; ANALYZE small;",
    );
    let t = tempfile::tempdir().unwrap();
    let snap = export(t.path(), &url);
    let text = std::fs::read_to_string(&snap).unwrap();
    assert!(!text.contains("planted-secret"), "no row values: {text}");
    assert!(
        !text.contains("sqlgate:") && !text.contains("127.0.0.1"),
        "no connection details"
    );
    let v: Value = serde_json::from_str(&text).unwrap();
    let big = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "big")
        .expect("big is in the snapshot")
        .clone();
    assert!(big["rows"].as_i64().unwrap() > 1_500_000, "{big}");
    assert!(big["total_bytes"].as_i64().unwrap() > 50 << 20, "{big}");

    let each = |table: &str| {
        format!(
            "CREATE INDEX {table}_a ON {table} (a);\n\
             ALTER TABLE {table} ALTER COLUMN note SET NOT NULL;\n\
             ALTER TABLE {table} ALTER COLUMN a TYPE bigint;\n\
             ALTER TABLE {table} ADD COLUMN r float8 DEFAULT random();\n\
             ALTER TABLE {table} ADD CONSTRAINT {table}_p FOREIGN KEY (id) REFERENCES parent (id);\n"
        )
    };
    write(t.path().join("migrations/001_small.sql"), each("small"));
    let json = |args: &[&str]| {
        let mut all = vec!["check", "--all", "--format", "json"];
        all.extend_from_slice(args);
        let r = sg(t.path(), &all);
        (
            r.code,
            serde_json::from_str::<Value>(&r.stdout).unwrap_or(Value::Null),
            r.stderr,
        )
    };
    // Without sizes: errors. With them: the small table's findings are info.
    let (code, plain, _) = json(&[]);
    assert_eq!(code, 1, "{plain}");
    let (code, sized, err) = json(&["--stats", snap.to_str().unwrap()]);
    assert_eq!(
        code, 0,
        "small tables pass with the default fail-on: {sized} {err}"
    );
    let rules = [
        "create-index-non-concurrently",
        "set-not-null",
        "alter-column-type",
        "add-column-volatile-default",
        "add-foreign-key-validating",
    ];
    for rule in rules {
        let f = sized["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap_or_else(|| panic!("{rule}: {sized}"));
        assert_eq!(f["severity"], "info", "{f}");
        assert!(
            f["message"].as_str().unwrap().contains("small table small"),
            "{f}"
        );
        assert_eq!(f["table"]["name"], "public.small", "{f}");
    }

    // The big table stays an error, with its size in text, JSON and markdown.
    write(t.path().join("migrations/002_big.sql"), each("big"));
    let (code, sized, _) = json(&["--stats", snap.to_str().unwrap()]);
    assert_eq!(code, 1, "{sized}");
    for rule in rules {
        let f = sized["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["file"].as_str().unwrap().ends_with("002_big.sql"))
            .unwrap_or_else(|| panic!("{rule}: {sized}"));
        assert_eq!(f["severity"], "error", "{f}");
        assert!(
            f["message"].as_str().unwrap().contains("big (~2.0 M rows"),
            "{f}"
        );
        assert!(f["table"]["bytes"].as_i64().unwrap() > 50 << 20, "{f}");
        assert!(f["table"]["estimate"].as_str().is_some(), "{f}");
    }
    let text = sg(
        t.path(),
        &["check", "--all", "--stats", snap.to_str().unwrap()],
    );
    assert!(text.stdout.contains("big (~2.0 M rows"), "{}", text.stdout);
    let md = sg(
        t.path(),
        &[
            "check",
            "--all",
            "--format",
            "markdown",
            "--stats",
            snap.to_str().unwrap(),
        ],
    );
    assert!(md.stdout.contains("~2.0 M rows"), "{}", md.stdout);

    // A table the snapshot does not have keeps its verdict and says so.
    write(
        t.path().join("migrations/003_other.sql"),
        "CREATE INDEX other_a ON other (a);\n",
    );
    let (_, sized, _) = json(&["--stats", snap.to_str().unwrap()]);
    let other = sized["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("003_other.sql"))
        .expect("other's finding")
        .clone();
    assert_eq!(other["severity"], "error", "{other}");
    assert!(
        other["message"]
            .as_str()
            .unwrap()
            .contains("not in the size snapshot"),
        "{other}"
    );

    // The configuration key works like the flag.
    std::fs::remove_file(t.path().join("migrations/002_big.sql")).unwrap();
    std::fs::remove_file(t.path().join("migrations/003_other.sql")).unwrap();
    write(t.path().join("sqlgate.toml"), "stats = \"sizes.json\"\n");
    let (code, v, _) = json(&[]);
    assert_eq!(code, 0, "{v}");

    // `[stats]`: the file and the thresholds; with a small table under 10 rows, the
    // 500-row table is judged as it is today.
    write(
        t.path().join("sqlgate.toml"),
        "[stats]\nfile = \"sizes.json\"\nsmall_table_rows = 10\n",
    );
    let (code, v, _) = json(&[]);
    assert_eq!(code, 1, "{v}");
    write(
        t.path().join("sqlgate.toml"),
        "[stats]\nfile = \"sizes.json\"\nscan_mb_per_s = -1\n",
    );
    let r = sg(t.path(), &["check", "--all"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("stats.scan_mb_per_s"), "{}", r.stderr);
    write(t.path().join("sqlgate.toml"), "stats = \"sizes.json\"\n");

    // A corrupt snapshot is a usage error.
    std::fs::write(&snap, "{\"format\": 1, \"tables\": [").unwrap();
    let r = sg(t.path(), &["check", "--all"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("size snapshot"), "{}", r.stderr);
}

/// `[stats] replay_rows`: the replay fills the tables the change touches with
/// generated rows (any column type, a required foreign key, an enum) and measures
/// the statement on them; a table whose constraints refuse the rows says so.
#[test]
fn the_replay_measures_on_sample_rows_scaled_to_the_snapshot() {
    let _serial = replay_lock();
    let t = tempfile::tempdir().unwrap();
    let p = t.path().to_path_buf();
    write(
        p.join("migrations/001_base.sql"),
        "CREATE TYPE mood AS ENUM ('ok', 'sad');\n\
         CREATE TABLE parent (id int PRIMARY KEY);\nINSERT INTO parent VALUES (1);\n\
         CREATE TABLE big (id bigint PRIMARY KEY, parent_id int NOT NULL REFERENCES parent, code varchar(6) NOT NULL, \
           at timestamptz NOT NULL, flag boolean NOT NULL, m mood NOT NULL, u uuid NOT NULL, doc jsonb NOT NULL, \
           amount numeric(10,2) NOT NULL, tags text[] NOT NULL, note text, created timestamptz DEFAULT now());\n\
         CREATE TABLE strict (id int PRIMARY KEY, code text NOT NULL CHECK (code ~ '^[A-Z]+$'));\n",
    );
    let now = chrono::Utc::now().to_rfc3339();
    write(
        p.join("sizes.json"),
        format!(
            r#"{{"format": 1, "server_version": "15.4", "exported_at": "{now}", "tables": [
            {{"schema": "public", "name": "big", "rows": 2000000, "total_bytes": 300000000, "table_bytes": 250000000, "index_bytes": 50000000}},
            {{"schema": "public", "name": "strict", "rows": 900000, "total_bytes": 90000000, "table_bytes": 80000000, "index_bytes": 10000000}}
        ]}}"#
        ),
    );
    write(
        p.join("sqlgate.toml"),
        "[stats]\nfile = \"sizes.json\"\nreplay_rows = 20000\n",
    );
    git_change(
        &p,
        &[(
            "migrations/002_index.sql",
            "CREATE INDEX big_code ON big (code);\nCREATE INDEX strict_code ON strict (code);\n",
        )],
    );
    let admin = admin_url();
    let (code, v) = check_json(&p, &["--base", "main~1", "--scratch", &admin]);
    assert_eq!(code, 1, "a 2 M-row table keeps its error: {v:#}");
    let samples = v["replay"]["samples"].as_array().expect("samples").clone();
    let big = samples
        .iter()
        .find(|s| s["table"] == "public.big")
        .expect("big filled");
    assert_eq!(big["rows"], 20000, "{big}");
    assert_eq!(big["production_rows"], 2000000);
    assert!(big.get("error").is_none(), "{big}");
    let strict = samples
        .iter()
        .find(|s| s["table"] == "public.strict")
        .expect("strict tried");
    assert_eq!(strict["rows"], 0);
    assert!(
        strict["error"]
            .as_str()
            .unwrap()
            .contains("check constraint"),
        "{strict}"
    );

    let finding = |table: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == "create-index-non-concurrently" && f["table"]["name"] == table)
            .unwrap_or_else(|| panic!("{table}: {v:#}"))
            .clone()
    };
    let b = finding("public.big");
    let measured = b["table"]["measured"].as_str().expect("measured");
    assert!(
        measured.contains("on 20000 generated rows") && measured.contains("~2.0 M rows"),
        "{measured}"
    );
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("measured in the replay"),
        "{b}"
    );
    let s = finding("public.strict");
    assert!(
        s["message"].as_str().unwrap().contains("could not fill"),
        "{s}"
    );
    assert!(s["table"].get("measured").is_none());
}

/// Lemmy's last 42 migrations against a snapshot of a database built from the 300
/// before them (what PostgreSQL 15 can build; stand-ins for the five tables that need
/// 16) and seeded like a busy instance (`post`, `comment`, `person`,
/// `post_actions`, `notification` and the `person_*_combined` tables large, the rest
/// small, as a real instance's lookup and moderation tables are): the lock and rewrite
/// errors fall to those on the large tables, each naming its size; the data-loss
/// errors stay. Skipped when ../shared/corpora is absent.
#[test]
fn lemmy_errors_fall_to_the_large_tables_with_a_seeded_snapshot() {
    let Some((_t, dir)) = lemmy_repo(300, 342) else {
        eprintln!("skipped: ../shared/corpora is absent");
        return;
    };
    let url = fresh_db();
    let rt = rt();
    // The shipped state: each up.sql as one batch (a few need PostgreSQL 16 and fail
    // here; the tables the change touches are all built).
    let mut names: Vec<String> = std::fs::read_dir(dir.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let shipped: Vec<String> = git(&dir, &["ls-tree", "--name-only", "main~1", "migrations/"])
        .lines()
        .map(|l| l.trim_start_matches("migrations/").to_string())
        .collect();
    let started = std::time::Instant::now();
    let samples = rt.block_on(async {
        let c = client(&url).await;
        for n in names.iter().filter(|n| shipped.contains(n)) {
            let sql =
                std::fs::read_to_string(dir.join("migrations").join(n).join("up.sql")).unwrap();
            let _ = c.batch_execute(&sql).await;
        }
        eprintln!("applied in {:?}", started.elapsed());
        // What PostgreSQL 15 could not build (lemmy needs 16 from its 248th
        // migration): stand-ins with the same names, so the snapshot has their sizes.
        for t in [
            "post_actions",
            "notification",
            "person_content_combined",
            "person_liked_combined",
            "person_saved_combined",
        ] {
            c.batch_execute(&format!("CREATE TABLE IF NOT EXISTS {t} (id bigint)"))
                .await
                .unwrap();
        }
        c.batch_execute("SET session_replication_role = replica")
            .await
            .unwrap();
        use sqlgate_pg::replay::sample::{fill, Fill};
        let f = |table: &str, rows: i64| Fill {
            table: format!("public.{table}"),
            rows,
            production_rows: rows,
        };
        let fills = [
            f("instance", 20),
            f("community", 200),
            f("person", 12_000),
            f("post", 12_000),
            f("comment", 12_000),
            f("post_actions", 12_000),
            f("notification", 12_000),
            f("person_content_combined", 12_000),
            f("person_liked_combined", 12_000),
            f("person_saved_combined", 500),
        ];
        let samples = fill(&c, &fills).await;
        eprintln!("seeded in {:?}", started.elapsed());
        c.batch_execute("ANALYZE").await.unwrap();
        samples
    });
    for s in &samples {
        assert!(s.error.is_none(), "{s:?}");
    }
    let snap = export(&dir, &url);
    // The thresholds scaled down ten times with the rows (seeding a million rows takes
    // a minute); bench notes give the run at the default thresholds.
    write(
        dir.join("sqlgate.toml"),
        "[stats]\nsmall_table_rows = 10000\nsmall_table_size = \"1MB\"\n",
    );

    let errors = |v: &Value| -> Vec<Value> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["severity"] == "error")
            .cloned()
            .collect()
    };
    let (_, plain) = check_json(&dir, &["--base", "main~1"]);
    let (_, sized) = check_json(
        &dir,
        &["--base", "main~1", "--stats", snap.to_str().unwrap()],
    );
    let (before, after) = (errors(&plain), errors(&sized));
    let large = [
        "post",
        "comment",
        "person",
        "post_actions",
        "notification",
        "person_content_combined",
        "person_liked_combined",
    ];
    let mut on_large = 0;
    for f in &after {
        if f["table"].is_object() {
            let name = f["table"]["name"]
                .as_str()
                .unwrap()
                .trim_start_matches("public.");
            assert!(large.contains(&name), "an error on a small table: {f}");
            assert!(
                f["message"].as_str().unwrap().contains(" rows, "),
                "names the size: {f}"
            );
            on_large += 1;
        } else {
            assert!(!f["rule"].as_str().unwrap().is_empty());
        }
    }
    let data_loss = |v: &[Value]| {
        v.iter()
            .filter(|f| f["rule"] == "drop-table" || f["rule"] == "drop-column")
            .count()
    };
    assert_eq!(
        data_loss(&before),
        data_loss(&after),
        "data loss never depends on size"
    );
    assert!(
        after.len() < before.len() && on_large > 0,
        "{} → {}",
        before.len(),
        after.len()
    );
    assert_eq!(
        after.len(),
        on_large + data_loss(&after),
        "what is left is on the large tables, or data loss: {after:#?}"
    );
    eprintln!(
        "lemmy's last 42 migrations: {} errors without sizes, {} with the seeded snapshot ({} on the large tables, {} data-loss)",
        before.len(),
        after.len(),
        on_large,
        data_loss(&after)
    );
    // The comment says the same.
    let r = sg(
        &dir,
        &[
            "check",
            "--base",
            "main~1",
            "--stats",
            snap.to_str().unwrap(),
            "--format",
            "markdown",
        ],
    );
    assert!(
        r.stdout.contains(&format!("{} error(s)", after.len())),
        "{}",
        r.stdout
    );
}
