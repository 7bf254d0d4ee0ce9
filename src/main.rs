//! The `sqlgate` binary: the command line (`cli`), configuration (`config`), what the
//! commands share (`app`), one module per command (`commands`), the GitHub Actions
//! entry point (`ci`) and where migration files come from (`source`). The logic lives
//! in the `sqlgate-core`, `sqlgate-pg` and `sqlgate-github` crates (ARCHITECTURE.md).

mod app;
mod ci;
mod cli;
mod commands;
mod config;
mod source;

// Parse trees are built on parser threads and freed on the main thread; mimalloc
// handles those cross-thread frees far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
