//! What every generated axum router shares, behind the `axum` feature: reading bounded
//! bodies and the route's path parameters, the one generic handler, the fallbacks, CORS, and
//! the conversion of the server half's responses into axum's.
//!
//! This file is the same in every generated crate: the generator copies it verbatim.

use axum::body::{Body, Bytes};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::IntoResponse;

use super::{
    BODY_LIMIT, CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_ALLOW_ORIGIN, Error, Operation,
    Response, detailed, invalid_parameter, messages,
};

/// Largest over-limit body read (and thrown away) so that its client can read the 413: 32
/// times [`BODY_LIMIT`].
pub const DRAIN_LIMIT: usize = BODY_LIMIT.saturating_mul(32);

/// Reads the whole body, refusing more than [`BODY_LIMIT`] bytes.
///
/// An over-limit body is read on and thrown away, up to [`DRAIN_LIMIT`] bytes, before the
/// 413 goes out: a client that is still sending it would otherwise find the connection
/// reset (closing with unread data resets it) and never read the answer. A body declared
/// larger than that is answered at once.
pub async fn read_body(parts: &Parts, body: Body) -> Result<Bytes, Error> {
    use http_body_util::BodyExt as _;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || Error::body_too_large(messages::BODY_TOO_LARGE);
    if declared.is_some_and(|length| length > DRAIN_LIMIT as u64) {
        return Err(too_large());
    }
    let mut over = declared.is_some_and(|length| length > BODY_LIMIT as u64);
    let mut body = body;
    let mut read = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|error| Error::unreadable_body(detailed(messages::UNREADABLE_BODY, error)))?;
        let Ok(data) = frame.into_data() else {
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
        return Err(too_large());
    }
    Ok(Bytes::from(read))
}

/// The path parameters' names and values (percent-decoded), as the route matched them.
pub async fn path_parameters(parts: &mut Parts) -> Result<Vec<(String, String)>, Error> {
    use axum::extract::{FromRequestParts, RawPathParams};
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|rejection| invalid_parameter(rejection.body_text()))?;
    Ok(params
        .iter()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect())
}

/// The handler of every operation `O` of a router: authenticates, reads the path parameters
/// and the body, reads the request, calls the method, and answers with its response or the
/// error of the first step that failed.
pub async fn handle<S: Send + Sync + 'static, O: Operation<S>>(
    axum::extract::State(server): axum::extract::State<std::sync::Arc<S>>,
    request: axum::extract::Request,
) -> axum::response::Response {
    let (mut parts, body) = request.into_parts();
    let result = async {
        let caller = O::authenticate(&server, &parts).await?;
        let path = if O::PATH {
            path_parameters(&mut parts).await?
        } else {
            Vec::new()
        };
        let body = if O::BODY {
            read_body(&parts, body).await?
        } else {
            Bytes::new()
        };
        let request = O::read(&parts, &path, &body)?;
        O::call(&server, caller, request).await
    }
    .await;
    into_axum(super::respond(result))
}

/// The server half's response as axum's.
pub fn into_axum(response: Response) -> axum::response::Response {
    response.map(Body::from)
}

/// The router's fallback: no endpoint is at the path.
pub async fn not_found() -> axum::response::Response {
    Error::not_found(messages::NOT_FOUND).into_response()
}

/// The router's fallback for a path whose endpoints take other methods.
pub async fn method_not_allowed() -> axum::response::Response {
    Error::method_not_allowed(messages::METHOD_NOT_ALLOWED).into_response()
}

/// Answers `OPTIONS` on any path, and adds the CORS headers to every response.
pub async fn cors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    // The config's values were checked to be header values when it was loaded.
    for (name, value) in [
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, CORS_ALLOW_ORIGIN),
        (header::ACCESS_CONTROL_ALLOW_METHODS, CORS_ALLOW_METHODS),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, CORS_ALLOW_HEADERS),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

impl IntoResponse for Error {
    fn into_response(self) -> axum::response::Response {
        into_axum(self.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::tests::parts;

    #[tokio::test]
    async fn a_body_over_the_limit_is_refused_after_it_is_read() {
        let over = vec![b' '; BODY_LIMIT + 1];
        let parts = parts("/x", &[]);
        let refused = read_body(&parts, Body::from(over)).await.unwrap_err();
        assert_eq!(refused, Error::body_too_large(messages::BODY_TOO_LARGE));
        let within = read_body(&parts, Body::from("{}")).await.unwrap();
        assert_eq!(&within[..], b"{}");
    }
}
