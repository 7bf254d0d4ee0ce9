//! The migration catalog: turns the files of a migration directory (from disk or from
//! a git tree) into an ordered list of [`Migration`]s with versions, up/down SQL,
//! checksums and directives. Detects the layout and numbering policy. Pure: takes
//! [`SourceFile`]s in, gives a [`Catalog`] out; the binary's `source` module reads them.

mod layouts;
pub mod text;
pub mod version;

use layouts::{Role, SCHEMES};

pub use crate::model::{Layout, Numbering, OutOfOrder};
use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
pub use text::IgnoreDirective;
pub use version::Version;

/// One file of a migration directory, path relative to the directory with `/`.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as shown (`text::escape_name` when it is not valid UTF-8).
    pub path: String,
    pub content: Content,
    /// True when the file's name is not valid UTF-8 (`path` escapes its bytes).
    pub name_not_utf8: bool,
}

impl SourceFile {
    /// A file with a valid UTF-8 name and these bytes.
    pub fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> SourceFile {
        SourceFile {
            path: path.into(),
            content: Content::Bytes(bytes.into()),
            name_not_utf8: false,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Content {
    Bytes(Vec<u8>),
    /// The file exists but could not be read (the reason, e.g. "Permission denied").
    Unreadable(String),
}

/// Auto-detection: versions of 10 or more digits are timestamps (dates like
/// `20240101120000`, Unix seconds), shorter ones are sequential numbers.
pub fn detect_numbering<'a>(versions: impl IntoIterator<Item = &'a Version>) -> Numbering {
    let widest = versions.into_iter().map(|v| v.width()).max().unwrap_or(0);
    if widest >= 10 {
        Numbering::Timestamp
    } else {
        Numbering::Sequential
    }
}

/// The up or down half of a migration.
#[derive(Debug, Clone)]
pub struct Part {
    /// File path relative to the migration directory.
    pub path: String,
    /// Normalized text (BOM stripped, LF line ends; lossy when not UTF-8).
    pub text: String,
    /// 1-based line of the file where `text` starts (markers layout: the DOWN marker).
    pub first_line: u32,
    /// Line and column of the first invalid UTF-8 byte.
    pub utf8_error: Option<(u32, u32)>,
    /// SHA-256 of the normalized bytes.
    pub checksum: String,
    /// The whole file's bytes as written, when they differ from the normalized text
    /// (a BOM, CRLF line ends): another tool that hashed the raw file (seed 003's
    /// md5) is compared with these as well as with the text.
    pub raw: Option<Vec<u8>>,
}

/// One migration.
#[derive(Debug, Clone)]
pub struct Migration {
    pub version: Version,
    /// Description: the name after the version (`create_users`).
    pub description: String,
    /// File stem or folder name: `001_create_users`. Identifies the migration.
    pub name: String,
    pub up: Part,
    pub down: Option<Part>,
    /// Runs outside a transaction (a no-transaction directive).
    pub no_transaction: bool,
    /// The down SQL runs outside a transaction: `-- sqlgate:no-transaction` as the
    /// first line of the down file, right after the `-- DOWN` marker, or dbmate's
    /// `-- migrate:down transaction:false`.
    pub down_no_transaction: bool,
    /// `sqlgate:ignore` directives of the up SQL (kept for the SQL rules).
    pub ignores: Vec<IgnoreDirective>,
    /// A Flyway repeatable migration (`R__x.sql`): no version; recorded by its name
    /// and applied again whenever its checksum changes.
    pub repeatable: bool,
}

impl Migration {
    /// The key of this migration's history row: the canonical version, or the name of
    /// a repeatable migration.
    pub fn history_key(&self) -> &str {
        if self.repeatable {
            &self.name
        } else {
            self.version.canonical()
        }
    }

    /// The checksum recorded for this migration: the up SQL's.
    pub fn checksum(&self) -> &str {
        &self.up.checksum
    }

    /// Whether a recorded checksum is this migration's up SQL. Trailing whitespace
    /// does not count: adding a `-- DOWN` section after a blank line, or a final
    /// newline, is not an edit of what ran.
    pub fn matches_checksum(&self, recorded: &str) -> bool {
        if recorded == self.checksum() {
            return true;
        }
        // The file as recorded may have ended in up to three newlines.
        let mut candidate = self.up.text.trim_end().to_string();
        for _ in 0..4 {
            if recorded == text::sha256_hex(candidate.as_bytes()) {
                return true;
            }
            candidate.push('\n');
        }
        false
    }

    /// Whether two versions of a migration have the same up SQL (trailing
    /// whitespace aside, as [`Migration::matches_checksum`]).
    pub fn same_up(&self, other: &Migration) -> bool {
        self.checksum() == other.checksum() || self.up.text.trim_end() == other.up.text.trim_end()
    }

    /// The up SQL with placeholders substituted.
    pub fn up_sql(&self, vars: &BTreeMap<String, String>) -> String {
        text::substitute(&self.up.text, vars)
    }
}

/// How to read a directory.
#[derive(Debug, Clone, Default)]
pub struct CatalogOptions {
    /// Force a layout instead of detecting it.
    pub layout: Option<Layout>,
    /// Force a numbering policy instead of detecting it.
    pub numbering: Option<Numbering>,
    /// The directory as shown in findings (`migrations`).
    pub display_dir: String,
    /// How to read the files, decided beforehand from several trees ([`decide`]);
    /// `None`: from these files alone.
    pub decision: Option<Decision>,
}

impl CatalogOptions {
    /// The path shown to users for a file of the directory.
    pub fn display_path(&self, rel: &str) -> String {
        display_path(&self.display_dir, rel)
    }
}

/// Joins the directory as the user named it with a relative file path.
pub fn display_path(dir: &str, rel: &str) -> String {
    let dir = dir.trim_end_matches('/');
    let dir = dir.strip_prefix("./").unwrap_or(dir);
    if dir.is_empty() || dir == "." {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// A migration directory, read and ordered.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub layout: Layout,
    pub numbering: Numbering,
    /// Sorted by version, then name. Duplicated versions are all kept.
    pub migrations: Vec<Migration>,
    /// Flyway's repeatable migrations (`R__x.sql`), by name: applied after the
    /// versioned ones, again whenever their checksum changes.
    pub repeatables: Vec<Migration>,
    /// How the files were read (the layout decision), to read another tree alike.
    pub decision: Decision,
    /// Versions are ordered as text, as diesel does (folders layout, see
    /// [`Version::textual`]); otherwise as numbers.
    pub textual_order: bool,
    /// Problems found while reading names and files, each naming one file; the
    /// directory rules report them (`invalid-name`, `orphan-down`, `mixed-layout`,
    /// `unreadable-file`).
    pub problems: Vec<Problem>,
}

/// What is wrong with a file of the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A `.sql` file that does not fit the layout.
    InvalidName,
    /// A file of another layout than most of the directory.
    MixedLayout,
    /// A down file without its up migration.
    OrphanDown,
    /// The file exists but cannot be read.
    Unreadable,
    /// The file's name is not valid UTF-8.
    NameNotUtf8,
}

/// A file the catalog could not use, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// The file as shown to users (the directory joined with its path).
    pub file: String,
    pub message: String,
}

impl Problem {
    fn new(kind: ProblemKind, file: String, message: String) -> Problem {
        Problem {
            kind,
            file,
            message,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Neutral,
    Postgres,
    Other,
}

#[derive(Debug)]
struct Classified<'a> {
    file: &'a SourceFile,
    /// The naming scheme (index in `layouts::SCHEMES`).
    family: usize,
    role: Role,
    /// Key shared by an up and its down: file stem or folder name, dialect removed.
    stem: String,
    dialect: Dialect,
}

const OTHER_DIALECTS: &[&str] = &[
    ".mysql",
    ".sqlite",
    ".sqlite3",
    ".cockroach",
    ".mssql",
    ".sqlserver",
    ".oracle",
];

fn split_dialect(stem: &str) -> (String, Dialect) {
    let lower = stem.to_ascii_lowercase();
    for suffix in [".postgres", ".postgresql", ".pg"] {
        if lower.ends_with(suffix) {
            return (
                stem[..stem.len() - suffix.len()].to_string(),
                Dialect::Postgres,
            );
        }
    }
    if OTHER_DIALECTS.iter().any(|s| lower.ends_with(s)) {
        return (stem.to_string(), Dialect::Other);
    }
    (stem.to_string(), Dialect::Neutral)
}

/// True for paths a migration directory reader should load: top-level `.sql` files and
/// `up.sql` / `down.sql` / `metadata.toml` one level down. Everything else (README,
/// `.keep`, nested folders) is not a migration.
pub fn is_candidate(path: &str) -> bool {
    layouts::classify(path).is_some()
}

fn date_version_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"^\d{4}-\d{2}-\d{2}(?:-\d+)*").expect("static regex"))
}

