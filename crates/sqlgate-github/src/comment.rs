//! The sticky pull-request comment: one per migration directory, environment and kind
//! (check report or apply report), recognised by a hidden marker and by its author
//! being the token's own identity, updated in place on every run, created only when
//! absent. `marker`, `is_mine` and `find` are pure; `upsert` talks to the API.

use super::api::{Api, ApiError, Comment};
use std::future::Future;

/// The issue-comment calls the sticky comment needs; [`Api`] implements them over
/// HTTP, tests can implement them in memory.
pub trait CommentApi {
    fn list_comments(
        &self,
        repo: &str,
        number: u64,
    ) -> impl Future<Output = Result<Vec<Comment>, ApiError>>;
    fn create_comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> impl Future<Output = Result<Comment, ApiError>>;
    fn update_comment(
        &self,
        repo: &str,
        id: u64,
        body: &str,
    ) -> impl Future<Output = Result<Comment, ApiError>>;
    fn delete_comment(&self, repo: &str, id: u64) -> impl Future<Output = Result<(), ApiError>>;
    /// A note for the log (this crate never prints; the binary decides where).
    fn note(&self, _text: &str) {}
}

impl CommentApi for Api {
    async fn list_comments(&self, repo: &str, number: u64) -> Result<Vec<Comment>, ApiError> {
        Api::list_comments(self, repo, number).await
    }
    async fn create_comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<Comment, ApiError> {
        Api::create_comment(self, repo, number, body).await
    }
    async fn update_comment(&self, repo: &str, id: u64, body: &str) -> Result<Comment, ApiError> {
        Api::update_comment(self, repo, id, body).await
    }
    async fn delete_comment(&self, repo: &str, id: u64) -> Result<(), ApiError> {
        Api::delete_comment(self, repo, id).await
    }
    fn note(&self, text: &str) {
        Api::note(self, text);
    }
}

/// What a sticky comment reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The pull-request gate (`check`).
    Check,
    /// The post-merge `apply` report.
    Apply,
    /// The pull request's preview database (kept apart from the check's verdict).
    Preview,
}

/// Keeps a value from closing the HTML comment or splitting the marker's fields.
fn clean(s: &str) -> String {
    s.trim()
        .trim_start_matches("./")
        .trim_end_matches('/')
        .replace("--", "-")
        .replace(['>', '<', ' ', '\n', '\r'], "_")
}

/// The hidden marker, e.g. `<!-- sqlgate:dir=migrations -->`,
/// `<!-- sqlgate:dir=db/migrations env=staging -->`,
/// `<!-- sqlgate:apply dir=migrations env=production -->`.
pub fn marker(dir: &str, environment: Option<&str>, kind: Kind) -> String {
    let dir = match clean(dir) {
        d if d.is_empty() => ".".to_string(),
        d => d,
    };
    let env = environment
        .map(clean)
        .filter(|e| !e.is_empty())
        .map(|e| format!(" env={e}"))
        .unwrap_or_default();
    match kind {
        Kind::Check => format!("<!-- sqlgate:dir={dir}{env} -->"),
        Kind::Apply => format!("<!-- sqlgate:apply dir={dir}{env} -->"),
        Kind::Preview => format!("<!-- sqlgate:preview dir={dir}{env} -->"),
    }
}

/// Who the token is. The Actions `GITHUB_TOKEN` cannot read `/user`; its comments are
/// authored by `github-actions[bot]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Login(String),
    ActionsBot,
}

impl Identity {
    pub fn login(&self) -> &str {
        match self {
            Identity::Login(l) => l,
            Identity::ActionsBot => "github-actions[bot]",
        }
    }
}

fn bare(login: &str) -> String {
    login.trim_end_matches("[bot]").to_ascii_lowercase()
}

/// True when the comment was written by the token's identity.
pub fn is_mine(c: &Comment, me: &Identity) -> bool {
    !c.login.is_empty() && bare(&c.login) == bare(me.login())
}

/// Our comment carrying `marker`, when there is one (the oldest, if a past bug left two).
pub fn find<'a>(comments: &'a [Comment], marker: &str, me: &Identity) -> Option<&'a Comment> {
    comments
        .iter()
        .filter(|c| c.body.contains(marker) && is_mine(c, me))
        .min_by_key(|c| c.id)
}

/// What `upsert` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created(String),
    Updated(String),
}

impl Outcome {
    pub fn url(&self) -> &str {
        match self {
            Outcome::Created(u) | Outcome::Updated(u) => u,
        }
    }
}

