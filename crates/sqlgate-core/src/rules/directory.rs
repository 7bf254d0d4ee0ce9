//! Rules over one catalog as it stands: `duplicate-version`, `version-gap`,
//! `inconsistent-width`, `missing-down`, `empty-migration`, `not-utf8`, and the
//! problems reading it found (`invalid-name`, `mixed-layout`, `orphan-down`,
//! `unreadable-file`). Pure.

use crate::catalog::{display_path, text, Catalog, Migration, ProblemKind, Version};
use crate::model::{Finding, Numbering, Rule, Severity};
use std::collections::{BTreeMap, BTreeSet};

const CATEGORY: &str = "Directory and history";

pub static DUPLICATE_VERSION: Rule = Rule {
    id: "duplicate-version",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "Two migrations share a version number (also across branches: a version another pull request already merged).",
    why: "Most runners key migrations by version: one of the two is silently skipped or fails with a unique violation on deploy, and environments end up with different schemas. (sqlgate itself records each file on its own row, so it applies both.)",
    fix: "A pull request's new file: renumber it to the next free version (`sqlgate create <name>` picks it). Files that both shipped long ago and already ran (an inherited history): keep them as they are — renaming a migration that ran would make it look new — and say so once with `-- sqlgate:ignore duplicate-version -- both ran under the old runner` in the newer file.",
    bad: "migrations/004_add_avatar.sql\nmigrations/004_add_teams.sql",
    good: "migrations/004_add_avatar.sql\nmigrations/005_add_teams.sql",
};

pub static VERSION_GAP: Rule = Rule {
    id: "version-gap",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "With `numbering = \"sequential\"`, a version number is skipped.",
    why: "A gap usually means a migration was lost in a merge or renumbered by hand; a runner that later receives the missing number applies it out of order.",
    fix: "Renumber the migration to close the gap, or set `numbering = \"sparse\"` in sqlgate.toml when gaps are intentional.",
    bad: "001_users.sql\n002_teams.sql\n004_tasks.sql",
    good: "001_users.sql\n002_teams.sql\n003_tasks.sql",
};

pub static INVALID_NAME: Rule = Rule {
    id: "invalid-name",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A `.sql` file does not fit the directory's naming (no leading version, or a layout it does not follow).",
    why: "A file the runner cannot order is either skipped silently (never applied) or applied at a random point.",
    fix: "Name it `<version>_<description>.sql` in the directory's layout, or move non-migration SQL out of the directory.",
    bad: "migrations/add_users.sql",
    good: "migrations/003_add_users.sql",
};

pub static MIXED_LAYOUT: Rule = Rule {
    id: "mixed-layout",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "The directory mixes layouts (e.g. `.up.sql` pairs next to plain `.sql` files).",
    why: "Down migrations and ordering are read differently per layout; a mixed directory is ambiguous and one of the files would be misread.",
    fix: "Convert the file to the directory's layout, or force one with `layout = \"…\"` in sqlgate.toml.",
    bad: "001_a.up.sql\n001_a.down.sql\n002_b.sql",
    good: "001_a.up.sql\n001_a.down.sql\n002_b.up.sql\n002_b.down.sql",
};

pub static INCONSISTENT_WIDTH: Rule = Rule {
    id: "inconsistent-width",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "Zero-padded versions of different widths (`009` next to `0010`).",
    why: "Tools and people that sort file names as text put `0010` before `009`, so the order on disk and the order of application disagree.",
    fix: "Use the width the rest of the directory uses (`010`).",
    bad: "009_a.sql\n0010_b.sql",
    good: "009_a.sql\n010_b.sql",
};

pub static ORPHAN_DOWN: Rule = Rule {
    id: "orphan-down",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A down/rollback file without its up migration.",
    why: "Usually a renamed or deleted up file: the rollback can never run, and a typo'd name means the real migration has no rollback.",
    fix: "Rename the down file to match its up migration, or delete it.",
    bad: "003_add_index.up.sql\n003_add_idx.down.sql",
    good: "003_add_index.up.sql\n003_add_index.down.sql",
};

pub static MISSING_DOWN: Rule = Rule {
    id: "missing-down",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration has no down SQL: `check` says so only with `require_down = true`; `rollback` refuses to pass it.",
    why: "Without a down, `sqlgate rollback` refuses to pass this migration (and with `require_down = true` the team asks every migration to be reversible).",
    fix: "Add the down SQL (a `.down.sql` file, a `-- DOWN` section, a `_rollback` sibling or `down.sql`, by layout).",
    bad: "005_add_avatar.up.sql",
    good: "005_add_avatar.up.sql\n005_add_avatar.down.sql",
};

