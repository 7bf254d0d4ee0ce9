//! Configuration: `sqlgate.toml`, `SQLGATE_*` environment variables and flags, with
//! flags > environment > file, resolved into [`Settings`] once per run. Unknown keys and bad values are errors naming the file,
//! line and key. Settings used by later commands are validated here too.

use serde::Deserialize;
use sqlgate_core::model::{FailOn, Layout, Numbering, OutOfOrder, Severity};
use sqlgate_core::report::Format;
use sqlgate_core::rules::{self, registry};
use sqlgate_core::Error;
use sqlgate_pg::replay::Scratch;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use toml::Spanned;

pub mod env;
mod policy;
mod trust;

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_FILE: &str = "sqlgate.toml";

/// `[targets]`: the static targets, the query and the control variable.
#[allow(clippy::type_complexity)]
fn parse_targets(
    t: Option<&toml::Table>,
) -> Result<
    (
        Vec<sqlgate_core::fleet::Target>,
        Option<String>,
        Option<String>,
        Vec<String>,
    ),
    String,
> {
    use sqlgate_core::fleet;
    let mut targets = Vec::new();
    let (mut query, mut control) = (None, None);
    let mut allow = Vec::new();
    let Some(t) = t else {
        return Ok((targets, query, control, allow));
    };
    let env_name = |key: &str, v: &str| {
        let ok = !v.is_empty()
            && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !v.starts_with(|c: char| c.is_ascii_digit());
        if ok {
            Ok(v.to_string())
        } else {
            Err(format!("`{key}`: `{v}` is not an environment variable name (the URL itself never goes in the file)"))
        }
    };
    for (k, v) in t {
        match (k.as_str(), v) {
            ("query", toml::Value::String(q)) => query = Some(q.clone()),
            ("control_url_env", toml::Value::String(e)) => control = Some(env_name("targets.control_url_env", e)?),
            ("url_env_allow", toml::Value::Array(items)) => {
                for item in items {
                    let toml::Value::String(p) = item else {
                        return Err("`targets.url_env_allow` is a list of variable names or patterns such as \"TENANT_*_URL\"".into());
                    };
                    let ok = !p.is_empty()
                        && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '*')
                        && p.chars().any(|c| c != '*');
                    if !ok {
                        return Err(format!("`targets.url_env_allow`: `{}` is not a variable name or pattern (letters, digits, `_` and `*`; not `*` alone)", p.escape_debug()));
                    }
                    allow.push(p.clone());
                }
            }
            (name, toml::Value::Table(tt)) => {
                fleet::check_name(name).map_err(|m| format!("`targets.{name}`: {m}"))?;
                let mut target = fleet::Target {
                    name: name.to_string(),
                    url_env: None,
                    schema: None,
                    wave: 1,
                    environment: None,
                };
                for (key, val) in tt {
                    let at = format!("targets.{name}.{key}");
                    match (key.as_str(), val) {
                        ("database_url_env", toml::Value::String(e)) => target.url_env = Some(env_name(&at, e)?),
                        ("schema", toml::Value::String(s)) => {
                            fleet::check_schema(s).map_err(|m| format!("`{at}`: {m}"))?;
                            target.schema = Some(s.clone());
                        }
                        ("wave", toml::Value::Integer(w)) if (0..=1000).contains(w) => target.wave = *w as u32,
                        ("environment", toml::Value::String(e)) => target.environment = Some(e.clone()),
                        ("database_url" | "url", _) => {
                            return Err(format!("`{at}`: URLs and passwords never live in sqlgate.toml: name the environment variable that holds it with `database_url_env`"))
                        }
                        _ => return Err(format!("`{at}` is not a target setting (database_url_env, schema, wave 0–1000, environment)")),
                    }
                }
                if target.url_env.is_none() && target.schema.is_none() {
                    return Err(format!("`targets.{name}` needs `database_url_env` (or a `schema` in the control database)"));
                }
                targets.push(target);
            }
            _ => return Err(format!("`targets.{k}` is not understood: `[targets.<name>]` tables, `query`, `control_url_env` and `url_env_allow`")),
        }
    }
    if query.is_some() && control.is_none() {
        return Err("`targets.query` needs `targets.control_url_env`: the variable holding the control database's URL".into());
    }
    Ok((targets, query, control, allow))
}

