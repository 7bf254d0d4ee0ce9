//! Text-level handling of one migration file: byte normalization and checksums,
//! UP/DOWN markers, directives in comments, placeholders, and "is there any SQL".
//! Pure functions, no I/O.

use regex::Regex;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Strips a UTF-8 BOM and turns CRLF and lone CR into LF.
pub fn normalize(bytes: &[u8]) -> Vec<u8> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if !bytes.contains(&b'\r') {
        return bytes.to_vec();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\r' {
            out.push(b'\n');
            if bytes.get(i + 1) == Some(&b'\n') {
                i += 1;
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    out
}

/// A file name as sqlgate shows and identifies it: valid UTF-8 as it is; otherwise
/// each byte that is not part of valid UTF-8 as `\xHH`, so two different names never
/// look the same. `None` for the escape when the name is valid UTF-8.
pub fn escape_name(bytes: &[u8]) -> (String, bool) {
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), false),
        Err(_) => {
            let mut out = String::new();
            for chunk in bytes.utf8_chunks() {
                out.push_str(chunk.valid());
                for b in chunk.invalid() {
                    out.push_str(&format!("\\x{b:02X}"));
                }
            }
            (out, true)
        }
    }
}

/// SHA-256 (lower-case hex) of already-normalized bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// Decodes normalized bytes. Invalid UTF-8 yields lossy text plus the 1-based
/// line and column of the first invalid byte.
pub fn decode(bytes: Vec<u8>) -> (String, Option<(u32, u32)>) {
    match String::from_utf8(bytes) {
        Ok(s) => (s, None),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let prefix = &bytes[..valid];
            let line = prefix.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            let line_start = prefix
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1);
            let col = String::from_utf8_lossy(&prefix[line_start..])
                .chars()
                .count() as u32
                + 1;
            (
                String::from_utf8_lossy(&bytes).into_owned(),
                Some((line, col)),
            )
        }
    }
}

/// Which section a marker line opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    Up { no_transaction: bool },
    Down { no_transaction: bool },
}

fn marker_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?ix)^\s*--\s*(?:
                (?P<plain>up|down)(?:\s+migration)?\s*:?\s*$
              | migrate:(?P<dbmate>up|down)\b(?P<opts>.*)$
              | \+(?:goose|migrate)\s+(?P<goose>up|down)\b.*$
            )",
        )
        .expect("static regex")
    })
}

/// Recognizes a section marker line: `-- UP`, `-- DOWN`, `-- Up Migration`,
/// dbmate's `-- migrate:up [transaction:false]`, goose/sql-migrate's `-- +goose Up`.
pub fn marker(line: &str) -> Option<Marker> {
    let line = line.trim();
    if !line.starts_with("--") {
        return None;
    }
    let caps = marker_re().captures(line)?;
    let word = caps
        .name("plain")
        .or_else(|| caps.name("dbmate"))
        .or_else(|| caps.name("goose"))?
        .as_str()
        .to_ascii_lowercase();
    let no_transaction = caps
        .name("opts")
        .is_some_and(|o| o.as_str().replace(' ', "").contains("transaction:false"));
    if word == "down" {
        return Some(Marker::Down { no_transaction });
    }
    Some(Marker::Up { no_transaction })
}

/// True when the sections are goose's (`-- +goose Up`).
pub fn has_goose_markers(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        t.starts_with("--")
            && t.trim_start_matches('-')
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("+goose up")
    })
}

/// True when some line of `text` is an UP/DOWN marker.
pub fn has_markers(text: &str) -> bool {
    text.lines().any(|l| marker(l).is_some())
}

/// A file split at its markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sections {
    /// Everything outside DOWN sections (header comments included).
    pub up: String,
    /// The DOWN sections, or `None` when the file has no DOWN marker.
    pub down: Option<String>,
    /// 1-based line where the DOWN section's first marker is.
    pub down_line: Option<u32>,
    /// True when the file has any marker.
    pub has_markers: bool,
    /// dbmate's `transaction:false` on an up marker.
    pub up_no_transaction: bool,
    /// The DOWN section runs outside a transaction: dbmate's `transaction:false` on
    /// its marker, or a `-- sqlgate:no-transaction` comment right after it.
    pub down_no_transaction: bool,
}

