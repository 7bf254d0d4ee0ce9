//! `sqlgate ci` end to end: the real binary in a simulated GitHub Actions environment
//! (event payload, summary and output files) against a fake GitHub REST API over real
//! HTTP, and a real PostgreSQL for the post-merge apply.

use crate::support::fake_github as fake;
use crate::support::pg;

use crate::support::{commit_all, git, repo, run, sqlgate, write, Run};
use fake::{FakeGitHub, Fault};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub(crate) const TOKEN: &str = "ghs_FAKEtoken0123456789abcdefSECRET";

/// A repository whose `main` has two shipped migrations, and a pull-request branch
/// adding `extra` new ones. Returns (tempdir, path, base sha, head sha).
pub(crate) fn pr_repo(extra: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf, String, String) {
    let (t, dir) = repo();
    write(
        dir.join("migrations/001_users.sql"),
        "CREATE TABLE users (id bigint PRIMARY KEY, email text);\n",
    );
    write(
        dir.join("migrations/002_posts.sql"),
        "CREATE TABLE posts (id bigint PRIMARY KEY, title text);\n",
    );
    commit_all(&dir, "base");
    let base = git(&dir, &["rev-parse", "HEAD"]);
    git(&dir, &["checkout", "-q", "-b", "feature"]);
    for (name, sql) in extra {
        write(dir.join("migrations").join(name), sql);
    }
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-q", "--allow-empty", "-m", "feature"]);
    let head = git(&dir, &["rev-parse", "HEAD"]);
    (t, dir, base, head)
}

pub(crate) struct Actions {
    event: PathBuf,
    summary: PathBuf,
    output: PathBuf,
    temp: tempfile::TempDir,
}

impl Actions {
    pub(crate) fn new(payload: &Value) -> Actions {
        let temp = tempfile::tempdir().expect("tempdir");
        let event = temp.path().join("event.json");
        std::fs::write(&event, payload.to_string()).expect("write event");
        Actions {
            summary: temp.path().join("summary.md"),
            output: temp.path().join("output.txt"),
            event,
            temp,
        }
    }

    pub(crate) fn summary(&self) -> String {
        std::fs::read_to_string(&self.summary).unwrap_or_default()
    }

    /// Step outputs parsed (both `k=v` and heredoc forms).
    pub(crate) fn outputs(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(&self.output).unwrap_or_default();
        let mut out = Vec::new();
        let mut lines = text.lines();
        while let Some(l) = lines.next() {
            if let Some((k, delim)) = l.split_once("<<") {
                let mut v = Vec::new();
                for inner in lines.by_ref() {
                    if inner == delim {
                        break;
                    }
                    v.push(inner);
                }
                out.push((k.to_string(), v.join("\n")));
            } else if let Some((k, v)) = l.split_once('=') {
                out.push((k.to_string(), v.to_string()));
            }
        }
        out
    }

    pub(crate) fn output(&self, key: &str) -> Option<String> {
        self.outputs()
            .into_iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

pub(crate) fn pr_payload(number: u64, base: &str, head: &str, head_repo: &str) -> Value {
    // The real payload shape (octocrab's recorded fixture), adjusted to this repository.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/fixtures/github/pull_request_opened_webhook_event.json");
    let mut v: Value = std::fs::read_to_string(&fixture)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_else(|| json!({"action": "opened", "pull_request": {"base": {"repo": {}}, "head": {"repo": {}}}, "repository": {}}));
    v["number"] = json!(number);
    v["pull_request"]["number"] = json!(number);
    v["pull_request"]["base"]["sha"] = json!(base);
    v["pull_request"]["base"]["ref"] = json!("main");
    v["pull_request"]["base"]["repo"]["full_name"] = json!("o/r");
    v["pull_request"]["head"]["sha"] = json!(head);
    v["pull_request"]["head"]["repo"]["full_name"] = json!(head_repo);
    v["pull_request"]["head"]["repo"]["fork"] = json!(head_repo != "o/r");
    v["repository"]["full_name"] = json!("o/r");
    v
}

pub(crate) fn ci(
    dir: &Path,
    gh: &FakeGitHub,
    event_name: &str,
    a: &Actions,
    extra: &[(&str, &str)],
) -> Run {
    let mut c = sqlgate(dir);
    c.arg("ci")
        .env("GITHUB_ACTIONS", "true")
        .env("CI", "true")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", &a.event)
        .env("GITHUB_REPOSITORY", "o/r")
        .env("GITHUB_API_URL", gh.url())
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "4242")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_STEP_SUMMARY", &a.summary)
        .env("GITHUB_OUTPUT", &a.output)
        .env("RUNNER_TEMP", a.temp.path())
        .env("GITHUB_TOKEN", TOKEN)
        .env_remove("DATABASE_URL");
    for (k, v) in extra {
        c.env(k, v);
    }
    run(&mut c)
}

/// Runs `f` on two threads at the same time and returns both results.
fn twice_at_once(f: impl Fn() -> Run + Sync) -> Vec<Run> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(&f)).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("run thread"))
            .collect()
    })
}