/// Splits a migration name into version and description: `001_create_users` →
/// (`001`, `create_users`); `2019-02-26-002946_create_user` → (`20190226002946`,
/// `create_user`); `000001` → (`000001`, ``). The error explains what is wrong.
pub fn parse_name(stem: &str) -> Result<(Version, String), crate::Invalid> {
    let (digits, rest) = if let Some(m) = date_version_re().find(stem) {
        (m.as_str().replace('-', ""), &stem[m.end()..])
    } else {
        let end = stem
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(stem.len());
        (stem[..end].to_string(), &stem[end..])
    };
    let Some(version) = Version::from_digits(&digits) else {
        return Err(crate::Invalid::FileName(format!(
            "`{stem}` does not start with a version number (expected e.g. `001_{}`)",
            suggest_description(stem)
        )));
    };
    let description = match rest.chars().next() {
        None => String::new(),
        Some('_' | '-' | '.' | ' ') => rest[1..].to_string(),
        Some(c) => {
            return Err(crate::Invalid::FileName(format!(
                "the version `{digits}` is followed by `{c}`: separate the version from the description with `_` (e.g. `{digits}_{rest}`)"
            )))
        }
    };
    Ok((version, description))
}

fn suggest_description(stem: &str) -> String {
    let s: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches('_').to_string();
    if s.is_empty() {
        "name".into()
    } else {
        s
    }
}

/// A file read once: normalized text, its checksum, and where UTF-8 broke.
struct Decoded {
    text: String,
    checksum: String,
    utf8_error: Option<(u32, u32)>,
    raw: Option<Vec<u8>>,
}

fn decode_file(bytes: &[u8]) -> Decoded {
    let normalized = text::normalize(bytes);
    let raw = (normalized.as_slice() != bytes).then(|| bytes.to_vec());
    // For valid UTF-8 this equals the hash of the text; for invalid, of the bytes.
    let checksum = text::sha256_hex(&normalized);
    let (text, utf8_error) = text::decode(normalized);
    Decoded {
        text,
        checksum,
        utf8_error,
        raw,
    }
}

