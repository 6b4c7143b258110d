//! Objects: structs from `properties` (with a map for `additionalProperties`), maps from
//! `additionalProperties` alone, and `allOf`, whose parts merge into one struct.

use indexmap::IndexMap;
use openapiv3::{AdditionalProperties, ObjectType, ReferenceOr, Schema, SchemaKind, Type};

use super::Lowerer;
use super::case::{pascal_case, snake_case};
use crate::error::{Error, Location, Result};
use crate::ir::{Field, TypeId, TypeKind, TypeRef};
use crate::resolve::schema_key;

impl Lowerer<'_> {
    pub(super) fn object(
        &mut self,
        object: &ObjectType,
        name: &str,
        description: Option<String>,
        at: &Location,
        own: Option<&str>,
    ) -> Result<TypeRef> {
        let additional = match &object.additional_properties {
            None | Some(AdditionalProperties::Any(false)) => None,
            Some(AdditionalProperties::Any(true)) => Some(TypeRef::Any),
            Some(AdditionalProperties::Schema(schema)) => {
                let value = self.lower(
                    schema,
                    &format!("{name}Value"),
                    &at.child("additionalProperties"),
                )?;
                Some(super::schemas::nullable_where(schema, value))
            }
        };
        if object.properties.is_empty() {
            return Ok(match additional {
                Some(value) => TypeRef::Map {
                    key: self.key_type(object, at),
                    value: Box::new(value),
                },
                None => TypeRef::Object,
            });
        }
        let fields = self.fields(&object.properties, &object.required, name, at)?;
        let kind = TypeKind::Struct {
            fields,
            additional,
            additional_field: String::new(),
        };
        Ok(self.add_type(name, description, at, kind, own))
    }

    /// The type of a map's keys, where the spec gives their format (`x-pattern-format` of
    /// `patternProperties`, which the upgrade moved onto the map's values) and the config a
    /// type to that format; `None` for string keys.
    fn key_type(&mut self, object: &ObjectType, at: &Location) -> Option<TypeId> {
        let Some(AdditionalProperties::Schema(schema)) = &object.additional_properties else {
            return None;
        };
        let ReferenceOr::Item(values) = schema.as_ref() else {
            return None;
        };
        let format = values
            .schema_data
            .extensions
            .get("x-pattern-format")?
            .as_str()?;
        match self.string(Some(format.to_owned()), at) {
            TypeRef::Named(id) => Some(id),
            _ => None,
        }
    }

    fn fields(
        &mut self,
        properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        parent: &str,
        at: &Location,
    ) -> Result<Vec<Field>> {
        let mut fields = Vec::new();
        for (property, schema) in properties {
            let field_at = at.child("properties").child(property);
            let ty = self.lower_boxed(
                schema,
                &format!("{parent}{}", pascal_case(property)),
                &field_at,
            )?;
            let ty = self.secret_if_named(property, ty);
            let (description, default, nullable) = match schema {
                ReferenceOr::Item(schema) => (
                    schema.schema_data.description.clone(),
                    schema.schema_data.default.clone(),
                    schema.schema_data.nullable,
                ),
                ReferenceOr::Reference { .. } => (None, None, false),
            };
            fields.push(Field {
                name: property.clone(),
                ident: snake_case(property),
                default_fn: String::new(),
                description,
                ty,
                required: required.contains(property),
                nullable,
                default,
            });
        }
        Ok(fields)
    }

    /// `allOf`: a single reference (with documentation beside it) is that type; otherwise
    /// the parts' properties merge into one struct.
    pub(super) fn all_of(
        &mut self,
        parts: &[ReferenceOr<Schema>],
        name: &str,
        description: Option<String>,
        at: &Location,
        own: Option<&str>,
    ) -> Result<TypeRef> {
        let references: Vec<&ReferenceOr<Schema>> = parts
            .iter()
            .filter(|p| matches!(p, ReferenceOr::Reference { .. }))
            .collect();
        let adds_nothing = |part: &ReferenceOr<Schema>| match part {
            ReferenceOr::Reference { .. } => true,
            ReferenceOr::Item(schema) => object_properties(schema)
                .is_some_and(|p| p.is_empty() && object_additional(schema).is_none()),
        };
        if references.len() == 1 && parts.iter().all(adds_nothing) {
            return self.lower(references[0], name, &at.child("allOf").child("0"));
        }
        let mut merged = ObjectType::default();
        for (i, part) in parts.iter().enumerate() {
            self.collect_object(
                part,
                &mut merged,
                &at.child("allOf").child(&i.to_string()),
                0,
            )?;
        }
        self.object(&merged, name, description, at, own)
    }

    fn collect_object(
        &self,
        part: &ReferenceOr<Schema>,
        into: &mut ObjectType,
        at: &Location,
        depth: usize,
    ) -> Result<()> {
        if depth > 32 {
            return Err(Error::invalid(
                at.clone(),
                "allOf nests too deeply (a cycle?)",
            ));
        }
        let schema = match part {
            ReferenceOr::Reference { reference } => {
                let key = schema_key(reference).ok_or_else(|| {
                    Error::invalid(at.clone(), format!("unresolved reference {reference}"))
                })?;
                let entry = self.schemas.get(&key).ok_or_else(|| {
                    Error::invalid(
                        at.clone(),
                        format!("schema `{key}` is not in the schema table"),
                    )
                })?;
                return self.collect_object(&entry.schema, into, &entry.location, depth + 1);
            }
            ReferenceOr::Item(schema) => schema,
        };
        if let SchemaKind::AllOf { all_of } = &schema.schema_kind {
            for (i, inner) in all_of.iter().enumerate() {
                self.collect_object(
                    inner,
                    into,
                    &at.child("allOf").child(&i.to_string()),
                    depth + 1,
                )?;
            }
            return Ok(());
        }
        let (Some(properties), Some(required)) =
            (object_properties(schema), object_required(schema))
        else {
            return Err(Error::invalid(
                at.clone(),
                "allOf parts must be objects to be merged into one type",
            ));
        };
        for (name, schema) in properties {
            let merged = match into.properties.get(name) {
                Some(earlier) => self.merge_property(earlier, schema),
                None => schema.clone(),
            };
            into.properties.insert(name.clone(), merged);
        }
        for name in required {
            if !into.required.contains(name) {
                into.required.push(name.clone());
            }
        }
        if let Some(additional) = object_additional(schema) {
            into.additional_properties = Some(additional.clone());
        }
        Ok(())
    }
}

