//! Stage 3, upgrade: every resolved document becomes an `openapiv3::OpenAPI`.
//!
//! OpenAPI 3.0 documents pass through. Swagger 2.0 documents are rewritten into the 3.0
//! shape first: body and formData parameters become request bodies (one content entry per
//! `consumes` type), response schemas and `examples` move under `content` (one entry per
//! `produces` type), `securityDefinitions` become security schemes, and `basePath` becomes a
//! relative server URL whose configured placeholders become server variables.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, ReferenceOr, Schema};
use serde_json::Value;

use crate::config::BasePathVariable;
use crate::error::{Error, Location, Result};
use crate::resolve::Resolved;

mod deserialize;
pub mod extras;
mod schemas;
mod swagger;

use deserialize::{Part, deserialize};
use schemas::{convert_schema, convert_schemas_in, openapi31_to_30};
pub use swagger::source_location;
use swagger::{swagger_to_openapi, take_schema_sources};

/// The output of the upgrade stage.
#[derive(Debug, Clone)]
pub struct Upgraded {
    /// One OpenAPI document per root spec, in the order resolved.
    pub specs: Vec<UpgradedSpec>,
    /// The schema table of the resolve stage, as OpenAPI 3.0 schemas.
    pub schemas: BTreeMap<String, UpgradedSchema>,
    /// Where a Swagger body's or response's one schema was written, by the location of the
    /// body or response: the rewrite copies it under every media type, but warnings and
    /// types belong to the place in the source.
    pub schema_sources: BTreeMap<Location, Location>,
    /// The root specs that were Swagger 2.0, whose places [`source_location`] finds.
    pub swagger_files: BTreeSet<String>,
    /// What the upgrade had to leave out.
    pub warnings: Vec<crate::ir::Warning>,
}

#[derive(Debug, Clone)]
pub struct UpgradedSpec {
    pub file: String,
    pub openapi: OpenAPI,
}

#[derive(Debug, Clone)]
pub struct UpgradedSchema {
    pub location: Location,
    pub schema: ReferenceOr<Schema>,
}

/// Upgrades every resolved spec; `variables` names the placeholders that may appear in a
/// Swagger `basePath`.
pub fn upgrade(
    resolved: &Resolved,
    variables: &BTreeMap<String, BasePathVariable>,
) -> Result<Upgraded> {
    let mut specs = Vec::new();
    let mut warnings = Vec::new();
    let mut schema_sources = BTreeMap::new();
    let mut swagger_files = BTreeSet::new();
    for spec in &resolved.specs {
        let root = Location::new(spec.file.clone(), "");
        let mut sources = BTreeMap::new();
        let json = match version(&spec.document, &root)? {
            Version::Swagger2 => {
                let mut document = swagger_to_openapi(&spec.document, &root, variables)?;
                sources = take_schema_sources(&mut document, &spec.file);
                swagger_files.insert(spec.file.clone());
                document
            }
            // 3.0 keeps its keywords; only what openapiv3 would drop is reshaped (`allOf`
            // beside an object's own members).
            Version::OpenApi3 => {
                let mut document = spec.document.clone();
                convert_schemas_in(&mut document);
                document
            }
            Version::OpenApi31 => openapi31_to_30(&spec.document, &root, &mut warnings),
        };
        let openapi: OpenAPI = deserialize(&json, Part::Document, &root)
            .map_err(|e| e.relocated(|at| source_location(at, &sources)))?;
        schema_sources.extend(sources);
        specs.push(UpgradedSpec {
            file: spec.file.clone(),
            openapi,
        });
    }
    let mut schemas = BTreeMap::new();
    for (key, named) in &resolved.schemas {
        // Only Swagger-only keywords are rewritten, so 3.0 schemas pass through unchanged.
        let schema = deserialize(&convert_schema(&named.value), Part::Schema, &named.location)?;
        schemas.insert(
            key.clone(),
            UpgradedSchema {
                location: named.location.clone(),
                schema,
            },
        );
    }
    Ok(Upgraded {
        specs,
        schemas,
        schema_sources,
        swagger_files,
        warnings,
    })
}

enum Version {
    Swagger2,
    OpenApi3,
    OpenApi31,
}

fn version(document: &Value, root: &Location) -> Result<Version> {
    let found = |key: &str| {
        document
            .get(key)
            .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
    };
    if let Some(swagger) = found("swagger") {
        return match swagger.as_str() {
            "2.0" => Ok(Version::Swagger2),
            _ => Err(Error::UnsupportedVersion {
                location: root.child("swagger"),
                found: format!("swagger: {swagger}"),
            }),
        };
    }
    match found("openapi") {
        Some(v) if v.starts_with("3.0.") => Ok(Version::OpenApi3),
        Some(v) if v.starts_with("3.1.") => Ok(Version::OpenApi31),
        Some(v) => Err(Error::UnsupportedVersion {
            location: root.child("openapi"),
            found: format!("openapi: {v}"),
        }),
        None => Err(Error::UnsupportedVersion {
            location: root.clone(),
            found: "neither a `swagger` nor an `openapi` key".into(),
        }),
    }
}
