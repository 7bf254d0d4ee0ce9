//! A fake GitHub REST API over real HTTP, stateful like the real one for the calls
//! sqlgate makes: `GET /user`, issue comments (list with `per_page`/`page` and `link`
//! headers, create, update with PATCH), pull-request reviews and review comments
//! (post a review with comments, list, update), check runs, and
//! `GET /repos/{o}/{r}/commits/{sha}/pulls`.
//! Everything is served under an optional path prefix (GitHub Enterprise Server's
//! `/api/v3`). Faults (5xx, rate limits, read-only tokens) can be injected, and every
//! request is recorded for assertions.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query as received.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }
}

/// An injected response: the next `times` requests matching `method` and a path
/// ending with `path_suffix` get `status` with `headers` and `body`.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: &'static str,
    pub path_suffix: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub times: usize,
}

#[derive(Debug, Clone)]
pub struct StoredComment {
    pub id: u64,
    pub issue: u64,
    pub login: String,
    pub body: String,
}

/// A pull-request review comment (`POST …/pulls/{n}/reviews` creates them).
#[derive(Debug, Clone)]
pub struct StoredReviewComment {
    pub id: u64,
    pub pull: u64,
    pub login: String,
    pub path: String,
    pub line: u64,
    pub start_line: Option<u64>,
    pub commit: String,
    pub body: String,
}

#[derive(Default)]
struct State {
    comments: Vec<StoredComment>,
    review_comments: Vec<StoredReviewComment>,
    /// Reviews posted: (pull request, number of comments).
    reviews: Vec<(u64, usize)>,
    next_id: u64,
    /// `GET /user` answer: `Some(login)` or 403 like the Actions token.
    viewer: Option<String>,
    /// Login used for comments written through the API.
    author: String,
    /// Writes answer 403 "Resource not accessible by integration" (fork token).
    read_only: bool,
    /// sha → pull requests (JSON array).
    pulls: Vec<(String, Value)>,
    /// The open pull requests' numbers (`GET /repos/{o}/{r}/pulls?state=open`).
    open: Vec<u64>,
    /// Check runs: (id, the creating payload, annotations from every request, requests).
    check_runs: Vec<StoredCheckRun>,
    /// Check-run writes answer 403 (a token without `checks: write`).
    checks_forbidden: bool,
    faults: Vec<Fault>,
    requests: Vec<Request>,
    /// Comment listings are held until this many have arrived (a barrier).
    list_barrier: usize,
    /// Answers are sent one byte at a time, this long apart (a server that drips).
    drip: Option<std::time::Duration>,
    lists_arrived: usize,
}

/// A check run as created and updated through the API.
#[derive(Debug, Clone)]
pub struct StoredCheckRun {
    pub id: u64,
    pub created: Value,
    pub annotations: Vec<Value>,
    pub requests: usize,
}

