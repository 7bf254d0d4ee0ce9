//! `check --scratch`: the replay on a real PostgreSQL, through the real binary.

use crate::support::pg;

use crate::support::*;
use serde_json::Value;

/// A repository whose base has a table and a trigger function, and a change with a
/// table rewrite no static rule can see (SET UNLOGGED inside a DO block), a trigger (SHARE ROW EXCLUSIVE),
/// a type change the static rules do report, and a migration that fails.
fn repo_with_change() -> (tempfile::TempDir, std::path::PathBuf) {
    let (t, dir) = repo();
    write(
        dir.join("migrations/001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, n int);\n\
         CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n",
    );
    commit_all(&dir, "base");
    write(
        dir.join("migrations/002_change.sql"),
        "DO $$ BEGIN EXECUTE format('ALTER TABLE %I SET UNLOGGED', 'users'); END $$;\n\
         CREATE TRIGGER users_audit AFTER UPDATE ON users FOR EACH ROW EXECUTE FUNCTION audit();\n\
         ALTER TABLE users ALTER COLUMN n TYPE bigint;\n\
         ALTER TABLE users ADD COLUMN created_at timestamptz;\n",
    );
    write(
        dir.join("migrations/003_bad.sql"),
        "CREATE TABLE fine (id int);\nINSERT INTO fine SELECT * FROM nope;\n",
    );
    commit_all(&dir, "change");
    (t, dir)
}

fn findings(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["file"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[test]
fn replay_reports_failures_rewrites_and_locks_static_rules_miss() {
    let (_t, dir) = repo_with_change();
    let admin = pg::admin_url();
    let _serial = pg::replay_lock();
    let (code, v) = check_json(&dir, &["--base", "main~1", "--scratch", &admin]);
    assert_eq!(code, 1, "{v}");
    let got = findings(&v);
    for want in [
        ("replay-error", "migrations/003_bad.sql", 2),
        ("replay-rewrite", "migrations/002_change.sql", 1),
        ("replay-blocking-lock", "migrations/002_change.sql", 2),
        ("alter-column-type", "migrations/002_change.sql", 3),
    ] {
        assert!(
            got.contains(&(want.0.to_string(), want.1.to_string(), want.2)),
            "{want:?} missing from {got:?}"
        );
    }
    // No replay-rewrite for line 3: the static rule reported it; the observation is attached.
    assert!(!got.contains(&(
        "replay-rewrite".to_string(),
        "migrations/002_change.sql".to_string(),
        3
    )));
    let alter = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "alter-column-type"))
        .expect("alter-column-type");
    assert!(
        alter["message"]
            .as_str()
            .unwrap_or_default()
            .contains("[replay: rewrote public.users"),
        "{alter}"
    );
    let error = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "replay-error"))
        .expect("replay-error");
    assert!(error["message"]
        .as_str()
        .unwrap_or_default()
        .contains("relation \"nope\" does not exist"));
    assert_eq!(
        error["column"], 32,
        "PostgreSQL's position in the statement"
    );
    let replay = &v["replay"];
    assert_eq!(replay["completed"], false);
    assert_eq!(replay["steps"].as_array().map(Vec::len), Some(5));
    let diff = replay["schema_diff"].as_str().unwrap_or_default();
    assert!(
        diff.contains("-  n integer") && diff.contains("+  n bigint"),
        "{diff}"
    );
    assert!(
        !diff.contains("fine"),
        "the failed migration rolled back: {diff}"
    );
    // The scratch database is gone.
    let left = pg::query(
        &admin,
        "SELECT count(*) FROM pg_database WHERE datname LIKE 'sqlgate_replay_%'",
    );
    assert_eq!(left, vec!["0"]);
}

