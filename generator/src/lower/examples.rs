//! Examples: every `example`, `examples` and `x-example` in the specs, recorded with the
//! type it must fit, so the generated crate can test that it round-trips.

use openapiv3::ReferenceOr;
use serde_json::Value;

use super::Lowerer;
use crate::error::Location;
use crate::ir::{Example, TypeKind, TypeRef, Warning};

impl Lowerer<'_> {
    pub(super) fn media_examples(
        &mut self,
        media: &openapiv3::MediaType,
        ty: &TypeRef,
        at: &Location,
    ) {
        if let Some(example) = &media.example {
            self.example(ty, example, at.child("example"));
        }
        for (name, example) in &media.examples {
            if let ReferenceOr::Item(example) = example
                && let Some(value) = &example.value
            {
                self.example(ty, value, at.child("examples").child(name).child("value"));
            }
        }
    }

    /// Records an example. Older specs write JSON examples as JSON text: where the type is
    /// not a string, a string example is read as JSON.
    pub(super) fn example(&mut self, ty: &TypeRef, value: &Value, location: Location) {
        let value = match value {
            Value::String(text) if !self.is_string_type(ty) => match serde_json::from_str(text) {
                Ok(parsed) => parsed,
                Err(e) => {
                    self.warnings.push(Warning {
                        location,
                        message: format!("example is neither the schema's type nor JSON text: {e}"),
                    });
                    return;
                }
            },
            _ => value.clone(),
        };
        self.examples.push(Example {
            test_name: String::new(),
            location,
            ty: ty.clone(),
            value,
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
