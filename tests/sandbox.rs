//! A hostile pull request at the edges added last: its own sqlgate.toml steering
//! previews, its SQL reaching other previews or databases, rewriting what sqlgate
//! knows of its previews, running without bound, outliving a cancelled job, a
//! control-database row reading a secret, SQL hidden in strings, and text that would
//! mention, link or embed in a comment. Real PostgreSQL, real binary, fake GitHub.

use crate::ci::{ci, pr_payload, Actions};
use crate::preview::{databases, history, on, prefix, preview, project};
use crate::support::fake_github::FakeGitHub;
use crate::support::pg::*;
use crate::support::*;
use sqlgate_pg::conninfo::ConnInfo;
use std::path::Path;
use std::time::{Duration, Instant};

fn role_exists(role: &str) -> bool {
    !query(
        &admin_url(),
        &format!("SELECT 1 FROM pg_roles WHERE rolname = '{role}'"),
    )
    .is_empty()
}

/// The admin server's URL as another role, on another database.
fn url_as(role: &str, db: &str) -> String {
    let info = ConnInfo::parse(&admin_url());
    ConnInfo::parse(&info.with_database(db)).with_user(role, "pw")
}

fn preview_on(dir: &Path, server: &str, args: &[&str]) -> Run {
    let mut a = vec!["preview"];
    a.extend_from_slice(args);
    a.extend(["--database-url", server]);
    sg(dir, &a)
}

#[test]
fn a_pull_requests_own_config_cannot_pick_or_bound_the_preview() {
    // Another project's preview on the same server, with data.
    let victim = prefix();
    let o = project(&victim);
    assert_eq!(preview(o.path(), &["up", "--pr", "7"]).code, 0);
    let victim_db = format!("{victim}_pr_7");
    on(
        &victim_db,
        "INSERT INTO users VALUES (1, 'keep@example.com')",
    );
    // This project: the base branch says `ours`; the pull request says `victim`.
    let ours = prefix();
    let t = project(&ours);
    let dir = t.path();
    let hostile = format!(
        "[preview]\nprefix = \"{victim}\"\nmax = 10000\n\n[sandbox]\ndeadline = \"10h\"\n\n[targets]\nquery = \"SELECT 'GITHUB_TOKEN' AS url_env\"\ncontrol_url_env = \"GITHUB_TOKEN\"\nurl_env_allow = [\"GITHUB_*\"]\n"
    );
    let (base, head) = git_change(
        dir,
        &[
            ("sqlgate.toml", hostile.as_str()),
            (
                "migrations/003_tags.sql",
                "CREATE TABLE tags (id bigint PRIMARY KEY);\n",
            ),
        ],
    );
    let gh = FakeGitHub::start("");
    let admin = admin_url();
    let env = [
        ("SQLGATE_PREVIEW", "true"),
        ("SQLGATE_PREVIEW_SERVER_URL", admin.as_str()),
    ];
    let a = Actions::new(&pr_payload(7, &base, &head, "o/r"));
    let r = ci(dir, &gh, "pull_request", &a, &env);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let mine = format!("{ours}_pr_7");
    assert_eq!(a.output("preview-database").as_deref(), Some(mine.as_str()));
    assert_eq!(a.output("preview-action").as_deref(), Some("created"));
    // Each changed trusted key is named with the value used.
    for key in [
        "`preview.prefix`",
        "`preview.max`",
        "`sandbox`",
        "`targets.query`",
        "`targets.control_url_env`",
        "`targets.url_env_allow`",
    ] {
        assert!(r.stdout.contains(key), "{key}: {}", r.stdout);
    }
    assert!(
        r.stdout.contains(&format!("using \"{ours}\"")),
        "{}",
        r.stdout
    );
    // The other project's preview and its data are untouched.
    assert_eq!(on(&victim_db, "SELECT count(*) FROM users"), ["1"]);
    assert_eq!(history(&mine), ["001_users", "002_posts", "003_tags"]);
    assert_eq!(preview(t.path(), &["down", "--pr", "7"]).code, 0);
    assert_eq!(preview(o.path(), &["down", "--pr", "7"]).code, 0);
}

