//! What every command shares: the async runtime, writing to standard output (a closed
//! pipe ends the output quietly), reading the catalog the settings describe, the
//! options the core takes, and the terminal progress bar of `apply`.

use crate::config::Settings;
use crate::source;
use sqlgate_core::catalog::{self, Catalog, CatalogOptions, SourceFile};
use sqlgate_core::check::CheckOptions;
use sqlgate_core::Error;
use std::io::Write;
use std::sync::OnceLock;

/// A current-thread Tokio runtime for one command's database or HTTP work.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the async runtime: {e}")))
}

/// Under `sqlgate ci`: the token of `::stop-commands::` blocks, set once.
static WORKFLOW: OnceLock<String> = OnceLock::new();

/// From now on, output is read by GitHub Actions: text that came from data is kept
/// from being taken as a workflow command.
pub fn workflow_output() {
    let _ = WORKFLOW.set(sqlgate_github::commands::nonce());
}

/// Text for the log: control characters shown escaped, and under `sqlgate ci` any
/// text with a line GitHub could read as a workflow command (`::…`, `##[…`) wrapped
/// in a `::stop-commands::` block, so a file name or an SQL literal cannot forge an
/// annotation, a mask or an output.
fn neutralised(s: &str) -> String {
    let Some(token) = WORKFLOW.get() else {
        return s.to_string();
    };
    let s = sqlgate_core::report::clean(s);
    let forgeable = s.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("::") || t.contains("##[")
    });
    if !forgeable {
        return s.into_owned();
    }
    let nl = if s.ends_with('\n') { "" } else { "\n" };
    format!("::stop-commands::{token}\n{s}{nl}::{token}::\n")
}

fn write(mut out: impl Write, s: &str, what: &str) -> Result<(), Error> {
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // `sqlgate … | head` closing the pipe is not an error: the output just ends.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Io(format!("cannot write to {what}: {e}"))),
    }
}

/// Writes text to standard output (see [`neutralised`]). A reader that closed the
/// pipe is not an error.
pub fn print(s: &str) -> Result<(), Error> {
    write(std::io::stdout().lock(), &neutralised(s), "standard output")
}

/// Writes text to standard error, neutralised like [`print`]; failures are ignored
/// (there is nowhere left to say so).
pub fn eprint(s: &str) {
    let _ = write(std::io::stderr().lock(), &neutralised(s), "standard error");
}

/// Colour for output meant for a person: standard output and standard error are
/// both a terminal, and `NO_COLOR` is not set.
pub fn color() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
        && std::io::stderr().is_terminal()
        && !crate::config::env::no_color()
}

/// Writes one workflow command that sqlgate built (its data already escaped).
pub fn command(line: &str) {
    let _ = write(
        std::io::stdout().lock(),
        &format!("{line}\n"),
        "standard output",
    );
}

/// Catalog options from settings.
pub fn catalog_options(settings: &Settings) -> CatalogOptions {
    CatalogOptions {
        layout: settings.layout,
        numbering: settings.numbering,
        display_dir: settings.dir_display.clone(),
        decision: None,
    }
}

/// Check options from settings.
pub fn check_options(settings: &Settings) -> CheckOptions<'_> {
    CheckOptions {
        dir: &settings.dir_display,
        require_down: settings.require_down,
        fail_on: settings.fail_on,
        pg_version: settings.pg_version,
        runner_lock_timeout: settings.lock_timeout.is_some(),
        vars: &settings.vars,
        rules: &settings.rules,
        policy: &settings.policy,
        out_of_order: settings.out_of_order,
        now: chrono::Utc::now(),
    }
}

/// Reads the configured directory: its files and the catalog built from them.
pub fn read_catalog(settings: &Settings) -> Result<(Vec<SourceFile>, Catalog), Error> {
    let files = source::fs::read_dir(
        &settings.dir,
        source::fs::Limits {
            max_file_size: settings.max_file_size,
        },
    )?;
    let cat = catalog::build(&files, &catalog_options(settings));
    Ok((files, cat))
}

/// The catalog of the configured directory.
pub fn load_catalog(settings: &Settings) -> Result<Catalog, Error> {
    read_catalog(settings).map(|(_, cat)| cat)
}

/// The apply options the settings give (timeouts, retries, placeholders, the commit
/// and run being deployed): every command that applies starts from these and sets
/// only what it adds (the one place they are built).
pub fn apply_options(settings: &crate::config::Settings) -> sqlgate_pg::apply::ApplyOptions {
    sqlgate_pg::apply::ApplyOptions {
        lock_timeout: settings.lock_timeout,
        statement_timeout: settings.statement_timeout,
        lock_retries: settings.lock_retries,
        lock_wait: settings.lock_wait,
        vars: settings.vars.clone(),
        git_commit: crate::config::env::git_commit(),
        ci_run_url: crate::config::env::ci_run_url(),
        out_of_order: settings.out_of_order,
        ..Default::default()
    }
}

/// Apply's progress: each line on standard output, and on a terminal a bar on
/// standard error while a migration runs.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// A bar only when `bar` (standard error is a terminal, not under CI).
    pub fn new(bar: bool) -> Progress {
        Progress {
            bar: bar.then(|| {
                let b = indicatif::ProgressBar::new(0);
                b.set_style(
                    indicatif::ProgressStyle::with_template("[{bar:30}] {pos}/{len} {msg}")
                        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                        .progress_chars("#-"),
                );
                b
            }),
        }
    }
}

impl sqlgate_pg::apply::Progress for Progress {
    fn say(&mut self, line: String) {
        let text = format!("{line}\n");
        match &self.bar {
            Some(b) => b.suspend(|| print(&text)),
            None => print(&text),
        }
        .ok();
    }

    fn started(&mut self, index: usize, total: usize, name: &str) {
        if let Some(b) = &self.bar {
            b.set_length(total as u64);
            b.set_position(index as u64);
            b.set_message(name.to_string());
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
