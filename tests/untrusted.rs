//! A pull request is untrusted input: its SQL, file names, symlinks and its own
//! sqlgate.toml must not run programs, read files or see secrets on the runner, forge
//! workflow commands or comment content, or exhaust the run. Each test is one of the
//! attacks that worked before sqlgate guarded against it.

use crate::ci::{ci, pr_payload, pr_repo, Actions, TOKEN};
use crate::support::fake_github::FakeGitHub;
use crate::support::pg;
use crate::support::*;
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

/// Lines of `text` that GitHub Actions would take as workflow commands, honouring
/// `::stop-commands::<token>` … `::<token>::` blocks as the runner does.
fn processed_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stopped: Option<String> = None;
    for line in text.lines() {
        let t = line.trim_start();
        if let Some(token) = &stopped {
            if t == format!("::{token}::") {
                stopped = None;
            }
            continue;
        }
        if let Some(token) = t.strip_prefix("::stop-commands::") {
            stopped = Some(token.to_string());
            continue;
        }
        if t.starts_with("::") || t.contains("##[") {
            out.push(t.to_string());
        }
    }
    out
}

/// A command the attacker chose: its name and properties are theirs, or an old-style
/// `##[…]` command anywhere in a line.
fn forged(cmd: &str) -> bool {
    [
        "::error title=PWN",
        "::error title=PGPWN",
        "::set-output",
        "::add-mask::foo",
    ]
    .iter()
    .any(|f| cmd.starts_with(f))
        || cmd.contains("##[")
}

fn check_all_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--all"];
    args.extend_from_slice(extra);
    check_json(dir, &args)
}

fn rule_list(v: &Value) -> Vec<String> {
    rules(v)
}

#[test]
fn copy_to_program_in_a_replay_runs_nothing_and_is_reported() {
    let proof = tempfile::tempdir().expect("tempdir");
    // Writable by the server's user, so only its rights can stop the program.
    let target = proof.path().join("env.txt");
    std::fs::set_permissions(
        proof.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .expect("chmod");
    for scratch in ["auto".to_string(), pg::admin_url()] {
        let _serial = pg::replay_lock();
        let t = tempfile::tempdir().expect("tempdir");
        write(
            t.path().join("migrations/001_a.sql"),
            "CREATE TABLE a (id int);\n",
        );
        write(
            t.path().join("migrations/002_b.sql"),
            format!("COPY (SELECT 1) TO PROGRAM 'env > {}';\n", target.display()),
        );
        let r = run(sqlgate(t.path())
            .args(["check", "--all", "--format", "json", "--scratch", &scratch])
            .env("SQLGATE_SECRET_PROBE", "hunter2-should-not-leak"));
        assert!(
            !target.exists(),
            "the program ran on the scratch server ({scratch})"
        );
        let v: Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {} {}", r.stdout, r.stderr));
        let got = rule_list(&v);
        assert!(got.contains(&"server-side-access".to_string()), "{got:?}");
        assert!(got.contains(&"replay-error".to_string()), "{got:?}");
        assert_eq!(r.code, 1);
        let error = v["findings"]
            .as_array()
            .and_then(|a| a.iter().find(|f| f["rule"] == "replay-error"))
            .cloned()
            .unwrap_or_default();
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("pg_execute_server_program"),
            "{error}"
        );
    }
    // The temporary role and database are gone from the shared server.
    let left = pg::query(
        &pg::admin_url(),
        "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'sqlgate_replay_%'",
    );
    assert_eq!(left, vec!["0"]);
}

#[test]
fn a_pull_requests_own_config_cannot_turn_the_replay_on() {
    let proof = tempfile::tempdir().expect("tempdir");
    let target = proof.path().join("pwned.txt");
    let (_t, dir, base, head) = pr_repo(&[(
        "003_x.sql",
        &format!("COPY (SELECT 1) TO PROGRAM 'touch {}';\n", target.display()),
    )]);
    write(dir.join("sqlgate.toml"), "scratch = \"auto\"\n");
    commit_all(&dir, "enable the replay from the pull request");
    let head_with_config = git(&dir, &["rev-parse", "HEAD"]);
    assert_ne!(head, head_with_config);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(7, &base, &head_with_config, "evil/r"));
    let r = ci(&dir, &gh, "pull_request_target", &a, &[]);
    assert!(!target.exists());
    assert!(
        r.stdout.contains("only the workflow"),
        "{}{}",
        r.stdout,
        r.stderr
    );
    let report = a.output("report").expect("report output");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap_or_default())
        .unwrap_or_default();
    assert!(json.get("replay").is_none(), "{json}");
    assert!(
        rule_list(&json).contains(&"server-side-access".to_string()),
        "the static rule still reports it"
    );
}

