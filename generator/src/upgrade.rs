//! Stage 3, upgrade: every resolved document becomes an `openapiv3::OpenAPI`.
//!
//! OpenAPI 3.0 documents pass through. Swagger 2.0 documents are rewritten into the 3.0
//! shape first: body and formData parameters become request bodies (one content entry per
//! `consumes` type), response schemas and `examples` move under `content` (one entry per
//! `produces` type), `securityDefinitions` become security schemes, and `basePath` becomes a
//! relative server URL whose configured placeholders become server variables.

use std::collections::BTreeMap;

use openapiv3::{OpenAPI, ReferenceOr, Schema};
use serde_json::{Map, Value, json};

use crate::config::BasePathVariable;
use crate::error::{Error, Location, Result};
use crate::pointer;
use crate::resolve::Resolved;

/// The output of the upgrade stage.
#[derive(Debug, Clone)]
pub struct Upgraded {
    /// One OpenAPI document per root spec, in the order resolved.
    pub specs: Vec<UpgradedSpec>,
    /// The schema table of the resolve stage, as OpenAPI 3.0 schemas.
    pub schemas: BTreeMap<String, UpgradedSchema>,
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
    for spec in &resolved.specs {
        let root = Location::new(spec.file.clone(), "");
        let json = match version(&spec.document, &root)? {
            Version::Swagger2 => swagger_to_openapi(&spec.document, &root, variables)?,
            Version::OpenApi3 => spec.document.clone(),
            Version::OpenApi31 => openapi31_to_30(&spec.document, &root, &mut warnings),
        };
        let openapi: OpenAPI = deserialize(json, &root)?;
        specs.push(UpgradedSpec {
            file: spec.file.clone(),
            openapi,
        });
    }
    let mut schemas = BTreeMap::new();
    for (key, named) in &resolved.schemas {
        // Only Swagger-only keywords are rewritten, so 3.0 schemas pass through unchanged.
        let schema = deserialize(convert_schema(&named.value), &named.location)?;
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
        warnings,
    })
}

/// OpenAPI 3.1 in 3.0's terms: the document says `3.0.3`, webhooks (which no server of
/// ours serves) are dropped with a warning, and every schema in it is rewritten by
/// `convert_schema`.
fn openapi31_to_30(
    document: &Value,
    root: &Location,
    warnings: &mut Vec<crate::ir::Warning>,
) -> Value {
    let mut out = document.clone();
    if let Value::Object(map) = &mut out {
        map.insert("openapi".into(), json!("3.0.3"));
        map.remove("jsonSchemaDialect");
        if map.remove("webhooks").is_some() {
            warnings.push(crate::ir::Warning {
                location: root.child("webhooks"),
                message: "webhooks are requests the API makes, not serves: ignored".into(),
            });
        }
    }
    convert_schemas_in(&mut out);
    out
}

/// Applies `convert_schema` to every value under a `schema` key.
fn convert_schemas_in(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "schema" {
                    *child = convert_schema(child);
                } else if !crate::load::is_data_key(key) {
                    convert_schemas_in(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(convert_schemas_in),
        _ => {}
    }
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

/// Deserializes into an openapiv3 type; a failure names the pointer where it happened.
fn deserialize<T: serde::de::DeserializeOwned>(value: Value, at: &Location) -> Result<T> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut pointer = at.pointer.clone();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer = pointer::push(&pointer, &index.to_string());
                }
                serde_path_to_error::Segment::Map { key } => pointer = pointer::push(&pointer, key),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => {}
            }
        }
        Error::invalid(
            Location::new(at.file.clone(), pointer),
            format!("not a valid OpenAPI 3.0 value: {}", e.inner()),
        )
    })
}

