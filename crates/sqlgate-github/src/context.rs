//! The GitHub Actions environment of a run: which event, which repository, which pull
//! request, where the API is, where to write the summary and outputs. Built from a map
//! of variables and the event payload's text, so it is testable without a runner.

use serde_json::Value;
use sqlgate_core::Error;
use std::collections::HashMap;
use std::path::PathBuf;

/// The pull request a `pull_request` event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub base_sha: String,
    pub base_ref: String,
    pub head_sha: String,
    /// `owner/name` of the head repository; `None` when the fork was deleted.
    pub head_repo: Option<String>,
    pub base_repo: String,
    pub html_url: Option<String>,
    /// The event's `action`: `opened`, `synchronize`, `reopened`, `closed`, …
    pub action: String,
}

impl PullRequest {
    /// True when the pull request's code comes from another repository (a fork).
    pub fn is_fork(&self) -> bool {
        match &self.head_repo {
            Some(head) => !head.eq_ignore_ascii_case(&self.base_repo),
            None => true,
        }
    }
}

/// What the event asks sqlgate to look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `pull_request` or `pull_request_target`.
    PullRequest { name: String, pr: PullRequest },
    /// `push`: the ref and the commits pushed (`after` first).
    Push {
        git_ref: String,
        before: Option<String>,
        after: String,
        commits: Vec<String>,
    },
    /// `workflow_dispatch`.
    Dispatch { git_ref: Option<String> },
    /// Anything else (`schedule`, `merge_group`, …).
    Other { name: String },
}

impl Event {
    pub fn name(&self) -> &str {
        match self {
            Event::PullRequest { name, .. } | Event::Other { name } => name,
            Event::Push { .. } => "push",
            Event::Dispatch { .. } => "workflow_dispatch",
        }
    }
}

/// Everything read from the Actions environment.
#[derive(Debug, Clone)]
pub struct Context {
    pub event: Event,
    /// `owner/name`.
    pub repository: String,
    /// REST API root without a trailing slash (GHES: `https://host/api/v3`).
    pub api_url: String,
    pub server_url: String,
    pub run_id: Option<String>,
    /// The commit the workflow runs on (`GITHUB_SHA`).
    pub sha: Option<String>,
    pub token: Option<String>,
    pub step_summary: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub workspace: Option<PathBuf>,
    pub runner_temp: Option<PathBuf>,
}

impl Context {
    /// Reads the context from the process environment's variables (`vars`, read by
    /// the binary's configuration layer) and the event payload they point at.
    pub fn from_env(vars: HashMap<String, String>) -> Result<Context, Error> {
        let payload = match vars.get("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()) {
            Some(p) => Some(std::fs::read_to_string(p).map_err(|e| {
                Error::Usage(format!(
                    "cannot read the event payload GITHUB_EVENT_PATH=`{p}`: {e}"
                ))
            })?),
            None => None,
        };
        Context::from_vars(&vars, payload.as_deref())
    }

    /// Builds the context from variables and the event payload's text.
    pub fn from_vars(
        vars: &HashMap<String, String>,
        payload: Option<&str>,
    ) -> Result<Context, Error> {
        let get = |k: &str| vars.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let Some(event_name) = get("GITHUB_EVENT_NAME") else {
            return Err(Error::Usage(
                "`sqlgate ci` runs inside GitHub Actions: GITHUB_EVENT_NAME is not set. \
                 Outside Actions use `sqlgate check` or `sqlgate apply`."
                    .into(),
            ));
        };
        let json: Value = match payload {
            Some(text) => serde_json::from_str(text).map_err(|e| {
                Error::Usage(format!(
                    "the event payload (GITHUB_EVENT_PATH) is not valid JSON: {e}"
                ))
            })?,
            None => Value::Null,
        };
        let repository = get("GITHUB_REPOSITORY")
            .map(str::to_string)
            .or_else(|| str_at(&json, &["repository", "full_name"]))
            .ok_or_else(|| {
                Error::Usage(
                    "GITHUB_REPOSITORY is not set and the payload names no repository".into(),
                )
            })?;
        if !repository.contains('/') {
            return Err(Error::Usage(format!(
                "GITHUB_REPOSITORY=`{repository}` is not `owner/name`"
            )));
        }
        let event = parse_event(event_name, &json)?;
        let token = get("SQLGATE_GITHUB_TOKEN")
            .or_else(|| get("GITHUB_TOKEN"))
            .or_else(|| get("INPUT_GITHUB-TOKEN"))
            .map(str::to_string);
        Ok(Context {
            event,
            repository,
            api_url: get("GITHUB_API_URL")
                .unwrap_or("https://api.github.com")
                .trim_end_matches('/')
                .to_string(),
            server_url: get("GITHUB_SERVER_URL")
                .unwrap_or("https://github.com")
                .trim_end_matches('/')
                .to_string(),
            run_id: get("GITHUB_RUN_ID").map(str::to_string),
            sha: get("GITHUB_SHA").map(str::to_string),
            token,
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: get("GITHUB_OUTPUT").map(PathBuf::from),
            workspace: get("GITHUB_WORKSPACE").map(PathBuf::from),
            runner_temp: get("RUNNER_TEMP").map(PathBuf::from),
        })
    }