/// Splits a file on UP/DOWN markers. Files without markers are all "up".
pub fn split_sections(text: &str) -> Sections {
    let mut up = String::new();
    let mut down: Option<String> = None;
    let mut down_line = None;
    let mut has_markers = false;
    let mut up_no_transaction = false;
    let mut down_no_transaction = false;
    let mut in_down = false;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        match marker(line) {
            Some(Marker::Down { no_transaction }) => {
                has_markers = true;
                in_down = true;
                down_no_transaction |= no_transaction;
                down_line.get_or_insert(i as u32 + 1);
                let d = down.get_or_insert_with(String::new);
                d.push_str(line);
                continue;
            }
            Some(Marker::Up { no_transaction }) => {
                has_markers = true;
                in_down = false;
                up_no_transaction |= no_transaction;
            }
            None => {}
        }
        if in_down {
            down.get_or_insert_with(String::new).push_str(line);
        } else {
            up.push_str(line);
        }
    }
    // A directive in the comments that open the DOWN section (after its marker), or
    // in the file's header before any marker (the whole file, both directions).
    if let Some(d) = &down {
        let after_marker = d.split_once('\n').map_or("", |(_, rest)| rest);
        let header: String = text
            .split_inclusive('\n')
            .take_while(|l| marker(l).is_none())
            .collect();
        down_no_transaction |= wants_no_transaction(after_marker) || wants_no_transaction(&header);
    }
    Sections {
        up,
        down,
        down_line,
        has_markers,
        up_no_transaction,
        down_no_transaction,
    }
}

/// An `-- sqlgate:ignore` or `-- sqlgate:ignore-file` directive.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IgnoreDirective {
    /// 1-based line of the directive.
    pub line: u32,
    /// True for `ignore-file`.
    pub whole_file: bool,
    pub rules: Vec<String>,
    pub reason: Option<String>,
}

fn ignore_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\s*--\s*sqlgate:(ignore-file|ignore)\b(.*)$").expect("static regex")
    })
}

/// Finds every ignore directive in a file.
pub fn ignore_directives(text: &str) -> Vec<IgnoreDirective> {
    let mut out = Vec::new();
    if !text.contains("sqlgate:ignore") {
        return out;
    }
    for (i, line) in text.lines().enumerate() {
        let Some(c) = ignore_re().captures(line) else {
            continue;
        };
        let rest = c.get(2).map_or("", |m| m.as_str());
        let (rules_part, reason) = match rest.find("--") {
            Some(p) => (&rest[..p], Some(rest[p + 2..].trim().to_string())),
            None => (rest, None),
        };
        let rules = rules_part
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect();
        out.push(IgnoreDirective {
            line: i as u32 + 1,
            whole_file: &c[1] == "ignore-file",
            rules,
            reason: reason.filter(|r| !r.is_empty()),
        });
    }
    out
}

/// True when the leading comment block asks for no transaction:
/// `-- sqlgate:no-transaction`, sqlx's first-line `-- no-transaction`,
/// graphile-migrate's `--! no-transaction`, goose's `-- +goose NO TRANSACTION`; or
/// the file carries postgres-migrations' `-- postgres-migrations disable-transaction`
/// anywhere (that tool looks through the whole file).
pub fn wants_no_transaction(text: &str) -> bool {
    if text.starts_with("-- no-transaction") {
        return true;
    }
    if text.lines().any(|l| {
        l.trim()
            .eq_ignore_ascii_case("-- postgres-migrations disable-transaction")
    }) {
        return true;
    }
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            continue;
        }
        if !t.starts_with("--") {
            break;
        }
        let body = t.trim_start_matches('-').trim_start_matches('!').trim();
        let lower = body.to_ascii_lowercase();
        if lower == "sqlgate:no-transaction"
            || lower.starts_with("sqlgate:no-transaction ")
            || lower == "no-transaction"
            || lower == "+goose no transaction"
        {
            return true;
        }
    }
    false
}