const HTTP_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn swagger_to_openapi(
    doc: &Value,
    root: &Location,
    variables: &BTreeMap<String, BasePathVariable>,
) -> Result<Value> {
    let mut out = Map::new();
    out.insert("openapi".into(), json!("3.0.3"));
    out.insert(
        "info".into(),
        doc.get("info")
            .cloned()
            .unwrap_or_else(|| json!({"title": "", "version": ""})),
    );
    out.insert("servers".into(), json!([server(doc, variables)]));
    let consumes = strings(doc.get("consumes")).unwrap_or_else(|| vec!["application/json".into()]);
    let produces = strings(doc.get("produces")).unwrap_or_else(|| vec!["application/json".into()]);

    let mut paths = Map::new();
    if let Some(Value::Object(source_paths)) = doc.get("paths") {
        for (path, item) in source_paths {
            if path.starts_with("x-") {
                continue;
            }
            let item_at = root.child("paths").child(path);
            let Value::Object(item) = item else {
                return Err(Error::invalid(item_at, "a path item must be an object"));
            };
            let shared_params = item.get("parameters").and_then(Value::as_array);
            let mut out_item = Map::new();
            for (key, value) in item {
                if HTTP_METHODS.contains(&key.as_str()) {
                    let op = operation(
                        value,
                        shared_params,
                        &item_at.child(key),
                        &consumes,
                        &produces,
                    )?;
                    out_item.insert(key.clone(), op);
                } else if matches!(key.as_str(), "summary" | "description") || key.starts_with("x-")
                {
                    out_item.insert(key.clone(), value.clone());
                }
            }
            paths.insert(path.clone(), Value::Object(out_item));
        }
    }
    out.insert("paths".into(), Value::Object(paths));

    let mut components = Map::new();
    if let Some(Value::Object(definitions)) = doc.get("securityDefinitions") {
        let mut schemes = Map::new();
        for (name, scheme) in definitions {
            let at = root.child("securityDefinitions").child(name);
            schemes.insert(name.clone(), security_scheme(scheme, &at)?);
        }
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    out.insert("components".into(), Value::Object(components));
    for key in ["security", "tags", "externalDocs"] {
        if let Some(value) = doc.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    copy_extensions(doc, &mut out);
    Ok(Value::Object(out))
}

fn server(doc: &Value, variables: &BTreeMap<String, BasePathVariable>) -> Value {
    let mut url = doc
        .get("basePath")
        .and_then(Value::as_str)
        .unwrap_or("/")
        .to_owned();
    let mut used = Map::new();
    for (name, variable) in variables {
        if url.contains(&variable.placeholder) {
            url = url.replace(&variable.placeholder, &format!("{{{name}}}"));
            used.insert(
                name.clone(),
                json!({"default": variable.values[0], "enum": variable.values}),
            );
        }
    }
    let mut server = Map::new();
    server.insert("url".into(), Value::String(url));
    if !used.is_empty() {
        server.insert("variables".into(), Value::Object(used));
    }
    Value::Object(server)
}

fn strings(value: Option<&Value>) -> Option<Vec<String>> {
    value?.as_array().map(|items| {
        items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    })
}

fn copy_extensions(from: &Value, to: &mut Map<String, Value>) {
    if let Some(map) = from.as_object() {
        for (key, value) in map {
            if key.starts_with("x-") {
                to.insert(key.clone(), value.clone());
            }
        }
    }
}

fn operation(
    op: &Value,
    shared_params: Option<&Vec<Value>>,
    at: &Location,
    doc_consumes: &[String],
    doc_produces: &[String],
) -> Result<Value> {
    let Value::Object(source) = op else {
        return Err(Error::invalid(at.clone(), "an operation must be an object"));
    };
    let mut out = Map::new();
    for key in [
        "summary",
        "description",
        "operationId",
        "deprecated",
        "tags",
        "security",
        "externalDocs",
    ] {
        if let Some(value) = source.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    copy_extensions(op, &mut out);
    let consumes = strings(source.get("consumes")).unwrap_or_else(|| doc_consumes.to_vec());
    let produces = strings(source.get("produces")).unwrap_or_else(|| doc_produces.to_vec());

    // Operation parameters override path-item ones with the same name and location.
    let own: Vec<(Location, &Value)> = source
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, p)| (at.child("parameters").child(&i.to_string()), p))
        .collect();
    let mut all: Vec<(Location, &Value)> = Vec::new();
    for (i, shared) in shared_params.into_iter().flatten().enumerate() {
        let overridden = own
            .iter()
            .any(|(_, p)| p.get("name") == shared.get("name") && p.get("in") == shared.get("in"));
        if !overridden {
            let parent = Location::new(at.file.clone(), parent_pointer(&at.pointer));
            all.push((parent.child("parameters").child(&i.to_string()), shared));
        }
    }
    all.extend(own);

    let mut parameters = Vec::new();
    let mut form_fields: Vec<(Location, &Value)> = Vec::new();
    for (param_at, param) in all {
        let location = param
            .get("in")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid(param_at.clone(), "parameter has no `in`"))?;
        let name = param
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::invalid(param_at.clone(), "parameter has no `name`"))?;
        match location {
            "body" => {
                let schema = param.get("schema").ok_or_else(|| {
                    Error::invalid(
                        param_at.clone(),
                        format!("body parameter `{name}` has no schema"),
                    )
                })?;
                let content: Map<String, Value> = consumes
                    .iter()
                    .map(|ct| (ct.clone(), json!({"schema": convert_schema(schema)})))
                    .collect();
                let mut body = Map::new();
                if let Some(description) = param.get("description") {
                    body.insert("description".into(), description.clone());
                }
                body.insert(
                    "required".into(),
                    param.get("required").cloned().unwrap_or(json!(false)),
                );
                body.insert("content".into(), Value::Object(content));
                // Lets later stages point errors at the Swagger source, not the rewrite.
                body.insert(
                    "x-source-pointer".into(),
                    json!(param_at.child("schema").pointer),
                );
                out.insert("requestBody".into(), Value::Object(body));
            }
            "formData" => form_fields.push((param_at, param)),
            "query" | "header" | "path" => {
                parameters.push(simple_parameter(param, name, location, &param_at)?);
            }
            other => {
                return Err(Error::invalid(
                    param_at.child("in"),
                    format!("unknown parameter location `{other}`"),
                ));
            }
        }
    }
    if !form_fields.is_empty() {
        out.insert("requestBody".into(), form_body(&form_fields, &consumes)?);
    }
    out.insert("parameters".into(), Value::Array(parameters));

    let Some(Value::Object(responses)) = source.get("responses") else {
        return Err(Error::invalid(
            at.child("responses"),
            "operation has no responses",
        ));
    };
    let mut out_responses = Map::new();
    for (status, response) in responses {
        if status.starts_with("x-") {
            continue;
        }
        let at = at.child("responses").child(status);
        out_responses.insert(status.clone(), self::response(response, &produces, &at));
    }
    out.insert("responses".into(), Value::Object(out_responses));
    Ok(Value::Object(out))
}

