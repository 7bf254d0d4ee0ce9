//! Taking over a database that another runner or tool migrated: recognising its
//! history table from its name and columns ([`detect`]), and mapping its rows to the
//! migration files ([`map`]) — by version or by name, keeping applied times, who
//! applied, durations and batches, and comparing the checksums the tool recorded
//! (SHA-256, MD5, SHA-384, Flyway's CRC32) with the files. Pure: the rows come in as
//! text, the plan of history rows goes out.

use crate::catalog::{display_path, parse_name, Catalog, Migration, Version};
use crate::model::Finding;
use crate::rules::database::{CHECKSUM_MISMATCH, FAILED_MIGRATION, MISSING_FILE};
use sha2::Digest;

/// The runners and tools whose history sqlgate can take over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// Seed 000: `schema_migrations(version integer, name, applied_at)`.
    SeedVersionName,
    /// Seed 001: `schema_migrations(migration_name, checksum SHA-256, applied_by, execution_time_ms)`.
    SeedNameSha256,
    /// Seed 003: `schema_migrations(version text, name, checksum MD5, execution_time_ms)`.
    SeedVersionMd5,
    /// Seed 004: `_migrations(name, batch, executed_at)`.
    SeedBatches,
    Flyway,
    GolangMigrate,
    /// dbmate, and Rails' `schema_migrations(version)`.
    Dbmate,
    Sqlx,
    Diesel,
    Goose,
    NodePgMigrate,
    Knex,
    Prisma,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::SeedVersionName => "a migrate.js runner (schema_migrations: version, name)",
            Tool::SeedNameSha256 => {
                "a migrate.js runner (schema_migrations: migration_name, SHA-256 checksum)"
            }
            Tool::SeedVersionMd5 => {
                "a migrate.js runner (schema_migrations: version, name, MD5 checksum)"
            }
            Tool::SeedBatches => "a migrate.js runner with batches (_migrations)",
            Tool::Flyway => "Flyway",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate (or Rails)",
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Goose => "goose",
            Tool::NodePgMigrate => "node-pg-migrate",
            Tool::Knex => "Knex",
            Tool::Prisma => "Prisma",
        }
    }

    /// A short id, recorded in `adopted_from`.
    pub fn id(self) -> &'static str {
        match self {
            Tool::SeedVersionName => "migrate-js-version",
            Tool::SeedNameSha256 => "migrate-js-sha256",
            Tool::SeedVersionMd5 => "migrate-js-md5",
            Tool::SeedBatches => "migrate-js-batches",
            Tool::Flyway => "flyway",
            Tool::GolangMigrate => "golang-migrate",
            Tool::Dbmate => "dbmate",
            Tool::Sqlx => "sqlx",
            Tool::Diesel => "diesel",
            Tool::Goose => "goose",
            Tool::NodePgMigrate => "node-pg-migrate",
            Tool::Knex => "knex",
            Tool::Prisma => "prisma",
        }
    }
}

/// How a tool's checksum is computed from the migration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Sha256Hex,
    Md5Hex,
    /// sqlx: SHA-384, stored as bytes (read as hex).
    Sha384Hex,
    /// Flyway: CRC32 of the file's lines without line ends, as a signed 32-bit number.
    FlywayCrc32,
}

impl std::fmt::Display for Algorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Algorithm::Sha256Hex => "SHA-256",
            Algorithm::Md5Hex => "MD5",
            Algorithm::Sha384Hex => "SHA-384",
            Algorithm::FlywayCrc32 => "Flyway CRC32",
        })
    }
}

impl Algorithm {
    /// How the algorithm is named in a kept checksum (`md5:<the tool's checksum>`).
    pub fn id(self) -> &'static str {
        match self {
            Algorithm::Sha256Hex => "sha256",
            Algorithm::Md5Hex => "md5",
            Algorithm::Sha384Hex => "sha384",
            Algorithm::FlywayCrc32 => "flyway-crc32",
        }
    }
}

/// How rows are matched to files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The row's key is a version (digits, or Flyway's dotted versions).
    Version,
    /// The row's key is a file or migration name.
    Name,
    /// One row: every migration up to its version is applied (golang-migrate).
    UpTo,
}

