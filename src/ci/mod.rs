//! `sqlgate ci`: the GitHub Actions entry point. Reads the event, then:
//! on a pull request, `check` against the base commit, annotations, the sticky comment,
//! the job summary and step outputs; on a push or a manual dispatch, `apply`, then the
//! apply report on the pull request(s) the pushed commits came from. Comment failures
//! are warnings: they never change the verdict or fail an apply that succeeded.

mod apply;
mod check;
mod fleet;
mod preview;
mod status;
mod suggest;

use crate::config::{Overrides, Settings};
use sqlgate_core::model::{Counts, Finding};
use sqlgate_core::report::markdown;
use sqlgate_core::Error;
use sqlgate_github::api::{Api, RetryPolicy};
use sqlgate_github::commands;
use sqlgate_github::comment::{self, Identity, Kind};
use sqlgate_github::context::{Context, Event, PullRequest};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// What `ci` should do; `auto` chooses from the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    Auto,
    Check,
    Apply,
    Status,
    /// The pull request's preview database: `up` when opened, reopened or pushed to,
    /// `down` when closed.
    Preview,
}

/// Options of `sqlgate ci`.
#[derive(Debug, Clone)]
pub struct CiOptions {
    pub mode: Mode,
    pub overrides: Overrides,
    pub environment: Option<String>,
    /// Post the sticky comment.
    pub comment: bool,
    pub database_url: Option<String>,
    /// Connect to the database even for a pull request from a fork.
    pub allow_fork_database: bool,
    /// Apply only on pushes to this branch (others are checked).
    pub deploy_branch: Option<String>,
    pub allow_out_of_order: bool,
    /// Where to write the JSON report.
    pub report_file: Option<PathBuf>,
    /// The staging server for preview databases (`preview-server-url`).
    pub preview_server: Option<String>,
    /// In a matrix job: the targets of this job (`shard`), applied instead of
    /// `database_url`.
    pub shard: Option<String>,
    /// Only the targets of this wave.
    pub wave: Option<u32>,
    /// Where the shard's per-target reports go (`$RUNNER_TEMP/sqlgate-reports`).
    pub report_dir: Option<PathBuf>,
    /// The final job: merge the reports in this directory and post one comment.
    pub merge_reports: Option<PathBuf>,
    /// Findings of the check as a check run (all of them) instead of workflow
    /// commands (ten per level).
    pub check_run: bool,
    /// On a pull request, the fixes as a review with suggestion blocks (and a patch
    /// in the comment for the ones that split a migration).
    pub suggestions: bool,
}

/// What the event and mode come down to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Check {
        base: Option<String>,
        pr: Option<PullRequest>,
    },
    Apply,
    Status,
    /// `preview up` (`close: false`) or `preview down` for this pull request.
    Preview {
        pr: PullRequest,
        close: bool,
    },
    /// `preview gc`: previews older than `SQLGATE_PREVIEW_MAX_AGE` or of pull
    /// requests no longer open.
    PreviewGc,
    /// In a matrix job: apply this shard of the fleet.
    ApplyShard,
    /// The final job: merge the shards' reports, one comment.
    MergeReports(PathBuf),
}