fn whole_part(path: &str, d: Decoded) -> Part {
    Part {
        path: path.to_string(),
        text: d.text,
        first_line: 1,
        utf8_error: d.utf8_error,
        checksum: d.checksum,
        raw: d.raw,
    }
}

fn section_part(
    path: &str,
    section: String,
    first_line: u32,
    utf8_error: Option<(u32, u32)>,
) -> Part {
    let checksum = text::sha256_hex(section.as_bytes());
    Part {
        path: path.to_string(),
        text: section,
        first_line,
        utf8_error,
        checksum,
        raw: None,
    }
}

/// How the files of a directory are read: the naming scheme, and whether
/// `<version>_<name>.up.sql` is a flat name (a runner that reads every `.sql` file).
/// Decided once from every tree being compared (the head and the base in
/// `check --base`), so adding, removing or renaming one file never changes how the
/// others are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// The scheme (index in `layouts::SCHEMES`).
    family: usize,
    /// `.up.sql` files are plain flat migrations: the directory mixes them with plain
    /// `.sql` files and has no `.down.sql` (or the layout is configured `flat`).
    up_sql_is_flat: bool,
}

/// Decides how to read the files of one or more trees of the same directory: the
/// configured layout, else the scheme most of their files use.
pub fn decide(trees: &[&[SourceFile]], forced: Option<Layout>) -> Decision {
    let pairs = layouts::of(Layout::Pairs);
    let flat = layouts::of(Layout::Flat);
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    let (mut pair_ups, mut pair_downs, mut flat_ups) = (0usize, 0usize, 0usize);
    let mut seen = std::collections::HashSet::new();
    for file in trees.iter().flat_map(|t| t.iter()) {
        if !seen.insert(file.path.as_str()) {
            continue; // the same file in both trees counts once
        }
        let Some((family, role, stem)) = layouts::classify(&file.path) else {
            continue;
        };
        if role == Role::Meta
            || (SCHEMES[family].has_dialects() && split_dialect(&stem).1 == Dialect::Other)
        {
            continue;
        }
        match (family == pairs, family == flat, role) {
            (true, _, Role::Up) => pair_ups += 1,
            (true, _, _) => pair_downs += 1,
            (_, true, Role::Up) => flat_ups += 1,
            _ => {}
        }
        *counts.entry(family).or_default() += 1;
    }
    let up_sql_is_flat = match forced {
        Some(l) => l == Layout::Flat,
        None => pair_ups > 0 && flat_ups > 0 && pair_downs == 0,
    };
    if up_sql_is_flat {
        let moved = counts.remove(&pairs).unwrap_or(0);
        *counts.entry(flat).or_default() += moved;
    }
    let family = match forced {
        Some(l) => layouts::of(l),
        None => counts
            .iter()
            .max_by(|a, b| {
                a.1.cmp(b.1)
                    .then(SCHEMES[*b.0].rank().cmp(&SCHEMES[*a.0].rank()))
            })
            .map(|(f, _)| *f)
            .unwrap_or(flat),
    };
    Decision {
        family,
        up_sql_is_flat,
    }
}

/// The scheme, role and stem of a path under a decision.
fn classify_with(path: &str, decision: &Decision) -> Option<(usize, Role, String)> {
    let found = layouts::classify(path)?;
    let pairs = layouts::of(Layout::Pairs);
    if decision.up_sql_is_flat && found.0 == pairs && found.1 == Role::Up {
        let flat = layouts::of(Layout::Flat);
        return SCHEMES[flat]
            .classify(path)
            .map(|(role, stem)| (flat, role, stem));
    }
    Some(found)
}

/// Reads a set of files as a migration directory.
pub fn build(files: &[SourceFile], opts: &CatalogOptions) -> Catalog {
    let decision = opts
        .decision
        .unwrap_or_else(|| decide(&[files], opts.layout));
    let mut problems = Vec::new();
    let classified = classify_files(files, opts, &decision, &mut problems);
    let family = decision.family;
    let (groups, repeatable_files) = group(&classified, family, opts, &mut problems);
    let mut hints = layouts::Hints::default();
    let mut migrations: Vec<Migration> = groups
        .iter()
        .filter_map(|(stem, g)| read_migration(stem, g, family, opts, &mut problems, &mut hints))
        .collect();
    let layout = opts.layout.unwrap_or_else(|| SCHEMES[family].layout(hints));
    let textual_order = order(&mut migrations, layout);
    // Flyway numbers as it likes (gaps, dotted versions): only order and uniqueness.
    let numbering = opts.numbering.unwrap_or_else(|| {
        match detect_numbering(migrations.iter().map(|m| &m.version)) {
            Numbering::Sequential if layout == Layout::Flyway => Numbering::Sparse,
            n => n,
        }
    });
    Catalog {
        layout,
        numbering,
        migrations,
        repeatables: repeatables(&repeatable_files),
        decision,
        textual_order,
        problems,
    }
}