/// A recognised history table and how to read it: SQL expressions for each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub tool: Tool,
    /// `schema.table`.
    pub table: String,
    pub key: Key,
    pub key_expr: String,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    /// An expression giving milliseconds.
    pub duration_ms: Option<String>,
    pub batch: Option<String>,
    pub checksum: Option<(String, Algorithm)>,
    /// An expression that is true for a failed or unfinished row.
    pub failed: Option<String>,
    /// An expression that is true for rows that no longer count (rolled back).
    pub undone: Option<String>,
    /// Flyway's row type (`SQL`, `BASELINE`, `UNDO_SQL`, …).
    pub kind: Option<String>,
    /// Row order.
    pub order: String,
}

impl Source {
    /// The query that reads the rows, every field as text, in [`SourceRow`]'s order.
    pub fn select(&self, quoted_table: &str) -> String {
        let text = |e: &Option<String>| {
            e.as_deref()
                .map_or("NULL".to_string(), |e| format!("({e})::text"))
        };
        format!(
            "SELECT ({key})::text, {at}, {by}, {ms}, {batch}, {sum}, coalesce(({failed})::boolean, false), coalesce(({undone})::boolean, false), {kind} FROM {quoted_table} ORDER BY {order}",
            key = self.key_expr,
            at = self
                .applied_at
                .as_deref()
                .map_or("NULL".to_string(), |e| format!(
                    "to_char(({e})::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
                )),
            by = text(&self.applied_by),
            ms = text(&self.duration_ms),
            batch = text(&self.batch),
            sum = text(&self.checksum.as_ref().map(|c| c.0.clone())),
            failed = self.failed.as_deref().unwrap_or("false"),
            undone = self.undone.as_deref().unwrap_or("false"),
            kind = text(&self.kind),
            order = self.order,
        )
    }
}

/// One row of a foreign history table, as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceRow {
    pub key: Option<String>,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    pub duration_ms: Option<String>,
    pub batch: Option<String>,
    pub checksum: Option<String>,
    pub failed: bool,
    pub undone: bool,
    pub kind: Option<String>,
}

fn has(columns: &[String], names: &[&str]) -> bool {
    names.iter().all(|n| columns.iter().any(|c| c == n))
}

