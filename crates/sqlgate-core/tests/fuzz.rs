//! Property tests (bounded fuzzing, run with every `cargo test`): the catalog and the
//! statement splitter take any bytes and any file names without panicking, and what
//! they report stays inside the input.

use proptest::prelude::*;
use sqlgate_core::catalog::{build, CatalogOptions, Content, SourceFile};
use sqlgate_core::sql;
use std::collections::BTreeMap;

/// File names a directory could hold: migration-like, layout suffixes, folders,
/// dialects, odd characters.
fn name() -> impl Strategy<Value = String> {
    let stem = prop_oneof![
        "[0-9]{1,20}",
        "[0-9]{1,4}[_.-][a-z_]{0,8}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{6}_[a-z]{1,6}",
        "V[0-9]{1,3}__[a-z]{1,5}",
        "[^/\\x00]{0,12}",
    ];
    let suffix = prop_oneof![
        Just(".sql"),
        Just(".up.sql"),
        Just(".down.sql"),
        Just("_rollback.sql"),
        Just(".postgres.up.sql"),
        Just(".mysql.up.sql"),
        Just("/up.sql"),
        Just("/down.sql"),
        Just("/metadata.toml"),
        Just(".txt"),
    ];
    (stem, suffix).prop_map(|(s, x)| format!("{s}{x}"))
}

/// SQL-ish text: statements, comments, quotes, markers, directives, junk.
fn sqlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("CREATE TABLE t (id int);\n".to_string()),
        Just("ALTER TABLE t ADD COLUMN c text NOT NULL;\n".to_string()),
        Just("CREATE INDEX CONCURRENTLY i ON t (id);\n".to_string()),
        Just("-- UP\n".to_string()),
        Just("-- DOWN\n".to_string()),
        Just("-- migrate:up transaction:false\n".to_string()),
        Just("-- sqlgate:no-transaction\n".to_string()),
        Just("-- sqlgate:ignore drop-table\n".to_string()),
        Just("DO $$ BEGIN PERFORM 1; END $$;\n".to_string()),
        Just("'unterminated".to_string()),
        Just("/* comment ".to_string()),
        Just("BEGIN; COMMIT;\n".to_string()),
        Just("${VAR} :name :'q' ::int\n".to_string()),
        "[^\\x00]{0,40}",
        proptest::collection::vec(any::<u8>(), 0..20)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_catalog_takes_any_directory(files in proptest::collection::vec((name(), proptest::collection::vec(any::<u8>(), 0..200)), 0..12)) {
        let files: Vec<SourceFile> = files
            .into_iter()
            .map(|(path, bytes)| SourceFile { path, content: Content::Bytes(bytes), name_not_utf8: false })
            .collect();
        let cat = build(&files, &CatalogOptions { display_dir: "m".into(), ..Default::default() });
        for m in &cat.migrations {
            prop_assert!(files.iter().any(|f| f.path == m.up.path));
            prop_assert_eq!(m.up.checksum.len(), 64);
        }
        // Sorted by version.
        for pair in cat.migrations.windows(2) {
            prop_assert!(pair[0].version <= pair[1].version);
        }
    }

    #[test]
    fn the_splitter_takes_any_text(text in sqlish(), first_line in 1u32..50) {
        let mut vars = BTreeMap::new();
        vars.insert("VAR".to_string(), "x".to_string());
        let parsed = sql::parse(&text, &vars, first_line);
        let lines = text.lines().count() as u32 + first_line + 1;
        for s in &parsed.statements {
            prop_assert!(s.start <= s.end && s.end <= text.len());
            prop_assert!(s.line >= first_line && s.line <= lines);
            prop_assert!(s.end_line >= s.line);
            prop_assert!(text.get(s.start..s.end).is_some());
        }
        for p in &parsed.problems {
            prop_assert!(p.line >= first_line && p.line <= lines && p.column >= 1);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Texts past the size where parsing goes chunk by chunk give every statement,
    /// with or without line breaks.
    #[test]
    fn big_texts_lose_no_statement(stmts in proptest::collection::vec(prop_oneof![
        Just("SELECT 1;"),
        Just("CREATE TABLE t (id int);"),
        Just("INSERT INTO t VALUES (1), (2);"),
        Just("-- a comment\n"),
        Just("UPDATE t SET id = id + 1 WHERE id > 0;"),
    ], 1..20), repeat in 1usize..4000, newlines in any::<bool>()) {
        let sep = if newlines { "\n" } else { " " };
        let one = stmts.join(sep);
        let text = std::iter::repeat_n(one.as_str(), repeat).collect::<Vec<_>>().join(sep);
        let vars = BTreeMap::new();
        let whole = sql::parse(&text, &vars, 1);
        prop_assert!(whole.problems.is_empty());
        let expected = stmts.iter().filter(|s| !s.starts_with("--")).count() * repeat;
        prop_assert_eq!(whole.statements.len(), expected);
    }
}
