//! Turns Swagger 2.0 and OpenAPI 3.0 / 3.1 specs into a Rust crate: types, one async server trait
//! per API, and the axum router that serves it; plus a Markdown endpoint reference.
//!
//! The pipeline runs in one direction, a stage a module:
//!
//! ```text
//! YAML ─load─▶ documents ─resolve─▶ refs followed ─upgrade─▶ openapiv3::OpenAPI
//!      ─lower─▶ IR ─emit─▶ Rust (quote + prettyplease) and Markdown (minijinja)
//!                                └─export─▶ effective OpenAPI 3.0 JSON (for other tools)
//! ```
//!
//! [`Generator`] runs the stages; each stage's entry point is public for tests and
//! benchmarks. The library never prints or exits: the CLI and xtask do.

pub mod config;
pub mod emit;
pub mod error;
pub mod export;
pub mod failure;
pub mod http;
pub mod ir;
pub mod load;
pub mod lower;
pub mod output;
mod parallel;
pub mod paths;
pub mod pointer;
pub mod resolve;
#[cfg(test)]
mod testing;
pub mod upgrade;

use std::path::Path;

pub use config::Config;
pub use error::{Error, Location, Result};
pub use ir::Ir;
pub use output::GeneratedFile;

/// Runs the pipeline for one config.
#[derive(Debug, Clone)]
pub struct Generator {
    config: Config,
}

impl Generator {
    pub fn new(config: Config) -> Self {
        Generator { config }
    }

    /// Reads the config at `path`; the specs it names are relative to its directory.
    pub fn from_config_file(path: &Path) -> Result<Self> {
        Ok(Generator::new(Config::from_file(path)?))
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The root spec files of every API, in config order.
    pub fn spec_roots(&self) -> Vec<String> {
        self.config
            .apis
            .iter()
            .flat_map(|api| api.specs.iter().map(|s| paths::normalise(s)))
            .collect()
    }

    /// Schemas the config names directly (`file#pointer`), so they are loaded even if no
    /// spec reaches them.
    pub fn configured_schemas(&self) -> Vec<String> {
        let replaced = self.config.replace.schemas.keys().cloned();
        self.config
            .errors
            .schema_key()
            .into_iter()
            .chain(replaced)
            .collect()
    }

    /// Stage 1.
    pub fn load(&self) -> Result<load::DocumentSet> {
        let mut roots = self.spec_roots();
        for schema in self.configured_schemas() {
            let file = schema.split('#').next().unwrap_or_default().to_owned();
            if !roots.contains(&file) {
                roots.push(file);
            }
        }
        load::load(&self.config.spec_root, &roots, &self.config.overlays)
    }

    /// Stages 1 to 3, then `f` on their output; errors get the line they point at.
    fn upgraded<T>(
        &self,
        f: impl FnOnce(&upgrade::Upgraded, &load::DocumentSet) -> Result<T>,
    ) -> Result<T> {
        let documents = self.load()?;
        let line_of = |file: &str, pointer: &str| documents.locate(file, pointer).line;
        let resolved = resolve::resolve(&documents, &self.spec_roots(), &self.configured_schemas())
            .map_err(|e| e.with_line(line_of))?;
        let upgraded = upgrade::upgrade(&resolved, &self.config.base_path_variables)
            .map_err(|e| e.with_line(line_of))?;
        f(&upgraded, &documents).map_err(|e| e.with_line(line_of))
    }

    /// Stages 1 to 4: the IR of every configured API.
    pub fn ir(&self) -> Result<Ir> {
        self.upgraded(|upgraded, documents| {
            let sources = documents.documents.keys().cloned().collect();
            lower::lower(upgraded, &self.config, sources)
        })
    }

    /// Stages 1 to 4, exported: the effective OpenAPI 3.0 document of every root spec,
    /// with what the router does by itself (from the IR) made explicit.
    pub fn openapi(&self) -> Result<Vec<GeneratedFile>> {
        self.upgraded(|upgraded, documents| {
            let sources = documents.documents.keys().cloned().collect();
            let ir = lower::lower(upgraded, &self.config, sources)?;
            export::export(upgraded, &ir, &self.config)
        })
    }

    /// Stages 1 to 5: every file of the generated crate, sorted by path.
    pub fn generate(&self) -> Result<Vec<GeneratedFile>> {
        Ok(self.generate_with_warnings()?.0)
    }

    /// [`Generator::generate`], with what the specs say that the crate cannot (a keyword no
    /// Rust type can say, an example that does not fit its schema), for the user to read.
    pub fn generate_with_warnings(&self) -> Result<(Vec<GeneratedFile>, Vec<ir::Warning>)> {
        let ir = self.ir()?;
        Ok((emit::emit(&ir)?, ir.warnings))
    }
}
