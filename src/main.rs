//! The `dst` binary: parse the command line, run it, exit with its code (0 pass, 1 failure
//! found, 2 bad input).

use clap::Parser;

/// mimalloc: a seed allocates and frees small records and strings by the million; the system
/// allocator was a quarter of a sweep's time. Allocation never reaches behaviour or the trace.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = dst::cli::Cli::parse();
    std::process::exit(dst::cli::execute(&cli).code());
}
