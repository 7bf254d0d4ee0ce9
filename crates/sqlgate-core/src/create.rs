//! `sqlgate create <name>`: the next migration in the directory's own layout and
//! numbering, with a header comment. Pure: the binary writes the planned files.

use crate::catalog::{self, Catalog, Layout, Numbering};
use chrono::{DateTime, Utc};

/// A file to write, relative to the migration directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub path: String,
    pub content: String,
}

/// Turns "Add user avatar" into `add_user_avatar`.
pub fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.trim().chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    s.trim_matches('_').to_string()
}

fn separator(cat: &Catalog) -> char {
    let dashes = cat
        .migrations
        .iter()
        .filter(|m| m.name[m.version.raw().len().min(m.name.len())..].starts_with('-'))
        .count();
    if cat.layout != Layout::Folders && dashes * 2 > cat.migrations.len() {
        '-'
    } else {
        '_'
    }
}

fn next_version(
    cat: &Catalog,
    numbering: Numbering,
    layout: Layout,
    now: DateTime<Utc>,
    after: Option<&catalog::Version>,
) -> String {
    let max = after.or(cat.max_version());
    let width = cat.migrations.iter().map(|m| m.version.width()).max();
    match numbering {
        Numbering::Sequential | Numbering::Sparse => {
            // The width most files use: one odd wider file (`0009_x`) is not copied.
            let width = crate::rules::directory::common_width(cat).unwrap_or(3);
            match max {
                Some(m) if m.is_dotted() => m.succ().canonical().to_string(),
                Some(m) => m.succ().padded(width),
                None if layout == Layout::Flyway => "1".into(),
                None => format!("{:0>width$}", 1),
            }
        }
        Numbering::Timestamp => {
            let width = width.unwrap_or(14);
            let mut digits = if width == 10 {
                now.timestamp().to_string()
            } else {
                let mut d = now.format("%Y%m%d%H%M%S").to_string();
                while d.len() < width {
                    d.push('0');
                }
                d
            };
            let candidate = cat.version(&digits);
            if let (Some(c), Some(m)) = (&candidate, max) {
                if c <= m {
                    digits = m.succ().padded(width);
                    return digits;
                }
            }
            if layout == Layout::Folders && digits.len() >= 14 {
                // diesel style: 2024-01-31-120000[-0000]
                let mut s = format!(
                    "{}-{}-{}-{}",
                    &digits[0..4],
                    &digits[4..6],
                    &digits[6..8],
                    &digits[8..14]
                );
                if digits.len() > 14 {
                    s.push('-');
                    s.push_str(&digits[14..]);
                }
                return s;
            }
            digits
        }
    }
}

/// The up path `m` would have with the next version of the directory (a fresh
/// timestamp, or the next number): the fix for a migration that is out of order.
pub fn renamed_path(cat: &Catalog, m: &catalog::Migration, now: DateTime<Utc>) -> String {
    let next = next_version(cat, cat.numbering, cat.layout, now, None);
    // The version as written is the name without its description and separator.
    let written = m.name.len().saturating_sub(m.description.len());
    let stem = if cat.layout == Layout::Flyway {
        format!("V{next}__{}", m.description)
    } else if m.description.is_empty() || written == 0 {
        next
    } else {
        let sep = &m.name[written - 1..written];
        format!("{next}{sep}{}", m.description)
    };
    m.up.path.replacen(&m.name, &stem, 1)
}

/// Plans the files for a new migration named `name` in a directory read as `cat`.
pub fn plan(
    cat: &Catalog,
    name: &str,
    layout: Option<Layout>,
    numbering: Option<Numbering>,
    now: DateTime<Utc>,
) -> Result<Vec<NewFile>, String> {
    plan_inner(cat, name, layout, numbering, now, None).map(|(files, _)| files)
}

/// Plans a migration that follows `after` (a version planned earlier in the same run),
/// in the directory's layout and numbering; returns its files and its version.
pub fn plan_after(
    cat: &Catalog,
    name: &str,
    after: Option<&catalog::Version>,
    now: DateTime<Utc>,
) -> Result<(Vec<NewFile>, String), String> {
    plan_inner(cat, name, None, None, now, after)
}

