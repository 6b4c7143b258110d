//! Swagger 2.0 in OpenAPI 3.0's shape: body and formData parameters become request bodies,
//! response schemas and examples move under `content`, `securityDefinitions` become
//! security schemes, `basePath` becomes a server URL with variables.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::schemas::convert_schema;
use crate::config::BasePathVariable;
use crate::error::{Error, Location, Result};
use crate::pointer;

use crate::http::METHODS;

pub(super) fn swagger_to_openapi(
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
            let shared_params = parameter_list(item.get("parameters"), &item_at)?;
            let mut out_item = Map::new();
            for (key, value) in item {
                if METHODS.contains(&key.as_str()) {
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

/// A `parameters` list, where there is one: anything but an array is refused, since reading
/// it as none would drop every parameter without a word.
fn parameter_list<'a>(value: Option<&'a Value>, at: &Location) -> Result<Option<&'a Vec<Value>>> {
    match value {
        None => Ok(None),
        Some(Value::Array(items)) => Ok(Some(items)),
        Some(_) => Err(Error::invalid(
            at.child("parameters"),
            "`parameters` must be an array",
        )),
    }
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

// Long because a Swagger operation is rewritten in one pass over its parameters and
// responses, in spec order.
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
    let own: Vec<(Location, &Value)> = parameter_list(source.get("parameters"), at)?
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
                    SOURCE_POINTER.into(),
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
        out.insert(SOURCE_POINTER.into(), json!(at.child("schema").pointer));
    }
    if let Some(Value::Object(examples)) = response.get("examples") {
        for (ct, example) in examples {
            // An example in a media type `produces` does not list (`application/json` for
            // `*/*`) is still an example of the response's one schema.
            let entry = content
                .entry(ct.clone())
                .or_insert_with(|| match response.get("schema") {
                    Some(schema) => json!({"schema": convert_schema(schema)}),
                    None => json!({}),
                });
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

/// Marks, in this module's own output, where a body's or a response's one Swagger schema
/// was written; [`take_schema_sources`] removes the marks before openapiv3 sees them.
const SOURCE_POINTER: &str = "x-source-pointer";

/// Every body's and response's Swagger schema location, by the location of the body or
/// response in the upgraded document, with the marks taken out of `document`.
pub(super) fn take_schema_sources(
    document: &mut Value,
    file: &str,
) -> BTreeMap<Location, Location> {
    let mut sources = BTreeMap::new();
    let Some(Value::Object(paths)) = document.get_mut("paths") else {
        return sources;
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else { continue };
        for (method, op) in item.iter_mut() {
            let at = Location::new(file, pointer::push("/paths", path)).child(method);
            let mut take = |value: Option<&mut Value>, at: Location| {
                if let Some(Value::Object(object)) = value
                    && let Some(Value::String(source)) = object.remove(SOURCE_POINTER)
                {
                    sources.insert(at, Location::new(file, source));
                }
            };
            take(op.get_mut("requestBody"), at.child("requestBody"));
            if let Some(Value::Object(responses)) = op.get_mut("responses") {
                for (status, response) in responses.iter_mut() {
                    take(Some(response), at.child("responses").child(status));
                }
            }
        }
    }
    sources
}

/// Where a place in the upgraded document was written in the Swagger source: a place in a
/// schema the rewrite copied under `content` is in the body's or response's one `schema`, a
/// response's `content/{type}/example` is its `examples/{type}`, a parameter's `example`
/// its `x-example`; paths and operations keep their pointers.
pub fn source_location(location: Location, sources: &BTreeMap<Location, Location>) -> Location {
    let Some(tokens) = pointer::tokens(&location.pointer) else {
        return location;
    };
    let at = |tokens: &[&str]| {
        let pointer = tokens
            .iter()
            .fold(String::new(), |p, t| pointer::push(&p, t));
        Location::new(location.file.clone(), pointer)
    };
    let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
    match words.as_slice() {
        [
            "paths",
            path,
            method,
            "responses",
            status,
            "content",
            media_type,
            "example",
        ] => {
            return at(&[
                "paths",
                path,
                method,
                "responses",
                status,
                "examples",
                media_type,
            ]);
        }
        [owner @ .., "parameters", index, "example"] => {
            return at(&[owner, &["parameters", index, "x-example"]].concat());
        }
        _ => {}
    }
    // `/paths/{path}/{method}/requestBody` or `.../responses/{status}`, then
    // `/content/{media type}/schema`, then the place inside the schema.
    for split in [4, 5] {
        let (owner, rest) = tokens.split_at(split.min(tokens.len()));
        let owner_at = Location::new(
            location.file.clone(),
            owner
                .iter()
                .fold(String::new(), |p, t| pointer::push(&p, t)),
        );
        if let (Some(source), ["content", _, "schema", inside @ ..]) = (
            sources.get(&owner_at),
            rest.iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .as_slice(),
        ) {
            let pointer = inside
                .iter()
                .fold(source.pointer.clone(), |p, t| pointer::push(&p, t));
            return Location::new(source.file.clone(), pointer);
        }
    }
    location
}
