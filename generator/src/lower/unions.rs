//! `oneOf` / `anyOf`: a union with one variant per branch, tagged by a discriminator or by
//! a property every branch requires with one distinct constant value.

use std::collections::BTreeSet;

use openapiv3::{ReferenceOr, Schema, SchemaKind, Type};

use super::Lowerer;
use super::case::pascal_case;
use super::objects::{object_properties, object_required};
use crate::error::{Location, Result};
use crate::ir::{TypeKind, TypeRef, UnionVariant};
use crate::pointer;
use crate::resolve::schema_key;

impl Lowerer<'_> {
    /// One variant per branch; its suggested name comes from the referenced type, the
    /// branch's title, its tag value, or what it is (`String`, `List`...).
    pub(super) fn union(
        &mut self,
        schema: &Schema,
        branches: &[ReferenceOr<Schema>],
        name: &str,
        at: Location,
        own: Option<&str>,
    ) -> Result<TypeRef> {
        let description = schema.schema_data.description.clone();
        let tag = self.union_tag(schema, branches);
        let mut variants: Vec<UnionVariant> = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let tag_values = match &tag {
                Some((_, values)) => values[i].clone(),
                None => Vec::new(),
            };
            let resolved = self.resolve_branch(branch).map(|(s, _)| s);
            let title = resolved
                .and_then(|s| s.schema_data.title.as_deref())
                .map(pascal_case);
            let from_tag = tag_values.first().map(|v| pascal_case(v));
            let inline_hint = format!(
                "{name}{}",
                title
                    .clone()
                    .or(from_tag.clone())
                    .unwrap_or_else(|| branch_kind_name(resolved))
            );
            let ty = self.lower(branch, &inline_hint, &at.child(&i.to_string()))?;
            let variant = match (&title, &from_tag) {
                _ if matches!(branch, ReferenceOr::Reference { .. })
                    && matches!(ty, TypeRef::Named(_)) =>
                {
                    self.type_variant_name(&ty, name)
                }
                (Some(title), _) => title.clone(),
                (None, Some(tag)) => tag.clone(),
                _ => self.type_variant_name(&ty, name),
            };
            let mut unique = variant.clone();
            if variants.iter().any(|v| v.name == unique) {
                unique = format!("{variant}{}", self.type_variant_name(&ty, name));
            }
            variants.push(UnionVariant {
                name: unique,
                ty,
                tag_values,
            });
        }
        let kind = TypeKind::Union {
            variants,
            tag: tag.map(|(property, _)| property),
            fallback: String::new(),
        };
        Ok(self.add_type(name, description, &at, kind, own))
    }

    /// A branch's schema, through the schema table, with its table key when it has one.
    pub(super) fn resolve_branch<'s>(
        &'s self,
        branch: &'s ReferenceOr<Schema>,
    ) -> Option<(&'s Schema, Option<String>)> {
        let mut current = branch;
        let mut key = None;
        for _ in 0..32 {
            match current {
                ReferenceOr::Item(schema) => return Some((schema, key)),
                ReferenceOr::Reference { reference } => {
                    let k = schema_key(reference)?;
                    current = &self.schemas.get(&k)?.schema;
                    key = Some(k);
                }
            }
        }
        None
    }

    /// The tag property and, per branch, the values that select it.
    fn union_tag(
        &self,
        schema: &Schema,
        branches: &[ReferenceOr<Schema>],
    ) -> Option<(String, Vec<Vec<String>>)> {
        let resolved: Vec<(&Schema, Option<String>)> = branches
            .iter()
            .map(|b| self.resolve_branch(b))
            .collect::<Option<_>>()?;
        if let Some(discriminator) = &schema.schema_data.discriminator {
            let property = discriminator.property_name.clone();
            let values = resolved
                .iter()
                .map(|(branch, key)| {
                    let short = key.as_deref().map(short_schema_name);
                    let mapped: Vec<String> = discriminator
                        .mapping
                        .iter()
                        .filter(|(_, target)| {
                            short.as_deref() == Some(short_schema_name(target).as_str())
                        })
                        .map(|(value, _)| value.clone())
                        .collect();
                    if !mapped.is_empty() {
                        mapped
                    } else if let Some(value) = constant(branch, &property) {
                        vec![value]
                    } else {
                        short.into_iter().collect()
                    }
                })
                .collect();
            return Some((property, values));
        }
        // No discriminator: a property every branch requires, with one distinct value each.
        let (first, _) = resolved.first()?;
        let required = object_required(first)?;
        required.iter().find_map(|property| {
            let values: Vec<String> = resolved
                .iter()
                .map(|(branch, _)| {
                    object_required(branch)?
                        .contains(property)
                        .then(|| constant(branch, property))?
                })
                .collect::<Option<_>>()?;
            let distinct: BTreeSet<&String> = values.iter().collect();
            (distinct.len() == values.len() && values.len() > 1).then(|| {
                (
                    property.clone(),
                    values.into_iter().map(|v| vec![v]).collect(),
                )
            })
        })
    }

    /// A variant name from a lowered type: what it is, or its own (suggested) name
    /// without the union's name in front.
    fn type_variant_name(&self, ty: &TypeRef, union: &str) -> String {
        match ty {
            TypeRef::String { .. } => "String".into(),
            TypeRef::Integer { .. } => "Integer".into(),
            TypeRef::Number { .. } => "Number".into(),
            TypeRef::Boolean => "Boolean".into(),
            TypeRef::Bytes => "Bytes".into(),
            TypeRef::Blob => "Blob".into(),
            TypeRef::Array(_) => "List".into(),
            TypeRef::Tuple(_) => "Tuple".into(),
            TypeRef::Map { .. } | TypeRef::Object => "Object".into(),
            TypeRef::Any => "Value".into(),
            TypeRef::Boxed(inner) | TypeRef::Nullable(inner) => {
                self.type_variant_name(inner, union)
            }
            // `::my_types::UserId` is `UserId`.
            TypeRef::External(path) => {
                let last = path.rsplit("::").next().unwrap_or(path);
                pascal_case(last.split('<').next().unwrap_or(last))
            }
            TypeRef::Named(id) => {
                let name = self.table.name(*id).unwrap_or("Value");
                name.strip_prefix(union)
                    .filter(|rest| !rest.is_empty())
                    .unwrap_or(name)
                    .to_owned()
            }
        }
    }
}