    /// The link to this workflow run, when the run id is known.
    pub fn run_url(&self) -> Option<String> {
        self.run_id
            .as_ref()
            .map(|id| format!("{}/{}/actions/runs/{id}", self.server_url, self.repository))
    }

    /// `(owner, name)`.
    pub fn owner_repo(&self) -> (&str, &str) {
        self.repository
            .split_once('/')
            .unwrap_or((self.repository.as_str(), ""))
    }
}

fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(p)?;
    }
    cur.as_str().map(str::to_string)
}

fn parse_event(name: &str, json: &Value) -> Result<Event, Error> {
    match name {
        "pull_request" | "pull_request_target" => {
            let pr = json.get("pull_request").ok_or_else(|| {
                Error::Usage(format!(
                    "the `{name}` event payload has no `pull_request` object (GITHUB_EVENT_PATH)"
                ))
            })?;
            let number = pr
                .get("number")
                .and_then(Value::as_u64)
                .or_else(|| json.get("number").and_then(Value::as_u64))
                .ok_or_else(|| {
                    Error::Usage("the pull request in the event payload has no number".into())
                })?;
            let need = |path: &[&str]| {
                str_at(pr, path).ok_or_else(|| {
                    Error::Usage(format!(
                        "the pull request in the event payload has no `pull_request.{}`",
                        path.join(".")
                    ))
                })
            };
            let base_repo = str_at(pr, &["base", "repo", "full_name"])
                .or_else(|| str_at(json, &["repository", "full_name"]))
                .unwrap_or_default();
            Ok(Event::PullRequest {
                name: name.to_string(),
                pr: PullRequest {
                    number,
                    base_sha: need(&["base", "sha"])?,
                    base_ref: str_at(pr, &["base", "ref"]).unwrap_or_default(),
                    head_sha: need(&["head", "sha"])?,
                    head_repo: str_at(pr, &["head", "repo", "full_name"]),
                    base_repo,
                    html_url: str_at(pr, &["html_url"]),
                    action: str_at(json, &["action"]).unwrap_or_default(),
                },
            })
        }
        "push" => {
            let after = str_at(json, &["after"]).ok_or_else(|| {
                Error::Usage("the `push` event payload has no `after` commit".into())
            })?;
            let before = str_at(json, &["before"]).filter(|b| b.bytes().any(|c| c != b'0'));
            let mut commits = vec![after.clone()];
            if let Some(list) = json.get("commits").and_then(Value::as_array) {
                for c in list.iter().rev() {
                    if let Some(id) = c.get("id").and_then(Value::as_str) {
                        if !commits.iter().any(|x| x == id) {
                            commits.push(id.to_string());
                        }
                    }
                }
            }
            Ok(Event::Push {
                git_ref: str_at(json, &["ref"]).unwrap_or_default(),
                before,
                after,
                commits,
            })
        }
        "workflow_dispatch" => Ok(Event::Dispatch {
            git_ref: str_at(json, &["ref"]),
        }),
        other => Ok(Event::Other {
            name: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn pull_request_payload() {
        let payload = r#"{"number": 7, "pull_request": {"number": 7, "html_url": "https://github.com/o/r/pull/7",
            "base": {"ref": "main", "sha": "aaa", "repo": {"full_name": "o/r"}},
            "head": {"ref": "feature", "sha": "bbb", "repo": {"full_name": "someone/r"}}}}"#;
        let c = Context::from_vars(
            &vars(&[
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_REPOSITORY", "o/r"),
                ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
                ("GITHUB_RUN_ID", "42"),
            ]),
            Some(payload),
        )
        .unwrap();
        assert_eq!(c.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(
            c.run_url().unwrap(),
            "https://github.com/o/r/actions/runs/42"
        );
        match c.event {
            Event::PullRequest { pr, .. } => {
                assert_eq!(pr.number, 7);
                assert_eq!(pr.base_sha, "aaa");
                assert!(pr.is_fork());
            }
            e => panic!("{e:?}"),
        }
    }

    #[test]
    fn push_payload_lists_commits_newest_first() {
        let payload = r#"{"ref": "refs/heads/main", "before": "0000000000000000000000000000000000000000", "after": "c3",
            "commits": [{"id": "c1"}, {"id": "c2"}, {"id": "c3"}]}"#;
        let c = Context::from_vars(
            &vars(&[("GITHUB_EVENT_NAME", "push"), ("GITHUB_REPOSITORY", "o/r")]),
            Some(payload),
        )
        .unwrap();
        assert_eq!(
            c.event,
            Event::Push {
                git_ref: "refs/heads/main".into(),
                before: None,
                after: "c3".into(),
                commits: vec!["c3".into(), "c2".into(), "c1".into()],
            }
        );
    }

    /// The recorded real payloads (../shared/fixtures/github), when present.
    #[test]
    fn real_payloads_parse() {
        // The workspace sits beside shared/ (crates/sqlgate-github → ../../../shared).
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/github");
        assert!(
            dir.is_dir(),
            "the recorded payloads {} are absent: the test cannot run without them",
            dir.display()
        );
        let load = |event: &str, file: &str| {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            Context::from_vars(&vars(&[("GITHUB_EVENT_NAME", event)]), Some(&text)).unwrap()
        };
        for (file, number) in [
            ("pull_request_opened_webhook_event.json", 2),
            ("pull_request_synchronize_webhook_event.json", 5),
            ("pull_request_closed_webhook_event.json", 2),
        ] {
            let c = load("pull_request", file);
            assert_eq!(c.repository, "gagbo/ouro-closures", "from the payload");
            match c.event {
                Event::PullRequest { pr, .. } => {
                    assert_eq!(pr.number, number, "{file}");
                    assert_eq!(pr.base_sha, "ea6cd405a443e34aca1f57485ee151fb15a34729");
                    assert!(!pr.is_fork(), "{file}");
                }
                e => panic!("{file}: {e:?}"),
            }
        }
        match load("push", "push_webhook_event.json").event {
            Event::Push {
                git_ref,
                before,
                after,
                commits,
            } => {
                assert_eq!(git_ref, "refs/tags/v0.2.1");
                assert_eq!(before, None, "all zeros: a new ref");
                assert_eq!(commits, vec![after]);
            }
            e => panic!("{e:?}"),
        }
        assert!(matches!(
            load("issue_comment", "issue_comment_created_webhook_event.json").event,
            Event::Other { .. }
        ));
    }

    #[test]
    fn missing_pieces_are_clear_errors() {
        let e = Context::from_vars(&vars(&[]), None).unwrap_err();
        assert!(e.to_string().contains("GITHUB_EVENT_NAME"));
        let e = Context::from_vars(
            &vars(&[
                ("GITHUB_EVENT_NAME", "pull_request"),
                ("GITHUB_REPOSITORY", "o/r"),
            ]),
            Some("{}"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("pull_request"), "{e}");
        let e = Context::from_vars(
            &vars(&[("GITHUB_EVENT_NAME", "push"), ("GITHUB_REPOSITORY", "o/r")]),
            Some("{not json"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
    }
}
