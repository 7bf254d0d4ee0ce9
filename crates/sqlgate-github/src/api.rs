//! A small GitHub REST client on octocrab: the handful of calls sqlgate makes (who am
//! I, list/create/update issue comments, pull requests of a commit), with retries of
//! 5xx and network errors (exponential backoff), waits for rate limits (`retry-after`,
//! `x-ratelimit-reset`), and paging through `link: rel="next"`. The token goes into
//! the `Authorization` header only; it is never part of a message.

use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How hard to try, and for how long at most.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// Delay before the first retry; doubles after each.
    pub first_delay: Duration,
    /// Rate-limit waits of the whole run together; a wait beyond what is left fails
    /// the request.
    pub max_wait: Duration,
    /// One request, from sending to the last byte of the answer (a server that drips
    /// a byte at a time cannot hold it open longer).
    pub request_timeout: Duration,
    /// Everything the client does in a run (requests, backoff, waits).
    pub budget: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(500),
            max_wait: Duration::from_secs(120),
            request_timeout: Duration::from_secs(15),
            budget: Duration::from_secs(100),
        }
    }
}

/// The largest response body read (a page of 100 comments of 65,536 characters
/// each, JSON-escaped, stays below it).
pub const MAX_BODY: usize = 48 << 20;

/// Why a call failed, for messages and for deciding what to do next.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// GitHub answered with an error status.
    Status {
        status: u16,
        message: String,
        what: String,
    },
    /// No answer (connection refused, timeout, broken response).
    Network { message: String, what: String },
    /// Rate limited for longer than sqlgate is willing to wait.
    RateLimited { wait: Duration, what: String },
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A 5xx or network failure: the request may or may not have been carried out.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Status { status, .. } => *status >= 500,
            ApiError::Network { .. } => true,
            ApiError::RateLimited { .. } => false,
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Status {
                status,
                message,
                what,
            } => {
                let hint = match status {
                    401 => " (the token is invalid or expired)",
                    403 | 404 => " (the token may lack `pull-requests: write`, or this is a pull request from a fork, whose token is read-only)",
                    _ => "",
                };
                write!(f, "{what}: HTTP {status}: {message}{hint}")
            }
            ApiError::Network { message, what } => write!(f, "{what}: {message}"),
            ApiError::RateLimited { wait, what } => write!(
                f,
                "{what}: rate limited by GitHub for another {} s, longer than sqlgate waits",
                wait.as_secs()
            ),
        }
    }
}

/// A response as sqlgate needs it.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub body: String,
    link: Option<String>,
    retry_after: Option<String>,
    ratelimit_remaining: Option<String>,
    ratelimit_reset: Option<String>,
}

impl Response {
    fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    fn json(&self, what: &str) -> Result<Value, ApiError> {
        serde_json::from_str(&self.body).map_err(|e| ApiError::Network {
            message: format!("the response is not the JSON GitHub sends: {e}"),
            what: what.to_string(),
        })
    }

    fn error(&self, what: &str) -> ApiError {
        let message = serde_json::from_str::<Value>(&self.body)
            .ok()
            .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_else(|| {
                let t: String = self.body.chars().take(200).collect();
                if t.trim().is_empty() {
                    "(no message)".into()
                } else {
                    t.trim().to_string()
                }
            });
        ApiError::Status {
            status: self.status,
            message,
            what: what.to_string(),
        }
    }

    /// How long GitHub asks us to wait, when this is a rate-limit response.
    fn rate_limit_wait(&self, now: SystemTime) -> Option<Duration> {
        if self.status != 429 && self.status != 403 {
            return None;
        }
        if let Some(secs) = self
            .retry_after
            .as_deref()
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            return Some(Duration::from_secs(secs));
        }
        if self.ratelimit_remaining.as_deref().map(str::trim) == Some("0") {
            let reset = self
                .ratelimit_reset
                .as_deref()
                .and_then(|s| s.trim().parse::<u64>().ok())?;
            let now = now
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
        }
        let body = self.body.to_ascii_lowercase();
        if self.status == 429
            || body.contains("secondary rate limit")
            || body.contains("rate limit exceeded")
        {
            // GitHub: without headers, wait at least a minute.
            return Some(Duration::from_secs(60));
        }
        None
    }

    /// The path and query of the `rel="next"` link.
    fn next_link(&self) -> Option<String> {
        let link = self.link.as_deref()?;
        for part in link.split(',') {
            let mut pieces = part.split(';');
            let url = pieces
                .next()?
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>');
            if pieces.any(|p| p.trim().replace(' ', "") == "rel=\"next\"") {
                return Some(url.to_string());
            }
        }
        None
    }
}

