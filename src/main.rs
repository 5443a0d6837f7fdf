//! The `dst` binary: parse the command line, run it, exit with its code (0 pass, 1 failure
//! found, 2 bad input).

use clap::Parser;

/// mimalloc (see [`dst::alloc`]): a seed allocates and frees small records by the million.
#[global_allocator]
static ALLOCATOR: dst::alloc::FastAlloc = dst::alloc::FastAlloc;

fn main() {
    let cli = dst::cli::Cli::parse();
    std::process::exit(dst::cli::execute(&cli).code());
}
