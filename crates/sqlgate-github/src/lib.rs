//! GitHub: everything sqlgate knows about GitHub Actions and the REST API.
//!
//! - [`context`]: the Actions environment (`GITHUB_*` variables) and the event payload.
//! - [`commands`]: workflow commands (annotations, masks), step outputs and the job summary.
//! - [`api`]: a small REST client on octocrab with retries, rate-limit waits and paging.
//! - [`comment`]: the sticky pull-request comment (marker, finding our own, upsert),
//!   written against the [`comment::CommentApi`] trait that [`api::Api`] implements.
//! - [`review`]: suggested changes as a review (suggestion blocks), found again by marker.
//!
//! `context`, `commands`' formatting and `comment`'s matching are pure; only `api` and
//! the file writers in `commands` do I/O.

pub mod api;
pub mod checks;
pub mod commands;
pub mod comment;
pub mod context;
pub mod review;
