//! The identity server: the generated `IdentityApi`, implemented over an `IdentityStore`.

pub mod server_name;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use matrix_api::identity::{self as api, Credential, IdentityApi};
use matrix_api::types::{self, MatrixError, MatrixErrorCode};
use serde_json::json;

use crate::clock::{millis, now_ms};
use crate::errors::{bad_request, error, forbidden, internal};
use crate::mail::Mailer;
use crate::remote::RemoteClient;
use crate::secrets::{new_token, random_token, token_hash};
use crate::signing::KeyPair;
use crate::store::{Association, ExpiringToken, IdentityStore, ValidationSession};
use crate::threepid;

/// The id the signing key is published under.
pub const KEY_ID: &str = "ed25519:0";

/// How long a signed association is good for: a hundred years, in milliseconds.
const ASSOCIATION_LIFETIME_MS: i64 = 100 * 365 * 24 * 60 * 60 * 1000;

#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// The name signatures are made under.
    pub server_name: types::ServerName,
    /// Where clients reach this server: validation links in emails point here.
    pub public_url: String,
    pub validation_session_lifetime: Duration,
    /// How long an account token (from `account/register`) is valid.
    pub account_token_lifetime: Duration,
    /// Homeservers trusted by name: their base URL, called even on a private address.
    pub trusted_homeservers: BTreeMap<String, String>,
}

pub struct IdentityServer<S> {
    store: Arc<S>,
    config: IdentityConfig,
    key: KeyPair,
    mailer: Mailer,
    remote: RemoteClient,
}

fn no_valid_session() -> MatrixError {
    error(
        StatusCode::NOT_FOUND,
        MatrixErrorCode::NoValidSession,
        "No valid session was found matching that sid and client secret",
    )
}

fn unknown_token() -> MatrixError {
    MatrixError::rejected_credential("The OpenID token could not be verified")
}

impl<S: IdentityStore> IdentityServer<S> {
    /// An identity server with the store's signing key (made on first start).
    pub async fn new(
        store: Arc<S>,
        config: IdentityConfig,
        mailer: Mailer,
    ) -> anyhow::Result<Self> {
        let seed = store
            .signing_key_seed(crate::secrets::random_seed())
            .await?;
        Ok(IdentityServer {
            key: KeyPair::from_seed(KEY_ID, seed),
            store,
            config,
            mailer,
            remote: RemoteClient::new(),
        })
    }

    pub fn public_key(&self) -> String {
        self.key.public_key()
    }

    fn expired(&self, session: &ValidationSession) -> bool {
        let lifetime = crate::clock::millis(self.config.validation_session_lifetime);
        now_ms() - session.created_at > lifetime
    }

    /// The session `sid` names, if `client_secret` is its secret: one answer for an unknown
    /// session and a wrong secret, so neither can be probed.
    async fn session(
        &self,
        sid: &str,
        client_secret: &str,
    ) -> Result<ValidationSession, MatrixError> {
        match self.store.validation_session(sid).await.map_err(internal)? {
            Some(session) if session.client_secret == client_secret => Ok(session),
            _ => Err(no_valid_session()),
        }
    }

    /// A session that proves its 3pid: found, not expired, validated.
    async fn validated_session(
        &self,
        sid: &str,
        client_secret: &str,
    ) -> Result<ValidationSession, MatrixError> {
        let session = self.session(sid, client_secret).await?;
        if self.expired(&session) {
            return Err(bad_request(
                MatrixErrorCode::SessionExpired,
                "This validation session has expired",
            ));
        }
        if session.validated_at.is_none() {
            return Err(bad_request(
                MatrixErrorCode::SessionNotValidated,
                "This validation session has not yet been completed",
            ));
        }
        Ok(session)
    }

