//! Deserializing into openapiv3's types, with a failure reported at the value that caused it.
//!
//! serde_path_to_error follows a failure down to where serde buffers a value: openapiv3's
//! untagged enums (`ReferenceOr`, a schema's kind), flattened fields (a schema's data) and
//! internally tagged enums (a parameter's `in`) take a whole subtree at once and only say
//! that it did not fit, so a wrong `maxLength` deep in a response schema would be reported at
//! `#/paths`. From there, [`deserialize`] goes on by itself: it deserializes the parts of
//! that subtree as the types the OpenAPI 3.0 structure says they are ([`Part`]), descends into
//! the first one refused, and at the deepest refused part names the one member without
//! which the part would be accepted.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{Error, Location, Result};
use crate::pointer;

/// What a value in an OpenAPI 3.0 document is, as far as locating a failure needs: the
/// parts openapiv3 deserializes into a type of its own, and the maps and lists that hold
/// them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Document,
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Header,
    MediaType,
    Schema,
    SecurityScheme,
    /// A map or list whose every member is the given part.
    Each(&'static Part),
    /// `components`.
    Components,
}

impl Part {
    /// The part found under `key` of a value of this part.
    fn child(self, key: &str) -> Option<Part> {
        use Part::*;
        Some(match (self, key) {
            (Each(member), _) => *member,
            (Document, "paths") => Each(&PathItem),
            (Document, "components") => Components,
            (Components, "schemas") => Each(&Schema),
            (Components, "responses") => Each(&Response),
            (Components, "parameters") => Each(&Parameter),
            (Components, "requestBodies") => Each(&RequestBody),
            (Components, "headers") => Each(&Header),
            (Components, "securitySchemes") => Each(&SecurityScheme),
            (PathItem, "parameters") | (Operation, "parameters") => Each(&Parameter),
            (
                PathItem,
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace",
            ) => Operation,
            (Operation, "requestBody") => RequestBody,
            (Operation, "responses") => Each(&Response),
            (Response, "headers") => Each(&Header),
            (Response | RequestBody | Parameter | Header, "content") => Each(&MediaType),
            (MediaType | Parameter | Header, "schema") => Schema,
            (Schema, "properties") | (Schema, "allOf" | "anyOf" | "oneOf") => Each(&Schema),
            (Schema, "items" | "additionalProperties" | "not") => Schema,
            _ => return None,
        })
    }

    /// Whether openapiv3 accepts `value` as this part; the failure when it does not. Maps
    /// and lists are accepted here: their members are checked one by one.
    fn check(self, value: &Value) -> std::result::Result<(), Refusal> {
        // After the resolve stage, the only references left point at schemas, and any
        // string is a reference openapiv3 accepts.
        if value.get("$ref").is_some_and(Value::is_string) {
            return Ok(());
        }
        match self {
            Part::Document => refusal::<openapiv3::OpenAPI>(value),
            Part::PathItem => refusal::<openapiv3::PathItem>(value),
            Part::Operation => refusal::<openapiv3::Operation>(value),
            Part::Parameter => refusal::<openapiv3::Parameter>(value),
            Part::RequestBody => refusal::<openapiv3::RequestBody>(value),
            Part::Response => refusal::<openapiv3::Response>(value),
            Part::Header => refusal::<openapiv3::Header>(value),
            Part::MediaType => refusal::<openapiv3::MediaType>(value),
            Part::Schema => refusal::<openapiv3::Schema>(value),
            Part::SecurityScheme => refusal::<openapiv3::SecurityScheme>(value),
            Part::Each(_) | Part::Components => Ok(()),
        }
    }
}

/// Why a value was refused: the path serde could follow, and its message.
struct Refusal {
    path: Vec<String>,
    message: String,
}

fn refusal<T: DeserializeOwned>(value: &Value) -> std::result::Result<(), Refusal> {
    attempt::<T>(value).map(drop)
}

fn attempt<T: DeserializeOwned>(value: &Value) -> std::result::Result<T, Refusal> {
    serde_path_to_error::deserialize(value).map_err(|e| Refusal {
        path: e
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Enum { .. }
                | serde_path_to_error::Segment::Unknown => None,
            })
            .collect(),
        message: e.inner().to_string(),
    })
}

/// Deserializes `value`, which is a `part` found at `at`, into `T` (the part's openapiv3
/// type, or a `ReferenceOr` of it); a failure names the deepest value refused.
pub fn deserialize<T: DeserializeOwned>(value: &Value, part: Part, at: &Location) -> Result<T> {
    attempt::<T>(value).map_err(|refusal| {
        let (tokens, message) = locate(value, part, refusal);
        let pointer = tokens.iter().fold(at.pointer.clone(), |pointer, token| {
            pointer::push(&pointer, token)
        });
        Error::invalid(
            Location::new(at.file.clone(), pointer),
            format!("not a valid OpenAPI 3.0 value: {message}"),
        )
    })
}

/// The tokens (below `root`) of the deepest value that is refused, and why.
fn locate(root: &Value, part: Part, first: Refusal) -> (Vec<String>, String) {
    let mut tokens = first.path;
    let mut message = first.message;
    'descend: while let Some((value, part)) = follow(root, part, &tokens) {
        for (below, child, child_part) in typed_children(value, part) {
            if let Err(refusal) = child_part.check(child) {
                tokens.extend(below);
                tokens.extend(refusal.path);
                message = refusal.message;
                continue 'descend;
            }
        }
        // No part below is refused by itself: the fault is a member of this one.
        if let Some(key) = culprit(value, part) {
            tokens.push(key);
        }
        break;
    }
    (tokens, message)
}

/// The value at `tokens` below `root`, and its part.
fn follow<'a>(root: &'a Value, mut part: Part, tokens: &[String]) -> Option<(&'a Value, Part)> {
    let mut value = root;
    for token in tokens {
        part = part.child(token)?;
        value = match value {
            Value::Object(map) => map.get(token)?,
            Value::Array(items) => items.get(pointer::index(token)?)?,
            _ => return None,
        };
    }
    Some((value, part))
}

/// The members of `value` that are parts openapiv3 deserializes by themselves, seen through
/// the maps and lists that hold them, each with its tokens below `value`.
fn typed_children(value: &Value, part: Part) -> Vec<(Vec<String>, &Value, Part)> {
    let members: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for (key, child) in members {
        match part.child(&key) {
            Some(container @ (Part::Each(_) | Part::Components)) => {
                for (mut tokens, inner, inner_part) in typed_children(child, container) {
                    tokens.insert(0, key.clone());
                    out.push((tokens, inner, inner_part));
                }
            }
            Some(child_part) => out.push((vec![key], child, child_part)),
            None => {}
        }
    }
    out
}

/// The one member of an object without which `part` accepts it.
fn culprit(value: &Value, part: Part) -> Option<String> {
    let Value::Object(map) = value else {
        return None;
    };
    map.keys()
        .find(|key| {
            let mut without = map.clone();
            without.remove(*key);
            part.check(&Value::Object(without)).is_ok()
        })
        .cloned()
}