/// The replay corrects the static verdict both ways: a rewrite claim it disproves is
/// downgraded to info with the evidence, one it sees is marked confirmed; and with
/// `--all` (no base) what earlier migrations created counts as existing.
#[test]
fn the_replay_confirms_and_disproves_static_rewrite_claims() {
    let (_t, dir) = repo();
    migrations(
        &dir,
        &[
            // Created where the static model cannot see its columns.
            ("001_dyn.sql", "DO $$ BEGIN EXECUTE format('CREATE TABLE %I (v varchar(10), n int)', 'dyn'); END $$;\n"),
            ("002_types.sql", "ALTER TABLE dyn ALTER COLUMN v TYPE varchar(20);\nALTER TABLE dyn ALTER COLUMN n TYPE bigint;\n"),
        ],
    );
    commit_all(&dir, "all");
    let _serial = pg::replay_lock();
    let (code, v) = check_json(&dir, &["--all", "--scratch", &pg::admin_url()]);
    let by_line = |line: u64| {
        v["findings"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|f| f["rule"] == "alter-column-type" && f["line"] == line)
            })
            .cloned()
            .unwrap_or_else(|| panic!("alter-column-type at line {line}: {v}"))
    };
    let widen = by_line(1);
    assert_eq!(widen["severity"], "info", "{widen}");
    assert_eq!(widen["replay"], "disproved", "{widen}");
    assert!(
        widen["message"]
            .as_str()
            .unwrap_or_default()
            .contains("relfilenode did not change"),
        "{widen}"
    );
    let int = by_line(2);
    assert_eq!(int["severity"], "error", "{int}");
    assert_eq!(int["replay"], "confirmed", "{int}");
    assert!(
        int["message"]
            .as_str()
            .unwrap_or_default()
            .contains("rewrote public.dyn"),
        "{int}"
    );
    assert_eq!(code, 1, "the confirmed rewrite still fails the check: {v}");
    // Without the replay both are errors.
    let (_, v) = check_json(&dir, &["--all"]);
    let errors = v["findings"].as_array().map(|a| {
        a.iter()
            .filter(|f| f["rule"] == "alter-column-type" && f["severity"] == "error")
            .count()
    });
    assert_eq!(errors, Some(2), "{v}");
}

/// varchar → text rewrites no rows, but an expression index on the column is rebuilt
/// under ACCESS EXCLUSIVE: the static rule says so, the replay confirms it from the
/// index's relfilenode, and reports it alone when no static rule could know.
#[test]
fn a_type_change_that_rebuilds_an_expression_index_is_seen_both_ways() {
    let (_t, dir) = repo();
    migrations(
        &dir,
        &[(
            "001_kw.sql",
            "CREATE TABLE kw (id int, keyword varchar(100));\nCREATE INDEX kw_plain ON kw (keyword);\nCREATE INDEX kw_lower ON kw (lower(keyword));\n",
        )],
    );
    commit_all(&dir, "base");
    migrations(
        &dir,
        &[(
            "002_text.sql",
            "ALTER TABLE kw ALTER COLUMN keyword TYPE text;\n",
        )],
    );
    let _serial = pg::replay_lock();
    let (code, v) = check_json(&dir, &["--base", "HEAD", "--scratch", &pg::admin_url()]);
    assert_eq!(code, 1, "{v}");
    let f = v["findings"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|f| f["rule"] == "alter-column-type-rebuilds-index")
        })
        .cloned()
        .unwrap_or_else(|| panic!("static finding: {v}"));
    assert_eq!(f["replay"], "confirmed", "{f}");
    let message = f["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`kw_lower`") && message.contains("rewrote index public.kw_lower"),
        "{f}"
    );
    assert!(
        !message.contains("kw_plain"),
        "a plain index keeps its storage: {f}"
    );
    // The static rule off (say, the index was made outside the migrations): the
    // replay reports the rebuild on its own.
    write(
        dir.join("sqlgate.toml"),
        "[rules]\nalter-column-type-rebuilds-index = \"off\"\n",
    );
    let (_, v) = check_json(&dir, &["--base", "HEAD", "--scratch", &pg::admin_url()]);
    let f = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "replay-rewrite"))
        .cloned()
        .unwrap_or_else(|| panic!("replay-rewrite: {v}"));
    assert!(
        f["message"]
            .as_str()
            .is_some_and(|m| m.contains("rebuild index public.kw_lower") && !m.contains("kw_plain")),
        "{f}"
    );
}

