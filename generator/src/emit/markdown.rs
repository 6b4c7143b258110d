//! The generated crate's non-Rust files, rendered with minijinja: its Cargo.toml and
//! `API.md`, the endpoint reference.

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use crate::emit::rust_types::display;
use crate::error::EmitError;
use crate::ir::{Ir, ParamLocation, Security, Status};

const CARGO_TOML: &str = include_str!("../../templates/Cargo.toml.j2");
const API_MD: &str = include_str!("../../templates/API.md.j2");

fn render(
    name: &'static str,
    source: &'static str,
    context: impl Serialize,
) -> Result<String, EmitError> {
    let error = |source| EmitError::Template {
        template: name,
        source,
    };
    let mut env = Environment::new();
    env.set_keep_trailing_newline(true);
    env.add_template(name, source).map_err(error)?;
    env.get_template(name)
        .and_then(|t| t.render(context))
        .map_err(error)
}

/// The config's extra dependencies, each as its inline TOML.
fn dependencies(ir: &Ir) -> BTreeMap<String, String> {
    ir.dependencies
        .iter()
        .map(|(name, value)| (name.clone(), inline_toml(value)))
        .collect()
}

pub fn cargo_toml(ir: &Ir, header: &str) -> Result<String, EmitError> {
    render(
        "Cargo.toml",
        CARGO_TOML,
        minijinja::context! {
            header,
            package => &ir.package,
            dependencies => dependencies(ir),
            patterns => ir.types.iter().any(|def| {
                matches!(def.kind, crate::ir::TypeKind::Validated { pattern: Some(_), .. })
            }),
            description => ir.description.replace('"', "\\\""),
            apis => ir
                .apis
                .iter()
                .map(|api| {
                    minijinja::context! {
                        feature => api.feature(),
                        title => &api.title,
                        tags => &api.tag_features,
                    }
                })
                .collect::<Vec<_>>(),
        },
    )
}

/// A value as inline TOML (`{ path = "../x", features = ["a"] }`); JSON's string escapes
/// are TOML's too.
fn inline_toml(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline_toml).collect();
            format!("[{}]", items.join(", "))
        }
        serde_json::Value::Object(table) => {
            let entries: Vec<String> = table
                .iter()
                .map(|(key, value)| {
                    let bare = key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    let key = match bare {
                        true => key.clone(),
                        false => serde_json::Value::from(key.as_str()).to_string(),
                    };
                    format!("{key} = {}", inline_toml(value))
                })
                .collect();
            format!("{{ {} }}", entries.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

/// Spec prose as one line of Markdown: table cells cannot hold line breaks or bare pipes.
fn cell(text: &str) -> String {
    super::docs::to_markdown(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

#[derive(Serialize)]
struct ApiView {
    title: String,
    module: String,
    trait_name: String,
    sources: Vec<String>,
    operations: Vec<OperationView>,
}

#[derive(Serialize)]
struct OperationView {
    name: String,
    client_method: String,
    method: String,
    path: String,
    full_paths: Vec<String>,
    /// The Cargo features one of which builds it, where its API has a feature per tag.
    features: Vec<String>,
    summary: Option<String>,
    deprecated: bool,
    auth: String,
    request_type: String,
    body: Option<String>,
    content_types: String,
    parameters: Vec<ParameterView>,
    responses: Vec<ResponseView>,
}

#[derive(Serialize)]
struct ParameterView {
    location: &'static str,
    name: String,
    ty: String,
    required: bool,
    default: Option<String>,
}

#[derive(Serialize)]
struct ResponseView {
    status: String,
    variant: String,
    ty: Option<String>,
    description: String,
}

// Long because it lays out the template's whole view of the IR in one place.
pub fn api_reference(ir: &Ir, header: &str) -> Result<String, EmitError> {
    let apis: Vec<ApiView> = ir
        .apis
        .iter()
        .map(|api| ApiView {
            title: api.title.clone(),
            module: api.module.clone(),
            trait_name: api.trait_name.clone(),
            sources: api.sources.clone(),
            operations: api
                .operations
                .iter()
                .map(|op| OperationView {
                    name: op.name.clone(),
                    client_method: op.names.client_method.clone(),
                    method: op.method.clone(),
                    path: op.path.clone(),
                    full_paths: op.full_paths.clone(),
                    features: api.operation_gate(op).to_vec(),
                    summary: op.summary.as_deref().map(cell),
                    deprecated: op.deprecated,
                    auth: match &op.security {
                        Security::None => "none".into(),
                        Security::Required(schemes) => format!("required ({})", schemes.join(", ")),
                        Security::Optional(schemes) => format!("optional ({})", schemes.join(", ")),
                    },
                    request_type: op.names.request.clone(),
                    body: op.body.as_ref().map(|b| display(ir, &b.ty)),
                    content_types: op
                        .body
                        .as_ref()
                        .map(|b| b.content_types.join(", "))
                        .unwrap_or_default(),
                    parameters: op
                        .parameters
                        .iter()
                        .map(|p| ParameterView {
                            location: match p.location {
                                ParamLocation::Path => "path",
                                ParamLocation::Query => "query",
                                ParamLocation::Header => "header",
                                ParamLocation::Cookie => "cookie",
                            },
                            name: p.name.clone(),
                            ty: display(ir, &p.ty),
                            required: p.required,
                            default: p.default.as_ref().map(|d| d.to_string()),
                        })
                        .collect(),
                    responses: op
                        .responses
                        .iter()
                        .map(|r| ResponseView {
                            status: match r.status {
                                Status::Code(code) => code.to_string(),
                                Status::Range(class) => format!("{class}XX"),
                                Status::Default => "default".into(),
                            },
                            variant: r.variant.clone(),
                            ty: r.ty.as_ref().map(|ty| display(ir, ty)),
                            description: cell(&r.description),
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    render(
        "API.md",
        API_MD,
        minijinja::context! {
            header,
            package => &ir.package,
            dependencies => dependencies(ir),
            description => &ir.description,
            error => &ir.error,
            error_body => &ir.type_def(ir.error.type_id).name,
            apis,
        },
    )
}
