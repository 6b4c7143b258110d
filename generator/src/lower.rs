//! Stage 4, lower: OpenAPI documents become the IR.
//!
//! Operations are gathered per configured API; schemas become type uses (`TypeRef`) and,
//! where they need a name (objects with properties, string enums, schemas of their own
//! file or definition), named types. Names come from config, then `title`, then the place
//! the schema is found (`LoginBody`, `LoginOkBody`, `LoginBodyType`); schemas that lower to
//! the same definition are one type, however many files they are reached through.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, ArrayType, ObjectType, OpenAPI, ReferenceOr, Schema, SchemaKind, Type,
};
use serde_json::Value;

use crate::config::{Config, EnumPolicy};
use crate::error::{Error, Location, Result};
use crate::ir::{
    Api, Encoding, EnumVariant, ErrorCode, ErrorModel, Example, Field, Ir, MediaVariant, Operation,
    ParamLocation, Parameter, RequestBody, Response, Security, SecurityScheme, SecuritySchemeKind,
    Status, TypeDef, TypeKind, TypeRef, UnionVariant, Warning,
};
use crate::naming::{pascal_case, snake_case, status_name, variant_names};
use crate::pointer;
use crate::resolve::schema_key;
use crate::upgrade::{PREFIX_ITEMS, UNSUPPORTED, Upgraded, UpgradedSchema};

/// Lowers the upgraded specs into the IR, as `config` arranges them into APIs.
pub fn lower(upgraded: &Upgraded, config: &Config, sources: Vec<String>) -> Result<Ir> {
    let mut lowerer = Lowerer {
        schemas: &upgraded.schemas,
        config,
        types: Vec::new(),
        by_key: HashMap::new(),
        in_progress: HashMap::new(),
        examples: Vec::new(),
        warnings: upgraded.warnings.clone(),
    };
    let errors = &config.errors;
    let error_location = Location::new(config.path.clone(), "/errors");
    match errors.schema_key() {
        Some(key) => {
            let ty = lowerer.named(&key, &error_location)?;
            let location = upgraded
                .schemas
                .get(&key)
                .map_or(error_location.clone(), |s| s.location.clone());
            check_error_schema(&lowerer.types, &ty, errors, location)?;
        }
        None => lowerer.define_default_error(&error_location)?,
    }
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
    let error = ErrorModel::from_config(errors, codes);
    let error_type = TypeRef::Named(error.type_name.clone());

    let mut apis = Vec::new();
    for api_config in &config.apis {
        let mut api = Api {
            name: api_config.name.clone(),
            title: api_config.title.clone(),
            sources: api_config.specs.clone(),
            security_schemes: Vec::new(),
            operations: Vec::new(),
        };
        let mut first_use: BTreeMap<String, Location> = BTreeMap::new();
        let mut routes: BTreeMap<(String, String), Location> = BTreeMap::new();
        for file in &api_config.specs {
            let file = crate::load::normalise(file);
            let spec = upgraded
                .specs
                .iter()
                .find(|s| s.file == file)
                .ok_or_else(|| {
                    Error::invalid(Location::new(file.clone(), ""), "spec not loaded")
                })?;
            lowerer.security_schemes(&file, &spec.openapi, &mut api.security_schemes)?;
            for operation in lowerer.operations(&file, &spec.openapi, api_config, &error_type)? {
                if let Some(first) = first_use.get(&operation.name) {
                    return Err(Error::DuplicateOperation {
                        location: operation.source.clone(),
                        name: operation.name.clone(),
                        first: Box::new(first.clone()),
                    });
                }
                for path in &operation.full_paths {
                    let route = (operation.method.clone(), path.clone());
                    if let Some(first) = routes.get(&route) {
                        return Err(Error::invalid(
                            operation.source.clone(),
                            format!("{} {path} is already defined at {first}", operation.method),
                        ));
                    }
                    routes.insert(route, operation.source.clone());
                }
                first_use.insert(operation.name.clone(), operation.source.clone());
                api.operations.push(operation);
            }
        }
        apis.push(api);
    }
    Ok(Ir {
        package: config.package.name.clone(),
        description: config.package.description.clone(),
        config_path: config.path.clone(),
        sources,
        apis,
        types: lowerer.types,
        error,
        router: config.router.clone(),
        examples: lowerer.examples,
        warnings: lowerer.warnings,
    })
}

struct Lowerer<'a> {
    schemas: &'a BTreeMap<String, UpgradedSchema>,
    config: &'a Config,
    types: Vec<TypeDef>,
    /// Schema table key → the type it lowered to.
    by_key: HashMap<String, TypeRef>,
    /// Named schemas being lowered → whether something referred back to them meanwhile
    /// (recursion), which rules out merging them with an identical earlier type.
    in_progress: HashMap<String, bool>,
    examples: Vec<Example>,
    warnings: Vec<Warning>,
}

const METHODS: [&str; 8] = [
    "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE",
];

