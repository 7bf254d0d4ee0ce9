//! `sqlgate check --base`: real git repositories made in temp dirs, the real binary.

use crate::support::*;
use std::path::Path;

/// main: 001 and 002 shipped; then a `feature` branch is checked out.
fn shipped() -> (tempfile::TempDir, std::path::PathBuf) {
    let (t, p) = repo();
    write(
        p.join("migrations/001_create_users.sql"),
        "create table users (\n  id bigint primary key\n);\n",
    );
    write(
        p.join("migrations/002_create_orders.sql"),
        "create table orders (\n  id bigint primary key,\n  total numeric(10,2)\n);\n",
    );
    write(p.join("migrations/README.md"), "not a migration\n");
    commit_all(&p, "shipped");
    git(&p, &["checkout", "-q", "-b", "feature"]);
    (t, p)
}

fn check_base(p: &Path, base: &str) -> (i32, serde_json::Value) {
    check_json(p, &["--base", base])
}

#[test]
fn new_migration_on_top_is_clean() {
    let (_t, p) = shipped();
    write(
        p.join("migrations/003_add_email.sql"),
        "alter table users add column email text;\n",
    );
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 0, "{v}");
    assert!(rules(&v).is_empty());
    assert_eq!(v["migrations"]["new"], 1);
    assert_eq!(v["base"], "main");
}

/// Unchanged shipped files are taken from the working tree when git's object id says
/// they are the same bytes: in a SHA-256 repository too (64-digit ids), and a file
/// whose checkout git rewrites (`eol=crlf`) still compares with git's own bytes.
#[test]
fn base_bytes_are_git_s_in_sha256_repositories_and_through_checkout_filters() {
    let t = tempfile::tempdir().expect("tempdir");
    let p = t.path().to_path_buf();
    git(&p, &["init", "-q", "-b", "main", "--object-format=sha256"]);
    write(
        p.join(".gitattributes"),
        "migrations/003_*.sql text eol=crlf\n",
    );
    write(
        p.join("migrations/001_a.sql"),
        "create table a (id bigint primary key);\n",
    );
    write(
        p.join("migrations/002_b.sql"),
        "create table b (id bigint primary key);\n",
    );
    write(
        p.join("migrations/003_c.sql"),
        "create table c (id bigint primary key);\n",
    );
    commit_all(&p, "shipped");
    // Checked out again, 003 has CRLF line ends on disk and LF in git.
    std::fs::remove_file(p.join("migrations/003_c.sql")).expect("remove");
    git(&p, &["checkout", "-q", "--", "migrations/003_c.sql"]);
    git(&p, &["checkout", "-q", "-b", "feature"]);
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 0, "{v}");
    assert!(rules(&v).is_empty(), "{v}");
    write(
        p.join("migrations/002_b.sql"),
        "create table b (id bigint primary key, x int);\n",
    );
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 1, "{v}");
    assert_eq!(rules(&v), ["modified-migration"], "{v}");
}

#[test]
fn edited_shipped_migration_carries_a_diff() {
    let (_t, p) = shipped();
    write(
        p.join("migrations/002_create_orders.sql"),
        "create table orders (\n  id bigint primary key,\n  total numeric(12,2)\n);\n",
    );
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 1);
    assert_eq!(rules(&v), ["modified-migration"]);
    let f = &v["findings"][0];
    assert_eq!(f["file"], "migrations/002_create_orders.sql");
    assert_eq!(f["line"], 3);
    let diff = f["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  total numeric(10,2)") && diff.contains("+  total numeric(12,2)"),
        "{diff}"
    );
    // The text report shows the diff too.
    let r = sg(&p, &["check", "--base", "main"]);
    assert!(
        r.stdout.contains("| +  total numeric(12,2)"),
        "{}",
        r.stdout
    );
}

#[test]
fn crlf_and_bom_only_changes_are_not_edits() {
    let (_t, p) = shipped();
    let original = std::fs::read_to_string(p.join("migrations/001_create_users.sql")).unwrap();
    write(
        p.join("migrations/001_create_users.sql"),
        format!("\u{feff}{}", original.replace('\n', "\r\n")),
    );
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 0, "{v}");
    assert!(rules(&v).is_empty());
}

