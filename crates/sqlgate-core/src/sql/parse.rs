//! Splits and parses a migration's SQL with PostgreSQL's parser, keeping each
//! statement's exact place in the file. Placeholders are substituted first and
//! positions mapped back to the source. Failures become problems, never panics:
//! a syntax error carries the parser's message and position; a statement too deeply
//! nested to decode is reported and the others are still analysed.

use super::ffi::{self, ParseFailure};
use crate::catalog::text::{self, Edit};
use pg_query::NodeEnum;
use std::collections::BTreeMap;

/// One top-level statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub node: NodeEnum,
    /// Byte range of the statement in the source text (comments before it excluded).
    pub start: usize,
    pub end: usize,
    /// 1-based position of the statement's first character.
    pub line: u32,
    pub column: u32,
    /// 1-based line of the statement's last character.
    pub end_line: u32,
    /// Where the parsed input started in the substituted text (node locations are
    /// relative to it).
    base: usize,
}

/// Why a statement could not be analysed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// PostgreSQL's parser rejects it (`syntax-error`).
    Syntax,
    /// Too deeply nested to decode (`unanalyzable-statement`).
    Unanalyzable,
}

/// Something that kept a statement from being analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseProblem {
    pub kind: ProblemKind,
    pub message: String,
    pub line: u32,
    pub column: u32,
}

/// A parsed migration.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The statements, when parsed with [`parse`] ([`parse_streaming`] hands them to
    /// a callback instead, so a huge file never holds all its parse trees at once).
    pub statements: Vec<Statement>,
    /// First and last line of every statement, in order.
    pub spans: Vec<(u32, u32)>,
    pub problems: Vec<ParseProblem>,
    /// The source text (before substitution).
    source: String,
    substituted: String,
    edits: Vec<Edit>,
    line_starts: Vec<usize>,
    /// UTF-8 continuation bytes before every [`BLOCK`]-th byte of the source, so a
    /// column is counted in constant time however long the line.
    continuation: Vec<u32>,
    /// Added to every line number (the section's first line in its file, minus 1).
    line_offset: u32,
}

/// The longest parser message kept.
const MAX_MESSAGE_CHARS: usize = 300;

/// The stride of [`Parsed::continuation`].
const BLOCK: usize = 1024;

fn continuation_blocks(s: &str) -> Vec<u32> {
    let mut out = Vec::with_capacity(s.len() / BLOCK + 1);
    let mut n = 0u32;
    for chunk in s.as_bytes().chunks(BLOCK) {
        out.push(n);
        n += chunk.iter().filter(|&&b| b & 0xC0 == 0x80).count() as u32;
    }
    out.push(n);
    out
}