    async fn submit_token(
        &self,
        sid: &str,
        client_secret: &str,
        token: &str,
    ) -> Result<bool, MatrixError> {
        let session = self.session(sid, client_secret).await?;
        if self.expired(&session) {
            return Err(bad_request(
                MatrixErrorCode::SessionExpired,
                "This validation session has expired",
            ));
        }
        if token_hash(token) != session.token_hash {
            return Ok(false);
        }
        self.store
            .mark_validated(sid, now_ms())
            .await
            .map_err(internal)?;
        Ok(true)
    }

    /// Where to call a homeserver, and whether it is trusted: trusted names go to their
    /// configured URL; any other is called only on public addresses (an IP literal is
    /// checked here, a host name by the resolver of the call itself, `PublicOnly`).
    fn homeserver_url(&self, name: &str) -> Result<(String, bool), MatrixError> {
        if let Some(url) = self.config.trusted_homeservers.get(name) {
            return Ok((url.clone(), true));
        }
        let parsed = server_name::parse(name).ok_or_else(|| {
            MatrixError::invalid_parameter("matrix_server_name is not a valid server name")
        })?;
        if parsed.ip.is_some_and(crate::addresses::is_internal) {
            tracing::warn!(
                server = name,
                "refusing to call a homeserver on an internal address"
            );
            return Err(unknown_token());
        }
        let port = parsed.port.unwrap_or(8448);
        let host = match parsed.ip {
            Some(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
            _ => parsed.host,
        };
        Ok((format!("https://{host}:{port}"), false))
    }
}

/// Who made an authenticated request, and with which token (so logout can end it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCaller {
    pub user_id: String,
    pub token_hash: String,
}

impl<S: IdentityStore> IdentityApi for IdentityServer<S> {
    type Caller = AccountCaller;

    async fn authenticate(&self, credential: Credential) -> Result<AccountCaller, MatrixError> {
        let Credential::AccessToken(token) = credential;
        let token_hash = token_hash(&token);
        let token = self
            .store
            .account_token(&token_hash)
            .await
            .map_err(internal)?
            .filter(|token| token.expires_at > now_ms())
            .ok_or_else(|| MatrixError::rejected_credential("Unrecognised access token"))?;
        Ok(AccountCaller {
            user_id: token.user_id,
            token_hash,
        })
    }

    async fn register_account(
        &self,
        request: api::RegisterAccountRequest,
    ) -> Result<api::RegisterAccountResponse, MatrixError> {
        let openid = request.body;
        // A valid server name: the generated type refuses any other.
        let name = openid.matrix_server_name;
        let (url, trusted) = self.homeserver_url(&name)?;
        let answer = self
            .remote
            .openid_userinfo(&url, trusted, &openid.access_token)
            .await
            .map_err(|e| {
                tracing::info!(server = %name, error = %e, "OpenID token not verified");
                unknown_token()
            })?;
        // The user must belong to the server that vouched for them.
        let user_id = serde_json::from_value::<types::ExchangeOpenIdTokenOkBody>(answer)
            .ok()
            .map(|info| info.sub)
            .filter(|sub| {
                sub.split_once(':')
                    .is_some_and(|(_, server)| server == &*name)
            })
            .ok_or_else(unknown_token)?
            .into_string();
        let token = new_token();
        let record = ExpiringToken {
            user_id: user_id.clone(),
            expires_at: now_ms().saturating_add(millis(self.config.account_token_lifetime)),
        };
        self.store
            .insert_account_token(&token_hash(&token), &record)
            .await
            .map_err(internal)?;
        tracing::info!(%user_id, "identity account registered");
        Ok(api::RegisterAccountResponse::Ok(
            types::RegisterAccountOkBody::new(token.into()),
        ))
    }

    async fn get_account(
        &self,
        caller: AccountCaller,
        _request: api::GetAccountRequest,
    ) -> Result<api::GetAccountResponse, MatrixError> {
        Ok(api::GetAccountResponse::Ok(types::GetAccountOkBody::new(
            types::UserId::parse(caller.user_id).map_err(internal)?,
        )))
    }