fn assert_no_token(r: &Run, a: &Actions) {
    for (what, text) in [
        ("stdout", r.stdout.as_str()),
        ("stderr", r.stderr.as_str()),
        ("summary", a.summary().as_str()),
        (
            "outputs",
            std::fs::read_to_string(&a.output)
                .unwrap_or_default()
                .as_str(),
        ),
    ] {
        assert!(
            !text.contains(TOKEN),
            "the token leaked into {what}: {text}"
        );
        assert!(
            !text.contains("FAKEtoken"),
            "part of the token leaked into {what}"
        );
    }
}

const BAD: (&str, &str) = (
    "003_index.sql",
    "CREATE INDEX users_email_idx ON users (email);\n",
);

#[test]
fn pull_request_comment_is_created_then_updated_in_place() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("/api/v3");
    let a = Actions::new(&pr_payload(7, &base, &head, "o/r"));

    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(
        r.code, 1,
        "an error finding fails the step: {}{}",
        r.stdout, r.stderr
    );
    let comments = gh.comments(7);
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = &comments[0].body;
    assert!(body.contains("<!-- sqlgate:dir=migrations -->"), "{body}");
    assert!(body.contains("create-index-non-concurrently"), "{body}");
    assert!(body.contains("1 error(s)"), "{body}");
    assert!(
        body.contains("https://github.com/o/r/pull/7/files#diff-"),
        "locations link to the pull request's diff: {body}"
    );
    assert!(
        body.contains("actions/runs/4242"),
        "footer links the run: {body}"
    );
    // Annotation on the offending line, the summary and the outputs.
    assert!(
        r.stdout.contains("::error file=migrations/003_index.sql,line=1,col=33,title=sqlgate create-index-non-concurrently::"),
        "{}",
        r.stdout
    );
    assert!(a.summary().contains("create-index-non-concurrently"));
    assert_eq!(a.output("errors").as_deref(), Some("1"));
    assert_eq!(a.output("verdict").as_deref(), Some("fail"));
    assert_eq!(a.output("pending").as_deref(), Some("1"));
    let report = a.output("report").expect("report output");
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).expect("report file"))
        .expect("JSON report");
    assert_eq!(json["findings"][0]["rule"], "create-index-non-concurrently");
    // Every request carried the token, under the Enterprise prefix.
    for req in gh.requests() {
        assert!(req.path().starts_with("/api/v3/"), "{}", req.target);
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
        assert_eq!(req.header("x-github-api-version"), Some("2022-11-28"));
    }
    assert_no_token(&r, &a);

    // The author fixes the migration: the same comment now says all is well.
    write(
        dir.join("migrations/003_index.sql"),
        "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY users_email_idx ON users (email);\n",
    );
    commit_all(&dir, "fix");
    let a2 = Actions::new(&pr_payload(
        7,
        &base,
        &git(&dir, &["rev-parse", "HEAD"]),
        "o/r",
    ));
    let r = ci(&dir, &gh, "pull_request", &a2, &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let comments = gh.comments(7);
    assert_eq!(comments.len(), 1, "updated, not duplicated");
    assert!(
        comments[0].body.contains("no problems found"),
        "{}",
        comments[0].body
    );
    assert_eq!(
        gh.count("PATCH", &format!("/issues/comments/{}", comments[0].id)),
        1
    );
    assert_eq!(gh.count("POST", "/issues/7/comments"), 1);
    assert_eq!(a2.output("verdict").as_deref(), Some("pass"));
    assert_no_token(&r, &a2);
}

