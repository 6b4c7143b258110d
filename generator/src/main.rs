//! The generator's command line: a thin shell over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Generate Rust types, server traits and axum routers from Swagger 2.0 / OpenAPI 3.0 specs.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the intermediate representation (APIs, operations, types) the specs lower to.
    Ir {
        /// The generator config (TOML); spec paths in it are relative to its directory.
        #[arg(long)]
        config: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// Pretty-printed JSON.
    Json,
    /// Rust's `Debug` form.
    Debug,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Ir { config, format } => {
            let generator =
                generator::Generator::from_config_file(&config).map_err(|e| e.to_string())?;
            let ir = generator.ir().map_err(|e| e.to_string())?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&ir).map_err(|e| e.to_string())?
                ),
                Format::Debug => println!("{ir:#?}"),
            }
            Ok(())
        }
    }
}
