//! The client half's shared part: where requests go ([`BaseUrl`]), how a request is put
//! together ([`Outgoing`]), how a response is taken apart ([`Incoming`]), and what can go
//! wrong on either side. Transport-agnostic: every request type turns into an
//! `http::Request<Vec<u8>>` (`XRequest::to_http`) and every `http::Response<Vec<u8>>` into
//! its response enum (`XResponse::from_http`), whatever sends them. Behind the `client`
//! feature, each API's `Client` sends them over an [`HttpClient`]: reqwest's with the
//! `reqwest` feature, or whatever client the application wraps.
//!
//! Values go on the wire as the server half reads them: path, query and header values are
//! the value's JSON scalar as text (a string as is), a list is one query pair per item, an
//! absent optional value is left out.
//!
//! This file is the same in every generated crate: the generator copies it verbatim.

use std::fmt;

/// Where requests go: the server's URL (scheme, host, and any path it is mounted under) and
/// the values chosen for the base paths' variables (each variable's first value otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: String,
    variables: Vec<(String, String)>,
}

impl BaseUrl {
    /// The server at `url`, e.g. `https://api.example.org`.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into().trim_end_matches('/').to_owned();
        BaseUrl {
            url,
            variables: Vec::new(),
        }
    }

    /// Chooses `value` for the base-path variable `name` (such as `version` = `v3` for a
    /// base path `/api/{version}`). A value an operation does not list is refused when a
    /// request for it is made.
    pub fn with_variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        self.variables.retain(|(n, _)| *n != name);
        self.variables.push((name, value.into()));
        self
    }

    /// The server's URL, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `template` (a base path, `{name}` for each variable) with the chosen values: each of
    /// `variables` lists its values, the default first.
    fn base(&self, template: &str, variables: &[(&str, &[&str])]) -> Result<String, RequestError> {
        let mut base = template.to_owned();
        for (name, values) in variables {
            let chosen = self.variables.iter().find(|(n, _)| n == name);
            let value = match chosen {
                Some((_, value)) if values.contains(&value.as_str()) => value.as_str(),
                Some((_, value)) => {
                    return Err(RequestError::new(format!(
                        "`{value}` is not a value of the base-path variable `{name}` (one of: {})",
                        values.join(", ")
                    )));
                }
                None => values.first().copied().unwrap_or_default(),
            };
            base = base.replace(&format!("{{{name}}}"), value);
        }
        Ok(base)
    }
}

/// An operation, implemented by its request type: what it answers with, what it is, and how
/// it goes over HTTP. A generic client (each API's `Client::send`), a middleware or a test
/// can be written once against it.
pub trait Endpoint {
    /// The enum of the operation's documented responses.
    type Response;
    /// The credential the operation's API takes (`std::convert::Infallible` for an API
    /// that takes none).
    type Credential;
    /// What the operation is: method, paths, authentication, rate limits.
    const METADATA: crate::metadata::Metadata;

    /// The HTTP request, sent to `base`, with `credential` where the operation takes one.
    fn to_http(
        &self,
        base: &BaseUrl,
        credential: Option<&Self::Credential>,
    ) -> Result<::http::Request<Vec<u8>>, RequestError>;

    /// The documented response a server sent.
    fn response_from_http(
        response: ::http::Response<Vec<u8>>,
    ) -> Result<Self::Response, ResponseError>;
}

/// A documented error response, as `XResponse::into_result` gives it: the status it came
/// with, and the response itself (the variant for that status, with its typed body). Where
/// the operation documents no body for the status, the variant carries none.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResponse<R> {
    /// The status the response came with.
    pub status: ::http::StatusCode,
    /// The response: one of its error variants (boxed, so that a `Result` holding it stays
    /// small).
    pub response: Box<R>,
}

impl<R: fmt::Debug> fmt::Display for ErrorResponse<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the server answered {}: {:?}",
            self.status, self.response
        )
    }
}