/// The tool behind a table, from its name (`schema.table`) and its column names.
pub fn detect(table: &str, columns: &[String]) -> Option<Source> {
    let name = table.rsplit('.').next().unwrap_or(table);
    let source = |tool, key, key_expr: &str| Source {
        tool,
        table: table.to_string(),
        key,
        key_expr: key_expr.to_string(),
        applied_at: None,
        applied_by: None,
        duration_ms: None,
        batch: None,
        checksum: None,
        failed: None,
        undone: None,
        kind: None,
        order: "1".to_string(),
    };
    let col = |s: &str| Some(s.to_string());
    // A column some versions of the tool have.
    let opt = |c: &str| has(columns, &[c]).then(|| c.to_string());
    // Insertion order where the table has a serial id.
    let by_id_or = |c: &str| if has(columns, &["id"]) { "id" } else { c }.to_string();
    match name {
        "flyway_schema_history"
            if has(
                columns,
                &["installed_rank", "version", "checksum", "success"],
            ) =>
        {
            Some(Source {
                applied_at: col("installed_on"),
                applied_by: col("installed_by"),
                duration_ms: col("execution_time"),
                checksum: Some(("checksum".into(), Algorithm::FlywayCrc32)),
                failed: col("NOT success"),
                kind: col("type"),
                order: "installed_rank".into(),
                ..source(Tool::Flyway, Key::Version, "version")
            })
        }
        "schema_migrations" if has(columns, &["version", "dirty"]) => Some(Source {
            failed: col("dirty"),
            ..source(Tool::GolangMigrate, Key::UpTo, "version")
        }),
        "schema_migrations" if has(columns, &["migration_name", "checksum"]) => Some(Source {
            applied_at: col("applied_at"),
            applied_by: opt("applied_by"),
            duration_ms: opt("execution_time_ms"),
            checksum: Some(("checksum".into(), Algorithm::Sha256Hex)),
            order: by_id_or("migration_name"),
            ..source(Tool::SeedNameSha256, Key::Name, "migration_name")
        }),
        "schema_migrations" if has(columns, &["version", "name", "checksum"]) => Some(Source {
            applied_at: opt("applied_at"),
            duration_ms: opt("execution_time_ms"),
            checksum: Some(("checksum".into(), Algorithm::Md5Hex)),
            order: "version".into(),
            ..source(Tool::SeedVersionMd5, Key::Name, "version")
        }),
        "schema_migrations" if has(columns, &["version", "name"]) => Some(Source {
            applied_at: opt("applied_at"),
            order: "version".into(),
            ..source(Tool::SeedVersionName, Key::Version, "version")
        }),
        "schema_migrations" if has(columns, &["version"]) && columns.len() == 1 => Some(Source {
            order: "version".into(),
            ..source(Tool::Dbmate, Key::Version, "version")
        }),
        "_migrations" if has(columns, &["name", "batch"]) => Some(Source {
            applied_at: opt("executed_at"),
            batch: col("batch"),
            order: by_id_or("name"),
            ..source(Tool::SeedBatches, Key::Name, "name")
        }),
        "_sqlx_migrations" if has(columns, &["version", "success", "checksum"]) => Some(Source {
            applied_at: col("installed_on"),
            duration_ms: col("execution_time / 1000000"),
            checksum: Some(("encode(checksum, 'hex')".into(), Algorithm::Sha384Hex)),
            failed: col("NOT success"),
            order: "version".into(),
            ..source(Tool::Sqlx, Key::Version, "version")
        }),
        "__diesel_schema_migrations" if has(columns, &["version"]) => Some(Source {
            applied_at: opt("run_on"),
            order: "version".into(),
            ..source(Tool::Diesel, Key::Version, "version")
        }),
        "goose_db_version" if has(columns, &["version_id", "is_applied"]) => Some(Source {
            applied_at: opt("tstamp"),
            undone: col("NOT is_applied"),
            order: by_id_or("version_id"),
            ..source(Tool::Goose, Key::Version, "version_id")
        }),
        "pgmigrations" if has(columns, &["name", "run_on"]) => Some(Source {
            applied_at: col("run_on"),
            order: by_id_or("name"),
            ..source(Tool::NodePgMigrate, Key::Name, "name")
        }),
        "knex_migrations" if has(columns, &["name", "batch"]) => Some(Source {
            applied_at: opt("migration_time"),
            batch: col("batch"),
            order: by_id_or("name"),
            ..source(Tool::Knex, Key::Name, "name")
        }),
        "_prisma_migrations" if has(columns, &["migration_name", "checksum", "finished_at"]) => {
            Some(Source {
                applied_at: col("finished_at"),
                checksum: Some(("checksum".into(), Algorithm::Sha256Hex)),
                failed: col("finished_at IS NULL AND rolled_back_at IS NULL"),
                undone: col("rolled_back_at IS NOT NULL"),
                order: "started_at".into(),
                ..source(Tool::Prisma, Key::Name, "migration_name")
            })
        }
        _ => None,
    }
}

/// The table names [`detect`] knows.
pub const KNOWN_TABLES: &[&str] = &[
    "flyway_schema_history",
    "schema_migrations",
    "_migrations",
    "_sqlx_migrations",
    "__diesel_schema_migrations",
    "goose_db_version",
    "pgmigrations",
    "knex_migrations",
    "_prisma_migrations",
];

/// A migration taken over: what sqlgate records for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The file's version (canonical) and name.
    pub version: String,
    pub name: String,
    /// The file's sqlgate checksum, or — when the tool's checksum says the file
    /// changed since it ran — `<algorithm>:<what the tool recorded>`, so `status`
    /// shows it modified until `sqlgate repair` accepts the file.
    pub checksum: String,
    pub up_sql: Option<String>,
    pub applied_at: Option<String>,
    pub applied_by: Option<String>,
    pub execution_ms: i64,
    pub batch: i32,
}

/// What taking over a history would do.
#[derive(Debug, Default, Clone)]
pub struct Mapping {
    pub adopted: Vec<Adopted>,
    /// What stops the adoption: failed or unfinished rows, rows without a file.
    pub refusals: Vec<Finding>,
    /// Files that differ from what the tool recorded (adopted as modified).
    pub mismatches: Vec<Finding>,
    /// Rows that did not count (rolled back, repeatable, the tool's own markers).
    pub ignored: usize,
}

/// The whole file a tool hashed: the up SQL, plus the down section of a markers file.
fn file_text(m: &Migration) -> String {
    match &m.down {
        Some(d) if d.path == m.up.path => format!("{}{}", m.up.text, d.text),
        _ => m.up.text.clone(),
    }
}