/// The files that belong to a scheme, with their role and stem (other databases'
/// variants dropped); unreadable files and names that are not UTF-8 are problems.
fn classify_files<'a>(
    files: &'a [SourceFile],
    opts: &CatalogOptions,
    decision: &Decision,
    problems: &mut Vec<Problem>,
) -> Vec<Classified<'a>> {
    let mut classified = Vec::new();
    for file in files {
        let Some((family, role, raw_stem)) = classify_with(&file.path, decision) else {
            continue;
        };
        if file.name_not_utf8 {
            problems.push(Problem::new(
                ProblemKind::NameNotUtf8,
                opts.display_path(&file.path),
                format!(
                    "the file name `{}` is not valid UTF-8 (its invalid bytes are shown as \\xHH); rename it",
                    file.path
                ),
            ));
        }
        if let Content::Unreadable(reason) = &file.content {
            problems.push(Problem::new(
                ProblemKind::Unreadable,
                opts.display_path(&file.path),
                format!("cannot read `{}`: {reason}", file.path),
            ));
            continue;
        }
        let (stem, dialect) = if SCHEMES[family].has_dialects() {
            split_dialect(&raw_stem)
        } else {
            (raw_stem, Dialect::Neutral)
        };
        if dialect == Dialect::Other {
            continue; // another database's variant (kratos' `.mysql.up.sql`)
        }
        classified.push(Classified {
            file,
            family,
            role,
            stem,
            dialect,
        });
    }
    classified
}

/// The up, down and metadata files of one migration.
#[derive(Default)]
struct Group<'a> {
    up: Option<&'a Classified<'a>>,
    down: Option<&'a Classified<'a>>,
    meta: Option<&'a Classified<'a>>,
}

/// Groups up/down by stem, keeping the PostgreSQL variant when a neutral one exists;
/// files of another scheme are problems. Also returns Flyway's repeatable files.
fn group<'a>(
    classified: &'a [Classified<'a>],
    family: usize,
    opts: &CatalogOptions,
    problems: &mut Vec<Problem>,
) -> (BTreeMap<String, Group<'a>>, Vec<&'a Classified<'a>>) {
    let layout_name = |f: usize| SCHEMES[f].name();
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut repeatable_files: Vec<&Classified> = Vec::new();
    for c in classified {
        if c.family != family {
            if c.role != Role::Meta {
                let named = match c.role {
                    Role::Repeatable => Ok(()),
                    _ => SCHEMES[c.family].parse_name(&c.stem).map(|_| ()),
                };
                let (kind, msg) = if let Err(why) = named {
                    (ProblemKind::InvalidName, why.to_string())
                } else if opts.layout.is_some() {
                    (
                        ProblemKind::InvalidName,
                        format!(
                            "`{}` does not fit the configured layout ({})",
                            c.file.path,
                            layout_name(family)
                        ),
                    )
                } else {
                    (
                        ProblemKind::MixedLayout,
                        format!(
                            "`{}` uses {} but this directory mostly uses {}",
                            c.file.path,
                            layout_name(c.family),
                            layout_name(family)
                        ),
                    )
                };
                problems.push(Problem::new(kind, opts.display_path(&c.file.path), msg));
            }
            continue;
        }
        if c.role == Role::Repeatable {
            repeatable_files.push(c);
            continue;
        }
        let g = groups.entry(c.stem.clone()).or_default();
        let slot = match c.role {
            Role::Up => &mut g.up,
            Role::Down | Role::Rollback => &mut g.down,
            Role::Meta => &mut g.meta,
            Role::Repeatable => continue,
        };
        match slot {
            Some(existing)
                if existing.dialect == Dialect::Postgres && c.dialect == Dialect::Neutral => {}
            _ => *slot = Some(c),
        }
    }

    (groups, repeatable_files)
}

/// One migration from its files: version, up and down SQL, transaction mode,
/// directives. `None` (with a problem) for an orphan down or a name without version.
fn read_migration(
    stem: &str,
    g: &Group,
    family: usize,
    opts: &CatalogOptions,
    problems: &mut Vec<Problem>,
    hints: &mut layouts::Hints,
) -> Option<Migration> {
    let Some(up) = g.up else {
        if let Some(down) = g.down {
            problems.push(Problem::new(
                ProblemKind::OrphanDown,
                opts.display_path(&down.file.path),
                format!(
                    "`{}` is a down migration with no up migration `{stem}`",
                    down.file.path
                ),
            ));
        }
        return None;
    };
    let version = match SCHEMES[family].parse_name(stem) {
        Ok(v) => v,
        Err(why) => {
            problems.push(Problem::new(
                ProblemKind::InvalidName,
                opts.display_path(&up.file.path),
                why.to_string(),
            ));
            return None;
        }
    };
    let Content::Bytes(bytes) = &up.file.content else {
        return None;
    };
    let mut no_transaction;
    let mut down_no_transaction = false;
    let up_part;
    let mut down_part = None;
    let decoded = decode_file(bytes);
    let raw = decoded.raw.clone();
    no_transaction = false;
    if SCHEMES[family].has_markers() && text::has_markers(&decoded.text) {
        let sections = text::split_sections(&decoded.text);
        hints.markers |= sections.has_markers;
        hints.goose |= text::has_goose_markers(&decoded.text);
        no_transaction = sections.up_no_transaction;
        down_no_transaction = sections.down_no_transaction;
        if let Some(down) = sections.down {
            let err = decoded.utf8_error;
            up_part = section_part(&up.file.path, sections.up, 1, err);
            let line = sections.down_line.unwrap_or(1);
            down_part = Some(section_part(&up.file.path, down, line, err));
        } else {
            up_part = whole_part(&up.file.path, decoded);
        }
    } else {
        up_part = whole_part(&up.file.path, decoded);
    }
    let mut up_part = up_part;
    up_part.raw = raw;
    if let Some(d) = g.down {
        hints.rollback |= d.role == Role::Rollback;
        if let Content::Bytes(db) = &d.file.content {
            let part = whole_part(&d.file.path, decode_file(db));
            down_no_transaction = text::wants_no_transaction(&part.text);
            down_part = Some(part);
        }
    }
    if let Some(Content::Bytes(meta)) = g.meta.map(|m| &m.file.content) {
        let meta = decode_file(meta).text; // a BOM or CRLF line ends are fine
        if let Ok(table) = meta.parse::<toml::Table>() {
            // diesel: both directions.
            if table.get("run_in_transaction").and_then(|v| v.as_bool()) == Some(false) {
                no_transaction = true;
                down_no_transaction = true;
            }
        }
        // Flyway's `<script>.sql.conf` (Java properties): the script only.
        no_transaction |= meta.lines().any(|l| {
            l.split_once(['=', ':']).is_some_and(|(k, v)| {
                k.trim() == "executeInTransaction" && v.trim().eq_ignore_ascii_case("false")
            })
        });
    }
    no_transaction |=
        text::wants_no_transaction(&up_part.text) || text::all_outside_transaction(&up_part.text);
    if let Some(d) = &down_part {
        down_no_transaction |= text::all_outside_transaction(&d.text);
    }
    let ignores = text::ignore_directives(&up_part.text);
    Some(Migration {
        version: version.0,
        description: version.1,
        name: stem.to_string(),
        up: up_part,
        down: down_part,
        no_transaction,
        down_no_transaction,
        ignores,
        repeatable: false,
    })
}

