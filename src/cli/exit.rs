//! Exit codes: the one contract scripts and CI rely on.

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every seed passed (replay: identical). Code 0.
    Pass,
    /// A failure was found: a violation, panic, deadlock or replay divergence. Code 1.
    Failure,
    /// Bad input, or output that could not be written: usage, scenario, seeds, trace file, an
    /// unwritable path. Code 2.
    BadInput,
    /// A signal stopped a sweep, which wrote a partial summary. Code 128 + the signal's number:
    /// 130 for SIGINT (Ctrl-C), 143 for SIGTERM.
    Interrupted {
        /// The signal's number.
        signal: i32,
    },
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            Exit::Pass => 0,
            Exit::Failure => 1,
            Exit::BadInput => 2,
            Exit::Interrupted { signal } => {
                assert!((1..64).contains(&signal), "signal {signal} out of range");
                128 + signal
            }
        }
    }
}