/// Puts `marker` + `body` on the pull request: updates our existing comment or creates
/// one. A create that fails with a 5xx or a network error is retried only after
/// checking that it did not land anyway (no duplicates).
pub async fn upsert<A: CommentApi>(
    api: &A,
    repo: &str,
    number: u64,
    marker: &str,
    body: &str,
    me: &Identity,
) -> Result<Outcome, ApiError> {
    let text = format!("{marker}\n{body}");
    let mut attempts = 0;
    loop {
        attempts += 1;
        let comments = api.list_comments(repo, number).await?;
        if let Some(existing) = find(&comments, marker, me) {
            match api.update_comment(repo, existing.id, &text).await {
                Ok(c) => {
                    let url = if c.html_url.is_empty() {
                        existing.html_url.clone()
                    } else {
                        c.html_url
                    };
                    return Ok(Outcome::Updated(url));
                }
                // Deleted since we listed it: create a new one.
                Err(e) if e.status() == Some(404) && attempts < 3 => {}
                Err(e) => return Err(e),
            }
        }
        match api.create_comment(repo, number, &text).await {
            Ok(created) => return settle(api, repo, number, marker, &text, me, created).await,
            Err(e) if e.is_transient() && attempts < 4 => {
                api.note(&format!(
                    "sqlgate: {e}; checking whether the comment was created before trying again"
                ));
                tokio::time::sleep(std::time::Duration::from_millis(500 << attempts)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// After creating: if a concurrent run created the same sticky comment first (both
/// listed before either posted), keep the oldest, give it this run's text, and delete
/// ours, so the pull request ends with one comment whoever wins the race.
async fn settle<A: CommentApi>(
    api: &A,
    repo: &str,
    number: u64,
    marker: &str,
    text: &str,
    me: &Identity,
    created: Comment,
) -> Result<Outcome, ApiError> {
    let Ok(comments) = api.list_comments(repo, number).await else {
        return Ok(Outcome::Created(created.html_url));
    };
    match find(&comments, marker, me) {
        Some(oldest) if oldest.id < created.id => {
            let kept = api.update_comment(repo, oldest.id, text).await?;
            if let Err(e) = api.delete_comment(repo, created.id).await {
                api.note(&format!(
                    "sqlgate: could not delete the duplicate comment {}: {e}",
                    created.id
                ));
            }
            Ok(Outcome::Updated(if kept.html_url.is_empty() {
                oldest.html_url.clone()
            } else {
                kept.html_url
            }))
        }
        _ => Ok(Outcome::Created(created.html_url)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: u64, login: &str, body: &str) -> Comment {
        Comment {
            id,
            body: body.into(),
            login: login.into(),
            html_url: format!("u{id}"),
        }
    }

    #[test]
    fn markers_differ_by_dir_env_and_kind() {
        assert_eq!(
            marker("migrations", None, Kind::Check),
            "<!-- sqlgate:dir=migrations -->"
        );
        assert_eq!(
            marker("./db/migrations/", Some("staging"), Kind::Check),
            "<!-- sqlgate:dir=db/migrations env=staging -->"
        );
        assert_eq!(
            marker("migrations", Some("production"), Kind::Apply),
            "<!-- sqlgate:apply dir=migrations env=production -->"
        );
        assert_eq!(
            marker("a-->b", Some(" "), Kind::Check),
            "<!-- sqlgate:dir=a-_b -->"
        );
        let plain = marker("migrations", None, Kind::Check);
        assert!(!marker("migrations", Some("staging"), Kind::Check).contains(&plain));
        assert!(!marker("migrations/x", None, Kind::Check).contains(&plain));
    }

    #[test]
    fn only_our_own_marked_comment_is_found() {
        let m = marker("migrations", None, Kind::Check);
        let comments = vec![
            c(1, "alice", &format!("quoting: {m}")),
            c(2, "github-actions[bot]", "unrelated"),
            c(3, "github-actions[bot]", &format!("{m}\nreport")),
            c(4, "github-actions[bot]", &format!("{m}\nduplicate")),
        ];
        assert_eq!(
            find(&comments, &m, &Identity::ActionsBot).map(|c| c.id),
            Some(3)
        );
        assert_eq!(
            find(&comments, &m, &Identity::Login("alice".into())).map(|c| c.id),
            Some(1)
        );
        assert_eq!(find(&comments, &m, &Identity::Login("bob".into())), None);
        // An app's token: login `my-app[bot]` matches `my-app`.
        let app = vec![c(9, "my-app[bot]", &m)];
        assert!(find(&app, &m, &Identity::Login("my-app".into())).is_some());
    }
}
