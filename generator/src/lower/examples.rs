//! Examples: every `example`, `examples` and `x-example` in the specs, recorded with the
//! type it must fit and the schema it documents, so the generated crate can test that it
//! round-trips (once [`super::validation`] has checked that it fits the schema at all).

use openapiv3::{ReferenceOr, Schema};
use serde_json::Value;

use super::Lowerer;
use super::validation::Candidate;
use crate::error::Location;
use crate::ir::{Example, TypeKind, TypeRef, Warning};

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
                TypeKind::Struct { .. } | TypeKind::Union { .. } | TypeKind::Media { .. } => false,
            }),
            _ => false,
        }
    }
}
