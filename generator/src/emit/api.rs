//! One module per API: a request type and a response enum per operation, the server trait,
//! the client half, and behind `axum` the router; behind the `server` feature, each
//! operation's steps are in the API's `handlers` module, a file of its own
//! (`router::handler_parts`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::context::{
    error_type, parameter_type, request_name, response_name, routes_doc, status_arms,
};
use crate::emit::docs::{doc_attrs, doc_paragraphs};
use crate::emit::part::{Part, gate};
use crate::emit::rust_types::{ident, status_code, type_tokens};
use crate::emit::{client, router};
use crate::ir::{
    Api, CredentialPlace, Ir, Operation, ParamLocation, Response, Security, Status, TypeKind,
    TypeRef,
};

/// The API module's parts, in order: the credential enum, each operation's request and
/// response types, the trait, the metadata, the client (a part per operation's conversions)
/// and the router.
pub(super) fn parts<'a>(ir: &'a Ir, api: &'a Api) -> Vec<Part<'a>> {
    let credential =
        (!api.security_schemes.is_empty()).then(|| Part::rust(move || credential_enum(api)));
    let operation_types = api.operations.iter().map(move |op| {
        Part::gated(api.operation_gate(op).to_vec(), move || {
            let root = quote!(crate);
            let mut types = request_type(ir, op, &root);
            types.extend(response_type(ir, op, &root));
            Ok(types)
        })
    });
    let rest: [fn(&Ir, &Api) -> TokenStream; 2] = [service_trait, |_, api| metadata(api)];
    credential
        .into_iter()
        .chain(operation_types)
        .chain(rest.map(|item| Part::rust(move || item(ir, api))))
        .chain(client::parts(ir, api))
        .chain([Part::rust(move || router::router(api))])
        .collect()
}