impl<R: fmt::Debug> std::error::Error for ErrorResponse<R> {}

/// A request that could not be put together: a value that cannot go where the operation puts
/// it (a header with a line break, an object as a path segment), a base-path value the
/// operation does not list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    message: String,
}

impl RequestError {
    fn new(message: impl Into<String>) -> Self {
        RequestError {
            message: message.into(),
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot build the request: {}", self.message)
    }
}

impl std::error::Error for RequestError {}

/// A response that is not one the operation documents, or whose body does not fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseError {
    /// A status the operation does not document: the status, the media type and the body as
    /// they came.
    Undocumented {
        /// The status.
        status: ::http::StatusCode,
        /// The `Content-Type` header, empty when there was none.
        content_type: String,
        /// The body.
        body: Vec<u8>,
    },
    /// A documented status whose body is not what the operation documents for it.
    Undecodable {
        /// The status.
        status: ::http::StatusCode,
        /// What did not fit.
        message: String,
        /// The body.
        body: Vec<u8>,
    },
}

impl ResponseError {
    /// The status the response came with.
    pub fn status(&self) -> ::http::StatusCode {
        match self {
            ResponseError::Undocumented { status, .. }
            | ResponseError::Undecodable { status, .. } => *status,
        }
    }

    /// The body as it came.
    pub fn body(&self) -> &[u8] {
        match self {
            ResponseError::Undocumented { body, .. } | ResponseError::Undecodable { body, .. } => {
                body
            }
        }
    }
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResponseError::Undocumented { status, body, .. } => {
                write!(f, "the operation does not document status {status}")?;
                // The start of the body, which often says why (an error from the server).
                let text = String::from_utf8_lossy(body);
                let start: String = text.chars().take(200).collect();
                if !start.is_empty() {
                    write!(f, ": {start}")?;
                }
                Ok(())
            }
            ResponseError::Undecodable {
                status, message, ..
            } => {
                write!(
                    f,
                    "the body of the {status} response does not fit: {message}"
                )
            }
        }
    }
}

impl std::error::Error for ResponseError {}

/// A request being put together, for one operation.
#[derive(Debug)]
pub struct Outgoing {
    method: ::http::Method,
    url: String,
    path: String,
    query: Vec<(String, String)>,
    headers: ::http::HeaderMap,
    cookies: Vec<String>,
    body: Vec<u8>,
}

impl Outgoing {
    /// A request for `method` on `path` (the operation's path, `{name}` for each path
    /// parameter) under the base path `base` of `endpoint` (with its `variables`: name and
    /// values, the default first).
    pub fn new(
        endpoint: &BaseUrl,
        method: ::http::Method,
        base: &str,
        variables: &[(&str, &[&str])],
        path: &str,
    ) -> Result<Self, RequestError> {
        Ok(Outgoing {
            method,
            url: endpoint.url.clone(),
            path: format!("{}{path}", endpoint.base(base, variables)?),
            query: Vec::new(),
            headers: ::http::HeaderMap::new(),
            cookies: Vec::new(),
            body: Vec::new(),
        })
    }

    /// Puts `value` in place of `{name}` in the path, percent-encoded.
    pub fn path_parameter(
        &mut self,
        name: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), RequestError> {
        let texts = texts(name, value)?;
        let [text] = texts.as_slice() else {
            return Err(RequestError::new(format!(
                "path parameter `{name}` needs exactly one value"
            )));
        };
        self.path = self
            .path
            .replace(&format!("{{{name}}}"), &percent_encode(text));
        Ok(())
    }

