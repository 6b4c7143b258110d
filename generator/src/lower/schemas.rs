//! Schemas become type uses ([`TypeRef`]) and, where they need a name (objects with
//! properties, enums, unions, schemas of their own file or definition), named types.
//! Names suggested here come from config, then `title`, then the place the schema is found
//! (`LoginBody`, `LoginOkBody`, `LoginBodyType`); the naming pass makes them final.

use openapiv3::{ObjectType, ReferenceOr, Schema, SchemaKind, Type};

use super::case::{pascal_case, variant_names};
use super::{Lowerer, error_model};
use crate::config::EnumPolicy;
use crate::error::{Error, Location, Result};
use crate::ir::{EnumVariant, TypeKind, TypeRef, Warning};
use crate::pointer;
use crate::resolve::schema_key;

impl Lowerer<'_> {
    /// The type of a schema use; `hint` names it when it needs a name and has no title.
    pub(super) fn lower(
        &mut self,
        schema: &ReferenceOr<Schema>,
        hint: &str,
        at: &Location,
    ) -> Result<TypeRef> {
        match schema {
            ReferenceOr::Reference { reference } => {
                let key = schema_key(reference).ok_or_else(|| {
                    Error::invalid(at.clone(), format!("unresolved reference {reference}"))
                })?;
                self.named(&key, at)
            }
            ReferenceOr::Item(schema) => self.lower_item(schema, hint, at),
        }
    }

    pub(super) fn lower_boxed(
        &mut self,
        schema: &ReferenceOr<Box<Schema>>,
        hint: &str,
        at: &Location,
    ) -> Result<TypeRef> {
        match schema {
            ReferenceOr::Reference { reference } => self.lower(
                &ReferenceOr::Reference {
                    reference: reference.clone(),
                },
                hint,
                at,
            ),
            ReferenceOr::Item(schema) => self.lower_item(schema, hint, at),
        }
    }

    /// The type of a schema from the schema table: always a named type, so that a file or
    /// definition of its own stays visible by name in the generated code.
    pub(super) fn named(&mut self, key: &str, at: &Location) -> Result<TypeRef> {
        if let Some(rust_type) = self.config.replace.schemas.get(key) {
            return Ok(TypeRef::External(rust_type.clone()));
        }
        if let Some(ty) = self.by_key.get(key) {
            return Ok(ty.clone());
        }
        let entry = self.schemas.get(key).ok_or_else(|| {
            Error::invalid(
                at.clone(),
                format!("schema `{key}` is not in the schema table"),
            )
        })?;
        let name = match &entry.schema {
            ReferenceOr::Item(schema) => self.name_for_key(key, schema),
            ReferenceOr::Reference { .. } => String::new(),
        };
        if let Some(reserved) = self.in_progress.get(key) {
            // Recursion: the schema is being defined further up; refer to it by an id that
            // will be forwarded to it once it is done.
            let id = match reserved {
                Some(id) => *id,
                None => {
                    let id = self.table.reserve(&name);
                    self.in_progress.insert(key.to_owned(), Some(id));
                    id
                }
            };
            return Ok(TypeRef::Named(id));
        }
        // An alias of another table entry is that entry.
        let schema = match &entry.schema {
            ReferenceOr::Reference { reference } => {
                let target = schema_key(reference).ok_or_else(|| {
                    Error::invalid(
                        entry.location.clone(),
                        format!("unresolved reference {reference}"),
                    )
                })?;
                let ty = self.named(&target, &entry.location)?;
                self.by_key.insert(key.to_owned(), ty.clone());
                return Ok(ty);
            }
            ReferenceOr::Item(schema) => schema,
        };
        self.in_progress.insert(key.to_owned(), None);
        let lowered = self.define(schema, &name, &entry.location, Some(key));
        let reserved = self.in_progress.remove(key).flatten();
        let ty = lowered?;
        if let (Some(reserved), TypeRef::Named(id)) = (reserved, &ty) {
            self.table.forward(reserved, *id);
        }
        self.by_key.insert(key.to_owned(), ty.clone());
        Ok(ty)
    }

    /// The suggested name of a schema of the table: config, then the error's configured
    /// name, then `title`, then the last token of its pointer or its file's stem.
    fn name_for_key(&self, key: &str, schema: &Schema) -> String {
        if let Some(name) = self.config.type_names.get(key) {
            return name.clone();
        }
        if self.config.errors.schema_key().as_deref() == Some(key) {
            return error_model::body_name(&self.config.errors);
        }
        if let Some(title) = &schema.schema_data.title {
            return pascal_case(title);
        }
        let (file, fragment) = key.split_once('#').unwrap_or((key, ""));
        let last_token = pointer::tokens(fragment).and_then(|mut t| t.pop());
        let stem = file
            .rsplit('/')
            .next()
            .unwrap_or(file)
            .trim_end_matches(".yaml")
            .trim_end_matches(".yml")
            .trim_end_matches(".json");
        pascal_case(last_token.as_deref().unwrap_or(stem))
    }

    fn lower_item(&mut self, schema: &Schema, hint: &str, at: &Location) -> Result<TypeRef> {
        let configured = self
            .config
            .type_names
            .get(&format!("{}#{}", at.file, at.pointer));
        let name = configured
            .cloned()
            .or_else(|| schema.schema_data.title.as_deref().map(pascal_case));
        self.define(schema, name.as_deref().unwrap_or(hint), at, None)
    }

    /// Lowers a schema; objects with properties, enums and unions become named types
    /// called `name`. `own` is the table key when this is that schema's own definition:
    /// then every other shape becomes a named alias too.
    // Long because it is one match over every shape a schema can have, each arm short.
    pub(super) fn define(
        &mut self,
        schema: &Schema,
        name: &str,
        at: &Location,
        own: Option<&str>,
    ) -> Result<TypeRef> {
        let description = schema.schema_data.description.clone();
        let extras = crate::upgrade::extras::of(schema, at)?;
        let ty = match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                let values: Vec<String> = string.enumeration.iter().flatten().cloned().collect();
                let variants = values
                    .iter()
                    .zip(variant_names(&values))
                    .map(|(value, name)| EnumVariant {
                        value: value.clone(),
                        name,
                    })
                    .collect();
                self.add_enum(name, description.clone(), at, variants, false, own)
            }
            SchemaKind::Type(Type::Integer(integer)) if !integer.enumeration.is_empty() => {
                let variants = integer
                    .enumeration
                    .iter()
                    .flatten()
                    .map(|value| EnumVariant {
                        value: value.to_string(),
                        name: if *value < 0 {
                            format!("Minus{}", value.unsigned_abs())
                        } else {
                            format!("V{value}")
                        },
                    })
                    .collect();
                self.add_enum(name, description.clone(), at, variants, true, own)
            }
            SchemaKind::Type(Type::String(string)) => self.string(format_name(&string.format), at),
            SchemaKind::Type(Type::Integer(integer)) => TypeRef::Integer {
                format: format_name(&integer.format),
            },
            SchemaKind::Type(Type::Number(number)) => TypeRef::Number {
                format: format_name(&number.format),
            },
            SchemaKind::Type(Type::Boolean(_)) => TypeRef::Boolean,
            SchemaKind::Type(Type::Array(array)) if extras.prefix_items.is_some() => {
                let items = extras.prefix_items.as_deref().unwrap_or_default();
                self.tuple(items, array.items.is_some(), name, at)?
            }
            SchemaKind::Type(Type::Array(array)) => {
                let item = match &array.items {
                    Some(items) => {
                        let item =
                            self.lower_boxed(items, &format!("{name}Item"), &at.child("items"))?;
                        nullable_where(items, item)
                    }
                    None => TypeRef::Any,
                };
                TypeRef::Array(Box::new(item))
            }
            SchemaKind::Type(Type::Object(object)) => {
                self.object(object, name, description.clone(), at, own)?
            }
            SchemaKind::AllOf { all_of } => {
                self.all_of(all_of, name, description.clone(), at, own)?
            }
            SchemaKind::Any(any)
                if !any.properties.is_empty() || any.additional_properties.is_some() =>
            {
                let object = ObjectType {
                    properties: any.properties.clone(),
                    required: any.required.clone(),
                    additional_properties: any.additional_properties.clone(),
                    min_properties: None,
                    max_properties: None,
                };
                self.object(&object, name, description.clone(), at, own)?
            }
            SchemaKind::Any(_) => TypeRef::Any,
            SchemaKind::OneOf { one_of } => {
                self.union(schema, one_of, name, at.child("oneOf"), own)?
            }
            SchemaKind::AnyOf { any_of } => {
                self.union(schema, any_of, name, at.child("anyOf"), own)?
            }
            SchemaKind::Not { .. } => {
                self.warnings.push(Warning {
                    location: at.child("not"),
                    message: "`not` cannot be said by a Rust type: rendered as any JSON value"
                        .into(),
                });
                TypeRef::Any
            }
        };
        self.warn_unsupported(&extras.unsupported, at);
        if let Some(example) = &schema.schema_data.example {
            let own = ReferenceOr::Item(schema.clone());
            self.example(&ty, Some(&own), example, at.child("example"));
        }
        if own.is_some() && !matches!(ty, TypeRef::Named(_)) {
            return Ok(self.add_type(name, description, at, TypeKind::Alias { target: ty }, own));
        }
        Ok(ty)
    }

    /// The keywords the upgrade stage found that no Rust type can say: one warning.
    fn warn_unsupported(&mut self, unsupported: &[String], at: &Location) {
        if unsupported.is_empty() {
            return;
        }
        let keywords: Vec<String> = unsupported.iter().map(|k| format!("`{k}`")).collect();
        self.warnings.push(Warning {
            location: at.clone(),
            message: format!(
                "{} cannot be said by a Rust type: ignored, the value is not checked against it",
                keywords.join(", ")
            ),
        });
    }

    /// A tuple (`prefixItems`), each item its own type; `more` when items past them are
    /// allowed, which a tuple cannot say.
    fn tuple(
        &mut self,
        items: &[ReferenceOr<Schema>],
        more: bool,
        name: &str,
        at: &Location,
    ) -> Result<TypeRef> {
        if more {
            self.warnings.push(Warning {
                location: at.child("items"),
                message: "items past `prefixItems` cannot be typed in a Rust tuple: ignored".into(),
            });
        }
        let mut types = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let hint = format!("{name}{}", ordinal_name(i));
            types.push(self.lower(item, &hint, &at.child("prefixItems").child(&i.to_string()))?);
        }
        Ok(TypeRef::Tuple(types))
    }

    /// An enum, open or closed as the config says.
    fn add_enum(
        &mut self,
        name: &str,
        description: Option<String>,
        at: &Location,
        variants: Vec<EnumVariant>,
        integer: bool,
        own: Option<&str>,
    ) -> TypeRef {
        let kind = TypeKind::Enum {
            variants,
            open: self.config.enums == EnumPolicy::Open,
            fallback: String::new(),
            integer,
        };
        self.add_type(name, description, at, kind, own)
    }
}

