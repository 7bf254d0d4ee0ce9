//! sqlgate: guards PostgreSQL migrations on pull requests and ships them on merge.
//!
//! Module map (see ARCHITECTURE.md):
//! - [`catalog`]: the migration directory model (layouts, versions, checksums, directives)
//! - [`rules`]: rule ids, documentation and the pure checks
//! - [`findings`]: the one findings/report data model
//! - [`report`]: text, JSON, markdown and GitHub renderers
//! - [`git`]: the base branch's copy of the directory
//! - [`check`]: the `check` command, tying the above together
//! - [`create`]: the `create` command
//! - [`db`]: connecting, the history table, `apply`/`status` and the admin commands
//! - [`github`]: the Actions environment, workflow commands, REST client, sticky comment
//! - [`ci`]: `sqlgate ci`, the GitHub Actions entry point
//! - [`replay`]: the scratch replay of `check --scratch`
//! - [`config`]: `sqlgate.toml`, environment and flags
//! - [`cli`]: argument parsing and command dispatch

pub mod catalog;
pub mod check;
pub mod ci;
pub mod cli;
pub mod config;
pub mod create;
pub mod db;
pub mod error;
pub mod findings;
pub mod git;
pub mod github;
pub mod replay;
pub mod report;
pub mod rules;
pub mod scratch;
pub mod sql;

pub use error::Error;