    async fn logout(
        &self,
        caller: AccountCaller,
        _request: api::LogoutRequest,
    ) -> Result<api::LogoutResponse, MatrixError> {
        self.store
            .delete_account_token(&caller.token_hash)
            .await
            .map_err(internal)?;
        tracing::info!(user_id = %caller.user_id, "identity account token logged out");
        Ok(api::LogoutResponse::Ok(Default::default()))
    }

    async fn get_validated3pid(
        &self,
        request: api::GetValidated3pidRequest,
    ) -> Result<api::GetValidated3pidResponse, MatrixError> {
        match self
            .validated_session(&request.sid, &request.client_secret)
            .await
        {
            Ok(session) => Ok(api::GetValidated3pidResponse::Ok(
                types::GetValidated3pidOkBody::new(
                    session.medium,
                    session.address,
                    session.validated_at.unwrap_or_default(),
                ),
            )),
            Err(error) => api::GetValidated3pidResponse::from_error(error),
        }
    }

    async fn bind(&self, request: api::BindRequest) -> Result<api::BindResponse, MatrixError> {
        let body = request.body;
        let session = match self.validated_session(&body.sid, &body.client_secret).await {
            Ok(session) => session,
            Err(error) => return api::BindResponse::from_error(error),
        };
        let now = now_ms();
        let association = Association {
            medium: session.medium.clone(),
            address: threepid::casefold(&session.medium, &session.address),
            mxid: body.mxid.into_string(),
            ts: now,
            not_before: now,
            not_after: now + ASSOCIATION_LIFETIME_MS,
        };
        self.store
            .put_association(&association)
            .await
            .map_err(internal)?;
        let mut signed = json!({
            "address": association.address,
            "medium": association.medium,
            "mxid": association.mxid,
            "not_before": association.not_before,
            "not_after": association.not_after,
            "ts": association.ts,
        });
        self.key
            .sign(&self.config.server_name, &mut signed)
            .map_err(internal)?;
        let body: types::BindOkBody = serde_json::from_value(signed).map_err(internal)?;
        tracing::info!(mxid = %body.mxid, "association published");
        Ok(api::BindResponse::Ok(body))
    }

    async fn unbind(
        &self,
        request: api::UnbindRequest,
    ) -> Result<api::UnbindResponse, MatrixError> {
        let body = request.body;
        let (Some(sid), Some(client_secret)) = (&body.sid, &body.client_secret) else {
            // The other way to authenticate an unbind is a homeserver's request signature,
            // which this server does not verify: refuse rather than trust.
            return api::UnbindResponse::from_error(forbidden(
                "Unbind requests must prove the 3pid with sid and client_secret",
            ));
        };
        let session = match self.validated_session(sid, client_secret).await {
            Ok(session) => session,
            Err(_) => {
                return api::UnbindResponse::from_error(forbidden(
                    "The session does not prove this 3pid",
                ));
            }
        };
        let threepid = body.threepid;
        let address = threepid::casefold(&threepid.medium, &threepid.address);
        if threepid.medium != session.medium
            || address != threepid::casefold(&session.medium, &session.address)
        {
            return api::UnbindResponse::from_error(forbidden(
                "The session does not match this 3pid",
            ));
        }
        self.store
            .delete_association(&threepid.medium, &address, &body.mxid)
            .await
            .map_err(internal)?;
        Ok(api::UnbindResponse::Ok(Default::default()))
    }

