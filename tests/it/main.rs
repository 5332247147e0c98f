//! Integration tests: one binary, one module per topic (see ARCHITECTURE.md, Tests).

mod architecture;
mod catalogue;
mod check_kinds;
mod check_models;
mod cli;
mod closed_forms;
mod determinism;
mod equivalence;
mod export;
mod fuzz_regressions;
mod import;
mod import_cloudformation;
mod import_terraform;
mod kill;
mod load_balancers;
mod outputs;
mod plots;
mod record_trees;
mod regressions;
mod route53;
mod scenarios;
mod steady_start;
mod support;
mod swarm;
mod sweeps;