    /// Adds `value` to the query as `name` (one pair per item of a list; none when absent).
    /// An object is spread over the query instead, a pair per property (OpenAPI's default
    /// for a query parameter, `style: form` exploded), as the server half reads it.
    pub fn query(&mut self, name: &str, value: &impl serde::Serialize) -> Result<(), RequestError> {
        let value = serde_json::to_value(value).map_err(|e| {
            RequestError::new(format!("parameter `{name}` does not serialize: {e}"))
        })?;
        if let serde_json::Value::Object(properties) = &value {
            for (property, value) in properties {
                for text in texts(property, value)? {
                    self.query.push((property.clone(), text));
                }
            }
            return Ok(());
        }
        for text in texts(name, &value)? {
            self.query.push((name.to_owned(), text));
        }
        Ok(())
    }

    /// Sets the header `name` to `value` (items of a list joined by commas; none when absent).
    /// Headers that frame the message (`Content-Length`, `Transfer-Encoding`, `Host`,
    /// `Connection`) are the transport's: a spec that documents one as a parameter describes
    /// what the transport sends, so it is not set from the value.
    pub fn header(
        &mut self,
        name: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), RequestError> {
        const FRAMING: [&str; 4] = ["content-length", "transfer-encoding", "host", "connection"];
        if FRAMING
            .iter()
            .any(|framing| name.eq_ignore_ascii_case(framing))
        {
            return Ok(());
        }
        let texts = texts(name, value)?;
        if texts.is_empty() {
            return Ok(());
        }
        self.raw_header(name, &texts.join(","))
    }

    /// Adds the cookie `name` with `value`.
    pub fn cookie(
        &mut self,
        name: &str,
        value: &impl serde::Serialize,
    ) -> Result<(), RequestError> {
        for text in texts(name, value)? {
            self.cookies
                .push(format!("{name}={}", percent_encode(&text)));
        }
        Ok(())
    }

    /// Sends `token` as `Authorization: Bearer`.
    pub fn bearer(&mut self, token: &str) -> Result<(), RequestError> {
        self.authorization("Bearer", token)
    }

    /// Sends `credentials` as `Authorization: {scheme} {credentials}`.
    pub fn authorization(&mut self, scheme: &str, credentials: &str) -> Result<(), RequestError> {
        self.raw_header("authorization", &format!("{scheme} {credentials}"))
    }

    /// The body as JSON.
    pub fn json(&mut self, value: &impl serde::Serialize) -> Result<(), RequestError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| RequestError::new(format!("the body does not serialize: {e}")))?;
        self.body("application/json", bytes)
    }

    /// The body as a form (`application/x-www-form-urlencoded`), a pair per field, as the
    /// server half reads it.
    pub fn form(&mut self, value: &impl serde::Serialize) -> Result<(), RequestError> {
        let text = crate::form::to_string(value)
            .map_err(|e| RequestError::new(format!("the body is not a form: {e}")))?;
        self.body("application/x-www-form-urlencoded", text.into_bytes())
    }

    /// The body: `bytes` of `content_type`, unless a `Content-Type` header parameter named
    /// the body's media type already (an upload's file type): that one stands.
    pub fn body(&mut self, content_type: &str, bytes: Vec<u8>) -> Result<(), RequestError> {
        if !self.headers.contains_key(::http::header::CONTENT_TYPE) {
            self.raw_header("content-type", content_type)?;
        }
        self.body = bytes;
        Ok(())
    }

    fn raw_header(&mut self, name: &str, value: &str) -> Result<(), RequestError> {
        let name = ::http::HeaderName::try_from(name)
            .map_err(|e| RequestError::new(format!("header name `{name}`: {e}")))?;
        let value = ::http::HeaderValue::try_from(value)
            .map_err(|e| RequestError::new(format!("header `{name}`: {e}")))?;
        self.headers.insert(name, value);
        Ok(())
    }

    /// The request.
    pub fn build(mut self) -> Result<::http::Request<Vec<u8>>, RequestError> {
        let mut uri = format!("{}{}", self.url, self.path);
        let query = pairs(&self.query);
        if !query.is_empty() {
            uri.push('?');
            uri.push_str(&query);
        }
        if !self.cookies.is_empty() {
            let cookies = self.cookies.join("; ");
            self.raw_header("cookie", &cookies)?;
        }
        let mut request = ::http::Request::builder()
            .method(self.method)
            .uri(&uri)
            .body(self.body)
            .map_err(|e| RequestError::new(format!("`{uri}`: {e}")))?;
        *request.headers_mut() = self.headers;
        Ok(request)
    }
}

