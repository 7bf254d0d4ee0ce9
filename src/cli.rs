//! Command-line interface: argument parsing (flags and `SQLGATE_*` variables via
//! clap), loading settings, and dispatching to the commands. Exit codes follow
//! PRODUCT §3: 0 ok, 1 findings at or above `--fail-on`, 2 usage/configuration.

use crate::catalog::{Layout, Numbering};
use crate::config::{Format, Overrides, Settings};
use crate::error::Error;
use crate::findings::FailOn;
use crate::{check, create, report, rules};
use clap::{Args, Parser, Subcommand};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "sqlgate",
    version,
    about = "Guards PostgreSQL migrations on pull requests",
    long_about = "sqlgate checks a directory of PostgreSQL migrations: numbering, names, and edits to \
migrations that already shipped (compared with a base git ref). Settings come from flags, SQLGATE_* \
environment variables and sqlgate.toml, in that order of precedence."
)]
pub struct Cli {
    /// Configuration file [default: ./sqlgate.toml when present]
    #[arg(long, global = true, env = "SQLGATE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check the migration directory (the pull-request gate)
    Check(CheckArgs),
    /// Apply pending migrations to the database
    Apply(ApplyArgs),
    /// Show applied, pending, modified, missing and failed migrations
    Status(StatusArgs),
    /// Run down migrations, newest first
    Rollback(RollbackArgs),
    /// Compare applied migrations with their files (checksums, with diffs)
    Validate(DbOnlyArgs),
    /// After a manual fix: accept the file's checksum of versions, or clear a failed record
    Repair(RepairArgs),
    /// Mark an existing database as being at a version without running anything
    Baseline(BaselineArgs),
    /// Check the connection, server version, privileges and history table
    Verify(DbOnlyArgs),
    /// Write the next migration file in the directory's layout and numbering
    Create(CreateArgs),
    /// Print a rule's documentation, or list all rules
    Explain(ExplainArgs),
    /// GitHub Actions entry point: check a pull request, or apply after the merge
    Ci(CiArgs),
}

#[derive(Debug, Args)]
struct CiArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// What to do; `auto` chooses from the event: check on pull requests, apply on
    /// pushes and manual runs when a database is given
    #[arg(long, env = "SQLGATE_COMMAND", value_enum, default_value = "auto")]
    command: crate::ci::Mode,
    /// Environment label for reports and the comment marker (production, staging, …)
    #[arg(long, env = "SQLGATE_ENVIRONMENT", value_name = "NAME")]
    environment: Option<String>,
    /// Post the report as a sticky pull-request comment
    #[arg(long, env = "SQLGATE_COMMENT", default_value = "true", value_name = "BOOL", action = clap::ArgAction::Set)]
    comment: bool,
    #[command(flatten)]
    gate: GateArgs,
    /// Database connection (URL or key=value); needed for apply and status
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Connect to the database even for a pull request from a fork (only for a
    /// disposable scratch database)
    #[arg(long, env = "SQLGATE_ALLOW_FORK_DATABASE", default_value = "false", value_name = "BOOL", action = clap::ArgAction::Set)]
    allow_fork_database: bool,
    /// With `auto`, apply only on pushes to this branch (others are checked)
    #[arg(long, env = "SQLGATE_DEPLOY_BRANCH", value_name = "BRANCH")]
    deploy_branch: Option<String>,
    /// Apply pending migrations older than the newest applied one
    #[arg(long, env = "SQLGATE_ALLOW_OUT_OF_ORDER", default_value = "false", value_name = "BOOL", action = clap::ArgAction::Set)]
    allow_out_of_order: bool,
    /// Where to write the JSON report [default: $RUNNER_TEMP/sqlgate-<kind>-<dir>.json]
    #[arg(long, env = "SQLGATE_REPORT_FILE", value_name = "FILE")]
    report_file: Option<PathBuf>,
}

