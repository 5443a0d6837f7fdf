//! Ctrl-C (SIGINT) and SIGTERM during a sweep: the first sets a flag the sweep checks between
//! seeds (it stops claiming seeds, finishes the running ones and writes a partial summary); the
//! second exits at once with 128 + the signal's number. Handlers only store to atomics.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::flag;

/// The signals a sweep stops on, with their names.
const SIGNALS: [(i32, &str); 2] = [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")];

/// Whether a stop signal arrived, and which.
pub struct Interrupt {
    stop: Arc<AtomicBool>,
    signal: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Installs the handlers; the error names the signal that could not be handled.
    pub fn install() -> Result<Interrupt, String> {
        let stop = Arc::new(AtomicBool::new(false));
        let signal = Arc::new(AtomicUsize::new(0));
        for (number, name) in SIGNALS {
            let code = 128 + number;
            // Registered first, so it sees the flag as it was before this delivery: set means
            // this is the second signal.
            flag::register_conditional_shutdown(number, code, Arc::clone(&stop))
                .and_then(|_| flag::register_usize(number, Arc::clone(&signal), number as usize))
                .and_then(|_| flag::register(number, Arc::clone(&stop)))
                .map_err(|e| format!("cannot handle {name}: {e}"))?;
        }
        Ok(Interrupt { stop, signal })
    }

    /// The flag a sweep checks before claiming each seed.
    pub fn flag(&self) -> &AtomicBool {
        &self.stop
    }

    /// The signal that arrived first, as `(number, name)`, if one did.
    pub fn received(&self) -> Option<(i32, &'static str)> {
        if !self.stop.load(Ordering::SeqCst) {
            return None;
        }
        let number = self.signal.load(Ordering::SeqCst) as i32;
        SIGNALS.into_iter().find(|(n, _)| *n == number)
    }
}