impl Lowerer<'_> {
    /// Adds the schemes a spec defines. The files of one API often each define the same
    /// scheme: one definition, documented where any file documents it; the same name for
    /// two different schemes is an error.
    fn security_schemes(
        &self,
        file: &str,
        openapi: &OpenAPI,
        out: &mut Vec<SecurityScheme>,
    ) -> Result<()> {
        let Some(components) = &openapi.components else {
            return Ok(());
        };
        for (name, scheme) in &components.security_schemes {
            let ReferenceOr::Item(scheme) = scheme else {
                continue;
            };
            let (kind, description) = match scheme {
                openapiv3::SecurityScheme::APIKey {
                    location,
                    name: parameter,
                    description,
                    ..
                } => (
                    SecuritySchemeKind::ApiKey {
                        parameter: parameter.clone(),
                        location: match location {
                            openapiv3::APIKeyLocation::Query => ParamLocation::Query,
                            openapiv3::APIKeyLocation::Header => ParamLocation::Header,
                            openapiv3::APIKeyLocation::Cookie => ParamLocation::Cookie,
                        },
                    },
                    description,
                ),
                openapiv3::SecurityScheme::HTTP {
                    scheme,
                    description,
                    ..
                } => (
                    SecuritySchemeKind::Http {
                        scheme: scheme.clone(),
                    },
                    description,
                ),
                openapiv3::SecurityScheme::OAuth2 { description, .. } => {
                    (SecuritySchemeKind::OAuth2, description)
                }
                openapiv3::SecurityScheme::OpenIDConnect { description, .. } => {
                    (SecuritySchemeKind::OpenIdConnect, description)
                }
            };
            match out.iter_mut().find(|s| &s.name == name) {
                Some(existing) if existing.kind == kind => {
                    if existing.description.is_none() {
                        existing.description = description.clone();
                    }
                }
                Some(existing) => {
                    return Err(Error::invalid(
                        Location::new(file, "/components/securitySchemes").child(name),
                        format!(
                            "security scheme `{name}` is defined differently by another spec of this API ({:?})",
                            existing.kind
                        ),
                    ));
                }
                None => out.push(SecurityScheme {
                    name: name.clone(),
                    description: description.clone(),
                    kind,
                }),
            }
        }
        Ok(())
    }

    fn operations(
        &mut self,
        file: &str,
        openapi: &OpenAPI,
        api: &crate::config::ApiConfig,
        error_type: &TypeRef,
    ) -> Result<Vec<Operation>> {
        let bases = base_paths(openapi);
        let mut out = Vec::new();
        for (path, item) in openapi.paths.paths.iter() {
            let item_at = Location::new(file, pointer::push("/paths", path));
            let ReferenceOr::Item(item) = item else {
                return Err(Error::invalid(item_at, "unresolved path item reference"));
            };
            for (method, op) in item.iter() {
                let method = method.to_uppercase();
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let at = item_at.child(&method.to_lowercase());
                let named = api.operation_ids.get(&format!("{method} {path}"));
                let name = match (named, &op.operation_id) {
                    (Some(name), _) => snake_case(name),
                    (None, Some(id)) => snake_case(id),
                    (None, None) => snake_case(&format!("{method} {path}")),
                };
                out.push(self.operation(OperationSource {
                    name,
                    method,
                    path,
                    at,
                    op,
                    shared: &item.parameters,
                    openapi,
                    bases: &bases,
                    error_type,
                })?);
            }
        }
        Ok(out)
    }

    fn operation(&mut self, source: OperationSource<'_>) -> Result<Operation> {
        let OperationSource {
            name,
            method,
            path,
            at,
            op,
            shared,
            openapi,
            bases,
            error_type,
        } = source;
        let type_prefix = pascal_case(&name);
        let security = self.security(op, openapi, &at)?;

        let mut parameters = Vec::new();
        let own_names: BTreeSet<(String, String)> = op
            .parameters
            .iter()
            .filter_map(|p| p.as_item())
            .map(|p| (p.parameter_data_ref().name.clone(), location_name(p)))
            .collect();
        let shared = shared.iter().filter(|p| {
            p.as_item().is_none_or(|p| {
                !own_names.contains(&(p.parameter_data_ref().name.clone(), location_name(p)))
            })
        });
        for (i, parameter) in shared.chain(op.parameters.iter()).enumerate() {
            let param_at = at.child("parameters").child(&i.to_string());
            let ReferenceOr::Item(parameter) = parameter else {
                return Err(Error::invalid(param_at, "unresolved parameter reference"));
            };
            parameters.push(self.parameter(parameter, &type_prefix, &param_at)?);
        }

        let body = match &op.request_body {
            None => None,
            Some(ReferenceOr::Reference { .. }) => {
                return Err(Error::invalid(
                    at.child("requestBody"),
                    "unresolved request body reference",
                ));
            }
            Some(ReferenceOr::Item(body)) => {
                let ty = self
                    .content(
                        &body.content,
                        &body.extensions,
                        &format!("{type_prefix}Body"),
                        &at.child("requestBody"),
                    )?
                    .unwrap_or(TypeRef::Any);
                Some(RequestBody {
                    description: body.description.clone(),
                    required: body.required,
                    content_types: body.content.keys().cloned().collect(),
                    ty,
                })
            }
        };

        let mut responses = Vec::new();
        if let Some(default) = &op.responses.default {
            responses.push((Status::Default, "default".to_owned(), default));
        }
        for (status, response) in &op.responses.responses {
            let (status, key) = match status {
                openapiv3::StatusCode::Code(code) => (Status::Code(*code), code.to_string()),
                openapiv3::StatusCode::Range(class) => {
                    (Status::Range(*class), format!("{class}XX"))
                }
            };
            responses.push((status, key, response));
        }
        responses.sort_by_key(|(status, ..)| match status {
            Status::Default => (u16::MAX, 0),
            Status::Code(code) => (*code, 0),
            Status::Range(class) => (class * 100, 1),
        });
        let mut lowered_responses = Vec::new();
        for (status, key, response) in responses {
            let response_at = at.child("responses").child(&key);
            let ReferenceOr::Item(response) = response else {
                return Err(Error::invalid(response_at, "unresolved response reference"));
            };
            let has_schema = response.content.values().any(|m| m.schema.is_some());
            let is_error = match status {
                Status::Code(code) => code >= 400,
                Status::Range(class) => class >= 4,
                Status::Default => false,
            };
            let untyped_error = is_error && self.config.errors.untyped_error_responses;
            let ty = if !has_schema && untyped_error {
                let ty = error_type.clone();
                for (content_type, media) in &response.content {
                    self.media_examples(
                        media,
                        &ty,
                        &response_at.child("content").child(content_type),
                    );
                }
                Some(ty)
            } else {
                // A response documented by examples alone still has a body: any JSON.
                self.content(
                    &response.content,
                    &response.extensions,
                    &format!("{type_prefix}{}Body", status_name(status)),
                    &response_at,
                )?
            };
            let mut content_types: Vec<String> = response.content.keys().cloned().collect();
            if content_types.is_empty() && ty.is_some() {
                content_types.push("application/json".into());
            }
            lowered_responses.push(Response {
                status,
                description: response.description.clone(),
                content_types,
                ty,
            });
        }

        let full_paths = bases
            .iter()
            .map(|base| format!("{}{}", base.trim_end_matches('/'), path))
            .collect();
        Ok(Operation {
            name,
            operation_id: op.operation_id.clone(),
            method,
            path: path.to_owned(),
            full_paths,
            summary: op.summary.clone(),
            description: op.description.clone(),
            deprecated: op.deprecated,
            tags: op.tags.clone(),
            security,
            parameters,
            body,
            responses: lowered_responses,
            source: at,
        })
    }

    fn security(
        &self,
        op: &openapiv3::Operation,
        openapi: &OpenAPI,
        at: &Location,
    ) -> Result<Security> {
        let Some(requirements) = op.security.as_ref().or(openapi.security.as_ref()) else {
            return Ok(Security::None);
        };
        let known = openapi
            .components
            .as_ref()
            .map(|c| c.security_schemes.keys().cloned().collect::<BTreeSet<_>>())
            .unwrap_or_default();
        let mut schemes = Vec::new();
        let mut optional = false;
        for requirement in requirements {
            if requirement.is_empty() {
                optional = true;
            }
            for scheme in requirement.keys() {
                if !known.contains(scheme) {
                    return Err(Error::invalid(
                        at.child("security"),
                        format!("security scheme `{scheme}` is not defined"),
                    ));
                }
                if !schemes.contains(scheme) {
                    schemes.push(scheme.clone());
                }
            }
        }
        Ok(match (schemes.is_empty(), optional) {
            (true, _) => Security::None,
            (false, true) => Security::Optional(schemes),
            (false, false) => Security::Required(schemes),
        })
    }

    fn parameter(
        &mut self,
        parameter: &openapiv3::Parameter,
        type_prefix: &str,
        at: &Location,
    ) -> Result<Parameter> {
        let data = parameter.parameter_data_ref();
        let location = match parameter {
            openapiv3::Parameter::Query { .. } => ParamLocation::Query,
            openapiv3::Parameter::Header { .. } => ParamLocation::Header,
            openapiv3::Parameter::Path { .. } => ParamLocation::Path,
            openapiv3::Parameter::Cookie { .. } => ParamLocation::Cookie,
        };
        let openapiv3::ParameterSchemaOrContent::Schema(schema) = &data.format else {
            return Err(Error::invalid(
                at.clone(),
                format!(
                    "parameter `{}` uses `content`; only `schema` is supported",
                    data.name
                ),
            ));
        };
        let hint = format!("{type_prefix}{}", pascal_case(&data.name));
        let ty = self.lower(schema, &hint, &at.child("schema"))?;
        if let Some(example) = &data.example {
            // A parameter's example is its text on the wire: `x-example: 1234` of a string
            // parameter is "1234".
            let example = match example {
                Value::Number(_) | Value::Bool(_) if self.is_string_type(&ty) => {
                    Value::String(example.to_string())
                }
                _ => example.clone(),
            };
            self.example(&ty, &example, at.child("example"));
        }
        let default = match schema {
            ReferenceOr::Item(schema) => schema.schema_data.default.clone(),
            ReferenceOr::Reference { .. } => None,
        };
        let pattern = match self.resolve_branch(schema).map(|(s, _)| &s.schema_kind) {
            Some(SchemaKind::Type(Type::String(string))) => string.pattern.clone(),
            _ => None,
        };
        Ok(Parameter {
            name: data.name.clone(),
            location,
            description: data.description.clone(),
            required: data.required,
            deprecated: data.deprecated.unwrap_or(false),
            ty,
            default,
            pattern,
        })
    }

    fn media_examples(&mut self, media: &openapiv3::MediaType, ty: &TypeRef, at: &Location) {
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
    fn example(&mut self, ty: &TypeRef, value: &Value, location: Location) {
        let value = match (value, ty) {
            (Value::String(text), ty)
                if !matches!(ty, TypeRef::String { .. }) && !self.is_string_type(ty) =>
            {
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
        self.examples.push(Example {
            location,
            ty: ty.clone(),
            value,
        });
    }

    fn is_string_type(&self, ty: &TypeRef) -> bool {
        match ty {
            TypeRef::String { .. } => true,
            TypeRef::Named(name) => self.types.iter().any(|t| {
                &t.name == name
                    && match &t.kind {
                        TypeKind::Enum { integer, .. } => !integer,
                        TypeKind::Alias { target } => matches!(target, TypeRef::String { .. }),
                        TypeKind::Struct { .. }
                        | TypeKind::Union { .. }
                        | TypeKind::Media { .. } => false,
                    }
            }),
            _ => false,
        }
    }

    /// The type of a schema use; `hint` names it when it needs a name and has no title.
    fn lower(
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

    /// The type of a schema from the schema table: always a named type, so that a file or
    /// definition of its own stays visible by name in the generated code.
    fn named(&mut self, key: &str, at: &Location) -> Result<TypeRef> {
        if let Some(ty) = self.by_key.get(key) {
            return Ok(ty.clone());
        }
        let entry = self.schemas.get(key).ok_or_else(|| {
            Error::invalid(
                at.clone(),
                format!("schema `{key}` is not in the schema table"),
            )
        })?;
        let name = self.name_for_key(key, &entry.schema);
        if let Some(recursed) = self.in_progress.get_mut(key) {
            *recursed = true;
            return Ok(TypeRef::Named(name));
        }
        // An alias of another table entry is that entry.
        if let ReferenceOr::Reference { reference } = &entry.schema {
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
        self.in_progress.insert(key.to_owned(), false);
        let location = entry.location.clone();
        let lowered = match &entry.schema {
            ReferenceOr::Item(schema) => self.define(schema, &name, &location, true),
            ReferenceOr::Reference { .. } => unreachable!("handled above"),
        };
        let recursed = self.in_progress.remove(key).unwrap_or(false);
        let ty = lowered?;
        let ty = if recursed {
            ty
        } else {
            self.merge_identical(&ty)
        };
        self.by_key.insert(key.to_owned(), ty.clone());
        Ok(ty)
    }

    fn name_for_key(&self, key: &str, schema: &ReferenceOr<Schema>) -> String {
        if let Some(name) = self.config.type_names.get(key) {
            return name.clone();
        }
        if self.config.errors.schema_key().as_deref() == Some(key) {
            return self.config.errors.type_name.clone();
        }
        if let ReferenceOr::Item(schema) = schema
            && let Some(title) = &schema.schema_data.title
        {
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

    /// The shared error when the config names no schema for it: a code and a message.
    fn define_default_error(&mut self, at: &Location) -> Result<()> {
        let errors = &self.config.errors;
        let field = |name: &str, required: bool, description: &str| Field {
            name: name.to_owned(),
            ident: snake_case(name),
            description: Some(description.to_owned()),
            ty: TypeRef::String { format: None },
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
        };
        self.add_type(&errors.type_name, description, at, kind)?;
        Ok(())
    }

    /// A named type just defined that equals an earlier one is replaced by the earlier one.
    fn merge_identical(&mut self, ty: &TypeRef) -> TypeRef {
        let TypeRef::Named(name) = ty else {
            return ty.clone();
        };
        let Some(index) = self.types.iter().position(|t| &t.name == name) else {
            return ty.clone();
        };
        let candidate = &self.types[index];
        let earlier = self.types[..index]
            .iter()
            .position(|t| t.kind == candidate.kind && t.description == candidate.description);
        match earlier {
            Some(earlier) if index == self.types.len() - 1 => {
                let removed = self.types.pop().expect("index is the last type");
                self.types[earlier].origins.extend(removed.origins);
                TypeRef::Named(self.types[earlier].name.clone())
            }
            _ => ty.clone(),
        }
    }

    fn lower_item(&mut self, schema: &Schema, hint: &str, at: &Location) -> Result<TypeRef> {
        let configured = self
            .config
            .type_names
            .get(&format!("{}#{}", at.file, at.pointer));
        let name = configured
            .cloned()
            .or_else(|| schema.schema_data.title.as_deref().map(pascal_case));
        let ty = self.define(schema, name.as_deref().unwrap_or(hint), at, false)?;
        Ok(ty)
    }

    /// Lowers a schema; objects with properties and enums become named types called `name`.
    /// With `always_named`, every other shape becomes a named alias too.
    fn define(
        &mut self,
        schema: &Schema,
        name: &str,
        at: &Location,
        always_named: bool,
    ) -> Result<TypeRef> {
        let description = schema.schema_data.description.clone();
        let ty = match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                let values: Vec<String> = string.enumeration.iter().flatten().cloned().collect();
                let names = variant_names(&values);
                let variants = values
                    .into_iter()
                    .zip(names)
                    .map(|(value, name)| EnumVariant { value, name })
                    .collect();
                self.add_enum(name, description.clone(), at, variants, false)?
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
                self.add_enum(name, description.clone(), at, variants, true)?
            }
            SchemaKind::Type(Type::String(string)) => TypeRef::String {
                format: format_name(&string.format),
            },
            SchemaKind::Type(Type::Integer(integer)) => TypeRef::Integer {
                format: format_name(&integer.format),
            },
            SchemaKind::Type(Type::Number(number)) => TypeRef::Number {
                format: format_name(&number.format),
            },
            SchemaKind::Type(Type::Boolean(_)) => TypeRef::Boolean,
            SchemaKind::Type(Type::Array(_))
                if schema.schema_data.extensions.contains_key(PREFIX_ITEMS) =>
            {
                self.tuple(schema, name, at)?
            }
            SchemaKind::Type(Type::Array(array)) => {
                let item = match &array.items {
                    Some(items) => {
                        self.lower_boxed(items, &format!("{name}Item"), &at.child("items"))?
                    }
                    None => TypeRef::Any,
                };
                TypeRef::Array(Box::new(item))
            }
            SchemaKind::Type(Type::Object(object)) => {
                self.object(object, name, description.clone(), at)?
            }
            SchemaKind::AllOf { all_of } => self.all_of(all_of, name, description.clone(), at)?,
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
                self.object(&object, name, description.clone(), at)?
            }
            SchemaKind::Any(_) => TypeRef::Any,
            SchemaKind::OneOf { one_of } => self.union(schema, one_of, name, at.child("oneOf"))?,
            SchemaKind::AnyOf { any_of } => self.union(schema, any_of, name, at.child("anyOf"))?,
            SchemaKind::Not { .. } => {
                self.warnings.push(Warning {
                    location: at.child("not"),
                    message: "`not` cannot be said by a Rust type: rendered as any JSON value"
                        .into(),
                });
                TypeRef::Any
            }
        };
        if let Some(Value::Array(keywords)) = schema.schema_data.extensions.get(UNSUPPORTED) {
            let keywords: Vec<String> = keywords
                .iter()
                .filter_map(Value::as_str)
                .map(|k| format!("`{k}`"))
                .collect();
            self.warnings.push(Warning {
                location: at.clone(),
                message: format!(
                    "{} cannot be said by a Rust type: ignored, the value is not checked against it",
                    keywords.join(", ")
                ),
            });
        }
        if let Some(example) = &schema.schema_data.example {
            self.example(&ty, example, at.child("example"));
        }
        if always_named && !matches!(ty, TypeRef::Named(_)) {
            return self.add_type(name, description, at, TypeKind::Alias { target: ty });
        }
        Ok(ty)
    }

    /// The type of a body documented per media type: the schema's type when every media
    /// type is JSON or a form of one schema (or has none: any JSON value); otherwise a
    /// `Media` type with a variant per media type. `None` when no media type is documented.
    /// `at` is the body or response; a Swagger source says where its one schema was written
    /// (`x-source-pointer`, set by the upgrade stage).
    fn content(
        &mut self,
        content: &IndexMap<String, openapiv3::MediaType>,
        extensions: &IndexMap<String, Value>,
        name: &str,
        at: &Location,
    ) -> Result<Option<TypeRef>> {
        let Some((_, first)) = content.first() else {
            return Ok(None);
        };
        let swagger_schema = extensions
            .get("x-source-pointer")
            .and_then(Value::as_str)
            .map(|pointer| Location::new(at.file.clone(), pointer));
        let content_at = |content_type: &str| at.child("content").child(content_type);
        let schema_at = |content_type: &str| {
            swagger_schema
                .clone()
                .unwrap_or_else(|| content_at(content_type).child("schema"))
        };
        let structured = content
            .keys()
            .all(|ct| matches!(Encoding::of(ct), Encoding::Json | Encoding::Form));
        let one_schema = content.values().all(|m| m.schema == first.schema);
        if structured && one_schema {
            let first_type = content
                .keys()
                .next()
                .map(String::as_str)
                .unwrap_or_default();
            let ty = match &first.schema {
                Some(schema) => self.lower(schema, name, &schema_at(first_type))?,
                None => TypeRef::Any,
            };
            for (content_type, media) in content {
                self.media_examples(media, &ty, &content_at(content_type));
            }
            return Ok(Some(ty));
        }
        let names = media_variant_names(content.keys());
        let mut variants = Vec::new();
        for ((content_type, media), variant) in content.iter().zip(names) {
            let encoding = Encoding::of(content_type);
            let ty = match (encoding, &media.schema) {
                (Encoding::Json | Encoding::Form, Some(schema)) => self.lower(
                    schema,
                    &format!("{name}{variant}"),
                    &schema_at(content_type),
                )?,
                (Encoding::Json | Encoding::Form, None) => TypeRef::Any,
                (Encoding::Text, _) => TypeRef::String { format: None },
                (Encoding::Binary, _) => TypeRef::Bytes,
            };
            if matches!(encoding, Encoding::Json | Encoding::Form) {
                self.media_examples(media, &ty, &content_at(content_type));
            }
            variants.push(MediaVariant {
                content_type: content_type.clone(),
                name: variant,
                encoding,
                ty,
            });
        }
        let ty = self.add_type(name, None, at, TypeKind::Media { variants })?;
        Ok(Some(ty))
    }

    /// `oneOf` / `anyOf`: one variant per branch. A discriminator, or a property that
    /// every branch requires with a single distinct value, tags the union.
    fn union(
        &mut self,
        schema: &Schema,
        branches: &[ReferenceOr<Schema>],
        name: &str,
        at: Location,
    ) -> Result<TypeRef> {
        let description = schema.schema_data.description.clone();
        let tag = self.union_tag(schema, branches);
        let mut variants: Vec<UnionVariant> = Vec::new();
        for (i, branch) in branches.iter().enumerate() {
            let branch_at = at.child(&i.to_string());
            let tag_values = match &tag {
                Some((_, values)) => values[i].clone(),
                None => Vec::new(),
            };
            let resolved = self.resolve_branch(branch).map(|(s, _)| s);
            let title = resolved
                .and_then(|s| s.schema_data.title.as_deref())
                .map(pascal_case);
            let kind_name = branch_kind_name(resolved);
            let from_tag = tag_values.first().map(|v| pascal_case(v));
            let inline_hint = format!(
                "{name}{}",
                title.clone().or(from_tag.clone()).unwrap_or(kind_name)
            );
            let ty = self.lower(branch, &inline_hint, &branch_at)?;
            let variant = match (&ty, &title, &from_tag) {
                (TypeRef::Named(named), _, _)
                    if matches!(branch, ReferenceOr::Reference { .. }) =>
                {
                    named
                        .strip_prefix(name)
                        .filter(|rest| !rest.is_empty())
                        .unwrap_or(named)
                        .to_owned()
                }
                (_, Some(title), _) => title.clone(),
                (_, None, Some(tag)) => tag.clone(),
                (ty, ..) => type_variant_name(ty, name),
            };
            let mut unique = variant.clone();
            if variants.iter().any(|v| v.name == unique) {
                unique = format!("{variant}{}", type_variant_name(&ty, name));
            }
            let mut n = 2;
            while variants.iter().any(|v| v.name == unique) {
                unique = format!("{variant}{n}");
                n += 1;
            }
            variants.push(UnionVariant {
                name: unique,
                ty,
                tag_values,
            });
        }
        self.add_type(
            name,
            description,
            &at,
            TypeKind::Union {
                variants,
                tag: tag.map(|(property, _)| property),
            },
        )
    }

    /// A branch's schema, through the schema table, with its table key when it has one.
    fn resolve_branch<'s>(
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
        let constant = |schema: &Schema, property: &str| -> Option<String> {
            let properties = object_properties(schema)?;
            let ReferenceOr::Item(property) = properties.get(property)? else {
                return None;
            };
            match &property.schema_kind {
                SchemaKind::Type(Type::String(s)) if s.enumeration.len() == 1 => {
                    s.enumeration[0].clone()
                }
                _ => None,
            }
        };
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

    /// A 2020-12 `prefixItems` array: a tuple, each item its own type.
    fn tuple(&mut self, schema: &Schema, name: &str, at: &Location) -> Result<TypeRef> {
        let items = schema.schema_data.extensions[PREFIX_ITEMS].clone();
        let items: Vec<ReferenceOr<Schema>> = serde_json::from_value(items).map_err(|e| {
            Error::invalid(
                at.child("prefixItems"),
                format!("not a list of schemas: {e}"),
            )
        })?;
        if let SchemaKind::Type(Type::Array(ArrayType { items: Some(_), .. })) = &schema.schema_kind
        {
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
    ) -> Result<TypeRef> {
        let open = self.config.enums == EnumPolicy::Open;
        let kind = TypeKind::Enum {
            variants,
            open,
            integer,
        };
        self.add_type(name, description, at, kind)
    }

    fn lower_boxed(
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

    fn object(
        &mut self,
        object: &ObjectType,
        name: &str,
        description: Option<String>,
        at: &Location,
    ) -> Result<TypeRef> {
        let additional = match &object.additional_properties {
            None | Some(AdditionalProperties::Any(false)) => None,
            Some(AdditionalProperties::Any(true)) => Some(TypeRef::Any),
            Some(AdditionalProperties::Schema(schema)) => Some(self.lower(
                schema,
                &format!("{name}Value"),
                &at.child("additionalProperties"),
            )?),
        };
        if object.properties.is_empty() {
            return Ok(match additional {
                Some(value) => TypeRef::Map(Box::new(value)),
                None => TypeRef::Object,
            });
        }
        let fields = self.fields(&object.properties, &object.required, name, at)?;
        self.add_type(
            name,
            description,
            at,
            TypeKind::Struct { fields, additional },
        )
    }

    fn fields(
        &mut self,
        properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        parent: &str,
        at: &Location,
    ) -> Result<Vec<Field>> {
        let mut fields = Vec::new();
        let mut idents = BTreeSet::new();
        for (property, schema) in properties {
            let field_at = at.child("properties").child(property);
            let ty = self.lower_boxed(
                schema,
                &format!("{parent}{}", pascal_case(property)),
                &field_at,
            )?;
            let (description, default, nullable) = match schema {
                ReferenceOr::Item(schema) => (
                    schema.schema_data.description.clone(),
                    schema.schema_data.default.clone(),
                    schema.schema_data.nullable,
                ),
                ReferenceOr::Reference { .. } => (None, None, false),
            };
            let mut ident = snake_case(property);
            while !idents.insert(ident.clone()) {
                ident.push('_');
            }
            fields.push(Field {
                name: property.clone(),
                ident,
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
    fn all_of(
        &mut self,
        parts: &[ReferenceOr<Schema>],
        name: &str,
        description: Option<String>,
        at: &Location,
    ) -> Result<TypeRef> {
        let references: Vec<&ReferenceOr<Schema>> = parts
            .iter()
            .filter(|p| matches!(p, ReferenceOr::Reference { .. }))
            .collect();
        let adds_nothing = |part: &&ReferenceOr<Schema>| match part {
            ReferenceOr::Reference { .. } => true,
            ReferenceOr::Item(schema) => match &schema.schema_kind {
                SchemaKind::Type(Type::Object(object)) => {
                    object.properties.is_empty() && object.additional_properties.is_none()
                }
                SchemaKind::Any(any) => {
                    any.properties.is_empty() && any.additional_properties.is_none()
                }
                _ => false,
            },
        };
        if references.len() == 1 && parts.iter().all(|p| adds_nothing(&p)) {
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
        self.object(&merged, name, description, at)
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
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => {
                merge_object(
                    into,
                    &object.properties,
                    &object.required,
                    &object.additional_properties,
                );
            }
            SchemaKind::Any(any) => {
                merge_object(
                    into,
                    &any.properties,
                    &any.required,
                    &any.additional_properties,
                );
            }
            SchemaKind::AllOf { all_of } => {
                for (i, inner) in all_of.iter().enumerate() {
                    self.collect_object(
                        inner,
                        into,
                        &at.child("allOf").child(&i.to_string()),
                        depth + 1,
                    )?;
                }
            }
            _ => {
                return Err(Error::invalid(
                    at.clone(),
                    "allOf parts must be objects to be merged into one type",
                ));
            }
        }
        Ok(())
    }

    /// Adds a named type, choosing a free name: `name`, then the name qualified by its
    /// place's file. Two different types never share a name.
    fn add_type(
        &mut self,
        name: &str,
        description: Option<String>,
        at: &Location,
        kind: TypeKind,
    ) -> Result<TypeRef> {
        let def = TypeDef {
            name: name.to_owned(),
            description,
            origins: vec![at.clone()],
            kind,
        };
        if let Some(existing) = self.types.iter_mut().find(|t| t.name == name) {
            if existing.kind == def.kind && existing.description == def.description {
                if !existing.origins.contains(at) {
                    existing.origins.push(at.clone());
                }
                return Ok(TypeRef::Named(name.to_owned()));
            }
            let stem = at.file.rsplit('/').next().unwrap_or(&at.file);
            let qualified = format!("{}{name}", pascal_case(stem.trim_end_matches(".yaml")));
            if self.types.iter().any(|t| t.name == qualified) {
                return Err(Error::invalid(
                    at.clone(),
                    format!(
                        "two different schemas want the type name `{name}` (also tried `{qualified}`); \
                         name one in the config's [type_names]"
                    ),
                ));
            }
            return self.add_type(&qualified, def.description, at, def.kind);
        }
        self.types.push(def);
        Ok(TypeRef::Named(name.to_owned()))
    }
}

/// The shared error must have what its constructors fill in: a required string code and
/// a string message, and no other required property.
fn check_error_schema(
    types: &[TypeDef],
    ty: &TypeRef,
    errors: &crate::config::ErrorsConfig,
    location: Location,
) -> Result<()> {
    let fields = match ty {
        TypeRef::Named(name) => {
            types
                .iter()
                .find(|t| &t.name == name)
                .and_then(|t| match &t.kind {
                    TypeKind::Struct { fields, .. } => Some(fields),
                    _ => None,
                })
        }
        _ => None,
    };
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
    if let Some(extra) = fields
        .iter()
        .find(|f| f.required && f.name != errors.code_property && f.name != errors.message_property)
    {
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

struct OperationSource<'a> {
    name: String,
    method: String,
    path: &'a str,
    at: Location,
    op: &'a openapiv3::Operation,
    shared: &'a [ReferenceOr<openapiv3::Parameter>],
    openapi: &'a OpenAPI,
    bases: &'a [String],
    error_type: &'a TypeRef,
}

fn location_name(parameter: &openapiv3::Parameter) -> String {
    match parameter {
        openapiv3::Parameter::Query { .. } => "query",
        openapiv3::Parameter::Header { .. } => "header",
        openapiv3::Parameter::Path { .. } => "path",
        openapiv3::Parameter::Cookie { .. } => "cookie",
    }
    .to_owned()
}

fn merge_object(
    into: &mut ObjectType,
    properties: &IndexMap<String, ReferenceOr<Box<Schema>>>,
    required: &[String],
    additional: &Option<AdditionalProperties>,
) {
    for (name, schema) in properties {
        into.properties.insert(name.clone(), schema.clone());
    }
    for name in required {
        if !into.required.contains(name) {
            into.required.push(name.clone());
        }
    }
    if additional.is_some() {
        into.additional_properties = additional.clone();
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

/// The base paths of the first server, one per combination of its variables' values
/// (`{protocol}://{hostname}{basePath}` gives one per `basePath`), in order, without
/// repeats.
fn base_paths(openapi: &OpenAPI) -> Vec<String> {
    let Some(server) = openapi.servers.first() else {
        return vec![String::new()];
    };
    let mut urls = vec![server.url.clone()];
    for (name, variable) in server.variables.iter().flatten() {
        let placeholder = format!("{{{name}}}");
        let values = if variable.enumeration.is_empty() {
            vec![variable.default.clone()]
        } else {
            variable.enumeration.clone()
        };
        urls = urls
            .iter()
            .flat_map(|url| values.iter().map(|v| url.replace(&placeholder, v)))
            .collect();
    }
    let mut bases: Vec<String> = Vec::new();
    for url in urls {
        // Only the path part is mounted; scheme and host belong to the deployment.
        let path = match url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
            None => url.as_str(),
        };
        let path = path.trim_end_matches('/').to_owned();
        if !bases.contains(&path) {
            bases.push(path);
        }
    }
    bases
}

/// The properties of an object schema.
fn object_properties(schema: &Schema) -> Option<&IndexMap<String, ReferenceOr<Box<Schema>>>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some(&object.properties),
        SchemaKind::Any(any) => Some(&any.properties),
        _ => None,
    }
}

fn object_required(schema: &Schema) -> Option<&Vec<String>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => Some(&object.required),
        SchemaKind::Any(any) => Some(&any.required),
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

/// A variant name from a lowered type: what it is, or its own name.
fn type_variant_name(ty: &TypeRef, union: &str) -> String {
    match ty {
        TypeRef::String { .. } => "String".into(),
        TypeRef::Integer { .. } => "Integer".into(),
        TypeRef::Number { .. } => "Number".into(),
        TypeRef::Boolean => "Boolean".into(),
        TypeRef::Bytes => "Bytes".into(),
        TypeRef::Array(_) => "List".into(),
        TypeRef::Tuple(_) => "Tuple".into(),
        TypeRef::Map(_) | TypeRef::Object => "Object".into(),
        TypeRef::Any => "Value".into(),
        TypeRef::Named(name) => name
            .strip_prefix(union)
            .filter(|r| !r.is_empty())
            .unwrap_or(name)
            .to_owned(),
    }
}

fn ordinal_name(index: usize) -> &'static str {
    const NAMES: [&str; 10] = [
        "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth",
        "Tenth",
    ];
    NAMES.get(index).copied().unwrap_or("Item")
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
