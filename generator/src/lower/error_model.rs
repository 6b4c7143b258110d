//! The error body every operation shares: the configured schema, checked for what the
//! error's constructors fill in, or a generic code-and-message type when none is named.

use super::Lowerer;
use super::case::{snake_case, variant_names};
use crate::config::{Config, ErrorsConfig};
use crate::error::{Error, Location, Result};
use crate::ir::{ErrorCode, ErrorModel, Field, TypeId, TypeKind, TypeRef};
use crate::upgrade::Upgraded;

impl Lowerer<'_> {
    /// The shared error's type: the configured schema, or one defined here.
    pub(super) fn error_type(&mut self, upgraded: &Upgraded, at: &Location) -> Result<TypeId> {
        let errors = &self.config.errors;
        let ty = match errors.schema_key() {
            Some(key) => {
                let ty = self.named(&key, at)?;
                let location = upgraded
                    .schemas
                    .get(&key)
                    .map_or(at.clone(), |s| s.location.clone());
                self.check_error_schema(&ty, errors, location)?;
                ty
            }
            None => self.define_default_error(at),
        };
        match ty {
            TypeRef::Named(id) => Ok(id),
            _ => Err(Error::invalid(
                at.clone(),
                "the configured error schema must be an object with properties",
            )),
        }
    }

    /// The shared error when the config names no schema for it: a code and a message.
    fn define_default_error(&mut self, at: &Location) -> TypeRef {
        let errors = &self.config.errors;
        let field = |name: &str, required: bool, description: &str| Field {
            name: name.to_owned(),
            ident: snake_case(name),
            default_fn: String::new(),
            description: Some(description.to_owned()),
            ty: TypeRef::String {
                format: None,
                secret: false,
            },
            required,
            nullable: false,
            default: None,
        };
        let fields = vec![
            field(
                &errors.code_property,
                true,
                "A machine-readable error code.",
            ),
            field(
                &errors.message_property,
                false,
                "A human-readable error message.",
            ),
        ];
        let description =
            Some("An error: a machine-readable code and a human-readable message.".to_owned());
        let kind = TypeKind::Struct {
            fields,
            additional: None,
            additional_field: String::new(),
        };
        self.add_type(&body_name(errors), description, at, kind, None)
    }

    /// The shared error must have what its constructors fill in: a required string code
    /// and a string message, and no other required property.
    fn check_error_schema(
        &self,
        ty: &TypeRef,
        errors: &ErrorsConfig,
        location: Location,
    ) -> Result<()> {
        let fields = self.defined(ty).and_then(|def| match &def.kind {
            TypeKind::Struct { fields, .. } => Some(fields),
            _ => None,
        });
        let Some(fields) = fields else {
            return Err(Error::invalid(
                location,
                "the configured error schema must be an object with properties",
            ));
        };
        let string = |f: &Field| matches!(f.ty, TypeRef::String { .. });
        if !fields
            .iter()
            .any(|f| f.name == errors.code_property && f.required && string(f))
        {
            return Err(Error::invalid(
                location,
                format!(
                    "the configured error schema needs a required string `{}` property",
                    errors.code_property
                ),
            ));
        }
        if !fields
            .iter()
            .any(|f| f.name == errors.message_property && string(f))
        {
            return Err(Error::invalid(
                location,
                format!(
                    "the configured error schema needs a string `{}` property",
                    errors.message_property
                ),
            ));
        }
        if let Some(extra) = fields.iter().find(|f| {
            f.required && f.name != errors.code_property && f.name != errors.message_property
        }) {
            return Err(Error::invalid(
                location,
                format!(
                    "the configured error schema requires `{}`, which its constructors cannot fill",
                    extra.name
                ),
            ));
        }
        Ok(())
    }
}

/// The suggested name of the error's body: the configured name is the error itself, the
/// status with the body.
pub(super) fn body_name(errors: &ErrorsConfig) -> String {
    format!("{}Body", errors.type_name)
}

/// The error model: the type, and the configured codes with their variant names.
pub(super) fn model(config: &Config, type_id: TypeId) -> ErrorModel {
    let errors = &config.errors;
    let codes: Vec<String> = errors.codes.keys().cloned().collect();
    let codes = codes
        .iter()
        .zip(variant_names(&codes))
        .map(|(code, name)| ErrorCode {
            description: errors.codes[code].clone(),
            code: code.clone(),
            name,
        })
        .collect();
    ErrorModel::from_config(errors, type_id, codes)
}
