//! Command-line interface: argument parsing (flags and `SQLGATE_*` variables via
//! clap), loading settings, and dispatching to `commands` and `ci`. Exit codes: 0 ok,
//! 1 findings at or above `--fail-on` or a failed migration, 2 usage or
//! configuration, 3 a database or GitHub out of reach.

use crate::commands;
use crate::config::{Overrides, Settings};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use sqlgate_core::model::{FailOn, Layout, Numbering};
use sqlgate_core::report::Format;
use sqlgate_core::Error;
use sqlgate_pg::admin::RollbackScope;
use std::path::PathBuf;

mod preview;
use preview::{preview, PreviewArgs};

/// A clap parser for one of the core's enums: its names as the possible values.
fn choice<T>(values: impl IntoIterator<Item = PossibleValue>) -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr<Err = String> + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(values).try_map(|s| s.parse::<T>())
}

fn layouts() -> impl TypedValueParser<Value = Layout> {
    choice(Layout::ALL.map(|l| PossibleValue::new(l.as_str()).help(l.description())))
}

fn numberings() -> impl TypedValueParser<Value = Numbering> {
    choice(Numbering::ALL.map(|n| PossibleValue::new(n.as_str()).help(n.description())))
}

fn fail_ons() -> impl TypedValueParser<Value = FailOn> {
    choice(FailOn::ALL.map(|f| PossibleValue::new(f.as_str())))
}

fn formats() -> impl TypedValueParser<Value = Format> {
    choice(Format::ALL.map(|f| PossibleValue::new(f.as_str())))
}

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
    /// Mark migrations as applied without running them (a database migrated before)
    Baseline(BaselineArgs),
    /// Take over a database another runner or tool migrated: import its history
    Adopt(AdoptArgs),
    /// Preview databases: one per pull request on a staging server
    Preview(PreviewArgs),
    /// List the fleet's targets, or print the GitHub Actions matrix that shards them
    Targets(TargetsArgs),
    /// Combine per-target apply reports into one
    Report(ReportArgs),
    /// Roll back every applied migration (all must have down SQL)
    Reset(ResetArgs),
    /// Reset, then apply every migration again
    Refresh(ResetArgs),
    /// Check the connection, server version, privileges and history table
    Verify(DbOnlyArgs),
    /// Write the next migration file in the directory's layout and numbering
    Create(CreateArgs),
    /// Rewrite the change's migrations into safe equivalents (never shipped ones)
    Fix(FixArgs),
    /// Print a rule's documentation, or list all rules
    Explain(ExplainArgs),
    /// Language server for editors (stdio): diagnostics for the migration directory's
    /// .sql files as you type, judged against the other migrations
    Lsp,
    /// Table sizes for the size-dependent rules (`check --stats`)
    Stats(StatsArgs),
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
    /// Keep the pull request's preview database (the same as `--command preview`)
    #[arg(long, env = "SQLGATE_PREVIEW", default_value = "false", value_name = "BOOL", action = clap::ArgAction::Set)]
    preview: bool,
    /// Copy each preview from this database (a snapshot sqlgate migrated)
    #[arg(long, env = "SQLGATE_PREVIEW_TEMPLATE", value_name = "DB")]
    preview_template: Option<String>,
    /// Where findings go: `commands` (workflow annotations, ten per level) or
    /// `check-run` (all of them, needs `checks: write`)
    #[arg(long, env = "SQLGATE_ANNOTATIONS", default_value = "commands", value_parser = ["commands", "check-run"])]
    annotations: String,
    /// On a pull request, post the fixes as review suggestions (needs `pull-requests: write`)
    #[arg(long, env = "SQLGATE_SUGGESTIONS", default_value = "false", value_name = "BOOL", action = clap::ArgAction::Set)]
    suggestions: bool,
    /// In a matrix job: the targets of this job (a matrix entry's `shard`)
    #[arg(long, env = "SQLGATE_SHARD", value_name = "SHARD")]
    shard: Option<String>,
    /// Only the fleet's targets of this wave (0 = canary)
    #[arg(long, env = "SQLGATE_WAVE", value_name = "W")]
    wave: Option<u32>,
    /// Where a shard's per-target reports go [default: $RUNNER_TEMP/sqlgate-reports]
    #[arg(long, env = "SQLGATE_REPORT_DIR", value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// The final job of a fleet deploy: merge the reports in DIR and post one comment
    #[arg(long, env = "SQLGATE_MERGE_REPORTS", value_name = "DIR")]
    merge_reports: Option<PathBuf>,
    /// The staging server for preview databases (`command: preview`), from a secret
    #[arg(
        long,
        env = "SQLGATE_PREVIEW_SERVER_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    preview_server_url: Option<String>,
}

