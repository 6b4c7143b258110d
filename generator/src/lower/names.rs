//! The naming pass: every Rust identifier the generated crate uses is decided here, once,
//! after everything is lowered, so the back ends only read names.
//!
//! The other lowering modules leave suggestions (a type's `title`, a property's
//! snake_case...). This pass walks each namespace of the generated code in a fixed order
//! and gives every item a name that is a valid identifier and unique in its namespace:
//!
//! | namespace | holds |
//! | --- | --- |
//! | `types` | every named type and the error code enum |
//! | a struct's fields, an impl's functions | fields and the extra-properties map; `new` and default functions |
//! | an enum's variants | variants and the fallback for unlisted values |
//! | the crate root | one module per API beside `types`, `metadata`, `outgoing` and `runtime` |
//! | an API's module | `Credential`, `Client`, the trait, each operation's request and response |
//! | an API's constants | `OPERATIONS` and one `Metadata` per operation |
//! | an API's trait | `authenticate` and one method per operation |
//! | an API's `Client` | its constructors and accessors, and one method per operation |
//! | an API's `handlers` | handlers, credential extractors, parameter structs, default functions |
//! | a request struct | `body` and one field per parameter |
//! | the examples test | one test per example, beside `round_trip` |
//!
//! Where a suggestion is taken, the one that came first keeps it and later ones get more
//! context (a type its file's stem, a parameter its location), then a number: the same
//! specs always give the same names.

use std::collections::{BTreeMap, HashSet};

use super::case::{is_keyword, pascal_case, snake_case, status_name};
use crate::error::{Error, Result};
use crate::ir::{Api, Field, Ir, Operation, SecuritySchemeKind, TypeDef, TypeKind};

/// Decides every name of `ir` in place.
pub(super) fn decide(ir: &mut Ir) -> Result<()> {
    type_names(ir)?;
    let mut types: HashSet<String> = ir.types.iter().map(|t| t.name.clone()).collect();
    types.insert(ir.error.type_name.clone());
    ir.error.code_type_name = fresh(&types, &format!("{}Code", ir.error.type_name), "Enum");
    let mut codes = HashSet::new();
    for code in &mut ir.error.codes {
        code.name = fresh(&codes, &code.name, "Code");
        codes.insert(code.name.clone());
    }
    ir.error.code_fallback = fallback_name(&codes);
    for (index, def) in ir.types.iter_mut().enumerate() {
        let is_error = index == ir.error.type_id.0;
        members(&mut def.kind, is_error);
    }
    let mut modules: HashSet<String> = [
        "types", "runtime", "metadata", "outgoing", "media", "strings",
    ]
    .map(String::from)
    .into();
    for api in &mut ir.apis {
        api_names(api, &mut modules);
    }
    example_names(ir);
    undecided(ir).map_or(Ok(()), |what| {
        Err(crate::Error::invalid(
            crate::Location::new(ir.config_path.clone(), ""),
            format!("internal error: no name was decided for {what}"),
        ))
    })
}

