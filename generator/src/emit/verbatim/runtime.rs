//! The server half, on `http`'s types and no framework: parsing JSON, forms, queries, paths
//! and headers into typed values, finding credentials, writing responses, and
//! [`serve`](crate::runtime::serve), which answers one operation's request. Every failure is
//! answered with the crate's error, through the constructor of its kind and the message the
//! config gives it (`settings::messages`). The axum routers' own part (bounded bodies, path
//! parameters, the handlers, CORS, the fallbacks) is [`routing`](crate::runtime::routing),
//! behind the `axum` feature.
//!
//! This file is the same in every generated crate: the generator copies it verbatim, and
//! generates `settings` beside it (the error type and the values the config decides). The
//! module is public, so that no part of it is dead code whichever parts a crate's routers
//! use, and hidden, because it is not part of the crate's API: generated code calls it, and
//! the crate's `server` module re-exports what a server on another framework needs.

use std::borrow::Cow;
use std::fmt::Display;

use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use serde::de::DeserializeOwned;

use crate::strings::Secret;

#[rustfmt::skip]
mod settings;

#[cfg(feature = "axum")]
#[rustfmt::skip]
pub mod routing;

pub use settings::{
    BODY_LIMIT, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_ALLOW_ORIGIN, Error,
    RETRY_AFTER_PROPERTY, messages,
};

/// A failure's message with what the router knows more about it.
pub fn detailed(message: &str, detail: impl Display) -> String {
    format!("{message}: {detail}")
}

/// The error for a value serde could not read, naming where in it serde failed: a missing
/// field is a missing parameter (a body's required property is one too), anything else the
/// failure `otherwise` makes.
fn unreadable<E: Display>(
    error: serde_path_to_error::Error<E>,
    otherwise: fn(String) -> Error,
) -> Error {
    let path = error.path().to_string();
    let message = error.inner().to_string();
    let within = |name: &str| match path.as_str() {
        "." => name.to_owned(),
        path => format!("{path}.{name}"),
    };
    match missing_field(&message) {
        Some(field) => missing_parameter(&within(field)),
        None if path == "." => otherwise(message),
        None => otherwise(format!("`{path}`: {message}")),
    }
}

/// The field a serde "missing field" message names.
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// A required parameter named `name` is missing.
pub fn missing_parameter(name: &str) -> Error {
    Error::missing_parameter(detailed(messages::MISSING_PARAMETER, name))
}

fn body_mismatch(message: String) -> Error {
    Error::body_mismatch(detailed(messages::BODY_MISMATCH, message))
}

pub fn invalid_parameter(message: String) -> Error {
    Error::invalid_parameter(detailed(messages::INVALID_PARAMETER, message))
}

/// Parses a JSON body: not JSON at all, JSON of the wrong shape and a missing required
/// field are three different failures.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let not_json =
        |error| Error::body_not_in_media_type(detailed(messages::BODY_NOT_IN_MEDIA_TYPE, error));
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| match error
        .inner()
        .classify()
    {
        serde_json::error::Category::Data => unreadable(error, body_mismatch),
        _ => not_json(error.into_inner()),
    })?;
    deserializer.end().map_err(not_json)?;
    Ok(value)
}

/// Parses a form body (`application/x-www-form-urlencoded`).
pub fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    read_pairs(bytes, body_mismatch)
}

/// Reads `T` from `name=value` pairs, form-encoded (a form body, a query, or the path's or
/// headers' pairs encoded so).
fn read_pairs<T: DeserializeOwned>(
    encoded: &[u8],
    otherwise: fn(String) -> Error,
) -> Result<T, Error> {
    serde_path_to_error::deserialize(crate::form::Form::new(encoded))
        .map_err(|error| unreadable(error, otherwise))
}

/// A text body: it must be UTF-8.
pub fn parse_text(bytes: &[u8]) -> Result<String, Error> {
    String::from_utf8(bytes.to_vec()).map_err(|error| {
        Error::body_not_in_media_type(detailed(messages::BODY_NOT_IN_MEDIA_TYPE, error))
    })
}