/// Chooses the action for an event (pure).
pub fn choose(event: &Event, opts: &CiOptions) -> Result<Action, Error> {
    let has_db = opts.database_url.is_some();
    let need_db = |what: &str| {
        Error::Usage(format!(
            "`{what}` needs a database: set the action's `database-url` input (DATABASE_URL), usually from a secret"
        ))
    };
    if let Some(dir) = &opts.merge_reports {
        return Ok(Action::MergeReports(dir.clone()));
    }
    if opts.mode == Mode::Preview {
        if opts.preview_server.is_none() {
            return Err(Error::Usage(
                "`preview` needs the staging server: set the action's `preview-server-url` input (SQLGATE_PREVIEW_SERVER_URL), from a secret".into(),
            ));
        }
        // On a schedule or a manual run: the clean-up of previews left behind.
        let Event::PullRequest { pr, .. } = event else {
            return Ok(Action::PreviewGc);
        };
        return Ok(Action::Preview {
            pr: pr.clone(),
            close: pr.action == "closed",
        });
    }
    let action = match event {
        Event::PullRequest { name, pr } => match opts.mode {
            Mode::Apply => {
                return Err(Error::Usage(format!(
                    "refusing to apply migrations on a `{name}` event: code under review must not change a database. \
                     Migrations are applied after the merge, by `sqlgate ci` on a `push` to the deploy branch (or `workflow_dispatch`)."
                )))
            }
            Mode::Status => Action::Status,
            Mode::Auto | Mode::Check | Mode::Preview => Action::Check {
                base: Some(pr.base_sha.clone()),
                pr: Some(pr.clone()),
            },
        },
        Event::Push {
            git_ref, before, ..
        } => {
            let check = Action::Check {
                base: before.clone(),
                pr: None,
            };
            match opts.mode {
                Mode::Apply => Action::Apply,
                Mode::Status => Action::Status,
                Mode::Check | Mode::Preview => check,
                Mode::Auto => {
                    let on_deploy_branch = opts.deploy_branch.as_deref().is_none_or(|b| {
                        git_ref == b || git_ref.strip_prefix("refs/heads/") == Some(b)
                    });
                    if on_deploy_branch && has_db {
                        Action::Apply
                    } else {
                        check
                    }
                }
            }
        }
        Event::Dispatch { .. } | Event::Other { .. } => match opts.mode {
            Mode::Apply => Action::Apply,
            Mode::Status => Action::Status,
            Mode::Check | Mode::Preview => Action::Check {
                base: None,
                pr: None,
            },
            Mode::Auto => match (event, has_db) {
                (Event::Dispatch { .. }, true) => Action::Apply,
                (_, true) => Action::Status,
                (_, false) => Action::Check {
                    base: None,
                    pr: None,
                },
            },
        },
    };
    if opts.shard.is_some() || opts.wave.is_some() {
        return match action {
            Action::Apply => Ok(Action::ApplyShard),
            Action::Check { .. }
                if matches!(opts.mode, Mode::Auto)
                    && !matches!(event, Event::PullRequest { .. }) =>
            {
                Ok(Action::ApplyShard)
            }
            other => Ok(other),
        };
    }
    match action {
        Action::Apply if !has_db => Err(need_db("apply")),
        Action::Status if !has_db => Err(need_db("status")),
        a => Ok(a),
    }
}

/// Runs `sqlgate ci`; returns the exit code.
pub fn run(config: Option<&Path>, opts: CiOptions) -> Result<i32, Error> {
    crate::app::workflow_output();
    // Secrets are masked before anything else is printed: the database's password,
    // and a scratch server's.
    let scratch = crate::config::env::scratch();
    for url in opts
        .database_url
        .iter()
        .chain(scratch.iter())
        .chain(opts.preview_server.iter())
    {
        for pw in sqlgate_pg::passwords(url) {
            if let Some(line) = commands::add_mask(&pw) {
                crate::app::command(&line);
            }
        }
    }
    let ctx = Context::from_env(crate::config::env::all())?;
    let mut settings = Settings::load(config, &opts.overrides)?;
    if opts.environment.is_some() {
        settings.environment = opts.environment.clone();
    }
    let action = choose(&ctx.event, &opts)?;
    // A pull request's own sqlgate.toml may not widen trust: replay targets and
    // extensions come from the workflow or the base branch.
    let mut warnings = Vec::new();
    let pr_for_trust = match &action {
        Action::Check { pr: Some(pr), .. } | Action::Preview { pr, .. } => Some(pr),
        _ => None,
    };
    if let Some(pr) = pr_for_trust {
        let path = config.unwrap_or(Path::new(crate::config::DEFAULT_FILE));
        let base_file = match crate::source::git::file_at(path, &pr.base_sha) {
            Ok(bytes) => bytes.map(|b| String::from_utf8_lossy(&b).into_owned()),
            Err(e) => {
                warnings.push(format!(
                    "the base branch's configuration could not be read ({e}): no replay settings are trusted"
                ));
                None
            }
        };
        warnings.extend(settings.restrict_trust(base_file.as_deref(), &opts.overrides));
    }
    let mut run = Run {
        ctx,
        settings,
        opts,
        warnings: Vec::new(),
        outputs: Vec::new(),
        prefix: repo_prefix(),
        api: None,
    };
    for w in warnings {
        run.warn("sqlgate: pull request configuration", w);
    }
    let code = match action {
        Action::Check { base, pr } => run.check(base, pr.as_ref())?,
        Action::Apply => run.apply()?,
        Action::Status => run.status()?,
        Action::Preview { pr, close } => run.preview(&pr, close)?,
        Action::PreviewGc => run.preview_gc()?,
        Action::ApplyShard => run.apply_shard()?,
        Action::MergeReports(dir) => run.merge_reports(&dir)?,
    };
    run.finish()?;
    Ok(code)
}