fn line_starts(s: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        s.bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

/// Skips whitespace, `--` comments and (nested) `/* */` comments from `pos`.
fn skip_trivia(b: &[u8], mut pos: usize) -> usize {
    loop {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if b.get(pos) == Some(&b'-') && b.get(pos + 1) == Some(&b'-') {
            while pos < b.len() && b[pos] != b'\n' {
                pos += 1;
            }
        } else if b.get(pos) == Some(&b'/') && b.get(pos + 1) == Some(&b'*') {
            let mut depth = 0usize;
            while pos < b.len() {
                if b[pos] == b'/' && b.get(pos + 1) == Some(&b'*') {
                    depth += 1;
                    pos += 2;
                } else if b[pos] == b'*' && b.get(pos + 1) == Some(&b'/') {
                    depth = depth.saturating_sub(1);
                    pos += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    pos += 1;
                }
            }
        } else {
            return pos;
        }
    }
}

impl Parsed {
    /// 1-based line and column in the file of a byte offset of the substituted text.
    pub fn position(&self, substituted_offset: usize) -> (u32, u32) {
        self.source_position(text::source_offset(&self.edits, substituted_offset))
    }

    /// 1-based line and column in the file of a byte offset of the source text.
    pub fn source_position(&self, src: usize) -> (u32, u32) {
        let src = src.min(self.source.len());
        let line_idx = self
            .line_starts
            .partition_point(|&s| s <= src)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line_idx).copied().unwrap_or(0);
        let mut cut = src;
        while !self.source.is_char_boundary(cut) {
            cut -= 1;
        }
        let chars = (cut - line_start.min(cut))
            - (self.continuations_before(cut) - self.continuations_before(line_start.min(cut)));
        (line_idx as u32 + 1 + self.line_offset, chars as u32 + 1)
    }

    /// UTF-8 continuation bytes in `source[..offset]`.
    fn continuations_before(&self, offset: usize) -> usize {
        let block = offset / BLOCK;
        let counted = self.continuation.get(block).copied().unwrap_or(0) as usize;
        let from = (block * BLOCK).min(self.source.len());
        let to = offset.min(self.source.len());
        counted
            + self.source.as_bytes()[from..to]
                .iter()
                .filter(|&&b| b & 0xC0 == 0x80)
                .count()
    }

    /// Position of a parse-tree `location` of `stmt` (falls back to the statement).
    pub fn location(&self, stmt: &Statement, location: i32) -> (u32, u32) {
        match usize::try_from(location) {
            Ok(l) => self.position(stmt.base + l),
            Err(_) => (stmt.line, stmt.column),
        }
    }

    /// The statement's source text.
    pub fn text(&self, stmt: &Statement) -> &str {
        self.source.get(stmt.start..stmt.end).unwrap_or_default()
    }

    /// The statement's text after placeholder substitution.
    pub fn substituted_text(&self, stmt: &Statement) -> &str {
        let (s, e) = self.substituted_range(stmt);
        self.substituted.get(s..e).unwrap_or_default()
    }

    /// The statement's start as a byte offset of the substituted text.
    pub fn statement_start_substituted(&self, stmt: &Statement) -> usize {
        self.substituted_range(stmt).0
    }

    /// The statement's start in the coordinates of parse-tree locations.
    pub fn statement_offset(&self, stmt: &Statement) -> usize {
        self.substituted_range(stmt).0.saturating_sub(stmt.base)
    }

    fn substituted_range(&self, stmt: &Statement) -> (usize, usize) {
        // The substituted offset of a source offset: shifted by what every edit
        // before it added or removed (the last such edit's end says it all).
        let to_new = |orig: usize| {
            let i = self.edits.partition_point(|e| e.orig.1 <= orig);
            match i.checked_sub(1).and_then(|i| self.edits.get(i)) {
                Some(e) => (orig as isize + e.new.1 as isize - e.orig.1 as isize).max(0) as usize,
                None => orig,
            }
        };
        (to_new(stmt.start), to_new(stmt.end))
    }

    fn emit(
        &mut self,
        sink: &mut Sink,
        node: NodeEnum,
        base: usize,
        raw_start: usize,
        raw_end: usize,
    ) {
        let stmt = self.make_statement(node, base, raw_start, raw_end);
        self.spans.push((stmt.line, stmt.end_line));
        match sink {
            Sink::Collect => self.statements.push(stmt),
            Sink::Call(f) => f(self, stmt),
        }
    }

    fn make_statement(
        &self,
        node: NodeEnum,
        base: usize,
        raw_start: usize,
        raw_end: usize,
    ) -> Statement {
        let b = self.substituted.as_bytes();
        let start_new = skip_trivia(b, raw_start.min(b.len()));
        let mut end_new = raw_end.min(b.len()).max(start_new);
        while end_new > start_new && b[end_new - 1].is_ascii_whitespace() {
            end_new -= 1;
        }
        let start = text::source_offset(&self.edits, start_new);
        let end = text::source_offset(&self.edits, end_new.saturating_sub(1))
            + usize::from(end_new > start_new);
        let (line, column) = self.position(start_new);
        let (end_line, _) = self.position(end_new.saturating_sub(1).max(start_new));
        Statement {
            node,
            start,
            end: end.max(start),
            line,
            column,
            end_line,
            base,
        }
    }

    /// The whole text with placeholders substituted: what is sent to PostgreSQL.
    pub fn substituted(&self) -> &str {
        &self.substituted
    }

    /// Where an error PostgreSQL reported for the whole [`Parsed::substituted`] text
    /// lies in the file: its position (a 1-based character offset) when it gave one,
    /// else the start of the first statement (or of the text).
    pub fn whole_error_position(&self, pg_position: Option<usize>) -> (u32, u32) {
        match pg_position {
            Some(p) => {
                let byte = self
                    .substituted
                    .char_indices()
                    .nth(p.saturating_sub(1))
                    .map_or(self.substituted.len(), |(b, _)| b);
                self.position(byte)
            }
            None => self
                .statements
                .first()
                .map_or_else(|| self.position(0), |s| (s.line, s.column)),
        }
    }

    /// Where an error PostgreSQL reported for `stmt` lies in the file: its position
    /// (a 1-based character offset into the statement's substituted text) when it gave
    /// one, else the statement's start.
    pub fn error_position(&self, stmt: &Statement, pg_position: Option<usize>) -> (u32, u32) {
        match pg_position {
            Some(p) => {
                let text = self.substituted_text(stmt);
                let byte = text
                    .char_indices()
                    .nth(p.saturating_sub(1))
                    .map_or(text.len(), |(b, _)| b);
                self.position(self.statement_start_substituted(stmt) + byte)
            }
            None => (stmt.line, stmt.column),
        }
    }

    fn problem(&mut self, kind: ProblemKind, mut message: String, substituted_offset: usize) {
        // PostgreSQL quotes the text "near" the error, which for an unterminated
        // string is the rest of the file.
        if message.chars().count() > MAX_MESSAGE_CHARS {
            message = message.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…";
        }
        let (line, column) = self.position(substituted_offset);
        self.problems.push(ParseProblem {
            kind,
            message,
            line,
            column,
        });
    }
}

