//! The command line: clap definitions ([`args`]), validation into requests ([`request`]), one
//! module per command, and the rendering of human and JSON output. The core never sees CLI types.

pub mod args;
pub mod exit;
mod progress;
mod render_run;
mod render_sweep;
mod replay_cmd;
pub mod repro;
pub mod request;
mod run_cmd;
mod sweep_cmd;
mod sweep_files;

pub use args::Cli;
pub use exit::Exit;
pub use request::Request;

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Validates and runs a parsed command line; every error is printed on stderr as `error: ...`.
pub fn execute(cli: &Cli) -> Exit {
    if cli.verbose {
        init_logging();
    }
    let outcome = Request::from_command(&cli.command).and_then(|request| match &request {
        Request::Run(run) => run_cmd::run(run),
        Request::Sweep(sweep) => sweep_cmd::run(sweep),
        Request::Replay(replay) => replay_cmd::run(replay),
    });
    outcome.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        Exit::BadInput
    })
}