/// True when every statement of `sql` must run outside a transaction block
/// (`CREATE/DROP INDEX CONCURRENTLY`, `REINDEX … CONCURRENTLY`, `VACUUM`, `CREATE/DROP
/// DATABASE`, `… TABLESPACE`, `ALTER SYSTEM`, `DETACH PARTITION … CONCURRENTLY`): such a
/// file runs that way without a directive, as Flyway runs it. A file that mixes them
/// with other statements is not (the rules refuse it), nor one that does not parse.
pub fn all_outside_transaction(sql: &str) -> bool {
    // Such files are a few statements; a large file is never all of them (and is
    // not parsed twice for this).
    if sql.len() > 64 << 10 {
        return false;
    }
    let lower = sql.to_ascii_lowercase();
    if ![
        "concurrently",
        "vacuum",
        "database",
        "tablespace",
        "alter system",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        return false;
    }
    let Ok(parsed) = pg_query::parse(sql, 0) else {
        return false;
    };
    use pg_query::NodeEnum as N;
    let stmts: Vec<&N> = parsed
        .protobuf
        .stmts
        .iter()
        .filter_map(|s| s.stmt.as_ref()?.node.as_ref())
        .collect();
    !stmts.is_empty()
        && stmts.iter().all(|n| match n {
            N::IndexStmt(i) => i.concurrent,
            N::DropStmt(d) => d.concurrent,
            N::ReindexStmt(r) => r.params.iter().any(
                |p| matches!(p.node.as_ref(), Some(N::DefElem(d)) if d.defname == "concurrently"),
            ),
            N::VacuumStmt(v) => v.is_vacuumcmd,
            N::CreatedbStmt(_) | N::DropdbStmt(_) | N::AlterSystemStmt(_) => true,
            N::CreateTableSpaceStmt(_) | N::DropTableSpaceStmt(_) => true,
            N::AlterTableStmt(a) => {
                !a.cmds.is_empty()
                    && a.cmds.iter().all(|c| match c.node.as_ref() {
                        Some(N::AlterTableCmd(c)) => {
                            match c.def.as_ref().and_then(|d| d.node.as_ref()) {
                                Some(N::PartitionCmd(p)) => p.concurrent,
                                _ => false,
                            }
                        }
                        _ => false,
                    })
            }
            _ => false,
        })
}

/// True when `sql` has something besides whitespace and comments.
pub fn has_sql(sql: &str) -> bool {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            c if c.is_ascii_whitespace() => i += 1,
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b';' => i += 1,
            _ => return true,
        }
    }
    false
}

fn placeholder_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|:'([A-Za-z_][A-Za-z0-9_]*)'|:"([A-Za-z_][A-Za-z0-9_]*)"|:([A-Za-z_][A-Za-z0-9_]*)|\{\{(-?[^{}\n]*?-?)\}\}"#,
        )
        .expect("static regex")
    })
}

/// One placeholder replacement: bytes `orig` of the source became bytes `new` of the
/// substituted text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit {
    pub orig: (usize, usize),
    pub new: (usize, usize),
}

/// Substitutes `${NAME}`, `:NAME`, `:'NAME'` (as a quoted literal) and `:"NAME"` (as a
/// quoted identifier) for names defined in `vars`; everything else (`::int` casts,
/// `:=`, undefined names) is left exactly as written.
pub fn substitute(sql: &str, vars: &BTreeMap<String, String>) -> String {
    substitute_mapped(sql, vars).0
}

/// Like [`substitute`], also returning the edits so positions in the substituted text
/// can be mapped back to the source (see [`source_offset`]).
pub fn substitute_mapped(sql: &str, vars: &BTreeMap<String, String>) -> (String, Vec<Edit>) {
    let mut edits = Vec::new();
    if vars.is_empty() {
        return (sql.to_string(), edits);
    }
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut last = 0;
    for caps in placeholder_re().captures_iter(sql) {
        let Some(whole) = caps.get(0) else { continue };
        let start = whole.start();
        // `::name` is a cast, not a placeholder.
        if bytes[start] == b':' && start > 0 && bytes[start - 1] == b':' {
            continue;
        }
        let replacement = if let Some(n) = caps.get(1) {
            vars.get(n.as_str()).cloned()
        } else if let Some(n) = caps.get(2) {
            vars.get(n.as_str())
                .map(|v| format!("'{}'", v.replace('\'', "''")))
        } else if let Some(n) = caps.get(3) {
            vars.get(n.as_str())
                .map(|v| format!("\"{}\"", v.replace('"', "\"\"")))
        } else if let Some(n) = caps.get(4) {
            vars.get(n.as_str()).cloned()
        } else {
            caps.get(5)
                .and_then(|n| vars.get(template_name(n.as_str())).cloned())
        };
        if let Some(r) = replacement {
            out.push_str(&sql[last..start]);
            let new_start = out.len();
            out.push_str(&r);
            edits.push(Edit {
                orig: (start, whole.end()),
                new: (new_start, out.len()),
            });
            last = whole.end();
        }
    }
    out.push_str(&sql[last..]);
    (out, edits)
}

/// The name of a template placeholder from the text between `{{` and `}}`: trimmed,
/// without Go's `-` trim markers (`{{- index .Options "Namespace" -}}` →
/// `index .Options "Namespace"`).
pub fn template_name(inner: &str) -> &str {
    let t = inner.trim();
    let t = t.strip_prefix("- ").unwrap_or(t);
    let t = t.strip_suffix(" -").unwrap_or(t);
    t.trim()
}

