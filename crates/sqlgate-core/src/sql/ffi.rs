//! Direct calls into libpg_query (linked by the `pg_query` crate; these declarations
//! mirror `pg_query.h`) for what the crate does not expose: the position of a syntax
//! error, and a parse that only decodes the tree (the crate's `parse` also walks every
//! node to list tables and functions, which sqlgate does not need).

use prost::Message;
use std::ffi::{c_char, c_int, CStr, CString};

#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobuf {
    len: usize,
    data: *mut c_char,
}

#[repr(C)]
struct PgQueryProtobufParseResult {
    parse_tree: PgQueryProtobuf,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

// The layouts above are checked against the C rules for `pg_query.h`'s structs at
// compile time (field offsets and sizes, on this target), so a field added, removed or
// reordered here is a build error, not a misread; the test below checks them against
// the linked library itself (an error's message and position, a tree's content).
const fn align_up(n: usize, to: usize) -> usize {
    n.div_ceil(to) * to
}
const PTR: usize = std::mem::size_of::<*mut c_char>();
const INT: usize = std::mem::size_of::<c_int>();
const SIZE: usize = std::mem::size_of::<usize>();
const _: () = {
    use std::mem::{offset_of, size_of};
    // PgQueryError { char* message, funcname, filename; int lineno, cursorpos; char* context; }
    assert!(offset_of!(PgQueryError, message) == 0);
    assert!(offset_of!(PgQueryError, funcname) == PTR);
    assert!(offset_of!(PgQueryError, filename) == 2 * PTR);
    assert!(offset_of!(PgQueryError, lineno) == 3 * PTR);
    assert!(offset_of!(PgQueryError, cursorpos) == 3 * PTR + INT);
    assert!(offset_of!(PgQueryError, context) == align_up(3 * PTR + 2 * INT, PTR));
    assert!(size_of::<PgQueryError>() == align_up(3 * PTR + 2 * INT, PTR) + PTR);
    // PgQueryProtobuf { size_t len; char* data; }
    assert!(offset_of!(PgQueryProtobuf, len) == 0);
    assert!(offset_of!(PgQueryProtobuf, data) == align_up(SIZE, PTR));
    assert!(size_of::<PgQueryProtobuf>() == align_up(SIZE, PTR) + PTR);
    // PgQueryProtobufParseResult { PgQueryProtobuf parse_tree; char* stderr_buffer; PgQueryError* error; }
    let tree = size_of::<PgQueryProtobuf>();
    assert!(offset_of!(PgQueryProtobufParseResult, parse_tree) == 0);
    assert!(offset_of!(PgQueryProtobufParseResult, stderr_buffer) == align_up(tree, PTR));
    assert!(offset_of!(PgQueryProtobufParseResult, error) == align_up(tree, PTR) + PTR);
    assert!(size_of::<PgQueryProtobufParseResult>() == align_up(tree, PTR) + 2 * PTR);
};

extern "C" {
    fn pg_query_parse_protobuf(input: *const c_char) -> PgQueryProtobufParseResult;
    fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
}

/// Why a parse produced no tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseFailure {
    /// PostgreSQL's error message and 1-based character position (0 when unknown).
    Syntax(String, usize),
    /// The input holds a NUL byte.
    Nul,
    /// The tree could not be decoded (nested beyond the decoder's limit).
    Decode(String),
}

/// Parses `sql` into PostgreSQL's parse tree.
pub fn parse_tree(sql: &str) -> Result<pg_query::protobuf::ParseResult, ParseFailure> {
    let input = CString::new(sql).map_err(|_| ParseFailure::Nul)?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the
    // result's buffers are read only before the single call that frees them.
    unsafe {
        let result = pg_query_parse_protobuf(input.as_ptr());
        let out = if !result.error.is_null() {
            let e = &*result.error;
            let message = if e.message.is_null() {
                "syntax error".to_string()
            } else {
                CStr::from_ptr(e.message).to_string_lossy().into_owned()
            };
            Err(ParseFailure::Syntax(
                message,
                usize::try_from(e.cursorpos).unwrap_or(0),
            ))
        } else if result.parse_tree.data.is_null() {
            Ok(pg_query::protobuf::ParseResult::default())
        } else {
            let data = std::slice::from_raw_parts(
                result.parse_tree.data as *const u8,
                result.parse_tree.len,
            );
            pg_query::protobuf::ParseResult::decode(data)
                .map_err(|e| ParseFailure::Decode(e.to_string()))
        };
        pg_query_free_protobuf_parse_result(result);
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_and_fails_with_position() {
        let tree = super::parse_tree("select 1; select 2").unwrap();
        assert_eq!(tree.stmts.len(), 2);
        match super::parse_tree("select 1;\nselect * fro t;") {
            Err(super::ParseFailure::Syntax(m, 20)) => assert!(m.contains("syntax error")),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            super::parse_tree("select 1;\0"),
            Err(super::ParseFailure::Nul)
        );
        // Decoding deep trees needs a big stack: the library parses on such threads.
        let deep = format!("select {}1{};", "abs(".repeat(200), ")".repeat(200));
        let decoded = std::thread::Builder::new()
            .stack_size(64 << 20)
            .spawn(move || super::parse_tree(&deep))
            .unwrap()
            .join()
            .unwrap();
        assert!(matches!(decoded, Err(super::ParseFailure::Decode(_))));
    }
}
