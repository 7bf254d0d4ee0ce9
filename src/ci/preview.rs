//! `sqlgate ci` with `command: preview` on a pull request: its preview database on the
//! staging server — `up` when opened, reopened or pushed to, `down` when closed — with
//! its own sticky comment, the job summary and the outputs `preview-database`,
//! `preview-database-url` (password masked first) and `preview-action`.

use super::Run;
use crate::{app, commands};
use sqlgate_core::preview::PreviewReport;
use sqlgate_core::report;
use sqlgate_core::Error;
use sqlgate_github::commands as workflow;
use sqlgate_github::comment::Kind;
use sqlgate_github::context::PullRequest;

impl Run {
    pub(super) fn preview(&mut self, pr: &PullRequest, close: bool) -> Result<i32, Error> {
        if pr.is_fork() && !self.opts.allow_fork_database {
            return Err(Error::Usage(
                "refusing a preview database for a pull request from a fork: its migrations would run on the staging server with the workflow's secrets. Set `allow-fork-database: true` only if that server is disposable.".into(),
            ));
        }
        let server = self.opts.preview_server.clone().unwrap_or_default();
        let rt = app::runtime()?;
        if close {
            let name =
                sqlgate_core::preview::name(&self.settings.preview_prefix, Some(pr.number), None)
                    .map_err(Error::from)?;
            let done = rt.block_on(sqlgate_pg::preview::down(
                &server,
                &name,
                self.settings.lock_wait,
                &mut |l| app::eprint(&format!("{l}\n")),
            ))?;
            let action = match done {
                sqlgate_pg::preview::Down::Dropped => "dropped",
                sqlgate_pg::preview::Down::Absent => "absent",
            };
            app::print(&format!("sqlgate: preview {name}: {action}\n"))?;
            let r = PreviewReport {
                name: name.clone(),
                action: "dropped".into(),
                ..Default::default()
            };
            if action == "dropped" {
                let body = report::preview::markdown(&r);
                self.post(&rt, &[pr.number], Kind::Preview, &body);
            }
            self.outputs.push(("preview-database", name));
            self.outputs.push(("preview-action", action.into()));
            return Ok(0);
        }
        self.settings.base = Some(pr.base_sha.clone());
        let args = commands::preview::UpArgs {
            pr: Some(pr.number),
            allow: crate::config::env::allow(),
            ..Default::default()
        };
        drop(rt);
        let Some(up) = commands::preview::run_up(&self.settings, &server, &args)? else {
            return Ok(2);
        };
        // The preview role's new password is masked before anything shows the URL.
        for pw in sqlgate_pg::passwords(&up.url) {
            if let Some(line) = workflow::add_mask(&pw) {
                app::command(&line);
            }
        }
        app::print(&report::preview::text(&up.report))?;
        let body = report::preview::markdown(&up.report);
        let rt = app::runtime()?;
        self.post(&rt, &[pr.number], Kind::Preview, &body);
        self.summary(&|_| body.clone())?;
        self.outputs
            .push(("preview-database", up.report.name.clone()));
        self.outputs
            .push(("preview-action", up.report.action.clone()));
        if up.code == 0 {
            self.outputs.push(("preview-database-url", up.url));
        }
        Ok(up.code)
    }

    /// On a schedule: drops previews built longer ago than `SQLGATE_PREVIEW_MAX_AGE`
    /// (default 7d), of pull requests that are no longer open (with a token), and
    /// builds killed runs left behind.
    pub(super) fn preview_gc(&mut self) -> Result<i32, Error> {
        let server = self.opts.preview_server.clone().unwrap_or_default();
        let age = crate::config::env::preview_max_age();
        let max_age = crate::config::parse_duration(&age)
            .map_err(|m| Error::Usage(format!("SQLGATE_PREVIEW_MAX_AGE: {m}")))?;
        let rt = app::runtime()?;
        let ours = format!("{}_pr_", self.settings.preview_prefix);
        let previews: Vec<_> = rt
            .block_on(sqlgate_pg::preview::list(&server))?
            .into_iter()
            .filter(|p| p.marker.name.starts_with(&ours))
            .collect();
        let mut closed = Vec::new();
        if previews.iter().any(|p| p.marker.pr.is_some()) {
            if let Some(api) = self.api(&rt) {
                match rt.block_on(api.open_pulls(&self.ctx.repository)) {
                    Ok(open) => closed = previews
                        .iter()
                        .filter_map(|p| p.marker.pr)
                        .filter(|n| !open.contains(n))
                        .collect(),
                    Err(e) => self.warn(
                        "sqlgate: open pull requests unknown",
                        format!("cannot list the open pull requests ({e}): only previews older than {age} are dropped"),
                    ),
                }
            }
        }
        let dropped = rt.block_on(sqlgate_pg::preview::gc(
            &server,
            Some(&self.settings.preview_prefix),
            max_age,
            &closed,
            self.settings.lock_wait,
            &mut |l| app::eprint(&format!("{l}\n")),
        ))?;
        app::print(&if dropped.is_empty() {
            "sqlgate: preview gc: nothing to drop\n".to_string()
        } else {
            format!("sqlgate: preview gc: dropped {}\n", dropped.join(", "))
        })?;
        self.outputs.push(("preview-dropped", dropped.join("\n")));
        Ok(0)
    }
}