/// The JSON Schema type of a value.
fn json_type(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::String(_) => "string",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => return None,
    })
}

fn parent_pointer(pointer: &str) -> String {
    pointer
        .rsplit_once('/')
        .map_or("", |(parent, _)| parent)
        .to_owned()
}

/// Keys of a Swagger non-body parameter that belong to its schema in OpenAPI 3.
const PARAMETER_SCHEMA_KEYS: [&str; 14] = [
    "type",
    "format",
    "items",
    "default",
    "enum",
    "maximum",
    "minimum",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
];

fn simple_parameter(param: &Value, name: &str, location: &str, at: &Location) -> Result<Value> {
    let mut out = Map::new();
    out.insert("name".into(), json!(name));
    out.insert("in".into(), json!(location));
    for key in ["description", "deprecated", "allowEmptyValue"] {
        if let Some(value) = param.get(key) {
            out.insert(key.into(), value.clone());
        }
    }
    let required =
        location == "path" || param.get("required").and_then(Value::as_bool) == Some(true);
    out.insert("required".into(), json!(required));
    copy_extensions(param, &mut out);
    if let Some(example) = param.get("x-example") {
        out.insert("example".into(), example.clone());
    }
    if let Some(schema) = param.get("schema") {
        out.insert("schema".into(), convert_schema(schema));
        return Ok(Value::Object(out));
    }
    if param.get("type").is_none() {
        return Err(Error::invalid(
            at.clone(),
            format!("parameter `{name}` has no `type` (non-body parameters need one)"),
        ));
    }
    let mut schema = Map::new();
    for key in PARAMETER_SCHEMA_KEYS {
        if let Some(value) = param.get(key) {
            schema.insert(key.into(), value.clone());
        }
    }
    if param.get("collectionFormat").and_then(Value::as_str) == Some("multi") {
        out.insert("explode".into(), json!(true));
    }
    out.insert("schema".into(), convert_schema(&Value::Object(schema)));
    Ok(Value::Object(out))
}