#[test]
fn sticky_comment_on_page_two_of_150_is_found_and_only_ours_counts() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("");
    let marker = "<!-- sqlgate:dir=migrations -->";
    // Someone quoting our marker early on: not ours, must be left alone.
    let mut ours = 0;
    for i in 0..150 {
        if i == 3 {
            gh.add_comment(9, "mallory", &format!("copied: {marker}"));
        } else if i == 130 {
            ours = gh.add_comment(9, "github-actions[bot]", &format!("{marker}\nold report"));
        } else {
            gh.add_comment(
                9,
                if i % 2 == 0 {
                    "alice"
                } else {
                    "github-actions[bot]"
                },
                &format!("comment {i}"),
            );
        }
    }
    let a = Actions::new(&pr_payload(9, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let comments = gh.comments(9);
    assert_eq!(comments.len(), 150, "no new comment");
    let updated = comments.iter().find(|c| c.id == ours).expect("ours");
    assert!(updated.body.contains("create-index-non-concurrently"));
    assert!(comments
        .iter()
        .any(|c| c.login == "mallory" && c.body == format!("copied: {marker}")));
    assert_eq!(gh.count("POST", "/comments"), 0);
    // Paged through: the second page was asked for.
    assert!(gh
        .requests()
        .iter()
        .any(|r| r.method == "GET" && r.target.contains("page=2")));
}

#[test]
fn personal_token_identity_comes_from_the_user_endpoint() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("");
    gh.set_viewer(Some("deploy-bot"));
    gh.set_author("deploy-bot");
    let marker = "<!-- sqlgate:dir=migrations -->";
    // An old report by the Actions bot: a different identity, not ours to edit.
    gh.add_comment(3, "github-actions[bot]", &format!("{marker}\nold"));
    let mine = gh.add_comment(3, "deploy-bot", &format!("{marker}\nmine"));
    let a = Actions::new(&pr_payload(3, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(gh.count("PATCH", &format!("/comments/{mine}")), 1);
    assert_eq!(gh.comments(3).len(), 2);
}

#[test]
fn a_failing_user_endpoint_falls_back_to_the_actions_identity() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("");
    gh.fault(Fault {
        method: "GET",
        path_suffix: "/user".into(),
        status: 500,
        headers: vec![],
        body: json!({"message": "no route"}).to_string(),
        times: 100,
    });
    let existing = gh.add_comment(
        12,
        "github-actions[bot]",
        "<!-- sqlgate:dir=migrations -->\nold",
    );
    let a = Actions::new(&pr_payload(12, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        gh.count("PATCH", &format!("/comments/{existing}")),
        1,
        "{}",
        r.stderr
    );
    assert_eq!(gh.comments(12).len(), 1);
}

#[test]
fn two_concurrent_runs_leave_one_comment() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("");
    // Both runs list the (empty) comments before either posts.
    gh.barrier_on_lists(2);
    let a = Actions::new(&pr_payload(13, &base, &head, "o/r"));
    let runs = twice_at_once(|| ci(&dir, &gh, "pull_request", &a, &[]));
    for r in &runs {
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    }
    assert_eq!(
        gh.count("POST", "/issues/13/comments"),
        2,
        "the race happened: {:?}",
        gh.requests()
            .iter()
            .map(|r| format!("{} {}", r.method, r.target))
            .collect::<Vec<_>>()
    );
    let comments = gh.comments(13);
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert!(comments[0].body.contains("create-index-non-concurrently"));
    let deletes = gh
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 1, "the later duplicate is deleted");
}

#[test]
fn environments_get_separate_comments() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(5, &base, &head, "o/r"));
    for env in ["staging", "production", "staging"] {
        let r = ci(
            &dir,
            &gh,
            "pull_request",
            &a,
            &[("SQLGATE_ENVIRONMENT", env)],
        );
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    }
    let comments = gh.comments(5);
    assert_eq!(comments.len(), 2, "{comments:?}");
    assert!(comments.iter().any(|c| c
        .body
        .contains("<!-- sqlgate:dir=migrations env=staging -->")
        && c.body.contains("environment **staging**")));
    assert!(comments.iter().any(|c| c.body.contains("env=production")));
}

