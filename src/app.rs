//! What every command shares: the async runtime, writing to standard output (a closed
//! pipe ends the output quietly), reading the catalog the settings describe, the
//! options the core takes, and the terminal progress bar of `apply`.

use crate::config::Settings;
use crate::source;
use sqlgate_core::catalog::{self, Catalog, CatalogOptions, SourceFile};
use sqlgate_core::check::CheckOptions;
use sqlgate_core::Error;
use std::io::Write;

/// A current-thread Tokio runtime for one command's database or HTTP work.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the async runtime: {e}")))
}

/// Writes to standard output. A reader that closed the pipe (`sqlgate … | head`) is
/// not an error.
pub fn print(s: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Io(format!("cannot write to standard output: {e}"))),
    }
}

/// Catalog options from settings.
pub fn catalog_options(settings: &Settings) -> CatalogOptions {
    CatalogOptions {
        layout: settings.layout,
        numbering: settings.numbering,
        display_dir: settings.dir_display.clone(),
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
    }
}

/// Reads the configured directory: its files and the catalog built from them.
pub fn read_catalog(settings: &Settings) -> Result<(Vec<SourceFile>, Catalog), Error> {
    let files = source::fs::read_dir(&settings.dir)?;
    let cat = catalog::build(&files, &catalog_options(settings));
    Ok((files, cat))
}

/// The catalog of the configured directory.
pub fn load_catalog(settings: &Settings) -> Result<Catalog, Error> {
    read_catalog(settings).map(|(_, cat)| cat)
}

/// The URL of this GitHub Actions run, when running in one.
pub fn ci_run_url() -> Option<String> {
    match (
        std::env::var("GITHUB_SERVER_URL"),
        std::env::var("GITHUB_REPOSITORY"),
        std::env::var("GITHUB_RUN_ID"),
    ) {
        (Ok(s), Ok(r), Ok(id)) => Some(format!("{s}/{r}/actions/runs/{id}")),
        _ => None,
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