/// Whether the request says its body is a form.
fn is_form(parts: &Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

/// Parses a body. Anything but a form (where `form` allows one) is read as JSON, whatever
/// its declared type: clients are lax about `Content-Type`.
pub fn body<T: DeserializeOwned>(parts: &Parts, bytes: &[u8], form: bool) -> Result<T, Error> {
    if form && is_form(parts) {
        parse_form(bytes)
    } else {
        parse_json(bytes)
    }
}

/// Like [`body()`], where an empty body means none.
pub fn optional_body<T: DeserializeOwned>(
    parts: &Parts,
    bytes: &[u8],
    form: bool,
) -> Result<Option<T>, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    body(parts, bytes, form).map(Some)
}

/// The query's pairs, percent-decoded, in order.
pub fn query_pairs(parts: &Parts) -> Vec<(String, String)> {
    crate::form::pairs(parts.uri.query().unwrap_or_default().as_bytes())
}

/// An object spread over the query, a pair per property: every pair but those named in
/// `others` (the operation's other query parameters and credentials); `None` when there is
/// none.
pub fn query_object<T: DeserializeOwned>(
    parts: &Parts,
    others: &[&str],
) -> Result<Option<T>, Error> {
    let query = parts.uri.query().unwrap_or_default();
    let pairs: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !others.contains(&pair_name(pair)))
        .collect();
    if pairs.is_empty() {
        return Ok(None);
    }
    read_pairs(pairs.join("&").as_bytes(), invalid_parameter).map(Some)
}

/// How many of `names` the request's query carries. Names are compared as sent: a query
/// parameter's name is plain text, which percent-encoding leaves alone.
pub fn query_carries(parts: &Parts, names: &[&str]) -> usize {
    let query = parts.uri.query().unwrap_or_default();
    names
        .iter()
        .filter(|name| query.split('&').any(|pair| pair_name(pair) == **name))
        .count()
}

/// The name of a query's `name=value` pair.
fn pair_name(pair: &str) -> &str {
    pair.split('=').next().unwrap_or_default()
}

