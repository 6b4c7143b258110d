//! Examples: every `example`, `examples` and `x-example` in the specs, recorded with the
//! type it must fit and the schema it documents, so the generated crate can test that it
//! round-trips (once [`super::validation`] has checked that it fits the schema at all).

use openapiv3::{ReferenceOr, Schema};
use serde_json::Value;

use super::Lowerer;
use super::validation::Candidate;
use crate::error::Location;
use crate::ir::{Example, Ir, TypeKind, TypeRef, Warning};

impl Lowerer<'_> {
    /// The examples of a media type; `schema` is the one they document when the media type
    /// names none itself (an untyped error response's shared error).
    pub(super) fn media_examples(
        &mut self,
        media: &openapiv3::MediaType,
        ty: &TypeRef,
        schema: Option<&ReferenceOr<Schema>>,
        at: &Location,
    ) {
        let schema = media.schema.as_ref().or(schema);
        if let Some(example) = &media.example {
            self.example(ty, schema, example, at.child("example"));
        }
        for (name, example) in &media.examples {
            if let ReferenceOr::Item(example) = example
                && let Some(value) = &example.value
            {
                let at = at.child("examples").child(name).child("value");
                self.example(ty, schema, value, at);
            }
        }
    }

    /// Records an example of `ty`, which lowers `schema`. Older specs write JSON examples as
    /// JSON text: where the type is not a string, a string example is read as JSON.
    pub(super) fn example(
        &mut self,
        ty: &TypeRef,
        schema: Option<&ReferenceOr<Schema>>,
        value: &Value,
        location: Location,
    ) {
        let location = if self.swagger_files.contains(&location.file) {
            crate::upgrade::source_location(location, self.schema_sources)
        } else {
            location
        };
        // A type of the user's own is a string where its schema says so.
        let string_schema = matches!(ty, TypeRef::External(_))
            && matches!(schema, Some(ReferenceOr::Item(s)) if matches!(s.schema_kind, openapiv3::SchemaKind::Type(openapiv3::Type::String(_))));
        let value = match value {
            Value::String(text) if !string_schema && !self.is_string_type(ty) => {
                match serde_json::from_str(text) {
                    Ok(parsed) => parsed,
                    Err(e) => {
                        self.warnings.push(Warning {
                            location,
                            message: format!(
                                "example is neither the schema's type nor JSON text: {e}"
                            ),
                        });
                        return;
                    }
                }
            }
            _ => value.clone(),
        };
        self.examples.push(Candidate {
            example: Example {
                test_name: String::new(),
                location,
                ty: ty.clone(),
                value,
            },
            schema: schema.map(|s| serde_json::to_value(s).unwrap_or(Value::Null)),
        });
    }

    /// Whether values of `ty` are JSON strings.
    pub(super) fn is_string_type(&self, ty: &TypeRef) -> bool {
        match ty {
            TypeRef::String { .. } => true,
            TypeRef::Named(_) => self.defined(ty).is_some_and(|def| match &def.kind {
                TypeKind::Enum { integer, .. } => !integer,
                TypeKind::Alias { target } => matches!(target, TypeRef::String { .. }),
                TypeKind::Validated { .. } => true,
                TypeKind::Struct { .. } | TypeKind::Union { .. } | TypeKind::Media { .. } => false,
            }),
            _ => false,
        }
    }
}

/// JSON Schema allows properties an object does not declare (unless `additionalProperties`
/// is `false`), and examples carry them (`room_id` on an event schema without one); a
/// generated struct keeps only what its schema declares. Rather than let such an example's
/// test fail, or keep every unknown key of every struct in a flattened map (serde buffers
/// each such struct whole), each example loses the properties its types do not declare, and
/// each loss is a warning at the example's place: the test compares what the schema says.
pub(super) fn keep_declared(ir: &mut Ir) {
    let mut examples = std::mem::take(&mut ir.examples);
    for example in &mut examples {
        let mut dropped = Vec::new();
        drop_undeclared(
            ir,
            &example.ty,
            &mut example.value,
            String::new(),
            &mut dropped,
        );
        if !dropped.is_empty() {
            ir.warnings.push(Warning {
                location: example.location.clone(),
                message: format!(
                    "the example has properties its schema does not declare, which the generated types do not keep, so its test leaves them out: {}",
                    dropped.join(", ")
                ),
            });
        }
    }
    ir.examples = examples;
}