impl Lowerer<'_> {
    /// A string of `format`: the user's own type where `[replace]` names one, the format's
    /// newtype where `[formats]` declares one (a type of the table, shared by every use),
    /// else a string, secret where `[secrets]` says the format is.
    pub(super) fn string(&mut self, format: Option<String>, at: &Location) -> TypeRef {
        let Some(format) = format else {
            return TypeRef::String {
                format: None,
                secret: false,
            };
        };
        if let Some(rust_type) = self.config.replace.formats.get(&format) {
            return TypeRef::External(rust_type.clone());
        }
        if let Some(declared) = self.config.formats.get(&format) {
            let kind = TypeKind::Validated {
                format: format.clone(),
                pattern: declared.pattern.clone(),
                max_bytes: declared.max_bytes,
                example: declared.example.clone(),
            };
            let description = Some(declared.description.clone());
            return self.add_type(&declared.type_name, description, at, kind, None);
        }
        let secret = self.config.secrets.formats.contains(&format);
        TypeRef::String {
            format: Some(format),
            secret,
        }
    }

    /// `ty`, made secret when it is a string and `name` (a property's or parameter's, on
    /// the wire) is one the config's `[secrets]` lists.
    pub(super) fn secret_if_named(&self, name: &str, ty: TypeRef) -> TypeRef {
        match ty {
            TypeRef::String { format, .. }
                if self.config.secrets.properties.iter().any(|p| p == name) =>
            {
                TypeRef::String {
                    format,
                    secret: true,
                }
            }
            other => other,
        }
    }
}

