//! Exit codes: the one contract scripts and CI rely on.

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every seed passed (replay: identical). Code 0.
    Pass,
    /// A failure was found: a violation, panic, deadlock or replay divergence. Code 1.
    Failure,
    /// Bad input: usage, scenario, seeds, trace file. Code 2.
    BadInput,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            Exit::Pass => 0,
            Exit::Failure => 1,
            Exit::BadInput => 2,
        }
    }
}
