//! The environment: every variable sqlgate reads is read here and nowhere else (the
//! rest of the binary asks these functions; the library crates are handed values —
//! the one exception is `PATH`, which the pg crate searches for the PostgreSQL server
//! programs as `Command` itself would).
//! An empty variable means "not set": the action passes every input, empty or not.

use std::collections::HashMap;

/// A variable's value; `None` when unset, empty or blank, or not UTF-8.
pub fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Every variable, for GitHub's run context (`GITHUB_*`, `RUNNER_*`, the token).
pub fn all() -> HashMap<String, String> {
    std::env::vars().collect()
}

/// Drops our own variables that are set but empty, so "empty" and "unset" read alike
/// for clap as well (called once, first thing).
pub fn forget_empty() {
    for (k, v) in std::env::vars_os() {
        let ours = k
            .to_str()
            .is_some_and(|k| k.starts_with("SQLGATE_") || k == "DATABASE_URL");
        if ours && v.is_empty() {
            // Single-threaded here: nothing else reads the environment yet.
            std::env::remove_var(&k);
        }
    }
}

/// A yes/no variable: set, and not `0` or `false`.
fn flag(name: &str) -> bool {
    var(name).is_some_and(|x| x != "0" && !x.eq_ignore_ascii_case("false"))
}

/// Running in CI (`CI` or `GITHUB_ACTIONS`).
pub fn in_ci() -> bool {
    flag("CI") || flag("GITHUB_ACTIONS")
}

/// `CI` is set at all (no progress bar).
pub fn ci_set() -> bool {
    std::env::var_os("CI").is_some()
}

/// `NO_COLOR` is set (no colour, whatever its value).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some()
}

/// The commit being deployed (`GITHUB_SHA`).
pub fn git_commit() -> Option<String> {
    var("GITHUB_SHA")
}

/// The URL of this GitHub Actions run, when running in one.
pub fn ci_run_url() -> Option<String> {
    match (
        var("GITHUB_SERVER_URL"),
        var("GITHUB_REPOSITORY"),
        var("GITHUB_RUN_ID"),
    ) {
        (Some(s), Some(r), Some(id)) => Some(format!("{s}/{r}/actions/runs/{id}")),
        _ => None,
    }
}

/// `SQLGATE_ALLOW` (how `ci` is told which pre-flight rules to run past): rule ids
/// separated by commas or spaces.
pub fn allow() -> Vec<String> {
    var("SQLGATE_ALLOW")
        .unwrap_or_default()
        .split([',', ' '])
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// `SQLGATE_ALLOW_EXISTING_SCHEMA` is `1`, `true` or `yes`.
pub fn allow_existing_schema() -> bool {
    var("SQLGATE_ALLOW_EXISTING_SCHEMA").is_some_and(|v| matches!(v.trim(), "1" | "true" | "yes"))
}

/// `SQLGATE_SCRATCH`: the scratch server of `ci`'s replay.
pub fn scratch() -> Option<String> {
    var("SQLGATE_SCRATCH")
}

/// `SQLGATE_SCRATCH_CACHE`: where `--scratch auto` keeps its server between runs.
pub fn scratch_cache() -> Option<String> {
    var("SQLGATE_SCRATCH_CACHE")
}

/// `SQLGATE_JOBS`: targets applied at once by `ci`'s fleet shard (default 4).
pub fn jobs() -> usize {
    var("SQLGATE_JOBS")
        .and_then(|j| j.trim().parse().ok())
        .unwrap_or(4)
}

/// `SQLGATE_FAIL_FAST=true`.
pub fn fail_fast() -> bool {
    var("SQLGATE_FAIL_FAST").is_some_and(|v| v.trim() == "true")
}

/// `SQLGATE_PREVIEW_MAX_AGE` (default `7d`).
pub fn preview_max_age() -> String {
    var("SQLGATE_PREVIEW_MAX_AGE").unwrap_or_else(|| "7d".into())
}
