//! `sqlgate ci` for a fleet on GitHub Actions: in a matrix job (`shard`), apply that
//! shard's targets and write their reports (output `reports`, for
//! `actions/upload-artifact`); in the final job (`--merge-reports <dir>`), merge every
//! shard's reports into one deploy comment on the merged pull request and the job
//! summary — not one comment per target.

use super::Run;
use crate::{app, commands};
use sqlgate_core::fleet::TargetReport;
use sqlgate_core::report;
use sqlgate_core::Error;
use sqlgate_github::commands as workflow;
use sqlgate_github::comment::Kind;
use std::path::Path;

impl Run {
    /// Every target's password, masked before anything is printed.
    fn mask_targets(&self) {
        let Ok(all) = commands::fleet::all_targets(&self.settings) else {
            return;
        };
        let mut vars: Vec<String> = all.iter().filter_map(|t| t.url_env.clone()).collect();
        vars.push("DATABASE_URL".into());
        vars.extend(self.settings.targets_control_env.clone());
        for var in vars {
            if let Some(url) = crate::config::env::var(&var) {
                for pw in sqlgate_pg::passwords(&url) {
                    if let Some(line) = workflow::add_mask(&pw) {
                        app::command(&line);
                    }
                }
            }
        }
    }

    pub(super) fn apply_shard(&mut self) -> Result<i32, Error> {
        self.mask_targets();
        let sel = commands::fleet::Selection {
            names: self
                .opts
                .shard
                .as_deref()
                .map(sqlgate_core::fleet::names)
                .unwrap_or_default(),
            all: self.opts.shard.is_none(),
            wave: self.opts.wave,
        };
        let dir = self.opts.report_dir.clone().unwrap_or_else(|| {
            self.ctx
                .runner_temp
                .clone()
                .unwrap_or_else(|| ".".into())
                .join("sqlgate-reports")
        });
        let args = commands::fleet::ApplyArgs {
            dry_run: false,
            to: None,
            count: None,
            jobs: crate::config::env::jobs(),
            fail_fast: crate::config::env::fail_fast(),
            report_dir: Some(dir.clone()),
            allow: crate::config::env::allow(),
            allow_out_of_order: self.opts.allow_out_of_order,
        };
        let Some(reports) = commands::fleet::run_apply(&self.settings, &sel, &args)? else {
            return Ok(2);
        };
        app::print(&report::fleet::text(&reports))?;
        self.fleet_outputs(&reports);
        self.outputs.push(("reports", dir.display().to_string()));
        let body = report::fleet::markdown(
            &reports,
            "Migrations applied (this shard)",
            &self.footer(),
            300,
        );
        self.summary(&|_| body.clone())?;
        Ok(i32::from(reports.iter().any(|r| !r.ok())))
    }

    fn fleet_outputs(&mut self, reports: &[TargetReport]) {
        for r in reports.iter().filter(|r| !r.ok()) {
            app::command(&workflow::message(
                "error",
                &format!("sqlgate: target {}", r.target),
                r.error.as_deref().unwrap_or("not applied"),
            ));
        }
        let applied: usize = reports.iter().map(|r| r.applied.len()).sum();
        self.outputs.push(("applied", applied.to_string()));
        self.outputs.push((
            "verdict",
            if reports.iter().all(TargetReport::ok) {
                "pass"
            } else {
                "fail"
            }
            .into(),
        ));
    }

    pub(super) fn merge_reports(&mut self, dir: &Path) -> Result<i32, Error> {
        let reports = commands::fleet::read_reports(&[dir.to_path_buf()])?;
        if reports.is_empty() {
            return Err(Error::Usage(format!(
                "no target reports in {} (did the matrix jobs upload them?)",
                dir.display()
            )));
        }
        app::print(&report::fleet::text(&reports))?;
        self.fleet_outputs(&reports);
        let title = match self.environment() {
            Some(e) => format!("Migrations applied to the fleet ({e})"),
            None => "Migrations applied to the fleet".to_string(),
        };
        let body = report::fleet::markdown(&reports, &title, &self.footer(), 200);
        let rt = app::runtime()?;
        let prs = self.pull_requests(&rt);
        if !prs.is_empty() {
            self.post(&rt, &prs, Kind::Apply, &body);
        }
        let full = report::fleet::markdown(&reports, &title, &self.footer(), usize::MAX);
        self.summary(&|room| {
            if full.len() <= room {
                full.clone()
            } else {
                body.clone()
            }
        })?;
        Ok(i32::from(reports.iter().any(|r| !r.ok())))
    }
}