fn format_name<T: serde::Serialize>(
    format: &openapiv3::VariantOrUnknownOrEmpty<T>,
) -> Option<String> {
    match format {
        openapiv3::VariantOrUnknownOrEmpty::Item(item) => serde_json::to_value(item)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned)),
        openapiv3::VariantOrUnknownOrEmpty::Unknown(unknown) => Some(unknown.clone()),
        openapiv3::VariantOrUnknownOrEmpty::Empty => None,
    }
}

fn ordinal_name(index: usize) -> &'static str {
    const NAMES: [&str; 10] = [
        "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth",
        "Tenth",
    ];
    NAMES.get(index).copied().unwrap_or("Item")
}

/// `ty`, or `Option<ty>` where its schema also allows `null` (a field says so with its own
/// `Option`, so this is for array items and map values). `Any` holds `null` already.
pub(super) fn nullable_where<S: std::borrow::Borrow<Schema>>(
    schema: &ReferenceOr<S>,
    ty: TypeRef,
) -> TypeRef {
    match schema {
        ReferenceOr::Item(schema) if schema.borrow().schema_data.nullable && ty != TypeRef::Any => {
            TypeRef::Nullable(Box::new(ty))
        }
        _ => ty,
    }
}

#[cfg(test)]
mod tests {
    use crate::ir::{TypeKind, TypeRef};
    use crate::testing::ir_of;