/// The environments `reset`/`refresh` protect when `protected_environments` is not set.
pub const DEFAULT_PROTECTED: &[&str] = &["production", "prod", "live"];

/// `sqlgate.toml` as written. Every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    dir: Option<String>,
    layout: Option<Spanned<String>>,
    numbering: Option<Spanned<String>>,
    require_down: Option<bool>,
    out_of_order: Option<Spanned<String>>,
    fail_on: Option<FailOn>,
    format: Option<Format>,
    base: Option<String>,
    pg_version: Option<Spanned<i64>>,
    history_table: Option<Spanned<String>>,
    lock_timeout: Option<Spanned<String>>,
    statement_timeout: Option<Spanned<String>>,
    lock_retries: Option<Spanned<i64>>,
    lock_wait: Option<Spanned<String>>,
    max_file_size: Option<Spanned<String>>,
    environment: Option<String>,
    protected_environments: Option<Vec<String>>,
    scratch: Option<String>,
    /// With `scratch = "auto"`: a directory keeping the private server with the
    /// shipped state between runs (`SQLGATE_SCRATCH_CACHE`).
    scratch_cache: Option<String>,
    scratch_extensions: Option<Vec<Spanned<String>>>,
    /// A size snapshot (`sqlgate stats export`), relative to the file's folder, or
    /// `[stats]` with the file and the thresholds.
    stats: Option<StatsFile>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
    #[serde(default)]
    rules: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    preview: PreviewFile,
    #[serde(default)]
    sandbox: SandboxFile,
    /// `[policy]`: team policies (nothing runs unless configured).
    #[serde(default)]
    policy: policy::PolicyFile,
    /// `[targets.<name>]` tables, and `query` / `control_url_env`.
    targets: Option<toml::Table>,
}

/// `stats = "FILE"`, or a `[stats]` table.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum StatsFile {
    Path(String),
    Table(StatsTable),
}

/// `[stats]` in sqlgate.toml: the snapshot and what counts as small and large.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatsTable {
    file: Option<String>,
    small_table_rows: Option<i64>,
    small_table_size: Option<String>,
    large_table_rows: Option<i64>,
    large_table_size: Option<String>,
    rewrite_mb_per_s: Option<f64>,
    index_mb_per_s: Option<f64>,
    scan_mb_per_s: Option<f64>,
    max_age: Option<String>,
    replay_rows: Option<i64>,
}

/// `[preview]` in sqlgate.toml.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewFile {
    prefix: Option<Spanned<String>>,
    max: Option<Spanned<i64>>,
    template: Option<String>,
}

/// `[sandbox]` in sqlgate.toml: bounds on pull-request SQL (replay, previews).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SandboxFile {
    statement_timeout: Option<Spanned<String>>,
    temp_file_limit: Option<Spanned<String>>,
    deadline: Option<Spanned<String>>,
}

/// Values given on the command line or in `SQLGATE_*` variables (clap merges those two).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub dir: Option<PathBuf>,
    pub layout: Option<Layout>,
    pub numbering: Option<Numbering>,
    pub require_down: Option<bool>,
    pub fail_on: Option<FailOn>,
    pub format: Option<Format>,
    pub base: Option<String>,
    pub vars: Vec<String>,
    /// `--scratch auto|<url>|none`.
    pub scratch: Option<String>,
    /// `preview up --template` / `SQLGATE_PREVIEW_TEMPLATE`.
    pub preview_template: Option<String>,
    /// `--stats FILE` / `SQLGATE_STATS`.
    pub stats: Option<PathBuf>,
}

