//! `sqlgate fix`: rewrites the change's migrations into their safe equivalents (the
//! core's `fix` plans it), prints the diff with `--dry-run`, writes it otherwise.
//! Shipped migrations (on `--base`) are never touched.

use crate::app;
use crate::commands::check;
use crate::config::Settings;
use sqlgate_core::catalog::display_path;
use sqlgate_core::fix::{self, Plan};
use sqlgate_core::rules::history::unified_diff;
use sqlgate_core::Error;

/// The plan for the configured directory against `settings.base`.
pub fn plan(settings: &Settings) -> Result<Plan, Error> {
    if settings.base.is_none() {
        return Err(Error::Usage(
            "`sqlgate fix` rewrites only migrations that have not shipped: name the branch they shipped on with `--base <ref>` (e.g. `--base origin/main`) or `base` in sqlgate.toml".into(),
        ));
    }
    let change = check::read_change(settings)?;
    let report = change.evaluate(settings, false);
    let timeout = settings
        .lock_timeout
        .map(|d| {
            if d.as_millis() % 1000 == 0 {
                format!("{}s", d.as_secs())
            } else {
                format!("{}ms", d.as_millis())
            }
        })
        .unwrap_or_else(|| "5s".into());
    let plan = fix::plan(
        &change.head,
        &change.files,
        &|m| change.is_new(m),
        &report.findings,
        &fix::Options {
            dir: &settings.dir_display,
            pg_version: settings.pg_version,
            vars: &settings.vars,
            lock_timeout: &timeout,
            now: chrono::Utc::now(),
        },
    );
    // The core only rewrites new migrations; this is the promise, checked again.
    if let Some(c) = plan
        .changes
        .iter()
        .find(|c| change.shipped.contains(&c.path))
    {
        return Err(Error::Io(format!(
            "refusing to rewrite {}: it shipped",
            c.path
        )));
    }
    Ok(plan)
}

/// The plan as a unified diff (paths as shown to users).
pub fn diff(settings: &Settings, plan: &Plan) -> String {
    plan.changes
        .iter()
        .map(|c| {
            let shown = display_path(&settings.dir_display, &c.path);
            match &c.old {
                Some(old) => unified_diff(old, &c.new, &shown, &shown),
                None => unified_diff("", &c.new, "/dev/null", &shown).replacen(
                    "--- a//dev/null",
                    "--- /dev/null",
                    1,
                ),
            }
        })
        .collect()
}

/// What was fixed and what was not (and why), one line each.
fn outcomes(plan: &Plan, dry_run: bool) -> String {
    let mut out = String::new();
    for o in &plan.outcomes {
        match &o.not_fixed {
            None => out.push_str(&format!(
                "{} {}:{} {}\n",
                if dry_run { "would fix" } else { "fixed" },
                o.file,
                o.line,
                o.rule.as_str()
            )),
            Some(why) => out.push_str(&format!(
                "not fixed {}:{} {}: {why}\n",
                o.file,
                o.line,
                o.rule.as_str()
            )),
        }
    }
    out
}

/// `sqlgate fix [--dry-run]`: exit 1 with `--dry-run` when something would change.
pub fn run(settings: &Settings, dry_run: bool) -> Result<i32, Error> {
    let plan = plan(settings)?;
    if dry_run {
        app::print(&diff(settings, &plan))?;
        app::eprint(&outcomes(&plan, true));
        return Ok(if plan.changes.is_empty() { 0 } else { 1 });
    }
    for c in &plan.changes {
        let path = settings.dir.join(&c.path);
        if c.old.is_none() && path.exists() {
            return Err(Error::Usage(format!(
                "`{}` already exists: nothing was written",
                path.display()
            )));
        }
    }
    for c in &plan.changes {
        let path = settings.dir.join(&c.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::Io(format!("cannot create `{}`: {e}", parent.display())))?;
        }
        std::fs::write(&path, &c.new)
            .map_err(|e| Error::Io(format!("cannot write `{}`: {e}", path.display())))?;
        let verb = if c.old.is_some() {
            "rewrote"
        } else {
            "created"
        };
        app::print(&format!(
            "{verb} {}\n",
            display_path(&settings.dir_display, &c.path)
        ))?;
    }
    app::eprint(&outcomes(&plan, false));
    if plan.changes.is_empty() {
        app::print("nothing to fix\n")?;
    }
    Ok(0)
}
