//! `dst report`: a trace or a sweep's output folder drawn as one HTML page; and the pages that
//! `run --html` and `sweep --html` draw for failing seeds. Drawing is `crate::report`'s; this
//! file reads the inputs, names the outputs and writes them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::report::{read_sweep, run_page, sweep_page, CommandLine, RunSource, SweepSource};
use crate::trace::{read_trace, write_atomically, write_output, TraceFile};
use crate::workload::Scenario;

use super::exit::Exit;
use super::repro::{default_trace_path, repro_line, shell_quote};
use super::request::{Origin, ReportRequest, RunRequest, SweepRequest};
use super::text::{escape_controls, path_text};

/// A trace that is complete and exactly as written; the error names the path and the problem.
fn read_intact(path: &Path) -> Result<TraceFile, String> {
    let trace = read_trace(path).map_err(|e| e.to_string())?;
    match trace.integrity_problems().first() {
        Some(problem) => Err(format!(
            "trace {} was edited or damaged: {problem}",
            path_text(path)
        )),
        None => Ok(trace),
    }
}

/// How the trace's header names its run on a command line, when it can: a built-in scenario
/// exactly as embedded, and known bugs.
fn origin_of(trace: &TraceFile) -> Option<Origin> {
    let config = trace.header.run_config().ok()?;
    let name = &trace.header.scenario.name;
    let built_in = Scenario::built_in(name).ok()?;
    (built_in == trace.header.scenario).then(|| Origin {
        scenario_arg: name.clone(),
        scenario_name: name.clone(),
        bugs: config.bugs,
        on_redb: false,
    })
}

/// The header's command lines: the repro line (`dst run ...` when the scenario is built in)
/// and the replay line; the replay alone when the scenario is not built in (the trace carries
/// it, and `dst replay` is then the repro).
fn commands(trace: &TraceFile, path: &Path, repro: Option<String>) -> Vec<CommandLine> {
    let replay = format!("dst replay {}", shell_quote(&path.display().to_string()));
    let repro =
        repro.or_else(|| origin_of(trace).map(|origin| repro_line(trace.header.seed, &origin)));
    match repro {
        Some(line) => vec![
            CommandLine {
                label: "repro",
                line,
            },
            CommandLine {
                label: "replay",
                line: replay,
            },
        ],
        None => vec![CommandLine {
            label: "repro",
            line: replay,
        }],
    }
}

/// Where a page goes: a path the user named (`-o`: written through a symlink, a FIFO or a
/// device) or one dst chose (replaced atomically).
enum Output<'a> {
    Named(&'a Path),
    Chosen(&'a Path),
}

impl Output<'_> {
    fn write(&self, page: &str) -> Result<(), String> {
        let (path, written) = match self {
            Output::Named(path) => (path, write_output(path, page.as_bytes())),
            Output::Chosen(path) => (path, write_atomically(path, page.as_bytes())),
        };
        written.map_err(|e| format!("cannot write '{}': {e}", path_text(path)))
    }
}

/// Draws the trace at `trace_path` into `output`; `repro` overrides the derived repro line.
fn write_run_page(trace_path: &Path, output: Output, repro: Option<String>) -> Result<(), String> {
    let trace = read_intact(trace_path)?;
    let source = RunSource {
        trace_path: trace_path.display().to_string(),
        commands: commands(&trace, trace_path, repro),
    };
    output.write(&run_page(&trace, &source))
}

fn write_sweep_page(
    dir: &Path,
    output: Output,
    seed_pages: BTreeMap<u64, String>,
) -> Result<(), String> {
    let data = read_sweep(dir)?;
    let source = SweepSource {
        dir: dir.display().to_string(),
        seed_pages,
    };
    output.write(&sweep_page(&data, &source))
}

/// Runs `dst report`; the error is an input that cannot be read or an output not written.
pub fn run(request: &ReportRequest) -> Result<Exit, String> {
    let input = &request.input;
    let chosen = if input.is_dir() {
        input.join("report.html")
    } else {
        input.with_extension("html")
    };
    let (path, output) = match &request.output {
        Some(named) => (named.as_path(), Output::Named(named)),
        None => (chosen.as_path(), Output::Chosen(&chosen)),
    };
    if path == input {
        return Err(format!(
            "the page would overwrite the trace '{}': name another with -o",
            path_text(input)
        ));
    }
    if input.is_dir() {
        write_sweep_page(input, output, BTreeMap::new())?;
    } else {
        write_run_page(input, output, None)?;
    }
    // Said on stdout unless the page itself went there (`-o /dev/stdout`, a pipe).
    if std::fs::metadata(path).is_ok_and(|meta| meta.is_file()) {
        println!("report: {}", path_text(path));
    }
    Ok(Exit::Pass)
}

/// For `run --html DIR`: draws the failing run's trace as `DIR/SCENARIO[+BUG..]-seed-N.html`.
pub fn run_html(
    request: &RunRequest,
    trace: &Path,
    repro: &str,
) -> Result<Option<PathBuf>, String> {
    let Some(dir) = &request.html else {
        return Ok(None);
    };
    let name = default_trace_path(request.config.seed, &request.origin).with_extension("html");
    let output = dir.join(name.file_name().expect("a trace path names a file"));
    write_run_page(trace, Output::Chosen(&output), Some(repro.to_string()))?;
    Ok(Some(output))
}

/// For `sweep --html DIR`, once the sweep has written its output: draws its pages and returns
/// the sweep's exit. A page that cannot be drawn is a warning after the summary, as any output
/// problem is: a found failure still exits 1, a passing sweep then exits 2.
pub fn sweep_html(request: &SweepRequest, exit: Exit) -> Exit {
    let Some(dir) = &request.html else {
        return exit;
    };
    match sweep_pages(request, dir) {
        Ok(()) => exit,
        Err(problem) => {
            eprintln!("warning: {}", escape_controls(&problem));
            match exit {
                Exit::Pass => Exit::BadInput,
                other => other,
            }
        }
    }
}

/// `DIR/seed-N.html` for every failing seed with a trace, then `DIR/index.html` linking them.
fn sweep_pages(request: &SweepRequest, dir: &Path) -> Result<(), String> {
    let data = read_sweep(&request.out)?;
    let mut seed_pages = BTreeMap::new();
    for failure in &data.summary.failures {
        let Some(trace) = &failure.trace else {
            continue;
        };
        let name = format!("seed-{}.html", failure.seed);
        let repro = (!failure.repro.is_empty()).then(|| failure.repro.clone());
        write_run_page(Path::new(trace), Output::Chosen(&dir.join(&name)), repro)?;
        seed_pages.insert(failure.seed, name);
    }
    let index = dir.join("index.html");
    let pages = seed_pages.len();
    write_sweep_page(&request.out, Output::Chosen(&index), seed_pages)?;
    eprintln!("html: {} ({pages} seed pages)", path_text(&index));
    Ok(())
}
