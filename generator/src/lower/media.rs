//! Bodies documented per media type: one type when every media type carries the same
//! JSON or form schema, otherwise a `Media` type with a variant per media type.

use indexmap::IndexMap;

use super::Lowerer;
use super::case::pascal_case;
use crate::error::{Location, Result};
use crate::ir::{Encoding, MediaVariant, TypeKind, TypeRef};

impl Lowerer<'_> {
    /// The type of a body documented per media type: the schema's type when every media
    /// type is JSON or a form of one schema (or has none: any JSON value); otherwise a
    /// `Media` type with a variant per media type. `None` when no media type is documented.
    /// `at` is the body or response; for a Swagger one, the upgrade stage says where its one
    /// schema was written (`Upgraded::schema_sources`).
    pub(super) fn content(
        &mut self,
        content: &IndexMap<String, openapiv3::MediaType>,
        name: &str,
        at: &Location,
    ) -> Result<Option<TypeRef>> {
        let Some((first_type, first)) = content.first() else {
            return Ok(None);
        };
        let swagger_schema = self.schema_sources.get(at).cloned();
        let content_at = |content_type: &str| at.child("content").child(content_type);
        let schema_at = |content_type: &str| {
            swagger_schema
                .clone()
                .unwrap_or_else(|| content_at(content_type).child("schema"))
        };
        let encodings: Vec<Encoding> = content
            .iter()
            .map(|(ct, media)| self.encoding(ct, media))
            .collect();
        let structured = encodings
            .iter()
            .all(|e| matches!(e, Encoding::Json | Encoding::Form));
        let one_schema = content.values().all(|m| m.schema == first.schema);
        if structured && one_schema {
            let ty = match &first.schema {
                Some(schema) => self.lower(schema, name, &schema_at(first_type))?,
                None => TypeRef::Any,
            };
            for (content_type, media) in content {
                self.media_examples(media, &ty, None, &content_at(content_type));
            }
            return Ok(Some(ty));
        }
        let names = media_variant_names(content.keys());
        let mut variants = Vec::new();
        for (((content_type, media), variant), encoding) in content.iter().zip(names).zip(encodings)
        {
            let ty = match (encoding, &media.schema) {
                (Encoding::Json | Encoding::Form, Some(schema)) => self.lower(
                    schema,
                    &format!("{name}{variant}"),
                    &schema_at(content_type),
                )?,
                (Encoding::Json | Encoding::Form, None) => TypeRef::Any,
                (Encoding::Text, _) => TypeRef::String {
                    format: None,
                    secret: false,
                },
                (Encoding::Binary, _) => TypeRef::Bytes,
                (Encoding::Blob, _) => TypeRef::Blob,
            };
            if matches!(encoding, Encoding::Json | Encoding::Form) {
                self.media_examples(media, &ty, None, &content_at(content_type));
            }
            variants.push(MediaVariant {
                content_type: content_type.clone(),
                name: variant,
                encoding,
                ty,
            });
        }
        Ok(Some(self.add_type(
            name,
            None,
            at,
            TypeKind::Media { variants },
            None,
        )))
    }
}

impl Lowerer<'_> {
    /// How a body of `content_type` maps to its Rust value: by the media type, except that a
    /// binary string schema says bytes whatever the media type (`*/*`, otherwise JSON, for
    /// a Swagger `type: file`).
    fn encoding(&self, content_type: &str, media: &openapiv3::MediaType) -> Encoding {
        let binary = media
            .schema
            .as_ref()
            .is_some_and(|schema| self.is_binary(schema));
        match Encoding::of(content_type) {
            Encoding::Json | Encoding::Form | Encoding::Text if binary => {
                if content_type.contains('*') {
                    Encoding::Blob
                } else {
                    Encoding::Binary
                }
            }
            other => other,
        }
    }

    /// Whether a schema is a binary string (`format: binary`; Swagger's `type: file`).
    fn is_binary(&self, schema: &openapiv3::ReferenceOr<openapiv3::Schema>) -> bool {
        let schema = match schema {
            openapiv3::ReferenceOr::Item(schema) => schema,
            openapiv3::ReferenceOr::Reference { .. } => match self.resolve_branch(schema) {
                Some((schema, _)) => schema,
                None => return false,
            },
        };
        matches!(
            &schema.schema_kind,
            openapiv3::SchemaKind::Type(openapiv3::Type::String(string))
                if string.format == openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::Binary)
        )
    }
}

/// Variant names for media types: the subtype (`Json`, `Plain`, `Png`), qualified by the
/// type where two would clash (`TextXml`, `ApplicationXml`).
fn media_variant_names<'a>(content_types: impl Iterator<Item = &'a String> + Clone) -> Vec<String> {
    let short = |ct: &str| {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        match essence.split_once('/') {
            Some(("*", "*")) => "Any".to_owned(),
            Some((kind, "*")) => pascal_case(&format!("any {kind}")),
            Some((_, "x-www-form-urlencoded")) => "Form".to_owned(),
            Some((_, subtype)) => pascal_case(subtype),
            None => pascal_case(essence),
        }
    };
    let shorts: Vec<String> = content_types.clone().map(|ct| short(ct)).collect();
    content_types
        .zip(&shorts)
        .map(|(ct, name)| {
            if shorts.iter().filter(|other| *other == name).count() > 1 {
                pascal_case(ct.split(';').next().unwrap_or_default())
            } else {
                name.clone()
            }
        })
        .collect()
}
