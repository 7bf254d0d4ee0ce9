//! The `sqlgate` binary: everything lives in the library; see `sqlgate::cli`.

// Parse trees are built on parser threads and freed on the main thread; mimalloc
// handles those cross-thread frees far better than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(sqlgate::cli::main());
}
