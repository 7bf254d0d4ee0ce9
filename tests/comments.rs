//! The pull-request comment as reviewers see it, kept as golden markdown
//! (tests/fixtures/comments; `SQLGATE_UPDATE_GOLDEN=1` rewrites them after a reviewed
//! change): lemmy's last 42 migrations against its first 300, `examples/mistakes`, a
//! clean change, and an apply report.

use crate::support::*;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/comments")
        .join(name)
}

/// Compares with the golden file (or writes it when asked).
fn golden(name: &str, actual: &str) {
    let path = fixture(name);
    if std::env::var_os("SQLGATE_UPDATE_GOLDEN").is_some() {
        write(&path, actual);
        return;
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        expected == actual,
        "{name} differs from its golden file; review the new rendering and rerun with SQLGATE_UPDATE_GOLDEN=1:\n{actual}"
    );
}

fn markdown(dir: &Path, args: &[&str]) -> String {
    let mut a = vec!["check", "--format", "markdown"];
    a.extend_from_slice(args);
    sg(dir, &a).stdout
}

#[test]
fn mistakes_and_a_clean_change() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let md = markdown(root, &["--all", "--dir", "examples/mistakes"]);
    assert!(
        md.contains("**Top findings**") && md.contains("| File | 🔴 | 🟡 | 🔵 | Rules |"),
        "{md}"
    );
    golden("mistakes.md", &md);
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[(
            "001_users.sql",
            "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
        )],
    );
    golden("clean.md", &markdown(t.path(), &["--all"]));
}

/// lemmy (../shared/corpora, when present): 219 findings in 27 files read as one
/// summary row per file, most serious first, repeated findings collapsed.
#[test]
fn lemmy_last_42_migrations() {
    let count = corpora()
        .and_then(|c| std::fs::read_dir(c.join("lemmy")).ok())
        .map_or(0, |d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .count()
        });
    let Some((_t, dir)) = lemmy_repo(300, count) else {
        eprintln!("skipping: ../shared/corpora is absent");
        return;
    };
    let md = markdown(&dir, &["--base", "main~1"]);
    assert!(md.len() < 65_536, "{}", md.len());
    // The verdict and the top findings come before any file's details.
    let details = md.find("<details>").unwrap_or(md.len());
    assert!(md[..details].contains("**Top findings**"));
    // set-not-null's twelve findings in one file are one row.
    let row = md
        .lines()
        .find(|l| l.contains("mod-reason-mandatory") && l.starts_with("| "))
        .unwrap_or_default();
    assert!(row.contains("`set-not-null` ×12"), "{row}");
    golden("lemmy.md", &md);
}

#[test]
fn an_apply_report_and_a_failed_one() {
    use sqlgate_core::model::{Applied, ApplyReport, Failure};
    use sqlgate_core::report::markdown::{render_apply, ApplyContext, Links, Options};
    let ctx = ApplyContext {
        dir: "migrations".into(),
        target: "postgres://deploy:****@db.internal/app".into(),
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
        error: None,
    };
    let opts = Options {
        environment: Some("production".into()),
        links: Links::Blob(
            "https://github.com/o/r/blob/0123456789abcdef0123456789abcdef01234567/".into(),
        ),
        footer: Some(
            "sqlgate · [run 4242](https://github.com/o/r/actions/runs/4242) · `push`".into(),
        ),
        ..Options::default()
    };
    let applied = |names: &[(&str, u64)]| -> Vec<Applied> {
        names
            .iter()
            .map(|(n, ms)| Applied {
                version: n[..3].to_string(),
                name: n.to_string(),
                execution_ms: *ms,
            })
            .collect()
    };
    let ok = ApplyReport {
        applied: applied(&[
            ("011_add_tags", 12),
            ("012_backfill_tags", 1840),
            ("013_index_tags", 95),
        ]),
        ..ApplyReport::default()
    };
    let failed = ApplyReport {
        applied: applied(&[("011_add_tags", 12)]),
        failure: Some(Failure {
            migration: "012_backfill_tags".into(),
            file: "migrations/012_backfill_tags.sql".into(),
            line: 3,
            column: 8,
            message: "ERROR 23502: null value in column \"tag\" of relation \"posts\" violates not-null constraint".into(),
            statements_done: None,
        }),
        pending_after: 2,
        ..ApplyReport::default()
    };
    let both = format!(
        "{}\n---\n\n{}",
        render_apply(&ok, &ctx, &opts),
        render_apply(&failed, &ctx, &opts)
    );
    golden("apply.md", &both);
}