#[test]
fn previews_cannot_reach_each_other_or_other_databases() {
    let p = prefix();
    let t = project(&p);
    let admin = admin_url();
    let (weak, server) = (format!("{p}_createdb"), format!("{p}_server"));
    let staging = format!("{p}_staging_important");
    query(
        &admin,
        &format!(
            "CREATE ROLE {weak} LOGIN CREATEDB PASSWORD 'pw'; CREATE ROLE {server} LOGIN CREATEDB CREATEROLE PASSWORD 'pw'"
        ),
    );
    query(&admin, &format!("CREATE DATABASE {server} OWNER {server}"));
    query(&admin, &format!("CREATE DATABASE {weak} OWNER {weak}"));
    query(&admin, &format!("CREATE DATABASE {staging}"));
    // A role that cannot create roles would run the pull request's SQL as itself.
    let r = preview_on(t.path(), &url_as(&weak, &weak), &["up", "--pr", "1"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("CREATEROLE") && r.stderr.contains(&weak),
        "the grant it needs is named: {}",
        r.stderr
    );
    assert!(databases(&format!("{p}_pr_")).is_empty());
    let v = sg(
        t.path(),
        &["verify", "--database-url", &url_as(&weak, &weak)],
    );
    assert!(
        v.stdout.contains("CREATEROLE"),
        "verify names the grant: {}",
        v.stdout
    );
    // With CREATEROLE: each preview gets a role of its own.
    let url = url_as(&server, &server);
    for pr in ["1", "2"] {
        let r = preview_on(t.path(), &url, &["up", "--pr", pr, "--print-url"]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
    let r = preview_on(t.path(), &url, &["up", "--pr", "2", "--print-url"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let pr2_url = r
        .stdout
        .lines()
        .last()
        .unwrap_or_default()
        .trim()
        .to_string();
    let pr2 = rt().block_on(async {
        let (c, conn) = tokio_postgres::connect(&pr2_url, tokio_postgres::NoTls)
            .await
            .unwrap_or_else(|e| panic!("the preview's own URL works: {e}: {}", r.stdout));
        tokio::spawn(async move {
            let _ = conn.await;
        });
        c
    });
    let attempts = [
        format!("DROP DATABASE {p}_pr_1"),
        format!("COMMENT ON DATABASE {staging} IS 'sqlgate-preview:v1 {{\"name\":\"{p}_pr_9\",\"migrations\":\"\",\"built_at\":\"2020-01-01T00:00:00Z\"}}'"),
        format!("ALTER DATABASE {p}_pr_1 RENAME TO {p}_stolen"),
        format!("CREATE DATABASE {p}_more"),
        format!("UPDATE public.sqlgate_previews SET record = '' WHERE database = '{p}_pr_1'"),
    ];
    rt().block_on(async {
        for sql in &attempts {
            assert!(
                pr2.batch_execute(sql).await.is_err(),
                "the preview role could run: {sql}"
            );
        }
    });
    // It cannot even connect to another preview.
    let pr1_as_pr2 = match pr2_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{p}_pr_1"),
        None => pr2_url.clone(),
    };
    assert_ne!(pr1_as_pr2, pr2_url);
    let acl = query(
        &admin,
        &format!("SELECT datacl::text FROM pg_database WHERE datname = '{p}_pr_1'"),
    );
    assert!(
        rt().block_on(tokio_postgres::connect(&pr1_as_pr2, tokio_postgres::NoTls))
            .is_err(),
        "{pr1_as_pr2} {acl:?}"
    );
    assert_eq!(history(&format!("{p}_pr_1")), ["001_users", "002_posts"]);
    // A forged comment on a database sqlgate never made does not make it a preview.
    query(
        &admin,
        &format!(
            "COMMENT ON DATABASE {staging} IS 'sqlgate-preview:v1 {{\"name\":\"{p}_pr_9\",\"pr\":9,\"migrations\":\"\",\"built_at\":\"2020-01-01T00:00:00Z\"}}'"
        ),
    );
    std::thread::sleep(Duration::from_millis(2100));
    let r = preview_on(t.path(), &url, &["gc", "--older-than", "1s"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains(&staging), "{}", r.stdout);
    assert_eq!(databases(&staging), std::slice::from_ref(&staging));
    assert!(databases(&format!("{p}_pr_")).is_empty(), "{}", r.stdout);
    assert!(!role_exists(&format!("{p}_pr_1")) && !role_exists(&format!("{p}_pr_2")));
    for db in [&staging, &server, &weak] {
        query(&admin, &format!("DROP DATABASE {db}"));
    }
    query(&admin, &format!("DROP ROLE {weak}; DROP ROLE {server}"));
}

#[test]
fn a_preview_that_rewrites_its_comment_is_still_known() {
    let p = prefix();
    let t = project(&p);
    write(
        t.path().join("migrations/003_forge.sql"),
        "DO $$ BEGIN EXECUTE format('COMMENT ON DATABASE %I IS %L', current_database(), 'production, hands off'); END $$;\n",
    );
    let db = format!("{p}_pr_5");
    let r = preview(t.path(), &["up", "--pr", "5"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let r = preview(t.path(), &["list"]);
    assert!(r.stdout.contains(&db), "{}", r.stdout);
    // Still counted by max.
    write(
        t.path().join("sqlgate.toml"),
        format!("[preview]\nprefix = \"{p}\"\nmax = 1\n"),
    );
    let r = preview(t.path(), &["up", "--pr", "6"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("[preview] max"), "{}", r.stderr);
    assert!(
        !role_exists(&format!("{p}_pr_6")),
        "a refused preview leaves no role behind"
    );
    let r = preview(t.path(), &["down", "--pr", "5"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(databases(&db).is_empty());
    assert!(!role_exists(&db), "its role was dropped");
}

#[test]
fn a_refused_new_preview_leaves_no_role() {
    let p = prefix();
    let t = project(&p);
    // A build that fails: the new preview's role goes with it.
    write(
        t.path().join("migrations/003_fails.sql"),
        "SELECT * FROM nope;\n",
    );
    let r = preview(t.path(), &["up", "--pr", "8"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(databases(&format!("{p}_pr_8")).is_empty());
    assert!(!role_exists(&format!("{p}_pr_8")));
}

const RUNAWAY: &str =
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r;\n";

#[test]
fn runaway_sql_in_the_replay_and_in_a_preview_is_stopped_and_cleaned_up() {
    let p = prefix();
    let t = project(&p);
    write(
        t.path().join("sqlgate.toml"),
        format!("[preview]\nprefix = \"{p}\"\n\n[sandbox]\nstatement_timeout = \"2s\"\ndeadline = \"20s\"\n"),
    );
    write(t.path().join("migrations/003_runaway.sql"), RUNAWAY);
    let admin = admin_url();
    {
        let _serial = replay_lock();
        let started = Instant::now();
        let (code, v) = check_json(t.path(), &["--all", "--scratch", &admin]);
        assert_eq!(code, 1, "{v}");
        assert!(started.elapsed() < Duration::from_secs(40), "bounded");
        let error = v["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["rule"] == "replay-error"))
            .cloned()
            .unwrap_or_default();
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("statement_timeout") && message.contains("2s"),
            "{error}"
        );
        assert_eq!(error["file"], "migrations/003_runaway.sql", "{error}");
        assert_eq!(
            query(
                &admin,
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'sqlgate_replay_%'"
            ),
            ["0"]
        );
        assert_eq!(
            query(
                &admin,
                "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'sqlgate_replay_%'"
            ),
            ["0"]
        );
    }
    let running = || {
        query(
            &admin,
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'WITH RECURSIVE r(n)%' AND pid <> pg_backend_pid()",
        )
    };
    assert_eq!(running(), ["0"], "no backend runs it any more");
    // A preview build: the same bound, the build and the new role gone.
    let started = Instant::now();
    let r = preview(t.path(), &["up", "--pr", "11"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(started.elapsed() < Duration::from_secs(40));
    assert!(r.stdout.contains("statement_timeout"), "{}", r.stdout);
    assert!(databases(&format!("{p}_pr_11")).is_empty());
    assert!(!role_exists(&format!("{p}_pr_11")));
    assert_eq!(running(), ["0"]);
    // The deadline ends a build that never runs one long statement.
    write(
        t.path().join("migrations/003_runaway.sql"),
        "-- sqlgate:no-transaction\nSELECT pg_sleep(1.5);\nSELECT pg_sleep(1.5);\nSELECT pg_sleep(1.5);\nSELECT pg_sleep(1.5);\n",
    );
    write(
        t.path().join("sqlgate.toml"),
        format!("[preview]\nprefix = \"{p}\"\n\n[sandbox]\nstatement_timeout = \"2s\"\ndeadline = \"3s\"\n"),
    );
    let r = preview(t.path(), &["up", "--pr", "11"]);
    assert_eq!(
        r.code, 1,
        "a failed build, not an outage: {}{}",
        r.stdout, r.stderr
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("deadline") && all.contains("3s"), "{all}");
    assert!(databases(&format!("{p}_pr_11")).is_empty());
}

/// The command lines of every process.
fn processes() -> Vec<(i32, String)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        out.push((pid, String::from_utf8_lossy(&cmd).replace('\0', " ")));
    }
    out
}

/// The data directory of the private server a sqlgate process started (named by
/// the watchdog that process spawned).
fn private_server_of(pid: u32) -> Option<String> {
    let needle = format!("kill -0 {pid} ");
    processes().into_iter().find_map(|(_, cmd)| {
        let at = cmd.find(&needle)?;
        let rest = &cmd[at..];
        let start = rest.find('\'')? + 1;
        let end = rest[start..].find("/postmaster.pid")? + start;
        Some(rest[start..end].to_string())
    })
}

fn postgres_running_in(data: &str) -> bool {
    let flag = format!("-D {data} ");
    processes().iter().any(|(_, cmd)| cmd.contains(&flag))
}

#[test]
fn a_cancelled_scratch_auto_run_leaves_no_server() {
    use std::os::unix::process::CommandExt;
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path().join("sqlgate.toml"),
        "[sandbox]\nstatement_timeout = \"1h\"\n",
    );
    migrations(t.path(), &[("001_runaway.sql", RUNAWAY)]);
    for signal in [libc::SIGTERM, libc::SIGKILL] {
        let mut child = sqlgate(t.path())
            .args(["check", "--all", "--scratch", "auto"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .process_group(0)
            .spawn()
            .expect("spawn");
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut data = None;
        while Instant::now() < deadline {
            data = private_server_of(child.id()).filter(|d| postgres_running_in(d));
            if data.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let data = data.expect("the private server started");
        // Let the replay reach the query.
        std::thread::sleep(Duration::from_secs(3));
        // SAFETY: kill(2) on the process group of our own child.
        unsafe {
            libc::kill(-(child.id() as i32), signal);
        }
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_secs(30);
        while (postgres_running_in(&data) || Path::new(&data).exists()) && Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(200));
        }
        assert!(
            !postgres_running_in(&data),
            "signal {signal}: the private server outlived the job"
        );
        assert!(!Path::new(&data).exists(), "its files are gone");
    }
}

#[test]
fn a_control_row_cannot_read_a_secret() {
    let control = fresh_db();
    query(
        &control,
        "CREATE TABLE tenants (name text, url_env text);
         INSERT INTO tenants VALUES ('evil1', 'SECRET_API_KEY'), ('evil2', 'GITHUB_TOKEN')",
    );
    let t = tempfile::tempdir().expect("tempdir");
    migrations(t.path(), &[("001_t.sql", "CREATE TABLE t (id int);\n")]);
    let secrets = [
        ("SECRET_API_KEY", "sk_live_0123456789SECRET"),
        ("GITHUB_TOKEN", "ghs_0123456789TOKENSECRET"),
    ];
    let run_with = |toml: &str| {
        write(t.path().join("sqlgate.toml"), toml);
        let mut c = sqlgate(t.path());
        c.args(["apply", "--all-targets", "--report-dir", "reports"])
            .env("CONTROL_URL", &control);
        for (k, v) in secrets {
            c.env(k, v);
        }
        run(&mut c)
    };
    let no_secret = |r: &Run| {
        for (_, v) in secrets {
            assert!(!r.stdout.contains(v) && !r.stderr.contains(v), "{r:?}");
        }
        for f in std::fs::read_dir(t.path().join("reports"))
            .into_iter()
            .flatten()
            .flatten()
        {
            let text = std::fs::read_to_string(f.path()).unwrap_or_default();
            for (_, v) in secrets {
                assert!(!text.contains(v), "{}", f.path().display());
            }
        }
    };
    let query_toml = "[targets]\nquery = \"SELECT name, url_env FROM tenants\"\ncontrol_url_env = \"CONTROL_URL\"\n";
    let r = run_with(query_toml);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("GITHUB_TOKEN") && r.stderr.contains("url_env_allow"),
        "the variable is named, the setting too: {}",
        r.stderr
    );
    no_secret(&r);
    // Declared, but its value is not a URL: named, not shown.
    let r = run_with(&format!(
        "{query_toml}url_env_allow = [\"SECRET_*\", \"GITHUB_TOKEN\"]\n"
    ));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(
        r.stderr.contains("not a PostgreSQL connection string")
            && r.stderr.contains("SECRET_API_KEY"),
        "{}",
        r.stderr
    );
    no_secret(&r);
}

#[test]
fn sql_hidden_in_strings_fails_the_gate() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_do.sql", "DO $$ BEGIN EXECUTE 'COP' || 'Y (SELECT 1) TO PROG' || 'RAM ''id > /tmp/sqlgate-probe'''; END $$;\n"),
            ("002_prepare.sql", "PREPARE p AS SELECT pg_read_file('/etc/hostname');\nCREATE TABLE leak AS EXECUTE p;\n"),
            ("003_xml.sql", "CREATE TABLE x AS SELECT query_to_xml('SELECT lo_import(''/etc/passwd'') AS o', true, false, '') AS v;\n"),
            ("004_preload.sql", "ALTER ROLE CURRENT_USER SET session_preload_libraries = 'evil';\n"),
            ("005_dynamic.sql", "DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'x'); END $$;\n"),
        ],
    );
    let (code, v) = check_json(t.path(), &["--all"]);
    assert_eq!(code, 1, "{v}");
    let got = rule_files(&v);
    for file in [
        "001_do.sql",
        "002_prepare.sql",
        "003_xml.sql",
        "004_preload.sql",
    ] {
        assert!(
            got.contains(&(
                "server-side-access".to_string(),
                format!("migrations/{file}")
            )),
            "{file}: {got:?}"
        );
    }
    assert!(
        got.contains(&(
            "unchecked-dynamic-sql".to_string(),
            "migrations/005_dynamic.sql".to_string()
        )),
        "{got:?}"
    );
    let dynamic = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "unchecked-dynamic-sql"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(dynamic["severity"], "warning", "{dynamic}");
}

const PAYLOAD: &str = "@octocat ![px](https://evil.example/p.png) [click](https://evil.example/x)";

fn inert(body: &str) {
    assert!(body.contains("octocat"), "the text is still there: {body}");
    assert!(!body.contains("@octocat"), "a live mention: {body}");
    assert!(
        !body.contains("](https://evil"),
        "a live link or image: {body}"
    );
    assert!(!body.contains("https://evil"), "a bare link: {body}");
}

#[test]
fn server_text_in_comments_cannot_mention_link_or_embed() {
    let p = prefix();
    let t = project(&p);
    let dir = t.path();
    let raise = format!("DO $$ BEGIN RAISE EXCEPTION '{PAYLOAD}'; END $$;\n");
    let (base, head) = git_change(dir, &[("migrations/003_raise.sql", raise.as_str())]);
    let gh = FakeGitHub::start("");
    let admin = admin_url();
    // The preview's comment and summary.
    let a = Actions::new(&pr_payload(41, &base, &head, "o/r"));
    let r = ci(
        dir,
        &gh,
        "pull_request",
        &a,
        &[
            ("SQLGATE_PREVIEW", "true"),
            ("SQLGATE_PREVIEW_SERVER_URL", admin.as_str()),
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let comments = gh.comments(41);
    assert_eq!(comments.len(), 1);
    inert(&comments[0].body);
    inert(&a.summary());
    // The check's comment and summary, with the replay's error.
    let _serial = replay_lock();
    let a = Actions::new(&pr_payload(42, &base, &head, "o/r"));
    let r = ci(
        dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_SCRATCH", admin.as_str())],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let comments = gh.comments(42);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("replay-error"),
        "{}",
        comments[0].body
    );
    inert(&comments[0].body);
    inert(&a.summary());
}

#[test]
fn pre_commit_judges_a_symlink_like_check_does() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(t.path(), &[("001_t.sql", "CREATE TABLE t (id int);\n")]);
    let outside = t.path().join("outside.sql");
    write(&outside, "SELECT 1;\n");
    std::os::unix::fs::symlink(&outside, t.path().join("migrations/002_link.sql"))
        .expect("symlink");
    let r = sg(
        t.path(),
        &["check", "--pre-commit", "migrations/002_link.sql"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("unreadable-file"), "{}", r.stdout);
}

#[test]
fn a_replay_on_a_createrole_url_runs_as_a_role_of_its_own() {
    let p = prefix();
    let admin = admin_url();
    let server = format!("{p}_rs");
    let owned = format!("{p}_owned");
    query(
        &admin,
        &format!("CREATE ROLE {server} LOGIN CREATEDB CREATEROLE PASSWORD 'pw'"),
    );
    query(&admin, &format!("CREATE DATABASE {server} OWNER {server}"));
    query(&admin, &format!("CREATE DATABASE {owned} OWNER {server}"));
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[(
            "001_reach.sql",
            &format!("-- sqlgate:no-transaction\nDROP DATABASE {owned};\n"),
        )],
    );
    let _serial = replay_lock();
    let (code, v) = check_json(t.path(), &["--all", "--scratch", &url_as(&server, &server)]);
    assert_eq!(code, 1, "{v}");
    let error = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "replay-error"))
        .cloned()
        .unwrap_or_default();
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("owner"),
        "the replay's role does not own the URL role's databases: {error}"
    );
    assert_eq!(databases(&owned), std::slice::from_ref(&owned));
    assert_eq!(
        query(
            &admin,
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'sqlgate_replay_%'"
        ),
        ["0"]
    );
    query(&admin, &format!("DROP DATABASE {owned}"));
    query(&admin, &format!("DROP DATABASE {server}"));
    query(&admin, &format!("DROP ROLE {server}"));
}

/// SQL that turns the session's statement timeout off is still stopped: the watcher
/// on the administrator's connection cancels it.
#[test]
fn a_statement_timeout_turned_off_by_the_sql_is_still_enforced() {
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path().join("sqlgate.toml"),
        "[sandbox]\nstatement_timeout = \"1s\"\ndeadline = \"30s\"\n",
    );
    migrations(
        t.path(),
        &[(
            "001_off.sql",
            "SET LOCAL statement_timeout = 0;\nSELECT pg_sleep(60);\n",
        )],
    );
    let _serial = replay_lock();
    let started = Instant::now();
    let (code, v) = check_json(t.path(), &["--all", "--scratch", &admin_url()]);
    assert_eq!(code, 1, "{v}");
    assert!(started.elapsed() < Duration::from_secs(20), "bounded");
    let error = v["findings"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["rule"] == "replay-error"))
        .cloned()
        .unwrap_or_default();
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("statement_timeout"),
        "{error}"
    );
}