/// Sorts the migrations; returns whether versions compare as text (diesel's folders).
fn order(migrations: &mut [Migration], layout: Layout) -> bool {
    // diesel compares versions as strings (the digits as written). History tables
    // keep the canonical form (no leading zeros), so text order on it is used when it
    // agrees with diesel's order on the written digits — lemmy's
    // `000000000000000_forbid_diesel_cli` does; zero-padded numbers (`009_x/`,
    // `010_x/`) do not, and keep number order, which for one width is the same.
    let textual_order = layout == Layout::Folders && {
        let mut written: Vec<(&str, &str)> = migrations
            .iter()
            .map(|m| (m.version.raw(), m.version.canonical()))
            .collect();
        written.sort();
        written.windows(2).all(|w| w[0].1 <= w[1].1)
    };
    if textual_order {
        for m in migrations.iter_mut() {
            m.version = m.version.clone().textual();
        }
    }
    migrations.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.name.cmp(&b.name)));
    migrations.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.name.cmp(&b.name)));
    textual_order
}

/// Flyway's repeatable migrations: after the versioned ones, by name.
fn repeatables(files: &[&Classified]) -> Vec<Migration> {
    // Flyway's repeatable migrations: after the versioned ones, by name.
    let mut repeatables: Vec<Migration> = files
        .iter()
        .filter_map(|c| {
            let Content::Bytes(bytes) = &c.file.content else {
                return None;
            };
            let up = whole_part(&c.file.path, decode_file(bytes));
            Some(Migration {
                version: Version::from_digits("0")?,
                description: c.stem.trim_start_matches("R__").to_string(),
                name: c.stem.clone(),
                no_transaction: text::wants_no_transaction(&up.text),
                down_no_transaction: false,
                ignores: text::ignore_directives(&up.text),
                up,
                down: None,
                repeatable: true,
            })
        })
        .collect();
    repeatables.sort_by(|a, b| a.name.cmp(&b.name));

    repeatables
}

/// The catalog of in-memory files (`(path, content)`) in a directory shown as `m`:
/// what the unit tests of the pure modules judge.
#[cfg(test)]
pub(crate) fn of_files(files: &[(&str, &str)]) -> Catalog {
    let files: Vec<SourceFile> = files.iter().map(|(p, c)| SourceFile::new(*p, *c)).collect();
    build(
        &files,
        &CatalogOptions {
            display_dir: "m".into(),
            ..Default::default()
        },
    )
}

impl Catalog {
    /// Migrations by up path (relative), for comparing two catalogs.
    pub fn by_path(&self) -> HashMap<&str, &Migration> {
        self.migrations
            .iter()
            .map(|m| (m.up.path.as_str(), m))
            .collect()
    }

    /// A version as a history table or a user writes it, ordered the way this
    /// directory's versions are.
    pub fn version(&self, s: &str) -> Option<Version> {
        let v = Version::parse(s)?;
        Some(if self.textual_order { v.textual() } else { v })
    }