/// The headers that are text, as pairs (names in lower case, as `http` keeps them).
pub fn header_pairs(parts: &Parts) -> Vec<(String, String)> {
    parts
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

/// The parameter `name` among `pairs` (the query's, the path's or the headers', decoded):
/// every value of that name, read as `T` the way a form's field is read (so a list takes
/// one pair per item, and an empty value is `None` where `T` is an `Option`); `None` when
/// no pair has the name. One generic reader per parameter type, rather than a deserializer
/// per operation's parameters.
pub fn parameter<T: DeserializeOwned>(
    pairs: &[(String, String)],
    name: &str,
) -> Result<Option<T>, Error> {
    let values: Vec<Cow<str>> = pairs
        .iter()
        .filter(|(key, _)| key == name)
        .map(|(_, value)| Cow::Borrowed(value.as_str()))
        .collect();
    if values.is_empty() {
        return Ok(None);
    }
    serde_path_to_error::deserialize(crate::form::Values(values))
        .map(Some)
        .map_err(|error| {
            // Where in the value serde failed (an item of a list), under the parameter's
            // own name.
            let path = error.path().to_string();
            let within = if path == "." { "" } else { path.as_str() };
            invalid_parameter(format!("`{name}{within}`: {}", error.inner()))
        })
}

/// A place a credential may come from (a security scheme's places, as the IR decided them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A query parameter of this name.
    Query(&'static str),
    /// A header of this name, its whole value.
    Header(&'static str),
    /// A cookie of this name.
    Cookie(&'static str),
    /// `Authorization: <scheme> <credential>`, with this scheme.
    Authorization(&'static str),
}

/// Why a request's credential cannot be used. Each API's router answers it: with the
/// shared [`CredentialFailure::answer`], or its own where the config gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialFailure {
    /// The operation needs a credential and the request carries none.
    Missing,
    /// A credential is given in a form its scheme does not take.
    Malformed,
    /// A credential is given in more than one place.
    Ambiguous,
}

impl CredentialFailure {
    /// The shared answer (`[errors.router]`).
    pub fn answer(self) -> Error {
        match self {
            CredentialFailure::Missing => Error::missing_credential(messages::MISSING_CREDENTIAL),
            CredentialFailure::Malformed => {
                Error::malformed_credential(messages::MALFORMED_CREDENTIAL)
            }
            CredentialFailure::Ambiguous => {
                Error::ambiguous_credential(messages::AMBIGUOUS_CREDENTIAL)
            }
        }
    }
}

/// The credential the request carries in one of `places`; `None` when it carries none.
/// Given in two places at once it is ambiguous, and refused.
pub fn credential(parts: &Parts, places: &[Place]) -> Result<Option<Secret>, CredentialFailure> {
    let mut found = None;
    for place in places {
        let Some(value) = read_place(parts, *place)? else {
            continue;
        };
        if found.is_some() {
            return Err(CredentialFailure::Ambiguous);
        }
        found = Some(Secret::from(value));
    }
    Ok(found)
}

fn read_place(parts: &Parts, place: Place) -> Result<Option<String>, CredentialFailure> {
    Ok(match place {
        Place::Query(name) => query_pairs(parts)
            .into_iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value),
        Place::Header(name) => parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        Place::Cookie(name) => parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned()),
        Place::Authorization(scheme) => authorization(parts, scheme)?,
    })
}

/// The credentials of an `Authorization: <scheme> <credentials>` header. A header of
/// another form is an error, not an absent credential: the client meant to authenticate.
fn authorization(parts: &Parts, scheme: &str) -> Result<Option<String>, CredentialFailure> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || CredentialFailure::Malformed;
    let value = value.to_str().map_err(|_| malformed())?;
    match value.split_once(' ') {
        Some((given, credentials))
            if given.eq_ignore_ascii_case(scheme)
                && !credentials.is_empty()
                && !credentials.contains(char::is_whitespace) =>
        {
            Ok(Some(credentials.to_owned()))
        }
        _ => Err(malformed()),
    }
}

/// The request's media type (`type/subtype`, lower case, parameters dropped); empty when it
/// declares none.
pub fn content_type(parts: &Parts) -> String {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether `actual` is of the documented media type or range (`image/*`, `*/*`).
pub fn media_matches(documented: &str, actual: &str) -> bool {
    let documented = documented
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match documented.split_once('/') {
        Some(("*", "*")) => true,
        Some((kind, "*")) => actual.split('/').next() == Some(kind),
        _ => documented == actual,
    }
}

/// A body in a media type the operation does not take; `documented` are those it takes.
pub fn unsupported_media_type(documented: &[&str]) -> Error {
    Error::unsupported_media_type(detailed(
        messages::UNSUPPORTED_MEDIA_TYPE,
        documented.join(", "),
    ))
}

/// A response as the server half writes it: `http`'s, its body in bytes. The axum routers
/// turn it into theirs (`routing::into_axum`); a server on another framework takes it as it
/// is.
pub type Response = http::Response<Vec<u8>>;

/// A response of `status` with `bytes` in the media type `content_type`, a valid header
/// value.
fn response_with(status: StatusCode, content_type: HeaderValue, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(bytes);
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    response
}

/// A JSON response.
pub fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => response_with(status, HeaderValue::from_static("application/json"), bytes),
        Err(error) => internal(format!("could not serialize the response: {error}")).into(),
    }
}

/// A body of the given media type, as bytes.
pub fn media_response(status: StatusCode, content_type: &str, bytes: Vec<u8>) -> Response {
    // A range such as `image/*` names no type a response can carry.
    let content_type = if content_type.contains('*') {
        "application/octet-stream"
    } else {
        content_type
    };
    match HeaderValue::from_str(content_type) {
        Ok(content_type) => response_with(status, content_type, bytes),
        Err(_) => internal(format!(
            "the media type `{content_type}` is no header value"
        ))
        .into(),
    }
}

/// A response without a body.
pub fn empty_response(status: StatusCode) -> Response {
    let mut response = Response::default();
    *response.status_mut() = status;
    response
}