/// The single constant value of a string property of an object schema.
fn constant(schema: &Schema, property: &str) -> Option<String> {
    let properties = object_properties(schema)?;
    let ReferenceOr::Item(property) = properties.get(property)? else {
        return None;
    };
    match &property.schema_kind {
        SchemaKind::Type(Type::String(s)) if s.enumeration.len() == 1 => s.enumeration[0].clone(),
        _ => None,
    }
}

/// The name a schema goes by in a discriminator mapping: the last segment of its pointer,
/// or its file's stem (`#/components/schemas/Cat`, `Cat`, `./cat.yaml` → `Cat`, `cat`).
fn short_schema_name(reference: &str) -> String {
    let (file, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    match pointer::tokens(fragment).and_then(|mut t| t.pop()) {
        Some(last) => last,
        None => {
            let stem = file.rsplit('/').next().unwrap_or(file);
            stem.split('.').next().unwrap_or(stem).to_owned()
        }
    }
}

/// A variant name for an inline branch, from what it is.
fn branch_kind_name(schema: Option<&Schema>) -> String {
    let Some(schema) = schema else {
        return "Value".into();
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(_)) => "String",
        SchemaKind::Type(Type::Integer(_)) => "Integer",
        SchemaKind::Type(Type::Number(_)) => "Number",
        SchemaKind::Type(Type::Boolean(_)) => "Boolean",
        SchemaKind::Type(Type::Array(_)) => "List",
        _ => "Object",
    }
    .into()
}