#[test]
fn read_only_token_keeps_the_verdict_and_the_report_goes_to_the_summary() {
    for (extra, expected) in [(vec![BAD], 1), (vec![], 0)] {
        let (_t, dir, base, head) = pr_repo(&extra);
        let gh = FakeGitHub::start("");
        gh.set_read_only(true);
        let a = Actions::new(&pr_payload(11, &base, &head, "someone/fork"));
        let r = ci(&dir, &gh, "pull_request", &a, &[]);
        assert_eq!(r.code, expected, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("::warning"), "{}", r.stdout);
        assert!(r.stdout.contains("403"), "{}", r.stdout);
        let summary = a.summary();
        assert!(summary.contains("sqlgate:"), "{summary}");
        assert!(summary.contains("could not be posted"), "{summary}");
        assert!(gh.comments(11).is_empty());
        assert_no_token(&r, &a);
    }
}

#[test]
fn transient_502s_are_retried_without_duplicates() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("");
    let bad_gateway = |method: &'static str, suffix: &str| Fault {
        method,
        path_suffix: suffix.to_string(),
        status: 502,
        headers: vec![],
        body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
        times: 2,
    };
    gh.fault(bad_gateway("GET", "/issues/4/comments"));
    gh.fault(bad_gateway("POST", "/issues/4/comments"));
    let a = Actions::new(&pr_payload(4, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(gh.comments(4).len(), 1, "{}", r.stderr);
    assert_eq!(gh.count("POST", "/issues/4/comments"), 3);
    assert!(r.stderr.contains("502"), "{}", r.stderr);
}

#[test]
fn rate_limits_are_waited_out() {
    let (_t, dir, base, head) = pr_repo(&[BAD]);
    let gh = FakeGitHub::start("");
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() + 1)
        .unwrap_or(0);
    gh.fault(Fault {
        method: "GET",
        path_suffix: "/issues/6/comments".into(),
        status: 403,
        headers: vec![
            ("x-ratelimit-remaining".into(), "0".into()),
            ("x-ratelimit-reset".into(), reset.to_string()),
        ],
        body: json!({"message": "API rate limit exceeded"}).to_string(),
        times: 1,
    });
    gh.fault(Fault {
        method: "POST",
        path_suffix: "/issues/6/comments".into(),
        status: 429,
        headers: vec![("retry-after".into(), "1".into())],
        body: json!({"message": "You have exceeded a secondary rate limit"}).to_string(),
        times: 1,
    });
    let a = Actions::new(&pr_payload(6, &base, &head, "o/r"));
    let started = std::time::Instant::now();
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(gh.comments(6).len(), 1, "{}", r.stderr);
    assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    assert!(r.stderr.contains("rate limited"), "{}", r.stderr);

    // A wait longer than sqlgate accepts: a warning, the verdict stays.
    let gh = FakeGitHub::start("");
    gh.fault(Fault {
        method: "GET",
        path_suffix: "/issues/6/comments".into(),
        status: 429,
        headers: vec![("retry-after".into(), "3600".into())],
        body: "{}".into(),
        times: 10,
    });
    let a = Actions::new(&pr_payload(6, &base, &head, "o/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_GITHUB_MAX_WAIT", "5s")],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("rate limited"), "{}", r.stdout);
}