fn form_body(fields: &[(Location, &Value)], consumes: &[String]) -> Result<Value> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for (at, field) in fields {
        let name = field
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let converted = simple_parameter(field, name, "query", at)?;
        let mut schema = converted.get("schema").cloned().unwrap_or(json!({}));
        if let (Some(description), Value::Object(map)) = (field.get("description"), &mut schema) {
            map.insert("description".into(), description.clone());
        }
        properties.insert(name.to_owned(), schema);
        if field.get("required").and_then(Value::as_bool) == Some(true) {
            required.push(json!(name));
        }
    }
    let form_types: Vec<&String> = consumes
        .iter()
        .filter(|ct| {
            ct.starts_with("application/x-www-form-urlencoded")
                || ct.starts_with("multipart/form-data")
        })
        .collect();
    let schema = json!({"type": "object", "properties": properties, "required": required});
    let content: Map<String, Value> = if form_types.is_empty() {
        [(
            "application/x-www-form-urlencoded".to_owned(),
            json!({"schema": schema}),
        )]
        .into_iter()
        .collect()
    } else {
        form_types
            .into_iter()
            .map(|ct| (ct.clone(), json!({"schema": schema.clone()})))
            .collect()
    };
    Ok(json!({"required": !required.is_empty(), "content": content}))
}

fn response(response: &Value, produces: &[String], at: &Location) -> Value {
    let mut out = Map::new();
    out.insert(
        "description".into(),
        response
            .get("description")
            .cloned()
            .unwrap_or_else(|| json!("")),
    );
    let mut content = Map::new();
    if let Some(schema) = response.get("schema") {
        for ct in produces {
            content.insert(ct.clone(), json!({"schema": convert_schema(schema)}));
        }
        // Lets later stages point at the Swagger schema, not the rewrite.
        out.insert("x-source-pointer".into(), json!(at.child("schema").pointer));
    }
    if let Some(Value::Object(examples)) = response.get("examples") {
        for (ct, example) in examples {
            let entry = content.entry(ct.clone()).or_insert_with(|| json!({}));
            if let Value::Object(entry) = entry {
                entry.insert("example".into(), example.clone());
            }
        }
    }
    if !content.is_empty() {
        out.insert("content".into(), Value::Object(content));
    }
    if let Some(Value::Object(headers)) = response.get("headers") {
        let converted: Map<String, Value> = headers
            .iter()
            .map(|(name, header)| {
                let mut schema = Map::new();
                for key in PARAMETER_SCHEMA_KEYS {
                    if let Some(value) = header.get(key) {
                        schema.insert(key.into(), value.clone());
                    }
                }
                let mut out = Map::new();
                if let Some(description) = header.get("description") {
                    out.insert("description".into(), description.clone());
                }
                out.insert("schema".into(), Value::Object(schema));
                (name.clone(), Value::Object(out))
            })
            .collect();
        out.insert("headers".into(), Value::Object(converted));
    }
    copy_extensions(response, &mut out);
    Value::Object(out)
}

