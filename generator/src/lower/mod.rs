//! Stage 4, lower: OpenAPI documents become the IR.
//!
//! A module a concern, in the order the stage runs:
//! - [`operations`] gathers each configured API's operations (parameters, bodies,
//!   per-status responses), with [`media`] for bodies in several media types and
//!   [`security`] for who may call them;
//! - [`schemas`] turns schemas into type uses and named types ([`objects`] for structs and
//!   `allOf`, [`unions`] for `oneOf`/`anyOf`), kept in the deduplicating [`table`];
//! - [`examples`] records every example with the type it must fit, and [`validation`]
//!   keeps those that fit their schema;
//! - [`error_model`] checks or defines the shared error body;
//! - last, [`names`] decides every Rust identifier the output uses, once, from the
//!   suggestions the other modules made ([`case`] turns spec words into identifiers),
//!   [`transport`] what the router does by itself for each operation, and [`layout`] which
//!   type uses get a name or a box so the code stays clippy-clean at any size;
//! - then [`features`] decides which Cargo features build each operation (its API's, or its
//!   tags'), and [`users`] which features use each named type.

mod case;
mod error_model;
mod examples;
mod features;
mod layout;
mod media;
mod names;
mod objects;
mod operations;
mod recursion;
mod schemas;
mod security;
mod table;
mod transport;
mod unions;
mod users;
mod validation;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::config::Config;
use crate::error::{Error, Location, Result};
use openapiv3::{ReferenceOr, Schema};

use crate::ir::{Api, Ir, Route, TypeDef, TypeId, TypeKind, TypeRef, Warning};
use crate::resolve::SCHEMA_REF_PREFIX;
use crate::upgrade::{Upgraded, UpgradedSchema};

/// Lowers the upgraded specs into the IR, as `config` arranges them into APIs.
pub fn lower(upgraded: &Upgraded, config: &Config, sources: Vec<String>) -> Result<Ir> {
    let mut lowerer = Lowerer {
        schemas: &upgraded.schemas,
        schema_sources: &upgraded.schema_sources,
        swagger_files: &upgraded.swagger_files,
        config,
        table: table::TypeTable::default(),
        by_key: HashMap::new(),
        in_progress: HashMap::new(),
        examples: Vec::new(),
        error_schema: config
            .errors
            .schema_key()
            .map(|key| ReferenceOr::Reference {
                reference: format!("{SCHEMA_REF_PREFIX}{}", crate::pointer::escape(&key)),
            }),
        warnings: upgraded.warnings.clone(),
    };
    let error_location = Location::new(config.path.clone(), "/errors");
    let error_type = lowerer.error_type(upgraded, &error_location)?;
    let mut apis = Vec::new();
    for api_config in &config.apis {
        apis.push(lowerer.api(upgraded, api_config, &TypeRef::Named(error_type))?);
    }
    let (types, mut renumbering) = lowerer.table.finish(&error_location)?;
    let mut examples =
        validation::fitting(lowerer.examples, lowerer.schemas, &mut lowerer.warnings);
    for api in &mut apis {
        for operation in &mut api.operations {
            operations::renumber(operation, &mut renumbering);
        }
    }
    for example in &mut examples {
        renumbering.ty(&mut example.ty);
    }
    let error = error_model::model(config, renumbering.id(error_type));
    let mut ir = Ir {
        package: config.package.name.clone(),
        dependencies: config
            .dependencies
            .iter()
            .map(|(name, value)| {
                let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
                (name.clone(), value)
            })
            .collect(),
        description: config.package.description.clone(),
        config_path: config.path.clone(),
        sources,
        apis,
        types,
        error,
        router: config.router.clone(),
        examples,
        media_uses: Default::default(),
        features: Vec::new(),
        type_users: Vec::new(),
        warnings: lowerer.warnings,
    };
    examples::keep_declared(&mut ir);
    layout::name_complex_uses(&mut ir);
    names::decide(&mut ir)?;
    // Both read the finished names and types; neither depends on the other's decisions
    // (transport sees through the boxes layout adds).
    transport::decide(&mut ir);
    layout::finalize(&mut ir);
    features::decide(&mut ir, config)?;
    users::decide(&mut ir);
    Ok(ir)
}