pub static EMPTY_MIGRATION: Rule = Rule {
    id: "empty-migration",
    severity: Severity::Warning,
    on: true,
    category: CATEGORY,
    summary: "A migration's up SQL has nothing but whitespace and comments.",
    why: "Usually an unsaved editor buffer or a bad merge: the version is recorded as applied and the intended change never happens.",
    fix: "Write the SQL, or delete the file. If it is an intentional placeholder, silence the rule for it with `-- sqlgate:ignore-file empty-migration -- <reason>`.",
    bad: "-- Migration: 006_add_index\n",
    good: "-- Migration: 006_add_index\nCREATE INDEX CONCURRENTLY …;",
};

pub static NOT_UTF8: Rule = Rule {
    id: "not-utf8",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration file is not valid UTF-8.",
    why: "PostgreSQL rejects invalid UTF-8 in a UTF8 database, and editors and diffs show it differently on each machine.",
    fix: "Re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
    bad: "INSERT INTO cities VALUES ('M\\xfcnchen'); -- saved as Latin-1",
    good: "INSERT INTO cities VALUES ('München'); -- saved as UTF-8",
};

pub static UNREADABLE_FILE: Rule = Rule {
    id: "unreadable-file",
    severity: Severity::Error,
    on: true,
    category: CATEGORY,
    summary: "A migration file cannot be read (permissions, a dangling symlink or a symlink loop).",
    why: "A migration that cannot be read cannot be checked or applied.",
    fix: "Fix the file's permissions or the symlink.",
    bad: "001_a.sql -> 001_a.sql (a symlink loop)",
    good: "001_a.sql (a regular file)",
};

/// What the directory rules need besides the catalog.
pub struct DirectoryContext<'a> {
    /// The directory as shown to users.
    pub display_dir: &'a str,
    /// `require_down = true` in the configuration.
    pub require_down: bool,
    /// Versions that exist elsewhere (on the base branch but not in the working
    /// tree); they count when looking for gaps.
    pub other_versions: &'a [Version],
    /// Which migrations are judged: new and changed ones, or all with `--all`.
    pub in_scope: &'a dyn Fn(&Migration) -> bool,
}

fn at(ctx: &DirectoryContext, rule: &'static Rule, m: &Migration, message: String) -> Finding {
    Finding::new(rule, display_path(ctx.display_dir, &m.up.path), message).version(m.version.raw())
}

/// The problems found while reading the directory, as findings.
pub fn catalog_problems(cat: &Catalog) -> Vec<Finding> {
    cat.problems
        .iter()
        .map(|p| {
            let rule = match p.kind {
                ProblemKind::InvalidName => &INVALID_NAME,
                ProblemKind::MixedLayout => &MIXED_LAYOUT,
                ProblemKind::OrphanDown => &ORPHAN_DOWN,
                ProblemKind::Unreadable => &UNREADABLE_FILE,
                ProblemKind::NameNotUtf8 => &NOT_UTF8,
            };
            Finding::new(rule, p.file.clone(), p.message.clone())
        })
        .collect()
}

fn file_name(m: &Migration) -> &str {
    m.up.path.as_str()
}

/// Runs every directory rule.
pub fn check(cat: &Catalog, ctx: &DirectoryContext) -> Vec<Finding> {
    let mut out = Vec::new();
    duplicate_versions(cat, ctx, &mut out);
    if cat.numbering == Numbering::Sequential {
        version_gaps(cat, ctx, &mut out);
    }
    if cat.numbering != Numbering::Timestamp {
        inconsistent_width(cat, ctx, &mut out);
    }
    for m in cat.migrations.iter().filter(|m| (ctx.in_scope)(m)) {
        if ctx.require_down && m.down.is_none() {
            let msg = if cat.layout.has_down() {
                format!(
                    "`{}` has no down migration and `require_down = true`",
                    m.name
                )
            } else {
                format!(
                    "`{}` has no down migration and `require_down = true`, but the flat layout has no place for one",
                    m.name
                )
            };
            out.push(at(ctx, &MISSING_DOWN, m, msg));
        }
        if !text::has_sql(&m.up.text) {
            out.push(
                at(
                    ctx,
                    &EMPTY_MIGRATION,
                    m,
                    format!("`{}` contains no SQL", file_name(m)),
                )
                .at(m.up.first_line, 1),
            );
        }
        for part in std::iter::once(&m.up).chain(m.down.as_ref()) {
            if let Some((line, col)) = part.utf8_error {
                out.push(
                    Finding::new(
                        &NOT_UTF8,
                        display_path(ctx.display_dir, &part.path),
                        format!("`{}` is not valid UTF-8 (first invalid byte at line {line}, column {col})", part.path),
                    )
                    .version(m.version.raw())
                    .at(line, col),
                );
            }
        }
    }
    out
}