fn char_to_byte(s: &str, char_pos_1based: usize) -> usize {
    s.char_indices()
        .nth(char_pos_1based.saturating_sub(1))
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

/// Where statements go.
enum Sink<'a> {
    Collect,
    Call(&'a mut (dyn FnMut(&Parsed, Statement) + Send)),
}

/// Parses `sql` (a migration's up section, starting at `first_line` of its file) and
/// keeps every statement in [`Parsed::statements`].
pub fn parse(sql: &str, vars: &BTreeMap<String, String>, first_line: u32) -> Parsed {
    parse_into(sql, vars, first_line, &mut Sink::Collect)
}

/// Parses `sql` and hands each statement, in order, to `f` (with the positions
/// context); only the current statement's parse tree is in memory.
pub fn parse_streaming(
    sql: &str,
    vars: &BTreeMap<String, String>,
    first_line: u32,
    f: &mut (dyn FnMut(&Parsed, Statement) + Send),
) -> Parsed {
    parse_into(sql, vars, first_line, &mut Sink::Call(f))
}

/// Stack for the parsing thread: decoding a parse tree nested up to the decoder's
/// limit needs several megabytes, more than a test or worker thread may have.
const PARSER_STACK: usize = 64 << 20;

fn parse_into(
    sql: &str,
    vars: &BTreeMap<String, String>,
    first_line: u32,
    sink: &mut Sink,
) -> Parsed {
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new()
            .name("sqlgate-parser".into())
            .stack_size(PARSER_STACK)
            .spawn_scoped(scope, || parse_here(sql, vars, first_line, sink));
        let failed = |why: String| {
            let mut p = Parsed::new(sql, vars, first_line);
            p.problem(
                ProblemKind::Unanalyzable,
                format!("{why}; this migration was not checked"),
                0,
            );
            p
        };
        match spawned {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| failed("the parser stopped unexpectedly".into())),
            Err(e) => failed(format!("the parser thread could not start ({e})")),
        }
    })
}

