//! sqlgate's integration tests, one binary: the real `sqlgate` binary run on real
//! files, real git repositories, a real PostgreSQL (one private server shared by all
//! tests, or `SQLGATE_TEST_DATABASE_URL`) and a fake GitHub API over real HTTP.

mod support;

mod action;
mod adopt;
mod apply;
mod bad_input;
mod check_cli;
mod ci;
mod comments;
mod corpora;
mod create_cli;
mod fix;
mod fleet;
mod formats;
mod git_base;
mod histories;
mod locks;
mod lsp;
mod policy;
mod preview;
mod replay;
mod sandbox;
mod seeds;
mod sizes;
mod suggestions;
mod trusted_apply;
mod untrusted;
