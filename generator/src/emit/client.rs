//! The client half, per API: each request type's `to_http` and each response enum's
//! `from_http` (transport-agnostic, always there), and behind the `client` feature a
//! `Client` over any HTTP client with one method per operation. Both follow what the router reads and
//! writes, from the same IR, so a client and a server built from one spec agree.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::context::{request_name, response_name, routes_doc, status_arms};
use crate::emit::docs::doc_paragraphs;
use crate::emit::part::{Part, gate};
use crate::emit::rust_types::ident;
use crate::ir::{
    Api, BodyReading, CredentialPlace, Ir, Operation, ParamLocation, Response, Security, Status,
    TypeKind, TypeRef,
};

/// The client half of one API, as parts of its module: each operation's conversions and
/// `Endpoint` impl, each its own part, then the `Client`.
pub(super) fn parts<'a>(ir: &'a Ir, api: &'a Api) -> Vec<Part<'a>> {
    let ops = || api.operations.iter();
    let of_operation =
        move |op: &'a Operation, make: fn(&'a Ir, &'a Api, &'a Operation) -> TokenStream| {
            Part::gated(api.operation_gate(op).to_vec(), move || {
                Ok(make(ir, api, op))
            })
        };
    ops()
        .map(move |op| of_operation(op, |_, api, op| to_http(api, op)))
        .chain(ops().map(move |op| of_operation(op, |ir, _, op| from_http(ir, op))))
        .chain(ops().map(move |op| of_operation(op, |_, api, op| endpoint_impl(api, op))))
        .chain([Part::rust(move || client_struct(api))])
        .collect()
}

/// The API's credential type as the `Endpoint` trait names it: `Infallible` where the API
/// takes none.
fn credential_type(api: &Api) -> TokenStream {
    if api.security_schemes.is_empty() {
        quote!(::std::convert::Infallible)
    } else {
        quote!(Credential)
    }
}

/// The request type's `outgoing::Endpoint` impl: its response, metadata and conversions.
fn endpoint_impl(api: &Api, op: &Operation) -> TokenStream {
    let request = request_name(op);
    let response = response_name(op);
    let metadata = ident(&op.names.metadata);
    let credential = credential_type(api);
    let (parameter, argument) = if api.security_schemes.is_empty() {
        (quote!(_credential), quote!())
    } else {
        (quote!(credential), quote!(, credential))
    };
    quote! {
        impl crate::outgoing::Endpoint for #request {
            type Response = #response;
            type Credential = #credential;
            const METADATA: crate::metadata::Metadata = #metadata;

            #[inline]
            fn to_http(
                &self,
                base: &crate::outgoing::BaseUrl,
                #parameter: ::std::option::Option<&Self::Credential>,
            ) -> ::std::result::Result<::http::Request<::std::vec::Vec<u8>>, crate::outgoing::RequestError> {
                #request::to_http(self, base #argument)
            }

            #[inline]
            fn response_from_http(
                response: ::http::Response<::std::vec::Vec<u8>>,
            ) -> ::std::result::Result<#response, crate::outgoing::ResponseError> {
                #response::from_http(response)
            }
        }
    }
}

/// The credential parameter of `to_http`, where the API has credentials.
fn credential_parameter(api: &Api, op: &Operation) -> Option<TokenStream> {
    if api.security_schemes.is_empty() {
        return None;
    }
    Some(match op.security {
        Security::None => quote!(_credential: ::std::option::Option<&Credential>,),
        _ => quote!(credential: ::std::option::Option<&Credential>,),
    })
}

