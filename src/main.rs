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

/// mimalloc's defaults keep freed pages for 10 ms and commit its arenas up front:
/// for a lint of a few hundred files that more than doubled the peak memory (70 MB
/// against 28 MB) for a few percent of speed. Freed pages go back after 2 ms (at once
/// costs a 20 MB file a third more time) and arenas are committed as used;
/// `MIMALLOC_PURGE_DELAY` / `MIMALLOC_ARENA_EAGER_COMMIT` in the environment still
/// win (these are defaults).
fn tune_allocator() {
    // mimalloc's option numbers (`mi_option_t`, the same in its v2 and v3).
    const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
    const PURGE_DELAY: std::ffi::c_int = 15;
    extern "C" {
        fn mi_option_set_default(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    // SAFETY: mimalloc's documented API, called with valid option numbers; it only
    // records the value an option takes when first read.
    unsafe {
        mi_option_set_default(ARENA_EAGER_COMMIT, 0);
        mi_option_set_default(PURGE_DELAY, 2);
    }
}

/// Run before Rust's runtime allocates (an ELF constructor): mimalloc reads an
/// option when first needed, and its first arena is made by the runtime's first
/// allocation, before `main`.
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array.00099"]
static TUNE_ALLOCATOR: extern "C" fn() = {
    extern "C" fn tune() {
        tune_allocator();
    }
    tune
};

fn main() {
    #[cfg(not(target_os = "linux"))]
    tune_allocator();
    std::process::exit(cli::main());
}