#[test]
fn a_huge_report_stays_under_githubs_comment_limit() {
    // 4000 findings of one rule in one file are one row; 1500 files are too many.
    let mut sql = String::new();
    for i in 0..4000 {
        sql.push_str(&format!(
            "CREATE INDEX users_email_idx_{i} ON users (email); -- {}\n",
            "x".repeat(40)
        ));
    }
    let (_t, dir, base, head) = pr_repo(&[("003_many.sql", sql.as_str())]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(8, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let body = &gh.comments(8)[0].body;
    assert!(
        body.contains("`create-index-non-concurrently` ×4000"),
        "{body}"
    );
    assert!(body.contains("(4000 in all)"), "{body}");
    assert!(!body.contains("shortened"), "one row needs no shortening");
    let files: Vec<(String, String)> = (3..1503)
        .map(|i| {
            (
                format!("{i:04}_idx.sql"),
                format!(
                    "CREATE INDEX users_email_idx_{i} ON users (email); -- {}\n",
                    "x".repeat(40)
                ),
            )
        })
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, s)| (n.as_str(), s.as_str()))
        .collect();
    let (_t, dir, base, head) = pr_repo(&refs);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(8, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a, &[]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let comments = gh.comments(8);
    assert_eq!(comments.len(), 1, "{}", r.stdout);
    let body = &comments[0].body;
    assert!(body.len() <= 65_536, "{} bytes", body.len());
    assert!(body.contains("1500 error(s)"), "verdict kept");
    assert!(body.contains("| 1500 | "), "counts kept");
    assert!(body.contains("shortened"), "says it was shortened");
    assert!(
        body.contains("job summary"),
        "says where the full report is"
    );
    // Annotations: 10 errors, the rest said in the log.
    assert_eq!(r.stdout.matches("::error file=").count(), 10);
    assert!(
        r.stdout.contains("1490 more finding(s) are not annotated"),
        "{}",
        r.stdout
    );
    assert!(a.summary().len() <= 1024 * 1024);
    assert_eq!(a.output("errors").as_deref(), Some("1500"));
}

#[test]
fn refuses_to_apply_on_pull_requests_and_to_use_a_database_for_forks() {
    let (_t, dir, base, head) = pr_repo(&[]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(2, &base, &head, "o/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[
            ("SQLGATE_COMMAND", "apply"),
            ("DATABASE_URL", "postgres://u:pw@127.0.0.1:1/db"),
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("refusing to apply"), "{}", r.stderr);
    assert!(gh.requests().is_empty(), "nothing posted");

    // A fork with a database configured: the check runs, the database is not touched.
    let a = Actions::new(&pr_payload(2, &base, &head, "evil/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("DATABASE_URL", "postgres://u:hunter2pw@127.0.0.1:1/db")],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("fork"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("could not read the database"),
        "no connection was tried"
    );
    assert!(r.stdout.contains("::add-mask::hunter2pw"));
    assert_eq!(r.stdout.matches("hunter2pw").count(), 1, "{}", r.stdout);
    assert_eq!(gh.comments(2).len(), 1, "the check report is still posted");
}

#[test]
fn pull_request_replay_on_a_scratch_database_reaches_the_comment() {
    let (_t, dir, base, head) =
        // Inside a DO block the static rules cannot see it; the replay does.
        pr_repo(&[(
            "003_unlogged.sql",
            "DO $$ BEGIN EXECUTE format('ALTER TABLE %I SET UNLOGGED', 'users'); END $$;\n",
        )]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(14, &base, &head, "o/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_SCRATCH", "auto")],
    );
    assert_eq!(r.code, 0, "warnings only: {}{}", r.stdout, r.stderr);
    let body = &gh.comments(14)[0].body;
    assert!(body.contains("replay-rewrite"), "{body}");
    assert!(
        body.contains("**Scratch replay**") && body.contains("Timings, locks and rewrites"),
        "{body}"
    );
    assert!(
        r.stdout
            .contains("::warning file=migrations/003_unlogged.sql,line=1"),
        "{}",
        r.stdout
    );

    // A fork's migrations are not replayed on a server given by URL.
    let a = Actions::new(&pr_payload(15, &base, &head, "evil/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_SCRATCH", "postgres://u:pw@127.0.0.1:1/postgres")],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("scratch replay skipped"), "{}", r.stdout);
    assert!(!gh.comments(15)[0].body.contains("replay-rewrite"));
}

#[test]
fn outside_actions_ci_explains_itself() {
    let (_t, dir, _, _) = pr_repo(&[]);
    let r = run(sqlgate(&dir).arg("ci"));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("GITHUB_EVENT_NAME"), "{}", r.stderr);
}

mod with_postgres {
    use super::*;

    fn push_payload(after: &str, commits: &[&str]) -> Value {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/fixtures/github/push_webhook_event.json");
        let mut v: Value = std::fs::read_to_string(&fixture)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_else(|| json!({}));
        v["ref"] = json!("refs/heads/main");
        v["before"] = json!("0000000000000000000000000000000000000000");
        v["after"] = json!(after);
        v["commits"] = json!(commits.iter().map(|c| json!({"id": c})).collect::<Vec<_>>());
        v
    }