#[test]
fn deleted_and_renamed_shipped_migrations() {
    let (_t, p) = shipped();
    std::fs::remove_file(p.join("migrations/001_create_users.sql")).unwrap();
    std::fs::rename(
        p.join("migrations/002_create_orders.sql"),
        p.join("migrations/002_orders.sql"),
    )
    .unwrap();
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 1);
    assert_eq!(
        rule_files(&v),
        [
            (
                "deleted-migration".to_string(),
                "migrations/001_create_users.sql".to_string()
            ),
            (
                "renamed-migration".to_string(),
                "migrations/002_orders.sql".to_string()
            ),
        ]
    );
}

#[test]
fn same_version_merged_by_another_branch_is_a_duplicate() {
    let (_t, p) = shipped();
    write(
        p.join("migrations/003_mine.sql"),
        "alter table users add column mine text;\n",
    );
    commit_all(&p, "mine");
    git(&p, &["checkout", "-q", "main"]);
    write(
        p.join("migrations/003_theirs.sql"),
        "alter table users add column theirs text;\n",
    );
    commit_all(&p, "theirs merged");
    git(&p, &["checkout", "-q", "feature"]);
    // The working tree has no 003_theirs.sql, yet the version is taken.
    assert!(!p.join("migrations/003_theirs.sql").exists());
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 1);
    assert_eq!(
        rule_files(&v),
        [(
            "duplicate-version".to_string(),
            "migrations/003_mine.sql".to_string()
        )]
    );
    let msg = v["findings"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("003_theirs.sql") && msg.contains("already merged"),
        "{msg}"
    );
    // A file merged into the base after the fork is not "deleted" by this branch.
    assert!(!rules(&v).contains(&"deleted-migration".to_string()));
}

#[test]
fn a_branch_behind_the_base_is_not_deleting_anything() {
    let (_t, p) = shipped();
    write(p.join("migrations/004_mine.sql"), "select 4;\n");
    commit_all(&p, "mine");
    git(&p, &["checkout", "-q", "main"]);
    write(p.join("migrations/003_theirs.sql"), "select 3;\n");
    commit_all(&p, "theirs");
    git(&p, &["checkout", "-q", "feature"]);
    // 003 exists only on the base: no gap before 004, nothing deleted.
    let (code, v) = check_base(&p, "main");
    assert_eq!(code, 0, "{v}");
}