/// A response being taken apart.
#[derive(Debug)]
pub struct Incoming {
    status: ::http::StatusCode,
    content_type: String,
    body: Vec<u8>,
}

impl Incoming {
    /// The response, to take apart.
    pub fn new(response: ::http::Response<Vec<u8>>) -> Self {
        let content_type = response
            .headers()
            .get(::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let status = response.status();
        Incoming {
            status,
            content_type,
            body: response.into_body(),
        }
    }

    /// The response's status.
    pub fn status(&self) -> ::http::StatusCode {
        self.status
    }

    /// The `Content-Type` header, empty when there is none.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The body.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The body, as JSON of `T`.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ResponseError> {
        serde_json::from_slice(&self.body).map_err(|e| self.undecodable(e.to_string()))
    }

    /// The body, as a form of `T`.
    pub fn form<T: serde::de::DeserializeOwned>(&self) -> Result<T, ResponseError> {
        crate::form::from_bytes(&self.body).map_err(|e| self.undecodable(e.to_string()))
    }

    /// The body, as UTF-8 text.
    pub fn text(&self) -> Result<String, ResponseError> {
        String::from_utf8(self.body.clone()).map_err(|e| self.undecodable(e.to_string()))
    }

    /// Whether the response's media type is one `documented` covers (`text/*` covers
    /// `text/plain`), parameters and case aside.
    pub fn is(&self, documented: &str) -> bool {
        let essence = |media_type: &str| {
            let essence = media_type.split(';').next().unwrap_or_default();
            essence.trim().to_ascii_lowercase()
        };
        let (documented, actual) = (essence(documented), essence(&self.content_type));
        match documented.split_once('/') {
            Some(("*", "*")) => true,
            Some((kind, "*")) => actual.split('/').next() == Some(kind),
            _ => documented == actual,
        }
    }

    /// The error for a body of a media type the operation does not document here.
    pub fn unexpected_media_type(&self) -> ResponseError {
        let content_type = self.content_type.clone();
        self.undecodable(format!(
            "media type `{content_type}` is not documented here"
        ))
    }

    /// The error for a documented status whose body does not fit: `message` says why.
    pub fn undecodable(&self, message: impl Into<String>) -> ResponseError {
        ResponseError::Undecodable {
            status: self.status,
            message: message.into(),
            body: self.body.clone(),
        }
    }

    /// The error for a status the operation does not document.
    pub fn undocumented(self) -> ResponseError {
        ResponseError::Undocumented {
            status: self.status,
            content_type: self.content_type,
            body: self.body,
        }
    }
}

/// What a value becomes in a path, query or header: its JSON scalar as text, one per item of
/// a list, none for `null` (an absent optional value).
fn texts(name: &str, value: &impl serde::Serialize) -> Result<Vec<String>, RequestError> {
    let value = serde_json::to_value(value)
        .map_err(|e| RequestError::new(format!("parameter `{name}` does not serialize: {e}")))?;
    let scalar = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => Ok(text.clone()),
        serde_json::Value::Number(number) => Ok(number.to_string()),
        serde_json::Value::Bool(flag) => Ok(flag.to_string()),
        _ => Err(RequestError::new(format!(
            "parameter `{name}` is not a scalar or a list of scalars"
        ))),
    };
    match &value {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Array(items) => items.iter().map(scalar).collect(),
        other => Ok(vec![scalar(other)?]),
    }
}