fn duplicate_versions(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    let mut by_version: BTreeMap<&Version, Vec<&Migration>> = BTreeMap::new();
    for m in &cat.migrations {
        by_version.entry(&m.version).or_default().push(m);
    }
    for (version, ms) in by_version.into_iter().filter(|(_, ms)| ms.len() > 1) {
        let names: Vec<String> = ms.iter().map(|m| format!("`{}`", file_name(m))).collect();
        let all_new = ms.iter().all(|m| (ctx.in_scope)(m));
        for (i, m) in ms.iter().enumerate() {
            // Report the newcomers; when every one is new, the first keeps the number.
            if !(ctx.in_scope)(m) || (all_new && i == 0) {
                continue;
            }
            out.push(at(
                ctx,
                &DUPLICATE_VERSION,
                m,
                format!(
                    "version {version} is used by {} migrations: {}",
                    ms.len(),
                    names.join(", ")
                ),
            ));
        }
    }
}

fn version_gaps(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    let width = common_width(cat).unwrap_or(1);
    let versions: BTreeSet<&Version> = cat
        .migrations
        .iter()
        .map(|m| &m.version)
        .chain(ctx.other_versions.iter())
        .collect();
    let versions: Vec<&Version> = versions.into_iter().collect();
    for pair in versions.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let first_missing = a.succ();
        if &first_missing == b {
            continue;
        }
        let last_missing = b.pred().unwrap_or_else(|| first_missing.clone());
        let missing = if first_missing == last_missing {
            format!("version {} is missing", first_missing.padded(width))
        } else {
            format!(
                "versions {} to {} are missing",
                first_missing.padded(width),
                last_missing.padded(width)
            )
        };
        // Once per version, even when the version is duplicated.
        let first = cat.migrations.iter().find(|m| &m.version == b);
        if let Some(m) = first.filter(|m| (ctx.in_scope)(m)) {
            out.push(at(
                ctx,
                &VERSION_GAP,
                m,
                format!("`{}` follows version {}: {missing}", file_name(m), a.raw()),
            ));
        }
    }
}

/// The version width most migrations use (the wider one on a tie).
/// The width most versions use (the wider on a tie).
pub(crate) fn common_width(cat: &Catalog) -> Option<usize> {
    let mut widths: BTreeMap<usize, usize> = BTreeMap::new();
    for m in &cat.migrations {
        *widths.entry(m.version.width()).or_default() += 1;
    }
    widths
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
        .map(|(w, _)| w)
}