/// True for a name a `{{ … }}` placeholder can have: one line, no braces, not blank.
pub fn is_template_name(name: &str) -> bool {
    !name.trim().is_empty() && name.trim() == name && !name.contains(['{', '}', '\n', '\r'])
}

/// The `${NAME}` and `{{ … }}` placeholders of `sql` that `vars` does not define: every
/// occurrence, with its byte offset, in order. (`:NAME` is not listed: outside psql it
/// is just as often SQL, and is left alone.)
pub fn undefined_placeholders(sql: &str, vars: &BTreeMap<String, String>) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    if !sql.contains("${") && !sql.contains("{{") {
        return out;
    }
    for caps in placeholder_re().captures_iter(sql) {
        let (name, at) = if let Some(n) = caps.get(1) {
            (n.as_str(), n.start() - 2)
        } else if let Some(n) = caps.get(5) {
            (template_name(n.as_str()), n.start() - 2)
        } else {
            continue;
        };
        if name.is_empty() || vars.contains_key(name) {
            continue;
        }
        out.push((name.to_string(), at));
    }
    out
}

/// Maps a byte offset of substituted text back to the source text.
pub fn source_offset(edits: &[Edit], pos: usize) -> usize {
    let i = edits.partition_point(|e| e.new.0 <= pos);
    if i == 0 {
        return pos;
    }
    let e = edits[i - 1];
    if pos < e.new.1 {
        e.orig.0
    } else {
        pos - e.new.1 + e.orig.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_strips_bom_and_crlf() {
        assert_eq!(normalize(b"\xEF\xBB\xBFa\r\nb\rc\n"), b"a\nb\nc\n");
        assert_eq!(normalize(b"plain\n"), b"plain\n");
        assert_eq!(
            sha256_hex(&normalize(b"select 1;\r\n")),
            sha256_hex(&normalize(b"\xEF\xBB\xBFselect 1;\n"))
        );
        assert_ne!(sha256_hex(b"select 1;\n"), sha256_hex(b"select 2;\n"));
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn decode_reports_first_bad_byte() {
        let (_, pos) = decode(b"select 1;\nselect '\xff';\n".to_vec());
        assert_eq!(pos, Some((2, 9)));
        assert_eq!(decode(b"ok".to_vec()).1, None);
    }

    #[test]
    fn markers_are_recognized_strictly() {
        assert_eq!(
            marker("-- UP"),
            Some(Marker::Up {
                no_transaction: false
            })
        );
        assert_eq!(
            marker("-- DOWN\n"),
            Some(Marker::Down {
                no_transaction: false
            })
        );
        assert_eq!(
            marker("-- Down Migration"),
            Some(Marker::Down {
                no_transaction: false
            })
        );
        assert_eq!(
            marker("-- migrate:down"),
            Some(Marker::Down {
                no_transaction: false
            })
        );
        assert_eq!(
            marker("-- migrate:down transaction:false"),
            Some(Marker::Down {
                no_transaction: true
            })
        );
        assert_eq!(
            marker("-- migrate:up transaction:false"),
            Some(Marker::Up {
                no_transaction: true
            })
        );
        assert_eq!(
            marker("-- +goose Up"),
            Some(Marker::Up {
                no_transaction: false
            })
        );
        assert_eq!(marker("-- Update the users table"), None);
        assert_eq!(marker("-- up the limit"), None);
        assert_eq!(marker("select 1 -- UP"), None);
    }

    #[test]
    fn split_keeps_header_in_up_and_down_separate() {
        let s =
            split_sections("-- Migration: 1\n-- UP\ncreate table a();\n\n-- DOWN\ndrop table a;\n");
        assert_eq!(s.up, "-- Migration: 1\n-- UP\ncreate table a();\n\n");
        assert_eq!(s.down.as_deref(), Some("-- DOWN\ndrop table a;\n"));
        assert_eq!(s.down_line, Some(5));
        assert!(s.has_markers);
        let plain = split_sections("create table a();\n");
        assert!(!plain.has_markers);
        assert_eq!(plain.down, None);
    }

    #[test]
    fn no_transaction_directives() {
        assert!(wants_no_transaction(
            "-- sqlgate:no-transaction\ncreate index concurrently x on t(a);"
        ));
        assert!(wants_no_transaction(
            "-- header\n-- sqlgate:no-transaction\nselect 1;"
        ));
        assert!(wants_no_transaction("-- no-transaction\nselect 1;"));
        assert!(wants_no_transaction("--! no-transaction\nselect 1;"));
        assert!(all_outside_transaction(
            "-- UP\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
        ));
        assert!(all_outside_transaction(
            "drop index concurrently i;\nreindex index concurrently j;\nvacuum t;"
        ));
        assert!(!all_outside_transaction(
            "create table t (a int);\ncreate index concurrently i on t (a);"
        ));
        assert!(!all_outside_transaction("create index i on t (a);"));
        assert!(!all_outside_transaction("analyze t;"));
        assert!(wants_no_transaction(
            "create index concurrently i on t (a);\n-- postgres-migrations disable-transaction\n"
        ));
        assert!(!wants_no_transaction(
            "select 1;\n-- sqlgate:no-transaction\n"
        ));
        assert!(!wants_no_transaction(
            "-- this needs no transaction-less run\nselect 1;"
        ));
        assert!(
            split_sections("-- migrate:up transaction:false\nselect 1;\n-- migrate:down\n")
                .up_no_transaction
        );
    }

    #[test]
    fn ignore_directives_parse_rules_and_reason() {
        let d = ignore_directives(
            "-- sqlgate:ignore drop-column, drop-table -- legacy cleanup\nalter table t drop column c;\n-- sqlgate:ignore-file prefer-text\n",
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].rules, vec!["drop-column", "drop-table"]);
        assert_eq!(d[0].reason.as_deref(), Some("legacy cleanup"));
        assert!(!d[0].whole_file);
        assert_eq!(d[1].line, 3);
        assert!(d[1].whole_file);
        assert_eq!(d[1].reason, None);
    }

    #[test]
    fn emptiness_ignores_comments_only() {
        assert!(!has_sql(""));
        assert!(!has_sql("  \n-- nothing\n/* block /* nested */ */\n;\n"));
        assert!(has_sql("-- c\nselect 1;"));
        assert!(has_sql("/* x */ select 1"));
    }

    #[test]
    fn placeholders_only_for_defined_names() {
        let mut vars = BTreeMap::new();
        vars.insert("SCHEMA".to_string(), "app".to_string());
        vars.insert("OWNER".to_string(), "o'brien".to_string());
        assert_eq!(
            substitute("create table :SCHEMA.t (a int default '1'::int);", &vars),
            "create table app.t (a int default '1'::int);"
        );
        assert_eq!(substitute("${SCHEMA}.t", &vars), "app.t");
        assert_eq!(substitute("select :'OWNER'", &vars), "select 'o''brien'");
        assert_eq!(
            substitute("set search_path = :\"SCHEMA\"", &vars),
            "set search_path = \"app\""
        );
        assert_eq!(
            substitute("x := :UNDEFINED; y::SCHEMA", &vars),
            "x := :UNDEFINED; y::SCHEMA"
        );
        assert_eq!(substitute(":SCHEMAX", &vars), ":SCHEMAX");
        assert_eq!(substitute(":SCHEMA", &BTreeMap::new()), ":SCHEMA");
        let (out, edits) = substitute_mapped("a :SCHEMA.t b ${SCHEMA} c", &vars);
        assert_eq!(out, "a app.t b app c");
        assert_eq!(source_offset(&edits, 0), 0);
        assert_eq!(source_offset(&edits, 2), 2); // start of `app` → `:SCHEMA`
        assert_eq!(source_offset(&edits, 6), 10); // `t`
        assert_eq!(source_offset(&edits, 15), 25); // `c`
    }

    #[test]
    fn template_placeholders_are_named_by_their_trimmed_text() {
        let mut vars = BTreeMap::new();
        vars.insert(
            r#"index .Options "Namespace""#.to_string(),
            "auth".to_string(),
        );
        assert_eq!(
            substitute(
                r#"CREATE TABLE {{ index .Options "Namespace" }}.users (id int); GRANT x TO {{- index .Options "Namespace" -}}_admin;"#,
                &vars
            ),
            "CREATE TABLE auth.users (id int); GRANT x TO auth_admin;"
        );
        let sql = "SELECT '{{ .Missing }}', ${NOPE}, ${NOPE}, :not_listed;\nx {{.Missing}}";
        assert_eq!(
            undefined_placeholders(sql, &vars),
            [
                (".Missing".to_string(), 8),
                ("NOPE".to_string(), 25),
                ("NOPE".to_string(), 34),
                (".Missing".to_string(), 58)
            ]
        );
        assert!(undefined_placeholders("select 1", &BTreeMap::new()).is_empty());
        assert!(is_template_name(r#"index .Options "Namespace""#));
        assert!(!is_template_name(" x"));
        assert!(!is_template_name("a}}b"));
    }
}
