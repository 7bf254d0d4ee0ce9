//! `sqlgate create` through the real binary, in each layout.

use crate::support::*;

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = walk(dir, dir);
    v.sort();
    v
}

fn walk(root: &std::path::Path, dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(root, &p));
        } else {
            out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
        }
    }
    out
}

/// Existing files, and the files `create` must add.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);

#[test]
fn creates_the_next_migration_in_each_layout() {
    let cases: &[Case] = &[
        (&[("001_a.sql", "select 1;")], &["002_add_avatar.sql"]),
        (
            &[("001_a.sql", "-- UP\nselect 1;\n-- DOWN\nselect 0;\n")],
            &["002_add_avatar.sql"],
        ),
        (
            &[
                ("0009_a.up.sql", "select 1;"),
                ("0009_a.down.sql", "select 0;"),
            ],
            &["0010_add_avatar.down.sql", "0010_add_avatar.up.sql"],
        ),
        (
            &[
                ("001_a.sql", "select 1;"),
                ("001_a_rollback.sql", "select 0;"),
            ],
            &["002_add_avatar.sql", "002_add_avatar_rollback.sql"],
        ),
        // The directory's separator and width, Flyway's and goose's naming.
        (&[("005-add-x.sql", "select 1;")], &["006-add-avatar.sql"]),
        (&[("V1__a.sql", "select 1;")], &["V2__add_avatar.sql"]),
        (
            &[(
                "00001_a.sql",
                "-- +goose Up\nselect 1;\n-- +goose Down\nselect 0;\n",
            )],
            &["00002_add_avatar.sql"],
        ),
    ];
    for (existing, expected_new) in cases {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("migrations");
        for (name, body) in existing.iter() {
            write(dir.join(name), body);
        }
        let before = listing(&dir);
        let r = sg(t.path(), &["create", "Add avatar"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let mut added: Vec<String> = listing(&dir)
            .into_iter()
            .filter(|f| !before.contains(f))
            .collect();
        added.sort();
        assert_eq!(added, *expected_new);
        assert!(r.stdout.contains("created "), "{}", r.stdout);
        // The new files read back as one new migration with no errors.
        let (code, v) = check_json(t.path(), &[]);
        assert_eq!(code, 0, "{v}");
        assert_eq!(
            v["migrations"]["total"],
            existing
                .iter()
                .filter(|(n, _)| !n.contains("down") && !n.contains("rollback"))
                .count()
                + 1
        );
    }
}

#[test]
fn folders_and_timestamps() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("migrations");
    write(
        dir.join("2019-02-26-002946_create_user/up.sql"),
        "select 1;",
    );
    write(
        dir.join("2019-02-26-002946_create_user/down.sql"),
        "select 0;",
    );
    let r = sg(t.path(), &["create", "add_posts"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let files = listing(&dir);
    let new: Vec<&String> = files.iter().filter(|f| f.contains("add_posts")).collect();
    assert_eq!(new.len(), 2, "{files:?}");
    assert!(new.iter().any(|f| f.ends_with("_add_posts/up.sql")));
    let content = std::fs::read_to_string(dir.join(new[0])).unwrap();
    assert!(content.starts_with("-- Migration: "), "{content}");
    let (code, v) = check_json(t.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["numbering"], "timestamp");
}

#[test]
fn empty_or_missing_directory_and_refusals() {
    let t = tempfile::tempdir().unwrap();
    let r = sg(t.path(), &["create", "init"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(t.path().join("migrations/001_init.sql").is_file());
    let r = sg(t.path(), &["create", "Init"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("already exists"), "{}", r.stderr);
    let r = sg(
        t.path(),
        &["create", "--layout", "pairs", "--dir", "other", "first one"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(t.path().join("other/001_first_one.up.sql").is_file());
    assert!(t.path().join("other/001_first_one.down.sql").is_file());
}

/// One file wider than the rest (`0003_…`) is not the directory's width: `create`
/// uses the width most files use, so `check` has nothing to say about the new file.
#[test]
fn the_width_most_files_use() {
    let t = tempfile::tempdir().expect("tempdir");
    migrations(
        t.path(),
        &[
            ("001_a.sql", "CREATE TABLE a (id int);\n"),
            ("002_b.sql", "CREATE TABLE b (id int);\n"),
            ("0003_c.sql", "CREATE TABLE c (id int);\n"),
        ],
    );
    let r = sg(t.path(), &["create", "add_d"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        listing(t.path()).contains(&"migrations/004_add_d.sql".to_string()),
        "{:?}",
        listing(t.path())
    );
}
