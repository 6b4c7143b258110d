//! The homeserver: the generated `ClientServerApi`, implemented over a `HomeserverStore`.

/// The answer to a login or a registration: the generated types differ, the fields do not.
macro_rules! session_body {
    ($ty:ty, $server:expr, $user_id:expr, $device_id:expr, $access:expr, $refresh:expr) => {{
        let mut body = <$ty>::new();
        // The server makes its user IDs of a checked localpart and its own server name.
        body.user_id = Some(types::UserId::parse($user_id).map_err(internal)?);
        body.device_id = Some($device_id);
        body.access_token = Some($access.into());
        body.refresh_token = Some($refresh.into());
        body.home_server = Some($server.config.server_name.to_string());
        body
    }};
}

mod registration;
mod uia;
pub mod username;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use matrix_api::client_server::{self as api, ClientServerApi, Credential};
use matrix_api::types::{self, AuthData, LoginBodyType, MatrixError, MatrixErrorCode};

use crate::clock::{millis, now_ms};
use crate::errors::{bad_request, error, forbidden, internal};
use crate::limits::{DEVICE_ID_BYTES, PASSWORD_CHARS};
use crate::ratelimit::{RateLimiter, Who, rate_limited};
use crate::remote::RemoteClient;
use crate::secrets::{self, new_token, token_hash};
use crate::store::{ExpiringToken, HomeserverStore, RefreshExchange, ThirdPartyId, TokenPair};
use crate::threepid;

