//! `sqlgate fix`: rewrites the change's migrations into their safe equivalents (the
//! core's `fix` plans it), prints the diff with `--dry-run`, writes it otherwise.
//! Shipped migrations (on `--base`) are never touched.

use crate::app;
use crate::commands::check;
use crate::config::Settings;
use sqlgate_core::catalog::{display_path, CatalogOptions, Content, SourceFile};
use sqlgate_core::fix::{self, Plan};
use sqlgate_core::rules::history::unified_diff;
use sqlgate_core::Error;

/// The plan for the configured directory against `settings.base`.
pub fn plan(settings: &Settings, change: &check::Change) -> Result<Plan, Error> {
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

/// What replaying both versions showed.
enum Proof {
    /// No scratch server was given.
    NotChecked,
    Same(String),
    /// The fixed change builds another schema (the diff), or fails.
    Different(String),
    /// The original change does not replay: nothing to compare with.
    Unknown(String),
}

/// With `--scratch`: the original change and the fixed one, each replayed on the
/// shipped state, and the schemas they leave compared.
fn prove(settings: &Settings, change: &check::Change, plan: &Plan) -> Result<Proof, Error> {
    let Some(scratch) = &settings.scratch else {
        return Ok(Proof::NotChecked);
    };
    if plan.changes.is_empty() {
        return Ok(Proof::NotChecked);
    }
    let mut files = change.files.clone();
    for c in &plan.changes {
        let content = Content::Bytes(c.new.clone().into_bytes());
        match files.iter_mut().find(|f| f.path == c.path) {
            Some(f) => f.content = content,
            None => files.push(SourceFile {
                path: c.path.clone(),
                content,
                name_not_utf8: false,
            }),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let opts = CatalogOptions {
        decision: Some(change.head.decision),
        ..app::catalog_options(settings)
    };
    let fixed = sqlgate_core::catalog::build(&files, &opts);
    let replay = check::replay_options(settings);
    let is_new = |m: &sqlgate_core::catalog::Migration| change.is_new(m);
    let (before, found) = sqlgate_pg::replay::run(scratch, &change.head, &is_new, &replay)?;
    let first = |f: &[sqlgate_core::model::Finding]| {
        f.first()
            .map(|f| format!("{}:{}: {}", f.file, f.line, f.message))
            .unwrap_or_default()
    };
    if !before.completed {
        return Ok(Proof::Unknown(first(&found)));
    }
    let (after, found) = sqlgate_pg::replay::run(scratch, &fixed, &is_new, &replay)?;
    Ok(if !after.completed {
        Proof::Different(format!("the fixed change fails: {}", first(&found)))
    } else if after.schema_after == before.schema_after {
        Proof::Same(before.server)
    } else {
        Proof::Different(unified_diff(
            &before.schema_after,
            &after.schema_after,
            "schema (original)",
            "schema (fixed)",
        ))
    })
}

/// `sqlgate fix [--dry-run]`: exit 1 with `--dry-run` when something would change.
pub fn run(settings: &Settings, dry_run: bool) -> Result<i32, Error> {
    if settings.base.is_none() {
        return Err(Error::Usage(
            "`sqlgate fix` rewrites only migrations that have not shipped: name the branch they shipped on with `--base <ref>` (e.g. `--base origin/main`) or `base` in sqlgate.toml".into(),
        ));
    }
    let change = check::read_change(settings)?;
    let plan = plan(settings, &change)?;
    match prove(settings, &change, &plan)? {
        Proof::NotChecked if !plan.changes.is_empty() => app::eprint(
            "sqlgate: the fixes were not checked against a database: pass --scratch auto (or a server URL) to replay the original and the fixed change and compare the schemas they build\n",
        ),
        Proof::NotChecked => {}
        Proof::Same(server) => app::eprint(&format!(
            "sqlgate: checked on {server}: the fixed change builds the same schema as the original\n"
        )),
        Proof::Unknown(why) => app::eprint(&format!(
            "sqlgate: not checked: the original change does not replay on the scratch database ({why})\n"
        )),
        Proof::Different(diff) => {
            app::eprint(&format!(
                "sqlgate: error: the fixed change does not build the same schema as the original; nothing was written:\n{diff}\n"
            ));
            return Ok(1);
        }
    }
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