/// The first name the IR still leaves empty, described; `None` when every one is decided.
/// Lowering fills names with placeholders as it goes and decides them all here, so an IR
/// that leaves this pass has no placeholder left for emit to print.
fn undecided(ir: &Ir) -> Option<String> {
    let mut names: Vec<(String, &str)> = vec![
        ("the error code enum".into(), &ir.error.code_type_name),
        ("the error code fallback".into(), &ir.error.code_fallback),
    ];
    for def in &ir.types {
        let at = |what: &str| format!("{what} of type `{}`", def.name);
        names.push((format!("type #{:?}", def.origins.first()), &def.name));
        match &def.kind {
            TypeKind::Struct {
                fields,
                additional_field,
                ..
            } => {
                names.push((at("the extra-properties field"), additional_field));
                for field in fields {
                    names.push((at(&format!("field `{}`", field.name)), &field.ident));
                }
            }
            TypeKind::Enum {
                variants, fallback, ..
            } => {
                names.push((at("the fallback"), fallback));
                for variant in variants {
                    names.push((at(&format!("value `{}`", variant.value)), &variant.name));
                }
            }
            TypeKind::Union {
                variants, fallback, ..
            } => {
                names.push((at("the fallback"), fallback));
                names.extend(variants.iter().map(|v| (at("a variant"), v.name.as_str())));
            }
            TypeKind::Media { variants } => {
                names.extend(
                    variants
                        .iter()
                        .map(|v| (at(&v.content_type), v.name.as_str())),
                );
            }
            TypeKind::Alias { .. } | TypeKind::Validated { .. } => {}
        }
    }
    for api in &ir.apis {
        names.push((format!("the module of API `{}`", api.name), &api.module));
        names.push((format!("the trait of API `{}`", api.name), &api.trait_name));
        for scheme in &api.security_schemes {
            let at = format!("security scheme `{}`", scheme.name);
            names.push((at.clone(), &scheme.variant));
            names.push((at, &scheme.extractor));
        }
        for op in &api.operations {
            let at = format!("operation `{}`", op.name);
            let n = &op.names;
            for name in [&n.request, &n.response, &n.client_method, &n.metadata] {
                names.push((at.clone(), name));
            }
            for parameter in &op.parameters {
                names.push((
                    format!("parameter `{}` of {at}", parameter.name),
                    &parameter.field,
                ));
            }
            for response in &op.responses {
                names.push((format!("a response of {at}"), &response.variant));
            }
        }
    }
    for example in &ir.examples {
        names.push((
            format!("the example at {}", example.location),
            &example.test_name,
        ));
    }
    names
        .into_iter()
        .find(|(_, name)| name.is_empty())
        .map(|(what, _)| what)
}

