//! `-v`: the engine's `tracing` logs on stderr, filtered by `RUST_LOG` (default `debug`). Lines
//! logged while a seed runs carry its span (`seed{seed=7}:`). A `RUST_LOG` that is not a valid
//! filter is reported, not silently replaced.

use tracing_subscriber::EnvFilter;

/// The filter used when `RUST_LOG` is unset or invalid.
const DEFAULT_FILTER: &str = "debug";

/// The filter `RUST_LOG` names, or the default with a warning saying why.
fn filter(rust_log: Option<String>) -> (EnvFilter, Option<String>) {
    let Some(text) = rust_log.filter(|t| !t.trim().is_empty()) else {
        return (EnvFilter::new(DEFAULT_FILTER), None);
    };
    match EnvFilter::try_new(&text) {
        Ok(filter) => (filter, None),
        Err(e) => (
            EnvFilter::new(DEFAULT_FILTER),
            Some(format!(
                "RUST_LOG '{}' is not a valid filter ({e}); using '{DEFAULT_FILTER}' (e.g. RUST_LOG=dst=trace)",
                super::text::escape_controls(&text)
            )),
        ),
    }
}

/// Installs the stderr subscriber.
pub fn init() {
    let (filter, warning) = filter(std::env::var("RUST_LOG").ok());
    if let Some(warning) = warning {
        eprintln!("warning: {warning}");
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_filter_is_reported_and_a_valid_one_kept() {
        assert!(filter(None).1.is_none());
        assert!(filter(Some("dst=trace".to_string())).1.is_none());
        let warning = filter(Some("dst=notalevel".to_string())).1.unwrap();
        assert!(warning.contains("'dst=notalevel'"), "{warning}");
    }
}
