//! Every real-world corpus in ../shared/corpora is read without false `invalid-name`,
//! `not-utf8`, `mixed-layout` or `orphan-down`. Skips (with a note) when the folder is
//! absent, as in a clone outside this workplace.

use crate::support::*;
use std::path::Path;

fn corpus(name: &str) -> Option<std::path::PathBuf> {
    match corpora() {
        Some(c) if c.join(name).is_dir() => Some(c.join(name)),
        _ => {
            eprintln!("note: ../shared/corpora/{name} is absent; corpus test skipped");
            None
        }
    }
}

fn check_corpus(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let d = dir.to_str().unwrap();
    let mut args = vec!["--all", "--dir", d];
    args.extend_from_slice(extra);
    let (code, v) = check_json(Path::new(env!("CARGO_MANIFEST_DIR")), &args);
    assert!(code == 0 || code == 1, "exit {code}");
    for bad in [
        "invalid-name",
        "not-utf8",
        "mixed-layout",
        "orphan-down",
        "unreadable-file",
        "duplicate-version",
    ] {
        assert!(
            !rules(&v).iter().any(|r| r == bad),
            "false {bad} in {}: {}",
            dir.display(),
            v["findings"]
        );
    }
    v
}

#[test]
fn lemmy_folders() {
    let Some(dir) = corpus("lemmy") else { return };
    let v = check_corpus(&dir, &[]);
    assert_eq!(v["layout"], "folders");
    assert_eq!(v["numbering"], "timestamp");
    assert_eq!(v["migrations"]["total"], 342);
    // Lemmy changes live tables freely; each of these is a real risk at scale.
    let r = rules(&v);
    for expected in [
        "create-index-non-concurrently",
        "add-foreign-key-validating",
        "rename-table",
        "drop-column",
    ] {
        assert!(
            r.iter().any(|x| x == expected),
            "lemmy should report {expected}"
        );
    }
    assert!(!r.iter().any(|x| x == "version-gap" || x == "out-of-order"));
}

#[test]
fn kratos_twenty_digit_versions_and_dialects() {
    let Some(dir) = corpus("kratos") else { return };
    let v = check_corpus(&dir, &[]);
    assert_eq!(v["layout"], "pairs");
    assert_eq!(v["migrations"]["total"], 336);
    // Kratos keeps empty up files where only other databases need a step.
    assert!(rules(&v).iter().any(|r| r == "empty-migration"));
}

#[test]
fn harbor_sparse() {
    let Some(dir) = corpus("harbor") else { return };
    let v = check_corpus(&dir, &["--numbering", "sparse"]);
    assert_eq!(v["migrations"]["total"], 39);
    assert!(
        !rules(&v).iter().any(|r| r == "version-gap"),
        "{}",
        v["findings"]
    );
    // Without the sparse policy the intentional gaps are reported.
    let v = check_corpus(&dir, &[]);
    assert!(rules(&v).iter().any(|r| r == "version-gap"));
}

#[test]
fn graphile_worker_with_placeholder() {
    let Some(dir) = corpus("graphile-worker") else {
        return;
    };
    let v = check_corpus(&dir, &["--var", "GRAPHILE_WORKER_SCHEMA=graphile_worker"]);
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["file"].as_str().unwrap().contains("graphile-worker")));
    assert_eq!(v["layout"], "flat");
    assert_eq!(v["migrations"]["total"], 19);
    // Without the placeholder defined, `:GRAPHILE_WORKER_SCHEMA` is not SQL.
    let d = dir.to_str().unwrap();
    let (_, undefined) = check_json(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["--all", "--dir", d],
    );
    assert!(rules(&undefined).iter().any(|r| r == "syntax-error"));
}
