//! Helpers shared by the integration tests: run the real binary, make real files and
//! real git repositories in temporary directories.
#![allow(dead_code)]

pub mod fake_github;
pub mod pg;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `sqlgate` binary, with a clean environment: no `SQLGATE_*`, no `GITHUB_*`,
/// and no `CI` marker, so a test behaves the same on a laptop and under the project's CI
/// (tests that want CI set it themselves).
pub fn sqlgate(cwd: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sqlgate"));
    c.current_dir(cwd);
    for (k, _) in std::env::vars() {
        if k.starts_with("SQLGATE_") || k.starts_with("GITHUB_") || k == "CI" || k == "NO_COLOR" {
            c.env_remove(k);
        }
    }
    c
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let out: Output = cmd.output().expect("the sqlgate binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `sqlgate <args>` in `cwd`.
pub fn sg(cwd: &Path, args: &[&str]) -> Run {
    run(sqlgate(cwd).args(args))
}

/// `sqlgate check --format json <args>` parsed.
pub fn check_json(cwd: &Path, args: &[&str]) -> (i32, serde_json::Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let r = sg(cwd, &all);
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): stdout={} stderr={}", r.stdout, r.stderr));
    (r.code, v)
}

/// The rule ids of a JSON report, sorted.
pub fn rules(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect();
    v.sort();
    v
}

/// `(rule, file)` pairs of a JSON report, sorted.
pub fn rule_files(report: &serde_json::Value) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["file"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Writes migration files: (path under `<root>/migrations`, content).
pub fn migrations(root: &Path, files: &[(&str, &str)]) {
    for (p, c) in files {
        write(root.join("migrations").join(p), c);
    }
}

pub fn write(path: impl AsRef<Path>, content: impl AsRef<[u8]>) {
    let path = path.as_ref();
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).expect("mkdir");
    }
    std::fs::write(path, content).expect("write");
}

/// Runs git in `dir` and returns stdout; panics with stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new git repository on branch `main`.
pub fn repo() -> (tempfile::TempDir, PathBuf) {
    let t = tempfile::tempdir().expect("tempdir");
    let p = t.path().to_path_buf();
    git(&p, &["init", "-q", "-b", "main"]);
    git(&p, &["config", "core.autocrlf", "false"]);
    (t, p)
}

pub fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", msg]);
}

/// Makes `dir` a repository whose `main` has what `dir` holds now (the base), then
/// commits `files` on top (the pull request's change); returns (base, head).
pub fn git_change(dir: &Path, files: &[(&str, &str)]) -> (String, String) {
    git(dir, &["init", "-q", "-b", "main"]);
    commit_all(dir, "base");
    let base = git(dir, &["rev-parse", "HEAD"]);
    for (path, content) in files {
        write(dir.join(path), content);
    }
    commit_all(dir, "feature");
    (base, git(dir, &["rev-parse", "HEAD"]))
}

/// Path of the shared corpora when present (`../shared/corpora` from the project).
pub fn corpora() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    p.is_dir().then_some(p)
}

/// A repository with lemmy's migrations (../shared/corpora): the first `shipped`
/// committed on `main`, then those up to `head` committed too (`main~1` is the base).
/// `None` when the corpora are absent.
pub fn lemmy_repo(shipped: usize, head: usize) -> Option<(tempfile::TempDir, PathBuf)> {
    let lemmy = corpora()?.join("lemmy");
    let mut names: Vec<String> = std::fs::read_dir(&lemmy)
        .expect("lemmy")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= head, "{} lemmy migrations", names.len());
    let (t, dir) = repo();
    let copy = |name: &str| {
        for part in ["up.sql", "down.sql"] {
            if let Ok(bytes) = std::fs::read(lemmy.join(name).join(part)) {
                write(dir.join("migrations").join(name).join(part), bytes);
            }
        }
    };
    names[..shipped].iter().for_each(|n| copy(n));
    commit_all(&dir, "shipped");
    names[shipped..head].iter().for_each(|n| copy(n));
    commit_all(&dir, "change");
    Some((t, dir))
}