/// What decides a check's verdict; shared by `check` and `ci`.
#[derive(Debug, Args)]
struct GateArgs {
    /// Lowest severity that makes the exit code 1 [default: error]
    #[arg(long, env = "SQLGATE_FAIL_ON", value_parser = fail_ons(), value_name = "LEVEL")]
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
    /// A size snapshot (`sqlgate stats export`): lock, rewrite and scan findings on
    /// small tables become info, and every one names its table's size
    #[arg(long, env = "SQLGATE_STATS", value_name = "FILE")]
    stats: Option<PathBuf>,
}

impl GateArgs {
    fn apply_to(&self, o: &mut Overrides) {
        o.fail_on = self.fail_on;
        o.require_down = self.require_down;
        o.scratch = self.scratch.clone();
        o.stats = self.stats.clone();
    }
}

#[derive(Debug, Args)]
struct DirArgs {
    /// Migration directory [default: migrations]
    #[arg(long, env = "SQLGATE_DIR", value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Force a layout instead of detecting it
    #[arg(long, env = "SQLGATE_LAYOUT", value_parser = layouts())]
    layout: Option<Layout>,
    /// Force a numbering policy instead of detecting it
    #[arg(long, env = "SQLGATE_NUMBERING", value_parser = numberings())]
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
    #[arg(long, env = "SQLGATE_FORMAT", value_parser = formats())]
    format: Option<Format>,
    #[command(flatten)]
    gate: GateArgs,
    /// Write the report to this file instead of standard output
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// As a pre-commit hook: judge the FILES given (the staged ones) — against
    /// `base` when sqlgate.toml sets one; files outside the directory are ignored
    #[arg(long)]
    pre_commit: bool,
    /// With --pre-commit: the changed files
    #[arg(value_name = "FILES", requires = "pre_commit")]
    files: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct DbArgs {
    /// Database connection: URL or key=value string [env: DATABASE_URL]
    #[arg(long, env = "DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
}

impl DbArgs {
    /// The connection string, or what to do when there is none.
    fn url(&self) -> Result<&str, Error> {
        self.database_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| {
                Error::Usage(
                    "no database given: pass --database-url or set DATABASE_URL (a URL such as postgres://user@host/db, or key=value pairs)".into(),
                )
            })
    }
}

#[derive(Debug, Args)]
struct ApplyArgs {
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
    /// Print the plan and the SQL; change nothing
    #[arg(long, env = "SQLGATE_DRY_RUN")]
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
    /// Apply only this migration (a version or a file name); below an applied
    /// version it needs --allow-out-of-order
    #[arg(long, value_name = "VERSION|FILE", conflicts_with_all = ["to", "count"])]
    only: Option<String>,
    /// Apply to a database that has tables but no sqlgate history (instead of
    /// `sqlgate adopt` or `baseline`)
    #[arg(long, env = "SQLGATE_ALLOW_EXISTING_SCHEMA")]
    allow_existing_schema: bool,
    #[command(flatten)]
    fleet: TargetSel,
    /// With targets: how many to apply at once
    #[arg(long, default_value_t = 1, value_name = "N")]
    jobs: usize,
    /// With targets: start no new target after one failed
    #[arg(long)]
    fail_fast: bool,
    /// With targets: write each target's report to DIR/<target>.json
    #[arg(long, value_name = "DIR")]
    report_dir: Option<PathBuf>,
    /// How long to wait for another runner's lock, e.g. 30s, 10m [default: 10m]
    #[arg(long, env = "SQLGATE_LOCK_WAIT", value_name = "DURATION")]
    lock_wait: Option<String>,
    /// Retries of a migration that hit lock_timeout [default: 3]
    #[arg(long, env = "SQLGATE_LOCK_RETRIES", value_name = "N")]
    lock_retries: Option<u32>,
    #[command(flatten)]
    preflight: PreflightArgs,
}

