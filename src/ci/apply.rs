//! `sqlgate ci` on a push or a manual run with a database: apply, then the report on
//! the pull request(s) the deployed commits came from.

use super::Run;
use crate::{app, commands};
use sqlgate_core::model::{ApplyReport, Counts};
use sqlgate_core::report::{github, json, markdown};
use sqlgate_core::Error;
use sqlgate_github::api::{ApiError, PullRef};
use sqlgate_github::commands as workflow;
use sqlgate_github::comment::Kind;
use sqlgate_github::context::Event;
use sqlgate_pg::apply::ApplyOptions;

impl Run {
    pub(super) fn apply(&mut self) -> Result<i32, Error> {
        let url = self.opts.database_url.clone().unwrap_or_default();
        let rt = app::runtime()?;
        let cat = app::load_catalog(&self.settings)?;
        let apply_opts = ApplyOptions {
            allow_out_of_order: self.opts.allow_out_of_order,
            git_commit: self.ctx.sha.clone(),
            ci_run_url: self.ctx.run_url(),
            // The rare intended case: a workflow variable, never the pull request.
            allow_existing_schema: crate::config::env::allow_existing_schema(),
            ..app::apply_options(&self.settings)
        };
        let env = self
            .environment()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        app::print(&format!(
            "sqlgate ci: apply {} → {}{env}\n",
            self.settings.dir_display,
            sqlgate_pg::mask(&url)
        ))?;
        let started = std::time::Instant::now();
        // The pre-flight, as for `sqlgate apply` (`SQLGATE_ALLOW`: rules to run past).
        let allow: Vec<String> = crate::config::env::allow();
        commands::apply::check_allow(&allow)?;
        let blocked = sqlgate_core::plan::directory_blockers(
            &cat,
            &app::check_options(&self.settings),
            &allow,
        );
        let settings = self.settings.clone();
        let preflight = commands::apply::sql_preflight(&settings, &cat, &allow, false);
        let result = if blocked.is_empty() {
            rt.block_on(sqlgate_pg::apply::apply(
                &url,
                &self.settings.history_table,
                &cat,
                &self.settings.dir_display,
                &apply_opts,
                &preflight,
                &mut |line| {
                    let _ = app::print(&format!("{line}\n"));
                },
            ))
        } else {
            Ok(ApplyReport {
                blockers: blocked,
                refused: true,
                ..Default::default()
            })
        };
        let (mut rep, code, error) = match result {
            Ok(rep) => {
                let code = commands::apply::finish(&self.settings, &cat, &rep, false, started)?;
                (rep, code, None)
            }
            Err(e) => {
                app::command(&workflow::message("error", "sqlgate apply", &e.to_string()));
                (ApplyReport::default(), e.exit_code(), Some(e.to_string()))
            }
        };
        for b in &mut rep.blockers {
            b.file = self.repo_path(&b.file);
        }
        if let Some(f) = &mut rep.failure {
            f.file = self.repo_path(&sqlgate_core::catalog::display_path(
                &self.settings.dir_display,
                &f.file,
            ));
            app::command(&github::failure_annotation(f, &f.file));
        }
        self.annotate(&rep.blockers);

        let json_path = self.report_path("apply");
        let json = json::apply(&rep, error.as_deref(), self.environment().as_deref());
        self.write_json(&json_path, &json);

        let actx = markdown::ApplyContext {
            dir: self.repo_path(&self.settings.dir_display),
            target: sqlgate_pg::mask(&url),
            commit: self.ctx.sha.clone(),
            error,
        };
        let opts = markdown::Options {
            max_chars: markdown::COMMENT_LIMIT,
            links: self.links(None),
            environment: self.environment(),
            footer: Some(self.footer()),
            full_report_hint: self.full_report_hint(&json_path),
        };
        let prs = self.pull_requests(&rt);
        if !prs.is_empty() {
            let body = markdown::render_apply(&rep, &actx, &opts);
            self.post(&rt, &prs, Kind::Apply, &body);
        }
        self.summary(&|room| {
            markdown::render_apply(
                &rep,
                &actx,
                &markdown::Options {
                    max_chars: room,
                    ..opts.clone()
                },
            )
        })?;
        self.counts_outputs(Counts::of(&rep.blockers));
        self.outputs
            .push(("applied", rep.applied.len().to_string()));
        self.outputs
            .push(("pending", rep.pending_after.to_string()));
        self.outputs
            .push(("verdict", if code == 0 { "pass" } else { "fail" }.into()));
        Ok(code)
    }

    /// The pull requests behind the deployed commit(s); merged ones when there are any.
    pub(super) fn pull_requests(&mut self, rt: &tokio::runtime::Runtime) -> Vec<u64> {
        if !self.opts.comment {
            return Vec::new();
        }
        let commits: Vec<String> = match &self.ctx.event {
            Event::Push { commits, .. } => commits.iter().take(20).cloned().collect(),
            _ => self.ctx.sha.iter().cloned().collect(),
        };
        if commits.is_empty() {
            return Vec::new();
        }
        let Some(api) = self.api(rt) else {
            return Vec::new();
        };
        let repo = self.ctx.repository.clone();
        let mut found: Vec<PullRef> = Vec::new();
        let mut failure: Option<ApiError> = None;
        for sha in &commits {
            match rt.block_on(api.pulls_for_commit(&repo, sha)) {
                Ok(prs) => {
                    for p in prs {
                        if !found.iter().any(|f| f.number == p.number) {
                            found.push(p);
                        }
                    }
                }
                Err(e) => failure = Some(e),
            }
        }
        if let (Some(e), true) = (failure, found.is_empty()) {
            self.warn(
                "sqlgate: pull request lookup",
                format!("could not find the pull request(s) of the deployed commit(s): {e}"),
            );
            return Vec::new();
        }
        let merged: Vec<u64> = found
            .iter()
            .filter(|p| p.merged)
            .map(|p| p.number)
            .collect();
        let numbers = if merged.is_empty() {
            found.iter().map(|p| p.number).collect()
        } else {
            merged
        };
        if numbers.is_empty() {
            let _ = app::print(&format!(
                "sqlgate: no pull request is associated with {}; the report is in the job summary\n",
                commits.first().map(String::as_str).unwrap_or("this commit")
            ));
        }
        numbers
    }
}
