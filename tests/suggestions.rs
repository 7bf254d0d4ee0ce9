//! `sqlgate ci` with `suggestions: true` against the fake GitHub API: one review with
//! suggestion blocks on the right lines, a `git apply`-able patch in the comment for
//! the fixes that split a migration, nothing posted twice on a re-run, and a fork's
//! run getting everything as a patch.

use crate::ci::{ci, pr_payload, pr_repo, Actions};
use crate::support::fake_github::FakeGitHub;
use crate::support::{git, write};

const INDEX: (&str, &str) = (
    "003_index.sql",
    "CREATE INDEX users_email_idx ON users (email);\n",
);
const FK: (&str, &str) = (
    "004_fk.sql",
    "CREATE TABLE tags (id bigint PRIMARY KEY);\nALTER TABLE posts ADD COLUMN tag_id bigint;\nALTER TABLE posts ADD CONSTRAINT posts_tag_fk FOREIGN KEY (tag_id) REFERENCES tags (id);\n",
);

/// The patch of the comment's "Suggested fixes" section.
fn patch_of(body: &str) -> String {
    let start = body
        .find("```diff\n")
        .map(|i| i + "```diff\n".len())
        .expect("a diff block");
    let end = body[start..]
        .find("\n```")
        .map(|i| start + i + 1)
        .expect("the block ends");
    body[start..end].to_string()
}

#[test]
fn suggestions_are_one_review_on_the_right_lines_and_a_patch_for_the_rest() {
    let (_t, dir, base, head) = pr_repo(&[INDEX, FK]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(7, &base, &head, "o/r"));
    let on = [("SQLGATE_SUGGESTIONS", "true")];
    let r = ci(&dir, &gh, "pull_request", &a, &on);
    assert_eq!(
        r.code, 1,
        "the findings still fail the check: {}{}",
        r.stdout, r.stderr
    );

    assert_eq!(
        gh.reviews(),
        vec![(7, 1)],
        "one review, one inline suggestion"
    );
    let rc = gh.review_comments(7);
    assert_eq!(rc.len(), 1, "{rc:?}");
    assert_eq!(rc[0].path, "migrations/003_index.sql");
    assert_eq!(
        (rc[0].start_line, rc[0].line),
        (None, 1),
        "on the offending line"
    );
    assert_eq!(rc[0].commit, head);
    assert!(
        rc[0].body.contains("```suggestion\n-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n```"),
        "{}",
        rc[0].body
    );

    // The foreign key's fix needs a new migration: a patch in the sticky comment.
    let comments = gh.comments(7);
    assert_eq!(comments.len(), 1);
    let body = &comments[0].body;
    assert!(body.contains("### Suggested fixes"), "{body}");
    let patch = patch_of(body);
    assert!(
        patch.contains("+++ b/migrations/004_fk.sql") && patch.contains("NOT VALID"),
        "{patch}"
    );
    assert!(
        patch.contains("+++ b/migrations/005_fk_validate.sql"),
        "{patch}"
    );
    assert!(
        !patch.contains("003_index.sql"),
        "the inline fix is not repeated: {patch}"
    );
    let file = dir.join("fix.patch");
    write(&file, &patch);
    git(&dir, &["apply", "--check", file.to_str().unwrap()]);

    // A re-run on the same commit posts nothing new.
    let a2 = Actions::new(&pr_payload(7, &base, &head, "o/r"));
    let r = ci(&dir, &gh, "pull_request", &a2, &on);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(gh.reviews().len(), 1, "no second review");
    assert_eq!(gh.review_comments(7).len(), 1, "no duplicate");
    assert_eq!(gh.comments(7).len(), 1);

    // The author takes the suggestion: the old one is marked resolved, none is added.
    write(
        dir.join("migrations/003_index.sql"),
        "-- sqlgate:no-transaction\nCREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx ON users (email);\n",
    );
    git(&dir, &["commit", "-q", "-am", "take the suggestion"]);
    let head2 = git(&dir, &["rev-parse", "HEAD"]);
    let a3 = Actions::new(&pr_payload(7, &base, &head2, "o/r"));
    let _ = ci(&dir, &gh, "pull_request", &a3, &on);
    let rc = gh.review_comments(7);
    assert_eq!(rc.len(), 1, "{rc:?}");
    assert!(rc[0].body.starts_with("**Resolved**"), "{}", rc[0].body);
    assert_eq!(gh.reviews().len(), 1);
}

#[test]
fn a_fork_gets_every_fix_as_a_patch_and_no_review() {
    let (_t, dir, base, head) = pr_repo(&[INDEX]);
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(9, &base, &head, "someone/r"));
    let r = ci(
        &dir,
        &gh,
        "pull_request",
        &a,
        &[("SQLGATE_SUGGESTIONS", "true")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(gh.reviews().is_empty());
    let body = &gh.comments(9)[0].body;
    let patch = patch_of(body);
    assert!(
        patch.contains("+CREATE INDEX CONCURRENTLY IF NOT EXISTS users_email_idx"),
        "{patch}"
    );

    // Without the setting, nothing of it.
    let gh = FakeGitHub::start("");
    let a = Actions::new(&pr_payload(9, &base, &head, "o/r"));
    let _ = ci(&dir, &gh, "pull_request", &a, &[]);
    assert!(gh.reviews().is_empty());
    assert!(!gh.comments(9)[0].body.contains("Suggested fixes"));
}
