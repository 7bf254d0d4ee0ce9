//! SQL analysis: migrations parsed by PostgreSQL's own parser (`pg_query`), with every
//! statement's exact position (`parse`), helpers over the parse tree (`ast`), and a
//! model of the schema that the shipped migrations build (`schema`), so rules can tell
//! a new table from an existing one.

pub mod ast;
pub mod design;
pub mod dynamic;
mod ffi;
pub mod names;
pub mod parse;
pub mod plpgsql;
pub mod schema;

pub use parse::{
    parse, parse_in_order, parse_streaming, ParseProblem, Parsed, ProblemKind, Statement,
    LARGE_INPUT,
};