/// The effective settings of a run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The migration directory to read.
    pub dir: PathBuf,
    /// The directory as shown in reports.
    pub dir_display: String,
    pub layout: Option<Layout>,
    pub numbering: Option<Numbering>,
    pub require_down: bool,
    /// `out_of_order`; `None`: the numbering's default (`OutOfOrder::default_for`).
    pub out_of_order: Option<OutOfOrder>,
    pub fail_on: FailOn,
    pub format: Format,
    pub base: Option<String>,
    pub pg_version: u32,
    pub history_table: String,
    pub lock_timeout: Option<Duration>,
    pub statement_timeout: Option<Duration>,
    pub lock_retries: u32,
    pub lock_wait: Duration,
    /// Migration files larger than this are not read (`unreadable-file`).
    pub max_file_size: u64,
    pub environment: Option<String>,
    /// Environments `reset` and `refresh` refuse without `--allow-protected`.
    pub protected_environments: Vec<String>,
    /// Preview databases: name prefix, how many may exist, the template to copy
    /// (trusted: never from a pull request's own sqlgate.toml).
    pub preview_prefix: String,
    pub preview_max: Option<usize>,
    pub preview_template: Option<String>,
    /// The fleet (`[targets.<name>]`); URLs live in environment variables only.
    pub targets: Vec<sqlgate_core::fleet::Target>,
    /// Dynamic fleets: a query run on the control database, and the variable holding
    /// that database's URL.
    pub targets_query: Option<String>,
    pub targets_control_env: Option<String>,
    /// `[targets] url_env_allow`: the variables a control database's row may name.
    pub targets_url_env_allow: Vec<String>,
    /// Where `check` replays the migrations, if anywhere.
    pub scratch: Option<Scratch>,
    /// With `auto`: where the private server with the shipped state is kept between
    /// runs (trusted).
    pub scratch_cache: Option<PathBuf>,
    /// Extensions created by the scratch server's administrator before a replay.
    pub scratch_extensions: Vec<String>,
    /// Bounds on pull-request SQL in the replay and preview builds (`[sandbox]`).
    pub sandbox: sqlgate_pg::guard::Bounds,
    pub vars: BTreeMap<String, String>,
    pub rules: rules::Overrides,
    /// `[policy]`: the team's schema-design policies.
    pub policy: rules::policy::Policy,
    /// A size snapshot for the size-dependent rules (`--stats`, `stats`).
    pub stats: Option<PathBuf>,
    /// What counts as small and large, the throughputs of estimates, and the age
    /// after which a snapshot is old (`[stats]`).
    pub stats_limits: (sqlgate_core::sizes::Thresholds, Duration),
}

fn line_of(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// Parses a duration such as `5s`, `500ms`, `10m`, `1h`; `off` or `0` mean none.
pub fn parse_duration(s: &str) -> Result<Option<Duration>, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("off") || t == "0" {
        return Ok(None);
    }
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().map_err(|_| {
        format!("`{s}` is not a duration (use e.g. `5s`, `500ms`, `10m`, or `off`)")
    })?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "s" | "" => Duration::from_secs(n),
        "m" | "min" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        "d" => Duration::from_secs(n.saturating_mul(86_400)),
        _ => return Err(format!("`{s}` has an unknown unit (use ms, s, m, h or d)")),
    };
    Ok(if d.is_zero() { None } else { Some(d) })
}

/// The default `max_file_size`: far above any real migration (the largest in the
/// corpora is under 1 MB), low enough that a hostile file cannot exhaust memory.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 64 << 20;

/// Parses a size such as `64MiB`, `100MB`, `512KiB` or a number of bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size (use e.g. `64MiB`, `100MB` or bytes)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "kib" | "k" => 1 << 10,
        "mb" => 1_000_000,
        "mib" | "m" => 1 << 20,
        "gb" => 1_000_000_000,
        "gib" | "g" => 1 << 30,
        _ => {
            return Err(format!(
                "`{s}` has an unknown unit (use B, KiB, MiB, GiB, KB, MB or GB)"
            ))
        }
    };
    n.checked_mul(factor)
        .filter(|&b| b > 0)
        .ok_or_else(|| format!("`{s}` is not a usable size"))
}

