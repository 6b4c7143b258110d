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
    /// Without its URL, whose query holds the secrets of the call.
    #[error("request failed: {0}")]
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
    pub fn new() -> Self {
        install_tls_provider();
        RemoteClient {
            client: base_builder().build().unwrap_or_default(),
            public: base_builder()
                .dns_resolver(crate::addresses::PublicOnly)
                .build()
                .unwrap_or_default(),
        }
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
        let client = if trusted { &self.client } else { &self.public };
        let url = format!(
            "{}/_matrix/federation/v1/openid/userinfo",
            homeserver.trim_end_matches('/')
        );
        self.json(client.get(url).query(&[("access_token", token)]))
            .await
    }
}

impl Default for RemoteClient {
    fn default() -> Self {
        Self::new()
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