/// Parses many texts (each `(sql, first_line)`) on a few long-lived threads and
/// hands the results to `f` in order, while later texts are still being parsed.
/// Memory stays bounded: each worker is at most a few texts ahead. Texts over
/// [`LARGE_INPUT`] (and any a worker could not deliver) arrive as `None`: parse
/// those with [`parse_streaming`].
pub fn parse_in_order(
    texts: &[(&str, u32)],
    vars: &BTreeMap<String, String>,
    mut f: impl FnMut(usize, Option<Parsed>),
) {
    // Only texts with something to parse go to the workers (a pull request's check
    // skips most shipped migrations: no thread hand-off for each of them).
    let busy: Vec<usize> = (0..texts.len())
        .filter(|&i| !texts[i].0.trim().is_empty())
        .collect();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8)
        .min(busy.len().max(1));
    let empty = |i: usize| Some(parse_here("", vars, texts[i].1, &mut Sink::Collect));
    if busy.is_empty() {
        (0..texts.len()).for_each(|i| f(i, empty(i)));
        return;
    }
    std::thread::scope(|scope| {
        let busy = &busy;
        let receivers: Vec<_> = (0..workers)
            .map(|w| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Option<Parsed>>(4);
                let spawned = std::thread::Builder::new()
                    .name("sqlgate-parser".into())
                    .stack_size(PARSER_STACK)
                    .spawn_scoped(scope, move || {
                        for &i in busy.iter().skip(w).step_by(workers) {
                            let (sql, line) = texts[i];
                            let parsed = (sql.len() <= LARGE_INPUT)
                                .then(|| parse_here(sql, vars, line, &mut Sink::Collect));
                            if tx.send(parsed).is_err() {
                                break;
                            }
                        }
                    });
                // Without a worker its receiver reports a closed channel: `None`.
                spawned.ok().map(|_| rx)
            })
            .collect();
        let mut next = 0;
        for i in 0..texts.len() {
            if busy.get(next) != Some(&i) {
                f(i, empty(i));
                continue;
            }
            let got = receivers[next % workers]
                .as_ref()
                .and_then(|rx| rx.recv().ok())
                .flatten();
            next += 1;
            f(i, got);
        }
    });
}

/// What a statement does to the transaction: `Some(true)` begins one (`BEGIN`,
/// `START TRANSACTION`), `Some(false)` ends one (`COMMIT`, `END`, `ROLLBACK`,
/// `PREPARE TRANSACTION`, …), `None` for anything else (savepoints included).
pub fn transaction_edge(node: &pg_query::NodeEnum) -> Option<bool> {
    use pg_query::protobuf::TransactionStmtKind as K;
    let pg_query::NodeEnum::TransactionStmt(t) = node else {
        return None;
    };
    match K::try_from(t.kind).ok()? {
        K::TransStmtBegin | K::TransStmtStart => Some(true),
        K::TransStmtCommit
        | K::TransStmtRollback
        | K::TransStmtPrepare
        | K::TransStmtCommitPrepared
        | K::TransStmtRollbackPrepared => Some(false),
        _ => None,
    }
}

/// Whether a file's statements are exactly `BEGIN; … COMMIT;`: the first begins a
/// transaction, the last commits it (`COMMIT` or `END`), and nothing between begins,
/// ends or prepares one. Such a file manages its own transaction the way the runner
/// would: run as the runner's transaction (its history row inside), with the two
/// edges dropped, it has the same guarantee and needs no directive.
pub fn wraps_itself(nodes: &[&pg_query::NodeEnum]) -> bool {
    use pg_query::protobuf::TransactionStmtKind as K;
    let (Some(first), Some(last)) = (nodes.first(), nodes.last()) else {
        return false;
    };
    let commits = matches!(last, pg_query::NodeEnum::TransactionStmt(t)
        if K::try_from(t.kind) == Ok(K::TransStmtCommit) && !t.chain);
    nodes.len() >= 2
        && transaction_edge(first) == Some(true)
        && commits
        && nodes[1..nodes.len() - 1]
            .iter()
            .all(|n| transaction_edge(n).is_none())
}