/// What decides a check's verdict; shared by `check` and `ci`.
#[derive(Debug, Args)]
struct GateArgs {
    /// Lowest severity that makes the exit code 1 [default: error]
    #[arg(long, env = "SQLGATE_FAIL_ON", value_enum, value_name = "LEVEL")]
    fail_on: Option<FailOn>,
    /// Require a down migration for every migration
    #[arg(long, env = "SQLGATE_REQUIRE_DOWN", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    require_down: Option<bool>,
    /// Replay the migrations on a throwaway database: `auto` (a private server from
    /// local PostgreSQL binaries), a server URL (a database is created and dropped
    /// there), or `none`
    #[arg(
        long,
        env = "SQLGATE_SCRATCH",
        value_name = "auto|URL|none",
        hide_env_values = true
    )]
    scratch: Option<String>,
}

impl GateArgs {
    fn apply_to(&self, o: &mut Overrides) {
        o.fail_on = self.fail_on;
        o.require_down = self.require_down;
        o.scratch = self.scratch.clone();
    }
}

#[derive(Debug, Args)]
struct DirArgs {
    /// Migration directory [default: migrations]
    #[arg(long, env = "SQLGATE_DIR", value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Force a layout instead of detecting it
    #[arg(long, env = "SQLGATE_LAYOUT", value_enum)]
    layout: Option<Layout>,
    /// Force a numbering policy instead of detecting it
    #[arg(long, env = "SQLGATE_NUMBERING", value_enum)]
    numbering: Option<Numbering>,
    /// Define a placeholder (repeatable): ${NAME}, :NAME, :'NAME', :"NAME"
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,
}

#[derive(Debug, Args)]
struct CheckArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// Compare with this git ref: edits, deletions and renames of migrations that
    /// exist there are findings, and new migrations must come after them
    #[arg(long, env = "SQLGATE_BASE", value_name = "REF")]
    base: Option<String>,
    /// Judge every migration, not only the ones new or changed against --base
    #[arg(long)]
    all: bool,
    /// Output format
    #[arg(long, env = "SQLGATE_FORMAT", value_enum)]
    format: Option<Format>,
    #[command(flatten)]
    gate: GateArgs,
    /// Write the report to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct DbArgs {
    /// Database connection: URL or key=value string
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: String,
}

#[derive(Debug, Args)]
struct ApplyArgs {
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
    /// Print the plan and the SQL; change nothing
    #[arg(long)]
    dry_run: bool,
    /// Apply up to and including this version
    #[arg(long, value_name = "VERSION")]
    to: Option<String>,
    /// Apply at most this many migrations
    #[arg(long, value_name = "N")]
    count: Option<usize>,
    /// Apply pending migrations older than the newest applied one
    #[arg(long, env = "SQLGATE_ALLOW_OUT_OF_ORDER")]
    allow_out_of_order: bool,
    /// Apply all pending migrations in one transaction (all or nothing)
    #[arg(long)]
    single_transaction: bool,
    /// How long to wait for another runner's lock, e.g. 30s, 10m [default: 10m]
    #[arg(long, env = "SQLGATE_LOCK_WAIT", value_name = "DURATION")]
    lock_wait: Option<String>,
    /// Retries of a migration that hit lock_timeout [default: 3]
    #[arg(long, env = "SQLGATE_LOCK_RETRIES", value_name = "N")]
    lock_retries: Option<u32>,
}

#[derive(Debug, Args)]
struct StatusArgs {
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
    /// Exit 1 when anything is pending (for CI)
    #[arg(long)]
    exit_code: bool,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: StatusFormat,
}

#[derive(Debug, Args)]
struct RollbackArgs {
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
    /// How many migrations to roll back [default: 1]
    #[arg(long, value_name = "N", conflicts_with_all = ["to", "batch"])]
    count: Option<usize>,
    /// Roll back everything above this version
    #[arg(long, value_name = "VERSION", conflicts_with = "batch")]
    to: Option<String>,
    /// Roll back everything the last apply did
    #[arg(long)]
    batch: bool,
}

