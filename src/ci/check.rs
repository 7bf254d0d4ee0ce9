//! `sqlgate ci` on a pull request (or a push without a database): the check, its
//! annotations, the sticky comment, the job summary and the outputs.

use super::Run;
use crate::{app, commands};
use sqlgate_core::model::State;
use sqlgate_core::report::{self, json, markdown};
use sqlgate_core::Error;
use sqlgate_github::commands as workflow;
use sqlgate_github::comment::Kind;
use sqlgate_github::context::PullRequest;
use sqlgate_pg::replay::Scratch;

impl Run {
    /// What a fork's pull request may not use: the database (refused, said once) and
    /// a scratch server given by URL (skipped). True when the database was refused.
    fn fork_limits(&mut self, pr: Option<&PullRequest>) -> bool {
        let fork_refused = pr.is_some_and(|p| p.is_fork())
            && self.opts.database_url.is_some()
            && !self.opts.allow_fork_database;
        if fork_refused {
            app::command(
                &workflow::message(
                    "error",
                    "sqlgate: database refused for a fork",
                    "this pull request comes from a fork, and a database URL is configured: sqlgate does not connect to a database with secrets on behalf of code from a fork, because that code could read or change it. The static check still runs. Remove `database-url` from pull-request workflows (secrets are meant for the deploy), or, if the database is a disposable scratch server, set `allow-fork-database: true`."
                ),
            );
        }
        let fork = pr.is_some_and(|p| p.is_fork());
        if fork
            && matches!(self.settings.scratch, Some(Scratch::Url(_)))
            && !self.opts.allow_fork_database
        {
            self.settings.scratch = None;
            self.warn(
                "sqlgate: scratch replay skipped",
                "this pull request comes from a fork: its migrations are not replayed on the scratch server given by URL (set `scratch: auto` for a private throwaway server, or `allow-fork-database: true`)".into(),
            );
        }
        fork_refused
    }

    /// How many migrations the database has pending (the new ones, without a database).
    fn pending(
        &mut self,
        rt: &tokio::runtime::Runtime,
        new_migrations: usize,
        fork_refused: bool,
    ) -> Result<usize, Error> {
        let mut pending = new_migrations;
        if let (Some(url), false) = (self.opts.database_url.clone(), fork_refused) {
            let cat = app::load_catalog(&self.settings)?;
            match rt.block_on(sqlgate_pg::apply::status(
                &url,
                &self.settings.history_table,
                &cat,
                &self.settings.dir_display,
            )) {
                Ok((lines, _)) => {
                    pending = lines.iter().filter(|l| l.state == State::Pending).count()
                }
                Err(e) => self.warn(
                    "sqlgate: status",
                    format!("could not read the database's migration status: {e}"),
                ),
            }
        }
        Ok(pending)
    }

    pub(super) fn check(
        &mut self,
        base: Option<String>,
        pr: Option<&PullRequest>,
    ) -> Result<i32, Error> {
        if base.is_some() {
            self.settings.base = base;
        }
        let fork_refused = self.fork_limits(pr);
        let (mut rep, change) = commands::check::report_of(&self.settings, false)?;
        // One runtime for every GitHub call of the run: the client lives in it.
        let rt = app::runtime()?;
        let patch = match pr {
            Some(pr) if self.opts.suggestions => self.suggestions(&rt, &rep, &change, pr)?,
            _ => String::new(),
        };
        for f in &mut rep.findings {
            f.file = self.repo_path(&f.file);
        }
        app::command(&format!(
            "::group::sqlgate check: {}",
            report::github::escape_data(&rep.dir)
        ));
        app::print(&report::text::render(&rep, false))?;
        app::command("::endgroup::");
        let head = pr
            .map(|p| p.head_sha.clone())
            .or_else(|| self.ctx.sha.clone());
        let posted = match (self.opts.check_run, head) {
            (true, Some(sha)) => {
                let c = rep.counts();
                let conclusion = if rep.failed() {
                    "failure"
                } else if c.total() > 0 {
                    "neutral"
                } else {
                    "success"
                };
                let title = format!(
                    "{} error(s), {} warning(s), {} info",
                    c.error, c.warning, c.info
                );
                self.check_run(&rt, &rep.findings, &sha, conclusion, &title)
            }
            _ => false,
        };
        if !posted {
            self.annotate(&rep.findings);
        }

        let json_path = self.report_path("report");
        let json = json::render(&rep);
        self.write_json(&json_path, &json);

        let pending = self.pending(&rt, rep.new_migrations, fork_refused)?;

        let opts = markdown::Options {
            max_chars: markdown::COMMENT_LIMIT,
            links: self.links(pr),
            environment: self.environment(),
            footer: Some(self.footer()),
            full_report_hint: self.full_report_hint(&json_path),
        };
        if let Some(pr) = pr {
            let section = super::suggest::patch_section(&patch, markdown::COMMENT_LIMIT / 2);
            let body = markdown::render(
                &rep,
                &markdown::Options {
                    max_chars: markdown::COMMENT_LIMIT - section.len(),
                    ..opts.clone()
                },
            ) + &section;
            self.post(&rt, &[pr.number], Kind::Check, &body);
        }
        let summary_opts = markdown::Options {
            full_report_hint: format!(
                "The full report is in the JSON report `{}`.",
                json_path.display()
            ),
            ..opts
        };
        self.summary(&|room| {
            markdown::render(
                &rep,
                &markdown::Options {
                    max_chars: room,
                    ..summary_opts.clone()
                },
            )
        })?;
        self.counts_outputs(rep.counts());
        self.outputs.push(("pending", pending.to_string()));
        self.outputs.push(("applied", "0".into()));
        self.outputs
            .push(("verdict", if rep.failed() { "fail" } else { "pass" }.into()));
        if fork_refused {
            return Ok(2);
        }
        Ok(i32::from(rep.failed()))
    }
}
