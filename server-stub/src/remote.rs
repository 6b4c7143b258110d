//! Calls to other servers: the homeserver asks identity servers about 3pid sessions, the
//! identity server asks homeservers who owns an OpenID token. Bounded in time and size,
//! no redirects; an answer that is not what the spec says is an error like any other.

use std::time::Duration;

use matrix_api::types::GetValidated3pidOkBody;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The largest answer read from another server.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// Without its URL, whose query holds the secrets of the call; said with its kind
    /// (TLS, DNS, refused, timeout) and every cause, so that the log says why.
    #[error("request failed ({}): {}", failure_kind(.0), causes(.0))]
    Http(reqwest::Error),
    #[error("answer over {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error("answered {status}: {body}")]
    Status { status: u16, body: String },
    #[error("unexpected answer: {0}")]
    Shape(String),
}

impl From<reqwest::Error> for RemoteError {
    fn from(error: reqwest::Error) -> Self {
        RemoteError::Http(error.without_url())
    }
}

/// What kind of failure a request met, for the log: an operator's first question.
fn failure_kind(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        return "timeout";
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.downcast_ref::<rustls::Error>().is_some() {
            return "TLS";
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return "connection refused",
                std::io::ErrorKind::TimedOut => return "timeout",
                _ => {}
            }
            // rustls reports a handshake failure as an I/O error that wraps it.
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                return "TLS";
            }
        }
        let text = cause.to_string();
        if text.contains("dns error") || text.contains("failed to lookup address") {
            return "DNS";
        }
        if text.contains("certificate") || text.contains("tls handshake") {
            return "TLS";
        }
        source = cause.source();
    }
    if error.is_connect() {
        "connection failed"
    } else {
        "HTTP"
    }
}

/// An error and its causes, `: `-separated (reqwest's own message says only "error
/// sending request").
fn causes(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        source = cause.source();
    }
    text
}

/// How calls to homeservers (OpenID userinfo, onbind) check certificates.
#[derive(Debug, Clone, Default)]
pub struct HomeserverTls {
    /// PEM certificates trusted besides the system's roots (a private CA).
    pub extra_roots: Vec<reqwest::Certificate>,
    /// Off only in test deployments (Sydent's `federation.verifycerts = False`).
    pub verify_certificates: bool,
}

impl HomeserverTls {
    /// The system's roots, checked.
    pub fn verified() -> Self {
        HomeserverTls {
            extra_roots: Vec::new(),
            verify_certificates: true,
        }
    }

    /// The system's roots and those of a PEM file.
    pub fn trusting(mut self, pem: &[u8]) -> Result<Self, String> {
        let certificates = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|error| format!("not PEM certificates: {error}"))?;
        if certificates.is_empty() {
            return Err("holds no PEM certificate".into());
        }
        self.extra_roots.extend(certificates);
        Ok(self)
    }

    fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        builder
            .tls_certs_merge(self.extra_roots.iter().cloned())
            .danger_accept_invalid_certs(!self.verify_certificates)
    }
}

#[derive(Debug, Clone)]
pub struct RemoteClient {
    /// For the servers the operator trusts (which may be on a private network).
    client: reqwest::Client,
    /// For any other server: connects to public addresses only.
    public: reqwest::Client,
}