/// The fake server; stops when dropped (the listener thread is detached).
pub struct FakeGitHub {
    pub port: u16,
    pub prefix: String,
    state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    /// Starts a server whose API lives under `prefix` (`""` or `/api/v3`).
    pub fn start(prefix: &str) -> FakeGitHub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(Mutex::new(State {
            next_id: 1000,
            author: "github-actions[bot]".into(),
            ..State::default()
        }));
        let s = Arc::clone(&state);
        let p = prefix.to_string();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = Arc::clone(&s);
                let p = p.clone();
                std::thread::spawn(move || {
                    let _ = serve(stream, &s, &p, port);
                });
            }
        });
        FakeGitHub {
            port,
            prefix: prefix.to_string(),
            state,
        }
    }

    /// The value for `GITHUB_API_URL`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}{}", self.port, self.prefix)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let mut g = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }

    pub fn set_viewer(&self, login: Option<&str>) {
        self.with(|s| s.viewer = login.map(str::to_string));
    }
    pub fn set_author(&self, login: &str) {
        self.with(|s| s.author = login.to_string());
    }
    pub fn set_read_only(&self, ro: bool) {
        self.with(|s| s.read_only = ro);
    }
    pub fn add_comment(&self, issue: u64, login: &str, body: &str) -> u64 {
        self.with(|s| {
            s.next_id += 1;
            let id = s.next_id;
            s.comments.push(StoredComment {
                id,
                issue,
                login: login.into(),
                body: body.into(),
            });
            id
        })
    }
    pub fn check_runs(&self) -> Vec<StoredCheckRun> {
        self.with(|s| s.check_runs.clone())
    }

    pub fn forbid_checks(&self) {
        self.with(|s| s.checks_forbidden = true);
    }

    pub fn set_open(&self, numbers: &[u64]) {
        self.with(|s| s.open = numbers.to_vec());
    }

    pub fn set_pulls(&self, sha: &str, pulls: Value) {
        self.with(|s| s.pulls.push((sha.to_string(), pulls)));
    }
    /// Holds the first `n` comment listings until all `n` have arrived (up to 30 s),
    /// so `n` concurrent runs all list before any of them posts.
    pub fn barrier_on_lists(&self, n: usize) {
        self.with(|s| {
            s.list_barrier = n;
            s.lists_arrived = 0;
        });
    }
    /// From now on every answer trickles out one byte per `every`.
    pub fn drip(&self, every: std::time::Duration) {
        self.with(|s| s.drip = Some(every));
    }
    pub fn fault(&self, f: Fault) {
        self.with(|s| s.faults.push(f));
    }
    pub fn review_comments(&self, pull: u64) -> Vec<StoredReviewComment> {
        let s = self.state.lock().unwrap();
        s.review_comments
            .iter()
            .filter(|c| c.pull == pull)
            .cloned()
            .collect()
    }

    pub fn reviews(&self) -> Vec<(u64, usize)> {
        self.state.lock().unwrap().reviews.clone()
    }

    pub fn comments(&self, issue: u64) -> Vec<StoredComment> {
        self.with(|s| {
            s.comments
                .iter()
                .filter(|c| c.issue == issue)
                .cloned()
                .collect()
        })
    }
    pub fn requests(&self) -> Vec<Request> {
        self.with(|s| s.requests.clone())
    }
    /// Requests with this method whose path ends with `suffix`.
    pub fn count(&self, method: &str, suffix: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method && r.path().ends_with(suffix))
            .count()
    }
}

fn comment_json(c: &StoredComment, port: u16) -> Value {
    json!({
        "id": c.id,
        "node_id": format!("IC_{}", c.id),
        "url": format!("http://127.0.0.1:{port}/repos/o/r/issues/comments/{}", c.id),
        "html_url": format!("https://github.com/o/r/pull/{}#issuecomment-{}", c.issue, c.id),
        "body": c.body,
        "user": {
            "login": c.login,
            "id": 41898282,
            "type": if c.login.ends_with("[bot]") { "Bot" } else { "User" },
        },
        "author_association": "NONE",
        "created_at": "2026-11-22T00:00:00Z",
        "updated_at": "2026-11-22T00:00:00Z",
    })
}

fn query_param(target: &str, key: &str) -> Option<usize> {
    let q = target.split_once('?')?.1;
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v.parse().ok())
}

