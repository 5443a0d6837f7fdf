//! The command line: clap definitions ([`args`]), validation into requests ([`request`]), one
//! module per command, and the rendering of human and JSON output. The core never sees CLI types.

pub mod args;
mod crash_test_cmd;
mod diff_backends_cmd;
mod duration;
pub mod exit;
mod logging;
mod merge_cmd;
mod progress;
mod render_run;
mod render_shrink;
mod render_sweep;
mod replay_cmd;
mod report_cmd;
pub mod repro;
pub mod request;
mod run_cmd;
mod shrink_cmd;
mod signals;
mod sweep_cmd;
mod sweep_dir;
mod sweep_files;
mod text;
mod triage;

pub use args::Cli;
pub use exit::Exit;
pub use request::Request;

/// Validates and runs a parsed command line; every error is printed on stderr as `error: ...`.
pub fn execute(cli: &Cli) -> Exit {
    if cli.verbose {
        logging::init();
    }
    let outcome = Request::from_command(&cli.command).and_then(|request| match &request {
        Request::Run(run) => run_cmd::run(run),
        Request::Sweep(sweep) => {
            sweep_cmd::run(sweep).map(|exit| report_cmd::sweep_html(sweep, exit))
        }
        Request::Replay(replay) => replay_cmd::run(replay),
        Request::Shrink(shrink) => shrink_cmd::run(shrink),
        Request::Report(report) => report_cmd::run(report),
        Request::Merge(merge) => merge_cmd::run(merge),
        Request::DiffBackends(diff) => diff_backends_cmd::run(diff),
        Request::CrashTest(crash) => crash_test_cmd::run(crash),
        Request::CrashChild(child) => crash_test_cmd::run_child_cmd(child),
    });
    outcome.unwrap_or_else(|message| {
        eprintln!("error: {message}");
        Exit::BadInput
    })
}
