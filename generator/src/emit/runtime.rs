//! The `runtime` module: what every generated handler shares. Reading bounded bodies,
//! parsing JSON, forms, queries and paths into typed values with the configured errors,
//! finding credentials, writing responses, CORS and the fallbacks.

use proc_macro2::TokenStream;
use quote::quote;

use crate::emit::rust_types::ident;
use std::collections::BTreeSet;

use crate::ir::{Encoding, Ir, ParamLocation, SecuritySchemeKind, TypeId, TypeKind};

/// Which runtime items the routers use: only those are emitted, so the crate carries no
/// dead code at any spec size.
struct Needs {
    read_body: bool,
    missing_field: bool,
    parse_json: bool,
    parse_form: bool,
    is_form: bool,
    body: bool,
    optional_body: bool,
    query: bool,
    path: bool,
    headers: bool,
    bearer: bool,
    authorization: bool,
    api_key: bool,
    media_read: bool,
    /// Whether a body read by media type documents one that not every type matches.
    media_matches: bool,
    media_response: bool,
    parse_text: bool,
    empty_response: bool,
    query_carries: bool,
    query_object: bool,
}

impl Needs {
    fn of(ir: &Ir) -> Needs {
        let uses = &ir.router_uses;
        let encodings = |types: &BTreeSet<TypeId>| -> BTreeSet<Encoding> {
            types
                .iter()
                .flat_map(|id| match &ir.type_def(*id).kind {
                    TypeKind::Media { variants } => variants.iter().map(|v| v.encoding).collect(),
                    _ => Vec::new(),
                })
                .collect()
        };
        let read = encodings(&uses.media_read);
        let written = encodings(&uses.media_written);
        let bodies = uses.required_bodies || uses.optional_bodies;
        let parse_json = bodies || read.contains(&Encoding::Json);
        // `body` and `optional_body` read forms where an operation takes them.
        let parse_form = bodies || read.contains(&Encoding::Form);
        Needs {
            read_body: bodies || !uses.media_read.is_empty() || uses.shared_routes,
            missing_field: parse_json
                || parse_form
                || uses.query_parameters
                || uses.spread_query_parameters
                || uses.header_parameters,
            parse_json,
            parse_form,
            is_form: bodies,
            body: uses.required_bodies,
            optional_body: uses.optional_bodies,
            query: uses.query_parameters,
            path: uses.path_parameters,
            headers: uses.header_parameters,
            bearer: uses.bearer,
            authorization: uses.bearer || uses.authorization,
            api_key: uses.api_keys,
            media_read: !uses.media_read.is_empty(),
            media_matches: uses
                .media_read
                .iter()
                .any(|id| match &ir.type_def(*id).kind {
                    TypeKind::Media { variants } => variants.iter().any(|v| !v.takes_any_type()),
                    _ => false,
                }),
            media_response: written.iter().any(|e| *e != Encoding::Json),
            parse_text: read.contains(&Encoding::Text),
            empty_response: uses.empty_responses,
            query_carries: uses.shared_routes,
            query_object: uses.spread_query_parameters,
        }
    }
}

/// The API-key locations the specs use.
fn key_locations(ir: &Ir) -> BTreeSet<ParamLocation> {
    ir.apis
        .iter()
        .flat_map(|api| &api.security_schemes)
        .filter_map(|scheme| match &scheme.kind {
            SecuritySchemeKind::ApiKey { location, .. } => Some(match location {
                ParamLocation::Path => ParamLocation::Query,
                other => *other,
            }),
            _ => None,
        })
        .collect()
}