    /// The highest version, if any.
    pub fn max_version(&self) -> Option<&Version> {
        self.migrations.iter().map(|m| &m.version).max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> SourceFile {
        SourceFile {
            path: path.into(),
            content: Content::Bytes(content.as_bytes().to_vec()),
            name_not_utf8: false,
        }
    }

    fn opts() -> CatalogOptions {
        CatalogOptions {
            display_dir: "migrations".into(),
            ..Default::default()
        }
    }

    fn rules(c: &Catalog) -> Vec<&str> {
        c.problems
            .iter()
            .map(|p| match p.kind {
                ProblemKind::InvalidName => "invalid-name",
                ProblemKind::MixedLayout => "mixed-layout",
                ProblemKind::OrphanDown => "orphan-down",
                ProblemKind::Unreadable => "unreadable-file",
                ProblemKind::NameNotUtf8 => "not-utf8",
            })
            .collect()
    }

    #[test]
    fn parse_names() {
        let (v, d) = parse_name("001_create_users").unwrap();
        assert_eq!((v.raw(), d.as_str()), ("001", "create_users"));
        let (v, d) = parse_name("001-create-users").unwrap();
        assert_eq!((v.raw(), d.as_str()), ("001", "create-users"));
        let (v, d) = parse_name("000001").unwrap();
        assert_eq!((v.canonical(), d.as_str()), ("1", ""));
        let (v, d) = parse_name("2019-02-26-002946_create_user").unwrap();
        assert_eq!((v.raw(), d.as_str()), ("20190226002946", "create_user"));
        let (v, _) = parse_name("2026-06-03-220228-0000_add_modlog").unwrap();
        assert_eq!(v.raw(), "202606032202280000");
        let (v, d) = parse_name("0002_1.7.0_schema").unwrap();
        assert_eq!((v.canonical(), d.as_str()), ("2", "1.7.0_schema"));
        assert!(parse_name("create_users")
            .unwrap_err()
            .to_string()
            .contains("does not start with a version"));
        assert!(parse_name("V1__init").is_err());
        assert!(parse_name("001create")
            .unwrap_err()
            .to_string()
            .contains("followed by `c`"));
    }

    #[test]
    fn flat_layout() {
        let c = build(
            &[
                file("002_b.sql", "create table b();"),
                file("001_a.sql", "create table a();"),
                file("README.md", "docs"),
            ],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Flat);
        assert_eq!(c.numbering, Numbering::Sequential);
        let names: Vec<_> = c.migrations.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["001_a", "002_b"]);
        assert!(c.migrations[0].down.is_none());
        assert!(c.problems.is_empty());
    }

    #[test]
    fn markers_layout_splits_up_and_down() {
        let c = build(
            &[file(
                "001_a.sql",
                "-- Migration: 001\n-- UP\ncreate table a();\n-- DOWN\ndrop table a;\n",
            )],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Markers);
        let m = &c.migrations[0];
        assert_eq!(m.up.text, "-- Migration: 001\n-- UP\ncreate table a();\n");
        let down = m.down.as_ref().unwrap();
        assert_eq!(down.first_line, 4);
        assert!(down.text.contains("drop table a"));
        // Editing the down section leaves the up checksum alone.
        let c2 = build(
            &[file(
                "001_a.sql",
                "-- Migration: 001\n-- UP\ncreate table a();\n-- DOWN\ndrop table if exists a;\n",
            )],
            &opts(),
        );
        assert_eq!(c2.migrations[0].checksum(), m.checksum());
        assert_ne!(
            c2.migrations[0].down.as_ref().unwrap().checksum,
            down.checksum
        );
    }

    #[test]
    fn dbmate_markers_and_no_transaction() {
        let c = build(
            &[file(
                "20240101120000_idx.sql",
                "-- migrate:up transaction:false\ncreate index concurrently i on t(a);\n\n-- migrate:down\ndrop index i;\n",
            )],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Markers);
        assert_eq!(c.numbering, Numbering::Timestamp);
        assert!(c.migrations[0].no_transaction);
        assert!(c.migrations[0].down.is_some());
    }

    #[test]
    fn pairs_layout_with_orphan_and_dialects() {
        let c = build(
            &[
                file("001_a.up.sql", "create table a();"),
                file("001_a.down.sql", "drop table a;"),
                file("002_b.up.sql", "neutral"),
                file("002_b.postgres.up.sql", "postgres"),
                file("002_b.mysql.up.sql", "mysql"),
                file("003_c.down.sql", "drop table c;"),
            ],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Pairs);
        assert_eq!(c.migrations.len(), 2);
        assert_eq!(c.migrations[1].up.text, "postgres");
        assert_eq!(c.migrations[1].up.path, "002_b.postgres.up.sql");
        assert_eq!(rules(&c), ["orphan-down"]);
        assert_eq!(c.problems[0].file, "migrations/003_c.down.sql");
    }

    #[test]
    fn rollback_siblings_layout() {
        let c = build(
            &[
                file("001_products.sql", "BEGIN; create table p(); COMMIT;"),
                file("001_products_rollback.sql", "drop table p;"),
                file("002_orphan_rollback.sql", "drop table q;"),
            ],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Rollback);
        assert_eq!(c.migrations.len(), 1);
        assert_eq!(
            c.migrations[0].down.as_ref().unwrap().path,
            "001_products_rollback.sql"
        );
        assert_eq!(rules(&c), ["orphan-down"]);
    }

    #[test]
    fn folder_layout_with_metadata() {
        let c = build(
            &[
                file("2019-02-26-002946_create_user/up.sql", "create table u();"),
                file("2019-02-26-002946_create_user/down.sql", "drop table u;"),
                file(
                    "2019-03-01-000000_idx/up.sql",
                    "create index concurrently i on u(a);",
                ),
                file(
                    "2019-03-01-000000_idx/metadata.toml",
                    "run_in_transaction = false\n",
                ),
            ],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Folders);
        assert_eq!(c.numbering, Numbering::Timestamp);
        assert_eq!(c.migrations[0].version.raw(), "20190226002946");
        assert!(c.migrations[0].down.is_some());
        assert!(c.migrations[1].no_transaction);
        assert!(!c.migrations[0].no_transaction);
    }

