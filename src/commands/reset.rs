//! `sqlgate reset` (roll back every applied migration, newest first) and `sqlgate
//! refresh` (reset, then apply everything again) — for development databases. Both
//! refuse in CI and on an environment `protected_environments` names, unless
//! `--allow-protected`; `reset` refuses, changing nothing, when an applied migration
//! has no down SQL.

use crate::app;
use crate::config::Settings;
use sqlgate_core::Error;
use sqlgate_pg::admin::RollbackScope;

/// What `reset`/`refresh` were asked to do besides the settings.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Apply everything again after the reset.
    pub refresh: bool,
    pub allow_protected: bool,
    /// `--environment`, else the configuration's `environment`.
    pub environment: Option<String>,
    pub allow: Vec<String>,
}

/// Why this run may not reset the database, if it may not.
pub fn guard(settings: &Settings, opts: &Options, ci: bool) -> Option<String> {
    if opts.allow_protected {
        return None;
    }
    if ci {
        return Some(
            "it runs in CI (CI or GITHUB_ACTIONS is set), where the database is usually a shared one".into(),
        );
    }
    let env = opts
        .environment
        .as_ref()
        .or(settings.environment.as_ref())?;
    settings
        .protected_environments
        .iter()
        .any(|p| p.eq_ignore_ascii_case(env.trim()))
        .then(|| {
            format!(
                "the environment `{env}` is protected (`protected_environments` in sqlgate.toml)"
            )
        })
}

pub fn run(settings: &Settings, url: &str, opts: &Options) -> Result<i32, Error> {
    let command = if opts.refresh { "refresh" } else { "reset" };
    if let Some(why) = guard(settings, opts, crate::config::env::in_ci()) {
        app::eprint(&format!(
            "sqlgate {command}: refused, nothing changed: {why}. `{command}` rolls back every migration and loses their data; pass --allow-protected if that is really meant.\n"
        ));
        return Ok(2);
    }
    if opts.refresh {
        // What refresh will apply again is judged before anything is rolled back: a
        // refusal afterwards would leave the database empty.
        let cat = app::load_catalog(settings)?;
        if let Some(code) = super::apply::directory_preflight(settings, &cat, &opts.allow)? {
            return Ok(code);
        }
        let all: Vec<&sqlgate_core::catalog::Migration> = cat.migrations.iter().collect();
        let found = super::apply::sql_preflight(settings, &cat, &opts.allow, false).blockers(&all);
        if !found.is_empty() {
            return Ok(super::apply::refuse(
                settings,
                &cat,
                found,
                "refresh refused before rolling anything back, the database is unchanged",
            )?
            .unwrap_or(2));
        }
    }
    let code = super::rollback::run(settings, url, RollbackScope::All, false, &opts.allow)?;
    if code != 0 || !opts.refresh {
        return Ok(code);
    }
    super::apply::run(
        settings,
        url,
        &super::apply::Options {
            allow: opts.allow.clone(),
            ..Default::default()
        },
    )
}