/// A placeholder's name: `NAME` (for `${NAME}`, `:NAME`), or the text of a
/// `{{ … }}` template placeholder (`index .Options "Namespace"`).
fn valid_var_name(n: &str) -> bool {
    let mut chars = n.chars();
    let plain = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    plain || sqlgate_core::catalog::text::is_template_name(n)
}

/// Validates a history table name: `table` or `schema.table`, each part 1–63 bytes.
pub fn validate_table_name(name: &str) -> Result<(), String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2
        || parts
            .iter()
            .any(|p| p.is_empty() || p.len() > 63 || p.contains(['"', '\0']))
    {
        return Err(format!(
            "`{name}` is not a table name: use `table` or `schema.table`, each part 1 to 63 bytes, without quotes"
        ));
    }
    Ok(())
}

impl Settings {
    /// Reads the configuration file (the given one, or `sqlgate.toml` in the working
    /// directory when present) and applies flag/environment overrides.
    pub fn load(config: Option<&Path>, cli: &Overrides) -> Result<Settings, Error> {
        let (file, path) = match config {
            Some(p) => {
                let src = std::fs::read_to_string(p).map_err(|e| {
                    Error::Usage(format!(
                        "cannot read the configuration file `{}`: {e}",
                        p.display()
                    ))
                })?;
                (Some(src), Some(p.to_path_buf()))
            }
            None => {
                let p = Path::new(DEFAULT_FILE);
                match std::fs::read_to_string(p) {
                    Ok(src) => (Some(src), Some(p.to_path_buf())),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, None),
                    Err(e) => {
                        return Err(Error::Usage(format!("cannot read `{DEFAULT_FILE}`: {e}")));
                    }
                }
            }
        };
        let (fc, src) = match &file {
            Some(src) => {
                let shown = path
                    .as_deref()
                    .unwrap_or(Path::new(DEFAULT_FILE))
                    .display()
                    .to_string();
                let fc: FileConfig = toml::from_str(src)
                    .map_err(|e| Error::Usage(format!("{shown}: {}", e.to_string().trim_end())))?;
                (fc, src.as_str())
            }
            None => (FileConfig::default(), ""),
        };
        Settings::resolve(fc, src, path, cli)
    }

    fn resolve(
        fc: FileConfig,
        src: &str,
        path: Option<PathBuf>,
        cli: &Overrides,
    ) -> Result<Settings, Error> {
        let shown = path
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| DEFAULT_FILE.into());
        let r = Resolver { shown, src };
        let (dir, dir_display) = resolve_dir(cli, &fc, path.as_deref());
        let (targets, targets_query, targets_control_env, targets_url_env_allow) =
            parse_targets(fc.targets.as_ref())
                .map_err(|m| Error::Usage(format!("{}: {m}", r.shown)))?;
        Ok(Settings {
            dir,
            dir_display,
            layout: r.choice(cli.layout, &fc.layout, "layout")?,
            numbering: r.choice(cli.numbering, &fc.numbering, "numbering")?,
            require_down: cli.require_down.or(fc.require_down).unwrap_or(false),
            out_of_order: r.choice(None, &fc.out_of_order, "out_of_order")?,
            fail_on: cli.fail_on.or(fc.fail_on).unwrap_or(FailOn::Error),
            format: cli.format.or(fc.format).unwrap_or(Format::Text),
            base: cli
                .base
                .clone()
                .or(fc.base.clone())
                .filter(|b| !b.is_empty()),
            pg_version: r.number(fc.pg_version, "pg_version", 10..=18, 15, |n| {
                format!("{n} is not a supported PostgreSQL major version (10 to 18)")
            })?,
            history_table: match &fc.history_table {
                Some(t) => {
                    validate_table_name(t.get_ref())
                        .map_err(|m| r.bad(t.span(), "history_table", m))?;
                    t.get_ref().clone()
                }
                None => "public.sqlgate_migrations".into(),
            },
            lock_timeout: r.duration(
                &fc.lock_timeout,
                "lock_timeout",
                Some(Duration::from_secs(5)),
            )?,
            statement_timeout: r.duration(&fc.statement_timeout, "statement_timeout", None)?,
            lock_retries: r.number(fc.lock_retries, "lock_retries", 0..=100, 3, |n| {
                format!("{n} is out of range (0 to 100)")
            })?,
            lock_wait: r
                .duration(&fc.lock_wait, "lock_wait", Some(Duration::from_secs(600)))?
                .unwrap_or(Duration::ZERO),
            max_file_size: match &fc.max_file_size {
                Some(v) => {
                    parse_size(v.get_ref()).map_err(|m| r.bad(v.span(), "max_file_size", m))?
                }
                None => DEFAULT_MAX_FILE_SIZE,
            },
            environment: fc.environment.clone(),
            protected_environments: fc
                .protected_environments
                .clone()
                .unwrap_or_else(|| DEFAULT_PROTECTED.iter().map(|s| s.to_string()).collect()),
            targets,
            targets_query,
            targets_control_env,
            targets_url_env_allow,
            preview_prefix: r.preview_prefix(&fc.preview)?,
            preview_max: r.preview_max(&fc.preview)?,
            preview_template: cli
                .preview_template
                .clone()
                .or(fc.preview.template.clone())
                .filter(|t| !t.is_empty()),
            scratch: cli
                .scratch
                .clone()
                .or(fc.scratch.clone())
                .and_then(|s| Scratch::parse(&s)),
            scratch_cache: env::scratch_cache()
                .or(fc.scratch_cache.clone())
                .map(|d| relative_to(path.as_deref(), &d)),
            scratch_extensions: r.extensions(&fc.scratch_extensions)?,
            sandbox: r.sandbox(&fc.sandbox)?,
            vars: r.vars(&fc.vars, &cli.vars)?,
            rules: r.rules(&fc.rules)?,
            policy: r.policy(&fc.policy)?,
            stats: cli.stats.clone().or_else(|| {
                // Relative to the configuration file's folder, like `dir`.
                let f = match fc.stats.as_ref()? {
                    StatsFile::Path(p) => p,
                    StatsFile::Table(t) => t.file.as_ref()?,
                };
                Some(relative_to(path.as_deref(), f))
            }),
            stats_limits: r.stats_limits(&fc.stats)?,
        })
    }
}