/// One name per type. A later type whose suggestion is taken is qualified by its file's
/// stem, then by its directory too, then by where in the file it is (the operation and the
/// path through the schema: `GetDeviceOkUnsigned`, `DeviceKeysSignatures`); past that the
/// config must name it.
fn type_names(ir: &mut Ir) -> Result<()> {
    // The error (status and body) is the config's to name; the body is a type of the table.
    let mut taken: BTreeMap<String, Option<usize>> = BTreeMap::new();
    taken.insert(ir.error.type_name.clone(), None);
    // So are the format newtypes (`[formats]`): their names are taken before any schema's.
    let pinned = |def: &TypeDef| matches!(def.kind, TypeKind::Validated { .. });
    for (index, def) in ir.types.iter().enumerate() {
        if pinned(def) {
            taken.insert(def.name.clone(), Some(index));
        }
    }
    let operations: BTreeMap<(&str, &str), &str> = ir
        .apis
        .iter()
        .flat_map(|api| &api.operations)
        .map(|op| {
            (
                (op.source.file.as_str(), op.source.pointer.as_str()),
                op.name.as_str(),
            )
        })
        .collect();
    let mut names = Vec::with_capacity(ir.types.len());
    for (index, def) in ir.types.iter().enumerate() {
        if pinned(def) {
            names.push(def.name.clone());
            continue;
        }
        let origin = &def.origins[0];
        let mut dirs = origin.file.rsplit('/');
        let stem = dirs.next().unwrap_or(&origin.file);
        let stem = stem.split('.').next().unwrap_or(stem);
        let dir = dirs.next().unwrap_or_default();
        let words = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                pascal_case(s)
            }
        };
        let (stem, dir) = (words(stem), words(dir));
        let mut place = place_words(&origin.file, &origin.pointer, &operations);
        if !place.ends_with(&def.name) {
            place.push_str(&def.name);
        }
        let candidates = [
            def.name.clone(),
            format!("{stem}{}", def.name),
            format!("{dir}{stem}{}", def.name),
            place.clone(),
            format!("{stem}{place}"),
        ];
        let free = candidates.iter().find(|c| {
            c.starts_with(|first: char| first.is_ascii_alphabetic())
                && !is_keyword(c)
                && !taken.contains_key(*c)
        });
        let Some(name) = free.cloned() else {
            let first = match taken.get(&def.name) {
                Some(Some(i)) => ir.types[*i].origins[0].to_string(),
                Some(None) => "the configured error type".into(),
                None => "a Rust keyword".into(),
            };
            return Err(Error::invalid(
                origin.clone(),
                format!(
                    "two different schemas want the type name `{}` (the other is at {first}; also tried {}); \
                     name one in the config's [type_names]",
                    def.name,
                    candidates[1..]
                        .iter()
                        .map(|c| format!("`{c}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        taken.insert(name.clone(), Some(index));
        names.push(name);
    }
    for (def, name) in ir.types.iter_mut().zip(names) {
        def.name = name;
    }
    Ok(())
}

/// Where in its file a schema is, in words: the operation it belongs to, then each step of
/// the way into it that says something (a status, a property, `Item` for a list's items,
/// `Value` for a map's values); structural steps (`schema`, `content`, a media type,
/// `properties`, `allOf`) say nothing.
fn place_words(file: &str, pointer: &str, operations: &BTreeMap<(&str, &str), &str>) -> String {
    let tokens = crate::pointer::tokens(pointer).unwrap_or_default();
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let mut words = String::new();
    let mut rest = tokens.as_slice();
    if let ["paths", path, method, inside @ ..] = tokens.as_slice() {
        let at = crate::pointer::push(&crate::pointer::push("/paths", path), method);
        match operations.get(&(file, at.as_str())) {
            Some(name) => words.push_str(&pascal_case(name)),
            None => words.push_str(&pascal_case(&format!("{method} {path}"))),
        }
        rest = inside;
    }
    let mut previous = "";
    for token in rest {
        let word = match (previous, *token) {
            ("responses", status) => status
                .parse::<u16>()
                .map(|code| status_name(crate::ir::Status::Code(code)))
                .unwrap_or_else(|_| pascal_case(status)),
            ("content", _) | ("allOf" | "oneOf" | "anyOf", _) => String::new(),
            (_, "items") => "Item".into(),
            (_, "additionalProperties") => "Value".into(),
            (_, "requestBody") => "Request".into(),
            (
                _,
                "schema" | "content" | "properties" | "responses" | "allOf" | "oneOf" | "anyOf"
                | "definitions" | "components" | "schemas",
            ) => String::new(),
            (_, other) => pascal_case(other),
        };
        words.push_str(&word);
        previous = token;
    }
    words
}

/// Fields, variants and helper functions inside one type.
fn members(kind: &mut TypeKind, is_error: bool) {
    match kind {
        TypeKind::Struct {
            fields,
            additional_field,
            ..
        } => {
            // The error type carries its HTTP status and a map of further properties.
            let reserved: &[&str] = if is_error { &["status", "extra"] } else { &[] };
            let mut idents: HashSet<String> = reserved.iter().map(|s| s.to_string()).collect();
            for field in fields.iter_mut() {
                field.ident = unique_snake(&idents, &field.ident);
                idents.insert(field.ident.clone());
            }
            *additional_field = unique_snake(&idents, "additional_properties");
            default_fns(fields);
        }
        TypeKind::Enum {
            variants, fallback, ..
        } => {
            let mut taken = HashSet::new();
            for variant in variants.iter_mut() {
                variant.name = fresh(&taken, &variant.name, "Value");
                taken.insert(variant.name.clone());
            }
            *fallback = fallback_name(&taken);
        }
        TypeKind::Union {
            variants, fallback, ..
        } => {
            let mut taken = HashSet::new();
            for variant in variants.iter_mut() {
                variant.name = fresh(&taken, &variant.name, "");
                taken.insert(variant.name.clone());
            }
            *fallback = fallback_name(&taken);
        }
        TypeKind::Media { variants } => {
            let mut taken = HashSet::new();
            for variant in variants.iter_mut() {
                variant.name = fresh(&taken, &variant.name, "Media");
                taken.insert(variant.name.clone());
            }
        }
        TypeKind::Alias { .. } | TypeKind::Validated { .. } => {}
    }
}

/// The functions giving fields their defaults, beside `new` in the struct's impl.
fn default_fns(fields: &mut [Field]) {
    let mut taken: HashSet<String> = ["new".to_owned()].into();
    for field in fields {
        let short = format!("default_{}", field.ident.trim_end_matches('_'));
        field.default_fn = unique_snake(&taken, &short);
        taken.insert(field.default_fn.clone());
    }
}

/// The name of an enum's fallback variant: `Other`, unless the spec took it.
fn fallback_name(taken: &HashSet<String>) -> String {
    let mut name = ["Other", "Unlisted", "Custom"]
        .into_iter()
        .find(|candidate| !taken.contains(*candidate))
        .unwrap_or("UnlistedValue")
        .to_owned();
    while taken.contains(&name) {
        name.push_str("Value");
    }
    name
}

/// The methods every API's `Client` has besides one per operation.
const CLIENT_METHODS: &[&str] = &[
    "new",
    "with_http",
    "with_credential",
    "set_credential",
    "endpoint",
];

fn api_names(api: &mut Api, modules: &mut HashSet<String>) {
    let module = snake_case(&api.name);
    api.module = if modules.contains(&module) {
        unique_snake(modules, &format!("{}_api", module.trim_end_matches('_')))
    } else {
        module
    };
    modules.insert(api.module.clone());
    api.trait_name = format!("{}Api", pascal_case(&api.name));

    let mut module_items: HashSet<String> = [
        "Credential".to_owned(),
        "Client".to_owned(),
        api.trait_name.clone(),
    ]
    .into();
    let mut client_methods: HashSet<String> =
        CLIENT_METHODS.iter().map(|m| (*m).to_owned()).collect();
    let mut constants: HashSet<String> = ["OPERATIONS".to_owned()].into();
    let mut handlers: HashSet<String> = HashSet::new();
    let mut methods: HashSet<String> = HashSet::new();
    if !api.security_schemes.is_empty() {
        methods.insert("authenticate".into());
    }
    for op in &mut api.operations {
        // Operation names are unique already; only `authenticate` can be taken.
        if methods.contains(&op.name) {
            let wanted = format!("{}_operation", op.name.trim_end_matches('_'));
            op.name = unique_snake(&methods, &wanted);
        }
        methods.insert(op.name.clone());
        handlers.insert(op.name.clone());
        op.names.client_method = if client_methods.contains(&op.name) {
            let wanted = format!("{}_operation", op.name.trim_end_matches('_'));
            unique_snake(&client_methods, &wanted)
        } else {
            op.name.clone()
        };
        client_methods.insert(op.names.client_method.clone());
        operation_types(op, &mut module_items);
        let constant = op.name.trim_end_matches('_').to_uppercase();
        op.names.metadata = unique_snake(&constants, &constant);
        constants.insert(op.names.metadata.clone());
    }
    let mut variants = HashSet::new();
    for scheme in &mut api.security_schemes {
        let suggestion = pascal_case(&scheme.name);
        let context = match &scheme.kind {
            SecuritySchemeKind::ApiKey { location, .. } => pascal_case(&format!("{location:?}")),
            SecuritySchemeKind::Http { scheme } => pascal_case(scheme),
            SecuritySchemeKind::OAuth2 => "OAuth2".into(),
            SecuritySchemeKind::OpenIdConnect => "OpenIdConnect".into(),
        };
        scheme.variant = fresh(&variants, &suggestion, &context);
        variants.insert(scheme.variant.clone());
        let extractor = format!(
            "credential_{}",
            snake_case(&scheme.name).trim_end_matches('_')
        );
        scheme.extractor = unique_snake(&handlers, &extractor);
        handlers.insert(scheme.extractor.clone());
    }
    for op in &mut api.operations {
        request_fields(op, &mut handlers);
    }
}

/// An operation's request and response types (in the API's module), from the PascalCase of
/// its method name.
fn operation_types(op: &mut Operation, module_items: &mut HashSet<String>) {
    let prefix = pascal_case(&op.name);
    let mut number = 1;
    let prefixed = |number: usize, suffix: &str| match number {
        1 => format!("{prefix}{suffix}"),
        n => format!("{prefix}{n}{suffix}"),
    };
    while module_items.contains(&prefixed(number, "Request"))
        || module_items.contains(&prefixed(number, "Response"))
    {
        number += 1;
    }
    let names = &mut op.names;
    names.request = prefixed(number, "Request");
    names.response = prefixed(number, "Response");
    module_items.extend([names.request.clone(), names.response.clone()]);
    let mut variants = HashSet::new();
    for response in &mut op.responses {
        response.variant = fresh(&variants, &status_name(response.status), "");
        variants.insert(response.variant.clone());
    }
}

/// The request struct's fields: `body` keeps its name; a parameter whose name is taken gets
/// its location (`body_query`, `user_id_path`).
fn request_fields(op: &mut Operation, handlers: &mut HashSet<String>) {
    let mut fields: HashSet<String> = HashSet::new();
    if op.body.is_some() {
        fields.insert("body".into());
    }
    for parameter in &mut op.parameters {
        let suggestion = snake_case(&parameter.name);
        parameter.field = if fields.contains(&suggestion) {
            let location = format!("{:?}", parameter.location).to_lowercase();
            unique_snake(
                &fields,
                &format!("{}_{location}", suggestion.trim_end_matches('_')),
            )
        } else {
            suggestion
        };
        fields.insert(parameter.field.clone());
        let default_fn = format!(
            "{}_{}_default",
            op.name,
            parameter.field.trim_end_matches('_')
        );
        parameter.default_fn = unique_snake(handlers, &default_fn);
        handlers.insert(parameter.default_fn.clone());
    }
}

/// One test function per example: its file's stem and pointer.
fn example_names(ir: &mut Ir) {
    let mut taken: HashSet<String> = ["round_trip".to_owned()].into();
    for example in &mut ir.examples {
        let file = &example.location.file;
        let stem = file.rsplit('/').next().unwrap_or(file);
        let stem = stem.trim_end_matches(".yaml");
        let name = snake_case(&format!("{stem} {}", example.location.pointer));
        example.test_name = unique_snake(&taken, &name);
        taken.insert(example.test_name.clone());
    }
}

/// `name`, with `_` appended until it is free.
fn unique_snake(taken: &HashSet<String>, name: &str) -> String {
    let mut name = name.to_owned();
    while taken.contains(&name) {
        name.push('_');
    }
    name
}

/// A PascalCase `name` that is free and no keyword: as it is, then with `context`
/// appended, then numbered.
fn fresh(taken: &HashSet<String>, name: &str, context: &str) -> String {
    let free = |candidate: &str| !taken.contains(candidate) && !is_keyword(candidate);
    if free(name) {
        return name.to_owned();
    }
    let with_context = format!("{name}{context}");
    if free(&with_context) {
        return with_context;
    }
    let mut n = 2;
    loop {
        let numbered = format!("{with_context}{n}");
        if free(&numbered) {
            return numbered;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallback_variant_never_takes_a_spec_name() {
        let taken = |names: &[&str]| names.iter().map(|s| s.to_string()).collect();
        assert_eq!(fallback_name(&taken(&[])), "Other");
        assert_eq!(fallback_name(&taken(&["Other"])), "Unlisted");
        let all = taken(&["Other", "Unlisted", "Custom", "UnlistedValue"]);
        assert_eq!(fallback_name(&all), "UnlistedValueValue");
    }

    #[test]
    fn taken_and_reserved_names_get_context_then_a_number() {
        let taken: HashSet<String> = ["ApiKey".to_owned(), "ApiKeyQuery".to_owned()].into();
        assert_eq!(fresh(&taken, "Token", "Query"), "Token");
        assert_eq!(fresh(&taken, "ApiKey", "Header"), "ApiKeyHeader");
        assert_eq!(fresh(&taken, "ApiKey", "Query"), "ApiKeyQuery2");
        assert_eq!(fresh(&taken, "Self", "Value"), "SelfValue");
        assert_eq!(unique_snake(&["body".to_owned()].into(), "body"), "body_");
    }
}