#[test]
fn a_clean_change_replays_quietly_and_auto_starts_its_own_server() {
    let (_t, dir) = repo();
    write(
        dir.join("migrations/001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    commit_all(&dir, "base");
    write(
        dir.join("migrations/002_posts.sql"),
        "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint);\n",
    );
    commit_all(&dir, "change");
    let (code, v) = check_json(&dir, &["--base", "main~1", "--scratch", "auto"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(findings(&v), vec![]);
    assert_eq!(v["replay"]["completed"], true);
    assert!(v["replay"]["server"]
        .as_str()
        .unwrap_or_default()
        .starts_with("auto"));
    assert!(v["replay"]["schema_diff"]
        .as_str()
        .unwrap_or_default()
        .contains("+TABLE posts"));
    // Without --scratch there is no replay section.
    let (_, v) = check_json(&dir, &["--base", "main~1"]);
    assert!(v.get("replay").is_none());
}

#[test]
fn a_shipped_migration_that_does_not_replay_is_reported() {
    let (_t, dir) = repo();
    write(
        dir.join("migrations/001_ext.sql"),
        "SELECT no_such_function();\n",
    );
    commit_all(&dir, "base");
    write(
        dir.join("migrations/002_t.sql"),
        "CREATE TABLE t (id int);\n",
    );
    commit_all(&dir, "change");
    let _serial = pg::replay_lock();
    let (code, v) = check_json(&dir, &["--base", "main~1", "--scratch", &pg::admin_url()]);
    assert_eq!(code, 0, "the change is not to blame: {v}");
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "replay-error");
    assert_eq!(f["severity"], "warning");
    assert_eq!(f["file"], "migrations/001_ext.sql");
    assert!(f["message"]
        .as_str()
        .unwrap_or_default()
        .contains("shipped migration"));
}

/// lemmy's real history (../shared/corpora, when present): 200 migrations shipped,
/// the next 46 as the change. The replay completes: no statement of the change fails
/// on PostgreSQL, locks are observed, and the schema diff is produced.
#[test]
fn lemmy_replays_on_a_real_server() {
    let Some((_t, dir)) = lemmy_repo(200, 246) else {
        eprintln!("skipping: ../shared/corpora is absent");
        return;
    };
    let _serial = pg::replay_lock();
    let (_, v) = check_json(&dir, &["--base", "main~1", "--scratch", &pg::admin_url()]);
    let replay = &v["replay"];
    assert_eq!(replay["completed"], true, "{}", v["findings"]);
    assert!(replay["steps"].as_array().map_or(0, Vec::len) > 150);
    assert!(!v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["rule"] == "replay-error"));
    assert!(v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["message"]
            .as_str()
            .unwrap_or_default()
            .contains("[replay: ")));
    assert!(replay["schema_diff"]
        .as_str()
        .unwrap_or_default()
        .contains("+TABLE "));
}

/// A `sqlgate:ignore` above a statement silences what the replay finds there too, and
/// is then not reported as unused.
#[test]
fn ignore_directives_silence_replay_findings() {
    let (_t, dir) = repo();
    migrations(
        &dir,
        &[
            ("001_users.sql", "CREATE TABLE users (id bigint PRIMARY KEY);\n"),
            (
                "002_unlogged.sql",
                "-- sqlgate:ignore replay-rewrite, unchecked-dynamic-sql -- a staging-only table\nDO $$ BEGIN EXECUTE format('ALTER TABLE %I SET UNLOGGED', 'users'); END $$;\n",
            ),
        ],
    );
    commit_all(&dir, "all");
    let _serial = pg::replay_lock();
    let (code, v) = check_json(&dir, &["--all", "--scratch", &pg::admin_url()]);
    let got = findings(&v);
    assert!(
        !got.iter()
            .any(|(r, ..)| r == "replay-rewrite" || r == "unused-ignore"),
        "{v}"
    );
    assert_eq!(code, 0, "{v}");
}

/// The bases on the test server: (name, oid, comment).
fn bases(admin: &str) -> Vec<String> {
    pg::query(
        admin,
        "SELECT datname || ' ' || oid || ' ' || coalesce(shobj_description(oid, 'pg_database'), '-')
           FROM pg_database WHERE datname LIKE 'sqlgate\\_base\\_%' ORDER BY oid",
    )
}

#[test]
fn the_shipped_state_is_built_once_and_reused() {
    let (_t, dir) = repo_with_change();
    let admin = pg::admin_url();
    let _serial = pg::replay_lock();
    let run = |dir: &std::path::Path| {
        let (code, v) = check_json(dir, &["--base", "main~1", "--scratch", &admin]);
        let mut got = findings(&v);
        got.sort();
        (
            code,
            got,
            v["replay"]["schema_diff"].clone(),
            v["replay"]["base"].clone(),
        )
    };
    let verdict =
        |r: &(i32, Vec<(String, String, u64)>, Value, Value)| (r.0, r.1.clone(), r.2.clone());
    // Other tests may have built this history's base already.
    for b in bases(&admin) {
        let name = b.split(' ').next().unwrap_or_default().to_string();
        pg::query(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
    }
    let first = run(&dir);
    assert_eq!(first.3, "built", "{first:?}");
    let after_first = bases(&admin);
    let mine: Vec<&String> = after_first
        .iter()
        .filter(|b| b.contains("sqlgate-base:v1 "))
        .collect();
    assert!(!mine.is_empty(), "a base is kept: {after_first:?}");
    // The second run clones it: the same verdict, and the base is not rebuilt.
    let second = run(&dir);
    assert_eq!(second.3, "reused", "{second:?}");
    assert_eq!(verdict(&first), verdict(&second));
    assert_eq!(bases(&admin), after_first, "reused, not rebuilt");
    assert!(first.1.iter().any(|f| f.0 == "replay-rewrite"), "{first:?}");
    // Nobody but the administrator may connect to a base, and its objects belong to
    // a role that cannot log in.
    let name = mine[mine.len() - 1]
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    let acl = pg::query(
        &admin,
        &format!("SELECT coalesce(datacl::text, '') FROM pg_database WHERE datname = '{name}'"),
    );
    assert!(!acl.iter().any(|a| a.contains("=c/")), "{acl:?}");
    assert_eq!(
        pg::query(
            &admin,
            "SELECT rolcanlogin::text FROM pg_roles WHERE rolname = 'sqlgate_base_owner'"
        ),
        ["false"]
    );
    // A base whose comment is not its key is not trusted: dropped and built again.
    pg::query(&admin, &format!("COMMENT ON DATABASE {name} IS 'forged'"));
    let third = run(&dir);
    assert_eq!(third.3, "built", "a forged base is rebuilt: {third:?}");
    assert_eq!(verdict(&first), verdict(&third));
    let rebuilt = bases(&admin);
    let again = rebuilt
        .iter()
        .find(|b| b.starts_with(&format!("{name} ")))
        .expect("rebuilt");
    assert!(again.contains("sqlgate-base:v1 "), "{again}");
    assert_ne!(
        Some(again),
        after_first
            .iter()
            .find(|b| b.starts_with(&format!("{name} ")))
    );
    // No run leaves its own database or role behind.
    assert_eq!(
        pg::query(
            &admin,
            "SELECT count(*) FROM pg_database WHERE datname LIKE 'sqlgate_replay_%'"
        ),
        ["0"]
    );
    assert_eq!(
        pg::query(
            &admin,
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'sqlgate_replay_%'"
        ),
        ["0"]
    );
}

#[test]
fn an_edited_shipped_migration_gets_a_base_of_its_own() {
    let (_t, dir) = repo_with_change();
    let admin = pg::admin_url();
    let _serial = pg::replay_lock();
    let (_, before) = check_json(&dir, &["--base", "main~1", "--scratch", &admin]);
    let kept = bases(&admin);
    // The pull request edits the shipped file: its history hashes differently.
    write(
        dir.join("migrations/001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, n int, evil text);\n\
         CREATE FUNCTION audit() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n",
    );
    let (_, edited) = check_json(&dir, &["--base", "main~1", "--scratch", &admin]);
    assert!(
        rules(&edited).contains(&"modified-migration".to_string()),
        "{edited}"
    );
    let now = bases(&admin);
    for b in &kept {
        let name = b.split(' ').next().unwrap_or_default();
        if let Some(same) = now.iter().find(|n| n.starts_with(&format!("{name} "))) {
            assert_eq!(same, b, "the base of the unedited history is untouched");
        }
    }
    // The unedited history still replays from its own base, with the same verdict.
    std::process::Command::new("git")
        .args(["checkout", "--", "migrations/001_users.sql"])
        .current_dir(&dir)
        .status()
        .expect("git");
    let (_, after) = check_json(&dir, &["--base", "main~1", "--scratch", &admin]);
    assert_eq!(findings(&before), findings(&after));
    assert!(
        bases(&admin).len() <= 3,
        "at most three bases are kept: {:?}",
        bases(&admin)
    );
}

/// `--scratch auto` with `SQLGATE_SCRATCH_CACHE`: the first run saves the private
/// server with the shipped state (before any pull-request SQL), later runs of the same
/// history restore it and replay only the change; another history, or an entry whose
/// key does not match, is built afresh; nothing the pull request ran is in the cache.
#[test]
fn scratch_auto_keeps_the_shipped_state_in_its_cache() {
    let _serial = pg::replay_lock();
    let (_t, dir) = repo();
    write(
        dir.join("migrations/001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\nINSERT INTO users SELECT g, 'u' || g FROM generate_series(1, 1000) g;\n",
    );
    commit_all(&dir, "base");
    write(
        dir.join("migrations/002_pr.sql"),
        "CREATE TABLE pr_only (id int);\nALTER TABLE users ADD COLUMN bio text DEFAULT 'x';\n",
    );
    commit_all(&dir, "change");
    let cache = tempfile::tempdir().unwrap();
    let check = || {
        let mut c = sqlgate(&dir);
        c.args([
            "check",
            "--base",
            "main~1",
            "--scratch",
            "auto",
            "--format",
            "json",
        ])
        .env("SQLGATE_SCRATCH_CACHE", cache.path());
        let r = run(&mut c);
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", r.stdout, r.stderr));
        v
    };
    let first = check();
    assert_eq!(first["replay"]["base"], "built", "{first:#}");
    let entries: Vec<_> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert!(entries[0].join("KEY").is_file() && entries[0].join("data/PG_VERSION").is_file());

    let second = check();
    assert_eq!(second["replay"]["base"], "reused", "{second:#}");
    assert_eq!(
        first["findings"], second["findings"],
        "the same verdict from the cache"
    );
    assert_eq!(
        first["replay"]["steps"].as_array().map(Vec::len),
        second["replay"]["steps"].as_array().map(Vec::len)
    );

    // Nothing the pull request ran is in the saved server.
    let server = sqlgate_pg::scratch::LocalServer::start_from(
        &Default::default(),
        Some(&entries[0].join("data")),
    )
    .expect("the saved server starts");
    let dbs = pg::query(
        &server.url("postgres"),
        "SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1') ORDER BY 1",
    );
    assert_eq!(dbs.len(), 1, "only the base: {dbs:?}");
    assert!(dbs[0].starts_with("sqlgate_base_"), "{dbs:?}");
    let roles = pg::query(
        &server.url("postgres"),
        "SELECT rolname FROM pg_roles WHERE rolname LIKE 'sqlgate_replay%'",
    );
    assert!(roles.is_empty(), "no replay role: {roles:?}");
    drop(server);

    // A key file that does not match is not trusted: rebuilt.
    std::fs::write(entries[0].join("KEY"), "forged").unwrap();
    assert_eq!(check()["replay"]["base"], "built");
    assert_eq!(check()["replay"]["base"], "reused");

    // Another shipped history: an entry of its own.
    write(
        dir.join("migrations/001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);\n",
    );
    commit_all(&dir, "edit shipped");
    git(&dir, &["reset", "-q", "--soft", "HEAD~2"]);
    commit_all(&dir, "base 2");
    write(
        dir.join("migrations/002_pr.sql"),
        "CREATE TABLE pr_only (id int);\n",
    );
    commit_all(&dir, "change 2");
    assert_eq!(check()["replay"]["base"], "built");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 2);
}
