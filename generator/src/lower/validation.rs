//! Examples against their schemas, by a real JSON Schema validator.
//!
//! Upstream examples are sometimes simply wrong (a required field missing, an example
//! placed one level too deep). A round-trip test of such an example fails for the spec's
//! fault, and then a failing example test no longer says that the generator lost meaning.
//! So each example is first checked by boon against the schema it documents, every
//! reference followed; one that does not fit is a warning with its place and the
//! validator's reasons (a report worth sending upstream), and only fitting examples get a
//! test.
//!
//! The schemas are read as JSON Schema draft 4, the dialect OpenAPI 3.0's schemas extend
//! and the one every spec was upgraded to. What the 3.0 form says beyond draft 4 is
//! rewritten first: `nullable: true` also allows `null`, a tuple's items are draft 4's
//! `items: [..]`, and a reference into the schema table names that schema's own resource.
//! So an example is checked against exactly the schema the generator lowered, not more:
//! what the upgrade could not keep (a closed tuple's `additionalItems: false`, the
//! patterns of `patternProperties`) is not checked either.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::ir::{Example, Warning};
use crate::resolve::schema_key;
use crate::upgrade::{UpgradedSchema, extras};

/// An example as recorded, with the schema it documents (an OpenAPI 3.0 schema as JSON);
/// `None` where the spec gives no schema, so any JSON fits.
pub(super) struct Candidate {
    pub example: Example,
    pub schema: Option<Value>,
}

/// The base of every resource the validator is given: nothing is fetched from it.
const BASE: &str = "urn:codegen:";

/// The examples that fit their schema; a warning for each that does not.
pub(super) fn fitting(
    candidates: Vec<Candidate>,
    table: &BTreeMap<String, UpgradedSchema>,
    warnings: &mut Vec<Warning>,
) -> Vec<Example> {
    if candidates.iter().all(|c| c.schema.is_none()) {
        return candidates.into_iter().map(|c| c.example).collect();
    }
    let resources: HashMap<&str, String> = table
        .keys()
        .enumerate()
        .map(|(i, key)| (key.as_str(), format!("{BASE}schemas/{i}")))
        .collect();
    let mut compiler = boon::Compiler::new();
    compiler.set_default_draft(boon::Draft::V4);
    for (key, schema) in table {
        let schema = serde_json::to_value(&schema.schema).unwrap_or(Value::Null);
        add(
            &mut compiler,
            &resources[key.as_str()],
            draft4(&schema, &resources),
        );
    }
    let mut compiled = boon::Schemas::new();
    let mut out = Vec::new();
    for (i, candidate) in candidates.into_iter().enumerate() {
        let Some(schema) = &candidate.schema else {
            out.push(candidate.example);
            continue;
        };
        let url = format!("{BASE}examples/{i}");
        add(&mut compiler, &url, draft4(schema, &resources));
        let example = candidate.example;
        let verdict = compiler
            .compile(&url, &mut compiled)
            .map_err(|e| {
                format!("its schema is not valid JSON Schema (draft 4), so it is not tested: {e}")
            })
            .and_then(|index| {
                compiled.validate(&example.value, index).map_err(|e| {
                    format!(
                        "the example does not fit its schema, so it is not tested: {}",
                        reasons(&e)
                    )
                })
            });
        match verdict {
            Ok(()) => out.push(example),
            Err(message) => warnings.push(Warning {
                location: example.location,
                message,
            }),
        }
    }
    out
}

fn add(compiler: &mut boon::Compiler, url: &str, schema: Value) {
    compiler
        .add_resource(url, schema)
        .expect("the resource URLs are well-formed");
}

/// The validator's reasons: every innermost failure, with where in the example it is.
fn reasons(error: &boon::ValidationError<'_, '_>) -> String {
    fn leaves(error: &boon::ValidationError<'_, '_>, out: &mut Vec<String>) {
        if error.causes.is_empty() {
            let at = error.instance_location.to_string();
            let at = if at.is_empty() {
                "(the example)".to_owned()
            } else {
                format!("`{at}`")
            };
            out.push(format!("at {at}: {}", error.kind));
        }
        for cause in &error.causes {
            leaves(cause, out);
        }
    }
    let mut out = Vec::new();
    leaves(error, &mut out);
    out.join("; ")
}

/// An OpenAPI 3.0 schema (as JSON) read as a draft-4 JSON Schema.
fn draft4(schema: &Value, resources: &HashMap<&str, String>) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        return match schema_key(reference).and_then(|key| resources.get(key.as_str())) {
            Some(url) => json!({ "$ref": url }),
            // A reference the resolve stage did not make: nothing to check against.
            None => json!({}),
        };
    }
    let mut out = Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "properties" => Value::Object(
                value
                    .as_object()
                    .map(|properties| {
                        properties
                            .iter()
                            .map(|(name, s)| (name.clone(), draft4(s, resources)))
                            .collect()
                    })
                    .unwrap_or_default(),
            ),
            "items" | "additionalProperties" | "not" if value.is_object() => {
                draft4(value, resources)
            }
            "allOf" | "anyOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .map(|parts| parts.iter().map(|s| draft4(s, resources)).collect())
                    .unwrap_or_default(),
            ),
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    if let Some(items) = extras::take_prefix_items(&mut out) {
        // Draft 4's tuple: `items` as a list, the rest under `additionalItems`.
        if let Some(rest) = out.remove("items") {
            out.insert("additionalItems".into(), rest);
        }
        let items = items.iter().map(|s| draft4(s, resources)).collect();
        out.insert("items".into(), Value::Array(items));
    }
    if out.remove("nullable") == Some(Value::Bool(true)) {
        return json!({ "anyOf": [{ "type": "null" }, Value::Object(out)] });
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nullable_tuples_and_references_read_as_draft_4() {
        let resources = HashMap::from([("a.yaml#/definitions/X", "urn:x".to_owned())]);
        let mut tuple = Map::new();
        tuple.insert("type".into(), json!("array"));
        tuple.insert("items".into(), json!({"type": "string"}));
        extras::record_prefix_items(&mut tuple, vec![json!({"type": "number"})]);
        let schema = json!({
            "nullable": true,
            "type": "object",
            "properties": {
                "x": {"$ref": "#/components/schemas/a.yaml#~1definitions~1X"},
                "t": Value::Object(tuple),
            },
        });
        assert_eq!(
            draft4(&schema, &resources),
            json!({"anyOf": [{"type": "null"}, {
                "type": "object",
                "properties": {
                    "x": {"$ref": "urn:x"},
                    "t": {"type": "array", "additionalItems": {"type": "string"}, "items": [{"type": "number"}]},
                },
            }]})
        );
    }
}
