//! sqlgate's pure core: the data model, the migration catalog, SQL analysis, the rules,
//! the check and apply decisions, and every report format. Data in, data out — no
//! async runtime, network, database, file system or processes (see ARCHITECTURE.md).
//!
//! Layers, each using only those before it: [`model`] ← [`catalog`] ← [`sql`] ←
//! [`rules`] ← [`check`], [`plan`], [`create`], [`adopt`], [`preview`], [`fleet`]; [`report`] renders the model.

pub mod adopt;
pub mod catalog;
pub mod check;
pub mod create;
mod error;
pub mod fix;
pub mod fleet;
pub mod model;
pub mod plan;
pub mod preview;
pub mod report;
pub mod rules;
pub mod sizes;
pub mod sql;

pub use error::{Error, Invalid};
