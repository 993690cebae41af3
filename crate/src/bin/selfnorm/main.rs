//! `selfnorm`: train, search learning rates, evaluate and prepare data from the command line.
//! Every command prints one JSON line per event; errors go to stderr with a non-zero exit.

#[cfg(not(target_family = "wasm"))]
mod commands;
#[cfg(not(target_family = "wasm"))]
mod error;
#[cfg(not(target_family = "wasm"))]
mod options;
#[cfg(not(target_family = "wasm"))]
mod output;

#[cfg(not(target_family = "wasm"))]
fn main() {
    use clap::Parser;
    let cli = commands::Cli::parse();
    if let Err(error) = cli.command.exec() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

#[cfg(target_family = "wasm")]
fn main() {}