#[derive(Debug, Args)]
struct DbOnlyArgs {
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct RepairArgs {
    /// Versions to repair
    #[arg(required = true, value_name = "VERSION")]
    versions: Vec<String>,
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct BaselineArgs {
    /// The version the database is already at
    version: String,
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum StatusFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct CreateArgs {
    /// What the migration does, e.g. "add user avatar"
    name: String,
    #[command(flatten)]
    dir: DirArgs,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// Rule id, e.g. modified-migration
    rule: Option<String>,
    /// Print the reference of every rule as markdown (docs/rules.md)
    #[arg(long, conflicts_with = "rule")]
    markdown: bool,
}

fn overrides(dir: &DirArgs) -> Overrides {
    Overrides {
        dir: dir.dir.clone(),
        layout: dir.layout,
        numbering: dir.numbering,
        vars: dir.vars.clone(),
        ..Overrides::default()
    }
}

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> i32 {
    // An empty variable means "not set" (the action passes every input, empty or not).
    for (k, v) in std::env::vars_os() {
        let ours = k
            .to_str()
            .is_some_and(|k| k.starts_with("SQLGATE_") || k == "DATABASE_URL");
        if ours && v.is_empty() {
            // Single-threaded here: nothing else reads the environment yet.
            std::env::remove_var(&k);
        }
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sqlgate: error: {e}");
            e.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Check(args) => {
            let mut o = overrides(&args.dir);
            o.base = args.base.clone();
            o.format = args.format;
            args.gate.apply_to(&mut o);
            let settings = Settings::load(cli.config.as_deref(), &o)?;
            let rep = check::run(&settings, args.all)?;
            let color = args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none();
            let rendered = report::render(&rep, settings.format, color);
            match &args.output {
                Some(path) => {
                    std::fs::write(path, rendered).map_err(|e| {
                        Error::Io(format!("cannot write `{}`: {e}", path.display()))
                    })?;
                    let c = rep.counts();
                    eprintln!(
                        "sqlgate: {} errors, {} warnings, {} info; report written to {}",
                        c.error,
                        c.warning,
                        c.info,
                        path.display()
                    );
                }
                None => print(&rendered)?,
            }
            Ok(i32::from(rep.failed()))
        }
        Command::Apply(args) => apply(cli.config.as_deref(), args),
        Command::Status(args) => status(cli.config.as_deref(), args),
        Command::Rollback(args) => {
            let settings = Settings::load(cli.config.as_deref(), &overrides(&args.dir))?;
            let cat = load_catalog(&settings)?;
            let scope = match (&args.to, args.batch, args.count) {
                (Some(v), _, _) => crate::db::admin::RollbackScope::To(v.clone()),
                (None, true, _) => crate::db::admin::RollbackScope::LastBatch,
                (None, false, n) => crate::db::admin::RollbackScope::Count(n.unwrap_or(1)),
            };
            println!(
                "sqlgate rollback: {} → {}",
                settings.dir_display,
                crate::db::mask(&args.db.database_url)
            );
            let done = runtime()?.block_on(crate::db::admin::rollback(
                &args.db.database_url,
                &settings.history_table,
                &cat,
                &scope,
                settings.lock_wait,
                &settings.vars,
                &mut |l| println!("{l}"),
            ))?;
            println!("rolled back {} migration(s)", done.len());
            Ok(0)
        }
        Command::Validate(args) => {
            let settings = Settings::load(cli.config.as_deref(), &overrides(&args.dir))?;
            let cat = load_catalog(&settings)?;
            let problems = runtime()?.block_on(crate::db::admin::validate(
                &args.db.database_url,
                &settings.history_table,
                &cat,
            ))?;
            let mut out = String::new();
            for p in &problems {
                out.push_str(&format!(
                    "error[{}] {} (version {})\n",
                    p.problem, p.name, p.version
                ));
                if let Some(d) = &p.diff {
                    for l in d.lines() {
                        out.push_str(&format!("   | {l}\n"));
                    }
                }
            }
            out.push_str(&if problems.is_empty() {
                "valid: every applied migration matches its file\n".to_string()
            } else {
                format!("{} problem(s)\n", problems.len())
            });
            print(&out)?;
            Ok(i32::from(!problems.is_empty()))
        }
        Command::Repair(args) => {
            let settings = Settings::load(cli.config.as_deref(), &overrides(&args.dir))?;
            let cat = load_catalog(&settings)?;
            let done = runtime()?.block_on(crate::db::admin::repair(
                &args.db.database_url,
                &settings.history_table,
                &cat,
                &args.versions,
                settings.lock_wait,
            ))?;
            print(
                &done
                    .iter()
                    .map(|d| format!("repaired {d}\n"))
                    .collect::<String>(),
            )?;
            Ok(0)
        }
        Command::Baseline(args) => {
            let settings = Settings::load(cli.config.as_deref(), &overrides(&args.dir))?;
            runtime()?.block_on(crate::db::admin::baseline(
                &args.db.database_url,
                &settings.history_table,
                &args.version,
                settings.lock_wait,
            ))?;
            println!("baseline: the database is recorded as at version {}; migrations up to it will not run", args.version);
            Ok(0)
        }
        Command::Verify(args) => {
            let settings = Settings::load(cli.config.as_deref(), &overrides(&args.dir))?;
            let checks = runtime()?.block_on(crate::db::admin::verify(
                &args.db.database_url,
                &settings.history_table,
            ))?;
            let mut out = format!(
                "sqlgate verify: {}\n",
                crate::db::mask(&args.db.database_url)
            );
            for (what, ok, detail) in &checks {
                out.push_str(&format!(
                    "  [{}] {what}: {detail}\n",
                    if *ok { "ok" } else { "!!" }
                ));
            }
            print(&out)?;
            Ok(i32::from(checks.iter().any(|c| !c.1)))
        }
        Command::Create(args) => {
            let settings = Settings::load(cli.config.as_deref(), &overrides(&args.dir))?;
            let written = create::run(&settings, &args.name)?;
            let mut out = String::new();
            for p in written {
                out.push_str(&format!("created {}\n", p.display()));
            }
            print(&out)?;
            Ok(0)
        }
        Command::Ci(args) => {
            let mut o = overrides(&args.dir);
            args.gate.apply_to(&mut o);
            crate::ci::run(
                cli.config.as_deref(),
                crate::ci::CiOptions {
                    mode: args.command,
                    overrides: o,
                    environment: args.environment.filter(|e| !e.trim().is_empty()),
                    comment: args.comment,
                    database_url: args.database_url.filter(|u| !u.trim().is_empty()),
                    allow_fork_database: args.allow_fork_database,
                    deploy_branch: args.deploy_branch.filter(|b| !b.trim().is_empty()),
                    allow_out_of_order: args.allow_out_of_order,
                    report_file: args.report_file,
                },
            )
        }
        Command::Explain(args) => {
            if args.markdown {
                print(&rules_markdown())?;
            } else {
                print(&explain(args.rule.as_deref())?)?;
            }
            Ok(0)
        }
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the async runtime: {e}")))
}

pub(crate) fn load_catalog(settings: &Settings) -> Result<crate::catalog::Catalog, Error> {
    let files = crate::catalog::fs::read_dir(&settings.dir)?;
    Ok(crate::catalog::build(
        &files,
        &check::catalog_options(settings),
    ))
}

fn blockers_report(
    settings: &Settings,
    cat: &crate::catalog::Catalog,
    findings: Vec<crate::findings::Finding>,
) -> String {
    let mut rep = crate::findings::Report {
        dir: settings.dir_display.clone(),
        base: None,
        layout: cat.layout.as_str().into(),
        numbering: cat.numbering.as_str().into(),
        migrations: cat.migrations.len(),
        new_migrations: 0,
        fail_on: crate::findings::FailOn::Error,
        findings,
        replay: None,
    };
    rep.sort();
    report::text::render(&rep, false)
}

fn apply(config: Option<&std::path::Path>, args: ApplyArgs) -> Result<i32, Error> {
    let settings = Settings::load(config, &overrides(&args.dir))?;
    let cat = load_catalog(&settings)?;
    let opts = crate::db::apply::ApplyOptions {
        dry_run: args.dry_run,
        to: args.to.clone(),
        count: args.count,
        allow_out_of_order: args.allow_out_of_order,
        single_transaction: args.single_transaction,
        progress: std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
        lock_timeout: settings.lock_timeout,
        statement_timeout: settings.statement_timeout,
        lock_retries: args.lock_retries.unwrap_or(settings.lock_retries),
        lock_wait: match &args.lock_wait {
            Some(w) => crate::config::parse_duration(w)
                .map_err(|m| Error::Usage(format!("--lock-wait: {m}")))?
                .unwrap_or_default(),
            None => settings.lock_wait,
        },
        vars: settings.vars.clone(),
        git_commit: std::env::var("GITHUB_SHA").ok(),
        ci_run_url: match (
            std::env::var("GITHUB_SERVER_URL"),
            std::env::var("GITHUB_REPOSITORY"),
            std::env::var("GITHUB_RUN_ID"),
        ) {
            (Ok(s), Ok(r), Ok(id)) => Some(format!("{s}/{r}/actions/runs/{id}")),
            _ => None,
        },
    };
    println!(
        "sqlgate apply: {} → {}",
        settings.dir_display,
        crate::db::mask(&args.db.database_url)
    );
    let started = std::time::Instant::now();
    let rep = runtime()?.block_on(crate::db::apply::apply(
        &args.db.database_url,
        &settings.history_table,
        &cat,
        &settings.dir_display,
        &opts,
        &mut |line| println!("{line}"),
    ))?;
    finish_apply(&settings, &cat, &rep, args.dry_run, started)
}

/// Prints how an apply ended (blockers, interruption, failure, summary) and returns
/// the exit code. Shared by `apply` and `ci`.
pub(crate) fn finish_apply(
    settings: &Settings,
    cat: &crate::catalog::Catalog,
    rep: &crate::db::apply::ApplyReport,
    dry_run: bool,
    started: std::time::Instant,
) -> Result<i32, Error> {
    if !rep.blockers.is_empty() {
        print(&blockers_report(settings, cat, rep.blockers.clone()))?;
        eprintln!("sqlgate: nothing applied: fix the findings above first");
        return Ok(1);
    }
    if rep.interrupted && rep.failure.is_none() {
        eprintln!(
            "sqlgate: interrupted: {} migration(s) applied, {} not started; the lock is released",
            rep.applied.len(),
            rep.pending_after
        );
        return Ok(1);
    }
    if let Some(f) = &rep.failure {
        if rep.interrupted {
            eprintln!("sqlgate: interrupted by a signal: the running statement was cancelled on the server");
        }
        let what = match f.statements_done {
            Some(n) => format!(
                "it ran without a transaction: {n} statement(s) before the failing one stayed applied, and it is recorded as failed until `sqlgate repair`"
            ),
            None => "it was rolled back".to_string(),
        };
        eprintln!(
            "sqlgate: FAILED: {} at {}:{}:{}\n  {}\n{} migration(s) applied before it; {what}; {} later migration(s) not run.",
            f.migration,
            crate::catalog::display_path(&settings.dir_display, &f.file),
            f.line,
            f.column,
            f.message.replace('\n', "\n  "),
            rep.applied.len(),
            rep.pending_after.saturating_sub(1)
        );
        return Ok(1);
    }
    if dry_run {
        println!(
            "dry run: {} migration(s) would be applied; nothing changed",
            rep.pending_after
        );
    } else if rep.applied.is_empty() {
        println!("up to date: nothing to apply");
    } else {
        println!(
            "applied {} migration(s) in {} ms",
            rep.applied.len(),
            started.elapsed().as_millis()
        );
    }
    Ok(0)
}

fn status(config: Option<&std::path::Path>, args: StatusArgs) -> Result<i32, Error> {
    let settings = Settings::load(config, &overrides(&args.dir))?;
    let cat = load_catalog(&settings)?;
    let (lines, blockers) = runtime()?.block_on(crate::db::apply::status(
        &args.db.database_url,
        &settings.history_table,
        &cat,
        &settings.dir_display,
    ))?;
    let pending = lines.iter().filter(|l| l.state == "pending").count();
    match args.format {
        StatusFormat::Json => {
            let doc = serde_json::json!({
                "version": 1,
                "migrations": lines,
                "summary": {
                    "total": lines.len(),
                    "applied": lines.iter().filter(|l| l.state == "applied").count(),
                    "pending": pending,
                    "modified": lines.iter().filter(|l| l.state == "modified").count(),
                    "missing": lines.iter().filter(|l| l.state == "missing").count(),
                    "failed": lines.iter().filter(|l| l.state == "failed").count(),
                },
                "findings": blockers,
            });
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ))?;
        }
        StatusFormat::Text => {
            let mut out = format!(
                "MIGRATION STATUS  {}\n",
                crate::db::mask(&args.db.database_url)
            );
            for l in &lines {
                let mark = match l.state {
                    "applied" | "baseline" => "[x]",
                    "pending" => "[ ]",
                    _ => "[!]",
                };
                let when = match (&l.applied_at, l.execution_ms) {
                    (Some(at), Some(ms)) => format!("  {at}  {ms} ms"),
                    _ => String::new(),
                };
                out.push_str(&format!("  {mark} {:<50} {:<8}{when}\n", l.name, l.state));
            }
            out.push_str(&format!(
                "Total: {} | Applied: {} | Pending: {} | Problems: {}\n",
                lines.len(),
                lines
                    .iter()
                    .filter(|l| l.state == "applied" || l.state == "baseline")
                    .count(),
                pending,
                blockers.len()
            ));
            print(&out)?;
            if !blockers.is_empty() {
                print(&blockers_report(&settings, &cat, blockers))?;
            }
        }
    }
    Ok(i32::from(args.exit_code && pending > 0))
}

pub(crate) fn print(s: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // `sqlgate check | head` closing the pipe is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Io(format!("cannot write to standard output: {e}"))),
    }
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

/// The rule reference as markdown (`sqlgate explain --markdown`, docs/rules.md).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Rules\n\nGenerated by `sqlgate explain --markdown`; `sqlgate explain <rule>` prints one.\n\
         Severities are the defaults; change them in `sqlgate.toml` under `[rules]`\n\
         (`error`, `warning`, `info`, `off`). Silence one statement with\n\
         `-- sqlgate:ignore <rule> -- <reason>` on the line(s) above it, a whole file with\n\
         `-- sqlgate:ignore-file <rule> -- <reason>`.\n",
    );
    let mut category = "";
    for r in rules::all() {
        if r.category != category {
            category = r.category;
            out.push_str(&format!("\n## {category}\n"));
        }
        let default = if r.on {
            r.severity.as_str().to_string()
        } else {
            format!("off ({} when enabled)", r.severity.as_str())
        };
        out.push_str(&format!(
            "\n### `{}` — {default}\n\n{}\n\n**Why it matters.** {}\n\n**What to do.** {}\n\nFires on:\n\n```sql\n{}\n```\n\nDoes not fire on:\n\n```sql\n{}\n```\n",
            r.id, r.summary, r.why, r.fix, r.bad, r.good
        ));
    }
    out
}