/// Removes from `value` (at the JSON pointer `at`) the properties `ty` does not declare,
/// naming each in `dropped`. A union without a tag is left whole: which variant a value
/// lands in is serde's choice at run time.
fn drop_undeclared(
    ir: &Ir,
    ty: &TypeRef,
    value: &mut Value,
    at: String,
    dropped: &mut Vec<String>,
) {
    match (ty, value) {
        (TypeRef::Boxed(inner) | TypeRef::Nullable(inner), value) => {
            drop_undeclared(ir, inner, value, at, dropped)
        }
        (TypeRef::Array(item), Value::Array(items)) => {
            for (i, value) in items.iter_mut().enumerate() {
                drop_undeclared(ir, item, value, format!("{at}/{i}"), dropped);
            }
        }
        (TypeRef::Tuple(types), Value::Array(items)) => {
            for (i, (item, value)) in types.iter().zip(items.iter_mut()).enumerate() {
                drop_undeclared(ir, item, value, format!("{at}/{i}"), dropped);
            }
        }
        (TypeRef::Map { value: item, .. }, Value::Object(entries)) => {
            for (key, value) in entries.iter_mut() {
                let at = crate::pointer::push(&at, key);
                drop_undeclared(ir, item, value, at, dropped);
            }
        }
        (TypeRef::Named(id), value) => match &ir.type_def(*id).kind {
            TypeKind::Alias { target } => drop_undeclared(ir, target, value, at, dropped),
            TypeKind::Struct {
                fields, additional, ..
            } => {
                let Value::Object(entries) = value else {
                    return;
                };
                // The error body keeps every property beside its code and message (its
                // `extra` map): `retry_after_ms`, the `mxid` of `M_THREEPID_IN_USE`...
                let keeps_all = additional.is_some() || *id == ir.error.type_id;
                entries.retain(|key, _| {
                    let kept = keeps_all || fields.iter().any(|f| f.name == *key);
                    if !kept {
                        dropped.push(format!("`{}`", crate::pointer::push(&at, key)));
                    }
                    kept
                });
                for (key, value) in entries.iter_mut() {
                    let ty = fields
                        .iter()
                        .find(|f| f.name == *key)
                        .map(|f| &f.ty)
                        .or(additional.as_ref());
                    if let Some(ty) = ty {
                        let at = crate::pointer::push(&at, key);
                        drop_undeclared(ir, ty, value, at, dropped);
                    }
                }
            }
            TypeKind::Union {
                variants,
                tag: Some(tag),
                ..
            } => {
                let chosen = value
                    .get(tag)
                    .and_then(Value::as_str)
                    .and_then(|tag_value| {
                        variants
                            .iter()
                            .find(|v| v.tag_values.iter().any(|t| t == tag_value))
                    });
                if let Some(variant) = chosen {
                    drop_undeclared(ir, &variant.ty, value, at, dropped);
                }
            }
            TypeKind::Union {
                variants,
                tag: None,
                ..
            } => {
                if let Some(variant) = variants.iter().find(|v| accepts(ir, &v.ty, value)) {
                    drop_undeclared(ir, &variant.ty, value, at, dropped);
                }
            }
            TypeKind::Enum { .. } | TypeKind::Media { .. } | TypeKind::Validated { .. } => {}
        },
        _ => {}
    }
}

/// Whether a value of `ty` can be read from `value` as far as its shape goes (its JSON
/// kind, and for a struct its required properties): the variant of a union without a tag
/// that serde tries first and keeps.
fn accepts(ir: &Ir, ty: &TypeRef, value: &Value) -> bool {
    match ty {
        TypeRef::String { .. } => value.is_string(),
        TypeRef::Integer { .. } => value.is_i64() || value.is_u64(),
        TypeRef::Number { .. } => value.is_number(),
        TypeRef::Boolean => value.is_boolean(),
        TypeRef::Array(_) | TypeRef::Tuple(_) => value.is_array(),
        TypeRef::Map { .. } | TypeRef::Object => value.is_object(),
        TypeRef::Bytes | TypeRef::Blob => false,
        TypeRef::Any | TypeRef::External(_) => true,
        TypeRef::Boxed(inner) => accepts(ir, inner, value),
        TypeRef::Nullable(inner) => value.is_null() || accepts(ir, inner, value),
        TypeRef::Named(id) => match &ir.type_def(*id).kind {
            TypeKind::Alias { target } => accepts(ir, target, value),
            TypeKind::Struct { fields, .. } => value.as_object().is_some_and(|entries| {
                fields
                    .iter()
                    .all(|f| !f.required || entries.contains_key(&f.name))
            }),
            TypeKind::Enum { integer, .. } => {
                if *integer {
                    value.is_i64()
                } else {
                    value.is_string()
                }
            }
            TypeKind::Validated {
                pattern, max_bytes, ..
            } => value.as_str().is_some_and(|text| {
                crate::config::format_problem(pattern.as_deref(), *max_bytes, text).is_none()
            }),
            TypeKind::Union { .. } | TypeKind::Media { .. } => true,
        },
    }
}