/// The pre-flight's flags, shared by `apply` and `rollback`.
#[derive(Debug, Args)]
struct PreflightArgs {
    /// Run past one rule that otherwise stops the run before anything happens
    /// (repeatable), e.g. --allow transaction-control
    #[arg(long = "allow", value_name = "RULE")]
    allow: Vec<String>,
    /// Format of the findings that stop the run
    #[arg(long, env = "SQLGATE_FORMAT", value_parser = formats())]
    format: Option<Format>,
}

#[derive(Debug, Args)]
struct StatusArgs {
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    fleet: TargetSel,
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
    /// Print what would be rolled back and the SQL; change nothing
    #[arg(long, env = "SQLGATE_DRY_RUN")]
    dry_run: bool,
    /// Roll back only this migration (a version or a file name); with newer ones
    /// applied it needs --allow-out-of-order
    #[arg(long, value_name = "VERSION|FILE", conflicts_with_all = ["count", "to", "batch"])]
    only: Option<String>,
    /// Roll back one migration while newer ones stay applied (--only)
    #[arg(long)]
    allow_out_of_order: bool,
    #[command(flatten)]
    preflight: PreflightArgs,
}

#[derive(Debug, Args)]
struct DbOnlyArgs {
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct StatsArgs {
    #[command(subcommand)]
    action: StatsAction,
}

#[derive(Debug, Subcommand)]
enum StatsAction {
    /// Write a size snapshot of a database (run it against production or a replica,
    /// with a read-only role): table names, row estimates, sizes and write rates —
    /// never a row's values, a role or a connection detail
    Export(StatsExportArgs),
}

#[derive(Debug, Args)]
struct StatsExportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Write the snapshot here instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct RepairArgs {
    /// Versions to repair
    #[arg(required = true, value_name = "VERSION")]
    versions: Vec<String>,
    /// Forget these versions: remove their history rows and run nothing (a
    /// record-only rollback, as seed 001's `rollback` does). The schema keeps what
    /// they made; the next apply runs them again
    #[arg(long)]
    forget: bool,
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct BaselineArgs {
    /// The version the database is already at (every migration up to it is recorded),
    /// or several versions: exactly those are recorded
    #[arg(required = true, value_name = "VERSION")]
    versions: Vec<String>,
    /// Record versions that have no migration file (as placeholders)
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct AdoptArgs {
    /// The other tool's history table (`table` or `schema.table`) [default: the one found]
    #[arg(long, value_name = "TABLE")]
    from: Option<String>,
    /// Show how its records map to the files; change nothing
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
}

/// Which targets of the fleet (`[targets.<name>]`) a run is about.
#[derive(Debug, Args)]
struct TargetSel {
    /// Apply to (or show) this target of the fleet
    #[arg(long, value_name = "NAME")]
    target: Option<String>,
    /// These targets, comma-separated
    #[arg(long, value_name = "A,B")]
    targets: Option<String>,
    /// A matrix entry's `shard` value (comma-separated targets)
    #[arg(long, env = "SQLGATE_SHARD", value_name = "SHARD")]
    shard: Option<String>,
    /// Every target
    #[arg(long)]
    all_targets: bool,
    /// Only the targets of this wave (0 = canary)
    #[arg(long, value_name = "W")]
    wave: Option<u32>,
}

impl TargetSel {
    fn selection(&self) -> commands::fleet::Selection {
        let mut names = Vec::new();
        for list in [&self.target, &self.targets, &self.shard]
            .into_iter()
            .flatten()
        {
            names.extend(sqlgate_core::fleet::names(list));
        }
        commands::fleet::Selection {
            names,
            all: self.all_targets,
            wave: self.wave,
        }
    }
}

#[derive(Debug, Args)]
struct TargetsArgs {
    /// text, json, or matrix (`{"include": [{"shard": …, "wave": …}]}` for `strategy.matrix`)
    #[arg(long, default_value = "text", value_parser = ["text", "json", "matrix"])]
    format: String,
    /// Targets per matrix job
    #[arg(long, default_value_t = 1, value_name = "N")]
    per_job: usize,
    /// Only this wave
    #[arg(long, value_name = "W")]
    wave: Option<u32>,
}

#[derive(Debug, Args)]
struct ReportArgs {
    #[command(subcommand)]
    action: ReportAction,
}

#[derive(Debug, Subcommand)]
enum ReportAction {
    /// Merge `<target>.json` apply reports (files or directories) into one
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// Report files, or directories of them
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// text, json or markdown
    #[arg(long, value_parser = formats())]
    format: Option<Format>,
}

#[derive(Debug, Args)]
struct ResetArgs {
    /// Run also in CI or on an environment marked protected in sqlgate.toml
    #[arg(long)]
    allow_protected: bool,
    /// The environment this database is (checked against `protected_environments`)
    #[arg(long, env = "SQLGATE_ENVIRONMENT", value_name = "NAME")]
    environment: Option<String>,
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    preflight: PreflightArgs,
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
struct FixArgs {
    #[command(flatten)]
    dir: DirArgs,
    /// The branch the shipped migrations are on (only the others are rewritten)
    #[arg(long, env = "SQLGATE_BASE", value_name = "REF")]
    base: Option<String>,
    /// Print the diff and write nothing (exit 1 when something would change)
    #[arg(long)]
    dry_run: bool,
    /// Prove each fix: replay the original and the fixed change on a throwaway
    /// database (`auto` or a server URL) and compare the schemas they build
    #[arg(
        long,
        env = "SQLGATE_SCRATCH",
        value_name = "auto|URL",
        hide_env_values = true
    )]
    scratch: Option<String>,
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

/// The directory's overrides and `--base`.
fn based(dir: &DirArgs, base: &Option<String>) -> Overrides {
    let base = base.clone();
    Overrides {
        base,
        ..overrides(dir)
    }
}

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> i32 {
    crate::config::env::forget_empty();
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
            crate::app::eprint(&format!("sqlgate: error: {e}\n"));
            e.exit_code()
        }
    }
}

fn run(cli: Cli) -> Result<i32, Error> {
    let config = cli.config.as_deref();
    let load = |o: &Overrides| Settings::load(config, o);
    match cli.command {
        Command::Check(args) => {
            let mut o = based(&args.dir, &args.base);
            o.format = args.format;
            args.gate.apply_to(&mut o);
            if args.pre_commit {
                return commands::check::pre_commit(&load(&o)?, &args.files);
            }
            commands::check::run(&load(&o)?, args.all, args.output.as_ref())
        }
        Command::Apply(args) => apply(config, args),
        Command::Status(args) if args.fleet.selection().any() => commands::fleet::status(
            &load(&overrides(&args.dir))?,
            &args.fleet.selection(),
            args.exit_code,
        ),
        Command::Status(args) => commands::status::run(
            &load(&overrides(&args.dir))?,
            args.db.url()?,
            match args.format {
                StatusFormat::Text => commands::status::Format::Text,
                StatusFormat::Json => commands::status::Format::Json,
            },
            args.exit_code,
        ),
        Command::Rollback(args) => rollback(config, args),
        Command::Validate(args) => {
            commands::validate::run(&load(&overrides(&args.dir))?, args.db.url()?)
        }
        Command::Repair(args) => commands::repair::run(
            &load(&overrides(&args.dir))?,
            args.db.url()?,
            &args.versions,
            args.forget,
        ),
        Command::Baseline(args) => commands::baseline::run(
            &load(&overrides(&args.dir))?,
            args.db.url()?,
            &args.versions,
            args.force,
        ),
        Command::Verify(args) => {
            commands::verify::run(&load(&overrides(&args.dir))?, args.db.url()?)
        }
        Command::Adopt(args) => commands::adopt::run(
            &load(&overrides(&args.dir))?,
            args.db.url()?,
            args.from.as_deref(),
            args.dry_run,
        ),
        Command::Preview(args) => preview(config, args),
        Command::Targets(args) => commands::fleet::targets(
            &load(&Overrides::default())?,
            &args.format,
            args.per_job,
            args.wave,
        ),
        Command::Report(args) => match args.action {
            ReportAction::Merge(m) => {
                commands::fleet::merge(&m.paths, m.format.unwrap_or(Format::Text))
            }
        },
        Command::Reset(args) => reset(config, args, false),
        Command::Refresh(args) => reset(config, args, true),
        Command::Create(args) => commands::create::run(&load(&overrides(&args.dir))?, &args.name),
        Command::Fix(a) => {
            let o = Overrides {
                scratch: a.scratch,
                ..based(&a.dir, &a.base)
            };
            commands::fix::run(&load(&o)?, a.dry_run)
        }
        Command::Ci(args) => ci(config, args),
        Command::Explain(args) => commands::explain::run(args.rule.as_deref(), args.markdown),
        Command::Lsp => commands::lsp::run(config),
        Command::Stats(args) => match args.action {
            StatsAction::Export(e) => commands::stats::export(e.db.url()?, e.output.as_deref()),
        },
    }
}

fn apply(config: Option<&std::path::Path>, args: ApplyArgs) -> Result<i32, Error> {
    let load = |o: &Overrides| Settings::load(config, o);
    if args.fleet.selection().any() {
        let mut o = overrides(&args.dir);
        o.format = args.preflight.format;
        return commands::fleet::apply(
            &load(&o)?,
            &args.fleet.selection(),
            &commands::fleet::ApplyArgs {
                dry_run: args.dry_run,
                to: args.to,
                count: args.count,
                jobs: args.jobs,
                fail_fast: args.fail_fast,
                report_dir: args.report_dir,
                allow: args.preflight.allow,
                allow_out_of_order: args.allow_out_of_order,
            },
        );
    }
    let mut o = overrides(&args.dir);
    o.format = args.preflight.format;
    commands::apply::run(
        &load(&o)?,
        args.db.url()?,
        &commands::apply::Options {
            dry_run: args.dry_run,
            to: args.to,
            count: args.count,
            allow_out_of_order: args.allow_out_of_order,
            single_transaction: args.single_transaction,
            lock_wait: args.lock_wait,
            lock_retries: args.lock_retries,
            allow: args.preflight.allow,
            only: args.only,
            allow_existing_schema: args.allow_existing_schema,
        },
    )
}

fn rollback(config: Option<&std::path::Path>, args: RollbackArgs) -> Result<i32, Error> {
    let load = |o: &Overrides| Settings::load(config, o);
    let scope = match (&args.only, &args.to, args.batch, args.count) {
        (Some(o), ..) => RollbackScope::Only {
            migration: o.clone(),
            allow_out_of_order: args.allow_out_of_order,
        },
        (None, Some(v), _, _) => RollbackScope::To(v.clone()),
        (None, None, true, _) => RollbackScope::LastBatch,
        (None, None, false, n) => RollbackScope::Count(n.unwrap_or(1)),
    };
    let mut o = overrides(&args.dir);
    o.format = args.preflight.format;
    commands::rollback::run(
        &load(&o)?,
        args.db.url()?,
        scope,
        args.dry_run,
        &args.preflight.allow,
    )
}

fn ci(config: Option<&std::path::Path>, args: CiArgs) -> Result<i32, Error> {
    let mut o = overrides(&args.dir);
    args.gate.apply_to(&mut o);
    o.preview_template = args.preview_template.clone();
    crate::ci::run(
        config,
        crate::ci::CiOptions {
            mode: if args.preview && args.command == crate::ci::Mode::Auto {
                crate::ci::Mode::Preview
            } else {
                args.command
            },
            overrides: o,
            environment: args.environment.filter(|e| !e.trim().is_empty()),
            comment: args.comment,
            database_url: args.database_url.filter(|u| !u.trim().is_empty()),
            allow_fork_database: args.allow_fork_database,
            deploy_branch: args.deploy_branch.filter(|b| !b.trim().is_empty()),
            allow_out_of_order: args.allow_out_of_order,
            report_file: args.report_file,
            preview_server: args.preview_server_url.filter(|u| !u.trim().is_empty()),
            shard: args.shard.filter(|s| !s.trim().is_empty()),
            wave: args.wave,
            report_dir: args.report_dir,
            merge_reports: args.merge_reports,
            check_run: args.annotations == "check-run",
            suggestions: args.suggestions,
        },
    )
}

/// `reset`, or `refresh` (reset then apply).
fn reset(config: Option<&std::path::Path>, args: ResetArgs, refresh: bool) -> Result<i32, Error> {
    let mut o = overrides(&args.dir);
    o.format = args.preflight.format;
    commands::reset::run(
        &Settings::load(config, &o)?,
        args.db.url()?,
        &commands::reset::Options {
            refresh,
            allow_protected: args.allow_protected,
            environment: args.environment,
            allow: args.preflight.allow,
        },
    )
}
