//! Suggested changes as a pull-request review: each suggestion a review comment with
//! a ```` ```suggestion ```` block on the lines it replaces, marked so a re-run finds
//! its own. [`sync`] decides what to post, update and resolve (pure); the `Api`
//! methods list review comments and post one review.

use crate::api::{Api, ApiError};
use serde_json::{json, Value};

/// What a run wants on the pull request: one suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Stable across runs: the file and the rules it fixes.
    pub key: String,
    /// Repository-relative path.
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// The whole comment body, marker included.
    pub body: String,
}

/// A review comment as GitHub lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewComment {
    pub id: u64,
    pub body: String,
    pub login: String,
}

/// The marker that makes a review comment sqlgate's, with its key.
pub fn marker(key: &str) -> String {
    // The key is a path and rule ids: no `-->` can end the comment early.
    format!("<!-- sqlgate:suggestion {} -->", key.replace("--", "- -"))
}

/// A comment body: what it fixes, the suggestion block, the marker.
pub fn body(key: &str, what: &str, replacement: &str) -> String {
    // A fence longer than any run of backticks in the replacement.
    let longest = replacement
        .split(|c| c != '`')
        .map(str::len)
        .max()
        .unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    format!(
        "{what}\n\n{fence}suggestion\n{replacement}\n{fence}\n\n{}",
        marker(key)
    )
}

/// What to do on GitHub.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// New review comments, posted as one review.
    pub create: Vec<Wanted>,
    /// Own comments whose suggestion no longer applies: their new body.
    pub resolve: Vec<(u64, String)>,
}

/// Matches the wanted suggestions with the review comments already there (ours:
/// written by `me` and carrying a marker): an identical one stays, a changed or
/// vanished one is marked resolved, a new one is created. A re-run of the same change
/// therefore posts nothing.
pub fn sync(existing: &[ReviewComment], wanted: &[Wanted], me: &str) -> Plan {
    let ours: Vec<&ReviewComment> = existing
        .iter()
        .filter(|c| c.login == me && c.body.contains("<!-- sqlgate:suggestion "))
        .collect();
    let mut plan = Plan::default();
    for w in wanted {
        if !ours.iter().any(|c| c.body == w.body) {
            plan.create.push(w.clone());
        }
    }
    for c in ours {
        let still = wanted.iter().any(|w| w.body == c.body);
        let resolved = c.body.starts_with("**Resolved**");
        if !still && !resolved {
            let tail = c
                .body
                .rfind("<!-- sqlgate:suggestion ")
                .map_or("", |i| &c.body[i..]);
            plan.resolve.push((
                c.id,
                format!("**Resolved** — sqlgate no longer suggests this change (the finding is gone, or a newer suggestion replaces it).\n\n{tail}"),
            ));
        }
    }
    plan
}

impl Api {
    /// The review comments of a pull request (`GET /repos/{repo}/pulls/{n}/comments`).
    pub async fn list_review_comments(
        &self,
        repo: &str,
        number: u64,
    ) -> Result<Vec<ReviewComment>, ApiError> {
        let items = self
            .get_all(&format!("/repos/{repo}/pulls/{number}/comments"))
            .await?;
        Ok(items
            .iter()
            .filter_map(|v| {
                Some(ReviewComment {
                    id: v.get("id")?.as_u64()?,
                    body: v.get("body")?.as_str()?.to_string(),
                    login: crate::api::author(v),
                })
            })
            .collect())
    }

    /// Posts one review (`POST /repos/{repo}/pulls/{n}/reviews`, event `COMMENT`) with
    /// the comments, on `commit`. Not retried on 5xx (a retry could post it twice).
    pub async fn create_review(
        &self,
        repo: &str,
        number: u64,
        commit: &str,
        summary: &str,
        comments: &[Wanted],
    ) -> Result<(), ApiError> {
        let comments: Vec<Value> = comments
            .iter()
            .map(|w| {
                let mut c =
                    json!({"path": w.path, "line": w.end_line, "side": "RIGHT", "body": w.body});
                if w.start_line < w.end_line {
                    c["start_line"] = json!(w.start_line);
                    c["start_side"] = json!("RIGHT");
                }
                c
            })
            .collect();
        let payload =
            json!({"commit_id": commit, "event": "COMMENT", "body": summary, "comments": comments});
        let route = format!("/repos/{repo}/pulls/{number}/reviews");
        self.send_ok("POST", &route, Some(&payload), false).await
    }

    /// Replaces a review comment's body (`PATCH /repos/{repo}/pulls/comments/{id}`).
    pub async fn update_review_comment(
        &self,
        repo: &str,
        id: u64,
        body: &str,
    ) -> Result<(), ApiError> {
        let route = format!("/repos/{repo}/pulls/comments/{id}");
        self.send_ok("PATCH", &route, Some(&json!({ "body": body })), true)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(key: &str, replacement: &str) -> Wanted {
        Wanted {
            key: key.into(),
            path: "db/002.sql".into(),
            start_line: 1,
            end_line: 2,
            body: body(key, "fix", replacement),
        }
    }

    #[test]
    fn a_rerun_posts_nothing_and_a_changed_suggestion_resolves_the_old_one() {
        let a = wanted(
            "db/002.sql create-index-non-concurrently",
            "CREATE INDEX CONCURRENTLY i ON t (a);",
        );
        let first = sync(&[], std::slice::from_ref(&a), "bot");
        assert_eq!(first.create, vec![a.clone()]);
        let posted = ReviewComment {
            id: 7,
            body: a.body.clone(),
            login: "bot".into(),
        };
        assert_eq!(
            sync(
                std::slice::from_ref(&posted),
                std::slice::from_ref(&a),
                "bot"
            ),
            Plan::default()
        );
        // Someone else's comment with the same text is not ours.
        let theirs = ReviewComment {
            login: "alice".into(),
            ..posted.clone()
        };
        assert_eq!(
            sync(&[theirs], std::slice::from_ref(&a), "bot")
                .create
                .len(),
            1
        );
        // The suggestion changed: the new one is posted, the old one resolved.
        let b = wanted(
            "db/002.sql create-index-non-concurrently",
            "CREATE INDEX CONCURRENTLY i ON t (a, b);",
        );
        let p = sync(
            std::slice::from_ref(&posted),
            std::slice::from_ref(&b),
            "bot",
        );
        assert_eq!(p.create, vec![b]);
        assert_eq!(p.resolve.len(), 1);
        assert!(
            p.resolve[0].1.starts_with("**Resolved**")
                && p.resolve[0].1.contains("<!-- sqlgate:suggestion ")
        );
        // Already resolved: left alone.
        let resolved = ReviewComment {
            body: p.resolve[0].1.clone(),
            ..posted
        };
        assert!(sync(&[resolved], &[], "bot").resolve.is_empty());
    }

    #[test]
    fn a_replacement_with_backticks_gets_a_longer_fence() {
        let b = body("k", "fix", "SELECT '```';");
        assert!(b.contains("````suggestion\nSELECT '```';\n````"), "{b}");
    }
}