fn pairs(list: &[(String, String)]) -> String {
    list.iter()
        .map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes everything but RFC 3986's unreserved characters, so the text is safe in
/// a path segment, a query and a form alike.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What an API's `Client` sends its requests with: a whole request in, a whole response out.
/// The `reqwest` feature implements it for `reqwest::Client`; an application implements it
/// for any other HTTP client (hyper, a browser's `fetch`, an in-process service in tests).
#[cfg(feature = "client")]
pub trait HttpClient {
    /// Sends `request` and reads the whole response, or says why no answer came.
    fn send(
        &self,
        request: ::http::Request<Vec<u8>>,
    ) -> impl Future<Output = Result<::http::Response<Vec<u8>>, TransportError>> + Send;
}

/// Why a request got no answer (connecting, sending or receiving failed): the HTTP client's
/// own error, to downcast when its details matter.
#[cfg(feature = "client")]
pub type TransportError = Box<dyn std::error::Error + Send + Sync>;

/// A call that failed: the request could not be built, did not get an answer, or got one the
/// operation does not document.
#[cfg(feature = "client")]
#[derive(Debug)]
pub enum ClientError {
    /// The request could not be put together.
    Request(RequestError),
    /// Connecting, sending or receiving failed.
    Transport(TransportError),
    /// The answer is not one the operation documents.
    Response(ResponseError),
}

#[cfg(feature = "client")]
impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Request(error) => error.fmt(f),
            ClientError::Transport(error) => write!(f, "the request failed: {error}"),
            ClientError::Response(error) => error.fmt(f),
        }
    }
}

#[cfg(feature = "client")]
impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Request(error) => Some(error),
            ClientError::Transport(error) => Some(error.as_ref()),
            ClientError::Response(error) => Some(error),
        }
    }
}

#[cfg(feature = "client")]
impl From<RequestError> for ClientError {
    fn from(error: RequestError) -> Self {
        ClientError::Request(error)
    }
}

#[cfg(feature = "client")]
impl From<ResponseError> for ClientError {
    fn from(error: ResponseError) -> Self {
        ClientError::Response(error)
    }
}

/// Sends `request` with `http` and turns the answer into `E`'s documented response: what
/// every `Client::send` does, written once for all of them.
#[cfg(feature = "client")]
pub async fn send<E: Endpoint>(
    http: &impl HttpClient,
    request: &E,
    base: &BaseUrl,
    credential: Option<&E::Credential>,
) -> Result<E::Response, ClientError> {
    let request = request.to_http(base, credential)?;
    let response = http.send(request).await.map_err(ClientError::Transport)?;
    Ok(E::response_from_http(response)?)
}