fn security_scheme(scheme: &Value, at: &Location) -> Result<Value> {
    let kind = scheme
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let description = scheme.get("description").cloned();
    let mut out = match kind {
        "apiKey" => json!({
            "type": "apiKey",
            "name": scheme.get("name").cloned().unwrap_or(json!("")),
            "in": scheme.get("in").cloned().unwrap_or(json!("query")),
        }),
        "basic" => json!({"type": "http", "scheme": "basic"}),
        "oauth2" => {
            let flow = match scheme.get("flow").and_then(Value::as_str) {
                Some("implicit") => "implicit",
                Some("password") => "password",
                Some("application") => "clientCredentials",
                Some("accessCode") => "authorizationCode",
                other => {
                    return Err(Error::invalid(
                        at.child("flow"),
                        format!("unknown oauth2 flow {other:?}"),
                    ));
                }
            };
            let mut details = Map::new();
            for (from, to) in [
                ("authorizationUrl", "authorizationUrl"),
                ("tokenUrl", "tokenUrl"),
            ] {
                if let Some(url) = scheme.get(from) {
                    details.insert(to.into(), url.clone());
                }
            }
            details.insert(
                "scopes".into(),
                scheme.get("scopes").cloned().unwrap_or(json!({})),
            );
            json!({"type": "oauth2", "flows": {flow: details}})
        }
        other => {
            return Err(Error::invalid(
                at.child("type"),
                format!("unknown security scheme type `{other}`"),
            ));
        }
    };
    if let (Some(description), Value::Object(map)) = (description, &mut out) {
        map.insert("description".into(), description);
    }
    Ok(out)
}