/// The path of the working directory inside the repository (`git rev-parse
/// --show-prefix`), so annotations and links name files from the repository root.
fn repo_prefix() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--show-prefix"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// One `sqlgate ci` run: the context, the settings, and what it collects for the
/// summary and the step outputs. `check`, `apply` and `status` live in the submodules.
struct Run {
    ctx: Context,
    settings: Settings,
    opts: CiOptions,
    /// Problems with GitHub itself (comment not posted …), for the summary.
    warnings: Vec<String>,
    outputs: Vec<(&'static str, String)>,
    prefix: String,
    /// The run's one GitHub client (its time budget covers every call), once made.
    api: Option<Rc<Api>>,
}

impl Run {
    /// A file path as GitHub knows it (relative to the repository root).
    fn repo_path(&self, file: &str) -> String {
        let mut f = file.trim_start_matches("./").to_string();
        if let Some(ws) = &self.ctx.workspace {
            if let Ok(rel) = Path::new(&f).strip_prefix(ws) {
                return rel.display().to_string();
            }
        }
        if !Path::new(&f).is_absolute() && !self.prefix.is_empty() {
            f = format!("{}{f}", self.prefix);
        }
        f
    }

    fn environment(&self) -> Option<String> {
        self.settings.environment.clone()
    }

    fn footer(&self) -> String {
        let mut s = format!("sqlgate {}", env!("CARGO_PKG_VERSION"));
        if let (Some(url), Some(id)) = (self.ctx.run_url(), &self.ctx.run_id) {
            s.push_str(&format!(" · [run {id}]({url})"));
        }
        s.push_str(&format!(" · `{}`", self.ctx.event.name()));
        s
    }

