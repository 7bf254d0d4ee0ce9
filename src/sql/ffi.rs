//! The one thing the `pg_query` crate does not expose: where a syntax error is.
//! `pg_query::parse` returns only the message; libpg_query's C API also returns the
//! cursor position, so on a parse failure we ask it directly. The library is linked
//! by the `pg_query` crate; these declarations mirror `pg_query.h`.

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
struct PgQueryParseResult {
    parse_tree: *mut c_char,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

extern "C" {
    fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
    fn pg_query_free_parse_result(result: PgQueryParseResult);
}

/// The parser's error message and 1-based character position for `sql`, or `None`
/// when it parses (or contains a NUL byte, which C strings cannot hold).
pub fn syntax_error(sql: &str) -> Option<(String, usize)> {
    let input = CString::new(sql).ok()?;
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call; the
    // result is read only while it is alive and freed exactly once.
    unsafe {
        let result = pg_query_parse(input.as_ptr());
        let out = if result.error.is_null() {
            None
        } else {
            let e = &*result.error;
            let message = if e.message.is_null() {
                "syntax error".to_string()
            } else {
                CStr::from_ptr(e.message).to_string_lossy().into_owned()
            };
            Some((message, usize::try_from(e.cursorpos).unwrap_or(0)))
        };
        pg_query_free_parse_result(result);
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_the_cursor() {
        let (msg, pos) = super::syntax_error("select 1;\nselect * fro t;").unwrap();
        assert!(msg.contains("syntax error"), "{msg}");
        assert_eq!(pos, 20); // 1-based, at `fro`
        assert!(super::syntax_error("select 1").is_none());
    }
}
