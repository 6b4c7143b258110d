//! The effective OpenAPI 3.0 document of every spec: what the generated router really
//! serves, for tools that read OpenAPI (schemathesis, client generators, API browsers).
//!
//! It is the upgrade stage's output with what the source files leave implicit made
//! explicit:
//! - the config's overlays are applied (they were, at load);
//! - the server is the base path the router mounts the operations under (scheme and host
//!   belong to the deployment), with the variables of that path only, and path keys are the
//!   paths the router serves (upstream's `"/events "` is `/events`);
//! - every schema the document reaches is bundled under `components/schemas`, named after
//!   its `file#pointer` with the characters OpenAPI forbids in component names replaced,
//!   so the document stands alone;
//! - the failures the generated router answers by itself (`[errors.router]`: a body not in
//!   its media type, a missing parameter, a missing credential...) are documented on every
//!   operation that can reach them, with the shared error body, unless the spec already
//!   documents that status. Which errors an operation can reach is the IR's
//!   `Operation::transport`, the same the router is generated from.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use crate::config::Config;
use crate::error::{Error, Location, Result};
use crate::ir::{Api, Ir, Transport};
use crate::output::GeneratedFile;
use crate::pointer;
use crate::resolve::{SCHEMA_REF_PREFIX, schema_key};
use crate::upgrade::Upgraded;

use crate::http::METHODS;

/// One JSON document per root spec, at the spec's path with a `.json` extension; `ir` is
/// what the upgraded specs lowered to.
pub fn export(upgraded: &Upgraded, ir: &Ir, config: &Config) -> Result<Vec<GeneratedFile>> {
    let names = component_names(upgraded)?;
    let error_schema = error_schema(config, &names)?;
    let transports: BTreeMap<&Location, (&Transport, &Api)> = ir
        .apis
        .iter()
        .flat_map(|api| api.operations.iter().map(move |op| (op, api)))
        .map(|(op, api)| (&op.source, (&op.transport, api)))
        .collect();
    let mut files = Vec::new();
    for spec in &upgraded.specs {
        let at = Location::new(spec.file.clone(), "");
        let mut document = serde_json::to_value(&spec.openapi)
            .map_err(|e| Error::invalid(at.clone(), format!("cannot serialise: {e}")))?;
        document_router_errors(
            &mut document,
            &spec.file,
            &transports,
            config,
            &error_schema,
        );
        served_paths(&mut document, ir, &spec.file);
        drop_dangling_extensions(&mut document);
        let mut reached = BTreeSet::new();
        rename_refs(&mut document, &names, &mut reached);
        let mut schemas = Map::new();
        let mut pending: Vec<String> = reached.iter().cloned().collect();
        while let Some(key) = pending.pop() {
            let Some(schema) = upgraded.schemas.get(&key) else {
                continue;
            };
            let mut value = serde_json::to_value(&schema.schema).map_err(|e| {
                Error::invalid(schema.location.clone(), format!("cannot serialise: {e}"))
            })?;
            let mut inner = BTreeSet::new();
            rename_refs(&mut value, &names, &mut inner);
            pending.extend(inner.into_iter().filter(|k| reached.insert(k.clone())));
            schemas.insert(names[&key].clone(), value);
        }
        let components = document
            .as_object_mut()
            .expect("an OpenAPI document serialises to an object")
            .entry("components")
            .or_insert_with(|| json!({}));
        if let Value::Object(components) = components {
            components.insert("schemas".into(), Value::Object(schemas));
        }
        let path = match spec.file.rsplit_once('.') {
            Some((stem, _)) => format!("{stem}.json"),
            None => format!("{}.json", spec.file),
        };
        let mut contents = serde_json::to_string_pretty(&document)
            .map_err(|e| Error::invalid(at, format!("cannot serialise: {e}")))?;
        contents.push('\n');
        files.push(GeneratedFile { path, contents });
    }
    Ok(files)
}

/// The server and path keys as the router serves them: the base path the IR decided for
/// the file's operations (with the variables in it), and each path key without the white
/// space upstream adds to tell two operations on one path apart.
fn served_paths(document: &mut Value, ir: &Ir, file: &str) {
    let base = ir
        .apis
        .iter()
        .flat_map(|api| &api.operations)
        .find(|op| op.source.file == file)
        .map(|op| &op.base);
    let Value::Object(document) = document else {
        return;
    };
    if let Some(base) = base {
        let variables: Map<String, Value> = base
            .variables
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    json!({"default": v.default, "enum": v.values}),
                )
            })
            .collect();
        let mut server = Map::new();
        server.insert(
            "url".into(),
            json!(if base.template.is_empty() {
                "/"
            } else {
                &base.template
            }),
        );
        if !variables.is_empty() {
            server.insert("variables".into(), Value::Object(variables));
        }
        document.insert("servers".into(), json!([server]));
    }
    if let Some(Value::Object(paths)) = document.get_mut("paths") {
        let trimmed: Map<String, Value> = std::mem::take(paths)
            .into_iter()
            .map(|(key, item)| (key.trim().to_owned(), item))
            .collect();
        *paths = trimmed;
    }
}