    fn with_password(url: &str, pw: &str) -> String {
        url.replacen("://sqlgate@", &format!("://sqlgate:{pw}@"), 1)
    }

    #[test]
    fn push_applies_and_reports_on_the_merged_pull_request() {
        let (_t, dir, _, head) = pr_repo(&[(
            "003_comments.sql",
            "CREATE TABLE comments (id bigint PRIMARY KEY, body text);\n",
        )]);
        let db = with_password(&pg::fresh_db(), "Pa55wordXYZ");
        let gh = FakeGitHub::start("/api/v3");
        let pulls: Value = serde_json::from_str(
            &std::fs::read_to_string(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../shared/fixtures/github/pull_requests_list.json"),
            )
            .unwrap_or_else(|_| {
                r#"[{"number": 1347, "merged_at": "2011-01-26T19:01:12Z", "html_url": "x"}]"#.into()
            }),
        )
        .expect("pulls JSON");
        let number = pulls[0]["number"].as_u64().expect("number");
        gh.set_pulls(&head, pulls);
        let a = Actions::new(&push_payload(&head, &[&head]));
        let env = [
            ("DATABASE_URL", db.as_str()),
            ("SQLGATE_ENVIRONMENT", "production"),
        ];
        let r = ci(&dir, &gh, "push", &a, &env);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert_eq!(
            pg::query(
                &db,
                "SELECT count(*) FROM sqlgate_migrations WHERE status = 'applied'"
            ),
            vec!["3"]
        );
        let comments = gh.comments(number);
        assert_eq!(comments.len(), 1, "{}", r.stdout);
        let body = &comments[0].body;
        assert!(
            body.contains("<!-- sqlgate:apply dir=migrations env=production -->"),
            "{body}"
        );
        assert!(body.contains("applied 3 migration(s)"), "{body}");
        assert!(
            body.contains("| `003_comments` | ") && body.contains(" ms |"),
            "{body}"
        );
        assert!(body.contains("environment **production**"));
        assert!(!body.contains("Pa55wordXYZ"), "{body}");
        assert_eq!(a.output("applied").as_deref(), Some("3"));
        assert_eq!(a.output("pending").as_deref(), Some("0"));
        assert!(a.summary().contains("applied 3 migration(s)"));
        // The password only appears in the mask command, which GitHub hides.
        assert!(
            r.stdout.starts_with("::add-mask::Pa55wordXYZ\n"),
            "{}",
            r.stdout
        );
        assert_eq!(r.stdout.matches("Pa55wordXYZ").count(), 1);
        assert!(!r.stderr.contains("Pa55wordXYZ"));
        assert!(!a.summary().contains("Pa55wordXYZ"));
        assert_no_token(&r, &a);

        // Re-running the deploy: up to date, the same comment is updated.
        let r = ci(&dir, &gh, "push", &a, &env);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        let comments = gh.comments(number);
        assert_eq!(comments.len(), 1);
        assert!(
            comments[0].body.contains("already up to date"),
            "{}",
            comments[0].body
        );
    }

    #[test]
    fn two_deploys_at_once_apply_each_migration_once_and_leave_one_comment() {
        let (_t, dir, _, head) = pr_repo(&[(
            "003_comments.sql",
            "CREATE TABLE comments (id bigint PRIMARY KEY, body text);\nSELECT pg_sleep(0.5);\n",
        )]);
        let db = pg::fresh_db();
        let gh = FakeGitHub::start("");
        gh.set_pulls(
            &head,
            json!([{"number": 21, "merged_at": "2026-11-22T00:00:00Z"}]),
        );
        let a = Actions::new(&push_payload(&head, &[&head]));
        let env = [("DATABASE_URL", db.as_str())];
        let runs = twice_at_once(|| ci(&dir, &gh, "push", &a, &env));
        for r in &runs {
            assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        }
        assert_eq!(
            pg::query(&db, "SELECT count(*) FROM sqlgate_migrations"),
            vec!["3"]
        );
        let applied: Vec<String> = runs
            .iter()
            .map(|r| {
                if r.stdout.contains("applied 3 migration(s)") {
                    "3".to_string()
                } else if r.stdout.contains("up to date") {
                    "0".to_string()
                } else {
                    r.stdout.clone()
                }
            })
            .collect();
        assert!(
            applied.contains(&"3".to_string()) && applied.contains(&"0".to_string()),
            "one run applies, the other waits for the lock and finds nothing to do: {applied:?}"
        );
        assert_eq!(gh.comments(21).len(), 1);
    }