fn serve(
    stream: TcpStream,
    state: &Arc<Mutex<State>>,
    prefix: &str,
    port: u16,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let req = Request {
        method,
        target,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let (status, extra, text) = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        s.requests.push(req.clone());
        respond(&mut s, &req, prefix, port)
    };
    // Answered as of arrival; held back until the barrier opens.
    let held = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        let listing = req.method == "GET" && req.path().ends_with("/comments");
        if listing && s.lists_arrived < s.list_barrier {
            s.lists_arrived += 1;
            true
        } else {
            false
        }
    };
    if held {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while std::time::Instant::now() < until {
            {
                let s = state.lock().unwrap_or_else(|e| e.into_inner());
                if s.lists_arrived >= s.list_barrier {
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
    let reason = match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        _ => "Status",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n",
        text.len()
    );
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&text);
    let mut w = stream;
    let drip = state.lock().unwrap_or_else(|e| e.into_inner()).drip;
    if let Some(every) = drip {
        for b in out.as_bytes() {
            w.write_all(&[*b])?;
            w.flush()?;
            std::thread::sleep(every);
        }
        return Ok(());
    }
    w.write_all(out.as_bytes())?;
    w.flush()
}

/// A response: status, extra headers, body.
type Answer = (u16, Vec<(String, String)>, String);

/// The `body` of a comment write, or GitHub's 422 answer (missing, or too long).
fn comment_text(req: &Request) -> Result<String, Answer> {
    let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    let Some(text) = body.get("body").and_then(Value::as_str) else {
        return Err((
            422,
            vec![],
            json!({"message": "Invalid request: body is missing"}).to_string(),
        ));
    };
    if text.chars().count() > 65_536 {
        return Err((
            422,
            vec![],
            json!({"message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "custom", "field": "body", "message": "body is too long (maximum is 65536 characters)"}]}).to_string(),
        ));
    }
    Ok(text.to_string())
}

fn not_found() -> Answer {
    (
        404,
        vec![],
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})
            .to_string(),
    )
}

fn respond(s: &mut State, req: &Request, prefix: &str, port: u16) -> Answer {
    let full = req.path().to_string();
    if let Some(i) = s
        .faults
        .iter()
        .position(|f| f.method == req.method && full.ends_with(&f.path_suffix) && f.times > 0)
    {
        s.faults[i].times -= 1;
        let f = s.faults[i].clone();
        return (f.status, f.headers, f.body);
    }
    if !req
        .header("authorization")
        .is_some_and(|a| a.starts_with("Bearer ") || a.starts_with("token "))
    {
        return (
            401,
            vec![],
            json!({"message": "Requires authentication"}).to_string(),
        );
    }
    let Some(path) = full.strip_prefix(prefix) else {
        return not_found();
    };
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let forbidden = || {
        (
            403,
            vec![],
            json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment", "status": "403"}).to_string(),
        )
    };
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["user"]) => match &s.viewer {
            Some(login) => (
                200,
                vec![],
                json!({"login": login, "id": 1, "type": "User"}).to_string(),
            ),
            None => forbidden(),
        },
        ("GET", ["repos", _, _, "issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let per_page = query_param(&req.target, "per_page")
                .unwrap_or(30)
                .clamp(1, 100);
            let page = query_param(&req.target, "page").unwrap_or(1).max(1);
            let all: Vec<&StoredComment> = s.comments.iter().filter(|c| c.issue == n).collect();
            let pages = all.len().div_ceil(per_page).max(1);
            let items: Vec<Value> = all
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|c| comment_json(c, port))
                .collect();
            let mut links = Vec::new();
            let base = format!("http://127.0.0.1:{port}{full}");
            if page < pages {
                links.push(format!(
                    "<{base}?per_page={per_page}&page={}>; rel=\"next\"",
                    page + 1
                ));
                links.push(format!(
                    "<{base}?per_page={per_page}&page={pages}>; rel=\"last\""
                ));
            }
            if page > 1 {
                links.push(format!(
                    "<{base}?per_page={per_page}&page={}>; rel=\"prev\"",
                    page - 1
                ));
                links.push(format!(
                    "<{base}?per_page={per_page}&page=1>; rel=\"first\""
                ));
            }
            let extra = if links.is_empty() {
                vec![]
            } else {
                vec![("Link".to_string(), links.join(", "))]
            };
            (200, extra, Value::Array(items).to_string())
        }
        ("POST", ["repos", _, _, "issues", n, "comments"]) => {
            if s.read_only {
                return forbidden();
            }
            let text = match comment_text(req) {
                Ok(t) => t,
                Err(answer) => return answer,
            };
            s.next_id += 1;
            let c = StoredComment {
                id: s.next_id,
                issue: n.parse().unwrap_or(0),
                login: s.author.clone(),
                body: text,
            };
            let v = comment_json(&c, port);
            s.comments.push(c);
            (201, vec![], v.to_string())
        }
        ("PATCH", ["repos", _, _, "issues", "comments", id]) => {
            if s.read_only {
                return forbidden();
            }
            let id: u64 = id.parse().unwrap_or(0);
            let text = match comment_text(req) {
                Ok(t) => t,
                Err(answer) => return answer,
            };
            let author = s.author.clone();
            match s.comments.iter_mut().find(|c| c.id == id) {
                Some(c) if c.login == author => {
                    c.body = text;
                    let v = comment_json(c, port);
                    (200, vec![], v.to_string())
                }
                Some(_) => forbidden(),
                None => not_found(),
            }
        }
        ("DELETE", ["repos", _, _, "issues", "comments", id]) => {
            if s.read_only {
                return forbidden();
            }
            let id: u64 = id.parse().unwrap_or(0);
            let before = s.comments.len();
            s.comments.retain(|c| c.id != id);
            if s.comments.len() == before {
                not_found()
            } else {
                (204, vec![], String::new())
            }
        }
        ("POST", ["repos", _, _, "check-runs"]) => {
            if s.read_only || s.checks_forbidden {
                return forbidden();
            }
            let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
            let n = body["output"]["annotations"].as_array().map_or(0, Vec::len);
            if n > 50
                || body["head_sha"].as_str().is_none_or(str::is_empty)
                || body["name"].as_str().is_none()
            {
                return (
                    422,
                    vec![],
                    json!({"message": "Validation Failed"}).to_string(),
                );
            }
            s.next_id += 1;
            let id = s.next_id;
            s.check_runs.push(StoredCheckRun {
                id,
                annotations: body["output"]["annotations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
                created: body,
                requests: 1,
            });
            (201, vec![], json!({"id": id}).to_string())
        }
        ("PATCH", ["repos", _, _, "check-runs", id]) => {
            if s.read_only || s.checks_forbidden {
                return forbidden();
            }
            let id: u64 = id.parse().unwrap_or(0);
            let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
            let more = body["output"]["annotations"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if more.len() > 50
                || body["output"]["title"].as_str().is_none()
                || body["output"]["summary"].as_str().is_none()
            {
                return (
                    422,
                    vec![],
                    json!({"message": "Validation Failed"}).to_string(),
                );
            }
            match s.check_runs.iter_mut().find(|c| c.id == id) {
                Some(c) => {
                    c.annotations.extend(more);
                    c.requests += 1;
                    (200, vec![], json!({"id": id}).to_string())
                }
                None => not_found(),
            }
        }
        ("GET", ["repos", _, _, "pulls", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let page = query_param(&req.target, "page").unwrap_or(1).max(1);
            let items: Vec<Value> = if page > 1 {
                Vec::new()
            } else {
                s.review_comments
                    .iter()
                    .filter(|c| c.pull == n)
                    .map(|c| json!({"id": c.id, "body": c.body, "path": c.path, "line": c.line, "commit_id": c.commit, "user": {"login": c.login}}))
                    .collect()
            };
            (200, vec![], Value::Array(items).to_string())
        }
        ("POST", ["repos", _, _, "pulls", n, "reviews"]) => {
            if s.read_only {
                return forbidden();
            }
            let n: u64 = n.parse().unwrap_or(0);
            let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
            let comments = body["comments"].as_array().cloned().unwrap_or_default();
            let valid = body["commit_id"].as_str().is_some_and(|c| c.len() == 40)
                && body["event"] == "COMMENT"
                && comments.iter().all(|c| {
                    c["path"].as_str().is_some()
                        && c["line"].as_u64().is_some()
                        && c["body"].as_str().is_some()
                        && c["side"] == "RIGHT"
                        && c["start_line"]
                            .as_u64()
                            .is_none_or(|st| Some(st) < c["line"].as_u64())
                });
            if !valid {
                return (
                    422,
                    vec![],
                    json!({"message": "Validation Failed"}).to_string(),
                );
            }
            for c in &comments {
                s.next_id += 1;
                let stored = StoredReviewComment {
                    id: s.next_id,
                    pull: n,
                    login: s.author.clone(),
                    path: c["path"].as_str().unwrap_or_default().to_string(),
                    line: c["line"].as_u64().unwrap_or(0),
                    start_line: c["start_line"].as_u64(),
                    commit: body["commit_id"].as_str().unwrap_or_default().to_string(),
                    body: c["body"].as_str().unwrap_or_default().to_string(),
                };
                s.review_comments.push(stored);
            }
            s.reviews.push((n, comments.len()));
            s.next_id += 1;
            (
                200,
                vec![],
                json!({"id": s.next_id, "state": "COMMENTED"}).to_string(),
            )
        }
        ("PATCH", ["repos", _, _, "pulls", "comments", id]) => {
            if s.read_only {
                return forbidden();
            }
            let id: u64 = id.parse().unwrap_or(0);
            let text = match comment_text(req) {
                Ok(t) => t,
                Err(answer) => return answer,
            };
            let author = s.author.clone();
            match s.review_comments.iter_mut().find(|c| c.id == id) {
                Some(c) if c.login == author => {
                    c.body = text;
                    (200, vec![], json!({"id": id, "body": c.body}).to_string())
                }
                Some(_) => forbidden(),
                None => not_found(),
            }
        }
        ("GET", ["repos", _, _, "pulls"]) => {
            let list: Vec<Value> = s
                .open
                .iter()
                .map(|n| json!({"number": n, "state": "open"}))
                .collect();
            (200, vec![], Value::Array(list).to_string())
        }
        ("GET", ["repos", _, _, "commits", sha, "pulls"]) => {
            let v = s
                .pulls
                .iter()
                .find(|(k, _)| k == sha)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| json!([]));
            (200, vec![], v.to_string())
        }
        _ => not_found(),
    }
}