/// The API's trait: one method per operation, and `authenticate` where credentials are taken.
fn service_trait(ir: &Ir, api: &Api) -> TokenStream {
    let error = error_type(ir);
    let trait_ident = ident(&api.trait_name);
    let has_credentials = !api.security_schemes.is_empty();
    let methods = api.operations.iter().map(|op| {
        let method = ident(&op.name);
        let request = request_name(op);
        let response = response_name(op);
        // Who calls is the server's finding, not part of the request: the request types are
        // the client's too.
        let (caller, caller_doc) = match &op.security {
            Security::None => (None, None),
            Security::Required(_) => (
                Some(quote!(caller: Self::Caller,)),
                Some("`caller` is who the credential belongs to, as [`authenticate`](Self::authenticate) found it."),
            ),
            Security::Optional(_) => (
                Some(quote!(caller: ::std::option::Option<::std::result::Result<Self::Caller, #error>>,)),
                Some("`caller` is what [`authenticate`](Self::authenticate) made of the credential, when the request carried one; whether a rejected credential matters is the operation's call."),
            ),
        };
        let heading = format!("{}.", routes_doc(op));
        let docs = doc_paragraphs(&[
            Some(&heading),
            op.summary.as_deref(),
            op.description.as_deref(),
            caller_doc,
        ]);
        let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
        let gate = gate(api.operation_gate(op));
        quote! {
            #docs
            #gate
            #deprecated
            fn #method(&self, #caller request: #request)
                -> impl ::std::future::Future<Output = ::std::result::Result<#response, #error>> + ::std::marker::Send;
        }
    });
    let auth_items = has_credentials.then(|| {
        quote! {
            /// Who a credential belongs to, as [`authenticate`](Self::authenticate) finds it.
            type Caller: ::std::marker::Send + 'static;

            /// Checks a credential and finds its caller. The router calls it once per request,
            /// before the operation's method, for every operation that takes a credential;
            /// an error here is the response.
            fn authenticate(&self, credential: Credential)
                -> impl ::std::future::Future<Output = ::std::result::Result<Self::Caller, #error>> + ::std::marker::Send;
        }
    });
    let trait_doc = format!(
        " The {}: one method per operation. Serve an implementation with [`router`].",
        api.title
    );
    quote! {
        #[doc = #trait_doc]
        pub trait #trait_ident: ::std::marker::Send + ::std::marker::Sync + 'static {
            #auth_items
            #(#methods)*
        }
    }
}

/// The `Credential` enum: one variant per security scheme, documented with where the
/// router finds it.
fn credential_enum(api: &Api) -> TokenStream {
    let variants = api.security_schemes.iter().map(|scheme| {
        let variant = ident(&scheme.variant);
        let places: Vec<String> = scheme
            .places
            .read
            .iter()
            .map(|place| match place {
                CredentialPlace::Query(name) => format!("the `{name}` query parameter"),
                CredentialPlace::Header(name) => format!("the `{name}` header"),
                CredentialPlace::Cookie(name) => format!("the `{name}` cookie"),
                CredentialPlace::Authorization(scheme) if scheme == "Bearer" => {
                    "an `Authorization: Bearer` token".to_owned()
                }
                CredentialPlace::Authorization(scheme) => {
                    format!("the `Authorization: {scheme}` header's credentials")
                }
            })
            .collect();
        let how = format!("`{}`: {}.", scheme.name, places.join(" or "));
        let docs = doc_paragraphs(&[Some(&how), scheme.description.as_deref()]);
        quote!(#docs #variant(crate::strings::Secret),)
    });
    quote! {
        /// A credential as a request presented it, before it is checked. `Debug` prints the
        /// scheme, never the secret.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Credential {
            #(#variants)*
        }
    }
}

fn request_type(ir: &Ir, op: &Operation, root: &TokenStream) -> TokenStream {
    let name = request_name(op);
    let docs = doc_attrs(Some(&format!("The request of {}.", routes_doc(op))));
    let mut fields = Vec::new();
    for parameter in &op.parameters {
        let field = ident(&parameter.field);
        let (ty, default) = parameter_type(ir, parameter, root);
        let place = match parameter.location {
            ParamLocation::Path => "Path parameter",
            ParamLocation::Query => "Query parameter",
            ParamLocation::Header => "Header",
            ParamLocation::Cookie => "Cookie",
        };
        let mut heading = format!("{place} `{}`.", parameter.name);
        if let (Some(_), Some(value)) = (&default, &parameter.default) {
            heading.push_str(&format!(" Defaults to `{value}`."));
        }
        if let Some(pattern) = &parameter.pattern {
            heading.push_str(&format!(" Matches `{pattern}`."));
        }
        let docs = doc_paragraphs(&[Some(&heading), parameter.description.as_deref()]);
        fields.push(quote!(#docs pub #field: #ty,));
    }
    if let Some(body) = &op.body {
        let ty = type_tokens(ir, &body.ty, root);
        let ty = if op.transport.body.is_some_and(|b| b.required()) {
            ty
        } else {
            quote!(::std::option::Option<#ty>)
        };
        let heading = format!("The body ({}).", body.content_types.join(", "));
        let docs = doc_paragraphs(&[Some(&heading), body.description.as_deref()]);
        fields.push(quote!(#docs pub body: #ty,));
    }
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        pub struct #name {
            #(#fields)*
        }
    }
}

/// Whether a status stands for several codes, so its variant carries the code.
fn carries_code(status: Status) -> bool {
    !matches!(status, Status::Code(_))
}

/// Whether `ty` is a body in several media types, which the router reads and writes
/// by `Content-Type` rather than as JSON.
fn is_media(ir: &Ir, ty: &TypeRef) -> bool {
    ir.named(ty)
        .is_some_and(|def| matches!(def.kind, TypeKind::Media { .. }))
}

fn response_type(ir: &Ir, op: &Operation, root: &TokenStream) -> TokenStream {
    let name = response_name(op);
    let docs = doc_attrs(Some(&format!(
        "The responses {} documents, one variant per status.",
        routes_doc(op)
    )));
    let mut variants = Vec::new();
    let mut variant_statuses = Vec::new();
    let mut response_arms = Vec::new();
    for response in &op.responses {
        let variant = ident(&response.variant);
        let ResponseVariant {
            fields,
            pattern,
            status_pattern,
            status,
            write,
        } = response_variant(ir, response, root);
        let label = match response.status {
            Status::Code(code) => code.to_string(),
            Status::Range(class) => format!("{class}XX"),
            Status::Default => "Any other status".into(),
        };
        let docs = doc_paragraphs(&[Some(&format!("{label}.")), Some(&response.description)]);
        variants.push(quote!(#docs #variant #fields,));
        variant_statuses.push(quote!(Self::#variant #status_pattern => #status,));
        response_arms.push(quote!(#name::#variant #pattern => #write,));
    }
    let from_error = from_error(ir, op);
    let into_result = into_result(ir, op, root);
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
        }

        impl #name {
            /// The HTTP status this response goes out with.
            #[inline]
            pub fn status(&self) -> ::http::StatusCode {
                match self { #(#variant_statuses)* }
            }

            #from_error

            #into_result
        }

        #[cfg(feature = "server")]
        impl ::std::convert::From<#name> for crate::runtime::Response {
            #[inline]
            fn from(response: #name) -> Self {
                match &response { #(#response_arms)* }
            }
        }

        #[cfg(feature = "axum")]
        impl ::axum::response::IntoResponse for #name {
            #[inline]
            fn into_response(self) -> ::axum::response::Response {
                crate::runtime::routing::into_axum(self.into())
            }
        }
    }
}

/// Whether a response is no error: a status below 400 (a redirect such as an SSO login's
/// 302 is the operation doing its work), or such a class (`default` is whatever the others
/// are not, so it counts as an error).
fn is_success(status: Status) -> bool {
    match status {
        Status::Code(code) => code < 400,
        Status::Range(class) => class < 4,
        Status::Default => false,
    }
}

/// `into_result`: the success on `Ok`, a documented error (4xx, 5xx, `default`) on `Err` as an
/// `outgoing::ErrorResponse` (its status, and the response itself), so that `?` works on a
/// client's answer. With one success the `Ok` is its body (`()` without one); with several,
/// the response itself; with none, `Infallible`.
fn into_result(ir: &Ir, op: &Operation, root: &TokenStream) -> TokenStream {
    let (successes, errors): (Vec<&Response>, Vec<&Response>) =
        op.responses.iter().partition(|r| is_success(r.status));
    let (ok_type, ok_arm) = match successes.as_slice() {
        [] => (quote!(::std::convert::Infallible), quote!()),
        [only] => {
            let variant = ident(&only.variant);
            let carries = carries_code(only.status);
            let (ty, pattern, value) = match (&only.ty, carries) {
                (Some(ty), true) => (type_tokens(ir, ty, root), quote!((_, body)), quote!(body)),
                (Some(ty), false) => (type_tokens(ir, ty, root), quote!((body)), quote!(body)),
                (None, true) => (quote!(()), quote!((_)), quote!(())),
                (None, false) => (quote!(()), quote!(), quote!(())),
            };
            (
                ty,
                quote!(Self::#variant #pattern => ::std::result::Result::Ok(#value),),
            )
        }
        several => {
            let variants = several.iter().map(|r| ident(&r.variant));
            (
                quote!(Self),
                quote!(success @ (#(Self::#variants { .. })|*) => ::std::result::Result::Ok(success),),
            )
        }
    };
    let error = |value: TokenStream| {
        quote! {
            ::std::result::Result::Err(crate::outgoing::ErrorResponse {
                status: #value.status(),
                response: ::std::boxed::Box::new(#value),
            })
        }
    };
    let body = if successes.is_empty() {
        error(quote!(self))
    } else {
        let error_arm = (!errors.is_empty()).then(|| {
            let error = error(quote!(error));
            quote!(error => #error,)
        });
        quote! {
            match self {
                #ok_arm
                #error_arm
            }
        }
    };
    quote! {
        /// The success on `Ok`, a documented error on `Err` (with the status it came with),
        /// so that `?` works on a client's answer.
        #[inline]
        pub fn into_result(self) -> ::std::result::Result<#ok_type, crate::outgoing::ErrorResponse<Self>> {
            #body
        }
    }
}

/// How one response variant is declared, matched and written.
struct ResponseVariant {
    fields: TokenStream,
    /// Binds what `write` uses.
    pattern: TokenStream,
    /// Binds what `status` uses.
    status_pattern: TokenStream,
    status: TokenStream,
    write: TokenStream,
}

/// A variant for an exact status is that status; one for a range or `default` carries the
/// status it goes out with.
fn response_variant(ir: &Ir, response: &Response, root: &TokenStream) -> ResponseVariant {
    let carries = carries_code(response.status);
    let status = match response.status {
        Status::Code(code) => status_code(code),
        _ => quote!(*status),
    };
    let (fields, pattern, status_pattern) = match (&response.ty, carries) {
        (Some(ty), true) => {
            let ty = type_tokens(ir, ty, root);
            (
                quote!((::http::StatusCode, #ty)),
                quote!((status, body)),
                quote!((status, _)),
            )
        }
        (Some(ty), false) => {
            let ty = type_tokens(ir, ty, root);
            (quote!((#ty)), quote!((body)), quote!((_)))
        }
        (None, true) => (
            quote!((::http::StatusCode)),
            quote!((status)),
            quote!((status)),
        ),
        (None, false) => (quote!(), quote!(), quote!()),
    };
    let write = match &response.ty {
        Some(ty) if is_media(ir, ty) => quote!(body.response(#status)),
        Some(_) => quote!(crate::runtime::json_response(#status, &body)),
        None => quote!(crate::runtime::empty_response(#status)),
    };
    ResponseVariant {
        fields,
        pattern,
        status_pattern,
        status,
        write,
    }
}

/// `from_error`, where the operation documents statuses whose body is the shared error:
/// the documented variant for an error's status, or the error back when the operation does
/// not document it. Exact statuses win over ranges, ranges over `default`.
fn from_error(ir: &Ir, op: &Operation) -> Option<TokenStream> {
    let error_body = TypeRef::Named(ir.error.type_id);
    // The body as the variant holds it: moved in, or boxed where the layout pass boxed it.
    let body_of = |r: &Response| match &r.ty {
        Some(ty) if *ty == error_body => Some(quote!(error.body)),
        Some(TypeRef::Boxed(ty)) if **ty == error_body => {
            Some(quote!(::std::boxed::Box::new(error.body)))
        }
        _ => None,
    };
    let documented: Vec<(&Response, TokenStream)> = op
        .responses
        .iter()
        .filter_map(|r| Some((r, body_of(r)?)))
        .collect();
    if documented.is_empty() {
        return None;
    }
    let has_default = documented.iter().any(|(r, _)| r.status == Status::Default);
    let default = op.responses.iter().find(|r| r.status == Status::Default);
    let default_variant = default.map(|r| ident(&r.variant));
    let default_body = default.and_then(body_of);
    let arms = status_arms(documented.iter().map(|(r, body)| {
        let variant = ident(&r.variant);
        let value = match r.status {
            Status::Code(_) => quote!(::std::result::Result::Ok(Self::#variant(#body))),
            _ => quote!(::std::result::Result::Ok(Self::#variant(error.status, #body))),
        };
        (r.status, value)
    }));
    let body = match (has_default, arms.len()) {
        // `default` alone takes every status: no match to make.
        (true, 1) => {
            quote!(::std::result::Result::Ok(Self::#default_variant(error.status, #default_body)))
        }
        _ => {
            let fallback = (!has_default).then(|| quote!(_ => ::std::result::Result::Err(error),));
            quote! {
                match error.status.as_u16() {
                    #(#arms)*
                    #fallback
                }
            }
        }
    };
    let error = error_type(ir);
    Some(quote! {
        /// The documented variant for `error`'s status, carrying its body; the error
        /// itself when this operation does not document that status (return it as `Err`).
        #[inline]
        pub fn from_error(error: #error) -> ::std::result::Result<Self, #error> {
            #body
        }
    })
}

/// One `Metadata` constant per operation, the list of them, and the lookup by request.
fn metadata(api: &Api) -> TokenStream {
    let constants = api.operations.iter().map(|op| {
        let constant = ident(&op.names.metadata);
        let name = &op.name;
        let operation_id = match &op.operation_id {
            Some(id) => quote!(::std::option::Option::Some(#id)),
            None => quote!(::std::option::Option::None),
        };
        let method = ident(&op.method);
        let path = &op.path;
        let paths = &op.full_paths;
        let authentication = match &op.security {
            Security::None => quote!(None),
            Security::Required(schemes) => quote!(Required(&[#(#schemes),*])),
            Security::Optional(schemes) => quote!(Optional(&[#(#schemes),*])),
        };
        let rate_limited = op.responses.iter().any(|r| r.status == Status::Code(429));
        let deprecated = op.deprecated;
        let doc = format!(" What {} is.", routes_doc(op));
        let gate = gate(api.operation_gate(op));
        quote! {
            #[doc = #doc]
            #gate
            pub const #constant: crate::metadata::Metadata = crate::metadata::Metadata {
                name: #name,
                operation_id: #operation_id,
                method: ::http::Method::#method,
                path: #path,
                paths: &[#(#paths),*],
                authentication: crate::metadata::Authentication::#authentication,
                rate_limited: #rate_limited,
                deprecated: #deprecated,
            };
        }
    });
    let all = api.operations.iter().map(|op| {
        let constant = ident(&op.names.metadata);
        let gate = gate(api.operation_gate(op));
        quote!(#gate #constant)
    });
    let doc = match api.tag_features.is_empty() {
        true => " Every operation of this API, in the order of its specs.",
        false => {
            " Every operation of this API that the enabled features build, in the order of its specs."
        }
    };
    quote! {
        #(#constants)*

        #[doc = #doc]
        pub const OPERATIONS: &[crate::metadata::Metadata] = &[#(#all),*];

        /// The operation that serves `method` on `path` (a request's path, as sent).
        pub fn operation(method: &::http::Method, path: &str) -> ::std::option::Option<&'static crate::metadata::Metadata> {
            crate::metadata::find(OPERATIONS, method, path)
        }
    }
}
