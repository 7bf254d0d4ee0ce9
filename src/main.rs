//! The `sqlgate` binary: everything lives in the library; see `sqlgate::cli`.

fn main() {
    std::process::exit(sqlgate::cli::main());
}
