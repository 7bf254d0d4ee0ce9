//! Preview databases on a real PostgreSQL (the tests' server as the staging server):
//! created, updated incrementally, rebuilt, dropped; never touching a database
//! without sqlgate's marker; surviving SIGTERM and a concurrent run; copying a
//! template; and under `sqlgate ci`, the comment and outputs through a fake GitHub API.

use crate::ci::{ci, pr_payload, Actions};
use crate::support::fake_github::FakeGitHub;
use crate::support::pg::*;
use crate::support::*;
use serde_json::json;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

/// A prefix of this test's own, so parallel tests never share a preview.
pub(crate) fn prefix() -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "pv{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub(crate) fn project(prefix: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path().join("sqlgate.toml"),
        format!("[preview]\nprefix = \"{prefix}\"\n"),
    );
    migrations(
        t.path(),
        &[
            (
                "001_users.sql",
                "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
            ),
            (
                "002_posts.sql",
                "CREATE TABLE posts (id bigint PRIMARY KEY, title text);\n",
            ),
        ],
    );
    t
}

pub(crate) fn preview(dir: &Path, args: &[&str]) -> Run {
    let mut a = vec!["preview"];
    a.extend_from_slice(args);
    a.extend(["--database-url", "ADMIN"]);
    let admin = admin_url();
    let a: Vec<&str> = a
        .into_iter()
        .map(|x| if x == "ADMIN" { admin.as_str() } else { x })
        .collect();
    sg(dir, &a)
}

pub(crate) fn on(db: &str, sql: &str) -> Vec<String> {
    let url = admin_url();
    let url = match url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{db}"),
        None => url,
    };
    query(&url, sql)
}

pub(crate) fn databases(like: &str) -> Vec<String> {
    query(
        &admin_url(),
        &format!("SELECT datname FROM pg_database WHERE datname LIKE '{like}%' ORDER BY 1"),
    )
}

pub(crate) fn history(db: &str) -> Vec<String> {
    on(
        db,
        "SELECT name FROM sqlgate_migrations ORDER BY version::numeric",
    )
}