/// reqwest's TLS needs a process-wide rustls provider: ring, installed once.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl RemoteClient {
    /// A client whose calls to homeservers check certificates as `tls` says.
    pub fn new(tls: &HomeserverTls) -> Result<Self, String> {
        install_tls_provider();
        let build = |builder: reqwest::ClientBuilder| {
            tls.apply(builder)
                .build()
                .map_err(|error| format!("cannot make the HTTP client: {}", causes(&error)))
        };
        Ok(RemoteClient {
            client: build(base_builder())?,
            public: build(base_builder().dns_resolver(crate::addresses::PublicOnly))?,
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, RemoteError> {
        let mut response = request.send().await?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(RemoteError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        if !(200..300).contains(&status) {
            return Err(RemoteError::Status {
                status,
                body: String::from_utf8_lossy(&body).chars().take(200).collect(),
            });
        }
        serde_json::from_slice(&body).map_err(|e| RemoteError::Shape(e.to_string()))
    }

    /// `GET /_matrix/identity/api/v1/3pid/getValidated3pid` at an identity server.
    pub async fn validated_threepid(
        &self,
        identity_server: &str,
        sid: &str,
        client_secret: &str,
    ) -> Result<GetValidated3pidOkBody, RemoteError> {
        let url = format!(
            "{}/_matrix/identity/api/v1/3pid/getValidated3pid",
            identity_server.trim_end_matches('/')
        );
        self.json(
            self.client
                .get(url)
                .query(&[("sid", sid), ("client_secret", client_secret)]),
        )
        .await
    }

    /// `POST /_matrix/identity/api/v1/3pid/bind` at an identity server: the signed
    /// association.
    pub async fn bind(
        &self,
        identity_server: &str,
        sid: &str,
        client_secret: &str,
        mxid: &str,
    ) -> Result<Value, RemoteError> {
        let url = format!(
            "{}/_matrix/identity/api/v1/3pid/bind",
            identity_server.trim_end_matches('/')
        );
        let body = serde_json::json!({"sid": sid, "client_secret": client_secret, "mxid": mxid});
        self.json(self.client.post(url).json(&body)).await
    }

    /// `GET /_matrix/federation/v1/openid/userinfo` at a homeserver: whom the token is of.
    /// A homeserver the operator does not trust is reached on public addresses only.
    pub async fn openid_userinfo(
        &self,
        homeserver: &str,
        trusted: bool,
        token: &str,
    ) -> Result<Value, RemoteError> {
        let request =
            self.to_homeserver(homeserver, trusted, reqwest::Method::GET, "openid/userinfo");
        self.json(request.query(&[("access_token", token)])).await
    }

    /// A request to a homeserver's federation API at `path` (under
    /// `/_matrix/federation/v1/`): one the operator trusts through `client`, any other
    /// through `public`, which connects to public addresses only.
    fn to_homeserver(
        &self,
        homeserver: &str,
        trusted: bool,
        method: reqwest::Method,
        path: &str,
    ) -> reqwest::RequestBuilder {
        let client = if trusted { &self.client } else { &self.public };
        let url = format!(
            "{}/_matrix/federation/v1/{path}",
            homeserver.trim_end_matches('/')
        );
        client.request(method, url)
    }

    /// The delegation a host name publishes at `https://HOST/.well-known/matrix/server`
    /// (`m.server`), if it publishes one: asked on public addresses only, and any failure is
    /// no delegation (the name is then called itself, as the spec says).
    pub async fn well_known_server(&self, host: &str) -> Option<String> {
        #[derive(serde::Deserialize)]
        struct WellKnown {
            #[serde(rename = "m.server")]
            server: String,
        }
        let url = format!("https://{host}/.well-known/matrix/server");
        match self.json::<WellKnown>(self.public.get(url)).await {
            Ok(found) => Some(found.server),
            Err(error) => {
                tracing::debug!(%host, %error, "no .well-known delegation");
                None
            }
        }
    }

    /// `POST /_matrix/federation/v1/3pid/onbind` at a homeserver: the invitations pending
    /// for an address just bound. Reached like `openid_userinfo`.
    pub async fn onbind(
        &self,
        homeserver: &str,
        trusted: bool,
        body: &Value,
    ) -> Result<Value, RemoteError> {
        let request = self.to_homeserver(homeserver, trusted, reqwest::Method::POST, "3pid/onbind");
        self.json(request.json(body)).await
    }
}

impl Default for RemoteClient {
    /// Checks certificates against the system's roots.
    fn default() -> Self {
        Self::new(&HomeserverTls::verified()).expect("a client with the default TLS builds")
    }
}

fn base_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        // A proxy from `HTTP(S)_PROXY` would connect wherever it likes, past the checks on
        // the address and the pinning of what a name resolved to.
        .no_proxy()
        .user_agent(concat!("server-stub/", env!("CARGO_PKG_VERSION")))
}
