//! The error type of sqlgate's commands and how each maps to an exit code: 2 for
//! usage, configuration, git and I/O problems, 3 when a database or GitHub cannot be
//! reached or the migration lock cannot be taken.

use std::fmt;

/// A failure that stops a command. Findings are not errors: they are reported.
#[derive(Debug)]
pub enum Error {
    /// Bad flags, bad configuration, missing directory, unknown rule (exit 2).
    Usage(String),
    /// git could not answer (missing base ref, not a repository) (exit 2).
    Git(String),
    /// Writing output or files failed (exit 2).
    Io(String),
    /// A database or GitHub could not be reached (exit 3).
    Unreachable(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) | Error::Git(_) | Error::Io(_) => 2,
            Error::Unreachable(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(m) | Error::Io(m) | Error::Unreachable(m) => f.write_str(m),
            Error::Git(m) => write!(f, "git: {m}"),
        }
    }
}

impl std::error::Error for Error {}