/// A path from the configuration file: relative to the file's folder.
fn relative_to(config: Option<&Path>, f: &str) -> PathBuf {
    let base = config
        .and_then(Path::parent)
        .filter(|p| !p.as_os_str().is_empty());
    base.map_or_else(|| PathBuf::from(f), |b| b.join(f))
}

/// `dir`: the flag, or the file's (relative to the file's folder), or `migrations`.
fn resolve_dir(cli: &Overrides, fc: &FileConfig, path: Option<&Path>) -> (PathBuf, String) {
    match (&cli.dir, &fc.dir) {
        (Some(d), _) => (d.clone(), d.display().to_string()),
        (None, Some(d)) => {
            let base = path
                .and_then(Path::parent)
                .filter(|p| !p.as_os_str().is_empty());
            match base {
                Some(b) => (b.join(d), b.join(d).display().to_string()),
                None => (PathBuf::from(d), d.clone()),
            }
        }
        (None, None) => (PathBuf::from("migrations"), "migrations".to_string()),
    }
}

/// Turns the file's values into settings; a bad one is an error naming the file, its
/// line and the key.
struct Resolver<'a> {
    shown: String,
    src: &'a str,
}

type Span = std::ops::Range<usize>;

impl Resolver<'_> {
    fn bad(&self, span: Span, key: &str, msg: String) -> Error {
        Error::Usage(format!(
            "{}:{}: `{key}`: {msg}",
            self.shown,
            line_of(self.src, span.start)
        ))
    }

    /// A layout, numbering or policy: the flag, or the file's value; `auto` (or
    /// nothing) detects.
    fn choice<T: std::str::FromStr<Err = String>>(
        &self,
        cli: Option<T>,
        v: &Option<Spanned<String>>,
        key: &str,
    ) -> Result<Option<T>, Error> {
        match (cli, v) {
            (Some(c), _) => Ok(Some(c)),
            (None, Some(v)) if v.get_ref() != "auto" => v
                .get_ref()
                .parse::<T>()
                .map(Some)
                .map_err(|m| self.bad(v.span(), key, format!("{m} or auto"))),
            _ => Ok(None),
        }
    }

    /// A whole number within `range`.
    fn number(
        &self,
        v: Option<Spanned<i64>>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        default: u32,
        out_of_range: impl Fn(i64) -> String,
    ) -> Result<u32, Error> {
        match v {
            Some(v) if !range.contains(v.get_ref()) => {
                Err(self.bad(v.span(), key, out_of_range(*v.get_ref())))
            }
            Some(v) => Ok(*v.get_ref() as u32),
            None => Ok(default),
        }
    }

    fn duration(
        &self,
        v: &Option<Spanned<String>>,
        key: &str,
        default: Option<Duration>,
    ) -> Result<Option<Duration>, Error> {
        match v {
            Some(s) => parse_duration(s.get_ref()).map_err(|m| self.bad(s.span(), key, m)),
            None => Ok(default),
        }
    }

    /// `[sandbox]`; the environment (set by the workflow) wins over the file.
    fn sandbox(&self, f: &SandboxFile) -> Result<sqlgate_pg::guard::Bounds, Error> {
        let d = sqlgate_pg::guard::Bounds::default();
        let from = |env: &str, v: &Option<Spanned<String>>| -> Option<(String, Option<Span>)> {
            match self::env::var(env) {
                Some(e) => Some((e, None)),
                None => v.as_ref().map(|s| (s.get_ref().clone(), Some(s.span()))),
            }
        };
        let fail = |key: &str, env: &str, span: Option<Span>, m: String| match span {
            Some(sp) => self.bad(sp, key, m),
            None => Error::Usage(format!("{env}: {m}")),
        };
        let time = |key: &str, env: &str, v: &Option<Spanned<String>>, default: Duration| match from(
            env, v,
        ) {
            None => Ok(default),
            Some((text, span)) => match parse_duration(&text) {
                Ok(Some(d)) => Ok(d),
                Ok(None) => Err(fail(
                    key,
                    env,
                    span,
                    "pull-request SQL is always bounded: give a duration such as `5m`".into(),
                )),
                Err(m) => Err(fail(key, env, span, m)),
            },
        };
        let temp_file_limit = match from("SQLGATE_SANDBOX_TEMP_FILE_LIMIT", &f.temp_file_limit) {
            None => d.temp_file_limit,
            Some((text, span)) => parse_size(&text).map_err(|m| {
                fail(
                    "sandbox.temp_file_limit",
                    "SQLGATE_SANDBOX_TEMP_FILE_LIMIT",
                    span,
                    m,
                )
            })?,
        };
        Ok(sqlgate_pg::guard::Bounds {
            statement_timeout: time(
                "sandbox.statement_timeout",
                "SQLGATE_SANDBOX_STATEMENT_TIMEOUT",
                &f.statement_timeout,
                d.statement_timeout,
            )?,
            temp_file_limit,
            deadline: time(
                "sandbox.deadline",
                "SQLGATE_SANDBOX_DEADLINE",
                &f.deadline,
                d.deadline,
            )?,
        })
    }

    fn preview_prefix(&self, p: &PreviewFile) -> Result<String, Error> {
        match &p.prefix {
            Some(p) => {
                sqlgate_core::preview::check_name("the prefix", p.get_ref())
                    .map_err(|m| self.bad(p.span(), "preview.prefix", m.to_string()))?;
                Ok(p.get_ref().clone())
            }
            None => Ok(sqlgate_core::preview::DEFAULT_PREFIX.to_string()),
        }
    }

    fn preview_max(&self, p: &PreviewFile) -> Result<Option<usize>, Error> {
        match &p.max {
            Some(m) if *m.get_ref() < 1 || *m.get_ref() > 10_000 => Err(self.bad(
                m.span(),
                "preview.max",
                "must be between 1 and 10000".into(),
            )),
            Some(m) => Ok(Some(*m.get_ref() as usize)),
            None => Ok(None),
        }
    }

    fn extensions(&self, list: &Option<Vec<Spanned<String>>>) -> Result<Vec<String>, Error> {
        let mut out = Vec::new();
        for ext in list.iter().flatten() {
            let name = ext.get_ref();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(self.bad(
                    ext.span(),
                    "scratch_extensions",
                    format!("`{name}` is not an extension name"),
                ));
            }
            out.push(name.clone());
        }
        Ok(out)
    }

    /// `[vars]`, then `--var NAME=VALUE` (which wins).
    fn vars(
        &self,
        file: &BTreeMap<String, String>,
        cli: &[String],
    ) -> Result<BTreeMap<String, String>, Error> {
        let mut vars = BTreeMap::new();
        for (k, v) in file {
            if !valid_var_name(k) {
                return Err(Error::Usage(format!(
                    "{}: [vars] `{k}` is not a valid placeholder name (letters, digits and `_`, not starting with a digit; or the text inside a `{{{{ … }}}}` placeholder)",
                    self.shown
                )));
            }
            vars.insert(k.clone(), v.clone());
        }
        for kv in cli {
            let Some((k, v)) = kv.split_once('=') else {
                return Err(Error::Usage(format!("--var `{kv}` must be NAME=VALUE")));
            };
            if !valid_var_name(k) {
                return Err(Error::Usage(format!(
                    "--var `{k}` is not a valid placeholder name"
                )));
            }
            vars.insert(k.to_string(), v.to_string());
        }
        Ok(vars)
    }

    /// `[stats]`: thresholds and throughputs (defaults in `sizes::Thresholds`), and the
    /// age after which a snapshot is old (30 days).
    fn stats_limits(
        &self,
        file: &Option<StatsFile>,
    ) -> Result<(sqlgate_core::sizes::Thresholds, Duration), Error> {
        let mut t = sqlgate_core::sizes::Thresholds::default();
        let mut age = Duration::from_secs(30 * 86_400);
        let Some(StatsFile::Table(s)) = file else {
            return Ok((t, age));
        };
        let bad =
            |key: &str, m: String| Error::Usage(format!("{}: `stats.{key}`: {m}", self.shown));
        let size = |key: &str, v: &Option<String>, d: i64| match v {
            Some(v) => parse_size(v).map(|n| n as i64).map_err(|m| bad(key, m)),
            None => Ok(d),
        };
        t.small_bytes = size("small_table_size", &s.small_table_size, t.small_bytes)?;
        t.large_bytes = size("large_table_size", &s.large_table_size, t.large_bytes)?;
        t.small_rows = s.small_table_rows.unwrap_or(t.small_rows);
        t.replay_rows = match s.replay_rows {
            Some(n) if !(0..=100_000_000).contains(&n) => {
                return Err(bad(
                    "replay_rows",
                    format!("{n} is out of range (0 to 100000000)"),
                ))
            }
            Some(n) => n,
            None => 0,
        };
        t.large_rows = s.large_table_rows.unwrap_or(t.large_rows);
        for (key, v, slot) in [
            (
                "rewrite_mb_per_s",
                s.rewrite_mb_per_s,
                &mut t.rewrite_mb_per_s,
            ),
            ("index_mb_per_s", s.index_mb_per_s, &mut t.index_mb_per_s),
            ("scan_mb_per_s", s.scan_mb_per_s, &mut t.scan_mb_per_s),
        ] {
            match v {
                Some(v) if v.is_finite() && v > 0.0 => *slot = v,
                Some(v) => return Err(bad(key, format!("{v} is not a positive throughput"))),
                None => {}
            }
        }
        if t.small_rows < 0 || t.large_rows < t.small_rows || t.large_bytes < t.small_bytes {
            return Err(bad(
                "small_table_rows",
                "the small thresholds must be below the large ones".into(),
            ));
        }
        if let Some(v) = &s.max_age {
            age = parse_duration(v)
                .map_err(|m| bad("max_age", m))?
                .unwrap_or(Duration::MAX);
        }
        Ok((t, age))
    }

    /// `[rules]`: known ids, each a severity or `off`.
    fn rules(&self, file: &BTreeMap<String, Spanned<String>>) -> Result<rules::Overrides, Error> {
        let mut out = rules::Overrides::new();
        for (id, level) in file {
            if !registry::is_known(id) {
                let hint = registry::closest(id)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                return Err(self.bad(
                    level.span(),
                    &format!("rules.{id}"),
                    format!("unknown rule{hint}; `sqlgate explain` lists them"),
                ));
            }
            let sev = match level.get_ref().as_str() {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "info" => Some(Severity::Info),
                "off" => None,
                other => {
                    return Err(self.bad(
                        level.span(),
                        &format!("rules.{id}"),
                        format!("`{other}` is not a severity (error, warning, info or off)"),
                    ));
                }
            };
            out.insert(id.clone(), sev);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str, cli: &Overrides) -> Result<Settings, Error> {
        let fc: FileConfig = toml::from_str(src).map_err(|e| Error::Usage(e.to_string()))?;
        Settings::resolve(fc, src, Some(PathBuf::from("sqlgate.toml")), cli)
    }

    #[test]
    fn defaults() {
        let s = parse("", &Overrides::default()).unwrap();
        assert_eq!(s.dir, PathBuf::from("migrations"));
        assert_eq!(s.fail_on, FailOn::Error);
        assert_eq!(s.pg_version, 15);
        assert_eq!(s.lock_timeout, Some(Duration::from_secs(5)));
        assert_eq!(s.statement_timeout, None);
        assert_eq!(s.history_table, "public.sqlgate_migrations");
    }

    #[test]
    fn file_values_and_flags_win() {
        let src = "dir = \"db\"\nnumbering = \"sparse\"\nfail_on = \"warning\"\n[vars]\nSCHEMA = \"app\"\n[rules]\nversion-gap = \"off\"\ninconsistent-width = \"error\"\n";
        let s = parse(src, &Overrides::default()).unwrap();
        assert_eq!(s.dir, PathBuf::from("db"));
        assert_eq!(s.numbering, Some(Numbering::Sparse));
        assert_eq!(s.fail_on, FailOn::Warning);
        assert_eq!(s.vars["SCHEMA"], "app");
        assert_eq!(s.rules["version-gap"], None);
        assert_eq!(s.rules["inconsistent-width"], Some(Severity::Error));
        let cli = Overrides {
            dir: Some("other".into()),
            fail_on: Some(FailOn::Never),
            vars: vec!["SCHEMA=x".into()],
            ..Default::default()
        };
        let s = parse(src, &cli).unwrap();
        assert_eq!(s.dir, PathBuf::from("other"));
        assert_eq!(s.fail_on, FailOn::Never);
        assert_eq!(s.vars["SCHEMA"], "x");
    }

    #[test]
    fn bad_values_name_key_and_line() {
        let e = parse(
            "dir = \"m\"\n[rules]\nversion-gaps = \"off\"\n",
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("sqlgate.toml:3")
                && e.contains("rules.version-gaps")
                && e.contains("did you mean `version-gap`"),
            "{e}"
        );
        let e = parse("\n\nlock_timeout = \"5 parsecs\"\n", &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sqlgate.toml:3") && e.contains("lock_timeout"),
            "{e}"
        );
        let e = parse("pg_version = 9\n", &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("pg_version"), "{e}");
        let e = parse("[rules]\nversion-gap = \"loud\"\n", &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a severity"), "{e}");
        let e = parse("history_table = \"a.b.c\"\n", &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("history_table"), "{e}");
        assert!(parse("bogus = 1\n", &Overrides::default())
            .unwrap_err()
            .to_string()
            .contains("bogus"));
        assert!(parse(
            "",
            &Overrides {
                vars: vec!["novalue".into()],
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5s").unwrap(), Some(Duration::from_secs(5)));
        assert_eq!(
            parse_duration("250ms").unwrap(),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            parse_duration("10m").unwrap(),
            Some(Duration::from_secs(600))
        );
        assert_eq!(parse_duration("off").unwrap(), None);
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("5y").is_err());
    }
}
