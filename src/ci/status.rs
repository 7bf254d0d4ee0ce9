//! `sqlgate ci` with `command: status`: the database's migration status in the log,
//! the job summary and the outputs.

use super::Run;
use crate::app;
use sqlgate_core::model::{Counts, State};
use sqlgate_core::report::markdown;
use sqlgate_core::Error;
use sqlgate_github::context::Event;

impl Run {
    pub(super) fn status(&mut self) -> Result<i32, Error> {
        let url = self.opts.database_url.clone().unwrap_or_default();
        if let Event::PullRequest { pr, .. } = &self.ctx.event {
            if pr.is_fork() && !self.opts.allow_fork_database {
                return Err(Error::Usage(
                    "refusing to connect to the database for a pull request from a fork: its code is not trusted with the database's secrets. Set `allow-fork-database: true` only for a disposable database.".into(),
                ));
            }
        }
        let rt = app::runtime()?;
        let cat = app::load_catalog(&self.settings)?;
        let (lines, mut blockers) = rt.block_on(sqlgate_pg::apply::status(
            &url,
            &self.settings.history_table,
            &cat,
            &self.settings.dir_display,
        ))?;
        for b in &mut blockers {
            b.file = self.repo_path(&b.file);
        }
        let pending = lines.iter().filter(|l| l.state == State::Pending).count();
        let applied = lines.iter().filter(|l| l.state.is_in_database()).count();
        let listing: String = lines
            .iter()
            .map(|l| format!("  {:<50} {}\n", l.name, l.state))
            .collect();
        app::print(&listing)?;
        self.annotate(&blockers);
        let fail_on = self.settings.fail_on;
        let failed = blockers.iter().any(|b| fail_on.fails(b.severity));
        let ctx = markdown::StatusContext {
            dir: self.settings.dir_display.clone(),
            target: sqlgate_pg::mask(&url),
        };
        let opts = markdown::Options {
            environment: self.environment(),
            footer: Some(self.footer()),
            full_report_hint: "Run `sqlgate status` for every migration.".into(),
            ..markdown::Options::default()
        };
        self.summary(&|room| {
            markdown::render_status(
                &lines,
                &ctx,
                &markdown::Options {
                    max_chars: room,
                    ..opts.clone()
                },
            )
        })?;
        self.counts_outputs(Counts::of(&blockers));
        self.outputs.push(("applied", applied.to_string()));
        self.outputs.push(("pending", pending.to_string()));
        self.outputs
            .push(("verdict", if failed { "fail" } else { "pass" }.into()));
        Ok(i32::from(failed))
    }
}