    fn report_path(&self, kind: &str) -> PathBuf {
        if let Some(p) = &self.opts.report_file {
            return p.clone();
        }
        let mut slug: String = self
            .settings
            .dir_display
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        if let Some(e) = self.environment() {
            slug.push('-');
            slug.extend(
                e.chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }),
            );
        }
        let name = format!("sqlgate-{kind}-{}.json", slug.trim_matches('-'));
        match &self.ctx.runner_temp {
            Some(t) => t.join(name),
            None => PathBuf::from(name),
        }
    }

    fn full_report_hint(&self, json: &Path) -> String {
        let run = self
            .ctx
            .run_url()
            .map(|u| format!("the job summary of [this run]({u}) and "))
            .unwrap_or_default();
        format!(
            "The full report is in {run}the JSON report `{}`.",
            json.display()
        )
    }

    fn warn(&mut self, title: &str, text: String) {
        crate::app::command(&commands::message("warning", title, &text));
        self.warnings.push(text);
    }

    fn api(&mut self, rt: &tokio::runtime::Runtime) -> Option<Rc<Api>> {
        if let Some(api) = &self.api {
            return Some(api.clone());
        }
        // The HTTP client spawns onto the runtime it is built in.
        let _guard = rt.enter();
        let Some(token) = self.ctx.token.clone() else {
            self.warn(
                "sqlgate: no GitHub token",
                "no GitHub token (the action's `github-token` input, GITHUB_TOKEN or SQLGATE_GITHUB_TOKEN): nothing is posted to the pull request; the report is in the job summary".into(),
            );
            return None;
        };
        match Api::new(&self.ctx.api_url, &token, retry_policy()) {
            Ok(api) => {
                // The client's notes (retries, waits) go through the CI-safe writer.
                let api = Rc::new(api.with_notes(|l| crate::app::eprint(&format!("{l}\n"))));
                self.api = Some(api.clone());
                Some(api)
            }
            Err(e) => {
                self.warn("sqlgate: GitHub API", e);
                None
            }
        }
    }

    /// Posts (or updates) the sticky comment on each pull request; failures are warnings.
    fn post(&mut self, rt: &tokio::runtime::Runtime, prs: &[u64], kind: Kind, body: &str) {
        if !self.opts.comment || prs.is_empty() {
            return;
        }
        let Some(api) = self.api(rt) else { return };
        let marker = comment::marker(
            &self.repo_path(&self.settings.dir_display),
            self.environment().as_deref(),
            kind,
        );
        let repo = self.ctx.repository.clone();
        let mut urls = Vec::new();
        let me = match rt.block_on(api.viewer()) {
            Some(login) => Identity::Login(login),
            None => Identity::ActionsBot,
        };
        for &number in prs {
            let result = rt.block_on(comment::upsert(
                api.as_ref(),
                &repo,
                number,
                &marker,
                body,
                &me,
            ));
            match result {
                Ok(outcome) => {
                    let verb = match outcome {
                        comment::Outcome::Created(_) => "created",
                        comment::Outcome::Updated(_) => "updated",
                    };
                    let _ = crate::app::print(&format!(
                        "sqlgate: pull request #{number}: comment {verb} {}\n",
                        outcome.url()
                    ));
                    urls.push(outcome.url().to_string());
                }
                Err(e) => self.warn(
                    "sqlgate: comment not posted",
                    format!(
                        "the report could not be posted on pull request #{number}: {e}. The verdict is unchanged; the report is in the job summary."
                    ),
                ),
            }
        }
        if !urls.is_empty() {
            self.outputs.push(("comment-url", urls.join("\n")));
        }
    }

    fn summary(&mut self, render: &dyn Fn(usize) -> String) -> Result<(), Error> {
        let Some(path) = self.ctx.step_summary.clone() else {
            return Ok(());
        };
        let notes: String = self
            .warnings
            .iter()
            .map(|w| format!("\n> ⚠️ {}\n", markdown::cell(w)))
            .collect();
        let room = commands::summary_room(&path).saturating_sub(notes.len() + 16);
        let mut text = render(room);
        text.push_str(&notes);
        text.push('\n');
        // The summary is a courtesy: failing to write it never changes the verdict.
        if let Err(e) = commands::append(&path, &text) {
            crate::app::command(&commands::message(
                "warning",
                "sqlgate: job summary",
                &e.to_string(),
            ));
        }
        Ok(())
    }

    fn write_json(&mut self, path: &Path, json: &str) {
        match std::fs::write(path, json) {
            Ok(()) => self.outputs.push(("report", path.display().to_string())),
            Err(e) => self.warn(
                "sqlgate: JSON report",
                format!("cannot write the JSON report `{}`: {e}", path.display()),
            ),
        }
    }

    fn counts_outputs(&mut self, c: Counts) {
        self.outputs.push(("errors", c.error.to_string()));
        self.outputs.push(("warnings", c.warning.to_string()));
        self.outputs.push(("infos", c.info.to_string()));
        self.outputs.push(("findings", c.total().to_string()));
    }

    /// The check's findings as a check run on `head_sha` (all of them, 50 per
    /// request); `false` when that was not possible (then workflow commands are used,
    /// with a warning saying why).
    fn check_run(
        &mut self,
        rt: &tokio::runtime::Runtime,
        findings: &[Finding],
        head_sha: &str,
        conclusion: &str,
        title: &str,
    ) -> bool {
        let Some(api) = self.api(rt) else {
            return false;
        };
        let annotations: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| sqlgate_github::checks::annotation(f, &f.file))
            .collect();
        let summary = format!(
            "{title}. {} finding(s) are annotated on the changed files.",
            findings.len()
        );
        let payloads = sqlgate_github::checks::payloads(
            &format!("sqlgate ({})", self.settings.dir_display),
            head_sha,
            conclusion,
            title,
            &summary,
            &annotations,
        );
        let repo = self.ctx.repository.clone();
        let mut id = None;
        for p in &payloads {
            let result = match id {
                None => rt.block_on(api.create_check_run(&repo, p)).map(|i| {
                    id = Some(i);
                }),
                Some(i) => rt.block_on(api.update_check_run(&repo, i, p)),
            };
            if let Err(e) = result {
                let why = if e.status() == Some(403) {
                    "the token may not write checks (add `checks: write` to the workflow's permissions)".to_string()
                } else {
                    e.to_string()
                };
                self.warn(
                    "sqlgate: check run not created",
                    format!("the findings could not be posted as a check run ({why}); they are annotated with workflow commands instead"),
                );
                return id.is_some();
            }
        }
        let _ = crate::app::print(&format!(
            "sqlgate: check run with {} annotation(s) in {} request(s)\n",
            annotations.len(),
            payloads.len()
        ));
        true
    }

    fn annotate(&self, findings: &[Finding]) {
        let (lines, skipped) = commands::annotations(findings);
        for l in lines {
            crate::app::command(&l);
        }
        if skipped > 0 {
            let _ = crate::app::print(&format!(
                "sqlgate: {skipped} more finding(s) are not annotated (GitHub shows 10 per level per step); all are in the comment and the job summary\n"
            ));
        }
    }

    fn links(&self, pr: Option<&PullRequest>) -> markdown::Links {
        let base = format!("{}/{}", self.ctx.server_url, self.ctx.repository);
        match (pr, &self.ctx.sha) {
            (Some(pr), _) => markdown::Links::PullDiff(format!("{base}/pull/{}/files", pr.number)),
            (None, Some(sha)) => markdown::Links::Blob(format!("{base}/blob/{sha}/")),
            (None, None) => markdown::Links::None,
        }
    }

    fn finish(&mut self) -> Result<(), Error> {
        if let Some(path) = self.ctx.output.clone() {
            let text = commands::format_outputs(&self.outputs, &commands::nonce());
            if let Err(e) = commands::append(&path, &text) {
                crate::app::command(&commands::message(
                    "warning",
                    "sqlgate: step outputs",
                    &e.to_string(),
                ));
            }
        }
        Ok(())
    }
}

