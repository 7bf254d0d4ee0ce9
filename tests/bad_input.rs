//! Bad input: every case gives a clear finding or error, never a panic.

use crate::support::*;
use std::time::Instant;

fn no_panic(r: &Run) {
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn invalid_utf8_points_at_the_byte() {
    let t = tempfile::tempdir().unwrap();
    write(
        t.path().join("migrations/001_a.sql"),
        b"select 1;\ninsert into c values ('M\xfcnchen');\n",
    );
    let (code, v) = check_json(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rules(&v), ["not-utf8"]);
    assert_eq!(
        (
            v["findings"][0]["line"].as_u64(),
            v["findings"][0]["column"].as_u64()
        ),
        (Some(2), Some(25))
    );
}

#[test]
fn empty_file() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("migrations/001_a.sql"), "");
    let (code, v) = check_json(t.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(rules(&v), ["empty-migration"]);
}

#[test]
fn fifty_megabyte_file() {
    let t = tempfile::tempdir().unwrap();
    let line = "insert into big values (1, 'some reasonably long text to fill the line');\n";
    let body = line.repeat(50 * 1024 * 1024 / line.len());
    write(t.path().join("migrations/001_big.sql"), &body);
    write(t.path().join("migrations/002_next.sql"), "select 2;\n");
    let start = Instant::now();
    let r = sg(t.path(), &["check"]);
    no_panic(&r);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(start.elapsed().as_secs() < 60);
}

#[test]
fn ten_thousand_files() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("migrations");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 1..=10_000 {
        std::fs::write(
            dir.join(format!("{i:05}_m{i}.sql")),
            format!("create table t{i} (id int);\n"),
        )
        .unwrap();
    }
    let (code, v) = check_json(t.path(), &[]);
    assert_eq!(code, 0, "{}", v["findings"]);
    assert_eq!(v["migrations"]["total"], 10_000);
}

#[test]
fn dangling_symlink_and_symlink_loop() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("migrations");
    write(dir.join("001_a.sql"), "select 1;\n");
    std::os::unix::fs::symlink(dir.join("nowhere.sql"), dir.join("002_dangling.sql")).unwrap();
    std::os::unix::fs::symlink(dir.join("003_loop.sql"), dir.join("003_loop.sql")).unwrap();
    let r = sg(t.path(), &["check"]);
    no_panic(&r);
    assert_eq!(r.code, 1);
    assert!(r.stdout.contains("unreadable-file"));
    let (_, v) = check_json(t.path(), &[]);
    assert_eq!(
        rule_files(&v),
        [
            (
                "unreadable-file".to_string(),
                "migrations/002_dangling.sql".to_string()
            ),
            (
                "unreadable-file".to_string(),
                "migrations/003_loop.sql".to_string()
            ),
        ]
    );
    let loop_msg = v["findings"][1]["message"].as_str().unwrap();
    assert!(loop_msg.contains("symbolic links"), "{loop_msg}");
}

#[test]
fn file_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("migrations/001_secret.sql");
    write(&f, "select 1;\n");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable = std::fs::read(&f).is_ok(); // root reads anyway
    let (code, v) = check_json(t.path(), &[]);
    if readable {
        assert_eq!(code, 0);
        assert!(rules(&v).is_empty());
    } else {
        assert_eq!(code, 1);
        assert_eq!(rules(&v), ["unreadable-file"]);
        assert!(v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("ermission denied"));
    }
}

#[test]
fn directory_that_is_a_file() {
    let t = tempfile::tempdir().unwrap();
    write(t.path().join("migrations"), "oops");
    let r = sg(t.path(), &["check"]);
    no_panic(&r);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("migration directory"), "{}", r.stderr);
}

#[test]
fn binary_garbage_in_migrations_and_names() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("migrations");
    write(dir.join("001_a.sql"), [0u8, 159, 146, 150, 0, 255, 254]);
    write(
        dir.join("99999999999999999999999999999999_huge.sql"),
        "select 1;",
    );
    write(dir.join("-- weird name ;.sql"), "select 1;");
    let r = sg(t.path(), &["check", "--numbering", "sparse"]);
    no_panic(&r);
    assert_eq!(r.code, 1);
    let (_, v) = check_json(t.path(), &["--numbering", "sparse"]);
    assert_eq!(
        rules(&v),
        [
            "inconsistent-width",
            "invalid-name",
            "not-utf8",
            "syntax-error"
        ]
    );
}