/// The file's checksum as `algorithm` computes it.
pub fn checksum(algorithm: Algorithm, text: &str) -> String {
    checksum_bytes(algorithm, text.as_bytes())
}

/// The checksum of bytes as `algorithm` computes it.
pub fn checksum_bytes(algorithm: Algorithm, bytes: &[u8]) -> String {
    match algorithm {
        Algorithm::Sha256Hex => format!("{:x}", sha2::Sha256::digest(bytes)),
        Algorithm::Sha384Hex => format!("{:x}", sha2::Sha384::digest(bytes)),
        Algorithm::Md5Hex => {
            use md5::Digest as _;
            format!("{:x}", md5::Md5::digest(bytes))
        }
        Algorithm::FlywayCrc32 => {
            let mut crc = crc32fast::Hasher::new();
            for line in String::from_utf8_lossy(bytes).lines() {
                crc.update(line.trim_end_matches('\r').as_bytes());
            }
            (crc.finalize() as i32).to_string()
        }
    }
}

/// The migration a name (a file name, a path, a stem) refers to.
fn by_name<'a>(cat: &'a Catalog, raw: &str) -> Option<&'a Migration> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let mut stem = base;
    for ext in [".up.sql", ".sql", ".js", ".ts", ".cjs", ".mjs"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
            break;
        }
    }
    if let Some(m) = cat
        .migrations
        .iter()
        .find(|m| m.name == stem || m.up.path == base || m.description == stem)
    {
        return Some(m);
    }
    // By version: the one file of that version — and when the record names a
    // description too, only if the file's is the same (a file renamed to another
    // description is not the migration that ran).
    let (version, description) = parse_name(stem).ok()?;
    let mut same = cat
        .migrations
        .iter()
        .filter(|m| m.version == version)
        .filter(|m| description.is_empty() || m.description == description);
    let first = same.next()?;
    same.next().is_none().then_some(first)
}

/// A file that carries the description of a recorded name under another version: the
/// recorded migration, renumbered since it ran.
fn renamed<'a>(cat: &'a Catalog, raw: &str) -> Option<&'a Migration> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let stem = base.strip_suffix(".sql").unwrap_or(base);
    let stem = stem.strip_suffix(".up").unwrap_or(stem);
    let (version, description) = parse_name(stem).ok()?;
    if description.is_empty() {
        return None;
    }
    let mut same = cat
        .migrations
        .iter()
        .filter(|m| m.description == description && m.version != version);
    let first = same.next()?;
    same.next().is_none().then_some(first)
}

/// Why a row the tool marks failed or dirty stops the takeover.
fn failed_row(source: &Source, key: &str) -> String {
    if source.tool == Tool::GolangMigrate {
        format!(
            "golang-migrate marks version {key} dirty in {}: that migration failed part-way. Finish or undo what it did by hand, then clear the flag (`migrate force <version>`, or `UPDATE {} SET dirty = false`), and run `sqlgate adopt` again; sqlgate does not take over a half-applied migration",
            source.table, source.table
        )
    } else {
        format!(
            "{} records `{key}` as failed or unfinished: finish or undo it by hand and fix {} first, then run `sqlgate adopt` again; sqlgate does not take over a half-applied migration",
            source.tool.name(),
            source.table
        )
    }
}

/// The refusal for a row no file matches: the file was renamed, or is missing.
fn unmatched_row(cat: &Catalog, source: &Source, key: &str, dir: &str) -> Finding {
    if let Some(now) = (source.key != Key::Version)
        .then(|| renamed(cat, key))
        .flatten()
    {
        return Finding::new(
            &MISSING_FILE,
            display_path(dir, &now.up.path),
            format!(
                "{} records `{key}` as applied, and the file is now `{}`: a migration that ran keeps its name, or sqlgate would take it for a new one and run it again. Rename it back, then run `sqlgate adopt` again",
                source.tool.name(),
                now.up.path
            ),
        )
        .version(now.version.raw());
    }
    Finding::new(
        &MISSING_FILE,
        format!("{dir}/"),
        format!(
            "{} records `{key}` as applied, but no migration file matches it: restore the file (or check out the right branch) before taking over",
            source.tool.name()
        ),
    )
}

