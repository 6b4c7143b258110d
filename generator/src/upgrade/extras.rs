//! What a schema says that an `openapiv3::Schema` has no field for: the items of a tuple
//! (2020-12 `prefixItems`, draft-4 list `items`) and the keywords no Rust type can say.
//!
//! openapiv3 only keeps unknown keys as extensions, so these facts travel in a schema's
//! extensions, under keys this module alone writes and reads: the upgrade stage records
//! them with [`record_prefix_items`] and [`record_unsupported`], the lower stage gets them
//! back typed with [`of`] (or, reading a schema as JSON, with [`take_prefix_items`]). No other module knows the keys, so the hand-off has one owner
//! and one shape.

use openapiv3::{ReferenceOr, Schema};
use serde_json::{Map, Value, json};

use super::deserialize::{Part, deserialize};
use crate::error::{Location, Result};

const PREFIX_ITEMS: &str = "x-prefix-items";
const UNSUPPORTED: &str = "x-unsupported-keywords";

/// The facts of one schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaExtras {
    /// A tuple's items, each its own schema; `None` for no tuple.
    pub prefix_items: Option<Vec<ReferenceOr<Schema>>>,
    /// Keywords the schema uses that no Rust type can say, as the spec writes them.
    pub unsupported: Vec<String>,
}

/// The extras of `schema`, lowered at `at`; a tuple whose items are no schemas is an error
/// there.
pub fn of(schema: &Schema, at: &Location) -> Result<SchemaExtras> {
    let extensions = &schema.schema_data.extensions;
    let prefix_items = match extensions.get(PREFIX_ITEMS) {
        None => None,
        Some(items) => Some(deserialize(
            items,
            Part::Each(&Part::Schema),
            &at.child("prefixItems"),
        )?),
    };
    let unsupported = match extensions.get(UNSUPPORTED) {
        Some(Value::Array(keywords)) => keywords
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Ok(SchemaExtras {
        prefix_items,
        unsupported,
    })
}

/// Records a tuple's converted item schemas on the converted schema `out`.
pub(crate) fn record_prefix_items(out: &mut Map<String, Value>, items: Vec<Value>) {
    out.insert(PREFIX_ITEMS.into(), Value::Array(items));
}

/// Takes a tuple's item schemas out of an upgraded schema serialized as JSON, for readers
/// of that JSON that know tuples (the example validator).
pub fn take_prefix_items(schema: &mut Map<String, Value>) -> Option<Vec<Value>> {
    match schema.remove(PREFIX_ITEMS)? {
        Value::Array(items) => Some(items),
        _ => None,
    }
}

/// Records that the schema `out` uses `keyword`, which no Rust type can say.
pub(super) fn record_unsupported(out: &mut Map<String, Value>, keyword: &str) {
    let unsupported = out.entry(UNSUPPORTED).or_insert_with(|| json!([]));
    match unsupported.as_array_mut() {
        Some(keywords) => keywords.push(json!(keyword)),
        // The spec used our key itself: ours wins.
        None => *unsupported = json!([keyword]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_facts_come_back_typed() {
        let mut out = Map::new();
        out.insert("type".into(), json!("array"));
        record_prefix_items(&mut out, vec![json!({"type": "string"})]);
        record_unsupported(&mut out, "contains");
        record_unsupported(&mut out, "if");
        let schema: Schema = serde_json::from_value(Value::Object(out)).unwrap();
        let extras = of(&schema, &Location::new("a.yaml", "/s")).unwrap();
        assert_eq!(extras.prefix_items.map(|items| items.len()), Some(1));
        assert_eq!(extras.unsupported, ["contains", "if"]);
    }

    #[test]
    fn a_tuple_of_no_schemas_is_an_error_where_it_is() {
        let mut out = Map::new();
        record_prefix_items(&mut out, vec![json!(3)]);
        let schema: Schema = serde_json::from_value(Value::Object(out)).unwrap();
        let error = of(&schema, &Location::new("a.yaml", "/s")).unwrap_err();
        assert!(
            error.to_string().starts_with("a.yaml#/s/prefixItems"),
            "{error}"
        );
    }
}