/// The state of one lowering: the schema table it reads and the type table it fills.
struct Lowerer<'a> {
    schemas: &'a BTreeMap<String, UpgradedSchema>,
    /// Where Swagger bodies and responses wrote their schema (see `Upgraded`).
    schema_sources: &'a BTreeMap<Location, Location>,
    /// The specs that were Swagger 2.0: places in them are reported where the source
    /// writes them (`upgrade::source_location`).
    swagger_files: &'a BTreeSet<String>,
    config: &'a Config,
    table: table::TypeTable,
    /// Schema table key → the type it lowered to.
    by_key: HashMap<String, TypeRef>,
    /// Named schemas being lowered → the id reserved for them when something referred back
    /// to them meanwhile (recursion), which also rules out merging them with an identical
    /// earlier type.
    in_progress: HashMap<String, Option<TypeId>>,
    examples: Vec<validation::Candidate>,
    /// The configured shared error schema, which untyped error responses' examples document.
    error_schema: Option<ReferenceOr<Schema>>,
    warnings: Vec<Warning>,
}

impl Lowerer<'_> {
    /// One configured API: the operations and security schemes of its spec files.
    fn api(
        &mut self,
        upgraded: &Upgraded,
        api_config: &crate::config::ApiConfig,
        error_type: &TypeRef,
    ) -> Result<Api> {
        let mut api = Api {
            name: api_config.name.clone(),
            module: String::new(),
            trait_name: String::new(),
            title: api_config.title.clone(),
            sources: api_config.specs.clone(),
            security_schemes: Vec::new(),
            credential_errors: api_config.credential_errors.clone(),
            tag_features: Vec::new(),
            operations: Vec::new(),
            routes: Vec::new(),
        };
        let mut first_use: BTreeMap<String, Location> = BTreeMap::new();
        // Where each route was first documented, and its index in `api.routes`.
        let mut routes: BTreeMap<(String, String), (Location, usize)> = BTreeMap::new();
        for file in &api_config.specs {
            let file = crate::paths::normalise(file);
            let spec = upgraded
                .specs
                .iter()
                .find(|s| s.file == file)
                .ok_or_else(|| {
                    Error::invalid(Location::new(file.clone(), ""), "spec not loaded")
                })?;
            security::schemes(
                &file,
                &spec.openapi,
                &self.config.router,
                &mut api.security_schemes,
            )?;
            for operation in self.operations(&file, &spec.openapi, api_config, error_type)? {
                if let Some(first) = first_use.get(&operation.name) {
                    return Err(Error::DuplicateOperation {
                        location: operation.source.clone(),
                        name: operation.name.clone(),
                        first: Box::new(first.clone()),
                    });
                }
                let index = api.operations.len();
                for path in &operation.full_paths {
                    let route = (operation.method.clone(), path.clone());
                    match routes.get(&route) {
                        // One path key documented twice is a mistake; two keys that differ
                        // in white space only are the spec telling two operations apart.
                        Some((first, _)) if first.pointer == operation.source.pointer => {
                            return Err(Error::invalid(
                                operation.source.clone(),
                                format!(
                                    "{} {path} is already defined at {first}",
                                    operation.method
                                ),
                            ));
                        }
                        Some((_, shared)) => api.routes[*shared].operations.push(index),
                        None => {
                            routes.insert(route, (operation.source.clone(), api.routes.len()));
                            api.routes.push(Route {
                                method: operation.method.clone(),
                                path: path.clone(),
                                operations: vec![index],
                            });
                        }
                    }
                }
                first_use.insert(operation.name.clone(), operation.source.clone());
                api.operations.push(operation);
            }
        }
        Ok(api)
    }

    /// Adds a named type under its suggested `name` (the naming pass decides the final
    /// one). `own` is the schema table key when the type is that schema's own definition:
    /// then it merges with any identical type, unless the schema refers to itself.
    fn add_type(
        &mut self,
        name: &str,
        description: Option<String>,
        at: &Location,
        kind: TypeKind,
        own: Option<&str>,
    ) -> TypeRef {
        let merge = match own {
            Some(key) if self.in_progress.get(key) == Some(&None) => table::Merge::AnyName,
            _ => table::Merge::SameName,
        };
        let def = TypeDef {
            name: name.to_owned(),
            description,
            origins: vec![at.clone()],
            kind,
        };
        TypeRef::Named(self.table.add(def, merge))
    }

    /// The named type a use refers to, when it is already defined.
    fn defined(&self, ty: &TypeRef) -> Option<&TypeDef> {
        match ty {
            TypeRef::Named(id) => self.table.get(*id),
            _ => None,
        }
    }
}