/// The history row sqlgate writes for a file the tool applied; a checksum that is not
/// the file's is kept (and reported) so the edit stays visible.
fn adopt_row(
    m: &Migration,
    row: &SourceRow,
    source: &Source,
    dir: &str,
    mismatches: &mut Vec<Finding>,
) -> Adopted {
    let mut checksum_kept = m.checksum().to_string();
    let mut up_sql = Some(m.up.text.clone());
    if let (Some((_, algorithm)), Some(recorded)) = (&source.checksum, &row.checksum) {
        let ours = checksum(*algorithm, &file_text(m));
        // The tool may have hashed the file as written (CRLF, a BOM) rather than
        // as sqlgate normalises it: either way it is the same file.
        let as_written = m.up.raw.as_ref().map(|raw| checksum_bytes(*algorithm, raw));
        let same = |c: &str| recorded.trim().eq_ignore_ascii_case(c);
        if !same(&ours) && !as_written.as_deref().is_some_and(same) {
            mismatches.push(
                Finding::new(
                    &CHECKSUM_MISMATCH,
                    display_path(dir, &m.up.path),
                    format!(
                        "{} ran another version of `{}`: its recorded checksum ({algorithm} {}) is not the file's ({ours}); adopted as modified — review the edit, then `sqlgate repair {}`",
                        source.tool.name(),
                        m.name,
                        recorded.trim(),
                        m.version.raw()
                    ),
                )
                .version(m.version.raw()),
            );
            checksum_kept = format!("{}:{}", algorithm.id(), recorded.trim());
            up_sql = None;
        }
    }
    Adopted {
        version: m.version.canonical().to_string(),
        name: m.name.clone(),
        checksum: checksum_kept,
        up_sql,
        applied_at: row.applied_at.clone(),
        applied_by: row.applied_by.clone(),
        execution_ms: row
            .duration_ms
            .as_deref()
            .and_then(|d| d.trim().parse::<f64>().ok())
            .map_or(0, |d| d as i64),
        batch: row
            .batch
            .as_deref()
            .and_then(|b| b.trim().parse().ok())
            .unwrap_or(0),
    }
}