// Long because it is the runtime itself, as quoted Rust: one item per entry, each kept
// only where `Needs` says the routers use it.
pub fn emit_runtime(ir: &Ir) -> TokenStream {
    let needs = Needs::of(ir);
    let locations = key_locations(ir);
    let key_locations = locations
        .iter()
        .map(|location| ident(&format!("{location:?}")));
    let key_arms = locations.iter().map(|location| match location {
        ParamLocation::Header => quote! {
            KeyLocation::Header => parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        ParamLocation::Cookie => quote! {
            KeyLocation::Cookie => parts
                .headers
                .get_all(::axum::http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_owned()),
        },
        ParamLocation::Query | ParamLocation::Path => quote! {
            KeyLocation::Query => {
                let pairs: ::std::vec::Vec<(::std::string::String, ::std::string::String)> =
                    ::serde_html_form::from_str(parts.uri.query().unwrap_or_default()).unwrap_or_default();
                pairs.into_iter().find(|(key, _)| key == name).map(|(_, value)| value)
            }
        },
    });
    // Where a scheme's places say so (`CredentialPlaces::read`), an API key may come as
    // `Authorization: Bearer` instead.
    let (as_bearer_param, from_header) = if ir.router_uses.api_keys_as_bearer {
        (
            quote!(as_bearer: bool,),
            quote! {
                if as_bearer {
                    self::bearer(parts)?
                } else {
                    ::std::option::Option::None
                }
            },
        )
    } else {
        (quote!(), quote!(::std::option::Option::None))
    };
    let error = {
        let name = ident(&ir.error.type_name);
        quote!(crate::types::#name)
    };
    let limit = ir.router.body_limit;
    let cors = &ir.router.cors;
    let (origin, methods, headers) = (&cors.allow_origin, &cors.allow_methods, &cors.allow_headers);
    let into_response = match ir.error.retry_after_property.as_deref() {
        None => quote!(json_response(self.status, &self.body)),
        Some(property) => quote! {
            let mut response = json_response(self.status, &self.body);
            // Clients that do not read the body still learn when to come back.
            if let ::std::option::Option::Some(ms) = self.body.extra.get(#property).and_then(::serde_json::Value::as_u64) {
                let seconds = ms.div_ceil(1000);
                if let ::std::result::Result::Ok(value) = ::axum::http::HeaderValue::from_str(&seconds.to_string()) {
                    response.headers_mut().insert(::axum::http::header::RETRY_AFTER, value);
                }
            }
            response
        },
    };
    let items = [
        (
            true,
            quote! {
                use ::axum::response::IntoResponse as _;
            },
        ),
        (
            needs.read_body,
            quote! {
                /// Largest request body read, in bytes.
                pub(crate) const BODY_LIMIT: usize = #limit;
                /// Largest over-limit body read (and thrown away) so that its client can read
                /// the 413: 32 times [`BODY_LIMIT`].
                pub(crate) const DRAIN_LIMIT: usize = BODY_LIMIT.saturating_mul(32);
            },
        ),
        (
            needs.api_key,
            quote! {
                /// Where an API key is looked for.
                pub(crate) enum KeyLocation {
                    #(#key_locations,)*
                }
            },
        ),
        (
            needs.read_body,
            quote! {
                /// Reads the whole body, refusing more than [`BODY_LIMIT`] bytes.
                ///
                /// An over-limit body is read on and thrown away, up to [`DRAIN_LIMIT`] bytes,
                /// before the 413 goes out: a client that is still sending it would otherwise
                /// find the connection reset (closing with unread data resets it) and never
                /// read the answer. A body declared larger than that is answered at once.
                pub(crate) async fn read_body(
                    parts: &::axum::http::request::Parts,
                    body: ::axum::body::Body,
                ) -> ::std::result::Result<::axum::body::Bytes, #error> {
                    use ::http_body_util::BodyExt as _;
                    let declared = parts
                        .headers
                        .get(::axum::http::header::CONTENT_LENGTH)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok());
                    let too_large = || #error::too_large("Request body too large");
                    if declared.is_some_and(|length| length > DRAIN_LIMIT as u64) {
                        return ::std::result::Result::Err(too_large());
                    }
                    let mut over = declared.is_some_and(|length| length > BODY_LIMIT as u64);
                    let mut body = body;
                    let mut read = ::std::vec::Vec::new();
                    let mut seen = 0usize;
                    while let ::std::option::Option::Some(frame) = body.frame().await {
                        let frame = frame.map_err(|error| {
                            #error::bad_json(format!("Could not read the request body: {error}"))
                        })?;
                        let ::std::result::Result::Ok(data) = frame.into_data() else {
                            continue;
                        };
                        seen = seen.saturating_add(data.len());
                        over |= seen > BODY_LIMIT;
                        if over {
                            if seen > DRAIN_LIMIT {
                                break;
                            }
                        } else {
                            read.extend_from_slice(&data);
                        }
                    }
                    if over {
                        return ::std::result::Result::Err(too_large());
                    }
                    ::std::result::Result::Ok(::axum::body::Bytes::from(read))
                }
            },
        ),
        (
            needs.missing_field,
            quote! {
                /// The field a serde "missing field" message names.
                fn missing_field(message: &str) -> ::std::option::Option<&str> {
                    let rest = message.strip_prefix("missing field `")?;
                    rest.split('`').next()
                }
            },
        ),
        (
            needs.parse_json,
            quote! {
                /// Parses a JSON body: not JSON at all, JSON of the wrong shape and a missing
                /// required field are three different errors.
                pub(crate) fn parse_json<T: ::serde::de::DeserializeOwned>(bytes: &[u8]) -> ::std::result::Result<T, #error> {
                    ::serde_json::from_slice(bytes).map_err(|error| match error.classify() {
                        ::serde_json::error::Category::Data => {
                            let message = error.to_string();
                            match missing_field(&message) {
                                ::std::option::Option::Some(field) => {
                                    #error::missing_param(format!("Missing parameter: {field}"))
                                }
                                ::std::option::Option::None => #error::bad_json(message),
                            }
                        }
                        _ => #error::not_json(format!("Content not JSON: {error}")),
                    })
                }
            },
        ),
        (
            needs.parse_form,
            quote! {
                pub(crate) fn parse_form<T: ::serde::de::DeserializeOwned>(bytes: &[u8]) -> ::std::result::Result<T, #error> {
                    ::serde_html_form::from_bytes(bytes).map_err(|error| {
                        let message = error.to_string();
                        match missing_field(&message) {
                            ::std::option::Option::Some(field) => #error::missing_param(format!("Missing parameter: {field}")),
                            ::std::option::Option::None => #error::bad_json(message),
                        }
                    })
                }
            },
        ),
        (
            needs.is_form,
            quote! {
                fn is_form(parts: &::axum::http::request::Parts) -> bool {
                    parts
                        .headers
                        .get(::axum::http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
                }
            },
        ),
        (
            needs.body,
            quote! {
                /// Reads and parses a body. Anything but a form (where `form` allows one) is read as
                /// JSON, whatever its declared type: clients are lax about `Content-Type`.
                pub(crate) async fn body<T: ::serde::de::DeserializeOwned>(
                    parts: &::axum::http::request::Parts,
                    body: ::axum::body::Body,
                    form: bool,
                ) -> ::std::result::Result<T, #error> {
                    let bytes = read_body(parts, body).await?;
                    if form && is_form(parts) {
                        parse_form(&bytes)
                    } else {
                        parse_json(&bytes)
                    }
                }
            },
        ),
        (
            needs.optional_body,
            quote! {
                /// Like [`body`], where an empty body means none.
                pub(crate) async fn optional_body<T: ::serde::de::DeserializeOwned>(
                    parts: &::axum::http::request::Parts,
                    body: ::axum::body::Body,
                    form: bool,
                ) -> ::std::result::Result<::std::option::Option<T>, #error> {
                    let bytes = read_body(parts, body).await?;
                    if bytes.iter().all(u8::is_ascii_whitespace) {
                        return ::std::result::Result::Ok(::std::option::Option::None);
                    }
                    if form && is_form(parts) {
                        parse_form(&bytes).map(::std::option::Option::Some)
                    } else {
                        parse_json(&bytes).map(::std::option::Option::Some)
                    }
                }
            },
        ),
        (
            needs.query,
            quote! {
                /// Parses the query string into the operation's query parameters.
                pub(crate) fn query<T: ::serde::de::DeserializeOwned>(
                    parts: &::axum::http::request::Parts,
                ) -> ::std::result::Result<T, #error> {
                    ::serde_html_form::from_str(parts.uri.query().unwrap_or_default()).map_err(|error| {
                        let message = error.to_string();
                        match missing_field(&message) {
                            ::std::option::Option::Some(field) => #error::missing_param(format!("Missing parameter: {field}")),
                            ::std::option::Option::None => #error::invalid_param(message),
                        }
                    })
                }
            },
        ),
        (
            needs.path,
            quote! {
                /// Parses the path parameters (percent-decoded).
                pub(crate) async fn path<T: ::serde::de::DeserializeOwned + ::std::marker::Send>(
                    parts: &mut ::axum::http::request::Parts,
                ) -> ::std::result::Result<T, #error> {
                    <::axum::extract::Path<T> as ::axum::extract::FromRequestParts<()>>::from_request_parts(parts, &())
                        .await
                        .map(|::axum::extract::Path(value)| value)
                        .map_err(|rejection| #error::invalid_param(rejection.body_text()))
                }
            },
        ),
        (
            needs.headers,
            quote! {
                /// Collects the headers into the operation's header parameters.
                pub(crate) fn headers<T: ::serde::de::DeserializeOwned>(
                    parts: &::axum::http::request::Parts,
                ) -> ::std::result::Result<T, #error> {
                    let pairs: ::std::vec::Vec<(::std::string::String, ::std::string::String)> = parts
                        .headers
                        .iter()
                        .filter_map(|(name, value)| ::std::option::Option::Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned())))
                        .collect();
                    let encoded = ::serde_html_form::to_string(&pairs).map_err(|error| #error::invalid_param(error.to_string()))?;
                    ::serde_html_form::from_str(&encoded).map_err(|error| {
                        let message = error.to_string();
                        match missing_field(&message) {
                            ::std::option::Option::Some(field) => #error::missing_param(format!("Missing header: {field}")),
                            ::std::option::Option::None => #error::invalid_param(message),
                        }
                    })
                }
            },
        ),
        (
            needs.bearer,
            quote! {
                /// The token of an `Authorization: Bearer` header. A header of another form is an
                /// error, not an absent credential: the client meant to authenticate.
                pub(crate) fn bearer(
                    parts: &::axum::http::request::Parts,
                ) -> ::std::result::Result<::std::option::Option<::std::string::String>, #error> {
                    authorization(parts, "Bearer")
                }
            },
        ),
        (
            needs.authorization,
            quote! {
                /// The credentials of an `Authorization: <scheme> <credentials>` header.
                pub(crate) fn authorization(
                    parts: &::axum::http::request::Parts,
                    scheme: &str,
                ) -> ::std::result::Result<::std::option::Option<::std::string::String>, #error> {
                    let ::std::option::Option::Some(value) = parts.headers.get(::axum::http::header::AUTHORIZATION) else {
                        return ::std::result::Result::Ok(::std::option::Option::None);
                    };
                    let malformed = || #error::missing_token("Invalid Authorization header");
                    let value = value.to_str().map_err(|_| malformed())?;
                    match value.split_once(' ') {
                        ::std::option::Option::Some((given, credentials))
                            if given.eq_ignore_ascii_case(scheme)
                                && !credentials.is_empty()
                                && !credentials.contains(char::is_whitespace) =>
                        {
                            ::std::result::Result::Ok(::std::option::Option::Some(credentials.to_owned()))
                        }
                        _ => ::std::result::Result::Err(malformed()),
                    }
                }
            },
        ),
        (
            needs.api_key,
            quote! {
                /// An API key from its place, or (where the scheme allows it) from
                /// `Authorization: Bearer`. Both at once is ambiguous, and refused.
                pub(crate) fn api_key(
                    parts: &::axum::http::request::Parts,
                    name: &str,
                    location: KeyLocation,
                    #as_bearer_param
                ) -> ::std::result::Result<::std::option::Option<::std::string::String>, #error> {
                    let placed = match location {
                        #(#key_arms)*
                    };
                    let from_header = #from_header;
                    match (placed, from_header) {
                        (::std::option::Option::Some(_), ::std::option::Option::Some(_)) => ::std::result::Result::Err(
                            #error::missing_token("Mixing an Authorization header and an access token parameter is not allowed"),
                        ),
                        (placed, from_header) => ::std::result::Result::Ok(placed.or(from_header)),
                    }
                }
            },
        ),
        (
            true,
            quote! {
                /// A JSON response.
                pub(crate) fn json_response<T: ::serde::Serialize>(status: ::http::StatusCode, body: &T) -> ::axum::response::Response {
                    match ::serde_json::to_vec(body) {
                        ::std::result::Result::Ok(bytes) => (
                            status,
                            [(::axum::http::header::CONTENT_TYPE, "application/json")],
                            bytes,
                        )
                            .into_response(),
                        ::std::result::Result::Err(error) => {
                            #error::internal(format!("Could not serialize the response: {error}")).into_response()
                        }
                    }
                }
            },
        ),
        (
            needs.media_response,
            quote! {
                /// A body of the given media type, as bytes.
                pub(crate) fn media_response(status: ::http::StatusCode, content_type: &str, bytes: ::std::vec::Vec<u8>) -> ::axum::response::Response {
                    // A range such as `image/*` names no type a response can carry.
                    let content_type = if content_type.contains('*') { "application/octet-stream" } else { content_type };
                    (status, [(::axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response()
                }
            },
        ),
        (
            needs.media_read,
            quote! {
                /// The request's media type (`type/subtype`, lower case, parameters dropped);
                /// empty when it declares none.
                pub(crate) fn content_type(parts: &::axum::http::request::Parts) -> ::std::string::String {
                    parts
                        .headers
                        .get(::axum::http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.split(';').next())
                        .map(|v| v.trim().to_ascii_lowercase())
                        .unwrap_or_default()
                }
            },
        ),
        (
            needs.media_matches,
            quote! {
                /// Whether `actual` is of the documented media type or range (`image/*`, `*/*`).
                pub(crate) fn media_matches(documented: &str, actual: &str) -> bool {
                    let documented = documented.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
                    match documented.split_once('/') {
                        ::std::option::Option::Some(("*", "*")) => true,
                        ::std::option::Option::Some((kind, "*")) => actual.split('/').next() == ::std::option::Option::Some(kind),
                        _ => documented == actual,
                    }
                }
            },
        ),
        (
            needs.query_object,
            quote! {
                /// An object spread over the query, a pair per property: every pair but those
                /// named in `others` (the operation's other query parameters and credentials);
                /// `None` when there is none.
                pub(crate) fn query_object<T: ::serde::de::DeserializeOwned>(
                    parts: &::axum::http::request::Parts,
                    others: &[&str],
                ) -> ::std::result::Result<::std::option::Option<T>, #error> {
                    let query = parts.uri.query().unwrap_or_default();
                    let pairs: ::std::vec::Vec<&str> = query
                        .split('&')
                        .filter(|pair| !pair.is_empty() && !others.contains(&pair.split('=').next().unwrap_or_default()))
                        .collect();
                    if pairs.is_empty() {
                        return ::std::result::Result::Ok(::std::option::Option::None);
                    }
                    ::serde_html_form::from_str(&pairs.join("&"))
                        .map(::std::option::Option::Some)
                        .map_err(|error| {
                            let message = error.to_string();
                            match missing_field(&message) {
                                ::std::option::Option::Some(field) => #error::missing_param(format!("Missing parameter: {field}")),
                                ::std::option::Option::None => #error::invalid_param(message),
                            }
                        })
                }
            },
        ),
        (
            needs.query_carries,
            quote! {
                /// How many of `names` the request's query carries. Names are compared as sent:
                /// a query parameter's name is plain text, which percent-encoding leaves alone.
                pub(crate) fn query_carries(parts: &::axum::http::request::Parts, names: &[&str]) -> usize {
                    let query = parts.uri.query().unwrap_or_default();
                    names
                        .iter()
                        .filter(|name| query.split('&').any(|pair| pair.split('=').next() == ::std::option::Option::Some(**name)))
                        .count()
                }
            },
        ),
        (
            needs.parse_text,
            quote! {
                /// A text body: it must be UTF-8.
                pub(crate) fn parse_text(bytes: &[u8]) -> ::std::result::Result<::std::string::String, #error> {
                    ::std::string::String::from_utf8(bytes.to_vec())
                        .map_err(|_| #error::bad_json("The body is not UTF-8 text"))
                }
            },
        ),
        (
            needs.empty_response,
            quote! {
                /// A response without a body.
                pub(crate) fn empty_response(status: ::http::StatusCode) -> ::axum::response::Response {
                    status.into_response()
                }
            },
        ),
        (
            true,
            quote! {
                pub(crate) fn respond<T: ::axum::response::IntoResponse>(
                    result: ::std::result::Result<T, #error>,
                ) -> ::axum::response::Response {
                    match result {
                        ::std::result::Result::Ok(response) => response.into_response(),
                        ::std::result::Result::Err(error) => error.into_response(),
                    }
                }
            },
        ),
        (
            true,
            quote! {
                pub(crate) async fn not_found() -> ::axum::response::Response {
                    #error::not_found("Unrecognized request").into_response()
                }
            },
        ),
        (
            true,
            quote! {
                pub(crate) async fn method_not_allowed() -> ::axum::response::Response {
                    #error::method_not_allowed("Unrecognized request").into_response()
                }
            },
        ),
        (
            true,
            quote! {
                /// Answers `OPTIONS` on any path, and adds the CORS headers to every response.
                pub(crate) async fn cors(
                    request: ::axum::extract::Request,
                    next: ::axum::middleware::Next,
                ) -> ::axum::response::Response {
                    let mut response = if request.method() == ::axum::http::Method::OPTIONS {
                        ::axum::http::StatusCode::NO_CONTENT.into_response()
                    } else {
                        next.run(request).await
                    };
                    let headers = response.headers_mut();
                    headers.insert(
                        ::axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
                        ::axum::http::HeaderValue::from_static(#origin),
                    );
                    headers.insert(
                        ::axum::http::header::ACCESS_CONTROL_ALLOW_METHODS,
                        ::axum::http::HeaderValue::from_static(#methods),
                    );
                    headers.insert(
                        ::axum::http::header::ACCESS_CONTROL_ALLOW_HEADERS,
                        ::axum::http::HeaderValue::from_static(#headers),
                    );
                    response
                }
            },
        ),
        (
            true,
            quote! {
                impl ::axum::response::IntoResponse for #error {
                    fn into_response(self) -> ::axum::response::Response {
                        #into_response
                    }
                }
            },
        ),
    ];
    let items = items
        .into_iter()
        .filter(|(needed, _)| *needed)
        .map(|(_, item)| item);
    quote!(#(#items)*)
}
