//! `portcullis`: the Portcullis server and its command line.

mod policy_cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Self-hosted identity, access and cost-allocation console"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Work with policy documents: lint, simulate, templates.
    #[command(subcommand)]
    Policy(policy_cli::PolicyCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Policy(command) => policy_cli::run(command),
    }
}