#[cfg(feature = "reqwest")]
impl HttpClient for reqwest::Client {
    async fn send(
        &self,
        request: ::http::Request<Vec<u8>>,
    ) -> Result<::http::Response<Vec<u8>>, TransportError> {
        let request = reqwest::Request::try_from(request)?;
        let response = self.execute(request).await?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        let mut out = ::http::Response::new(body.to_vec());
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VERSION: &[(&str, &[&str])] = &[("V", &["r0", "v3"])];

    #[test]
    fn the_base_path_takes_the_chosen_value_or_the_first() {
        let endpoint = BaseUrl::new("https://hs.example/");
        let request = Outgoing::new(&endpoint, ::http::Method::GET, "/api/{V}", VERSION, "/x")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(request.uri(), "https://hs.example/api/r0/x");
        let endpoint = endpoint.with_variable("V", "v3");
        let request = Outgoing::new(&endpoint, ::http::Method::GET, "/api/{V}", VERSION, "/x")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(request.uri(), "https://hs.example/api/v3/x");
        let unknown = BaseUrl::new("http://h").with_variable("V", "v9");
        let error =
            Outgoing::new(&unknown, ::http::Method::GET, "/api/{V}", VERSION, "/x").unwrap_err();
        assert!(error.to_string().contains("one of: r0, v3"), "{error}");
    }

    #[test]
    fn parameters_are_encoded_where_they_go() {
        let endpoint = BaseUrl::new("http://h");
        let mut request =
            Outgoing::new(&endpoint, ::http::Method::POST, "", &[], "/u/{id}/x").unwrap();
        request.path_parameter("id", &"@a b/c:d").unwrap();
        request.query("tag", &["x&y", "z"]).unwrap();
        request.query("limit", &Some(5)).unwrap();
        request.query("absent", &Option::<u8>::None).unwrap();
        request
            .query("fields", &serde_json::json!({"network": "irc net"}))
            .unwrap();
        request.header("X-Flag", &true).unwrap();
        request.header("Content-Length", &99).unwrap();
        request.cookie("session", &"a;b").unwrap();
        request
            .form(&serde_json::json!({"a": "1 2", "b": "&", "c": [1, true], "d": null}))
            .unwrap();
        let request = request.build().unwrap();
        assert_eq!(
            request.uri(),
            "http://h/u/%40a%20b%2Fc%3Ad/x?tag=x%26y&tag=z&limit=5&network=irc%20net"
        );
        assert_eq!(request.headers()["x-flag"], "true");
        assert!(request.headers().get("content-length").is_none());
        assert_eq!(request.headers()["cookie"], "session=a%3Bb");
        // A pair per property, one per item of a list, none for `null`.
        assert_eq!(request.body(), b"a=1+2&b=%26&c=1&c=true");
        let mut bad = Outgoing::new(&endpoint, ::http::Method::GET, "", &[], "/{id}").unwrap();
        assert!(bad.header("X-Line", &"a\nb").is_err());
        assert!(
            bad.path_parameter("id", &serde_json::json!({"a": 1}))
                .is_err()
        );
    }

    #[test]
    fn a_content_type_parameter_names_the_body_s_type_in_either_order() {
        let endpoint = BaseUrl::new("http://h");
        let mut header_first =
            Outgoing::new(&endpoint, ::http::Method::POST, "", &[], "/upload").unwrap();
        header_first.header("Content-Type", &"image/png").unwrap();
        header_first
            .body("application/octet-stream", vec![1])
            .unwrap();
        assert_eq!(
            header_first.build().unwrap().headers()["content-type"],
            "image/png"
        );
        let mut body_first =
            Outgoing::new(&endpoint, ::http::Method::POST, "", &[], "/upload").unwrap();
        body_first
            .body("application/octet-stream", vec![1])
            .unwrap();
        body_first.header("Content-Type", &"image/png").unwrap();
        assert_eq!(
            body_first.build().unwrap().headers()["content-type"],
            "image/png"
        );
        let mut absent =
            Outgoing::new(&endpoint, ::http::Method::POST, "", &[], "/upload").unwrap();
        absent
            .header("Content-Type", &Option::<String>::None)
            .unwrap();
        absent.body("application/octet-stream", vec![1]).unwrap();
        assert_eq!(
            absent.build().unwrap().headers()["content-type"],
            "application/octet-stream"
        );
    }

    #[test]
    fn responses_keep_what_they_carried() {
        let response = ::http::Response::builder()
            .status(418)
            .header("content-type", "text/plain")
            .body(b"teapot".to_vec())
            .unwrap();
        let incoming = Incoming::new(response);
        assert!(incoming.is("TEXT/PLAIN") && incoming.is("text/*") && !incoming.is("text/html"));
        let error = incoming.json::<serde_json::Value>().unwrap_err();
        assert!(
            matches!(&error, ResponseError::Undecodable { status, .. } if status.as_u16() == 418)
        );
        assert_eq!(error.body(), b"teapot");
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Form {
            a: String,
            n: u8,
        }
        let form: Form = Incoming::new(::http::Response::new(b"a=1+2&n=3".to_vec()))
            .form()
            .unwrap();
        assert_eq!(
            form,
            Form {
                a: "1 2".into(),
                n: 3
            }
        );
    }
}
