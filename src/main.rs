//! The `fosim` binary: parse the command line, run it, report errors with exit status 1.

mod cli;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    if let Err(err) = cli::main(cli) {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}