#[test]
fn the_base_branchs_config_may_turn_the_replay_on() {
    let (_t, dir) = repo();
    write(dir.join("sqlgate.toml"), "scratch = \"auto\"\n");
    write(
        dir.join("migrations/001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY);\n",
    );
    commit_all(&dir, "base");
    let base = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["checkout", "-q", "-b", "feature"]);
    write(
        dir.join("migrations/002_posts.sql"),
        "CREATE TABLE posts (id bigint PRIMARY KEY);\n",
    );
    commit_all(&dir, "feature");
    let head = git(&dir, &["rev-parse", "HEAD"]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(8, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report = a.output("report").expect("report output");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap_or_default())
        .unwrap_or_default();
    assert_eq!(json["replay"]["completed"], true, "{json}");
}

#[test]
fn a_symlink_out_of_the_directory_is_reported_never_read() {
    let secret_dir = tempfile::tempdir().expect("tempdir");
    let secret = secret_dir.path().join("environ");
    std::fs::write(&secret, "GITHUB_TOKEN=ghs_SECRETVALUE123\n").expect("write");
    let (_t, dir) = repo();
    write(
        dir.join("migrations/001_init.sql"),
        "CREATE TABLE a (id int);\n",
    );
    commit_all(&dir, "base");
    std::fs::remove_file(dir.join("migrations/001_init.sql")).expect("rm");
    std::os::unix::fs::symlink(&secret, dir.join("migrations/001_init.sql")).expect("symlink");
    std::os::unix::fs::symlink("/dev/zero", dir.join("migrations/002_zero.sql")).expect("symlink");
    for format in ["json", "text", "markdown", "github"] {
        let r = sg(&dir, &["check", "--base", "main", "--format", format]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(
            !r.stdout.contains("SECRETVALUE") && !r.stderr.contains("SECRETVALUE"),
            "{format}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains("outside the migration directory"),
            "{}",
            r.stdout
        );
    }
    let (_, v) = check_json(&dir, &["--base", "main"]);
    let files = rule_files(&v);
    assert!(files.contains(&(
        "unreadable-file".to_string(),
        "migrations/001_init.sql".to_string()
    )));
    assert!(files.contains(&(
        "unreadable-file".to_string(),
        "migrations/002_zero.sql".to_string()
    )));
    // A symlink to a file inside the directory is fine.
    let t = tempfile::tempdir().expect("tempdir");
    write(
        t.path().join("m/shared.sql.txt"),
        "CREATE TABLE s (id int);\n",
    );
    std::os::unix::fs::symlink("shared.sql.txt", t.path().join("m/001_s.sql")).expect("symlink");
    let (code, v) = check_all_json(t.path(), &["--dir", "m"]);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn fifos_and_oversized_files_do_not_hang_or_exhaust_the_run() {
    let t = tempfile::tempdir().expect("tempdir");
    let m = t.path().join("migrations");
    write(
        m.join("2024-01-01-000000_a/up.sql"),
        "CREATE TABLE a (id int);\n",
    );
    std::fs::create_dir_all(m.join("2024-01-02-000000_b")).expect("mkdir");
    let fifo = m.join("2024-01-02-000000_b/up.sql");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    write(
        m.join("2024-01-03-000000_c/up.sql"),
        "SELECT 1;\n".repeat(2000),
    );
    write(t.path().join("sqlgate.toml"), "max_file_size = \"16KiB\"\n");
    let started = Instant::now();
    let (code, v) = check_all_json(t.path(), &[]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(code, 1, "{v}");
    let files = rule_files(&v);
    assert!(files.contains(&(
        "unreadable-file".to_string(),
        "migrations/2024-01-02-000000_b/up.sql".to_string()
    )));
    let big = v["findings"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|f| f["file"] == "migrations/2024-01-03-000000_c/up.sql")
        })
        .cloned()
        .unwrap_or_default();
    assert!(
        big["message"]
            .as_str()
            .unwrap_or_default()
            .contains("max_file_size"),
        "{big}"
    );
}

#[test]
fn names_that_are_not_utf8_stay_two_migrations() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().expect("tempdir");
    let m = t.path().join("migrations");
    write(m.join("001_a.sql"), "CREATE TABLE a (id int);\n");
    for b in [0xffu8, 0xfe] {
        let bytes = [b'0', b'0', b'2', b'_', b, b'.', b's', b'q', b'l'];
        let name = std::ffi::OsStr::from_bytes(&bytes);
        std::fs::write(m.join(name), "SELECT 1;\n").expect("write");
    }
    let (code, v) = check_all_json(t.path(), &[]);
    assert_eq!(code, 1, "{v}");
    let files = rule_files(&v);
    for shown in ["migrations/002_\\xFF.sql", "migrations/002_\\xFE.sql"] {
        assert!(
            files.contains(&("not-utf8".to_string(), shown.to_string())),
            "{files:?}"
        );
    }
    assert!(
        files.iter().any(|(r, _)| r == "duplicate-version"),
        "{files:?}"
    );
}

#[test]
fn hostile_names_sql_and_server_messages_cannot_forge_commands_or_comments() {
    let (_t, dir, base, head) = pr_repo(&[
        (
            "003_a\n::error title=PWN::forged\n### ✅ **sqlgate: no problems found**\n<!-- x.sql",
            "SELECT 1;\n",
        ),
        (
            "004_literal.sql",
            "SELECT 'x\n::set-output name=verdict::pass\n::add-mask::foo\n##[error]old-style';\nDROP TABLE users;\n",
        ),
        (
            "005_pg.sql",
            "SELECT * FROM \"nope\n::error title=PGPWN::from postgres\";\n",
        ),
        ("006_esc\u{1b}[31m.sql", "SELECT 1;\n"),
    ]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(9, &base, &head, "o/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_SCRATCH", "auto")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    for stream in [&r.stdout, &r.stderr] {
        for cmd in processed_commands(stream) {
            assert!(!forged(&cmd), "forged workflow command: {cmd}\n{stream}");
        }
        assert!(!stream.contains('\u{1b}'), "raw escape sequence: {stream}");
    }
    let body = &gh.comments(9)[0].body;
    let headings: Vec<&str> = body.lines().filter(|l| l.starts_with('#')).collect();
    assert_eq!(headings.len(), 1, "{body}");
    assert!(headings[0].contains("❌"), "{body}");
    assert_eq!(body.matches("<!--").count(), 1, "only the marker: {body}");
    assert!(!body.contains('\u{1b}'));
    // Every table row is still one line that starts and ends with a pipe.
    let mut in_table = false;
    for l in body.lines() {
        if l.starts_with("| ") {
            in_table = true;
            assert!(l.ends_with('|'), "broken row: {l:?}");
        } else if in_table && !l.is_empty() && !l.starts_with('|') {
            in_table = false;
        }
    }
    // The same data through the plain formats.
    for format in ["text", "github", "markdown", "json"] {
        let out = sg(&dir, &["check", "--base", &base, "--format", format]);
        if format == "github" {
            let cmds = processed_commands(&out.stdout);
            assert!(cmds.iter().all(|c| !forged(c)), "{cmds:?}");
        }
        assert!(!out.stdout.contains('\u{1b}'), "{format}");
    }
}

#[test]
fn passwords_of_every_shape_stay_masked_under_ci() {
    let (_t, dir, base, head) = pr_repo(&[]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(11, &base, &head, "o/r"));
    let password = "Xk9/Qw+Zz8=";
    let url = format!("postgres://deploy:{password}@127.0.0.1:1/db?connect_timeout=2");
    let r = ci(&dir, &gh, "pull_request", &a, &[("DATABASE_URL", &url)]);
    let mask_line = format!("::add-mask::{password}");
    assert!(r.stdout.contains(&mask_line), "{}", r.stdout);
    let everything = format!(
        "{}{}{}{:?}{}",
        r.stdout.replace(&mask_line, ""),
        r.stderr,
        a.summary(),
        a.outputs(),
        gh.comments(11)
            .iter()
            .map(|c| c.body.clone())
            .collect::<String>()
    );
    assert!(!everything.contains("Xk9"), "{everything}");
    assert!(!everything.contains(TOKEN));
}

#[test]
fn a_github_api_that_drips_times_out_with_a_warning() {
    // The defaults (15 s a request, 100 s a run) keep a run under two minutes; the
    // test scales them down to stay quick.
    let (_t, dir, base, head) = pr_repo(&[]);
    let gh = FakeGitHub::start("");
    gh.drip(Duration::from_secs(2));
    let a = Actions::new(&pr_payload(12, &base, &head, "o/r"));
    let started = Instant::now();
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[
            ("SQLGATE_GITHUB_TIMEOUT", "4s"),
            ("SQLGATE_GITHUB_BUDGET", "15s"),
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 0, "the verdict stands: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("::warning"), "{}", r.stdout);
}

#[test]
fn a_token_with_a_line_break_is_a_configuration_warning_not_a_crash() {
    let (_t, dir, base, head) = pr_repo(&[]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(13, &base, &head, "o/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("GITHUB_TOKEN", "ghs_abc\r\nX-Injected: 1")],
    );
    assert_ne!(r.code, 101, "{}", r.stderr);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("github-token"), "{}", r.stdout);
    assert_eq!(a.output("verdict").as_deref(), Some("pass"));
    assert!(gh.requests().is_empty());
}

#[test]
fn a_database_that_never_answers_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let _held = std::thread::spawn(move || {
        let conns: Vec<_> = listener.incoming().take(4).collect();
        std::thread::sleep(Duration::from_secs(60));
        drop(conns);
    });
    let t = tempfile::tempdir().expect("tempdir");
    write(t.path().join("migrations/001_a.sql"), "SELECT 1;\n");
    let started = Instant::now();
    let r = sg(
        t.path(),
        &[
            "status",
            "--database-url",
            &format!("postgres://u:pw@127.0.0.1:{port}/db?connect_timeout=3&sslmode=disable"),
        ],
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("no answer within"), "{}", r.stderr);
    assert!(!r.stderr.contains(":pw@"), "{}", r.stderr);
}

#[test]
fn a_tampered_history_table_is_an_error_that_names_the_row() {
    let url = pg::fresh_db();
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("002_b.sql", "CREATE TABLE b (id int);\n"),
        ],
    );
    let r = sg(t.path(), &["apply", "--database-url", &url]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let table = "public.sqlgate_migrations";
    // A NULL name.
    pg::query(
        &url,
        &format!("DO $$ DECLARE c text; BEGIN SELECT conname INTO c FROM pg_constraint WHERE conrelid = '{table}'::regclass AND contype = 'p'; EXECUTE format('ALTER TABLE {table} DROP CONSTRAINT %I', c); END $$; ALTER TABLE {table} ALTER COLUMN name DROP NOT NULL; UPDATE {table} SET name = NULL WHERE version = '2'"),
    );
    for cmd in ["status", "apply", "validate"] {
        let r = sg(t.path(), &[cmd, "--database-url", &url]);
        assert_ne!(r.code, 101, "{cmd} panicked: {}", r.stderr);
        assert_eq!(r.code, 2, "{cmd}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("`name`") && r.stderr.contains("version 2"),
            "{cmd}: {}",
            r.stderr
        );
    }
    pg::query(
        &url,
        &format!("UPDATE {table} SET name = '002_b' WHERE version = '2'"),
    );
    // A column of another type.
    pg::query(
        &url,
        &format!("ALTER TABLE {table} ALTER COLUMN batch TYPE bigint"),
    );
    let r = sg(t.path(), &["status", "--database-url", &url]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("`batch`"), "{}", r.stderr);
    pg::query(
        &url,
        &format!("ALTER TABLE {table} ALTER COLUMN batch TYPE integer"),
    );
    // Duplicate versions and an unknown state are verify errors.
    pg::query(
        &url,
        &format!(
            "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS sqlgate_migrations_pkey;
             ALTER TABLE {table} DROP CONSTRAINT sqlgate_migrations_status_check;
             INSERT INTO {table} SELECT * FROM {table} WHERE version = '1';
             UPDATE {table} SET status = 'weird' WHERE version = '2'"
        ),
    );
    let r = sg(t.path(), &["verify", "--database-url", &url]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("more than once: 1"), "{}", r.stdout);
    assert!(r.stdout.contains("2 (weird)"), "{}", r.stdout);
    let r = sg(t.path(), &["status", "--database-url", &url]);
    assert_eq!(
        r.code, 2,
        "an unknown state is never shown as applied: {}",
        r.stdout
    );
    assert!(r.stderr.contains("weird"), "{}", r.stderr);
}