/// A component name for every schema key: `api/x/error.yaml#/definitions/E` becomes
/// `api_x_error.yaml_definitions_E`. Two keys that would share a name are an error, not a
/// silent merge.
fn component_names(upgraded: &Upgraded) -> Result<BTreeMap<String, String>> {
    let mut names = BTreeMap::new();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for (key, schema) in &upgraded.schemas {
        let name: String = key
            .trim_end_matches('#')
            .replace("#/", "_")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if let Some(other) = taken.insert(name.clone(), key.clone()) {
            return Err(Error::invalid(
                schema.location.clone(),
                format!("schemas `{other}` and `{key}` would both be exported as `{name}`"),
            ));
        }
        names.insert(key.clone(), name);
    }
    Ok(names)
}

/// The shared error body as a schema: a reference to the configured one, or the
/// generator's own definition when none is configured.
fn error_schema(config: &Config, names: &BTreeMap<String, String>) -> Result<Value> {
    let errors = &config.errors;
    match errors.schema_key() {
        Some(key) if names.contains_key(&key) => Ok(json!({
            "$ref": format!("{SCHEMA_REF_PREFIX}{}", pointer::escape(&key))
        })),
        Some(key) => Err(Error::invalid(
            Location::new(key.split('#').next().unwrap_or_default(), ""),
            "the configured error schema was not loaded",
        )),
        None => Ok(json!({
            "type": "object",
            "required": [errors.code_property],
            "properties": {
                errors.code_property.clone(): { "type": "string" },
                errors.message_property.clone(): { "type": "string" },
            }
        })),
    }
}

/// Adds the statuses the generated router answers by itself to each operation that can
/// reach them.
fn document_router_errors(
    document: &mut Value,
    file: &str,
    transports: &BTreeMap<&Location, (&Transport, &Api)>,
    config: &Config,
    error_schema: &Value,
) {
    let Some(Value::Object(paths)) = document.get_mut("paths") else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(Value::Object(operation)) = item.get_mut(method) else {
                continue;
            };
            let at = Location::new(file, pointer::push("/paths", path)).child(method);
            let Some((transport, api)) = transports.get(&at) else {
                continue;
            };
            let mut by_status: BTreeMap<u16, Vec<&str>> = BTreeMap::new();
            for failure in &transport.errors {
                let error = api
                    .credential_errors
                    .get(failure)
                    .unwrap_or_else(|| config.errors.router.get(*failure));
                let codes = by_status.entry(error.status).or_default();
                if !codes.contains(&error.code.as_str()) {
                    codes.push(&error.code);
                }
            }
            let responses = operation
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("responses serialise to an object");
            for (status, codes) in by_status {
                let class = format!("{}XX", status / 100);
                if responses.contains_key(&status.to_string()) || responses.contains_key(&class) {
                    continue;
                }
                responses.insert(
                    status.to_string(),
                    json!({
                        "description": format!(
                            "Answered by the router before the operation runs: {}.",
                            codes.join(", ")
                        ),
                        "content": { "application/json": { "schema": error_schema } }
                    }),
                );
            }
        }
    }
}

/// Removes `x-` extensions that hold references to other files: the generator ignores
/// extensions, so it never resolved them, and the document must stand alone.
fn drop_dangling_extensions(value: &mut Value) {
    fn has_external_ref(value: &Value) -> bool {
        match value {
            Value::Object(map) => map.iter().any(|(key, child)| {
                (key == "$ref" && child.as_str().is_some_and(|r| !r.starts_with('#')))
                    || has_external_ref(child)
            }),
            Value::Array(items) => items.iter().any(has_external_ref),
            _ => false,
        }
    }
    match value {
        Value::Object(map) => {
            map.retain(|key, child| !(key.starts_with("x-") && has_external_ref(child)));
            map.values_mut().for_each(drop_dangling_extensions);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_dangling_extensions),
        _ => {}
    }
}

/// Rewrites every schema reference to its component name, collecting the keys reached.
fn rename_refs(
    value: &mut Value,
    names: &BTreeMap<String, String>,
    reached: &mut BTreeSet<String>,
) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(key) = schema_key(reference)
                && let Some(name) = names.get(&key)
            {
                *reference = format!("{SCHEMA_REF_PREFIX}{name}");
                reached.insert(key);
            }
            for (key, child) in map.iter_mut() {
                if key != "example" && key != "examples" {
                    rename_refs(child, names, reached);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| rename_refs(item, names, reached)),
        _ => {}
    }
}
