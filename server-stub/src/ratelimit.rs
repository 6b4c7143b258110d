//! Rate limits on the operations whose specs document a 429 (login, registration, token
//! refresh, password change, OpenID, 3pids, the identity server): a token bucket per client
//! network and operation, found through the generated operation metadata, and per user where
//! a handler asks (OpenID tokens, which each take memory for an hour). Buckets live in this
//! process's memory, so with several nodes each limits on its own.
//!
//! A client is its IPv4 address, or its IPv6 /64: one subscriber's allocation, which an
//! attacker could otherwise walk address by address. Behind a reverse proxy every request
//! comes from the proxy; `X-Forwarded-For` is believed only from the proxies the operator
//! lists (`--trusted-proxy`), since anyone else can write it.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ipnet::IpNet;
use matrix_api::types::MatrixError;
use matrix_api::{client_server, identity};

/// A bucket's size and how fast it refills.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    pub per_second: f64,
    pub burst: f64,
}

/// Whom a bucket counts for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Who {
    /// An IPv4 address, or the /64 of an IPv6 one.
    Network(IpAddr),
    /// A user ID.
    User(String),
}

impl Who {
    pub fn network(address: IpAddr) -> Who {
        Who::Network(match address {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let segments = v6.segments();
                    let [a, b, c, d, ..] = segments;
                    IpAddr::V6(Ipv6Addr::new(a, b, c, d, 0, 0, 0, 0))
                }
            },
        })
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// How many buckets may pile up before full ones are dropped at once.
const MAX_BUCKETS: usize = 100_000;

/// How often buckets that have refilled (their clients idle) are dropped: a full bucket is
/// what a client without one gets, so dropping it changes nothing but memory.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Debug)]
struct Buckets {
    map: HashMap<(Who, &'static str), Bucket>,
    swept: Instant,
}

#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    trusted_proxies: Vec<IpNet>,
    buckets: Mutex<Buckets>,
}

impl RateLimiter {
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter::behind(limit, Vec::new())
    }

    /// A limiter that believes `X-Forwarded-For` from `trusted_proxies` only.
    pub fn behind(limit: RateLimit, trusted_proxies: Vec<IpNet>) -> Self {
        RateLimiter {
            limit,
            trusted_proxies,
            buckets: Mutex::new(Buckets {
                map: HashMap::new(),
                swept: Instant::now(),
            }),
        }
    }

    /// Takes a token for `(who, class)`; when none is left, how long until one is.
    pub fn check(&self, who: Who, class: &'static str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let limit = self.limit;
        if buckets.map.len() >= MAX_BUCKETS || now.duration_since(buckets.swept) >= SWEEP_INTERVAL {
            buckets.map.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * limit.per_second
                    < limit.burst
            });
            buckets.swept = now;
        }
        let bucket = buckets.map.entry((who, class)).or_insert(Bucket {
            tokens: limit.burst,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * limit.per_second;
        bucket.tokens = (bucket.tokens + refill).min(limit.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / limit.per_second,
            ))
        }
    }

    /// How many buckets are kept.
    #[cfg(test)]
    fn buckets(&self) -> usize {
        self.buckets.lock().map(|b| b.map.len()).unwrap_or(0)
    }

    /// The client a request comes from: its peer, or, when the peer is a trusted proxy, the
    /// last address in `X-Forwarded-For` that is not one (each proxy appends its peer).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = |ip: &IpAddr| self.trusted_proxies.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|hop| !trusted(hop))
            .unwrap_or(peer)
    }
}

/// A 429 that says when to come back.
pub fn rate_limited(wait: Duration) -> MatrixError {
    let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX).max(1);
    MatrixError::rate_limited("Too many requests").with_field("retry_after_ms", wait_ms)
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
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let class = class(request.method(), request.uri().path());
    if let (Some(peer), Some(class)) = (peer, class) {
        let client = limiter.client(peer, request.headers());
        if let Err(wait) = limiter.check(Who::network(client), class) {
            return rate_limited(wait).into_response();
        }
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
        let client = Who::network("127.0.0.1".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.check(client.clone(), "login").is_ok());
        }
        let wait = limiter.check(client.clone(), "login").unwrap_err();
        assert!(wait <= Duration::from_millis(2));
        // Other clients and other classes have buckets of their own.
        assert!(
            limiter
                .check(Who::network("127.0.0.2".parse().unwrap()), "login")
                .is_ok()
        );
        assert!(limiter.check(client.clone(), "register").is_ok());
        std::thread::sleep(Duration::from_millis(5));
        assert!(limiter.check(client, "login").is_ok());
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 0.001,
            burst: 2.0,
        });
        for address in ["2001:db8:1:2::1", "2001:db8:1:2:ffff::9"] {
            assert!(
                limiter
                    .check(Who::network(address.parse().unwrap()), "login")
                    .is_ok()
            );
        }
        assert!(
            limiter
                .check(Who::network("2001:db8:1:2::77".parse().unwrap()), "login")
                .is_err()
        );
        assert!(
            limiter
                .check(Who::network("2001:db8:1:3::1".parse().unwrap()), "login")
                .is_ok()
        );
        assert_eq!(
            Who::network("::ffff:10.0.0.1".parse().unwrap()),
            Who::network("10.0.0.1".parse().unwrap())
        );
    }

    #[test]
    fn idle_buckets_are_forgotten() {
        let limiter = RateLimiter::new(RateLimit {
            per_second: 1e6,
            burst: 1.0,
        });
        for i in 0..100u8 {
            let _ = limiter.check(Who::network(IpAddr::from([10, 0, 0, i])), "login");
        }
        assert_eq!(limiter.buckets(), 100);
        // A sweep is due; every bucket has refilled meanwhile.
        limiter.buckets.lock().unwrap().swept -= SWEEP_INTERVAL;
        let _ = limiter.check(Who::User("@a:b".into()), "login");
        assert_eq!(limiter.buckets(), 1);
    }

    #[test]
    fn forwarded_addresses_are_believed_from_trusted_proxies_only() {
        let limiter = RateLimiter::behind(
            RateLimit {
                per_second: 1.0,
                burst: 1.0,
            },
            vec!["10.0.0.0/8".parse().unwrap()],
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7, 10.1.1.1".parse().unwrap(),
        );
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(
            limiter.client(proxy, &headers),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        let stranger: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(limiter.client(stranger, &headers), stranger);
        assert_eq!(limiter.client(proxy, &HeaderMap::new()), proxy);
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
