//! The `runtime` module: what every generated server shares. The module itself is Rust
//! written by hand (`verbatim/runtime.rs`, and `verbatim/routing.rs` for the axum routers),
//! linted and tested in every generated crate;
//! here is only its `settings` submodule, the few items the config decides: the error
//! type, the body limit, the CORS values, the property that becomes `Retry-After`, and the
//! message of each failure the router answers by itself.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::rust_types::ident;
use crate::ir::Ir;

/// The `runtime` module, the same in every generated crate.
pub(super) const RUNTIME: &str = include_str!("verbatim/runtime.rs");
/// Its `routing` submodule (the axum routers' part), the same in every generated crate.
pub(super) const ROUTING: &str = include_str!("verbatim/routing.rs");

/// The items of `runtime/settings.rs`.
pub(super) fn settings(ir: &Ir) -> TokenStream {
    let error = ident(&ir.error.type_name);
    let limit = ir.router.body_limit;
    let cors = &ir.router.cors;
    let (origin, methods, headers) = (&cors.allow_origin, &cors.allow_methods, &cors.allow_headers);
    let retry_after = match &ir.error.retry_after_property {
        Some(property) => quote!(::std::option::Option::Some(#property)),
        None => quote!(::std::option::Option::None),
    };
    let messages = ir.error.router_failures.iter().map(|(failure, answer)| {
        let name = ident(&failure.name().to_ascii_uppercase());
        let message = &answer.message;
        let doc = format!(" {}", failure.meaning());
        quote!(#[doc = #doc] pub const #name: &str = #message;)
    });
    quote! {
        //! What the config decides for the runtime.

        /// The error every router failure is answered with.
        pub type Error = crate::types::#error;

        /// Largest request body read, in bytes.
        pub const BODY_LIMIT: usize = #limit;

        /// `Access-Control-Allow-Origin` on every response.
        pub const CORS_ALLOW_ORIGIN: &str = #origin;
        /// `Access-Control-Allow-Methods` on every response.
        pub const CORS_ALLOW_METHODS: &str = #methods;
        /// `Access-Control-Allow-Headers` on every response.
        pub const CORS_ALLOW_HEADERS: &str = #headers;

        /// The error property holding milliseconds to wait before retrying, copied into
        /// `Retry-After`.
        pub const RETRY_AFTER_PROPERTY: ::std::option::Option<&str> = #retry_after;

        /// What the router says of each failure it answers by itself; where it knows more
        /// (the parameter, the parser's complaint), that follows after `: `.
        pub mod messages {
            #(#messages)*
        }
    }
}