#[test]
fn out_of_order_timestamp() {
    let (_t, p) = repo();
    write(p.join("db/20240101000000_a.sql"), "select 1;\n");
    write(p.join("db/20240301000000_c.sql"), "select 3;\n");
    commit_all(&p, "base");
    git(&p, &["checkout", "-q", "-b", "feature"]);
    write(p.join("db/20240201000000_b.sql"), "select 2;\n");
    // Timestamp projects merge parallel branches: a warning by default, whose fix
    // names a fresh timestamp above everything shipped.
    let (code, v) = check_json(&p, &["--dir", "db", "--base", "main"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        rule_files(&v),
        [(
            "out-of-order".to_string(),
            "db/20240201000000_b.sql".to_string()
        )]
    );
    assert_eq!(v["numbering"], "timestamp");
    let f = &v["findings"][0];
    assert_eq!(f["severity"], "warning");
    let fix = f["fix"].as_str().unwrap_or_default();
    let fresh = fix
        .split('`')
        .nth(1)
        .and_then(|name| name.strip_suffix("_b.sql"))
        .unwrap_or_default();
    assert!(
        fresh.len() == 14 && fresh > "20240301000000",
        "a fresh timestamp above the shipped ones: {fix}"
    );
    for (policy, want_code, findings) in [("error", 1, 1), ("warn", 0, 1), ("allow", 0, 0)] {
        write(
            p.join("sqlgate.toml"),
            format!("dir = \"db\"\nout_of_order = \"{policy}\"\n"),
        );
        let (code, v) = check_json(&p, &["--base", "main"]);
        assert_eq!(code, want_code, "{policy}: {v}");
        assert_eq!(rule_files(&v).len(), findings, "{policy}: {v}");
    }
    write(p.join("sqlgate.toml"), "out_of_order = \"sometimes\"\n");
    let r = sg(&p, &["check", "--dir", "db", "--base", "main"]);
    assert_eq!(r.code, 2, "a policy that does not exist is a usage error");
    assert!(
        r.stderr.contains("sqlgate.toml:1: `out_of_order`"),
        "{}",
        r.stderr
    );
}

#[test]
fn only_new_migrations_are_judged_unless_all() {
    let (_t, p) = repo();
    write(p.join("migrations/001_a.sql"), "select 1;\n");
    write(p.join("migrations/002_legacy.sql"), "-- emptied long ago\n");
    write(p.join("migrations/stray.sql"), "select 'legacy';\n");
    commit_all(&p, "base");
    git(&p, &["checkout", "-q", "-b", "feature"]);
    write(p.join("migrations/003_c.sql"), "select 3;\n");
    let (code, v) = check_json(&p, &["--base", "main", "--fail-on", "warning"]);
    assert_eq!(code, 0, "{v}");
    let (_, v) = check_json(&p, &["--base", "main", "--all"]);
    assert_eq!(rules(&v), ["empty-migration", "invalid-name"]);
}

#[test]
fn down_edits_are_warnings() {
    let (_t, p) = repo();
    write(p.join("m/001_a.up.sql"), "create table a ();\n");
    write(p.join("m/001_a.down.sql"), "drop table a;\n");
    commit_all(&p, "base");
    write(p.join("m/001_a.down.sql"), "drop table a cascade;\n");
    let (code, v) = check_json(&p, &["--dir", "m", "--base", "main"]);
    assert_eq!(code, 0);
    assert_eq!(
        rule_files(&v),
        [("down-modified".to_string(), "m/001_a.down.sql".to_string())]
    );
    assert_eq!(v["findings"][0]["severity"], "warning");
}

#[test]
fn base_can_be_a_sha_and_the_directory_nested() {
    let (_t, p) = repo();
    write(p.join("services/api/migrations/001_a.sql"), "select 1;\n");
    commit_all(&p, "base");
    let sha = git(&p, &["rev-parse", "HEAD"]);
    write(p.join("services/api/migrations/001_a.sql"), "select 11;\n");
    let api = p.join("services/api");
    let (code, v) = check_json(&api, &["--base", &sha]);
    assert_eq!(code, 1);
    assert_eq!(
        rule_files(&v),
        [(
            "modified-migration".to_string(),
            "migrations/001_a.sql".to_string()
        )]
    );
}

#[test]
fn shallow_clone_fetches_the_base() {
    let (_t, origin) = shipped();
    write(origin.join("migrations/003_feature.sql"), "select 3;\n");
    write(
        origin.join("migrations/001_create_users.sql"),
        "create table users (id int);\n",
    );
    commit_all(&origin, "feature work");
    let main_sha = git(&origin, &["rev-parse", "main"]);
    let t = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.display());
    git(
        t.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "feature",
            &url,
            "clone",
        ],
    );
    let clone = t.path().join("clone");
    assert_eq!(
        git(&clone, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    // origin/main is not in the clone until sqlgate fetches it.
    let (code, v) = check_json(&clone, &["--base", "origin/main"]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(
        rule_files(&v),
        [(
            "modified-migration".to_string(),
            "migrations/001_create_users.sql".to_string()
        )]
    );
    // A SHA works as well (GitHub's pull_request.base.sha).
    let t2 = tempfile::tempdir().unwrap();
    git(
        t2.path(),
        &[
            "clone",
            "-q",
            "--depth=1",
            "--branch",
            "feature",
            &url,
            "clone",
        ],
    );
    let (code, v) = check_json(&t2.path().join("clone"), &["--base", &main_sha]);
    assert_eq!(code, 1, "{v}");
    assert_eq!(rules(&v), ["modified-migration"]);
    // A ref that exists nowhere: a clear error with the way out.
    let r = sg(&clone, &["check", "--base", "origin/no-such-branch"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no-such-branch") && r.stderr.contains("fetch-depth: 0"),
        "{}",
        r.stderr
    );
}

#[test]
fn base_outside_a_repository_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("migrations/001_a.sql"), "select 1;\n");
    let r = sg(t.path(), &["check", "--base", "main"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("not inside a git repository"),
        "{}",
        r.stderr
    );
}
