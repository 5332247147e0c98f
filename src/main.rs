//! The `fosim` binary: parse the command line, run it, report errors with exit status 1,
//! and a bug (a panic) with how to report and reproduce it, exit status 101.

mod cli;

use clap::Parser;

fn main() {
    cli::install_panic_hook(cli::Repro::default());
    let cli = cli::Cli::parse();
    if let Err(err) = cli::main(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
