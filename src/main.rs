//! The `dst` binary: parse the command line, run it, exit with its code (0 pass, 1 failure
//! found, 2 bad input).

use clap::Parser;

fn main() {
    let cli = dst::cli::Cli::parse();
    std::process::exit(dst::cli::execute(&cli).code());
}