/// Rewrites a Swagger 2.0 or OpenAPI 3.1 (JSON Schema 2020-12) schema into OpenAPI 3.0's
/// dialect, recursively. Only keywords 3.0 lacks are rewritten, so a 3.0 schema comes back
/// unchanged.
fn convert_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            // 3.1: `type: [T, "null"]` is a nullable T; several types are any value.
            "type" if value.is_array() => {
                let types: Vec<&Value> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|t| *t != "null")
                    .collect();
                if types.len() < value.as_array().map_or(0, Vec::len) {
                    out.insert("nullable".into(), json!(true));
                }
                if let [single] = types.as_slice() {
                    out.insert("type".into(), (*single).clone());
                }
            }
            // 3.1: `const` is a one-value enum.
            "const" => {
                out.insert("enum".into(), json!([value]));
                if !map.contains_key("type")
                    && let Some(kind) = json_type(value)
                {
                    out.insert("type".into(), json!(kind));
                }
            }
            // 3.1: `examples` of a schema is a list; 3.0 has one `example`.
            "examples" if value.is_array() => {
                if let (false, Some(first)) = (map.contains_key("example"), value.get(0)) {
                    out.insert("example".into(), first.clone());
                }
            }
            // 3.1: exclusive bounds are numbers; in 3.0 they qualify `minimum`/`maximum`.
            "exclusiveMinimum" | "exclusiveMaximum" if value.is_number() => {
                let bound = if key == "exclusiveMinimum" {
                    "minimum"
                } else {
                    "maximum"
                };
                out.insert(bound.into(), value.clone());
                out.insert(key.clone(), json!(true));
            }
            "x-nullable" => {
                out.insert("nullable".into(), value.clone());
            }
            "discriminator" if value.is_string() => {
                out.insert(key.clone(), json!({"propertyName": value}));
            }
            "type" if value == "file" => {
                out.insert("type".into(), json!("string"));
                out.insert("format".into(), json!("binary"));
            }
            "properties" => {
                let converted = value
                    .as_object()
                    .map(|props| {
                        props
                            .iter()
                            .map(|(k, v)| (k.clone(), convert_schema(v)))
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Object(converted));
            }
            // 2020-12 `items: false` (no items past `prefixItems`) says nothing more.
            "items" if value.is_boolean() => {}
            "items" | "additionalProperties" | "not" => {
                out.insert(key.clone(), convert_schema(value));
            }
            "allOf" => {
                let converted = value
                    .as_array()
                    .map(|items| items.iter().map(convert_schema).collect())
                    .unwrap_or_default();
                out.insert(key.clone(), Value::Array(converted));
            }
            // `oneOf: [T, {type: null}]` is a nullable T.
            "anyOf" | "oneOf" => {
                let branches = value.as_array().map(Vec::as_slice).unwrap_or_default();
                let is_null = |b: &&Value| b.get("type").is_some_and(|t| t == "null");
                let rest: Vec<Value> = branches
                    .iter()
                    .filter(|b| !is_null(b))
                    .map(convert_schema)
                    .collect();
                if rest.len() < branches.len() {
                    out.insert("nullable".into(), json!(true));
                }
                match rest.as_slice() {
                    [single] if rest.len() < branches.len() => {
                        out.insert("allOf".into(), json!([single]));
                    }
                    _ => {
                        out.insert(key.clone(), Value::Array(rest));
                    }
                }
            }
            // 2020-12 tuples: `prefixItems` has no 3.0 keyword; it travels as an extension
            // the lower stage reads.
            "prefixItems" => {
                let converted = value
                    .as_array()
                    .map(|items| items.iter().map(convert_schema).collect())
                    .unwrap_or_default();
                out.insert(PREFIX_ITEMS.into(), Value::Array(converted));
            }
            // Keys matching patterns: a map, the patterns documented.
            "patternProperties" => {
                let Some(patterns) = value.as_object().filter(|p| !p.is_empty()) else {
                    continue;
                };
                if !map.contains_key("additionalProperties") {
                    let values: Vec<Value> = patterns.values().map(convert_schema).collect();
                    let all_same = values.windows(2).all(|w| w[0] == w[1]);
                    out.insert(
                        "additionalProperties".into(),
                        if all_same {
                            values[0].clone()
                        } else {
                            json!(true)
                        },
                    );
                }
                let listed: Vec<String> = patterns.keys().map(|p| format!("`{p}`")).collect();
                let note = format!("Keys match {}.", listed.join(" or "));
                let described = match map.get("description").and_then(Value::as_str) {
                    Some(text) => format!("{text}\n\n{note}"),
                    None => note,
                };
                out.insert("description".into(), json!(described));
            }
            "description" if map.contains_key("patternProperties") => {}
            // What no other keyword evaluates: for a plain object, what
            // `additionalProperties` would say.
            "unevaluatedProperties" => {
                if !map.contains_key("additionalProperties")
                    && !map.contains_key("patternProperties")
                {
                    out.insert("additionalProperties".into(), convert_schema(value));
                }
            }
            "jsonSchemaDialect" | "$schema" | "$id" | "$comment" | "$defs" | "definitions" => {}
            _ if UNSUPPORTED_KEYWORDS.contains(&key.as_str()) => {
                let unsupported = out.entry(UNSUPPORTED).or_insert_with(|| json!([]));
                match unsupported.as_array_mut() {
                    Some(keywords) => keywords.push(json!(key)),
                    // The spec used our extension's name itself: ours wins.
                    None => *unsupported = json!([key]),
                }
            }
            _ => {
                out.insert(key.clone(), value.clone());
            }
        }
    }
    // An `enum` without a `type` (valid JSON Schema) says its type by its values.
    if !out.contains_key("type")
        && let Some(Value::Array(values)) = out.get("enum")
        && let Some(first) = values.first().and_then(json_type)
        && values.iter().all(|v| json_type(v) == Some(first))
    {
        out.insert("type".into(), json!(first));
    }
    Value::Object(out)
}

/// The extension carrying a 2020-12 `prefixItems` list through openapiv3.
pub const PREFIX_ITEMS: &str = "x-prefix-items";

/// The extension listing the keywords of a schema that the generator cannot represent.
pub const UNSUPPORTED: &str = "x-unsupported-keywords";

/// JSON Schema keywords that constrain values in ways a Rust type cannot say: dropped, with
/// a warning at the schema that uses them.
const UNSUPPORTED_KEYWORDS: [&str; 9] = [
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "contains",
    "propertyNames",
    "$dynamicRef",
    "unevaluatedItems",
];
