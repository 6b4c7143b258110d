//! The generator's command line: a thin shell over the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use generator::Generator;
use generator::output::{self, Mode};

/// Generate Rust types, server traits and axum routers from Swagger 2.0 and OpenAPI 3.0 / 3.1 specs.
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
    /// Generate the crate into a directory, or check that the directory is up to date.
    Generate {
        /// The generator config (TOML); spec paths in it are relative to its directory.
        #[arg(long)]
        config: PathBuf,
        /// The generated crate's directory: made to hold exactly the generated files.
        #[arg(long)]
        out: PathBuf,
        /// Change nothing; exit 1 with a diff when the directory is not what the specs give.
        #[arg(long)]
        check: bool,
    },
    /// Write the effective OpenAPI 3.0 document of every spec (overlays applied, schemas
    /// bundled, the router's own errors documented) as JSON, for tools such as schemathesis.
    Openapi {
        /// The generator config (TOML); spec paths in it are relative to its directory.
        #[arg(long)]
        config: PathBuf,
        /// The directory to write: each spec at its own relative path, as `.json`; other
        /// files in it are removed.
        #[arg(long)]
        out: PathBuf,
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
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Ir { config, format } => {
            let ir = Generator::from_config_file(&config)
                .and_then(|g| g.ir())
                .map_err(|e| e.to_string())?;
            match format {
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&ir).map_err(|e| e.to_string())?
                ),
                Format::Debug => println!("{ir:#?}"),
            }
            for warning in &ir.warnings {
                eprintln!("warning: {warning}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate { config, out, check } => {
            let (files, warnings) = Generator::from_config_file(&config)
                .and_then(|g| g.generate_with_warnings())
                .map_err(|e| e.to_string())?;
            for warning in &warnings {
                eprintln!("warning: {warning}");
            }
            let mode = if check { Mode::Check } else { Mode::Write };
            let synced = output::sync(&out, &out, &files, mode).map_err(|e| e.to_string())?;
            print!("{}", synced.report());
            if let Some(staleness) = synced.staleness() {
                eprintln!("error: {staleness}");
                return Ok(ExitCode::FAILURE);
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi { config, out } => {
            let files = Generator::from_config_file(&config)
                .and_then(|g| g.openapi())
                .map_err(|e| e.to_string())?;
            let changes = output::write(&out, &files).map_err(|e| e.to_string())?;
            print!("{}", output::summary(&out, &changes));
            Ok(ExitCode::SUCCESS)
        }
    }
}
