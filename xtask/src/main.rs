//! `cargo xtask ...`: the project's chores, as a thin shell over the generator library.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use generator::Generator;
use generator::output::{self, Mode};

#[derive(Debug, Parser)]
#[command(about = "The project's chores")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate `generated/` from `specs/codegen.toml` and the specs it names.
    Codegen {
        /// Change nothing; exit 1 with a unified diff when `generated/` is stale.
        #[arg(long)]
        check: bool,
    },
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn main() -> ExitCode {
    let Command::Codegen { check } = Cli::parse().command;
    let root = workspace_root();
    let out = root.join("generated");
    let files = match Generator::from_config_file(&root.join("specs/codegen.toml"))
        .and_then(|g| g.generate_with_warnings())
    {
        Ok((files, warnings)) => {
            for warning in &warnings {
                eprintln!("warning: {warning}");
            }
            files
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mode = if check { Mode::Check } else { Mode::Write };
    let synced = match output::sync(&out, Path::new("generated/"), &files, mode) {
        Ok(synced) => synced,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", synced.report());
    if let Some(staleness) = synced.staleness() {
        eprintln!("error: {staleness}; run `cargo xtask codegen` and commit the result");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