fn plan_inner(
    cat: &Catalog,
    name: &str,
    layout: Option<Layout>,
    numbering: Option<Numbering>,
    now: DateTime<Utc>,
    after: Option<&catalog::Version>,
) -> Result<(Vec<NewFile>, String), String> {
    let wanted = slug(name);
    if wanted.is_empty() {
        return Err(format!(
            "`{name}` has no letters or digits to name a migration with"
        ));
    }
    if let Some(existing) = cat
        .migrations
        .iter()
        .find(|m| slug(&m.description) == wanted)
    {
        return Err(format!(
            "a migration named `{wanted}` already exists: `{}`; choose another name",
            existing.up.path
        ));
    }
    let layout = layout.unwrap_or(if cat.migrations.is_empty() {
        Layout::Flat
    } else {
        cat.layout
    });
    let numbering = numbering.unwrap_or(cat.numbering);
    let version = next_version(cat, numbering, layout, now, after);
    // The directory's own style: `005-add-x.sql` → `006-add-usage-indexes.sql`.
    let sep = separator(cat);
    let wanted = if sep == '-' {
        wanted.replace('_', "-")
    } else {
        wanted
    };
    let stem = match layout {
        Layout::Flyway => format!("V{version}__{wanted}"),
        _ => format!("{version}{sep}{wanted}"),
    };
    let header = format!(
        "-- Migration: {stem}\n-- Created: {}\n-- Description: {}\n",
        now.format("%Y-%m-%dT%H:%M:%SZ"),
        wanted.replace(['_', '-'], " ")
    );
    let up_body = "\n-- Write the forward (up) SQL here.\n";
    let down_body = "\n-- Write the SQL that undoes the up migration here.\n";
    let dbmate = cat.migrations.iter().any(|m| {
        m.up.text
            .lines()
            .any(|l| l.trim_start().starts_with("-- migrate:up"))
    });
    let files = match layout {
        Layout::Flat => vec![NewFile {
            path: format!("{stem}.sql"),
            content: format!("{header}{up_body}"),
        }],
        Layout::Flyway => vec![NewFile {
            path: format!("{stem}.sql"),
            content: format!("{header}{up_body}"),
        }],
        Layout::Goose => vec![NewFile {
            path: format!("{stem}.sql"),
            content: format!("{header}\n-- +goose Up\n{up_body}\n-- +goose Down\n{down_body}"),
        }],
        Layout::Markers => {
            let (up, down) = if dbmate {
                ("-- migrate:up", "-- migrate:down")
            } else {
                ("-- UP", "-- DOWN")
            };
            vec![NewFile {
                path: format!("{stem}.sql"),
                content: format!("{header}\n{up}\n{up_body}\n{down}\n{down_body}"),
            }]
        }
        Layout::Pairs => vec![
            NewFile {
                path: format!("{stem}.up.sql"),
                content: format!("{header}{up_body}"),
            },
            NewFile {
                path: format!("{stem}.down.sql"),
                content: format!("{header}{down_body}"),
            },
        ],
        Layout::Rollback => vec![
            NewFile {
                path: format!("{stem}.sql"),
                content: format!("{header}{up_body}"),
            },
            NewFile {
                path: format!("{stem}_rollback.sql"),
                content: format!("{header}{down_body}"),
            },
        ],
        Layout::Folders => vec![
            NewFile {
                path: format!("{stem}/up.sql"),
                content: format!("{header}{up_body}"),
            },
            NewFile {
                path: format!("{stem}/down.sql"),
                content: format!("{header}{down_body}"),
            },
        ],
    };
    // The result must read back as one new migration.
    debug_assert!(files.iter().all(|f| catalog::is_candidate(&f.path)));
    Ok((files, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::of_files as cat;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 9, 30, 5)
            .single()
            .unwrap_or_default()
    }

    fn paths(files: &[NewFile]) -> Vec<&str> {
        files.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn diesel_folders_get_a_fresh_timestamp_in_diesel_order() {
        // The newest folder by diesel's (text) order is an 18-digit 2025 one: today's
        // 14-digit timestamp still sorts after it, so it is used as it is.
        let c = cat(&[
            ("2025-11-19-091444-0000_a/up.sql", "x"),
            ("2024-01-01-000000_b/up.sql", "x"),
        ]);
        let f = plan(&c, "c", None, None, now()).unwrap();
        assert_eq!(paths(&f)[0], "2026-11-22-093005-0000_c/up.sql");
        // The fix of an out-of-order finding names the same kind of fresh name.
        let m = &c.migrations[0];
        assert_eq!(
            renamed_path(&c, m, now()),
            "2026-11-22-093005-0000_b/up.sql"
        );
    }

    #[test]
    fn kebab_directories_get_kebab_names() {
        let c = cat(&[("005-add-x.sql", "select 1;")]);
        let f = plan(&c, "add usage indexes", None, None, now()).unwrap();
        assert_eq!(paths(&f), ["006-add-usage-indexes.sql"]);
    }

    #[test]
    fn flyway_and_goose_directories() {
        let c = cat(&[
            ("V1__init.sql", "select 1;"),
            ("V1.2__more.sql", "select 1;"),
        ]);
        let f = plan(&c, "add x", None, None, now()).unwrap();
        assert_eq!(paths(&f), ["V1.3__add_x.sql"]);
        let c = cat(&[(
            "00001_a.sql",
            "-- +goose Up\nselect 1;\n-- +goose Down\nselect 1;\n",
        )]);
        let f = plan(&c, "b", None, None, now()).unwrap();
        assert_eq!(paths(&f), ["00002_b.sql"]);
        assert!(f[0].content.contains("-- +goose Up") && f[0].content.contains("-- +goose Down"));
    }

    #[test]
    fn sequential_keeps_width_and_separator() {
        let c = cat(&[("001_a.sql", "x"), ("009_b.sql", "x")]);
        let f = plan(&c, "Add user avatar", None, None, now()).unwrap();
        assert_eq!(paths(&f), ["010_add_user_avatar.sql"]);
        assert!(f[0]
            .content
            .starts_with("-- Migration: 010_add_user_avatar\n-- Created: 2026-11-22T09:30:05Z\n"));
        let c = cat(&[("001-a.sql", "x"), ("002-b.sql", "x")]);
        assert_eq!(
            paths(&plan(&c, "c", None, None, now()).unwrap()),
            ["003-c.sql"]
        );
        let empty = cat(&[]);
        assert_eq!(
            paths(&plan(&empty, "init", None, None, now()).unwrap()),
            ["001_init.sql"]
        );
    }

    #[test]
    fn each_layout() {
        let markers = cat(&[("001_a.sql", "-- UP\nx\n-- DOWN\ny\n")]);
        let f = plan(&markers, "b", None, None, now()).unwrap();
        assert!(f[0].content.contains("\n-- UP\n") && f[0].content.contains("\n-- DOWN\n"));
        let dbmate = cat(&[(
            "20240101000000_a.sql",
            "-- migrate:up\nx\n-- migrate:down\ny\n",
        )]);
        let f = plan(&dbmate, "b", None, None, now()).unwrap();
        assert_eq!(paths(&f), ["20261122093005_b.sql"]);
        assert!(f[0].content.contains("-- migrate:up") && f[0].content.contains("-- migrate:down"));
        let pairs = cat(&[("0001_a.up.sql", "x")]);
        assert_eq!(
            paths(&plan(&pairs, "b", None, None, now()).unwrap()),
            ["0002_b.up.sql", "0002_b.down.sql"]
        );
        let rb = cat(&[("001_a.sql", "x"), ("001_a_rollback.sql", "y")]);
        assert_eq!(
            paths(&plan(&rb, "b", None, None, now()).unwrap()),
            ["002_b.sql", "002_b_rollback.sql"]
        );
        let folders = cat(&[("2019-02-26-002946_create_user/up.sql", "x")]);
        assert_eq!(
            paths(&plan(&folders, "b", None, None, now()).unwrap()),
            ["2026-11-22-093005_b/up.sql", "2026-11-22-093005_b/down.sql"]
        );
        let kratos = cat(&[("20150100000001000000_networks.up.sql", "x")]);
        assert_eq!(
            paths(&plan(&kratos, "b", None, None, now()).unwrap())[0],
            "20261122093005000000_b.up.sql"
        );
    }

    #[test]
    fn timestamp_never_goes_backwards_and_names_are_unique() {
        let future = cat(&[("20990101000000_a.sql", "x")]);
        assert_eq!(
            paths(&plan(&future, "b", None, None, now()).unwrap()),
            ["20990101000001_b.sql"]
        );
        let c = cat(&[("001_add_users.sql", "x")]);
        let e = plan(&c, "Add users", None, None, now()).unwrap_err();
        assert!(e.contains("already exists"), "{e}");
        assert!(plan(&c, "!!!", None, None, now()).is_err());
    }
}