/// The server failed to write its answer.
pub fn internal(detail: String) -> Error {
    Error::internal(detailed(messages::INTERNAL, detail))
}

impl From<Error> for Response {
    /// The error's JSON body with its status; where the config names the property of a
    /// wait, `Retry-After` too.
    fn from(error: Error) -> Response {
        let mut response = json_response(error.status, &error.body);
        // Clients that do not read the body still learn when to come back.
        let wait_ms = RETRY_AFTER_PROPERTY
            .and_then(|property| error.body.extra.get(property))
            .and_then(serde_json::Value::as_u64);
        if let Some(ms) = wait_ms
            && let Ok(value) = HeaderValue::from_str(&ms.div_ceil(1000).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

/// What a server needs of one operation, implemented by its request type for every server
/// of its API's trait: how the caller is authenticated, how the request is read, which
/// trait method answers it. [`serve`] (and the axum routers' one generic handler) serve every
/// operation through it, so that no operation has a handler of its own for the compiler to
/// check: per operation there are only these plain functions.
pub trait Operation<S>: Sized + Send + 'static {
    /// Whether the path carries parameters, which [`Self::read`] takes as the route matched
    /// them.
    const PATH: bool;
    /// Whether the operation takes a body, which [`Self::read`] takes whole.
    const BODY: bool;
    /// Who calls: `()` where the operation takes no credential, the server's caller where
    /// it requires one, and where it is optional, the verdict on the credential if one came.
    type Caller: Send;
    /// The operation's response enum.
    type Response: Into<Response>;

    /// Finds the request's credential and has the server authenticate it.
    fn authenticate(
        server: &S,
        parts: &Parts,
    ) -> impl Future<Output = Result<Self::Caller, Error>> + Send;

    /// Reads the request: path parameters (names and percent-decoded values, as the route
    /// matched them), query, headers, then the body.
    fn read(parts: &Parts, path: &[(String, String)], body: &[u8]) -> Result<Self, Error>;

    /// Calls the trait method that answers the operation.
    fn call(
        server: &S,
        caller: Self::Caller,
        request: Self,
    ) -> impl Future<Output = Result<Self::Response, Error>> + Send;
}

/// Answers a request for the operation `O` on any framework: authenticates, reads the
/// request (its path parameters as the framework's router matched them, its body as read,
/// within the application's limit), calls the method, and answers with its response or the
/// error of the first step that failed.
pub async fn serve<S: Sync, O: Operation<S>>(
    server: &S,
    parts: &Parts,
    path: &[(String, String)],
    body: &[u8],
) -> Response {
    let result = async {
        let caller = O::authenticate(server, parts).await?;
        let request = O::read(parts, path, body)?;
        O::call(server, caller, request).await
    }
    .await;
    respond(result)
}

/// The response of a handler's result.
pub fn respond<T: Into<Response>>(result: Result<T, Error>) -> Response {
    match result {
        Ok(response) => response.into(),
        Err(error) => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's parts with `uri` and `headers` (the `routing` tests use it too).
    pub(super) fn parts(uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut request = http::Request::builder().uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn a_missing_field_is_a_missing_parameter_and_other_shapes_a_mismatch() {
        #[derive(Debug, serde::Deserialize)]
        struct Login {
            #[allow(dead_code)]
            user: String,
        }
        let missing = parse_json::<Login>(b"{}").unwrap_err();
        assert_eq!(missing, missing_parameter("user"));
        let mismatch = parse_json::<Login>(br#"{"user": 1}"#).unwrap_err();
        assert_eq!(mismatch.status, Error::body_mismatch("").status);
        assert!(mismatch.body.extra.is_empty());
        let not_json = parse_json::<Login>(b"{").unwrap_err();
        assert_eq!(not_json.status, Error::body_not_in_media_type("").status);
        let not_text = parse_text(&[0xff]).unwrap_err();
        assert_eq!(not_text.status, Error::body_not_in_media_type("").status);
    }

    #[test]
    fn a_credential_comes_from_one_place_and_two_are_ambiguous() {
        let places = [Place::Query("access_token"), Place::Authorization("Bearer")];
        let query = parts("/x?access_token=abc", &[]);
        assert_eq!(credential(&query, &places).unwrap().as_deref(), Some("abc"));
        let header = parts("/x", &[("authorization", "Bearer def")]);
        assert_eq!(
            credential(&header, &places).unwrap().as_deref(),
            Some("def")
        );
        let both = parts("/x?access_token=abc", &[("authorization", "Bearer def")]);
        assert_eq!(
            credential(&both, &places).unwrap_err(),
            CredentialFailure::Ambiguous
        );
        let other_scheme = parts("/x", &[("authorization", "Basic def")]);
        assert_eq!(
            credential(&other_scheme, &places).unwrap_err(),
            CredentialFailure::Malformed
        );
        let cookie = parts("/x", &[("cookie", "a=1; session=s3")]);
        let cookie = credential(&cookie, &[Place::Cookie("session")]).unwrap();
        assert_eq!(cookie.as_deref(), Some("s3"));
        assert_eq!(credential(&parts("/x", &[]), &places).unwrap(), None);
    }

    #[test]
    fn a_parameter_is_read_as_a_forms_field_and_its_errors_name_it() {
        let pairs: Vec<(String, String)> =
            [("limit", "10"), ("dir", ""), ("tag", "a"), ("tag", "b")]
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value.to_owned()))
                .collect();
        assert_eq!(parameter::<u32>(&pairs, "limit").unwrap(), Some(10));
        // An empty value is no value, where the parameter is optional.
        assert_eq!(
            parameter::<Option<String>>(&pairs, "dir").unwrap(),
            Some(None)
        );
        assert_eq!(
            parameter::<String>(&pairs, "dir").unwrap().as_deref(),
            Some("")
        );
        // A list takes one pair per item.
        let tags = parameter::<Vec<String>>(&pairs, "tag").unwrap();
        assert_eq!(tags, Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(parameter::<u32>(&pairs, "from").unwrap(), None);
        let bad = parameter::<bool>(&pairs, "limit").unwrap_err();
        assert_eq!(bad.status, Error::invalid_parameter("").status);
        let named = detailed(messages::INVALID_PARAMETER, "`limit`:");
        assert!(bad.to_string().contains(&named), "{bad}");
    }

    #[test]
    fn media_ranges_match_their_types() {
        assert!(media_matches("image/*", "image/png"));
        assert!(media_matches("*/*", "text/plain"));
        assert!(media_matches(
            "Application/JSON; charset=utf-8",
            "application/json"
        ));
        assert!(!media_matches("image/*", "text/plain"));
        assert!(!media_matches("image/png", "image/jpeg"));
    }

    #[test]
    fn the_query_carries_names_as_sent() {
        let query = parts("/x?from=1&to=&dir=b", &[]);
        assert_eq!(query_carries(&query, &["from", "to", "limit"]), 2);
        #[derive(Debug, PartialEq, serde::Deserialize)]
        struct Filter {
            dir: String,
        }
        let spread: Option<Filter> = query_object(&query, &["from", "to"]).unwrap();
        assert_eq!(spread, Some(Filter { dir: "b".into() }));
        assert_eq!(
            query_object::<Filter>(&query, &["from", "to", "dir"]).unwrap(),
            None
        );
    }

    #[test]
    fn an_error_with_a_wait_says_when_to_come_back_where_the_config_names_its_property() {
        let property = RETRY_AFTER_PROPERTY.unwrap_or("retry_after_ms");
        let error = Error::rate_limited(messages::RATE_LIMITED).with_field(property, 1500);
        let retry_after = Response::from(error)
            .headers()
            .get(header::RETRY_AFTER)
            .cloned();
        match RETRY_AFTER_PROPERTY {
            Some(_) => assert_eq!(retry_after.as_ref().map(|v| v.as_bytes()), Some(&b"2"[..])),
            // Without one, no property of the body is taken for a wait.
            None => assert_eq!(retry_after, None),
        }
    }
}