fn inconsistent_width(cat: &Catalog, ctx: &DirectoryContext, out: &mut Vec<Finding>) {
    if !cat.migrations.iter().any(|m| m.version.is_padded()) {
        return; // `1_a.sql`, `10_b.sql`: no padding intended
    }
    let Some(expected) = common_width(cat) else {
        return;
    };
    for m in cat.migrations.iter().filter(|m| (ctx.in_scope)(m)) {
        let w = m.version.width();
        if w != expected && (m.version.is_padded() || w < expected) {
            let mut f = at(
                ctx,
                &INCONSISTENT_WIDTH,
                m,
                format!(
                    "version `{}` is {w} digits wide; the other migrations use {expected} (`{}`)",
                    m.version.raw(),
                    m.version.padded(expected)
                ),
            );
            f.fix = format!(
                "Use the width the rest of the directory uses: `{}` instead of `{}`.",
                m.version.padded(expected),
                m.version.raw()
            );
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{build, CatalogOptions, SourceFile};

    fn cat(files: &[(&str, &str)], numbering: Option<Numbering>) -> Catalog {
        let files: Vec<SourceFile> = files.iter().map(|(p, c)| SourceFile::new(*p, *c)).collect();
        build(
            &files,
            &CatalogOptions {
                numbering,
                display_dir: "m".into(),
                ..Default::default()
            },
        )
    }

    fn run(c: &Catalog, require_down: bool) -> Vec<(String, String)> {
        let all = |_: &Migration| true;
        let ctx = DirectoryContext {
            display_dir: "m",
            require_down,
            other_versions: &[],
            in_scope: &all,
        };
        check(c, &ctx)
            .into_iter()
            .map(|f| (f.rule.to_string(), f.file))
            .collect()
    }

    #[test]
    fn clean_sequential_directory_has_no_findings() {
        let c = cat(
            &[("001_a.sql", "select 1;"), ("002_b.sql", "select 2;")],
            None,
        );
        assert!(run(&c, false).is_empty());
    }

    #[test]
    fn duplicate_reports_the_second() {
        let c = cat(
            &[
                ("001_a.sql", "select 1;"),
                ("001_b.sql", "select 2;"),
                ("002_c.sql", "x"),
            ],
            None,
        );
        assert_eq!(
            run(&c, false),
            [("duplicate-version".into(), "m/001_b.sql".into())]
        );
    }

    #[test]
    fn duplicate_reports_only_the_new_one() {
        let c = cat(
            &[("001_a.sql", "select 1;"), ("001_b.sql", "select 2;")],
            None,
        );
        let only_a = |m: &Migration| m.name == "001_a";
        let ctx = DirectoryContext {
            display_dir: "m",
            require_down: false,
            other_versions: &[],
            in_scope: &only_a,
        };
        let f = check(&c, &ctx);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].file, "m/001_a.sql");
        assert!(f[0].message.contains("`001_a.sql`, `001_b.sql`"));
    }

    #[test]
    fn gaps_in_sequential_only() {
        let files = [("001_a.sql", "x"), ("002_b.sql", "x"), ("005_c.sql", "x")];
        let c = cat(&files, None);
        let f = run(&c, false);
        assert_eq!(f, [("version-gap".into(), "m/005_c.sql".into())]);
        let all = |_: &Migration| true;
        let msg = &check(
            &c,
            &DirectoryContext {
                display_dir: "m",
                require_down: false,
                other_versions: &[],
                in_scope: &all,
            },
        )[0]
        .message;
        assert!(msg.contains("versions 003 to 004 are missing"), "{msg}");
        assert!(run(&cat(&files, Some(Numbering::Sparse)), false).is_empty());
        let ts = cat(
            &[("20240101000000_a.sql", "x"), ("20240301000000_b.sql", "x")],
            None,
        );
        assert!(run(&ts, false).is_empty());
    }

    #[test]
    fn gap_closed_by_a_version_elsewhere() {
        let c = cat(&[("001_a.sql", "x"), ("003_c.sql", "x")], None);
        let all = |_: &Migration| true;
        let v2 = [Version::from_digits("2").unwrap()];
        let ctx = DirectoryContext {
            display_dir: "m",
            require_down: false,
            other_versions: &v2,
            in_scope: &all,
        };
        assert!(check(&c, &ctx).is_empty());
    }

    #[test]
    fn width_rules() {
        let c = cat(
            &[("008_a.sql", "x"), ("009_b.sql", "x"), ("0010_c.sql", "x")],
            None,
        );
        assert_eq!(
            run(&c, false),
            [("inconsistent-width".into(), "m/0010_c.sql".into())]
        );
        let unpadded = cat(&[("9_a.sql", "x"), ("10_b.sql", "x")], None);
        assert!(run(&unpadded, false).is_empty());
        let overflow = cat(
            &[
                ("998_a.sql", "x"),
                ("999_b.sql", "x"),
                ("1000_c.sql", "x"),
                ("001_z.sql", "x"),
            ],
            Some(Numbering::Sparse),
        );
        assert!(run(&overflow, false).is_empty());
    }

    #[test]
    fn missing_down_only_when_required() {
        let c = cat(
            &[
                ("001_a.up.sql", "x"),
                ("002_b.up.sql", "x"),
                ("002_b.down.sql", "y"),
            ],
            None,
        );
        assert!(run(&c, false).is_empty());
        assert_eq!(
            run(&c, true),
            [("missing-down".into(), "m/001_a.up.sql".into())]
        );
    }

    #[test]
    fn empty_and_not_utf8() {
        let mut c = cat(
            &[
                ("001_a.sql", "-- only a comment\n"),
                ("002_b.sql", "select 1;"),
            ],
            None,
        );
        assert_eq!(
            run(&c, false),
            [("empty-migration".into(), "m/001_a.sql".into())]
        );
        c.migrations[1].up.utf8_error = Some((1, 3));
        let f = run(&c, false);
        assert!(f.contains(&("not-utf8".into(), "m/002_b.sql".into())));
    }
}
