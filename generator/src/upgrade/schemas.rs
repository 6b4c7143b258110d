//! Schemas in OpenAPI 3.0's dialect: Swagger 2.0 and OpenAPI 3.1 (JSON Schema 2020-12)
//! keywords rewritten, what no 3.0 schema can say kept aside for the lower stage.

use serde_json::{Map, Value, json};

use super::extras;
use crate::error::Location;

/// OpenAPI 3.1 in 3.0's terms: the document says `3.0.3`, webhooks (which no server of
/// ours serves) are dropped with a warning, and every schema in it is rewritten by
/// `convert_schema`.
pub(super) fn openapi31_to_30(
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
pub(super) fn convert_schemas_in(value: &mut Value) {
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

/// Rewrites a Swagger 2.0 or OpenAPI 3.1 (JSON Schema 2020-12) schema into OpenAPI 3.0's
/// dialect, recursively. Keywords 3.0 lacks are rewritten (draft-4 tuples included); of a
/// 3.0 schema only `allOf` beside an object's own members is reshaped, which openapiv3
/// would otherwise read as one or the other.
// Long because it is one match arm per keyword to rewrite, each arm short.
pub(super) fn convert_schema(schema: &Value) -> Value {
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    if let Some(split) = split_all_of(map) {
        return convert_schema(&Value::Object(split));
    }
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
            // Draft 4 (Swagger 2.0) tuples: `items` as a list is 2020-12's `prefixItems`,
            // and `additionalItems` what 2020-12 calls `items`.
            "items" if value.is_array() => {
                let converted = value
                    .as_array()
                    .map(|items| items.iter().map(convert_schema).collect())
                    .unwrap_or_default();
                extras::record_prefix_items(&mut out, converted);
            }
            "additionalItems" => {
                let tuple = map.get("items").is_some_and(Value::is_array);
                if tuple && value.is_object() {
                    out.insert("items".into(), convert_schema(value));
                }
            }
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
            // 2020-12 tuples: `prefixItems` has no 3.0 keyword (see `extras`).
            "prefixItems" => {
                let converted = value
                    .as_array()
                    .map(|items| items.iter().map(convert_schema).collect())
                    .unwrap_or_default();
                extras::record_prefix_items(&mut out, converted);
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
                extras::record_unsupported(&mut out, key);
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

/// The keywords that describe an object's own members. Beside `allOf` they are one more
/// part of it: openapiv3 reads a schema as `allOf` *or* as an object, and would drop one.
const OBJECT_KEYWORDS: [&str; 7] = [
    "properties",
    "required",
    "additionalProperties",
    "patternProperties",
    "unevaluatedProperties",
    "minProperties",
    "maxProperties",
];

/// `{allOf: [A, B], properties: ..., required: ...}` as `{allOf: [A, B, {type: object,
/// properties: ..., required: ...}]}`, the rest (`title`, `description`, `example`...)
/// staying beside `allOf`; `None` when there is nothing to move.
fn split_all_of(map: &Map<String, Value>) -> Option<Map<String, Value>> {
    let parts = map.get("allOf")?.as_array()?;
    let moves = |key: &str| {
        OBJECT_KEYWORDS.contains(&key)
            || (key == "type" && map.get("type") == Some(&json!("object")))
    };
    if !map.keys().any(|key| moves(key)) {
        return None;
    }
    let mut own = Map::new();
    own.insert("type".into(), json!("object"));
    let mut outer = Map::new();
    for (key, value) in map {
        if moves(key) {
            own.insert(key.clone(), value.clone());
        } else if key != "allOf" {
            outer.insert(key.clone(), value.clone());
        }
    }
    let mut parts = parts.clone();
    parts.push(Value::Object(own));
    outer.insert("allOf".into(), Value::Array(parts));
    Some(outer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_lists_and_null_branches_become_nullable() {
        assert_eq!(
            convert_schema(&json!({"type": ["string", "null"]})),
            json!({"nullable": true, "type": "string"})
        );
        // Several types besides null are any value: no `type` at all.
        assert_eq!(
            convert_schema(&json!({"type": ["string", "integer"]})),
            json!({})
        );
        assert_eq!(
            convert_schema(&json!({"oneOf": [{"$ref": "a.yaml"}, {"type": "null"}]})),
            json!({"nullable": true, "allOf": [{"$ref": "a.yaml"}]})
        );
    }

    #[test]
    fn keywords_of_3_1_and_swagger_are_said_in_3_0() {
        assert_eq!(
            convert_schema(&json!({"const": 3})),
            json!({"enum": [3], "type": "integer"})
        );
        assert_eq!(
            convert_schema(&json!({"type": "integer", "exclusiveMinimum": 0})),
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true})
        );
        assert_eq!(
            convert_schema(&json!({"examples": ["a", "b"]})),
            json!({"example": "a"})
        );
        assert_eq!(
            convert_schema(&json!({"type": "file"})),
            json!({"type": "string", "format": "binary"})
        );
        assert_eq!(
            convert_schema(&json!({"x-nullable": true, "discriminator": "kind"})),
            json!({"nullable": true, "discriminator": {"propertyName": "kind"}})
        );
        // An enum without a type says its type by its values.
        assert_eq!(
            convert_schema(&json!({"enum": ["a", "b"]})),
            json!({"enum": ["a", "b"], "type": "string"})
        );
    }

    #[test]
    fn pattern_properties_become_a_documented_map() {
        let converted = convert_schema(&json!({
            "type": "object",
            "patternProperties": {"^@": {"type": "string"}}
        }));
        assert_eq!(
            converted,
            json!({
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Keys match `^@`."
            })
        );
    }

    #[test]
    fn members_beside_all_of_become_one_more_part() {
        let converted = convert_schema(&json!({
            "title": "T",
            "allOf": [{"$ref": "base.yaml"}],
            "properties": {"x": {"type": ["integer", "null"]}},
            "required": ["x"]
        }));
        assert_eq!(
            converted,
            json!({
                "title": "T",
                "allOf": [
                    {"$ref": "base.yaml"},
                    {
                        "type": "object",
                        "properties": {"x": {"nullable": true, "type": "integer"}},
                        "required": ["x"]
                    }
                ]
            })
        );
    }

    #[test]
    fn what_no_3_0_schema_can_say_is_kept_aside() {
        let converted = convert_schema(
            &json!({"type": "array", "contains": {}, "prefixItems": [{"type": "string"}]}),
        );
        let keys: Vec<&String> = converted.as_object().unwrap().keys().collect();
        // `type` stays; the tuple and the unsupported keyword are recorded for lower.
        assert_eq!(keys.len(), 3, "{converted}");
        assert_eq!(converted["type"], "array");
    }
}