impl Lowerer<'_> {
    /// One property that several `allOf` parts define: a value must fit both schemas
    /// (typify's `merge.rs` does the same). Objects merge, property by property, as an
    /// `allOf` of the two, which lowers into one struct (and merges further down the same
    /// way); for anything else the earlier schema stands, with the later one's description
    /// where it had none (a part that repeats a scalar property documents it again).
    fn merge_property(
        &self,
        earlier: &ReferenceOr<Box<Schema>>,
        later: &ReferenceOr<Box<Schema>>,
    ) -> ReferenceOr<Box<Schema>> {
        if earlier == later {
            return earlier.clone();
        }
        let (first, second) = (unbox(earlier), unbox(later));
        let is_object = |part: &ReferenceOr<Schema>| {
            self.resolved(part).is_some_and(|schema| {
                object_properties(schema).is_some()
                    || matches!(schema.schema_kind, SchemaKind::AllOf { .. })
            })
        };
        if is_object(&first) && is_object(&second) {
            let description = [&second, &first]
                .into_iter()
                .find_map(|part| self.resolved(part)?.schema_data.description.clone());
            return ReferenceOr::Item(Box::new(Schema {
                schema_data: openapiv3::SchemaData {
                    description,
                    ..Default::default()
                },
                schema_kind: SchemaKind::AllOf {
                    all_of: vec![first, second],
                },
            }));
        }
        match (earlier, self.resolved(&second)) {
            (ReferenceOr::Item(schema), Some(documented))
                if schema.schema_data.description.is_none() =>
            {
                let mut schema = schema.clone();
                schema.schema_data.description = documented.schema_data.description.clone();
                ReferenceOr::Item(schema)
            }
            _ => earlier.clone(),
        }
    }

    /// The schema a part is, following a reference through the schema table.
    fn resolved<'s>(&'s self, part: &'s ReferenceOr<Schema>) -> Option<&'s Schema> {
        match part {
            ReferenceOr::Item(schema) => Some(schema),
            ReferenceOr::Reference { reference } => {
                match &self.schemas.get(&schema_key(reference)?)?.schema {
                    ReferenceOr::Item(schema) => Some(schema),
                    ReferenceOr::Reference { .. } => None,
                }
            }
        }
    }
}

fn unbox(schema: &ReferenceOr<Box<Schema>>) -> ReferenceOr<Schema> {
    match schema {
        ReferenceOr::Item(schema) => ReferenceOr::Item(schema.as_ref().clone()),
        ReferenceOr::Reference { reference } => ReferenceOr::Reference {
            reference: reference.clone(),
        },
    }
}

/// The properties of an object schema.
pub(super) fn object_properties(
    schema: &Schema,
) -> Option<&IndexMap<String, ReferenceOr<Box<Schema>>>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some(&object.properties),
        SchemaKind::Any(any) => Some(&any.properties),
        _ => None,
    }
}

pub(super) fn object_required(schema: &Schema) -> Option<&Vec<String>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some(&object.required),
        SchemaKind::Any(any) => Some(&any.required),
        _ => None,
    }
}

fn object_additional(schema: &Schema) -> Option<&AdditionalProperties> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => object.additional_properties.as_ref(),
        SchemaKind::Any(any) => any.additional_properties.as_ref(),
        _ => None,
    }
}
