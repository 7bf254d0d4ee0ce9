//! `sqlgate preview up|down|list|gc`: its arguments and how they reach
//! `commands::preview`.

use super::*;

#[derive(Debug, Args)]
pub(super) struct PreviewArgs {
    #[command(subcommand)]
    action: PreviewAction,
}

#[derive(Debug, Subcommand)]
enum PreviewAction {
    /// Make the preview database exist and match the migrations (create, update or rebuild)
    Up(PreviewUpArgs),
    /// Drop the preview database (only one sqlgate marked as a preview)
    Down(PreviewDownArgs),
    /// List the preview databases on the server
    List(PreviewListArgs),
    /// Drop this project's previews (the `[preview] prefix`) older than a limit, and
    /// builds killed runs left behind
    Gc(PreviewGcArgs),
}

#[derive(Debug, Args)]
struct PreviewWhich {
    /// The pull request's number: the preview is `<prefix>_pr_<N>`
    #[arg(long, value_name = "N")]
    pr: Option<u64>,
    /// The preview's database name instead (letters, digits, `_`)
    #[arg(long, value_name = "NAME", conflicts_with = "pr")]
    name: Option<String>,
}

#[derive(Debug, Args)]
struct PreviewUpArgs {
    #[command(flatten)]
    which: PreviewWhich,
    /// Copy this database (a snapshot sqlgate migrated) instead of starting empty
    #[arg(long, env = "SQLGATE_PREVIEW_TEMPLATE", value_name = "DB")]
    template: Option<String>,
    /// The base branch: the report's schema diff is taken against its migrations
    #[arg(long, env = "SQLGATE_BASE", value_name = "REF")]
    base: Option<String>,
    /// Print the preview's connection string (with its password) as the last line
    #[arg(long)]
    print_url: bool,
    /// How long to wait for another run on the same preview [default: lock_wait]
    #[arg(long, value_name = "DURATION")]
    lock_wait: Option<String>,
    #[command(flatten)]
    dir: DirArgs,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    preflight: PreflightArgs,
}

#[derive(Debug, Args)]
struct PreviewDownArgs {
    #[command(flatten)]
    which: PreviewWhich,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct PreviewListArgs {
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    format: StatusFormat,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Debug, Args)]
struct PreviewGcArgs {
    /// Drop previews built longer ago than this, e.g. 7d, 48h
    #[arg(long, value_name = "DURATION")]
    older_than: Option<String>,
    #[command(flatten)]
    db: DbArgs,
}

/// `sqlgate preview …`.
pub(super) fn preview(config: Option<&std::path::Path>, args: PreviewArgs) -> Result<i32, Error> {
    use commands::preview as p;
    match args.action {
        PreviewAction::Up(a) => {
            let mut o = overrides(&a.dir);
            o.format = a.preflight.format;
            o.base = a.base.clone();
            o.preview_template = a.template.clone();
            p::up(
                &Settings::load(config, &o)?,
                a.db.url()?,
                &p::UpArgs {
                    pr: a.which.pr,
                    name: a.which.name,
                    print_url: a.print_url,
                    lock_wait: a.lock_wait,
                    allow: a.preflight.allow,
                },
            )
        }
        PreviewAction::Down(a) => p::down(
            &Settings::load(config, &Overrides::default())?,
            a.db.url()?,
            a.which.pr,
            a.which.name.as_deref(),
        ),
        PreviewAction::List(a) => p::list(a.db.url()?, matches!(a.format, StatusFormat::Json)),
        PreviewAction::Gc(a) => p::gc(
            &Settings::load(config, &Overrides::default())?,
            a.db.url()?,
            a.older_than.as_deref(),
        ),
    }
}