    // Long because it is the rule sequence of `requestToken`: checks, session reuse, mail.
    async fn email_request_token(
        &self,
        request: api::EmailRequestTokenRequest,
    ) -> Result<api::EmailRequestTokenResponse, MatrixError> {
        let body = request.body;
        if !threepid::valid_client_secret(&body.client_secret) {
            return Err(MatrixError::invalid_parameter("Invalid client_secret"));
        }
        let Some(email) = threepid::parse_email(&body.email) else {
            return api::EmailRequestTokenResponse::from_error(bad_request(
                MatrixErrorCode::InvalidEmail,
                "The email address is not valid",
            ));
        };
        let existing = self
            .store
            .validation_session_for(&body.client_secret, "email", &email)
            .await
            .map_err(internal)?
            .filter(|s| !self.expired(s));
        // A send attempt no greater than the last one is a retry: same session, no email.
        if let Some(session) = &existing
            && body.send_attempt <= session.send_attempt
        {
            return Ok(api::EmailRequestTokenResponse::Ok(
                types::EmailRequestTokenOkBody::new(session.sid.clone()),
            ));
        }
        let token = random_token(32);
        let sid = match existing {
            Some(session) => {
                self.store
                    .renew_validation_token(&session.sid, &token_hash(&token), body.send_attempt)
                    .await
                    .map_err(internal)?;
                session.sid
            }
            None => {
                let session = ValidationSession {
                    sid: random_token(24),
                    client_secret: body.client_secret.expose().to_owned(),
                    medium: "email".into(),
                    address: email.clone(),
                    token_hash: token_hash(&token),
                    send_attempt: body.send_attempt,
                    created_at: now_ms(),
                    validated_at: None,
                };
                self.store
                    .insert_validation_session(&session)
                    .await
                    .map_err(internal)?;
                session.sid
            }
        };
        let query = serde_urlencoded::to_string([
            ("sid", sid.as_str()),
            ("client_secret", body.client_secret.expose()),
            ("token", token.as_str()),
        ])
        .map_err(internal)?;
        let link = format!(
            "{}/_matrix/identity/api/v1/validate/email/submitToken?{query}",
            self.config.public_url.trim_end_matches('/')
        );
        let text = format!(
            "Someone asked to confirm that {email} is yours.\n\nIf it was you, open this link:\n\n{link}\n\nYour validation token is: {token}\n\nIf it was not you, ignore this email.\n"
        );
        let from = format!(
            "Matrix identity server <noreply@{}>",
            self.config.server_name
        );
        if let Err(error) = self
            .mailer
            .send(&from, &email, "Confirm your email address", text)
            .await
        {
            tracing::error!(%error, "validation email not sent");
            return api::EmailRequestTokenResponse::from_error(bad_request(
                MatrixErrorCode::EmailSendError,
                "The validation email could not be sent",
            ));
        }
        Ok(api::EmailRequestTokenResponse::Ok(
            types::EmailRequestTokenOkBody::new(sid),
        ))
    }

    async fn email_submit_token_get(
        &self,
        request: api::EmailSubmitTokenGetRequest,
    ) -> Result<api::EmailSubmitTokenGetResponse, MatrixError> {
        let success = self
            .submit_token(&request.sid, &request.client_secret, &request.token)
            .await?;
        Ok(api::EmailSubmitTokenGetResponse::Ok(
            types::EmailSubmitTokenGetOkBody::new(success),
        ))
    }

    async fn email_submit_token_post(
        &self,
        request: api::EmailSubmitTokenPostRequest,
    ) -> Result<api::EmailSubmitTokenPostResponse, MatrixError> {
        let body = request.body;
        let success = self
            .submit_token(&body.sid, &body.client_secret, &body.token)
            .await?;
        Ok(api::EmailSubmitTokenPostResponse::Ok(
            types::EmailSubmitTokenPostOkBody::new(success),
        ))
    }

    async fn get_pub_key(
        &self,
        request: api::GetPubKeyRequest,
    ) -> Result<api::GetPubKeyResponse, MatrixError> {
        if request.key_id != KEY_ID {
            return api::GetPubKeyResponse::from_error(error(
                StatusCode::NOT_FOUND,
                MatrixErrorCode::NotFound,
                "The public key was not found",
            ));
        }
        Ok(api::GetPubKeyResponse::Ok(types::GetPubKeyOkBody::new(
            self.public_key(),
        )))
    }
}