/// Refuses a password longer than any that can be set, before it is normalised or hashed:
/// NFKC can multiply a string's length, and hashing a huge one costs a normal login's
/// several times over. The same limit wherever a password comes in.
fn password_within_limit(password: &str) -> Result<(), MatrixError> {
    // Four bytes a character at most: the byte length rules out most strings for free.
    if password.len() > 4 * PASSWORD_CHARS || password.chars().count() > PASSWORD_CHARS {
        return Err(MatrixError::invalid_parameter("Password too long"));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct HomeserverConfig {
    pub server_name: types::ServerName,
    pub allow_guests: bool,
    pub access_token_lifetime: Duration,
    pub uia_session_lifetime: Duration,
    pub openid_token_lifetime: Duration,
    /// Identity servers asked about 3pid sessions: `host[:port]` as clients name them → base URL.
    pub trusted_identity_servers: BTreeMap<String, String>,
    /// The rate limiter, for limits per user (`None`: no limits).
    pub limiter: Option<Arc<RateLimiter>>,
}

/// Who made an authenticated request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    /// The login session of the token used.
    pub chain_id: String,
}

pub struct Homeserver<S> {
    store: Arc<S>,
    config: HomeserverConfig,
    remote: RemoteClient,
}

/// The password stage's flows, or the email stage's when no valid token came with the
/// request: a forgotten password is reset through a validated email.
const PASSWORD_FLOWS: &[&[&str]] = &[&[uia::PASSWORD]];
const EMAIL_FLOWS: &[&[&str]] = &[&[uia::EMAIL_IDENTITY]];
impl<S: HomeserverStore> Homeserver<S> {
    pub fn new(store: Arc<S>, config: HomeserverConfig) -> Self {
        Homeserver {
            store,
            config,
            remote: RemoteClient::default(),
        }
    }

    /// A new access and refresh token pair in the login session `chain_id`.
    fn token_pair(&self, user_id: &str, chain_id: String) -> (TokenPair, String, String) {
        let access = new_token();
        let refresh = new_token();
        let pair = TokenPair {
            user_id: user_id.to_owned(),
            chain_id,
            access_hash: token_hash(&access),
            access_expires_at: Some(now_ms() + millis(self.config.access_token_lifetime)),
            refresh_hash: Some(token_hash(&refresh)),
        };
        (pair, access, refresh)
    }

    /// Starts a login session of a device: its token pair. Logging a device in again ends
    /// its earlier session.
    async fn log_in(
        &self,
        user_id: &str,
        device_id: &str,
    ) -> Result<(String, String), MatrixError> {
        let chain_id = session_id(user_id, device_id);
        self.store.revoke_chain(&chain_id).await.map_err(internal)?;
        let (pair, access, refresh) = self.token_pair(user_id, chain_id);
        self.store.insert_tokens(&pair).await.map_err(internal)?;
        Ok((access, refresh))
    }

    fn user_id(&self, localpart: &str) -> String {
        username::user_id(localpart, &self.config.server_name)
    }

    /// The user a password login names, by id, localpart, 3pid or `identifier`.
    async fn login_user(&self, body: &types::LoginBody) -> Result<Option<String>, MatrixError> {
        let by_threepid = |medium: &str, address: &str| ThirdPartyId {
            medium: medium.to_owned(),
            address: threepid::casefold(medium, address),
        };
        let (user, threepid) = match &body.identifier {
            Some(identifier) => match identifier.type_.as_str() {
                "m.id.user" => (identifier.user.clone(), None),
                "m.id.thirdparty" => match (&identifier.medium, &identifier.address) {
                    (Some(medium), Some(address)) => (None, Some(by_threepid(medium, address))),
                    _ => {
                        return Err(MatrixError::missing_parameter(
                            "m.id.thirdparty needs medium and address",
                        ));
                    }
                },
                other => {
                    return Err(bad_request(
                        MatrixErrorCode::Unknown,
                        format!("Unknown identifier type {other}"),
                    ));
                }
            },
            None => match (&body.user, &body.medium, &body.address) {
                (Some(user), _, _) => (Some(user.clone()), None),
                (None, Some(medium), Some(address)) => (None, Some(by_threepid(medium, address))),
                _ => {
                    return Err(MatrixError::missing_parameter(
                        "Missing parameter: user, or medium and address",
                    ));
                }
            },
        };
        match (user, threepid) {
            (Some(user), _) => Ok(username::login_user_id(&user, &self.config.server_name)),
            (None, Some(threepid)) => self
                .store
                .user_by_threepid(&threepid)
                .await
                .map_err(internal),
            (None, None) => Ok(None),
        }
    }

    /// Asks a trusted identity server which 3pid a validation session proved. Every
    /// failure (untrusted or malformed server, bad secret, unvalidated session, network)
    /// is the one error the spec names.
    async fn validated_threepid(
        &self,
        creds: &types::ThreePidCredentials,
    ) -> Result<ThirdPartyId, MatrixError> {
        let well_formed = threepid::valid_id_server(&creds.id_server);
        // Only a well-formed id_server goes into the log: anything else may be long or
        // forged.
        let shown = if well_formed {
            creds.id_server.as_str()
        } else {
            "(not a host[:port])"
        };
        let failed = |reason: &str| {
            tracing::info!(id_server = %shown, reason, "3pid credentials refused");
            error(
                StatusCode::FORBIDDEN,
                MatrixErrorCode::ThreepidAuthFailed,
                "The third party credentials could not be verified by the identity server",
            )
        };
        if !well_formed {
            return Err(failed("id_server is not a host[:port]"));
        }
        if !threepid::valid_client_secret(&creds.client_secret) {
            return Err(failed("invalid client_secret"));
        }
        let Some(base_url) = self.config.trusted_identity_servers.get(&creds.id_server) else {
            return Err(failed("identity server not trusted"));
        };
        let validated = self
            .remote
            .validated_threepid(base_url, &creds.sid, &creds.client_secret)
            .await
            .map_err(|e| failed(&e.to_string()))?;
        Ok(ThirdPartyId {
            address: threepid::casefold(&validated.medium, &validated.address),
            medium: validated.medium,
        })
    }

    async fn check_password_stage(
        &self,
        auth: &AuthData,
        user_id: &str,
    ) -> Result<(), MatrixError> {
        let field = |name: &str| {
            auth.additional_properties
                .get(name)
                .and_then(|v| v.as_str())
        };
        let named = field("user").or_else(|| {
            auth.additional_properties
                .get("identifier")
                .and_then(|i| i.get("user"))
                .and_then(|u| u.as_str())
        });
        let password = auth
            .password
            .as_deref()
            .ok_or_else(|| MatrixError::missing_parameter("Missing parameter: password"))?;
        password_within_limit(password)?;
        let names_caller = named.is_none_or(|n| {
            username::login_user_id(n, &self.config.server_name).as_deref() == Some(user_id)
        });
        let hash = self
            .store
            .user(user_id)
            .await
            .map_err(internal)?
            .and_then(|u| u.password_hash);
        let matches = secrets::verify_password(password.to_owned(), hash).await;
        if names_caller && matches {
            Ok(())
        } else {
            Err(forbidden("Invalid password"))
        }
    }

    /// The user whose bound email the `m.login.email.identity` stage proves.
    async fn check_email_stage(&self, auth: &AuthData) -> Result<String, MatrixError> {
        // Older clients name the credentials in camel case, which the spec never typed.
        let legacy = auth.additional_properties.get("threepidCreds");
        let creds = match (&auth.threepid_creds, legacy) {
            (Some(creds), _) => creds.clone(),
            (None, Some(legacy)) => serde_json::from_value(legacy.clone())
                .map_err(|e| MatrixError::body_mismatch(format!("threepidCreds: {e}")))?,
            (None, None) => {
                return Err(MatrixError::missing_parameter(
                    "Missing parameter: threepid_creds",
                ));
            }
        };
        let threepid = self.validated_threepid(&creds).await?;
        self.store
            .user_by_threepid(&threepid)
            .await
            .map_err(internal)?
            .ok_or_else(|| {
                error(
                    StatusCode::FORBIDDEN,
                    MatrixErrorCode::ThreepidNotFound,
                    "No account has this email address",
                )
            })
    }
}

impl<S: HomeserverStore> ClientServerApi for Homeserver<S> {
    type Caller = Caller;

    async fn authenticate(&self, credential: Credential) -> Result<Caller, MatrixError> {
        let Credential::AccessToken(token) = credential;
        let record = self
            .store
            .access_token(&token_hash(&token))
            .await
            .map_err(internal)?
            .ok_or_else(|| MatrixError::rejected_credential("Unrecognised access token"))?;
        if record.expires_at.is_some_and(|at| at <= now_ms()) {
            return Err(MatrixError::rejected_credential("Access token has expired")
                .with_field("soft_logout", true));
        }
        Ok(Caller {
            user_id: record.user_id,
            chain_id: record.chain_id,
        })
    }

    async fn login(&self, request: api::LoginRequest) -> Result<api::LoginResponse, MatrixError> {
        let body = request.body;
        let failed = || forbidden("Invalid username or password");
        let user_id =
            match &body.type_ {
                LoginBodyType::Password => {
                    let user_id = self.login_user(&body).await?;
                    let password = body.password.clone().ok_or_else(|| {
                        MatrixError::missing_parameter("Missing parameter: password")
                    })?;
                    password_within_limit(&password)?;
                    let hash = match &user_id {
                        Some(user_id) => self
                            .store
                            .user(user_id)
                            .await
                            .map_err(internal)?
                            .and_then(|u| u.password_hash),
                        None => None,
                    };
                    // Unknown users cost a hash too: timing tells nothing.
                    if !secrets::verify_password(password.into_string(), hash).await {
                        return api::LoginResponse::from_error(failed());
                    }
                    user_id.ok_or_else(failed)?
                }
                LoginBodyType::Token => {
                    let token = body.token.as_deref().ok_or_else(|| {
                        MatrixError::missing_parameter("Missing parameter: token")
                    })?;
                    match self
                        .store
                        .take_login_token(&token_hash(token))
                        .await
                        .map_err(internal)?
                    {
                        Some(login) if login.expires_at > now_ms() => login.user_id,
                        _ => return api::LoginResponse::from_error(failed()),
                    }
                }
                // Any other type, `Other` and those a newer spec adds (the enum is
                // non-exhaustive) alike.
                other => {
                    return api::LoginResponse::from_error(bad_request(
                        MatrixErrorCode::Unknown,
                        format!("Unknown login type {}", other.as_str()),
                    ));
                }
            };
        let device_id = device_id(body.device_id.as_deref())?;
        let (access, refresh) = self.log_in(&user_id, &device_id).await?;
        let ok = session_body!(
            types::LoginOkBody,
            self,
            user_id,
            device_id,
            access,
            refresh
        );
        Ok(api::LoginResponse::Ok(ok))
    }

    async fn refresh(
        &self,
        _caller: Option<Result<Caller, MatrixError>>,
        request: api::RefreshRequest,
    ) -> Result<api::RefreshResponse, MatrixError> {
        // The refresh token is the credential here; the access token, if any, is
        // typically expired, which is why the client refreshes.
        let refresh_hash = token_hash(&request.body.refresh_token);
        let failed = || api::RefreshResponse::from_error(forbidden("Invalid refresh token"));
        let Some((user_id, chain_id)) = self
            .store
            .refresh_token_owner(&refresh_hash)
            .await
            .map_err(internal)?
        else {
            return failed();
        };
        let (pair, access, refresh) = self.token_pair(&user_id, chain_id);
        match self
            .store
            .exchange_refresh_token(&refresh_hash, &pair)
            .await
            .map_err(internal)?
        {
            RefreshExchange::Exchanged => {
                let mut ok = types::RefreshOkBody::new();
                ok.access_token = Some(access.into());
                ok.refresh_token = Some(refresh.into());
                Ok(api::RefreshResponse::Ok(ok))
            }
            RefreshExchange::Unknown => failed(),
            RefreshExchange::AlreadyUsed { chain_id } => {
                // A refresh token used twice was stolen, or the client is confused: end the
                // whole login session either way.
                tracing::warn!(%user_id, "refresh token reused; revoking its login session");
                self.store.revoke_chain(&chain_id).await.map_err(internal)?;
                failed()
            }
        }
    }

    async fn register(
        &self,
        request: api::RegisterRequest,
    ) -> Result<api::RegisterResponse, MatrixError> {
        self.register_account(request).await
    }

    async fn change_password(
        &self,
        caller: Option<Result<Caller, MatrixError>>,
        request: api::ChangePasswordRequest,
    ) -> Result<api::ChangePasswordResponse, MatrixError> {
        let body = request.body;
        // A token that was presented must be valid; without one, the email flow resets a
        // forgotten password.
        let caller = caller.transpose()?;
        password_within_limit(&body.new_password)?;
        let flows = uia::Flows {
            endpoint: "account/password",
            flows: if caller.is_some() {
                PASSWORD_FLOWS
            } else {
                EMAIL_FLOWS
            },
        };
        let lifetime = millis(self.config.uia_session_lifetime);
        let caller_id = caller.as_ref().map(|c| c.user_id.as_str());
        let mut session =
            uia::session(&*self.store, flows, caller_id, body.auth.as_ref(), lifetime).await?;
        let Some(auth) = &body.auth else {
            return Ok(api::ChangePasswordResponse::Unauthorized(
                flows.challenge(&session, None),
            ));
        };
        let stage = match (auth.type_.as_str(), &caller) {
            (uia::PASSWORD, Some(caller)) => self
                .check_password_stage(auth, &caller.user_id)
                .await
                .map(|()| caller.user_id.clone()),
            (uia::EMAIL_IDENTITY, None) => self.check_email_stage(auth).await,
            _ => {
                return Ok(api::ChangePasswordResponse::Unauthorized(
                    flows.challenge(&session, None),
                ));
            }
        };
        let user_id = match stage {
            Ok(user_id) => user_id,
            Err(failure) => {
                return Ok(api::ChangePasswordResponse::Unauthorized(
                    flows.challenge(&session, Some(&failure)),
                ));
            }
        };
        if !uia::complete_stage(&*self.store, flows, &mut session, &auth.type_).await? {
            return Ok(api::ChangePasswordResponse::Unauthorized(
                flows.challenge(&session, None),
            ));
        }
        uia::consume(&*self.store, &session).await?;
        let hash = secrets::hash_password(body.new_password.into_string())
            .await
            .map_err(internal)?;
        let keep = caller.as_ref().map(|c| c.chain_id.as_str());
        self.store
            .change_password(&user_id, &hash, keep)
            .await
            .map_err(internal)?;
        tracing::info!(%user_id, "password changed; other sessions revoked");
        Ok(api::ChangePasswordResponse::Ok(Default::default()))
    }

    async fn get_account_3pids(
        &self,
        caller: Caller,
        _request: api::GetAccount3pidsRequest,
    ) -> Result<api::GetAccount3pidsResponse, MatrixError> {
        let threepids = self
            .store
            .threepids(&caller.user_id)
            .await
            .map_err(internal)?
            .into_iter()
            .map(|t| {
                let mut threepid = types::ThirdPartyIdentifier::new();
                threepid.medium = Some(types::ThirdPartyIdentifierMedium::from(t.medium));
                threepid.address = Some(t.address);
                threepid
            })
            .collect();
        let mut ok = types::GetAccount3pidsOkBody::new();
        ok.threepids = Some(threepids);
        Ok(api::GetAccount3pidsResponse::Ok(ok))
    }

    async fn post_3pids(
        &self,
        caller: Caller,
        request: api::Post3pidsRequest,
    ) -> Result<api::Post3pidsResponse, MatrixError> {
        let creds = request.body.three_pid_creds;
        let user_id = caller.user_id;
        let threepid = match self.validated_threepid(&creds).await {
            Ok(threepid) => threepid,
            Err(error) => return api::Post3pidsResponse::from_error(error),
        };
        let in_use = || {
            bad_request(
                MatrixErrorCode::ThreepidInUse,
                "Third-party identifier already in use",
            )
        };
        match self
            .store
            .user_by_threepid(&threepid)
            .await
            .map_err(internal)?
        {
            Some(owner) if owner != user_id => return Err(in_use()),
            _ => {}
        }
        if request.body.bind == Some(true) {
            // Checked by `validated_threepid`: the server is trusted.
            let base_url = &self.config.trusted_identity_servers[&creds.id_server];
            self.remote
                .bind(base_url, &creds.sid, &creds.client_secret, &user_id)
                .await
                .map_err(|e| {
                    tracing::warn!(error = %e, "binding at the identity server failed");
                    error(
                        StatusCode::FORBIDDEN,
                        MatrixErrorCode::ThreepidAuthFailed,
                        "The identity server refused to bind",
                    )
                })?;
        }
        match self.store.add_threepid(&user_id, &threepid, now_ms()).await {
            Ok(()) => Ok(api::Post3pidsResponse::Ok(Default::default())),
            Err(crate::store::StoreError::Conflict) => Err(in_use()),
            Err(error) => Err(internal(error)),
        }
    }

    async fn get_versions(
        &self,
        _request: api::GetVersionsRequest,
    ) -> Result<api::GetVersionsResponse, MatrixError> {
        let versions = [
            "r0.0.1", "r0.1.0", "r0.2.0", "r0.3.0", "r0.4.0", "r0.5.0", "r0.6.0", "r0.6.1", "v1.1",
        ];
        Ok(api::GetVersionsResponse::Ok(types::GetVersionsOkBody::new(
            versions.iter().map(|v| v.to_string()).collect(),
        )))
    }

    async fn request_open_id_token(
        &self,
        caller: Caller,
        request: api::RequestOpenIdTokenRequest,
    ) -> Result<api::RequestOpenIdTokenResponse, MatrixError> {
        if request.user_id != caller.user_id {
            return api::RequestOpenIdTokenResponse::from_error(forbidden(
                "Cannot request tokens for other users",
            ));
        }
        // Each token is kept for its lifetime: a user gets the same budget of them from
        // however many addresses they call.
        if let Some(limiter) = &self.config.limiter {
            let who = Who::User(caller.user_id.clone());
            if let Err(wait) = limiter.check(who, api::REQUEST_OPEN_ID_TOKEN.name) {
                return api::RequestOpenIdTokenResponse::from_error(rate_limited(wait));
            }
        }
        let token = new_token();
        let lifetime = self.config.openid_token_lifetime;
        let record = ExpiringToken {
            user_id: caller.user_id,
            expires_at: now_ms() + millis(lifetime),
        };
        self.store
            .insert_openid_token(&token_hash(&token), &record)
            .await
            .map_err(internal)?;
        Ok(api::RequestOpenIdTokenResponse::Ok(
            types::OpenIdToken::new(
                token.into(),
                "Bearer".into(),
                self.config.server_name.clone(),
                i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
            ),
        ))
    }

    async fn exchange_open_id_token(
        &self,
        request: api::ExchangeOpenIdTokenRequest,
    ) -> Result<api::ExchangeOpenIdTokenResponse, MatrixError> {
        match self
            .store
            .openid_token(&token_hash(&request.access_token))
            .await
            .map_err(internal)?
        {
            Some(token) if token.expires_at > now_ms() => Ok(api::ExchangeOpenIdTokenResponse::Ok(
                types::ExchangeOpenIdTokenOkBody::new(
                    types::UserId::parse(token.user_id).map_err(internal)?,
                ),
            )),
            _ => api::ExchangeOpenIdTokenResponse::from_error(MatrixError::rejected_credential(
                "Access token unknown or expired",
            )),
        }
    }
}

/// A device's login session: device ids are the client's to choose, so they are unique only
/// per user. (No user id contains the separator.)
fn session_id(user_id: &str, device_id: &str) -> String {
    format!("{user_id}\u{1f}{device_id}")
}

/// The device a login is for: the one the client names, or a new one.
fn device_id(requested: Option<&str>) -> Result<String, MatrixError> {
    match requested {
        None => Ok(crate::secrets::random_token(10).to_uppercase()),
        Some(id)
            if !id.is_empty()
                && id.len() <= DEVICE_ID_BYTES
                && !id.chars().any(char::is_control) =>
        {
            Ok(id.to_owned())
        }
        Some(_) => Err(MatrixError::invalid_parameter(format!(
            "device_id must be 1-{DEVICE_ID_BYTES} bytes, no control characters"
        ))),
    }
}

/// Mints a single-use `m.login.token` for an existing user (the `login-token` command).
pub async fn mint_login_token<S: HomeserverStore>(
    store: &S,
    user_id: &str,
    lifetime: Duration,
) -> anyhow::Result<String> {
    if store.user(user_id).await?.is_none() {
        anyhow::bail!("no user {user_id}");
    }
    let token = new_token();
    let record = ExpiringToken {
        user_id: user_id.to_owned(),
        expires_at: now_ms() + millis(lifetime),
    };
    store
        .insert_login_token(&token_hash(&token), &record)
        .await?;
    Ok(token)
}