fn to_http(api: &Api, op: &Operation) -> TokenStream {
    let request = request_name(op);
    let method = ident(&op.method);
    let template = &op.base.template;
    let variables = op.base.variables.iter().map(|variable| {
        let name = &variable.name;
        // The default first: the endpoint falls back to it.
        let values = std::iter::once(&variable.default)
            .chain(variable.values.iter().filter(|v| **v != variable.default));
        quote!((#name, &[#(#values),*]))
    });
    let path = &op.path;
    let parameters = op.parameters.iter().map(|parameter| {
        let name = &parameter.name;
        let field = ident(&parameter.field);
        let put = match parameter.location {
            ParamLocation::Path => quote!(path_parameter),
            ParamLocation::Query => quote!(query),
            ParamLocation::Header => quote!(header),
            ParamLocation::Cookie => quote!(cookie),
        };
        quote!(request.#put(#name, &self.#field)?;)
    });
    let body = op
        .body
        .as_ref()
        .zip(op.transport.body)
        .map(|(body, reading)| {
            let put = match reading {
                BodyReading::ByMediaType { .. } => quote!(body.put(&mut request)?;),
                BodyReading::Structured { form: true, .. }
                    if body
                        .content_types
                        .iter()
                        .all(|c| c.contains("form-urlencoded")) =>
                {
                    quote!(request.form(body)?;)
                }
                BodyReading::Structured { .. } => quote!(request.json(body)?;),
            };
            if reading.required() {
                quote! { let body = &self.body; #put }
            } else {
                quote! {
                    if let ::std::option::Option::Some(body) = &self.body { #put }
                }
            }
        });
    let credential = credential_step(api, op);
    let credential_parameter = credential_parameter(api, op);
    let mutable =
        (!op.parameters.is_empty() || body.is_some() || credential.is_some()).then(|| quote!(mut));
    let doc = format!(
        " The HTTP request for {} at `endpoint`{}.",
        routes_doc(op),
        if credential_parameter.is_some() {
            ", with `credential` where the operation takes one of its kind"
        } else {
            ""
        }
    );
    quote! {
        impl #request {
            #[doc = #doc]
            #[inline]
            pub fn to_http(
                &self,
                endpoint: &crate::outgoing::BaseUrl,
                #credential_parameter
            ) -> ::std::result::Result<::http::Request<::std::vec::Vec<u8>>, crate::outgoing::RequestError> {
                let #mutable request = crate::outgoing::Outgoing::new(
                    endpoint,
                    ::http::Method::#method,
                    #template,
                    &[#(#variables),*],
                    #path,
                )?;
                #(#parameters)*
                #body
                #credential
                request.build()
            }
        }
    }
}

/// Puts the credential where its scheme says, for the schemes the operation takes; a
/// credential of another scheme is not sent.
fn credential_step(api: &Api, op: &Operation) -> Option<TokenStream> {
    let schemes = match &op.security {
        Security::None => return None,
        Security::Required(schemes) | Security::Optional(schemes) => schemes,
    };
    let taken: Vec<_> = api
        .security_schemes
        .iter()
        .filter(|scheme| schemes.contains(&scheme.name))
        .collect();
    let arms = taken.iter().map(|scheme| {
        let variant = ident(&scheme.variant);
        let put = match &scheme.places.sent {
            CredentialPlace::Query(name) => quote!(request.query(#name, token)?),
            CredentialPlace::Header(name) => quote!(request.header(#name, token)?),
            CredentialPlace::Cookie(name) => quote!(request.cookie(#name, token)?),
            CredentialPlace::Authorization(scheme) if scheme.eq_ignore_ascii_case("bearer") => {
                quote!(request.bearer(token)?)
            }
            CredentialPlace::Authorization(scheme) => {
                quote!(request.authorization(#scheme, token)?)
            }
        };
        quote!(::std::option::Option::Some(Credential::#variant(token)) => #put,)
    });
    let rest = (taken.len() < api.security_schemes.len())
        .then(|| quote!(::std::option::Option::Some(_) => {}));
    Some(quote! {
        match credential {
            #(#arms)*
            #rest
            ::std::option::Option::None => {}
        }
    })
}

fn from_http(ir: &Ir, op: &Operation) -> TokenStream {
    let response = response_name(op);
    let arms = status_arms(op.responses.iter().map(|r| {
        let variant = ident(&r.variant);
        let fields = match (r.status, read_body(ir, r)) {
            (Status::Code(_), Some(body)) => quote!((#body)),
            (Status::Code(_), None) => quote!(),
            (_, Some(body)) => quote!((status, #body)),
            (_, None) => quote!((status)),
        };
        (
            r.status,
            quote!(::std::result::Result::Ok(Self::#variant #fields)),
        )
    }));
    let has_default = op.responses.iter().any(|r| r.status == Status::Default);
    let undocumented =
        (!has_default).then(|| quote!(_ => ::std::result::Result::Err(incoming.undocumented()),));
    let uses_status = op
        .responses
        .iter()
        .any(|r| !matches!(r.status, Status::Code(_)));
    let status = uses_status.then(|| quote!(let status = incoming.status();));
    let doc = format!(
        " The documented response a server sent for {}: the variant by status, the body by \
         media type. A status the operation does not document, or a body that does not fit, \
         is an error that keeps what came.",
        routes_doc(op)
    );
    quote! {
        impl #response {
            #[doc = #doc]
            #[inline]
            pub fn from_http(
                response: ::http::Response<::std::vec::Vec<u8>>,
            ) -> ::std::result::Result<Self, crate::outgoing::ResponseError> {
                let incoming = crate::outgoing::Incoming::new(response);
                #status
                match incoming.status().as_u16() {
                    #(#arms)*
                    #undocumented
                }
            }
        }
    }
}

/// Reads a response's body as the IR types it: JSON, or by media type.
fn read_body(ir: &Ir, response: &Response) -> Option<TokenStream> {
    let ty = response.ty.as_ref()?;
    let media = match ty {
        TypeRef::Boxed(inner) => ir.named(inner),
        other => ir.named(other),
    }
    .filter(|def| matches!(def.kind, TypeKind::Media { .. }));
    Some(match (media, ty) {
        (Some(def), TypeRef::Boxed(_)) => {
            let name = ident(&def.name);
            quote!(::std::boxed::Box::new(crate::types::#name::decode(&incoming)?))
        }
        (Some(def), _) => {
            let name = ident(&def.name);
            quote!(crate::types::#name::decode(&incoming)?)
        }
        (None, _) => quote!(incoming.json()?),
    })
}

/// The `Client`: an HTTP client, an endpoint, an optional credential, one method per
/// operation.
fn client_struct(api: &Api) -> TokenStream {
    let has_credentials = !api.security_schemes.is_empty();
    let credential_field = has_credentials.then(|| {
        quote! {
            credential: ::std::option::Option<Credential>,
        }
    });
    let credential_init = has_credentials.then(|| quote!(credential: ::std::option::Option::None,));
    let credential_methods = has_credentials.then(|| {
        quote! {
            /// Sends `credential` with every operation that takes one of its kind.
            pub fn with_credential(mut self, credential: Credential) -> Self {
                self.credential = ::std::option::Option::Some(credential);
                self
            }

            /// Replaces the credential sent (after a login or a token refresh).
            pub fn set_credential(&mut self, credential: ::std::option::Option<Credential>) {
                self.credential = credential;
            }
        }
    });
    let credential_argument = if has_credentials {
        quote!(self.credential.as_ref())
    } else {
        quote!(::std::option::Option::None)
    };
    let credential = credential_type(api);
    let methods = api.operations.iter().map(|op| {
        let method = ident(&op.names.client_method);
        let request = request_name(op);
        let response = response_name(op);
        let heading = format!("{}.", routes_doc(op));
        let docs = doc_paragraphs(&[Some(&heading), op.summary.as_deref()]);
        let deprecated = op.deprecated.then(|| quote!(#[deprecated]));
        let gate = gate(api.operation_gate(op));
        // A plain function handing back `send`'s future: as `async fn` reads to a caller,
        // without a state machine of its own per operation for the compiler to check.
        quote! {
            #docs
            #gate
            #deprecated
            pub fn #method(&self, request: &#request)
                -> impl ::std::future::Future<Output = ::std::result::Result<#response, crate::outgoing::ClientError>> {
                self.send(request)
            }
        }
    });
    let doc = format!(
        " A client of the {} over any [`HttpClient`](crate::outgoing::HttpClient) (reqwest's \
         with the `reqwest` feature): one method per operation, each sending the request type \
         the server's trait receives and returning the response enum it answers with.",
        api.title
    );
    quote! {
        #[doc = #doc]
        #[cfg(feature = "client")]
        #[derive(Debug, Clone)]
        pub struct Client<H> {
            http: H,
            endpoint: crate::outgoing::BaseUrl,
            #credential_field
        }

        #[cfg(feature = "reqwest")]
        impl Client<::reqwest::Client> {
            /// A client of `endpoint`, on a new reqwest client.
            pub fn new(endpoint: crate::outgoing::BaseUrl) -> Self {
                Self::with_http(::reqwest::Client::new(), endpoint)
            }
        }

        #[cfg(feature = "client")]
        impl<H: crate::outgoing::HttpClient> Client<H> {
            /// A client of `endpoint` on `http` (for its TLS, proxy and timeout settings).
            pub fn with_http(http: H, endpoint: crate::outgoing::BaseUrl) -> Self {
                Client { http, endpoint, #credential_init }
            }

            #credential_methods

            /// The server the requests go to.
            pub fn endpoint(&self) -> &crate::outgoing::BaseUrl {
                &self.endpoint
            }

            /// Sends any operation of this API: its request, built for this client's server
            /// and credential, and its documented response, read back.
            pub fn send<R>(&self, request: &R)
                -> impl ::std::future::Future<Output = ::std::result::Result<R::Response, crate::outgoing::ClientError>>
            where
                R: crate::outgoing::Endpoint<Credential = #credential>,
            {
                crate::outgoing::send(&self.http, request, &self.endpoint, #credential_argument)
            }

            #(#methods)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{SPEC, ir_of};

    /// The tokens as text without spaces, to look for code in.
    fn compact(tokens: TokenStream) -> String {
        tokens.to_string().split_whitespace().collect()
    }

    fn operation<'a>(api: &'a Api, name: &str) -> &'a Operation {
        api.operations.iter().find(|op| op.name == name).unwrap()
    }

    #[test]
    fn responses_are_read_by_code_then_class_then_default() {
        let ir = ir_of(SPEC, "");
        let reader = compact(from_http(&ir, operation(&ir.apis[0], "put_note")));
        let code = reader.find("204u16=>").unwrap();
        let class = reader.find("400u16..=499u16=>").unwrap();
        let default = reader
            .find("_=>::std::result::Result::Ok(Self::Default")
            .unwrap();
        assert!(code < class && class < default, "{reader}");
        // The default takes every other status: nothing is undocumented.
        assert!(!reader.contains("undocumented"), "{reader}");
        let login = compact(from_http(&ir, operation(&ir.apis[0], "login")));
        assert!(
            login.contains("_=>::std::result::Result::Err(incoming.undocumented())"),
            "{login}"
        );
    }

    #[test]
    fn the_credential_goes_where_the_ir_says_it_is_sent() {
        let ir = ir_of(SPEC, "");
        let api = &ir.apis[0];
        let step = compact(credential_step(api, operation(api, "put_note")).unwrap());
        assert!(
            step.contains(r#"request.query("access_token",token)?"#),
            "{step}"
        );
        assert!(credential_step(api, operation(api, "login")).is_none());
        let ir = ir_of(SPEC, "[router]\nbody_limit = 10\nbearer_header = true\n");
        let api = &ir.apis[0];
        let step = compact(credential_step(api, operation(api, "put_note")).unwrap());
        assert!(step.contains("request.bearer(token)?"), "{step}");
    }
}
