//! Rate limits on the operations whose specs document a 429 (login, registration, token
//! refresh, password change, OpenID, 3pids, the identity server): a token bucket per client
//! address and operation, found through the generated operation metadata. Buckets live in
//! this process's memory, so with several nodes each limits on its own.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use matrix_api::types::MatrixError;
use matrix_api::{client_server, identity};

/// A bucket's size and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// How many buckets may pile up before full ones are dropped.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<(IpAddr, &'static str), Bucket>>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `(client, class)`; when none is left, how long until one is.
    pub fn check(&self, client: IpAddr, class: &'static str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_BUCKETS {
            let limit = self.limit;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * limit.per_second
                    < limit.burst
            });
        }
        let bucket = buckets.entry((client, class)).or_insert(Bucket {
            tokens: self.limit.burst,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * self.limit.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.limit.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.limit.per_second,
            ))
        }
    }
}

/// The operation a request is for, if it is rate-limited: its name keys the bucket.
pub fn class(method: &Method, path: &str) -> Option<&'static str> {
    client_server::operation(method, path)
        .or_else(|| identity::operation(method, path))
        .filter(|operation| operation.rate_limited)
        .map(|operation| operation.name)
}

/// axum middleware: 429 `M_LIMIT_EXCEEDED`, with `retry_after_ms` and `Retry-After`.
pub async fn limit(
    State(limiter): State<Arc<RateLimiter>>,
    request: Request,
    next: Next,
) -> Response {
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let class = class(request.method(), request.uri().path());
    if let (Some(client), Some(class)) = (client, class)
        && let Err(wait) = limiter.check(client, class)
    {
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
        return MatrixError::rate_limited("Too many requests")
            .with_field("retry_after_ms", wait_ms)
            .into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_a_burst_then_refill() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1000.0,
            burst: 3.0,
        });
        let client: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(client, "login").is_ok());
        }
        let wait = limiter.check(client, "login").unwrap_err();
        assert!(wait <= Duration::from_millis(2));
        // Other clients and other classes have buckets of their own.
        assert!(limiter.check("127.0.0.2".parse().unwrap(), "login").is_ok());
        assert!(limiter.check(client, "register").is_ok());
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.check(client, "login").is_ok());
    }

    #[test]
    fn operations_that_document_a_429_are_limited() {
        let post = Method::POST;
        assert_eq!(class(&post, "/_matrix/client/v3/login"), Some("login"));
        assert_eq!(class(&post, "/_matrix/client/r0/login"), Some("login"));
        assert_eq!(
            class(&Method::GET, "/_matrix/client/r0/account/3pid"),
            Some("get_account_3pids")
        );
        assert_eq!(
            class(&Method::GET, "/_matrix/identity/v2/account"),
            Some("get_account")
        );
        assert_eq!(
            class(
                &post,
                "/_matrix/client/v3/user/%40a%3Ab/openid/request_token"
            ),
            Some("request_open_id_token")
        );
        assert_eq!(class(&Method::GET, "/_matrix/client/versions"), None);
        assert_eq!(class(&Method::OPTIONS, "/_matrix/client/v3/login"), None);
        assert_eq!(class(&Method::GET, "/_matrix/client/v3/nowhere"), None);
    }
}
