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

/// A value sqlgate refuses — a name, a reference to a migration or a rule, a
/// PL/pgSQL body — typed, so callers can tell the cases apart; displays as the
/// sentence a user reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// A name that must be a plain identifier is not (`what`: e.g. "the preview
    /// prefix"; `allowed`: what it may hold).
    NotPlain {
        what: &'static str,
        name: String,
        allowed: &'static str,
    },
    /// A name longer than `max` bytes.
    TooLong {
        what: &'static str,
        name: String,
        max: usize,
    },
    /// Something the command needs was not given (`hint`: how to give it).
    Missing { hint: &'static str },
    /// A migration file name without a version, or with the version run into the
    /// description.
    FileName(String),
    /// No migration, or several, match what the user named (the sentence says which
    /// and what to do).
    Migration(String),
    /// An unknown rule id, and the known one closest to it.
    UnknownRule {
        id: String,
        closest: Option<&'static str>,
    },
    /// PostgreSQL's PL/pgSQL parser rejected a body (its message).
    Body(String),
    /// A word that is not one of the `known` ones (`what`: e.g. "object kind").
    Unknown {
        what: &'static str,
        name: String,
        known: Vec<String>,
    },
    /// A value that cannot be read as `what` (a regular expression, a type name).
    Value {
        what: &'static str,
        value: String,
        why: String,
    },
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::NotPlain {
                what,
                name,
                allowed,
            } => {
                write!(f, "{what} `{}` {allowed}", name.escape_debug())
            }
            Invalid::TooLong { what, name, max } => {
                write!(
                    f,
                    "{what} `{name}` is {} bytes long; at most {max}",
                    name.len()
                )
            }
            Invalid::Missing { hint } => f.write_str(hint),
            Invalid::FileName(m) | Invalid::Migration(m) | Invalid::Body(m) => f.write_str(m),
            Invalid::UnknownRule { id, closest } => {
                write!(f, "unknown rule `{id}`.")?;
                if let Some(c) = closest {
                    write!(f, " Did you mean `{c}`?")?;
                }
                f.write_str(" `sqlgate explain` lists all rules.")
            }
            Invalid::Unknown { what, name, known } => write!(
                f,
                "`{}` is not a known {what} (one of {})",
                name.escape_debug(),
                known.join(", ")
            ),
            Invalid::Value { what, value, why } => {
                write!(f, "`{}` is not a valid {what}: {why}", value.escape_debug())
            }
        }
    }
}

impl std::error::Error for Invalid {}

impl From<Invalid> for Error {
    fn from(e: Invalid) -> Error {
        Error::Usage(e.to_string())
    }
}