#[test]
fn created_updated_rebuilt_and_dropped() {
    let p = prefix();
    let t = project(&p);
    let db = format!("{p}_pr_7");
    let r = preview(t.path(), &["up", "--pr", "7"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("created"), "{}", r.stdout);
    assert_eq!(history(&db), ["001_users", "002_posts"]);
    on(&db, "INSERT INTO users VALUES (1, 'kept@example.com')");
    // A new migration: only it runs, the data stays.
    write(
        t.path().join("migrations/003_bio.sql"),
        "ALTER TABLE users ADD COLUMN bio text;\n",
    );
    let r = preview(t.path(), &["up", "--pr", "7"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("updated"), "{}", r.stdout);
    assert!(
        r.stdout.contains("applied 003_bio") && !r.stdout.contains("applied 001_users"),
        "{}",
        r.stdout
    );
    assert_eq!(on(&db, "SELECT count(*) FROM users"), ["1"]);
    // Nothing new: nothing runs.
    let r = preview(t.path(), &["up", "--pr", "7"]);
    assert!(r.stdout.contains("up-to-date"), "{}", r.stdout);
    // An applied migration amended: rebuilt from scratch.
    write(
        t.path().join("migrations/002_posts.sql"),
        "CREATE TABLE posts (id bigint PRIMARY KEY, title text NOT NULL);\n",
    );
    let r = preview(t.path(), &["up", "--pr", "7"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("rebuilt") && r.stdout.contains("002_posts"),
        "{}",
        r.stdout
    );
    assert_eq!(on(&db, "SELECT count(*) FROM users"), ["0"]);
    assert_eq!(history(&db), ["001_users", "002_posts", "003_bio"]);
    let r = preview(t.path(), &["list"]);
    assert!(r.stdout.contains(&db), "{}", r.stdout);
    let r = preview(t.path(), &["down", "--pr", "7"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(databases(&p).is_empty(), "{:?}", databases(&p));
    assert!(
        query(
            &admin_url(),
            &format!("SELECT rolname FROM pg_roles WHERE rolname = '{db}'")
        )
        .is_empty(),
        "the role went too"
    );
}

/// An update reads the schema before, runs the migrations and reads it after on one
/// session: what a migration leaves in it (here a `search_path`) does not change how
/// the schema reads, so the diff shows only what the migration made.
#[test]
fn an_update_diffs_only_what_its_migrations_made() {
    let p = prefix();
    let t = project(&p);
    let r = preview(t.path(), &["up", "--pr", "8"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    write(
        t.path().join("migrations/003_side.sql"),
        "CREATE SCHEMA side;\nSET search_path = side;\nCREATE TABLE notes (id int);\n",
    );
    let r = preview(t.path(), &["up", "--pr", "8", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let diff = v["schema_diff"].as_str().unwrap_or_default();
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed, ["+TABLE side.notes", "+  id integer"], "{diff}");
}

#[test]
fn a_database_without_the_marker_is_never_touched() {
    let p = prefix();
    let t = project(&p);
    let db = format!("{p}_pr_9");
    query(&admin_url(), &format!("CREATE DATABASE {db}"));
    on(
        &db,
        "CREATE TABLE precious (id int); INSERT INTO precious VALUES (1)",
    );
    for args in [&["down", "--pr", "9"][..], &["up", "--pr", "9"][..]] {
        let r = preview(t.path(), args);
        assert_eq!(r.code, 2, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("not a sqlgate preview")
                || r.stderr.contains("not in sqlgate's registry"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(on(&db, "SELECT count(*) FROM precious"), ["1"]);
    query(&admin_url(), &format!("DROP DATABASE {db}"));
}

#[test]
fn names_that_could_carry_sql_are_refused() {
    let p = prefix();
    let t = project(&p);
    let long = "a".repeat(100);
    for name in [
        "x\"; DROP DATABASE postgres; --",
        "has space",
        "Upper",
        long.as_str(),
        "x'y",
    ] {
        let r = preview(t.path(), &["up", "--name", name]);
        assert_eq!(r.code, 2, "{name}: {}{}", r.stdout, r.stderr);
    }
    write(
        t.path().join("sqlgate.toml"),
        "[preview]\nprefix = \"bad prefix\"\n",
    );
    let r = preview(t.path(), &["up", "--pr", "1"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("sqlgate.toml:2") && r.stderr.contains("preview.prefix"),
        "{}",
        r.stderr
    );
}

#[test]
fn gc_drops_old_previews_and_keeps_fresh_ones() {
    let p = prefix();
    let t = project(&p);
    for pr in ["1", "2"] {
        assert_eq!(preview(t.path(), &["up", "--pr", pr]).code, 0);
    }
    // Age the first one's build time, in sqlgate's registry.
    let old = format!("{p}_pr_1");
    query(
        &admin_url(),
        &format!(
            "UPDATE public.sqlgate_previews SET record = regexp_replace(record, '\"built_at\":\"[^\"]*\"', '\"built_at\":\"2020-01-01T00:00:00Z\"') WHERE database = '{old}'"
        ),
    );
    let r = preview(t.path(), &["gc", "--older-than", "7d"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&old), "{}", r.stdout);
    assert_eq!(databases(&p), [format!("{p}_pr_2")]);
    assert_eq!(preview(t.path(), &["down", "--pr", "2"]).code, 0);
}

#[test]
fn sigterm_during_a_rebuild_leaves_the_old_preview_and_no_build() {
    let p = prefix();
    let t = project(&p);
    let db = format!("{p}_pr_3");
    assert_eq!(preview(t.path(), &["up", "--pr", "3"]).code, 0);
    // Force a rebuild whose migration takes a while.
    write(
        t.path().join("migrations/002_posts.sql"),
        "CREATE TABLE posts (id bigint PRIMARY KEY);\nSELECT pg_sleep(20);\n",
    );
    let admin = admin_url();
    let mut child = sqlgate(t.path())
        .args(["preview", "up", "--pr", "3", "--database-url", &admin])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while databases(&format!("{db}__build")).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        !databases(&format!("{db}__build")).is_empty(),
        "the build started"
    );
    // Mid-migration: the build's session is running the slow statement.
    let running = || {
        query(
            &admin_url(),
            &format!(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%pg_sleep(20)%' AND datname LIKE '{db}__build%'"
            ),
        ) == ["1"]
    };
    while !running() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(running(), "the build reached its slow statement");
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().expect("wait");
    assert!(!status.success());
    assert_eq!(databases(&db), vec![db.clone()], "no build left behind");
    assert_eq!(
        history(&db),
        ["001_users", "002_posts"],
        "the old preview is intact"
    );
    assert_eq!(
        on(
            &db,
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'posts'"
        ),
        ["2"]
    );
    assert_eq!(preview(t.path(), &["down", "--pr", "3"]).code, 0);
}

#[test]
fn two_concurrent_ups_make_one_preview() {
    let p = prefix();
    let t = project(&p);
    let db = format!("{p}_pr_4");
    let runs: Vec<Run> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..2)
            .map(|_| s.spawn(|| preview(t.path(), &["up", "--pr", "4"])))
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    for r in &runs {
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
    let actions: Vec<bool> = runs.iter().map(|r| r.stdout.contains("created")).collect();
    assert_eq!(
        actions.iter().filter(|c| **c).count(),
        1,
        "one created it, the other found it done: {runs:?}"
    );
    assert_eq!(history(&db), ["001_users", "002_posts"]);
    assert_eq!(databases(&p), vec![db.clone()]);
    assert_eq!(preview(t.path(), &["down", "--pr", "4"]).code, 0);
}

#[test]
fn a_template_gives_realistic_data_and_timings() {
    let p = prefix();
    let t = project(&p);
    // Two snapshots sqlgate migrated, with 1,000 and 200,000 rows.
    let admin = admin_url();
    let mut durations = Vec::new();
    for rows in [1_000, 200_000] {
        let tpl = format!("{p}_tpl_{rows}");
        query(&admin, &format!("CREATE DATABASE {tpl}"));
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{tpl}"),
            None => admin.clone(),
        };
        assert_eq!(sg(t.path(), &["apply", "--database-url", &url]).code, 0);
        query(
            &url,
            &format!("INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, {rows}) i"),
        );
        write(
            t.path().join("migrations/003_lower.sql"),
            "UPDATE users SET email = lower(email);\n",
        );
        let r = preview(
            t.path(),
            &[
                "up",
                "--name",
                &format!("{p}_t{rows}"),
                "--template",
                &tpl,
                "--format",
                "json",
            ],
        );
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        assert_eq!(v["action"], "created");
        assert_eq!(
            v["applied"].as_array().map(Vec::len),
            Some(1),
            "only the migration the template lacks: {v}"
        );
        let ms = v["steps"][0]["duration_ms"].as_f64().unwrap_or(0.0);
        durations.push(ms);
        assert_eq!(
            on(&format!("{p}_t{rows}"), "SELECT count(*) FROM users"),
            [rows.to_string()]
        );
        std::fs::remove_file(t.path().join("migrations/003_lower.sql")).expect("rm");
        assert_eq!(
            preview(t.path(), &["down", "--name", &format!("{p}_t{rows}")]).code,
            0
        );
        query(&admin, &format!("DROP DATABASE {tpl}"));
    }
    assert!(
        durations[1] > durations[0] * 5.0,
        "the update grows with the rows: {durations:?}"
    );
    // A template without sqlgate history is refused with the adoption command.
    let bare = format!("{p}_bare");
    query(&admin, &format!("CREATE DATABASE {bare}"));
    let r = preview(t.path(), &["up", "--pr", "5", "--template", &bare]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("sqlgate adopt"), "{}", r.stderr);
    query(&admin, &format!("DROP DATABASE {bare}"));
}

#[test]
fn under_ci_a_pull_request_gets_its_preview_and_loses_it_when_closed() {
    let p = prefix();
    let t = project(&p);
    let dir = t.path();
    let (base, head) = git_change(
        dir,
        &[(
            "migrations/003_tags.sql",
            "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
        )],
    );
    let gh = FakeGitHub::start("");
    let admin = admin_url();
    let env = [
        ("SQLGATE_PREVIEW", "true"),
        ("SQLGATE_PREVIEW_SERVER_URL", admin.as_str()),
    ];
    let a = Actions::new(&pr_payload(21, &base, &head, "o/r"));
    let r = ci(dir, &gh, "pull_request", &a, &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let db = format!("{p}_pr_21");
    assert_eq!(a.output("preview-database").as_deref(), Some(db.as_str()));
    assert_eq!(a.output("preview-action").as_deref(), Some("created"));
    let url = a.output("preview-database-url").unwrap_or_default();
    assert!(
        query(&url, "SELECT current_user").len() == 1,
        "the URL works: {url}"
    );
    // The password is only ever shown in the mask line.
    let password = url
        .split_once("://")
        .and_then(|(_, r)| r.split_once('@'))
        .and_then(|(u, _)| u.split_once(':'))
        .map(|(_, p)| p.to_string())
        .unwrap_or_default();
    assert!(password.len() > 16, "{url}");
    for line in r.stdout.lines().chain(r.stderr.lines()) {
        assert!(
            !line.contains(&password) || line.starts_with("::add-mask::"),
            "{line}"
        );
    }
    assert!(!a.summary().contains(&password));
    let comments = gh.comments(21);
    assert_eq!(comments.len(), 1);
    let body = &comments[0].body;
    assert!(
        body.contains("sqlgate:preview")
            && body.contains("Preview database")
            && body.contains("003_tags"),
        "{body}"
    );
    assert!(!body.contains(&password));
    assert!(
        body.contains("+TABLE public.tags") || body.contains("tags"),
        "schema diff: {body}"
    );
    // Closed: dropped, the comment says so in place.
    let mut closed = pr_payload(21, &base, &head, "o/r");
    closed["action"] = json!("closed");
    let a = Actions::new(&closed);
    let r = ci(dir, &gh, "pull_request", &a, &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(a.output("preview-action").as_deref(), Some("dropped"));
    assert!(databases(&p).is_empty());
    let comments = gh.comments(21);
    assert_eq!(comments.len(), 1, "updated in place");
    assert!(comments[0].body.contains("dropped"), "{}", comments[0].body);
    // Never for a fork unless allowed.
    let a = Actions::new(&pr_payload(22, &base, &head, "someone/fork"));
    let r = ci(dir, &gh, "pull_request", &a, &env);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(databases(&p).is_empty());
}

#[test]
fn under_ci_on_a_schedule_previews_of_closed_pull_requests_go() {
    let p = prefix();
    let t = project(&p);
    for pr in ["31", "32"] {
        assert_eq!(preview(t.path(), &["up", "--pr", pr]).code, 0);
    }
    // Another project's preview on the same server is not this gc's business.
    let other = prefix();
    let o = project(&other);
    assert_eq!(preview(o.path(), &["up", "--pr", "32"]).code, 0);
    let gh = FakeGitHub::start("");
    gh.set_open(&[31]);
    let a = Actions::new(&json!({"schedule": "17 3 * * *"}));
    let admin = admin_url();
    let r = ci(
        t.path(),
        &gh,
        "schedule",
        &a,
        &[
            ("SQLGATE_COMMAND", "preview"),
            ("SQLGATE_PREVIEW_SERVER_URL", admin.as_str()),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(databases(&p), vec![format!("{p}_pr_31")]);
    assert_eq!(databases(&other), vec![format!("{other}_pr_32")]);
    assert_eq!(
        a.output("preview-dropped").as_deref(),
        Some(format!("{p}_pr_32").as_str())
    );
    assert_eq!(preview(t.path(), &["down", "--pr", "31"]).code, 0);
    assert_eq!(preview(o.path(), &["down", "--pr", "32"]).code, 0);
}