    const SPEC: &str = r#"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /users/{userId}:
    post:
      operationId: update
      parameters:
        - {in: path, name: userId, required: true, schema: {type: string, format: x-user}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                owner: {type: string, format: x-user}
                pass: {type: string, format: password}
                token: {type: string}
                note: {type: string}
                members:
                  type: object
                  patternProperties:
                    "^@": {type: integer, x-pattern-format: x-user}
      responses:
        "204": {description: ok}
"#;

    const CONFIG: &str = "[formats.x-user]\ntype = 'Owner'\ndescription = 'A user.'\npattern = '^@.+$'\nmax_bytes = 20\nexample = '@a'\n[secrets]\nproperties = ['token']\n";

    /// A declared format is one named type for every use (path, property, map key); a
    /// `password` string and a property `[secrets]` names are secret; others stay strings.
    #[test]
    fn formats_become_one_type_and_secrets_are_marked() {
        let ir = ir_of(SPEC, CONFIG);
        let owners: Vec<usize> = (0..ir.types.len())
            .filter(|i| matches!(ir.types[*i].kind, TypeKind::Validated { .. }))
            .collect();
        assert_eq!(owners.len(), 1);
        let owner = crate::ir::TypeId(owners[0]);
        assert_eq!(ir.types[owner.0].name, "Owner");
        let op = &ir.apis[0].operations[0];
        assert_eq!(op.parameters[0].ty, TypeRef::Named(owner));
        let body = op.body.as_ref().unwrap().ty.named_id().unwrap();
        let TypeKind::Struct { fields, .. } = &ir.types[body.0].kind else {
            panic!("a struct body");
        };
        let field = |name: &str| &fields.iter().find(|f| f.name == name).unwrap().ty;
        assert_eq!(field("owner"), &TypeRef::Named(owner));
        let secret = |format: Option<&str>| TypeRef::String {
            format: format.map(str::to_owned),
            secret: true,
        };
        assert_eq!(field("pass"), &secret(Some("password")));
        assert_eq!(field("token"), &secret(None));
        assert!(matches!(
            field("note"),
            TypeRef::String { secret: false, .. }
        ));
        assert!(
            matches!(field("members"), TypeRef::Map { key: Some(key), .. } if *key == owner),
            "{:?}",
            field("members")
        );
    }

    /// Without `[formats]`, the format is a plain string and map keys are strings.
    #[test]
    fn undeclared_formats_stay_strings() {
        let ir = ir_of(SPEC, "");
        assert!(
            ir.types
                .iter()
                .all(|def| !matches!(def.kind, TypeKind::Validated { .. }))
        );
        let op = &ir.apis[0].operations[0];
        assert!(matches!(
            op.parameters[0].ty,
            TypeRef::String { secret: false, .. }
        ));
    }
}
