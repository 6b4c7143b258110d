//! Operations: one per path and method, with their parameters, body and per-status
//! responses, mounted under every base path of their spec.

use std::collections::BTreeSet;

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use serde_json::Value;

use super::case::{pascal_case, snake_case};
use super::table::Renumbering;
use super::{Lowerer, security};
use crate::config::ApiConfig;
use crate::error::{Error, Location, Result};
use crate::ir::{
    BasePath, BaseVariable, Operation, OperationNames, ParamLocation, Parameter, RequestBody,
    Response, Status, TypeKind, TypeRef,
};
use crate::pointer;

use crate::http::METHODS;

/// What an operation is lowered from.
struct OperationSource<'a> {
    name: String,
    method: String,
    path: &'a str,
    at: Location,
    op: &'a openapiv3::Operation,
    shared: &'a [ReferenceOr<openapiv3::Parameter>],
    openapi: &'a OpenAPI,
    base: &'a BasePath,
    bases: &'a [String],
    error_type: &'a TypeRef,
}

impl Lowerer<'_> {
    /// Every operation of one spec file, in path order.
    pub(super) fn operations(
        &mut self,
        file: &str,
        openapi: &OpenAPI,
        api: &ApiConfig,
        error_type: &TypeRef,
    ) -> Result<Vec<Operation>> {
        let base = base_path(openapi);
        let bases = expansions(&base);
        let mut out = Vec::new();
        for (key, item) in openapi.paths.paths.iter() {
            let item_at = Location::new(file, pointer::push("/paths", key));
            // Upstream tells two operations on one path apart by white space at the end of
            // the key (`"/events "`); the path itself has none.
            let path = key.trim();
            let ReferenceOr::Item(item) = item else {
                return Err(Error::invalid(item_at, "unresolved path item reference"));
            };
            for (method, op) in item.iter() {
                let method = method.to_uppercase();
                if !METHODS.contains(&method.to_lowercase().as_str()) {
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
                    base: &base,
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
            base,
            bases,
            error_type,
        } = source;
        let type_prefix = pascal_case(&name);
        let security = security::requirement(op, openapi, &at)?;
        let parameters = self.parameters(op, shared, &type_prefix, &at)?;
        let body = self.request_body(op, &type_prefix, &at)?;
        let responses = self.responses(op, &type_prefix, &at, error_type)?;
        let full_paths = bases
            .iter()
            .map(|base| format!("{}{}", base.trim_end_matches('/'), path))
            .collect();
        Ok(Operation {
            name,
            names: OperationNames::default(),
            operation_id: op.operation_id.clone(),
            method,
            path: path.to_owned(),
            full_paths,
            base: base.clone(),
            summary: op.summary.clone(),
            description: op.description.clone(),
            deprecated: op.deprecated,
            tags: op.tags.clone(),
            features: Vec::new(),
            security,
            parameters,
            body,
            responses,
            transport: Default::default(),
            source: at,
        })
    }

    /// The path item's parameters that the operation does not redefine, then its own.
    fn parameters(
        &mut self,
        op: &openapiv3::Operation,
        shared: &[ReferenceOr<openapiv3::Parameter>],
        type_prefix: &str,
        at: &Location,
    ) -> Result<Vec<Parameter>> {
        let own_names: BTreeSet<(String, ParamLocation)> = op
            .parameters
            .iter()
            .filter_map(|p| p.as_item())
            .map(|p| (p.parameter_data_ref().name.clone(), location(p)))
            .collect();
        let shared = shared.iter().filter(|p| {
            p.as_item().is_none_or(|p| {
                !own_names.contains(&(p.parameter_data_ref().name.clone(), location(p)))
            })
        });
        let mut parameters = Vec::new();
        for (i, parameter) in shared.chain(op.parameters.iter()).enumerate() {
            let param_at = at.child("parameters").child(&i.to_string());
            let ReferenceOr::Item(parameter) = parameter else {
                return Err(Error::invalid(param_at, "unresolved parameter reference"));
            };
            parameters.push(self.parameter(parameter, type_prefix, &param_at)?);
        }
        Ok(parameters)
    }

    fn parameter(
        &mut self,
        parameter: &openapiv3::Parameter,
        type_prefix: &str,
        at: &Location,
    ) -> Result<Parameter> {
        let data = parameter.parameter_data_ref();
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
        let ty = self.secret_if_named(&data.name, ty);
        if let Some(example) = &data.example {
            // A parameter's example is its text on the wire: `x-example: 1234` of a string
            // parameter is "1234".
            let example = match example {
                Value::Number(_) | Value::Bool(_) if self.is_string_type(&ty) => {
                    Value::String(example.to_string())
                }
                _ => example.clone(),
            };
            self.example(&ty, Some(schema), &example, at.child("example"));
        }
        let default = match schema {
            ReferenceOr::Item(schema) => schema.schema_data.default.clone(),
            ReferenceOr::Reference { .. } => None,
        };
        let pattern = match self.resolve_branch(schema).map(|(s, _)| &s.schema_kind) {
            Some(SchemaKind::Type(Type::String(string))) => string.pattern.clone(),
            _ => None,
        };
        let is_object = match &ty {
            TypeRef::Map { .. } | TypeRef::Object => true,
            TypeRef::Named(_) => self
                .defined(&ty)
                .is_some_and(|def| matches!(def.kind, TypeKind::Struct { .. })),
            _ => false,
        };
        let spread = match parameter {
            openapiv3::Parameter::Query { style, .. } if is_object => {
                if *style != openapiv3::QueryStyle::Form || data.explode == Some(false) {
                    return Err(Error::invalid(
                        at.clone(),
                        format!(
                            "query parameter `{}` is an object in a style other than `form`, exploded (one pair per property), which is all the generator supports",
                            data.name
                        ),
                    ));
                }
                true
            }
            _ => false,
        };
        Ok(Parameter {
            spread,
            name: data.name.clone(),
            field: String::new(),
            default_fn: String::new(),
            location: location(parameter),
            description: data.description.clone(),
            required: data.required,
            deprecated: data.deprecated.unwrap_or(false),
            ty,
            default,
            pattern,
        })
    }

    fn request_body(
        &mut self,
        op: &openapiv3::Operation,
        type_prefix: &str,
        at: &Location,
    ) -> Result<Option<RequestBody>> {
        match &op.request_body {
            None => Ok(None),
            Some(ReferenceOr::Reference { .. }) => Err(Error::invalid(
                at.child("requestBody"),
                "unresolved request body reference",
            )),
            Some(ReferenceOr::Item(body)) => {
                let ty = self
                    .content(
                        &body.content,
                        &format!("{type_prefix}Body"),
                        &at.child("requestBody"),
                    )?
                    .unwrap_or(TypeRef::Any);
                // Swagger 2.0 body parameters default to optional and its specs rarely say
                // otherwise: there, a body that cannot be empty (one whose schema requires
                // properties, or is no object at all) counts as required. OpenAPI 3 says
                // `requestBody.required` for itself.
                let swagger = self.schema_sources.contains_key(&at.child("requestBody"));
                let required = body.required
                    || swagger
                        && self.defined(&ty).is_some_and(|def| match &def.kind {
                            TypeKind::Struct { fields, .. } => fields.iter().any(|f| f.required),
                            _ => true,
                        });
                Ok(Some(RequestBody {
                    description: body.description.clone(),
                    required,
                    content_types: body.content.keys().cloned().collect(),
                    ty,
                }))
            }
        }
    }

    /// Every documented status, in order: codes, then ranges (`4XX` after the 4xx codes),
    /// then `default`.
    fn responses(
        &mut self,
        op: &openapiv3::Operation,
        type_prefix: &str,
        at: &Location,
        error_type: &TypeRef,
    ) -> Result<Vec<Response>> {
        let mut responses = Vec::new();
        if let Some(default) = &op.responses.default {
            responses.push((Status::Default, "default".to_owned(), default));
        }
        for (status, response) in &op.responses.responses {
            let (status, key) = match status {
                openapiv3::StatusCode::Code(code) if !(100..=599).contains(code) => {
                    return Err(Error::invalid(
                        at.child("responses").child(&code.to_string()),
                        format!("{code} is not an HTTP status (100 to 599)"),
                    ));
                }
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
        let mut lowered = Vec::new();
        for (status, key, response) in responses {
            let response_at = at.child("responses").child(&key);
            let ReferenceOr::Item(response) = response else {
                return Err(Error::invalid(response_at, "unresolved response reference"));
            };
            lowered.push(self.response(status, response, type_prefix, &response_at, error_type)?);
        }
        Ok(lowered)
    }

    fn response(
        &mut self,
        status: Status,
        response: &openapiv3::Response,
        type_prefix: &str,
        at: &Location,
        error_type: &TypeRef,
    ) -> Result<Response> {
        let has_schema = response.content.values().any(|m| m.schema.is_some());
        let is_error = match status {
            Status::Code(code) => code >= 400,
            Status::Range(class) => class >= 4,
            Status::Default => false,
        };
        let untyped_error = is_error && self.config.errors.untyped_error_responses;
        let ty = if !has_schema && untyped_error {
            for (content_type, media) in &response.content {
                let at = at.child("content").child(content_type);
                let schema = self.error_schema.clone();
                self.media_examples(media, error_type, schema.as_ref(), &at);
            }
            Some(error_type.clone())
        } else {
            // A response documented by examples alone still has a body: any JSON.
            self.content(
                &response.content,
                &format!("{type_prefix}{}Body", super::case::status_name(status)),
                at,
            )?
        };
        let mut content_types: Vec<String> = response.content.keys().cloned().collect();
        if content_types.is_empty() && ty.is_some() {
            content_types.push("application/json".into());
        }
        Ok(Response {
            status,
            variant: String::new(),
            description: response.description.clone(),
            content_types,
            ty,
        })
    }
}

/// Gives every type use of an operation its final id.
pub(super) fn renumber(operation: &mut Operation, renumbering: &mut Renumbering) {
    for parameter in &mut operation.parameters {
        renumbering.ty(&mut parameter.ty);
    }
    if let Some(body) = &mut operation.body {
        renumbering.ty(&mut body.ty);
    }
    for response in &mut operation.responses {
        if let Some(ty) = &mut response.ty {
            renumbering.ty(ty);
        }
    }
}

fn location(parameter: &openapiv3::Parameter) -> ParamLocation {
    match parameter {
        openapiv3::Parameter::Query { .. } => ParamLocation::Query,
        openapiv3::Parameter::Header { .. } => ParamLocation::Header,
        openapiv3::Parameter::Path { .. } => ParamLocation::Path,
        openapiv3::Parameter::Cookie { .. } => ParamLocation::Cookie,
    }
}

/// The base path of the first server: the path part of its URL (scheme and host belong to
/// the deployment), with the variables that appear in it. The path begins at the first `/`
/// after the scheme's `://` that is not inside a variable, or at the first variable whose
/// default begins with `/` (a server `{protocol}://{hostname}{basePath}` with `basePath`
/// defaulting to `/api/v3`). A URL without a scheme is a path from its start.
fn base_path(openapi: &OpenAPI) -> BasePath {
    let Some(server) = openapi.servers.first() else {
        return BasePath::default();
    };
    let url = server.url.as_str();
    let default_of = |name: &str| {
        let variables = server.variables.as_ref();
        variables
            .and_then(|v| v.get(name))
            .map(|v| v.default.as_str())
    };
    let start = match url.find("://") {
        None => 0,
        Some(scheme_end) => {
            let mut at = scheme_end + 3;
            loop {
                let rest = &url[at..];
                match rest.chars().next() {
                    None | Some('/') => break at,
                    Some('{') => match rest.find('}') {
                        Some(end)
                            if default_of(&rest[1..end]).is_some_and(|d| d.starts_with('/')) =>
                        {
                            break at;
                        }
                        Some(end) => at += end + 1,
                        None => break url.len(),
                    },
                    Some(c) => at += c.len_utf8(),
                }
            }
        }
    };
    let template = url[start..].trim_end_matches('/').to_owned();
    let variables = server
        .variables
        .iter()
        .flatten()
        .filter(|(name, _)| template.contains(&format!("{{{name}}}")))
        .map(|(name, variable)| BaseVariable {
            name: name.clone(),
            default: variable.default.clone(),
            values: std::iter::once(&variable.default)
                .chain(
                    variable
                        .enumeration
                        .iter()
                        .filter(|v| **v != variable.default),
                )
                .cloned()
                .collect(),
        })
        .collect();
    BasePath {
        template,
        variables,
    }
}

/// The base path under every combination of its variables' values, in order, without
/// repeats.
fn expansions(base: &BasePath) -> Vec<String> {
    let mut paths = vec![base.template.clone()];
    for variable in &base.variables {
        let placeholder = format!("{{{}}}", variable.name);
        paths = paths
            .iter()
            .flat_map(|path| {
                variable
                    .values
                    .iter()
                    .map(|v| path.replace(&placeholder, v))
            })
            .collect();
    }
    let mut unique: Vec<String> = Vec::new();
    for path in paths {
        if !unique.contains(&path) {
            unique.push(path);
        }
    }
    unique
}