/// A comment on an issue or pull request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    pub body: String,
    pub login: String,
    pub html_url: String,
}

/// A pull request associated with a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRef {
    pub number: u64,
    pub merged: bool,
    pub html_url: String,
}

/// The client. One per run: its time budget covers every call.
pub struct Api {
    client: octocrab::Octocrab,
    /// `host:port` of the API, to refuse following links elsewhere with the token.
    server: String,
    /// Path prefix of the API (`/api/v3` on GitHub Enterprise Server, else empty).
    base_path: String,
    policy: RetryPolicy,
    started: std::time::Instant,
    /// Rate-limit waits so far.
    waited: std::sync::Mutex<Duration>,
    /// Where notes for the log go (retries, waits): the binary's writer. This crate
    /// never prints.
    notes: Box<dyn Fn(&str) + Send + Sync>,
}

const PER_PAGE: usize = 100;
const MAX_PAGES: usize = 300;

impl Api {
    /// A client for `api_url` (e.g. `https://api.github.com`, `https://ghe/api/v3`).
    /// Must be called inside a tokio runtime.
    pub fn new(api_url: &str, token: &str, policy: RetryPolicy) -> Result<Api, String> {
        if token.is_empty() || !token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
            return Err(
                "the GitHub token contains spaces, line breaks or other characters a token never has: check the secret behind the `github-token` input".into(),
            );
        }
        let (origin, server, base_path) = split_url(api_url)
            .ok_or_else(|| format!("GITHUB_API_URL=`{api_url}` is not an http(s) URL"))?;
        let root = format!("{origin}{base_path}");
        let client = octocrab::Octocrab::builder()
            .base_uri(root.as_str())
            .map_err(|e| format!("GITHUB_API_URL=`{api_url}` is not usable: {e}"))?
            .personal_token(token.to_string())
            .add_header(
                http::header::ACCEPT,
                "application/vnd.github+json".to_string(),
            )
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .set_write_timeout(Some(Duration::from_secs(30)))
            .build()
            .map_err(|e| format!("cannot set up the GitHub client: {e}"))?;
        Ok(Api {
            client,
            server,
            base_path,
            policy,
            started: std::time::Instant::now(),
            waited: std::sync::Mutex::new(Duration::ZERO),
            notes: Box::new(|_| {}),
        })
    }

    /// Sends the client's notes for the log (a retry, a rate-limit wait) to `sink`.
    pub fn with_notes(mut self, sink: impl Fn(&str) + Send + Sync + 'static) -> Api {
        self.notes = Box::new(sink);
        self
    }

    /// A note for the log.
    pub fn note(&self, text: &str) {
        (self.notes)(text);
    }

    /// The full request path for an API route like `/repos/o/r/...`.
    fn route(&self, route: &str) -> String {
        format!("{}{route}", self.base_path)
    }

    /// What is left of the run's budget.
    fn remaining(&self) -> Duration {
        self.policy.budget.saturating_sub(self.started.elapsed())
    }

    async fn once(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, String> {
        let limit = self.policy.request_timeout.min(self.remaining());
        if limit.is_zero() {
            return Err(format!(
                "GitHub did not answer within the {} s sqlgate gives it per run",
                self.policy.budget.as_secs()
            ));
        }
        match tokio::time::timeout(limit, self.exchange(method, path, body)).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no complete answer within {} s",
                limit.as_secs_f64().ceil()
            )),
        }
    }

    async fn exchange(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Response, String> {
        let res = match method {
            "GET" => self.client._get(path).await,
            "POST" => self.client._post(path, body).await,
            "PATCH" => self.client._patch(path, body).await,
            "DELETE" => self.client._delete(path, body).await,
            other => return Err(format!("unsupported method {other}")),
        }
        .map_err(|e| describe_octocrab(&e))?;
        let header = |name: &str| {
            res.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let status = res.status().as_u16();
        let link = header("link");
        let retry_after = header("retry-after");
        let ratelimit_remaining = header("x-ratelimit-remaining");
        let ratelimit_reset = header("x-ratelimit-reset");
        use http_body_util::BodyExt;
        let bytes = http_body_util::Limited::new(res.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| {
                if e.is::<http_body_util::LengthLimitError>() {
                    format!("the answer is larger than {} MiB; not read", MAX_BODY >> 20)
                } else {
                    format!("the answer could not be read: {e}")
                }
            })?
            .to_bytes();
        let body = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Response {
            status,
            body,
            link,
            retry_after,
            ratelimit_remaining,
            ratelimit_reset,
        })
    }

    /// Sends a request; retries network errors and 5xx (when `retry_transient`) with
    /// backoff, and waits out rate limits. Returns the response of the last attempt,
    /// whatever its status, or the error.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        retry_transient: bool,
    ) -> Result<Response, ApiError> {
        self.send_tries(method, path, body, retry_transient, self.policy.attempts)
            .await
    }

    async fn send_tries(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        retry_transient: bool,
        attempts: u32,
    ) -> Result<Response, ApiError> {
        let what = format!("{method} {}", path.split('?').next().unwrap_or(path));
        let mut delay = self.policy.first_delay;
        let mut attempt = 1;
        loop {
            let last = attempt >= attempts;
            match self.once(method, path, body).await {
                Err(message) => {
                    if last || !retry_transient {
                        return Err(ApiError::Network { message, what });
                    }
                    self.note(&format!(
                        "sqlgate: GitHub API {what}: {message}; retrying in {} ms (attempt {}/{attempts})",
                        delay.as_millis(),
                        attempt + 1,
                    ));
                }
                Ok(res) => {
                    if let Some(wait) = res.rate_limit_wait(SystemTime::now()) {
                        let waited = self.waited.lock().map(|w| *w).unwrap_or_default();
                        let allowed = self
                            .policy
                            .max_wait
                            .saturating_sub(waited)
                            .min(self.remaining());
                        if wait > allowed {
                            return Err(ApiError::RateLimited { wait, what });
                        }
                        if let Ok(mut w) = self.waited.lock() {
                            *w += wait;
                        }
                        if last {
                            return Ok(res);
                        }
                        self.note(&format!(
                            "sqlgate: GitHub API {what}: rate limited (HTTP {}); waiting {} s as GitHub asks",
                            res.status,
                            wait.as_secs()
                        ));
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                        continue;
                    }
                    if res.status >= 500 && retry_transient && !last {
                        self.note(&format!(
                            "sqlgate: GitHub API {what}: HTTP {}; retrying in {} ms (attempt {}/{attempts})",
                            res.status,
                            delay.as_millis(),
                            attempt + 1,
                        ));
                    } else {
                        return Ok(res);
                    }
                }
            }
            tokio::time::sleep(delay.min(self.remaining())).await;
            delay = delay.saturating_mul(2);
            attempt += 1;
        }
    }

    /// Every item of a paged list, following `link: rel="next"` to the end (and, for
    /// servers that send no link header, asking for the next page while pages are full).
    pub async fn get_all(&self, route: &str) -> Result<Vec<Value>, ApiError> {
        let sep = if route.contains('?') { '&' } else { '?' };
        let first = self.route(&format!("{route}{sep}per_page={PER_PAGE}"));
        let what = format!("GET {}", self.route(route));
        let mut items: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut path = first.clone();
        for page in 1..=MAX_PAGES {
            let res = self.send("GET", &path, None, true).await?;
            if !res.ok() {
                return Err(res.error(&what));
            }
            let Value::Array(list) = res.json(&what)? else {
                return Err(ApiError::Network {
                    message: "expected a JSON array".into(),
                    what,
                });
            };
            let n = list.len();
            let mut new = 0;
            for item in list {
                let key = item.get("id").map(Value::to_string);
                if key.as_ref().is_none_or(|k| seen.insert(k.clone())) {
                    new += 1;
                    items.push(item);
                }
            }
            if n > 0 && new == 0 {
                break; // the server repeats itself: we have everything
            }
            match res.next_link() {
                Some(url) => match self.local_path(&url) {
                    Some(p) => path = p,
                    None => {
                        return Err(ApiError::Network {
                            message: format!(
                            "the next page is on another host ({url}); not sending the token there"
                        ),
                            what,
                        })
                    }
                },
                None if res.link.is_none() && n >= PER_PAGE => {
                    path = format!("{first}&page={}", page + 1);
                }
                None => break,
            }
        }
        Ok(items)
    }

    /// The path and query of an absolute API URL on our server.
    fn local_path(&self, link: &str) -> Option<String> {
        if link.starts_with('/') {
            return Some(link.to_string());
        }
        let url = url::Url::parse(link).ok()?;
        if !matches!(url.scheme(), "http" | "https") || server(&url)? != self.server {
            return None;
        }
        Some(match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        })
    }

    /// The login of the token's owner (`GET /user`); `None` when the token cannot say
    /// (the Actions `GITHUB_TOKEN` is an app installation token: 403) or GitHub does
    /// not answer this one call (two tries; the comment calls that follow have their own
    /// retries and report their own failures).
    pub async fn viewer(&self) -> Option<String> {
        let path = self.route("/user");
        let res = self.send_tries("GET", &path, None, true, 2).await.ok()?;
        if !res.ok() {
            return None;
        }
        let v: Value = serde_json::from_str(&res.body).ok()?;
        v.get("login").and_then(Value::as_str).map(str::to_string)
    }

    /// All comments of an issue or pull request.
    pub async fn list_comments(&self, repo: &str, number: u64) -> Result<Vec<Comment>, ApiError> {
        let items = self
            .get_all(&format!("/repos/{repo}/issues/{number}/comments"))
            .await?;
        Ok(items.iter().filter_map(comment).collect())
    }

    /// Writes a comment body with `method` to `route`; the answer is the comment.
    async fn write_comment(
        &self,
        method: &str,
        route: &str,
        body: &str,
        retry_transient: bool,
    ) -> Result<Comment, ApiError> {
        let path = self.route(route);
        let what = format!("{method} {path}");
        let payload = serde_json::json!({ "body": body });
        let res = self
            .send(method, &path, Some(&payload), retry_transient)
            .await?;
        if !res.ok() {
            return Err(res.error(&what));
        }
        comment(&res.json(&what)?).ok_or_else(|| ApiError::Network {
            message: "the answer is not a comment (no id)".into(),
            what,
        })
    }

    /// Creates a check run (`POST /repos/{repo}/check-runs`) and returns its id.
    /// Not retried on 5xx (a retry could make a second run).
    pub async fn create_check_run(&self, repo: &str, payload: &Value) -> Result<u64, ApiError> {
        let path = self.route(&format!("/repos/{repo}/check-runs"));
        let what = format!("POST {path}");
        let res = self.send("POST", &path, Some(payload), false).await?;
        if !res.ok() {
            return Err(res.error(&what));
        }
        res.json(&what)?
            .get("id")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::Network {
                message: "the answer is not a check run (no id)".into(),
                what,
            })
    }

    /// Adds to a check run (`PATCH /repos/{repo}/check-runs/{id}`): GitHub appends
    /// the annotations of each update.
    pub async fn update_check_run(
        &self,
        repo: &str,
        id: u64,
        payload: &Value,
    ) -> Result<(), ApiError> {
        let route = format!("/repos/{repo}/check-runs/{id}");
        self.send_ok("PATCH", &route, Some(payload), true).await
    }

    /// Sends `body` with `method` to `route` (below the API's base path); any answer
    /// but a success is the error, named by the method and path.
    pub(crate) async fn send_ok(
        &self,
        method: &str,
        route: &str,
        body: Option<&Value>,
        retry_transient: bool,
    ) -> Result<(), ApiError> {
        let path = self.route(route);
        let res = self.send(method, &path, body, retry_transient).await?;
        if !res.ok() {
            return Err(res.error(&format!("{method} {path}")));
        }
        Ok(())
    }

    /// Creates a comment. Not retried on 5xx: the caller checks whether it landed.
    pub async fn create_comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> Result<Comment, ApiError> {
        let route = format!("/repos/{repo}/issues/{number}/comments");
        self.write_comment("POST", &route, body, false).await
    }

    /// Replaces a comment's body (`PATCH`, as documented).
    pub async fn update_comment(
        &self,
        repo: &str,
        id: u64,
        body: &str,
    ) -> Result<Comment, ApiError> {
        let route = format!("/repos/{repo}/issues/comments/{id}");
        self.write_comment("PATCH", &route, body, true).await
    }

    /// Deletes a comment (a duplicate left by a concurrent run).
    pub async fn delete_comment(&self, repo: &str, id: u64) -> Result<(), ApiError> {
        let path = self.route(&format!("/repos/{repo}/issues/comments/{id}"));
        let res = self.send("DELETE", &path, None, true).await?;
        if res.ok() || res.status == 404 {
            return Ok(());
        }
        Err(res.error(&format!("DELETE {path}")))
    }

    /// The numbers of the repository's open pull requests.
    pub async fn open_pulls(&self, repo: &str) -> Result<Vec<u64>, ApiError> {
        let items = self
            .get_all(&format!("/repos/{repo}/pulls?state=open"))
            .await?;
        Ok(items
            .iter()
            .filter_map(|p| p.get("number")?.as_u64())
            .collect())
    }

    /// The pull requests a commit belongs to (merged ones for commits on the default
    /// branch, open ones otherwise).
    pub async fn pulls_for_commit(&self, repo: &str, sha: &str) -> Result<Vec<PullRef>, ApiError> {
        let items = self
            .get_all(&format!("/repos/{repo}/commits/{sha}/pulls"))
            .await?;
        Ok(items
            .iter()
            .filter_map(|p| {
                Some(PullRef {
                    number: p.get("number")?.as_u64()?,
                    merged: p.get("merged_at").is_some_and(|m| !m.is_null()),
                    html_url: p
                        .get("html_url")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                })
            })
            .collect())
    }
}

