//! Sweep progress on stderr: a bar redrawn in place on a terminal, plain lines (every tenth of
//! the way) otherwise. Wall-clock only; nothing here touches a simulation.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(100);
const BAR_WIDTH: u64 = 30;

/// Progress of a sweep of a known number of seeds.
pub struct Progress {
    total: u64,
    done: u64,
    failed: u64,
    start: Instant,
    drawn: Instant,
    terminal: bool,
    next_tenth: u64,
}

impl Progress {
    /// Progress of `total` seeds, drawn as a bar if stderr is a terminal.
    pub fn new(total: u64) -> Progress {
        assert!(total > 0, "a sweep runs at least one seed");
        let now = Instant::now();
        Progress {
            total,
            done: 0,
            failed: 0,
            start: now,
            drawn: now,
            terminal: std::io::stderr().is_terminal(),
            next_tenth: 1,
        }
    }

    fn line(&self) -> String {
        let seconds = self.start.elapsed().as_secs_f64().max(1e-6);
        let rate = self.done as f64 / seconds;
        let eta = if rate > 0.0 {
            (self.total - self.done) as f64 / rate
        } else {
            0.0
        };
        format!(
            "{}/{} seeds, {} failed, {rate:.0} seeds/s, eta {eta:.0}s",
            self.done, self.total, self.failed
        )
    }

    /// Counts one finished seed.
    pub fn tick(&mut self, failed: bool) {
        self.done += 1;
        self.failed += u64::from(failed);
        assert!(self.done <= self.total, "more seeds finished than planned");
        let mut err = std::io::stderr().lock();
        if self.terminal {
            if self.drawn.elapsed() >= REDRAW_EVERY || self.done == self.total {
                self.drawn = Instant::now();
                let filled = (self.done * BAR_WIDTH / self.total) as usize;
                let bar = format!(
                    "{}{}",
                    "#".repeat(filled),
                    ".".repeat(BAR_WIDTH as usize - filled)
                );
                let _ = write!(err, "\r\x1b[2K[{bar}] {}", self.line());
            }
        } else if self.done * 10 >= self.next_tenth * self.total {
            self.next_tenth = self.done * 10 / self.total + 1;
            let _ = writeln!(err, "sweep: {}", self.line());
        }
    }

    /// Ends the bar's line (a terminal) so the summary starts on a fresh one.
    pub fn finish(&self) {
        if self.terminal && self.done > 0 {
            let _ = writeln!(std::io::stderr());
        }
    }
}