/// Maps the rows of `source` to the files of `cat`.
pub fn map(cat: &Catalog, source: &Source, rows: &[SourceRow], dir: &str) -> Mapping {
    let mut out = Mapping::default();
    // What each file's row says, in row order (later rows win: goose, Flyway undo).
    let mut found: Vec<(&Migration, &SourceRow)> = Vec::new();
    let mut up_to: Option<(Version, &SourceRow)> = None;
    for row in rows {
        let Some(key) = row.key.as_deref().map(str::trim).filter(|k| !k.is_empty()) else {
            out.ignored += 1; // Flyway's repeatable rows have no version
            continue;
        };
        let kind = row.kind.as_deref().unwrap_or("");
        if row.failed {
            out.refusals.push(Finding::new(
                &FAILED_MIGRATION,
                source.table.clone(),
                failed_row(source, key),
            ));
            continue;
        }
        if source.tool == Tool::Goose && key == "0" {
            out.ignored += 1; // goose's own first row
            continue;
        }
        if source.key == Key::UpTo || kind == "BASELINE" {
            if let Some(v) = cat.version(key) {
                if up_to.as_ref().is_none_or(|(u, _)| &v > u) {
                    up_to = Some((v, row));
                }
            }
            continue;
        }
        let m = match source.key {
            Key::Version => {
                Version::parse(key).and_then(|v| cat.migrations.iter().find(|m| m.version == v))
            }
            _ => by_name(cat, key),
        };
        let Some(m) = m else {
            if row.undone {
                out.ignored += 1;
                continue;
            }
            out.refusals.push(unmatched_row(cat, source, key, dir));
            continue;
        };
        found.retain(|(f, _)| f.up.path != m.up.path);
        if row.undone || kind == "UNDO_SQL" || kind == "DELETE" {
            continue;
        }
        found.push((m, row));
    }
    if let Some((v, row)) = up_to {
        for m in cat.migrations.iter().filter(|m| m.version <= v) {
            if !found.iter().any(|(f, _)| f.up.path == m.up.path) {
                found.push((m, row));
            }
        }
    }
    found.sort_by(|a, b| a.0.version.cmp(&b.0.version));
    for (m, row) in found {
        let adopted = adopt_row(m, row, source, dir, &mut out.mismatches);
        out.adopted.push(adopted);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::of_files as cat;

    fn row(key: &str) -> SourceRow {
        SourceRow {
            key: Some(key.into()),
            ..Default::default()
        }
    }

    #[test]
    fn tools_are_recognised_by_their_columns() {
        let c = |cols: &[&str]| cols.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let t = |table: &str, cols: &[&str]| detect(table, &c(cols)).map(|s| s.tool);
        assert_eq!(
            t("public.schema_migrations", &["version", "dirty"]),
            Some(Tool::GolangMigrate)
        );
        assert_eq!(
            t("public.schema_migrations", &["version"]),
            Some(Tool::Dbmate)
        );
        assert_eq!(
            t(
                "public.schema_migrations",
                &["version", "name", "applied_at"]
            ),
            Some(Tool::SeedVersionName)
        );
        assert_eq!(
            t(
                "public.schema_migrations",
                &[
                    "id",
                    "migration_name",
                    "applied_at",
                    "execution_time_ms",
                    "checksum",
                    "applied_by"
                ]
            ),
            Some(Tool::SeedNameSha256)
        );
        assert_eq!(
            t(
                "public.schema_migrations",
                &[
                    "id",
                    "version",
                    "name",
                    "applied_at",
                    "execution_time_ms",
                    "checksum"
                ]
            ),
            Some(Tool::SeedVersionMd5)
        );
        assert_eq!(
            t(
                "public._migrations",
                &["id", "name", "batch", "executed_at"]
            ),
            Some(Tool::SeedBatches)
        );
        assert_eq!(t("public.users", &["id"]), None);
    }

    #[test]
    fn rows_map_by_version_name_and_up_to() {
        let c = cat(&[
            ("001_a.sql", "create table a (id int);\n"),
            ("002_b.sql", "create table b (id int);\n"),
            ("003_c.sql", "create table c (id int);\n"),
        ]);
        let s = detect(
            "public.schema_migrations",
            &["version".to_string(), "dirty".to_string()],
        )
        .unwrap_or_else(|| panic!("golang"));
        let m = map(&c, &s, &[row("2")], "m");
        assert_eq!(
            m.adopted
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>(),
            ["001_a", "002_b"]
        );
        let mut dirty = row("2");
        dirty.failed = true;
        assert_eq!(map(&c, &s, &[dirty], "m").refusals.len(), 1);
        let s = detect("public._migrations", &["name".into(), "batch".into()])
            .unwrap_or_else(|| panic!("seed"));
        let mut r = row("003_c.sql");
        r.batch = Some("2".into());
        let m = map(&c, &s, &[row("001_a.sql"), r, row("009_gone.sql")], "m");
        assert_eq!(m.adopted.len(), 2);
        assert_eq!(m.adopted[1].batch, 2);
        assert_eq!(m.refusals.len(), 1, "a recorded migration without a file");
    }

    #[test]
    fn recorded_checksums_are_compared() {
        let sql = "create table a (id int);\n";
        let c = cat(&[("001_a.sql", sql)]);
        let s = detect(
            "public.schema_migrations",
            &["version".into(), "name".into(), "checksum".into()],
        )
        .unwrap_or_else(|| panic!("md5 seed"));
        let mut r = row("001_a");
        r.checksum = Some(checksum(Algorithm::Md5Hex, sql));
        let m = map(&c, &s, &[r.clone()], "m");
        assert!(m.mismatches.is_empty());
        assert_eq!(m.adopted[0].checksum, c.migrations[0].checksum());
        r.checksum = Some("0123".into());
        let m = map(&c, &s, &[r], "m");
        assert_eq!(m.mismatches.len(), 1);
        assert_ne!(m.adopted[0].checksum, c.migrations[0].checksum());
        // A CRLF file hashed as written (seed 003's md5 of the raw file) is the same
        // file; a real edit is still caught.
        let crlf = "create table a (id int);\r\ncreate table b (id int);\r\n";
        let c = cat(&[("001_a.sql", crlf)]);
        let mut r = row("001_a");
        r.checksum = Some(checksum(Algorithm::Md5Hex, crlf));
        assert!(map(&c, &s, &[r.clone()], "m").mismatches.is_empty());
        r.checksum = Some(checksum(Algorithm::Md5Hex, &crlf.replace("b (", "c (")));
        assert_eq!(map(&c, &s, &[r], "m").mismatches.len(), 1);
        // Flyway's CRC32 of the lines, as a signed number.
        assert_eq!(
            checksum(Algorithm::FlywayCrc32, "a\nb\n"),
            checksum(Algorithm::FlywayCrc32, "a\r\nb")
        );
    }
}
