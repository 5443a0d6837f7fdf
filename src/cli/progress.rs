//! Sweep progress on stderr: a bar redrawn in place on a terminal, plain lines (every tenth of
//! the way, or every ten seconds for an endless sweep) otherwise. Wall-clock only; nothing here
//! touches a simulation.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(100);
const ENDLESS_LINE_EVERY: Duration = Duration::from_secs(10);
const BAR_WIDTH: u64 = 30;

/// Progress of a sweep.
pub struct Progress {
    total: Option<u64>,
    done: u64,
    failed: u64,
    done_before: u64,
    start: Instant,
    drawn: Instant,
    terminal: bool,
    next_tenth: u64,
    time_budget: Option<Duration>,
}

impl Progress {
    /// Progress of `total` seeds (`None`: endless) of which `done` (`failed` of them failing)
    /// ran before; drawn as a bar if stderr is a terminal.
    pub fn new(
        total: Option<u64>,
        done: u64,
        failed: u64,
        time_budget: Option<Duration>,
    ) -> Progress {
        assert!(total.is_none_or(|t| done <= t), "done {done} of {total:?}");
        let now = Instant::now();
        Progress {
            total,
            done,
            failed,
            done_before: done,
            start: now,
            drawn: now,
            terminal: std::io::stderr().is_terminal(),
            next_tenth: total.map_or(1, |t| done * 10 / t.max(1) + 1),
            time_budget,
        }
    }

    fn line(&self) -> String {
        let seconds = self.start.elapsed().as_secs_f64().max(1e-6);
        let rate = (self.done - self.done_before) as f64 / seconds;
        let left = match (self.total, self.time_budget) {
            (_, Some(budget)) => {
                let left = budget.saturating_sub(self.start.elapsed()).as_secs();
                format!(", {left}s left")
            }
            (Some(total), None) if rate > 0.0 => {
                format!(", eta {:.0}s", (total - self.done) as f64 / rate)
            }
            _ => String::new(),
        };
        let of = self.total.map_or(String::new(), |t| format!("/{t}"));
        format!(
            "{}{of} seeds, {} failed, {rate:.0} seeds/s{left}",
            self.done, self.failed
        )
    }

    /// Counts one finished seed.
    pub fn tick(&mut self, failed: bool) {
        self.done += 1;
        self.failed += u64::from(failed);
        assert!(
            self.total.is_none_or(|t| self.done <= t),
            "more seeds finished than planned"
        );
        self.draw();
    }

    /// Redraws the bar if it is due (also called when time passes without a seed).
    pub fn draw(&mut self) {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            if self.drawn.elapsed() >= REDRAW_EVERY || Some(self.done) == self.total {
                self.drawn = Instant::now();
                let bar = match self.total {
                    Some(total) => {
                        let filled = (self.done * BAR_WIDTH / total.max(1)) as usize;
                        format!(
                            "[{}{}] ",
                            "#".repeat(filled),
                            ".".repeat(BAR_WIDTH as usize - filled)
                        )
                    }
                    None => String::new(),
                };
                let _ = write!(err, "\r\x1b[2K{bar}{}", self.line());
            }
            return;
        }
        match self.total {
            Some(total) if self.done * 10 >= self.next_tenth * total => {
                self.next_tenth = self.done * 10 / total + 1;
                let _ = writeln!(err, "sweep: {}", self.line());
            }
            None if self.drawn.elapsed() >= ENDLESS_LINE_EVERY => {
                self.drawn = Instant::now();
                let _ = writeln!(err, "sweep: {}", self.line());
            }
            _ => {}
        }
    }

    /// Ends the bar's line (a terminal) so what follows starts on a fresh one.
    pub fn finish(&self) {
        if self.terminal && self.done > self.done_before {
            let _ = writeln!(std::io::stderr());
        }
    }
}
