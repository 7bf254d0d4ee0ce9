//! `sqlgate check`, `explain` and configuration, through the real binary on real files.

use crate::support::*;
use std::path::Path;

fn project() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn bundled_migrations_are_clean() {
    let r = sg(project(), &["check", "--all"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("OK: no problems found"), "{}", r.stdout);
    assert!(
        r.stdout.contains("8 migrations in migrations"),
        "{}",
        r.stdout
    );
}

#[test]
fn mistakes_example_reports_each_mistake() {
    let (code, v) = check_json(project(), &["--all", "--dir", "examples/mistakes"]);
    assert_eq!(code, 1);
    assert_eq!(
        rules(&v),
        [
            "add-column-required",
            "create-index-non-concurrently",
            "duplicate-version",
            "empty-migration",
            "inconsistent-width",
            "invalid-name",
            "orphan-down",
            "version-gap"
        ]
    );
    assert_eq!(v["version"], 1);
    assert_eq!(v["summary"]["error"], 6);
    assert_eq!(v["summary"]["warning"], 2);
    assert_eq!(v["summary"]["failed"], true);
    let first = &v["findings"][0];
    for key in [
        "rule", "severity", "file", "line", "column", "message", "why", "fix",
    ] {
        assert!(!first[key].is_null(), "finding lacks {key}: {first}");
    }
}

#[test]
fn fail_on_decides_the_exit_code() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("migrations/001_a.sql"), "select 1;\n");
    write(t.path().join("migrations/002_b.sql"), "-- nothing yet\n");
    // Only a warning (empty-migration).
    assert_eq!(sg(t.path(), &["check"]).code, 0);
    assert_eq!(sg(t.path(), &["check", "--fail-on", "warning"]).code, 1);
    assert_eq!(sg(t.path(), &["check", "--fail-on", "never"]).code, 0);
    write(t.path().join("migrations/004_c.sql"), "select 4;\n");
    assert_eq!(sg(t.path(), &["check"]).code, 1);
    assert_eq!(sg(t.path(), &["check", "--fail-on", "never"]).code, 0);
    assert_eq!(sg(t.path(), &["check", "--fail-on", "loud"]).code, 2);
}

#[test]
fn output_formats() {
    let dir = ["--all", "--dir", "examples/mistakes"];
    let gh = sg(
        project(),
        &[&["check", "--format", "github"][..], &dir[..]].concat(),
    );
    assert_eq!(gh.code, 1);
    let first = gh.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("::error file=examples/mistakes/"),
        "{first}"
    );
    assert!(first.contains(",line=1,col=1,title=sqlgate "), "{first}");
    assert!(gh.stdout.contains("::warning file="), "{}", gh.stdout);
    let md = sg(
        project(),
        &[&["check", "--format", "markdown"][..], &dir[..]].concat(),
    );
    assert!(
        md.stdout
            .starts_with("### ❌ **sqlgate: 6 error(s), 2 warning(s)**"),
        "{}",
        md.stdout
    );
    assert!(md.stdout.contains("| 🔴 | `duplicate-version` |"));
    let text = sg(project(), &[&["check"][..], &dir[..]].concat());
    assert!(text.stdout.contains("error[version-gap]"));
    assert!(text
        .stdout
        .contains("--> examples/mistakes/004_add_order_status.up.sql:1:1"));
    // rustc-style: the source line with its number, and a caret under the column.
    assert!(
        text.stdout
            .contains("1 | -- 003 was lost in a merge: this leaves a gap.\n  | ^^^"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains(
            "2 | CREATE INDEX orders_user_id_idx ON orders (user_id);\n  |                                    ^"
        ),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains('\u{1b}'),
        "no colour when not a terminal"
    );
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("report.json");
    let r = sg(
        project(),
        &[
            &[
                "check",
                "--format",
                "json",
                "--output",
                out.to_str().unwrap(),
            ][..],
            &dir[..],
        ]
        .concat(),
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["summary"]["total"], 8);
}

#[test]
fn flags_beat_environment_beat_file() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("db/001_a.sql"), "select 1;\n");
    write(t.path().join("db/003_c.sql"), "select 3;\n");
    write(t.path().join("other/001_a.sql"), "select 1;\n");
    write(
        t.path().join("sqlgate.toml"),
        "dir = \"db\"\nnumbering = \"sparse\"\n",
    );
    // File: sparse numbering, no gap finding.
    assert_eq!(sg(t.path(), &["check"]).code, 0);
    // Environment beats the file.
    let r = run(sqlgate(t.path())
        .args(["check"])
        .env("SQLGATE_NUMBERING", "sequential"));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("version-gap"));
    // Flag beats the environment.
    let r = run(sqlgate(t.path())
        .args(["check", "--numbering", "sparse"])
        .env("SQLGATE_NUMBERING", "sequential"));
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run(sqlgate(t.path())
        .args(["check"])
        .env("SQLGATE_DIR", "other")
        .env("SQLGATE_NUMBERING", "sequential"));
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("1 migration in other"), "{}", r.stdout);
    // --config names another file.
    write(
        t.path().join("conf/strict.toml"),
        "dir = \"../db\"\n[rules]\nversion-gap = \"warning\"\n",
    );
    let (code, v) = check_json(t.path(), &["--config", "conf/strict.toml"]);
    assert_eq!(code, 0);
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert_eq!(v["numbering"], "sequential");
}

