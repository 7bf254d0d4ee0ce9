//! Where migration files come from: the working tree (`fs`) and a base git ref
//! (`git`). Both give `SourceFile`s to `sqlgate_core::catalog::build`.

pub mod fs;
pub mod git;
