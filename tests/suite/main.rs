//! Every integration test in one binary: one compile and one link instead of one per file.
//! Each module is one file of tests; the `*_support`, `common` and `support` modules are their
//! shared helpers. (`tests/mutation_sweep.rs` stays its own binary: `cargo mutants` builds only it.)

mod adapter_support;
mod common;
mod support;
mod sweep_support;

mod adapter_concurrency;
mod adapter_crud;
mod adapter_faults;
mod bench_floor;
mod check_durable;
mod check_model;
mod cli_bad_input;
mod cli_continuous;
mod cli_hostile;
mod cli_interrupt;
mod cli_merge;
mod cli_replay;
mod cli_report;
mod cli_run;
mod cli_scenario_rules;
mod cli_sweep;
mod cli_sweep_output;
mod cli_sweep_redb;
mod coverage_marks;
mod crash_test;
mod diff_backends;
mod executor;
mod kv_bugs;
mod kv_contract;
mod kv_faults;
mod planted_bugs;
mod profile_script;
mod recorded_decisions;
mod redb_backend;
mod report_browser;
mod shrink;
mod trace_roundtrip;
mod workload_runs;
