//! The `assent` binary: parses the command line and dispatches. Each subcommand lives in its
//! own file under `cmd/`; the work itself is done by the library crates.

mod cli;
mod cmd;
mod exit;
mod sandbox;

use assent_client::{remote, thin};

use clap::Parser;

fn main() {
    // The hook as a thin client of a server skips clap (see `hook::fast_path`).
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let Some(code) = cmd::hook::fast_path(&raw) {
        std::process::exit(code as i32);
    }
    let args = cli::Cli::parse();
    let code = match cmd::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("assent: error: {e:#}");
            exit::Exit::Error
        }
    };
    std::process::exit(code as i32);
}