impl Parsed {
    /// Drops the `BEGIN` and `COMMIT` of a file that wraps itself in one transaction
    /// ([`wraps_itself`]); returns whether it did.
    pub fn unwrap_own_transaction(&mut self) -> bool {
        let nodes: Vec<&pg_query::NodeEnum> = self.statements.iter().map(|s| &s.node).collect();
        if !self.problems.is_empty() || !wraps_itself(&nodes) {
            return false;
        }
        self.statements.pop();
        self.statements.remove(0);
        true
    }

    /// Takes the collected statements out (to hand them on one by one).
    pub fn take_statements(&mut self) -> Vec<Statement> {
        std::mem::take(&mut self.statements)
    }

    fn new(sql: &str, vars: &BTreeMap<String, String>, first_line: u32) -> Parsed {
        let (substituted, edits) = text::substitute_mapped(sql, vars);
        Parsed {
            statements: Vec::new(),
            spans: Vec::new(),
            problems: Vec::new(),
            source: sql.to_string(),
            substituted,
            edits,
            line_starts: line_starts(sql),
            continuation: continuation_blocks(sql),
            line_offset: first_line.saturating_sub(1),
        }
    }
}

fn parse_here(
    sql: &str,
    vars: &BTreeMap<String, String>,
    first_line: u32,
    sink: &mut Sink,
) -> Parsed {
    let mut parsed = Parsed::new(sql, vars, first_line);
    if let Some(nul) = parsed.substituted.find('\0') {
        parsed.problem(
            ProblemKind::Syntax,
            "the SQL contains a NUL byte, which PostgreSQL rejects".into(),
            nul,
        );
        return parsed;
    }
    let input = parsed.substituted.clone();
    if input.len() > LARGE_INPUT {
        parse_chunked(&mut parsed, &input, sink);
        return parsed;
    }
    match parse_range(&input, 0, input.len()) {
        Ok(stmts) => {
            for (node, start, end) in stmts {
                parsed.emit(sink, node, 0, start, end);
            }
        }
        Err(ParseFailure::Syntax(message, pos)) => {
            let at = if pos == 0 {
                0
            } else {
                char_to_byte(&input, pos)
            };
            parsed.problem(ProblemKind::Syntax, message, at);
        }
        Err(ParseFailure::Nul) => {
            parsed.problem(ProblemKind::Syntax, "the SQL contains a NUL byte".into(), 0)
        }
        Err(ParseFailure::Decode(_)) => parse_each(&mut parsed, &input, sink),
    }
    parsed
}

/// Inputs larger than this are parsed in chunks of about [`CHUNK`] bytes, so memory
/// stays bounded (a parse tree takes several hundred times the bytes of its SQL).
pub const LARGE_INPUT: usize = 256 << 10;
const CHUNK: usize = 64 << 10;

/// Parses `input[start..end]`; statement locations are made absolute.
fn parse_range(
    input: &str,
    start: usize,
    end: usize,
) -> Result<Vec<(NodeEnum, usize, usize)>, ParseFailure> {
    let piece = &input[start..end];
    let result = ffi::parse_tree(piece)?;
    Ok(result
        .stmts
        .into_iter()
        .filter_map(|raw| {
            let node = raw.stmt.and_then(|n| n.node)?;
            let s = start + usize::try_from(raw.stmt_location).unwrap_or(0);
            let e = if raw.stmt_len <= 0 {
                end
            } else {
                s + raw.stmt_len as usize
            };
            Some((node, s, e))
        })
        .collect())
}

/// Byte ranges of slices of `input` (as returned by pg_query's splitters).
fn ranges(input: &str, pieces: &[&str]) -> Vec<(usize, usize)> {
    pieces
        .iter()
        .map(|p| {
            let start = p.as_ptr() as usize - input.as_ptr() as usize;
            (start, start + p.len())
        })
        .collect()
}

