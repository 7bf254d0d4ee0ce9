//! sqlgate's PostgreSQL side: connecting ([`connection`], [`tls`]), the history table
//! ([`history`]), the migration lock ([`lock`]), the one statement runner every path
//! uses ([`exec`]), applying and the admin commands ([`apply`], [`admin`]), taking over
//! another tool's history ([`adopt`]), the scratch replay ([`replay`]) and private
//! throwaway servers ([`scratch`]); `verify` checks a database can be migrated.

pub mod admin;
pub mod adopt;
mod ahead;
pub mod apply;
pub mod connection;
pub mod conninfo;
pub mod exec;
pub mod fleet;
pub mod guard;
pub mod history;
pub mod lock;
pub mod preview;
pub mod quote;
pub mod replay;
pub mod scratch;
pub mod stats;
mod tls;
mod verify;

pub use connection::{connect, describe, is_connection_string, mask, passwords};
pub use sqlgate_core::Error;