/// The text of `sqlgate explain [rule]`.
pub fn explain(rule: Option<&str>) -> Result<String, Error> {
    let Some(id) = rule else {
        let mut out = String::from("Rules (sqlgate explain <rule> for details):\n\n");
        let mut category = "";
        for r in rules::all() {
            if r.category != category {
                category = r.category;
                out.push_str(&format!("{category}\n"));
            }
            let level = if r.on { r.severity.as_str() } else { "off" };
            out.push_str(&format!("  {:<36} {:<8} {}\n", r.id, level, r.summary));
        }
        return Ok(out);
    };
    if let Some(r) = rules::info(id) {
        let default = if r.on {
            format!("{} by default", r.severity.as_str())
        } else {
            format!("off by default; {} when enabled", r.severity.as_str())
        };
        return Ok(format!(
            "{} ({default}) — {}\n\n{}\n\nWhy it matters:\n{}\nWhat to do:\n{}\nFires on:\n{}\nDoes not fire on:\n{}\nConfigure in sqlgate.toml:\n    [rules]\n    {} = \"warning\"   # or \"error\", \"info\", \"off\"\nSilence for one file:\n    -- sqlgate:ignore-file {} -- <reason>\n",
            r.id,
            r.category,
            r.summary,
            indent(r.why),
            indent(r.fix),
            indent(r.bad),
            indent(r.good),
            r.id,
            r.id
        ));
    }
    if rules::PLANNED_RULES.contains(&id) {
        return Err(Error::Usage(format!(
            "`{id}` is a rule id of the sqlgate specification that this version does not check yet; `sqlgate explain` lists the rules it checks"
        )));
    }
    let hint = rules::closest(id)
        .map(|c| format!(" Did you mean `{c}`?"))
        .unwrap_or_default();
    Err(Error::Usage(format!(
        "unknown rule `{id}`.{hint} `sqlgate explain` lists all rules."
    )))
}