fn parse_chunked(parsed: &mut Parsed, input: &str, sink: &mut Sink) {
    let pieces = match pg_query::split_with_scanner(input).map(|p| ranges(input, &p)) {
        Ok(pieces) => pieces,
        Err(e) => {
            // The scanner only says that it failed; the parser says where (an
            // unterminated string or comment: where it starts).
            let (message, at) = match ffi::parse_tree(input) {
                Err(ParseFailure::Syntax(m, pos)) if pos > 0 => (m, char_to_byte(input, pos)),
                _ => (e.to_string(), 0),
            };
            parsed.problem(ProblemKind::Syntax, message, at);
            return;
        }
    };
    let mut i = 0;
    while i < pieces.len() {
        let mut j = i;
        while j + 1 < pieces.len() && pieces[j + 1].1 - pieces[i].0 <= CHUNK {
            j += 1;
        }
        if let Ok(stmts) = parse_range(input, pieces[i].0, pieces[j].1) {
            for (node, s, e) in stmts {
                parsed.emit(sink, node, pieces[i].0, s, e);
            }
            i = j + 1;
            continue;
        }
        // Statement by statement; pieces the scanner split inside one statement
        // (e.g. a BEGIN ATOMIC body) are merged until they parse.
        let mut k = i;
        while k <= j {
            let mut e = k;
            loop {
                match parse_range(input, pieces[k].0, pieces[e].1) {
                    Ok(stmts) => {
                        for (node, s, end) in stmts {
                            parsed.emit(sink, node, pieces[k].0, s, end);
                        }
                        break;
                    }
                    Err(ParseFailure::Syntax(..)) if e + 1 < pieces.len() && e - k < 64 => e += 1,
                    Err(ParseFailure::Syntax(..)) => {
                        let piece = &input[pieces[k].0..pieces[k].1];
                        let (message, pos) = match ffi::parse_tree(piece) {
                            Err(ParseFailure::Syntax(m, p)) => (m, p),
                            _ => ("syntax error".to_string(), 0),
                        };
                        let at = pieces[k].0
                            + if pos == 0 {
                                0
                            } else {
                                char_to_byte(piece, pos)
                            };
                        parsed.problem(ProblemKind::Syntax, message, at);
                        e = k;
                        break;
                    }
                    Err(err) => {
                        let at = skip_trivia(input.as_bytes(), pieces[k].0);
                        parsed.problem(
                            ProblemKind::Unanalyzable,
                            format!("this statement could not be analysed ({err:?}); it was not checked"),
                            at,
                        );
                        e = k;
                        break;
                    }
                }
            }
            k = e + 1;
        }
        i = k.max(j + 1);
    }
}