    #[test]
    fn mixed_layout_is_reported() {
        let c = build(
            &[
                file("001_a.up.sql", "x"),
                file("001_a.down.sql", "x"),
                file("002_b.up.sql", "x"),
                file("003_c.sql", "x"),
            ],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Pairs);
        assert_eq!(rules(&c), ["mixed-layout"]);
        assert_eq!(c.migrations.len(), 2);
        let forced = build(
            &[file("001_a.up.sql", "x"), file("001_a.down.sql", "x")],
            &CatalogOptions {
                layout: Some(Layout::Flat),
                ..opts()
            },
        );
        assert_eq!(rules(&forced), ["invalid-name"]);
        assert_eq!(forced.migrations[0].up.path, "001_a.up.sql");
    }

    #[test]
    fn folders_order_versions_as_diesel_does() {
        let names = |files: &[&str]| {
            let files: Vec<SourceFile> = files
                .iter()
                .map(|f| file(&format!("{f}/up.sql"), "select 1;"))
                .collect();
            let c = build(&files, &opts());
            (
                c.textual_order,
                c.migrations
                    .iter()
                    .map(|m| m.name.clone())
                    .collect::<Vec<_>>(),
            )
        };
        // 18 digits (a `-0000` suffix) before 14: string order.
        let (textual, order) = names(&[
            "2026-01-20-162913_b",
            "2025-11-19-091444-0000_a",
            "000000000000000_forbid_diesel_cli",
        ]);
        assert!(textual);
        assert_eq!(
            order,
            [
                "000000000000000_forbid_diesel_cli",
                "2025-11-19-091444-0000_a",
                "2026-01-20-162913_b"
            ]
        );
        // Zero-padded numbers: number order (the same as diesel's for one width).
        let (textual, order) = names(&["010_c", "009_b", "001_a"]);
        assert!(!textual);
        assert_eq!(order, ["001_a", "009_b", "010_c"]);
    }