/// The GitHub client's limits: the defaults, or `SQLGATE_GITHUB_MAX_WAIT` (the run's
/// rate-limit waits together), `SQLGATE_GITHUB_TIMEOUT` (one request) and
/// `SQLGATE_GITHUB_BUDGET` (everything the run does with GitHub).
fn retry_policy() -> RetryPolicy {
    let mut p = RetryPolicy::default();
    let duration = |name: &str| {
        crate::config::env::var(name).and_then(|v| crate::config::parse_duration(&v).ok())
    };
    if let Some(d) = duration("SQLGATE_GITHUB_MAX_WAIT") {
        p.max_wait = d.unwrap_or_default();
    }
    if let Some(Some(d)) = duration("SQLGATE_GITHUB_TIMEOUT") {
        p.request_timeout = d;
    }
    if let Some(Some(d)) = duration("SQLGATE_GITHUB_BUDGET") {
        p.budget = d;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(mode: Mode, db: bool) -> CiOptions {
        CiOptions {
            mode,
            overrides: Overrides::default(),
            environment: None,
            comment: true,
            database_url: db.then(|| "postgres://u:p@h/d".to_string()),
            allow_fork_database: false,
            deploy_branch: None,
            allow_out_of_order: false,
            report_file: None,
            preview_server: None,
            shard: None,
            wave: None,
            report_dir: None,
            merge_reports: None,
            check_run: false,
            suggestions: false,
        }
    }

    fn pr_event() -> Event {
        Event::PullRequest {
            name: "pull_request".into(),
            pr: PullRequest {
                number: 1,
                base_sha: "b".into(),
                base_ref: "main".into(),
                head_sha: "h".into(),
                head_repo: Some("o/r".into()),
                base_repo: "o/r".into(),
                html_url: None,
                action: "opened".into(),
            },
        }
    }

    fn push(r: &str) -> Event {
        Event::Push {
            git_ref: r.into(),
            before: Some("a".into()),
            after: "c".into(),
            commits: vec!["c".into()],
        }
    }

    #[test]
    fn pull_requests_are_checked_never_applied() {
        assert!(matches!(
            choose(&pr_event(), &opts(Mode::Auto, true)).unwrap(),
            Action::Check { base: Some(b), pr: Some(_) } if b == "b"
        ));
        let e = choose(&pr_event(), &opts(Mode::Apply, true)).unwrap_err();
        assert!(e.to_string().contains("refusing to apply"), "{e}");
    }

    #[test]
    fn pushes_apply_with_a_database_and_on_the_deploy_branch() {
        assert_eq!(
            choose(&push("refs/heads/main"), &opts(Mode::Auto, true)).unwrap(),
            Action::Apply
        );
        assert!(matches!(
            choose(&push("refs/heads/main"), &opts(Mode::Auto, false)).unwrap(),
            Action::Check { .. }
        ));
        let mut o = opts(Mode::Auto, true);
        o.deploy_branch = Some("main".into());
        assert_eq!(choose(&push("refs/heads/main"), &o).unwrap(), Action::Apply);
        assert!(matches!(
            choose(&push("refs/heads/dev"), &o).unwrap(),
            Action::Check { .. }
        ));
        let e = choose(&push("refs/heads/main"), &opts(Mode::Apply, false)).unwrap_err();
        assert!(e.to_string().contains("database-url"), "{e}");
        assert_eq!(
            choose(&Event::Dispatch { git_ref: None }, &opts(Mode::Auto, true)).unwrap(),
            Action::Apply
        );
    }
}