/// The login of whoever wrote a comment or review comment (`user.login`), or empty.
pub(crate) fn author(v: &Value) -> String {
    v.get("user")
        .and_then(|u| u.get("login"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn comment(v: &Value) -> Option<Comment> {
    Some(Comment {
        id: v.get("id")?.as_u64()?,
        body: v
            .get("body")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        login: author(v),
        html_url: v
            .get("html_url")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// `host:port` of an http(s) URL, lower-cased, with loopback names made one
/// (`localhost`, `127.0.0.1`, `[::1]`), for comparing servers.
fn server(url: &url::Url) -> Option<String> {
    let host = match url.host()? {
        url::Host::Domain(d) if d.eq_ignore_ascii_case("localhost") => "loopback".to_string(),
        url::Host::Ipv4(ip) if ip.is_loopback() => "loopback".to_string(),
        url::Host::Ipv6(ip) if ip.is_loopback() => "loopback".to_string(),
        h => h.to_string().to_ascii_lowercase(),
    };
    Some(format!("{host}:{}", url.port_or_known_default()?))
}

/// An http(s) API root without credentials: (`scheme://authority` to send requests
/// to, the server for comparing links, the path prefix without a trailing slash).
fn split_url(api_url: &str) -> Option<(String, String, String)> {
    let url = url::Url::parse(api_url).ok()?;
    if !matches!(url.scheme(), "http" | "https")
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    Some((
        origin,
        server(&url)?,
        url.path().trim_end_matches('/').to_string(),
    ))
}

/// A one-line description of a transport error, without the request's headers.
fn describe_octocrab(e: &octocrab::Error) -> String {
    use std::error::Error as _;
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16) -> Response {
        Response {
            status,
            body: String::new(),
            link: None,
            retry_after: None,
            ratelimit_remaining: None,
            ratelimit_reset: None,
        }
    }

    #[test]
    fn urls_split_with_enterprise_prefix() {
        assert_eq!(
            split_url("https://ghe.example.com/api/v3/").unwrap(),
            (
                "https://ghe.example.com".into(),
                "ghe.example.com:443".into(),
                "/api/v3".into()
            )
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080").unwrap(),
            (
                "http://127.0.0.1:8080".into(),
                "loopback:8080".into(),
                String::new()
            )
        );
        assert!(split_url("ftp://x").is_none());
        assert!(split_url("https://user:pw@host").is_none());
    }

    #[test]
    fn hosts_compare_with_loopback_aliases() {
        let s = |u: &str| url::Url::parse(u).ok().and_then(|u| server(&u));
        assert_eq!(s("http://127.0.0.1:8080/x"), s("http://localhost:8080"));
        assert_eq!(
            s("https://API.github.com"),
            s("https://api.github.com:443/")
        );
        assert_ne!(s("http://127.0.0.1:8080"), s("http://127.0.0.1:8081"));
        assert_ne!(s("https://evil.example.com"), s("https://api.github.com"));
    }

    #[test]
    fn next_link_is_found_among_others() {
        let mut r = response(200);
        r.link = Some(
            "<https://api.github.com/repositories/1/issues/2/comments?page=1>; rel=\"prev\", <https://api.github.com/repositories/1/issues/2/comments?page=3>; rel=\"next\", <https://api.github.com/x?page=5>; rel=\"last\"".into(),
        );
        assert_eq!(
            r.next_link().unwrap(),
            "https://api.github.com/repositories/1/issues/2/comments?page=3"
        );
        r.link = Some("<https://api.github.com/x?page=1>; rel=\"first\"".into());
        assert_eq!(r.next_link(), None);
    }

    #[test]
    fn rate_limit_waits() {
        let now = UNIX_EPOCH + Duration::from_secs(1000);
        let mut r = response(403);
        assert_eq!(
            r.rate_limit_wait(now),
            None,
            "a plain 403 is a permission problem"
        );
        r.retry_after = Some("7".into());
        assert_eq!(r.rate_limit_wait(now), Some(Duration::from_secs(7)));
        let mut r = response(403);
        r.ratelimit_remaining = Some("0".into());
        r.ratelimit_reset = Some("1030".into());
        assert_eq!(r.rate_limit_wait(now), Some(Duration::from_secs(30)));
        let r = response(429);
        assert_eq!(r.rate_limit_wait(now), Some(Duration::from_secs(60)));
        let r = response(502);
        assert_eq!(r.rate_limit_wait(now), None);
    }
}
