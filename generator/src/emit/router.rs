//! Behind the `server` feature, per API: the axum router that mounts every operation at its
//! full paths, and one handler per operation that runs the transport steps the IR decided
//! (credential, parameters, body), calls the trait and writes the response.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::context::{error_type, parameter_type, request_name, response_name};
use crate::emit::rust_types::{ident, status_code, type_tokens};
use crate::failure::RouterFailure;
use crate::ir::{
    Api, BodyReading, CredentialPlace, Ir, Operation, ParamLocation, Parameter, Security,
    SecuritySchemeKind,
};

/// The router function and one handler per operation.
pub(super) fn router(ir: &Ir, api: &Api) -> TokenStream {
    let trait_ident = ident(&api.trait_name);
    // An operation is served by a handler of its own unless it shares a route: then each
    // set of operations sharing one gets a dispatcher, and each of its operations a parser.
    let shared = shared_operation_sets(api);
    let is_shared = |op: usize| shared.iter().any(|set| set.contains(&op));
    // Methods on one path share one method router.
    let mut paths: Vec<(&str, Vec<TokenStream>)> = Vec::new();
    for route in &api.routes {
        let method = ident(&route.method.to_lowercase());
        let handler = match shared.iter().position(|set| *set == route.operations) {
            Some(index) => {
                let dispatcher = format_ident!("route_{index}");
                quote!(handlers::shared::#dispatcher::<S>)
            }
            None => {
                let handler = ident(&api.operations[route.operations[0]].name);
                quote!(handlers::#handler::<S>)
            }
        };
        let entry = quote!(#method(#handler));
        match paths.iter_mut().find(|(p, _)| *p == route.path) {
            Some((_, methods)) => methods.push(entry),
            None => paths.push((&route.path, vec![entry])),
        }
    }
    let routes = paths.iter().map(|(path, methods)| {
        let first = &methods[0];
        let rest = &methods[1..];
        quote!(.route(#path, ::axum::routing::#first #(.#rest)*))
    });
    let handlers = api.operations.iter().enumerate().map(|(index, op)| {
        if is_shared(index) {
            reader(ir, api, op, Role::Parser)
        } else {
            reader(ir, api, op, Role::Handler)
        }
    });
    let dispatchers = shared
        .iter()
        .enumerate()
        .map(|(index, set)| dispatcher(api, index, set));
    let shared_module = (!shared.is_empty()).then(|| {
        quote! {
            /// Routes that several operations share: each dispatcher's doc says how it
            /// chooses.
            pub(super) mod shared {
                #(#dispatchers)*
            }
        }
    });
    let credential_fns = api.security_schemes.iter().map(|scheme| {
        let fn_ident = ident(&scheme.extractor);
        let variant = ident(&scheme.variant);
        // The places the IR decided, in its order: the runtime refuses a credential found
        // in two of them.
        let places = scheme.places.read.iter().map(|place| match place {
            CredentialPlace::Query(name) => quote!(crate::runtime::Place::Query(#name)),
            CredentialPlace::Header(name) => quote!(crate::runtime::Place::Header(#name)),
            CredentialPlace::Cookie(name) => quote!(crate::runtime::Place::Cookie(#name)),
            CredentialPlace::Authorization(scheme) => {
                quote!(crate::runtime::Place::Authorization(#scheme))
            }
        });
        let extract =
            quote!(crate::runtime::credential(parts, &[#(#places),*]).map_err(credential_failure)?);
        let error = error_type(ir);
        quote! {
            pub(super) fn #fn_ident(
                parts: &::axum::http::request::Parts,
            ) -> ::std::result::Result<::std::option::Option<super::Credential>, #error> {
                ::std::result::Result::Ok(#extract.map(super::Credential::#variant))
            }
        }
    });
    let credential_failure = (!api.security_schemes.is_empty()).then(|| {
        let error = error_type(ir);
        let code_type = ident(&ir.error.code_type_name);
        let own: Vec<TokenStream> = api
            .credential_errors
            .iter()
            .map(|(failure, answer)| {
                let variant = match failure {
                    RouterFailure::MissingCredential => quote!(Missing),
                    RouterFailure::MalformedCredential => quote!(Malformed),
                    _ => quote!(Ambiguous),
                };
                let status = status_code(answer.status);
                let (code, message) = (&answer.code, &answer.message);
                quote! {
                    crate::runtime::CredentialFailure::#variant => {
                        #error::new(#status, crate::types::#code_type::from(#code), #message)
                    }
                }
            })
            .collect();
        let answer = if own.is_empty() {
            quote!(failure.answer())
        } else {
            quote! {
                #[allow(unreachable_patterns)]
                match failure {
                    #(#own)*
                    shared => shared.answer(),
                }
            }
        };
        quote! {
            /// What this API answers to a request whose credential cannot be used.
            fn credential_failure(failure: crate::runtime::CredentialFailure) -> #error {
                #answer
            }
        }
    });
    let doc = format!(
        " An axum router serving every operation of [`{}`] at its full paths, with the \
         transport rules applied: credentials, parsing, error bodies, CORS, body limits.",
        api.trait_name
    );
    quote! {
        #[doc = #doc]
        #[cfg(feature = "server")]
        pub fn router<S: #trait_ident>(server: ::std::sync::Arc<S>) -> ::axum::Router {
            ::axum::Router::new()
                #(#routes)*
                .fallback(crate::runtime::not_found)
                .method_not_allowed_fallback(crate::runtime::method_not_allowed)
                .layer(::axum::middleware::from_fn(crate::runtime::cors))
                .with_state(server)
        }

        #[cfg(feature = "server")]
        mod handlers {
            #credential_failure
            #(#credential_fns)*
            #(#handlers)*
            #shared_module
        }
    }
}

/// The sets of operations that share a route, each in spec order, each once, in the
/// order their routes are mounted.
fn shared_operation_sets(api: &Api) -> Vec<Vec<usize>> {
    let mut sets: Vec<Vec<usize>> = Vec::new();
    let shared_ops: Vec<usize> = api
        .routes
        .iter()
        .filter(|route| route.operations.len() > 1)
        .flat_map(|route| route.operations.iter().copied())
        .collect();
    for route in &api.routes {
        // An operation that shares one of its routes goes through a dispatcher on all of
        // them, so that it has one shape: a parser.
        if route.operations.iter().any(|op| shared_ops.contains(op))
            && !sets.contains(&route.operations)
        {
            sets.push(route.operations.clone());
        }
    }
    sets
}

/// What a handler does before calling the method: the steps that read the request, the
/// request's fields, the private items they use, and the caller argument (if any).
struct Reading {
    steps: Vec<TokenStream>,
    fields: Vec<TokenStream>,
    private_items: Vec<TokenStream>,
    caller: Option<TokenStream>,
    parts_binding: TokenStream,
    body_binding: TokenStream,
}

fn reading(ir: &Ir, api: &Api, op: &Operation) -> Reading {
    let root = quote!(crate);
    let mut steps = Vec::new();
    let mut fields = Vec::new();
    let mut private_items = Vec::new();
    let caller = credential_step(api, op).map(|step| {
        steps.push(step);
        quote!(caller,)
    });
    parameter_steps(ir, api, op, &mut steps, &mut fields, &mut private_items);
    if let Some(step) = body_step(ir, op, &root) {
        steps.push(step);
        fields.push(quote!(body));
    }
    let mutable = op
        .parameters
        .iter()
        .any(|p| p.location == ParamLocation::Path)
        .then(|| quote!(mut));
    let body_binding = if op.body.is_some() {
        quote!(body)
    } else {
        quote!(_body)
    };
    let uses_parts =
        !matches!(op.security, Security::None) || !op.parameters.is_empty() || op.body.is_some();
    let parts_binding = if uses_parts {
        quote!(#mutable parts)
    } else {
        quote!(_parts)
    };
    Reading {
        steps,
        fields,
        private_items,
        caller,
        parts_binding,
        body_binding,
    }
}

/// How an operation's request is read and what then happens to it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The operation's own route: read the request, call the method, write the response.
    Handler,
    /// For an operation on a shared route: read the request as the handler would, and give
    /// it back with the caller (`()` where the operation takes none) instead of calling the
    /// method.
    Parser,
}

/// An operation's handler or parser, as `role` says.
fn reader(ir: &Ir, api: &Api, op: &Operation, role: Role) -> TokenStream {
    let error = error_type(ir);
    let trait_ident = ident(&api.trait_name);
    let name = ident(&op.name);
    let request = request_name(op);
    let Reading {
        steps,
        fields,
        private_items,
        caller,
        parts_binding,
        body_binding,
    } = reading(ir, api, op);
    if role == Role::Parser {
        let caller = caller.map_or(quote!(()), |_| quote!(caller));
        let caller_type = match &op.security {
            Security::None => quote!(()),
            Security::Required(_) => quote!(S::Caller),
            Security::Optional(_) => {
                quote!(::std::option::Option<::std::result::Result<S::Caller, #error>>)
            }
        };
        let server = if matches!(op.security, Security::None) {
            quote!(_server)
        } else {
            quote!(server)
        };
        quote! {
            #(#private_items)*

            pub(super) async fn #name<S: super::#trait_ident>(
                #server: &S,
                #parts_binding: ::axum::http::request::Parts,
                #body_binding: ::axum::body::Body,
            ) -> ::std::result::Result<(#caller_type, super::#request), #error> {
                #(#steps)*
                ::std::result::Result::Ok((#caller, super::#request { #(#fields),* }))
            }
        }
    } else {
        let response = response_name(op);
        let allow_deprecated = op.deprecated.then(|| quote!(#[allow(deprecated)]));
        quote! {
            #(#private_items)*

            pub(super) async fn #name<S: super::#trait_ident>(
                ::axum::extract::State(server): ::axum::extract::State<::std::sync::Arc<S>>,
                request: ::axum::extract::Request,
            ) -> ::axum::response::Response {
                let (#parts_binding, #body_binding) = request.into_parts();
                let result: ::std::result::Result<super::#response, #error> = async {
                    #(#steps)*
                    let request = super::#request { #(#fields),* };
                    #allow_deprecated
                    server.#name(#caller request).await
                }
                .await;
                crate::runtime::respond(result)
            }
        }
    }
}

/// Serves a route that the operations `set` share: reads the body once, then tries each
/// operation's parser in turn and calls the method of the first that succeeds.
fn dispatcher(api: &Api, index: usize, set: &[usize]) -> TokenStream {
    let trait_ident = ident(&api.trait_name);
    let name = format_ident!("route_{index}");
    let count = set.len();
    let carried = set.iter().map(|&op_index| {
        let names = api.operations[op_index]
            .parameters
            .iter()
            .filter(|p| p.location == ParamLocation::Query)
            .map(|p| &p.name);
        quote!(crate::runtime::query_carries(&parts, &[#(#names),*]))
    });
    let attempts = set.iter().enumerate().map(|(i, &op_index)| {
        let op = &api.operations[op_index];
        let name = ident(&op.name);
        let caller = (!matches!(op.security, Security::None)).then(|| quote!(caller,));
        let caller_binding = caller.as_ref().map_or(quote!(_), |_| quote!(caller));
        let allow_deprecated = op.deprecated.then(|| quote!(#[allow(deprecated)]));
        quote! {
            #i => match super::#name(&*server, parts.clone(), ::axum::body::Body::from(body.clone())).await {
                ::std::result::Result::Ok((#caller_binding, request)) => {
                    #allow_deprecated
                    let result = server.#name(#caller request).await;
                    return crate::runtime::respond(result);
                }
                ::std::result::Result::Err(error) => errors[#i] = ::std::option::Option::Some(error),
            },
        }
    });
    let doc = format!(
        " {}: the request goes to the first whose request parses, trying first those whose \
         query parameters it carries most of (spec order among equals); when none parses, the \
         answer is the first one's error.",
        set.iter()
            .map(|&i| format!("`{}`", api.operations[i].name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #[doc = #doc]
        pub(in super::super) async fn #name<S: super::super::#trait_ident>(
            ::axum::extract::State(server): ::axum::extract::State<::std::sync::Arc<S>>,
            request: ::axum::extract::Request,
        ) -> ::axum::response::Response {
            let (parts, body) = request.into_parts();
            let body = match crate::runtime::read_body(&parts, body).await {
                ::std::result::Result::Ok(body) => body,
                ::std::result::Result::Err(error) => return crate::runtime::respond::<()>(::std::result::Result::Err(error)),
            };
            let carried: [usize; #count] = [#(#carried),*];
            let mut order: [usize; #count] = ::std::array::from_fn(|i| i);
            order.sort_by_key(|&i| ::std::cmp::Reverse(carried[i]));
            let mut errors: [::std::option::Option<_>; #count] = ::std::array::from_fn(|_| ::std::option::Option::None);
            for attempt in order {
                match attempt {
                    #(#attempts)*
                    _ => {}
                }
            }
            match errors.into_iter().flatten().next() {
                ::std::option::Option::Some(error) => crate::runtime::respond::<()>(::std::result::Result::Err(error)),
                ::std::option::Option::None => crate::runtime::not_found().await,
            }
        }
    }
}

/// Finds the request's credential, of the first scheme the operation names that the
/// request carries, and has the trait authenticate it.
fn credential_step(api: &Api, op: &Operation) -> Option<TokenStream> {
    let credential = |schemes: &[String]| {
        let calls: Vec<TokenStream> = schemes
            .iter()
            .filter_map(|name| api.security_schemes.iter().find(|s| &s.name == name))
            .map(|scheme| {
                let fn_ident = ident(&scheme.extractor);
                quote!(#fn_ident(&parts)?)
            })
            .collect();
        let (first, rest) = calls
            .split_first()
            .expect("a security requirement names a scheme");
        if rest.is_empty() {
            return first.clone();
        }
        // The first scheme the request carries wins; later extractors do not even look (one
        // could refuse a header the first one took, such as `Authorization` without `Bearer`).
        quote! {{
            let mut credential = #first;
            #(
                if credential.is_none() {
                    credential = #rest;
                }
            )*
            credential
        }}
    };
    match &op.security {
        Security::None => None,
        Security::Required(schemes) => {
            let credential = credential(schemes);
            Some(quote! {
                let credential = #credential
                    .ok_or_else(|| credential_failure(crate::runtime::CredentialFailure::Missing))?;
                let caller = server.authenticate(credential).await?;
            })
        }
        Security::Optional(schemes) => {
            let credential = credential(schemes);
            Some(quote! {
                let credential = #credential;
                let caller = match credential {
                    ::std::option::Option::Some(credential) => {
                        ::std::option::Option::Some(server.authenticate(credential).await)
                    }
                    ::std::option::Option::None => ::std::option::Option::None,
                };
            })
        }
    }
}

/// Parses path, query and header parameters, each into a private struct serde fills:
/// a step per location, a request field per parameter, the structs and their defaults.
fn parameter_steps(
    ir: &Ir,
    api: &Api,
    op: &Operation,
    steps: &mut Vec<TokenStream>,
    fields: &mut Vec<TokenStream>,
    private_items: &mut Vec<TokenStream>,
) {
    let root = quote!(crate);
    for (location, struct_name, binding, call) in [
        (
            ParamLocation::Path,
            &op.names.path_params,
            quote!(path),
            quote!(crate::runtime::path(&mut parts).await?),
        ),
        (
            ParamLocation::Query,
            &op.names.query_params,
            quote!(query),
            quote!(crate::runtime::query(&parts)?),
        ),
        (
            ParamLocation::Header,
            &op.names.header_params,
            quote!(headers),
            quote!(crate::runtime::headers(&parts)?),
        ),
    ] {
        let params: Vec<&Parameter> = op
            .parameters
            .iter()
            .filter(|p| p.location == location && !p.spread)
            .collect();
        if params.is_empty() {
            continue;
        }
        let struct_ident = ident(struct_name);
        let mut struct_fields = Vec::new();
        for parameter in &params {
            let field = ident(&parameter.field);
            let wire = if location == ParamLocation::Header {
                parameter.name.to_lowercase()
            } else {
                parameter.name.clone()
            };
            let (ty, default) = parameter_type(ir, parameter, &root);
            let default_attr = default.map(|expr| {
                let default_fn = ident(&parameter.default_fn);
                let path = &parameter.default_fn;
                private_items.push(quote!(fn #default_fn() -> #ty { #expr }));
                quote!(#[serde(default = #path)])
            });
            struct_fields.push(quote!(#[serde(rename = #wire)] #default_attr #field: #ty,));
            fields.push(quote!(#field: #binding.#field));
        }
        private_items.push(quote! {
            #[derive(::serde::Deserialize)]
            struct #struct_ident { #(#struct_fields)* }
        });
        steps.push(quote!(let #binding: #struct_ident = #call;));
    }
    spread_query_steps(ir, api, op, fields, private_items);
}

/// An object spread over the query takes every pair that no other query parameter (nor a
/// credential the API takes from the query) names.
fn spread_query_steps(
    ir: &Ir,
    api: &Api,
    op: &Operation,
    fields: &mut Vec<TokenStream>,
    private_items: &mut Vec<TokenStream>,
) {
    let keys = api
        .security_schemes
        .iter()
        .filter_map(|scheme| match &scheme.kind {
            SecuritySchemeKind::ApiKey {
                parameter,
                location: ParamLocation::Query,
            } => Some(parameter),
            _ => None,
        });
    let others: Vec<&String> = op
        .parameters
        .iter()
        .filter(|p| p.location == ParamLocation::Query && !p.spread)
        .map(|p| &p.name)
        .chain(keys)
        .collect();
    for parameter in op.parameters.iter().filter(|p| p.spread) {
        let field = ident(&parameter.field);
        let value = quote!(crate::runtime::query_object(&parts, &[#(#others),*])?);
        let (ty, default) = parameter_type(ir, parameter, &quote!(crate));
        let value = match default {
            Some(expr) => {
                let default_fn = ident(&parameter.default_fn);
                private_items.push(quote!(fn #default_fn() -> #ty { #expr }));
                quote!(#value.unwrap_or_else(#default_fn))
            }
            None if parameter.required => {
                let name = &parameter.name;
                quote!(#value.ok_or_else(|| crate::runtime::missing_parameter(#name))?)
            }
            None => value,
        };
        fields.push(quote!(#field: #value));
    }
}

/// Reads the body as the IR's transport says: one schema (JSON, or a form where the
/// operation takes one), or a variant by `Content-Type`; required or optional.
fn body_step(ir: &Ir, op: &Operation, root: &TokenStream) -> Option<TokenStream> {
    let (body, reading) = (op.body.as_ref()?, op.transport.body?);
    let ty = type_tokens(ir, &body.ty, root);
    let error = error_type(ir);
    Some(match reading {
        BodyReading::ByMediaType { required: true } => quote! {
            let body: #ty = #ty::read(&parts, body)
                .await?
                .ok_or_else(|| #error::missing_body(crate::runtime::messages::MISSING_BODY))?;
        },
        BodyReading::ByMediaType { required: false } => {
            quote!(let body: ::std::option::Option<#ty> = #ty::read(&parts, body).await?;)
        }
        BodyReading::Structured {
            required: true,
            form,
        } => quote!(let body: #ty = crate::runtime::body(&parts, body, #form).await?;),
        BodyReading::Structured {
            required: false,
            form,
        } => {
            quote!(let body: ::std::option::Option<#ty> = crate::runtime::optional_body(&parts, body, #form).await?;)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{SPEC, ir_of};

    fn compact(tokens: TokenStream) -> String {
        tokens.to_string().split_whitespace().collect()
    }

    #[test]
    fn credentials_are_read_from_the_places_the_ir_decided_in_its_order() {
        let ir = ir_of(SPEC, "[router]\nbody_limit = 10\nbearer_header = true\n");
        let router = compact(router(&ir, &ir.apis[0]));
        assert!(
            router.contains(
                r#"crate::runtime::credential(parts,&[crate::runtime::Place::Query("access_token"),crate::runtime::Place::Authorization("Bearer")]).map_err(credential_failure)?"#
            ),
            "{router}"
        );
        assert!(
            router.contains("credential_failure(crate::runtime::CredentialFailure::Missing)"),
            "{router}"
        );
        // Without answers of its own, the API gives the shared ones.
        assert!(
            router.contains("->crate::types::ApiError{failure.answer()}"),
            "{router}"
        );
    }

    #[test]
    fn an_api_may_answer_credential_failures_its_own_way() {
        let config = "[api.credential_errors]\nmissing_credential = { status = 401, code = \"M_UNAUTHORIZED\", message = \"Unauthorized\" }\n";
        let ir = ir_of(SPEC, config);
        let router = compact(router(&ir, &ir.apis[0]));
        assert!(
            router.contains(
                r#"crate::runtime::CredentialFailure::Missing=>{crate::types::ApiError::new(::http::StatusCode::UNAUTHORIZED,crate::types::ApiErrorCode::from("M_UNAUTHORIZED"),"Unauthorized")}"#
            ),
            "{router}"
        );
    }

    #[test]
    fn bodies_are_read_as_the_transport_says() {
        let ir = ir_of(SPEC, "");
        let api = &ir.apis[0];
        let login = compact(reader(&ir, api, &api.operations[0], Role::Handler));
        assert!(
            login.contains("crate::runtime::body(&parts,body,false).await?"),
            "{login}"
        );
        assert!(login.contains("server.login(request).await"), "{login}");
        let note = compact(reader(&ir, api, &api.operations[1], Role::Parser));
        assert!(
            note.contains("missing_body(crate::runtime::messages::MISSING_BODY)"),
            "{note}"
        );
        // A parser gives the request back instead of calling the method.
        assert!(!note.contains("server.put_note("), "{note}");
    }
}
