//! `portcullis`: the Portcullis server and its command line.

use std::process::ExitCode;

use portcullis::{admin, config, costs_cli, policy_cli, serve};

use clap::{Parser, Subcommand};

/// Imports parse on one thread and free on another: with glibc's allocator this
/// process used 15.7 s of CPU for a 1M-row import, with mimalloc 11.9 s.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "portcullis",
    version,
    about = "Self-hosted identity, access and cost-allocation console"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the console (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Reset the root user's password from the shell (reads the new password from
    /// standard input), clearing its lockout; for when root is locked out.
    ResetRootPassword {
        /// Also remove root's MFA device (lost authenticator).
        #[arg(long)]
        remove_mfa: bool,
    },
    /// Print a new random secret key for PORTCULLIS_SECRET_KEY.
    GenerateKey,
    /// Work with policy documents: lint, simulate, templates.
    #[command(subcommand)]
    Policy(policy_cli::PolicyCommand),
    /// Billing data: import, generate, report, export.
    #[command(subcommand)]
    Costs(costs_cli::CostsCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Costs(costs) = &command {
        if let Some(code) = costs_cli::run_offline(costs) {
            return code;
        }
    }
    match command {
        Command::Policy(command) => policy_cli::run(command),
        Command::GenerateKey => {
            println!("{}", identity::secret_box::SecretBox::generate_key());
            ExitCode::SUCCESS
        }
        command => {
            let config = match config::Config::load() {
                Ok(config) => config,
                Err(e) => {
                    eprintln!("portcullis: {e}");
                    return ExitCode::from(2);
                }
            };
            init_logging(config.json_logs);
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    eprintln!("portcullis: cannot start the runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let result = runtime.block_on(async move {
                match command {
                    Command::Migrate => admin::migrate(&config).await,
                    Command::ResetRootPassword { remove_mfa } => {
                        admin::reset_root_password(&config, remove_mfa).await
                    }
                    Command::Costs(command) => costs_cli::run(&config, command).await,
                    _ => serve::serve(config).await,
                }
            });
            match result {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("portcullis: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