    #[test]
    fn a_failed_apply_is_reported_with_position_and_postgres_message() {
        let (_t, dir, _, head) = pr_repo(&[(
            "003_broken.sql",
            "CREATE TABLE ok_table (id int);\nALTER TABLE missing_table ADD COLUMN x int;\n",
        )]);
        let db = pg::fresh_db();
        let gh = FakeGitHub::start("");
        gh.set_pulls(&head, json!([{"number": 77, "merged_at": "2026-11-22T00:00:00Z", "html_url": "https://github.com/o/r/pull/77"}]));
        let a = Actions::new(&push_payload(&head, &[&head]));
        let r = ci(&dir, &gh, "push", &a, &[("DATABASE_URL", db.as_str())]);
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
        assert!(
            r.stdout
                .contains("::error file=migrations/003_broken.sql,line=2,"),
            "{}",
            r.stdout
        );
        let comments = gh.comments(77);
        assert_eq!(comments.len(), 1);
        let body = &comments[0].body;
        assert!(body.contains("apply failed at `003_broken`"), "{body}");
        assert!(body.contains("migrations/003_broken.sql:2:"), "{body}");
        assert!(
            body.contains("missing_table") && body.contains("does not exist"),
            "{body}"
        );
        assert_eq!(a.output("applied").as_deref(), Some("2"));
        assert_eq!(a.output("verdict").as_deref(), Some("fail"));
        // A comment that cannot be written never fails an apply that succeeded.
        let (_t2, dir2, _, head2) = pr_repo(&[]);
        let db2 = pg::fresh_db();
        let gh2 = FakeGitHub::start("");
        gh2.set_read_only(true);
        gh2.set_pulls(
            &head2,
            json!([{"number": 78, "merged_at": "2026-11-22T00:00:00Z"}]),
        );
        let a2 = Actions::new(&push_payload(&head2, &[&head2]));
        let r = ci(&dir2, &gh2, "push", &a2, &[("DATABASE_URL", db2.as_str())]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("::warning"));
        assert!(a2.summary().contains("applied 2 migration(s)"));
    }
}

#[test]
fn a_check_run_carries_every_finding_in_batches_of_fifty() {
    let mut sql = String::new();
    for i in 0..180 {
        sql.push_str(&format!(
            "CREATE INDEX users_email_idx_{i} ON users (email);\n"
        ));
    }
    let (_t, dir, base, head) = pr_repo(&[("003_many.sql", sql.as_str())]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(31, &base, &head, "o/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_ANNOTATIONS", "check-run")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let runs = gh.check_runs();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].requests, 4, "180 annotations in 4 requests");
    assert_eq!(runs[0].annotations.len(), 180);
    assert_eq!(runs[0].created["head_sha"], head.as_str());
    assert_eq!(runs[0].created["conclusion"], "failure");
    let a0 = &runs[0].annotations[0];
    assert_eq!(a0["path"], "migrations/003_many.sql");
    assert_eq!(a0["annotation_level"], "failure");
    assert_eq!(a0["title"], "create-index-non-concurrently");
    assert_eq!(
        r.stdout.matches("::error file=").count(),
        0,
        "no workflow-command annotations"
    );
    // A token without `checks: write`: a warning, and workflow commands instead.
    let gh = FakeGitHub::start("");
    gh.forbid_checks();
    let a = Actions::new(&pr_payload(32, &base, &head, "o/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_ANNOTATIONS", "check-run")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("checks: write"), "{}", r.stdout);
    assert_eq!(r.stdout.matches("::error file=").count(), 10);
    assert_eq!(
        gh.comments(32).len(),
        1,
        "the comment is still posted: {}{}",
        r.stdout,
        r.stderr
    );
}
