//! Per API: behind the `server` feature, per operation an impl of the runtime's `Operation`
//! on its request type: the transport steps the IR decided (credential, parameters, body)
//! and the trait method that answers, in the API's `handlers` module (`src/<api>/handlers.rs`,
//! an operation a part, so that no part to print is the whole API); behind the `axum`
//! feature, the axum router that mounts every operation at its full paths. One generic
//! handler (`runtime::routing::handle`) runs an operation's steps for every operation.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::emit::context::{error_type, parameter_type, request_name, response_name};
use crate::emit::part::{Part, gate};
use crate::emit::rust_types::{ident, status_code, type_tokens};
use crate::failure::RouterFailure;
use crate::ir::{
    Api, BodyReading, CredentialPlace, Ir, Operation, ParamLocation, Parameter, Security,
    SecuritySchemeKind,
};

/// The router function, and the declaration of the module of the server half's steps: a
/// file of its own, made of `handler_parts`.
pub(super) fn router(api: &Api) -> TokenStream {
    let trait_ident = ident(&api.trait_name);
    // An operation is served by the generic handler unless it shares a route: then each set
    // of operations sharing one gets a dispatcher, which tries them in turn.
    let shared = shared_operation_sets(api);
    // Methods on one path share one method router (axum merges those of one path mounted
    // apart, as the methods of different features are).
    let mut paths: Vec<(&str, Vec<String>, Vec<TokenStream>)> = Vec::new();
    for route in &api.routes {
        let method = ident(&route.method.to_lowercase());
        let handler = match shared.iter().position(|set| *set == route.operations) {
            Some(index) => {
                let dispatcher = format_ident!("route_{index}");
                quote!(handlers::shared::#dispatcher::<S>)
            }
            None => {
                let request = request_name(&api.operations[route.operations[0]]);
                quote!(crate::runtime::routing::handle::<S, #request>)
            }
        };
        let entry = quote!(#method(#handler));
        let gate = api.operations_gate(route.operations.iter().map(|&i| &api.operations[i]));
        match paths
            .iter_mut()
            .find(|(p, g, _)| *p == route.path && *g == gate)
        {
            Some((_, _, methods)) => methods.push(entry),
            None => paths.push((&route.path, gate, vec![entry])),
        }
    }
    let route = |path: &str, methods: &[TokenStream]| {
        let first = &methods[0];
        let rest = &methods[1..];
        quote!(.route(#path, ::axum::routing::#first #(.#rest)*))
    };
    let routes = paths
        .iter()
        .filter(|(_, gate, _)| gate.is_empty())
        .map(|(path, _, methods)| route(path, methods));
    // Routes that only some features build are mounted a statement each.
    let gated_routes: Vec<TokenStream> = paths
        .iter()
        .filter(|(_, gate, _)| !gate.is_empty())
        .map(|(path, features, methods)| {
            let gate = gate(features);
            let route = route(path, methods);
            quote!(#gate let router = router #route;)
        })
        .collect();
    let router = match gated_routes.is_empty() {
        true => quote!(::axum::Router::new() #(#routes)*),
        false => quote! {{
            let router = ::axum::Router::new() #(#routes)*;
            #(#gated_routes)*
            router
        }},
    };
    let doc = format!(
        " An axum router serving every operation of [`{}`] at its full paths, with the \
         transport rules applied: credentials, parsing, error bodies, CORS, body limits.",
        api.trait_name
    );
    quote! {
        #[doc = #doc]
        #[cfg(feature = "axum")]
        pub fn router<S: #trait_ident>(server: ::std::sync::Arc<S>) -> ::axum::Router {
            #router
                .fallback(crate::runtime::routing::not_found)
                .method_not_allowed_fallback(crate::runtime::routing::method_not_allowed)
                .layer(::axum::middleware::from_fn(crate::runtime::routing::cors))
                .with_state(server)
        }

        #[cfg(feature = "server")]
        #[rustfmt::skip]
        mod handlers;
    }
}

/// The module of the server half's steps, as parts of its file: how credentials are found
/// and checked, each operation's `runtime::Operation` impl (a part each, so that no part
/// is the whole API), and the dispatchers of the routes that operations share.
pub(super) fn handler_parts<'a>(ir: &'a Ir, api: &'a Api) -> Vec<Part<'a>> {
    let shared = shared_operation_sets(api);
    let dispatchers = (!shared.is_empty()).then(|| Part::rust(move || shared_module(api, &shared)));
    let head = Part::rust(move || {
        let doc = format!(
            " The server half's steps for the {}: each request type's \
             [`Operation`](crate::runtime::Operation) impl (authenticate, read, call), and \
             the credential extractors and authenticators they share.",
            api.title
        );
        let credentials = credentials(ir, api);
        quote!(#![doc = #doc] #credentials)
    });
    std::iter::once(head)
        .chain(api.operations.iter().map(|op| {
            Part::gated(api.operation_gate(op).to_vec(), move || {
                Ok(operation_impl(ir, api, op))
            })
        }))
        .chain(dispatchers)
        .collect()
}

/// How the API's credentials are found and checked: an extractor per scheme, what a
/// credential that cannot be used is answered, and the authenticators the operations
/// call.
fn credentials(ir: &Ir, api: &Api) -> TokenStream {
    let credential_fns = api.security_schemes.iter().map(|scheme| {
        let fn_ident = ident(&scheme.extractor);
        let gate = gate_of_users(api, |op| schemes(&op.security).contains(&scheme.name));
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
            #gate
            pub(super) fn #fn_ident(
                parts: &::http::request::Parts,
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
        let gate = gate_of_users(api, |op| !schemes(&op.security).is_empty());
        quote! {
            /// What this API answers to a request whose credential cannot be used.
            #gate
            fn credential_failure(failure: crate::runtime::CredentialFailure) -> #error {
                #answer
            }
        }
    });
    let authenticators = authenticators(ir, api);
    quote! {
        #credential_failure
        #(#credential_fns)*
        #authenticators
    }
}

/// The module of the dispatchers of the routes that operations share (`shared`, the sets).
fn shared_module(api: &Api, shared: &[Vec<usize>]) -> TokenStream {
    let dispatchers = shared
        .iter()
        .enumerate()
        .map(|(index, set)| dispatcher(api, index, set));
    quote! {
        /// Routes that several operations share: each dispatcher's doc says how it
        /// chooses.
        #[cfg(feature = "axum")]
        pub(super) mod shared {
            #(#dispatchers)*
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

/// The request type's impl of the runtime's `Operation`: how its caller is authenticated,
/// how it is read (its private parameter structs beside it), which method answers it.
fn operation_impl(ir: &Ir, api: &Api, op: &Operation) -> TokenStream {
    let error = error_type(ir);
    let trait_ident = ident(&api.trait_name);
    let name = ident(&op.name);
    let request = request_name(op);
    let response = response_name(op);
    let mut steps = Vec::new();
    let mut fields = Vec::new();
    let mut private_items = Vec::new();
    parameter_steps(ir, api, op, &mut steps, &mut fields, &mut private_items);
    if let Some(step) = body_step(ir, op, &quote!(crate)) {
        steps.push(step);
        fields.push(quote!(body));
    }
    let has_path = op
        .parameters
        .iter()
        .any(|p| p.location == ParamLocation::Path && !p.spread);
    let has_body = op.body.is_some();
    let uses = |used: bool, name: TokenStream| {
        if used {
            name
        } else {
            let name = format_ident!("_{}", name.to_string());
            quote!(#name)
        }
    };
    let uses_parts = has_body
        || op
            .parameters
            .iter()
            .any(|p| p.location != ParamLocation::Path || p.spread);
    let parts = uses(uses_parts, quote!(parts));
    let path = uses(has_path, quote!(path));
    let body = uses(has_body, quote!(body));
    let (caller_type, authenticate, call) = match &op.security {
        Security::None => (
            quote!(()),
            quote!(::std::future::ready(::std::result::Result::Ok(()))),
            quote!(server.#name(request)),
        ),
        Security::Required(schemes) => {
            let credential = credential(api, schemes);
            (
                quote!(S::Caller),
                quote!(required(server, #credential)),
                quote!(server.#name(caller, request)),
            )
        }
        Security::Optional(schemes) => {
            let credential = credential(api, schemes);
            (
                quote!(::std::option::Option<::std::result::Result<S::Caller, #error>>),
                quote!(optional(server, #credential)),
                quote!(server.#name(caller, request)),
            )
        }
    };
    let (caller, server_for_auth, auth_parts) = match op.security {
        Security::None => (quote!(_caller), quote!(_server), quote!(_parts)),
        _ => (quote!(caller), quote!(server), quote!(parts)),
    };
    let allow_deprecated = op.deprecated.then(|| quote!(#[allow(deprecated)]));
    quote! {
        #(#private_items)*

        impl<S: super::#trait_ident> crate::runtime::Operation<S> for super::#request {
            const PATH: bool = #has_path;
            const BODY: bool = #has_body;
            type Caller = #caller_type;
            type Response = super::#response;

            fn authenticate(
                #server_for_auth: &S,
                #auth_parts: &::http::request::Parts,
            ) -> impl ::std::future::Future<Output = ::std::result::Result<Self::Caller, #error>> + ::std::marker::Send {
                #authenticate
            }

            fn read(
                #parts: &::http::request::Parts,
                #path: &[(::std::string::String, ::std::string::String)],
                #body: &[u8],
            ) -> ::std::result::Result<Self, #error> {
                #(#steps)*
                ::std::result::Result::Ok(super::#request { #(#fields),* })
            }

            #allow_deprecated
            fn call(
                server: &S,
                #caller: Self::Caller,
                request: Self,
            ) -> impl ::std::future::Future<Output = ::std::result::Result<super::#response, #error>> + ::std::marker::Send {
                #call
            }
        }
    }
}

/// Serves a route that the operations `set` share: reads the body once, then tries each
/// operation in turn (authenticate, read) and calls the method of the first whose request
/// reads.
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
        let request = request_name(&api.operations[op_index]);
        quote! {
            #i => {
                type Op = super::super::#request;
                let read = <Op as crate::runtime::Operation<S>>::authenticate(&server, &parts)
                    .await
                    .and_then(|caller| {
                        <Op as crate::runtime::Operation<S>>::read(&parts, &path, &body)
                            .map(|request| (caller, request))
                    });
                match read {
                    ::std::result::Result::Ok((caller, request)) => {
                        let result = <Op as crate::runtime::Operation<S>>::call(&server, caller, request).await;
                        return crate::runtime::routing::into_axum(crate::runtime::respond(result));
                    }
                    ::std::result::Result::Err(error) => errors[#i] = ::std::option::Option::Some(error),
                }
            }
        }
    });
    let doc = format!(
        " {}: the request goes to the first whose request reads, trying first those whose \
         query parameters it carries most of (spec order among equals); when none reads, the \
         answer is the first one's error.",
        set.iter()
            .map(|&i| format!("`{}`", api.operations[i].name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let gate = gate(api.operation_gate(&api.operations[set[0]]));
    quote! {
        #[doc = #doc]
        #gate
        pub(in super::super) async fn #name<S: super::super::#trait_ident>(
            ::axum::extract::State(server): ::axum::extract::State<::std::sync::Arc<S>>,
            request: ::axum::extract::Request,
        ) -> ::axum::response::Response {
            let (mut parts, body) = request.into_parts();
            let read = async {
                let path = crate::runtime::routing::path_parameters(&mut parts).await?;
                let body = crate::runtime::routing::read_body(&parts, body).await?;
                ::std::result::Result::Ok::<_, crate::runtime::Error>((path, body))
            }
            .await;
            let (path, body) = match read {
                ::std::result::Result::Ok(read) => read,
                ::std::result::Result::Err(error) => return ::axum::response::IntoResponse::into_response(error),
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
                ::std::option::Option::Some(error) => ::axum::response::IntoResponse::into_response(error),
                ::std::option::Option::None => crate::runtime::routing::not_found().await,
            }
        }
    }
}

/// The request's credential, of the first of `schemes` that the request carries: an
/// expression of `Result<Option<Credential>, Error>` over `parts`.
fn credential(api: &Api, schemes: &[String]) -> TokenStream {
    let extractors: Vec<TokenStream> = schemes
        .iter()
        .filter_map(|name| api.security_schemes.iter().find(|s| &s.name == name))
        .map(|scheme| {
            let fn_ident = ident(&scheme.extractor);
            quote!(#fn_ident)
        })
        .collect();
    match extractors.as_slice() {
        [only] => quote!(#only(parts)),
        // The first scheme the request carries wins; later extractors do not even look (one
        // could refuse a header the first one took, such as `Authorization` without `Bearer`).
        several => quote!(first_credential(parts, &[#(#several),*])),
    }
}

/// The API's authentication steps that its operations use: `required` (a missing credential
/// is refused), `optional` (the verdict on a credential, if one came), and `first_credential`
/// for an operation that takes several schemes.
fn authenticators(ir: &Ir, api: &Api) -> TokenStream {
    let error = error_type(ir);
    let trait_ident = ident(&api.trait_name);
    // Each step is there where an operation uses it, and builds with those operations.
    let users = |wanted: fn(&Security) -> bool| {
        let uses = move |op: &Operation| wanted(&op.security);
        api.operations
            .iter()
            .any(uses)
            .then(|| gate_of_users(api, uses))
    };
    let required = users(|s| matches!(s, Security::Required(_))).map(|gate| {
        quote! {
            #gate
            async fn required<S: super::#trait_ident>(
                server: &S,
                credential: ::std::result::Result<::std::option::Option<super::Credential>, #error>,
            ) -> ::std::result::Result<S::Caller, #error> {
                let credential = credential?
                    .ok_or_else(|| credential_failure(crate::runtime::CredentialFailure::Missing))?;
                server.authenticate(credential).await
            }
        }
    });
    let optional = users(|s| matches!(s, Security::Optional(_))).map(|gate| {
        quote! {
            #gate
            async fn optional<S: super::#trait_ident>(
                server: &S,
                credential: ::std::result::Result<::std::option::Option<super::Credential>, #error>,
            ) -> ::std::result::Result<::std::option::Option<::std::result::Result<S::Caller, #error>>, #error> {
                ::std::result::Result::Ok(match credential? {
                    ::std::option::Option::Some(credential) => {
                        ::std::option::Option::Some(server.authenticate(credential).await)
                    }
                    ::std::option::Option::None => ::std::option::Option::None,
                })
            }
        }
    });
    let first = users(|s| schemes(s).len() > 1).map(|gate| {
        quote! {
            /// A credential extractor: the request's credential of one scheme, if it carries one.
            #gate
            type Extractor = fn(&::http::request::Parts) -> ::std::result::Result<::std::option::Option<super::Credential>, #error>;

            /// The credential of the first extractor that finds one.
            #gate
            fn first_credential(
                parts: &::http::request::Parts,
                extractors: &[Extractor],
            ) -> ::std::result::Result<::std::option::Option<super::Credential>, #error> {
                for extractor in extractors {
                    if let ::std::option::Option::Some(credential) = extractor(parts)? {
                        return ::std::result::Result::Ok(::std::option::Option::Some(credential));
                    }
                }
                ::std::result::Result::Ok(::std::option::Option::None)
            }
        }
    });
    quote!(#required #optional #first)
}

/// Reads path, query and header parameters, each with the runtime's one generic reader
/// (`runtime::parameter::<T>`) over its location's decoded pairs: a step per parameter, in
/// the order of the locations (path, query, headers) and then of the spec, a request field
/// per parameter, and the functions of their defaults. The steps run in `Operation::read`,
/// over `parts` and the route's `path` parameters.
fn parameter_steps(
    ir: &Ir,
    api: &Api,
    op: &Operation,
    steps: &mut Vec<TokenStream>,
    fields: &mut Vec<TokenStream>,
    private_items: &mut Vec<TokenStream>,
) {
    let root = quote!(crate);
    for (location, pairs) in [
        (ParamLocation::Path, None),
        (
            ParamLocation::Query,
            Some((quote!(query), quote!(crate::runtime::query_pairs(parts)))),
        ),
        (
            ParamLocation::Header,
            Some((quote!(headers), quote!(crate::runtime::header_pairs(parts)))),
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
        let binding = match pairs {
            Some((binding, read)) => {
                steps.push(quote!(let #binding = #read;));
                quote!(&#binding)
            }
            None => quote!(path),
        };
        for parameter in &params {
            let field = ident(&parameter.field);
            // Numbered, so that no two parameters' locals, and none and `parts`, `path` or
            // `body`, share a name.
            let local = format_ident!("parameter_{}", fields.len());
            let wire = if location == ParamLocation::Header {
                parameter.name.to_lowercase()
            } else {
                parameter.name.clone()
            };
            let (ty, default) = parameter_type(ir, parameter, &root);
            let read = quote!(crate::runtime::parameter::<#ty>(#binding, #wire)?);
            let value = match default {
                Some(expr) => {
                    let default_fn = ident(&parameter.default_fn);
                    private_items.push(quote!(fn #default_fn() -> #ty { #expr }));
                    quote!(#read.unwrap_or_else(#default_fn))
                }
                None if parameter.required => {
                    quote!(#read.ok_or_else(|| crate::runtime::missing_parameter(#wire))?)
                }
                // An `Option`, which an empty value leaves `None` too.
                None => quote!(#read.flatten()),
            };
            steps.push(quote!(let #local: #ty = #value;));
            fields.push(quote!(#field: #local));
        }
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
        let value = quote!(crate::runtime::query_object(parts, &[#(#others),*])?);
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
            let body: #ty = #ty::read(parts, body)?
                .ok_or_else(|| #error::missing_body(crate::runtime::messages::MISSING_BODY))?;
        },
        BodyReading::ByMediaType { required: false } => {
            quote!(let body: ::std::option::Option<#ty> = #ty::read(parts, body)?;)
        }
        BodyReading::Structured {
            required: true,
            form,
        } => quote!(let body: #ty = crate::runtime::body(parts, body, #form)?;),
        BodyReading::Structured {
            required: false,
            form,
        } => {
            quote!(let body: ::std::option::Option<#ty> = crate::runtime::optional_body(parts, body, #form)?;)
        }
    })
}

/// The attribute that builds an item of the API's server half with the operations that
/// use it (`uses`): none, unless the API has a feature per tag.
fn gate_of_users(api: &Api, uses: impl Fn(&Operation) -> bool) -> Option<TokenStream> {
    gate(&api.operations_gate(api.operations.iter().filter(|op| uses(op))))
}

/// The schemes one of which a request may carry its credential in.
fn schemes(security: &Security) -> &[String] {
    match security {
        Security::None => &[],
        Security::Required(schemes) | Security::Optional(schemes) => schemes,
    }
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
        let credentials = compact(credentials(&ir, &ir.apis[0]));
        assert!(
            credentials.contains(
                r#"crate::runtime::credential(parts,&[crate::runtime::Place::Query("access_token"),crate::runtime::Place::Authorization("Bearer")]).map_err(credential_failure)?"#
            ),
            "{credentials}"
        );
        assert!(
            credentials.contains("credential_failure(crate::runtime::CredentialFailure::Missing)"),
            "{credentials}"
        );
        // Without answers of its own, the API gives the shared ones.
        assert!(
            credentials.contains("->crate::types::ApiError{failure.answer()}"),
            "{credentials}"
        );
    }

    #[test]
    fn an_api_may_answer_credential_failures_its_own_way() {
        let config = "[api.credential_errors]\nmissing_credential = { status = 401, code = \"M_UNAUTHORIZED\", message = \"Unauthorized\" }\n";
        let ir = ir_of(SPEC, config);
        let credentials = compact(credentials(&ir, &ir.apis[0]));
        assert!(
            credentials.contains(
                r#"crate::runtime::CredentialFailure::Missing=>{crate::types::ApiError::new(::http::StatusCode::UNAUTHORIZED,crate::types::ApiErrorCode::from("M_UNAUTHORIZED"),"Unauthorized")}"#
            ),
            "{credentials}"
        );
    }

    #[test]
    fn bodies_are_read_as_the_transport_says() {
        let ir = ir_of(SPEC, "");
        let api = &ir.apis[0];
        let login = compact(operation_impl(&ir, api, &api.operations[0]));
        assert!(
            login.contains("crate::runtime::body(parts,body,false)?"),
            "{login}"
        );
        assert!(login.contains("constBODY:bool=true;"), "{login}");
        assert!(login.contains("server.login(request)"), "{login}");
        let note = compact(operation_impl(&ir, api, &api.operations[1]));
        assert!(
            note.contains("missing_body(crate::runtime::messages::MISSING_BODY)"),
            "{note}"
        );
    }

    #[test]
    fn every_operation_is_served_by_the_generic_handler_over_its_request_type() {
        let ir = ir_of(SPEC, "");
        let api = &ir.apis[0];
        let router = compact(router(api));
        assert!(
            router.contains("crate::runtime::routing::handle::<S,LoginRequest>"),
            "{router}"
        );
        // No operation has an async handler of its own: its steps are plain functions.
        let handlers: String = handler_parts(&ir, api)
            .iter()
            .map(|part| part.render("handlers.rs").unwrap())
            .collect();
        assert!(!handlers.contains("async fn login"), "{handlers}");
        assert!(handlers.contains("for super::LoginRequest"), "{handlers}");
        let login = compact(operation_impl(&ir, api, &api.operations[0]));
        assert!(
            login.contains(
                "impl<S:super::TestApi>crate::runtime::Operation<S>forsuper::LoginRequest"
            ),
            "{login}"
        );
    }
}