#[test]
fn configuration_errors_name_file_line_and_key() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("migrations/001_a.sql"), "select 1;\n");
    write(
        t.path().join("sqlgate.toml"),
        "dir = \"migrations\"\n\nnumbring = \"sparse\"\n",
    );
    let r = sg(t.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("sqlgate.toml")
            && r.stderr.contains("line 3")
            && r.stderr.contains("numbring"),
        "{}",
        r.stderr
    );
    write(
        t.path().join("sqlgate.toml"),
        "[rules]\ndrop-colum = \"off\"\n",
    );
    let r = sg(t.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("sqlgate.toml:2") && r.stderr.contains("did you mean `drop-column`"),
        "{}",
        r.stderr
    );
    write(t.path().join("sqlgate.toml"), "numbering = \"random\"\n");
    let r = sg(t.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("numbering") && r.stderr.contains("sqlgate.toml:1"),
        "{}",
        r.stderr
    );
    write(t.path().join("sqlgate.toml"), "\u{0}\u{1}garbage ][ = =\n");
    let r = sg(t.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("sqlgate.toml"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"));
    let r = sg(t.path(), &["check", "--config", "missing.toml"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.toml"), "{}", r.stderr);
}

#[test]
fn missing_directory_is_a_usage_error() {
    let t = tempfile::tempdir().unwrap();
    let r = sg(t.path(), &["check"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("migrations") && r.stderr.contains("--dir"),
        "{}",
        r.stderr
    );
}

#[test]
fn explain_documents_every_rule() {
    let list = sg(project(), &["explain"]);
    assert_eq!(list.code, 0);
    for rule in sqlgate_core::rules::registry::ALL {
        assert!(
            list.stdout.contains(rule.id),
            "{} missing from the list",
            rule.id
        );
        let r = sg(project(), &["explain", rule.id]);
        assert_eq!(r.code, 0, "{}", rule.id);
        assert!(
            r.stdout.contains("Why it matters:") && r.stdout.contains("Fires on:"),
            "{}",
            r.stdout
        );
    }
    let r = sg(project(), &["explain", "version-gaps"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("did you mean `version-gap`")
            || r.stderr.contains("Did you mean `version-gap`"),
        "{}",
        r.stderr
    );
}

#[test]
fn help_lists_only_working_commands() {
    let r = sg(project(), &["--help"]);
    assert_eq!(r.code, 0);
    for c in ["check", "create", "explain"] {
        assert!(r.stdout.contains(c));
    }
    let r = sg(project(), &["frobnicate"]);
    assert_eq!(r.code, 2);
}

#[test]
fn ignore_file_directive_silences_a_rule() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("migrations/001_a.sql"), "select 1;\n");
    write(
        t.path().join("migrations/002_placeholder.sql"),
        "-- sqlgate:ignore-file empty-migration -- kept for numbering\n",
    );
    let (code, v) = check_json(t.path(), &["--fail-on", "warning"]);
    assert_eq!(code, 0, "{v}");
    assert!(rules(&v).is_empty());
}

#[test]
fn docs_rules_md_is_current() {
    let r = sg(project(), &["explain", "--markdown"]);
    assert_eq!(r.code, 0);
    let docs = std::fs::read_to_string(project().join("docs/rules.md")).unwrap();
    assert!(
        docs == r.stdout,
        "docs/rules.md is stale: run `cargo run -- explain --markdown > docs/rules.md`"
    );
    for rule in sqlgate_core::rules::registry::ALL {
        assert!(docs.contains(&format!("### `{}`", rule.id)));
    }
}

#[test]
fn pre_commit_judges_the_staged_files_only() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            (
                "001_users.sql",
                "CREATE TABLE users (id bigint PRIMARY KEY);\n",
            ),
            // An old problem in a file that is not staged.
            ("002_old.sql", "CREATE INDEX users_id_idx ON users (id);\n"),
            (
                "003_posts.sql",
                "CREATE TABLE posts (id bigint PRIMARY KEY);\n",
            ),
        ],
    );
    let r = sg(
        t.path(),
        &["check", "--pre-commit", "migrations/003_posts.sql"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    write(
        t.path().join("migrations/004_bad.sql"),
        "ALTER TABLE users DROP COLUMN id;\n",
    );
    let r = sg(
        t.path(),
        &[
            "check",
            "--pre-commit",
            "migrations/004_bad.sql",
            "README.md",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("drop-column") && !r.stdout.contains("002_old"),
        "{}",
        r.stdout
    );
    // Nothing under the directory: nothing to do.
    let r = sg(t.path(), &["check", "--pre-commit", "other/x.sql"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