/// The whole text parses but could not be decoded (nesting beyond the decoder's
/// limit): parse statement by statement so only the deep one is lost.
fn parse_each(parsed: &mut Parsed, input: &str, sink: &mut Sink) {
    let pieces = match pg_query::split_with_parser(input).map(|p| ranges(input, &p)) {
        Ok(pieces) => pieces,
        Err(e) => {
            parsed.problem(
                ProblemKind::Unanalyzable,
                format!("the SQL could not be split into statements: {e}"),
                0,
            );
            return;
        }
    };
    for (start, end) in pieces {
        match parse_range(input, start, end) {
            Ok(stmts) => {
                for (node, s, e) in stmts {
                    parsed.emit(sink, node, start, s, e);
                }
            }
            Err(e) => {
                let at = skip_trivia(input.as_bytes(), start);
                let why = match e {
                    ParseFailure::Decode(d) => d,
                    ParseFailure::Syntax(m, _) => m,
                    ParseFailure::Nul => "NUL byte".into(),
                };
                parsed.problem(
                    ProblemKind::Unanalyzable,
                    format!("this statement is nested too deeply to analyse ({why}); it was not checked"),
                    at,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(sql: &str) -> Parsed {
        parse(sql, &BTreeMap::new(), 1)
    }

    #[test]
    fn statements_keep_their_positions() {
        let sql = "-- header\ncreate table a (id int);\n\n/* why */\n  create index i on a (id);\n";
        let r = p(sql);
        assert!(r.problems.is_empty());
        assert_eq!(r.statements.len(), 2);
        assert_eq!((r.statements[0].line, r.statements[0].column), (2, 1));
        assert_eq!(r.text(&r.statements[0]), "create table a (id int)");
        assert_eq!((r.statements[1].line, r.statements[1].column), (5, 3));
        assert_eq!(r.text(&r.statements[1]), "create index i on a (id)");
    }

    #[test]
    fn never_mis_splits_strings_dollar_quotes_and_atomic_bodies() {
        let sql = "insert into t values ('a; b -- c');\ndo $$ begin perform 1; perform 2; end $$;\ncreate function f() returns int language sql begin atomic select 1; select 2; end;\nselect 'x' /* ; */;\n";
        let r = p(sql);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(r.statements.len(), 4);
        assert_eq!(r.statements[2].line, 3);
        assert_eq!(r.statements[2].end_line, 3);
    }

    #[test]
    fn syntax_error_has_position() {
        let r = p("select 1;\n\ncreate tabel x (id int);\n");
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].kind, ProblemKind::Syntax);
        assert!(
            r.problems[0].message.contains("tabel"),
            "{}",
            r.problems[0].message
        );
        assert_eq!((r.problems[0].line, r.problems[0].column), (3, 8));
        // Lines count from the section's first line in the file.
        let r = parse("select from from;", &BTreeMap::new(), 10);
        assert_eq!(r.problems[0].line, 10);
    }

    #[test]
    fn placeholders_are_substituted_and_positions_mapped_back() {
        let mut vars = BTreeMap::new();
        vars.insert("SCHEMA".to_string(), "graphile_worker".to_string());
        let r = parse("create table :SCHEMA.jobs (id int);\n  select 1;", &vars, 1);
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        assert_eq!(
            r.text(&r.statements[0]),
            "create table :SCHEMA.jobs (id int)"
        );
        assert_eq!(
            r.substituted_text(&r.statements[0]),
            "create table graphile_worker.jobs (id int)"
        );
        assert_eq!((r.statements[1].line, r.statements[1].column), (2, 3));
        // Undefined, the placeholder is a syntax error, at its place.
        let r = p("create table :SCHEMA.jobs (id int);");
        assert_eq!(r.problems[0].kind, ProblemKind::Syntax);
        assert_eq!(r.problems[0].column, 14);
    }

    #[test]
    fn large_input_is_parsed_in_chunks_with_the_same_result() {
        let body = "create function f() returns int language sql begin atomic select 1; select 2; end;\ninsert into t values (1, 'x; y');\n";
        let sql = body.repeat(LARGE_INPUT / body.len() + 10);
        let r = p(&sql);
        assert!(r.problems.is_empty(), "{:?}", &r.problems[..1]);
        assert_eq!(r.statements.len(), 2 * (LARGE_INPUT / body.len() + 10));
        let last = r.statements.last().unwrap();
        assert_eq!(last.line, 2 * (LARGE_INPUT / body.len() + 10) as u32);
        assert_eq!(r.text(last), "insert into t values (1, 'x; y')");
        let broken = format!("{sql}select from from;\n{body}");
        let r = p(&broken);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].kind, ProblemKind::Syntax);
        assert_eq!(
            r.problems[0].line,
            2 * (LARGE_INPUT / body.len() + 10) as u32 + 1
        );
    }

    #[test]
    fn deep_input_is_an_error_or_a_result_never_a_crash() {
        let deep_parens = format!("select {}1{};", "(".repeat(10_000), ")".repeat(10_000));
        let r = p(&deep_parens);
        assert_eq!(r.statements.len() + r.problems.len(), 1);
        let deep_calls = format!(
            "select 1;\nselect {}1{};\nselect 3;",
            "abs(".repeat(200),
            ")".repeat(200)
        );
        let r = p(&deep_calls);
        assert_eq!(r.statements.len(), 2);
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].kind, ProblemKind::Unanalyzable);
        assert_eq!(r.problems[0].line, 2);
        let r = p("select 1;\0");
        assert_eq!(r.problems[0].kind, ProblemKind::Syntax);
    }
}