    #[test]
    fn up_sql_files_among_flat_ones_without_downs_are_flat_migrations() {
        // A runner that applies every `.sql` file: older `.up.sql`, newer `.sql`.
        let c = build(
            &[
                file("001_a.up.sql", "x"),
                file("002_b.up.sql", "x"),
                file("003_c.sql", "x"),
            ],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Flat);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let names: Vec<&str> = c.migrations.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["001_a.up", "002_b.up", "003_c"]);
        // Only `.up.sql` files: pairs whose downs are missing, as before.
        let pairs = build(&[file("001_a.up.sql", "x")], &opts());
        assert_eq!(pairs.layout, Layout::Pairs);
        assert_eq!(pairs.migrations[0].name, "001_a");
    }

    /// How each file of `tree` is read: a migration (its name) or a problem (its kind).
    fn reading(c: &Catalog) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for m in &c.migrations {
            out.insert(m.up.path.clone(), format!("migration {}", m.name));
        }
        for p in &c.problems {
            let file = p.file.trim_start_matches("migrations/").to_string();
            out.insert(file, format!("{:?}", p.kind));
        }
        out
    }

    #[test]
    fn one_file_more_or_less_never_changes_how_the_others_are_read() {
        let trees: Vec<Vec<(&str, &str)>> = vec![
            vec![
                ("001_a.up.sql", "x"),
                ("002_b.up.sql", "x"),
                ("003_c.sql", "x"),
                ("004_d.sql", "x"),
            ],
            vec![
                ("001_a.up.sql", "x"),
                ("001_a.down.sql", "x"),
                ("002_b.sql", "x"),
            ],
            vec![
                ("001_a.up.sql", "x"),
                ("001_a.down.sql", "x"),
                ("002_b.sql", "x"),
                ("003_c.sql", "x"),
            ],
            vec![("001_a/up.sql", "x"), ("002_b.sql", "x")],
            vec![
                ("001_a.sql", "x"),
                ("001_a_rollback.sql", "x"),
                ("002_b.up.sql", "x"),
            ],
            vec![
                ("V1__a.sql", "x"),
                ("002_b.sql", "x"),
                ("003_c.up.sql", "x"),
            ],
        ];
        let changes: Vec<(&str, Option<&str>)> = vec![
            ("005_e.sql", None),
            ("005_e.up.sql", None),
            ("005_e.down.sql", None),
            ("005_e/up.sql", None),
            ("V5__e.sql", None),
            ("", Some("001_a.up.sql")),             // removed
            ("009_z.sql", Some("002_b.sql")),       // renamed
            ("009_z.up.sql", Some("002_b.up.sql")), // renamed
        ];
        for tree in &trees {
            let base: Vec<SourceFile> = tree.iter().map(|(p, c)| file(p, c)).collect();
            for (add, remove) in &changes {
                let mut head: Vec<SourceFile> = base
                    .iter()
                    .filter(|f| Some(f.path.as_str()) != *remove)
                    .cloned()
                    .collect();
                if !add.is_empty() {
                    head.push(file(add, "x"));
                }
                let decision = decide(&[&head, &base], None);
                let with = |files: &[SourceFile]| {
                    reading(&build(
                        files,
                        &CatalogOptions {
                            decision: Some(decision),
                            ..opts()
                        },
                    ))
                };
                let (b, h) = (with(&base), with(&head));
                for (path, how) in &b {
                    if let Some(now) = h.get(path) {
                        assert_eq!(now, how, "{path} in {tree:?} after +{add} -{remove:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn invalid_names_and_unreadable_files() {
        let c = build(
            &[
                file("add_users.sql", "x"),
                file("001_ok.sql", "x"),
                SourceFile {
                    path: "002_secret.sql".into(),
                    content: Content::Unreadable("Permission denied".into()),
                    name_not_utf8: false,
                },
            ],
            &opts(),
        );
        let mut r = rules(&c);
        r.sort();
        assert_eq!(r, ["invalid-name", "unreadable-file"]);
        assert_eq!(c.migrations.len(), 1);
    }

    #[test]
    fn adding_a_down_section_is_not_an_edit_of_the_up_sql() {
        for (before, after) in [
            (
                "create table a();\n",
                "create table a();\n\n-- DOWN\ndrop table a;\n",
            ),
            ("create table a();", "create table a();\n-- DOWN\n\n"),
            (
                "create table a();\n\n",
                "create table a();\n-- DOWN\ndrop table a;\n",
            ),
            (
                "-- UP\ncreate table a();\n-- DOWN\n",
                "-- UP\ncreate table a();\n\n-- DOWN\ndrop table a;\n",
            ),
        ] {
            let a = build(&[file("001_a.sql", before)], &opts());
            let b = build(&[file("001_a.sql", after)], &opts());
            assert!(
                b.migrations[0].matches_checksum(a.migrations[0].checksum()),
                "{before:?} → {after:?}"
            );
            assert!(b.migrations[0].same_up(&a.migrations[0]));
        }
        let a = build(&[file("001_a.sql", "create table a();\n")], &opts());
        let b = build(&[file("001_a.sql", "create table a(); -- x\n")], &opts());
        assert!(!b.migrations[0].matches_checksum(a.migrations[0].checksum()));
        assert!(!b.migrations[0].same_up(&a.migrations[0]));
    }

    #[test]
    fn checksum_ignores_crlf_and_bom() {
        let a = build(&[file("001_a.sql", "create table a();\n")], &opts());
        let b = build(
            &[file("001_a.sql", "\u{feff}create table a();\r\n")],
            &opts(),
        );
        let c = build(&[file("001_a.sql", "create table b();\n")], &opts());
        assert_eq!(a.migrations[0].checksum(), b.migrations[0].checksum());
        assert_ne!(a.migrations[0].checksum(), c.migrations[0].checksum());
    }

    #[test]
    fn numbering_detection() {
        let v = |s: &str| Version::from_digits(s).unwrap();
        assert_eq!(
            detect_numbering(&[v("001"), v("002")]),
            Numbering::Sequential
        );
        assert_eq!(
            detect_numbering(&[v("20240101120000")]),
            Numbering::Timestamp
        );
        assert_eq!(detect_numbering(&[v("1700000000")]), Numbering::Timestamp);
        assert_eq!(detect_numbering(&[]), Numbering::Sequential);
    }

    #[test]
    fn not_utf8_is_kept_with_position() {
        let c = build(
            &[SourceFile {
                path: "001_a.sql".into(),
                content: Content::Bytes(b"select 1;\nselect '\xff';\n".to_vec()),
                name_not_utf8: false,
            }],
            &opts(),
        );
        assert_eq!(c.migrations[0].up.utf8_error, Some((2, 9)));
    }

    #[test]
    fn flyway_versioned_undo_and_repeatable() {
        let c = build(
            &[
                file("V1__init.sql", "create table a (id int);"),
                file("V1.1__add.sql", "alter table a add column b int;"),
                file("V2__more.sql", "create table c (id int);"),
                file("U2__more.sql", "drop table c;"),
                file("R__views.sql", "create or replace view v as select 1;"),
            ],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Flyway);
        assert_eq!(c.numbering, Numbering::Sparse);
        let names: Vec<_> = c.migrations.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["V1__init", "V1.1__add", "V2__more"]);
        assert_eq!(c.migrations[1].version.canonical(), "1.1");
        assert_eq!(
            c.migrations[2].down.as_ref().map(|d| d.path.as_str()),
            Some("U2__more.sql")
        );
        assert_eq!(c.repeatables.len(), 1);
        assert!(c.repeatables[0].repeatable);
        assert_eq!(c.repeatables[0].history_key(), "R__views");
        assert!(c.problems.is_empty(), "{:?}", c.problems);
    }

    #[test]
    fn goose_sections() {
        let c = build(
            &[file(
                "20240101120000_a.sql",
                "-- +goose Up\ncreate table a (id int);\n-- +goose Down\n-- +goose NO TRANSACTION\ndrop table a;\n",
            )],
            &opts(),
        );
        assert_eq!(c.layout, Layout::Goose);
        assert!(c.migrations[0].down.is_some());
        assert!(c.migrations[0].down_no_transaction);
    }

    #[test]
    fn candidates() {
        assert!(is_candidate("001_a.sql"));
        assert!(is_candidate("001_a.UP.SQL"));
        assert!(is_candidate("2019-01-01-000000_x/up.sql"));
        assert!(!is_candidate("README.md"));
        assert!(is_candidate("V2__index.sql.conf"));
        assert!(!is_candidate("notes.conf"));
        assert!(!is_candidate("seeds/data.sql"));
        assert!(!is_candidate("2019_x/nested/up.sql"));
    }
}
