//! The identity server: the generated `IdentityApi`, implemented over an `IdentityStore`,
//! behaving as Sydent does (MATRIX-BEHAVIOUR.md, the identity sections).
//!
//! The v1 API (no authentication) and the v2 API (an account token, and agreement to the
//! terms) share one implementation per behaviour: the trait methods below only check who
//! calls and convert between the two versions' types.

pub mod email;
mod invites;
pub mod server_name;
pub mod terms;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use matrix_api::identity::{self as api, Credential, IdentityApi};
use matrix_api::types::{self, MatrixError, MatrixErrorCode};
use serde_json::{Value, json};

use crate::clock::{millis, now_ms};
use crate::errors::{bad_request, error, forbidden, internal};
use crate::mail::Mailer;
use crate::ratelimit::{RateLimiter, Who};
use crate::remote::{HomeserverTls, RemoteClient};
use crate::secrets::{new_token, random_token, token_hash};
use crate::signing::KeyPair;
use crate::store::{Association, ExpiringToken, IdentityStore, ValidationSession};
use crate::threepid;
use email::{EmailTemplates, Template};
use terms::Terms;

/// The id the signing key is published under.
pub const KEY_ID: &str = "ed25519:0";

/// How long a signed association is good for: a hundred years, in milliseconds.
const ASSOCIATION_LIFETIME_MS: i64 = 100 * 365 * 24 * 60 * 60 * 1000;

/// The hash algorithms of `POST /lookup`, as `/hash_details` lists them.
const LOOKUP_ALGORITHMS: [&str; 2] = ["none", "sha256"];

/// The spec versions this server implements: the v1 API of r0.3.0, which Sydent still
/// serves, and the v2 API of every release since v1.1 (unchanged in substance up to
/// v1.16, whose specs the crate is generated from).
const SPEC_VERSIONS: [&str; 17] = [
    "r0.3.0", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8", "v1.9", "v1.10",
    "v1.11", "v1.12", "v1.13", "v1.14", "v1.15", "v1.16",
];

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
    /// How calls to homeservers check certificates.
    pub homeserver_tls: HomeserverTls,
    /// The terms accounts must agree to (none by default).
    pub terms: Terms,
    /// The emails' templates.
    pub templates: EmailTemplates,
    /// The emails' `From:` (`Name <address>` or an address).
    pub email_from: String,
    /// Where invitation emails send people to join (Sydent's `web_client_location`).
    pub web_client_location: String,
    /// How long an invitation (and its ephemeral key) is kept.
    pub invite_lifetime: Duration,
    /// The most addresses one lookup may ask about.
    pub max_lookup_addresses: usize,
    /// For limits per user (store-invite per sender); `None`: no limits.
    pub limiter: Option<Arc<RateLimiter>>,
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

/// Who made an authenticated request, and with which token (so logout can end it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountCaller {
    pub user_id: String,
    pub token_hash: String,
}

impl<S: IdentityStore> IdentityServer<S> {
    /// An identity server with the store's signing key and lookup pepper (each made on the
    /// first start).
    pub async fn new(
        store: Arc<S>,
        config: IdentityConfig,
        mailer: Mailer,
    ) -> anyhow::Result<Self> {
        let seed = store
            .signing_key_seed(crate::secrets::random_seed())
            .await?;
        store.lookup_pepper(&random_token(32)).await?;
        let remote = RemoteClient::new(&config.homeserver_tls).map_err(anyhow::Error::msg)?;
        Ok(IdentityServer {
            key: KeyPair::from_seed(KEY_ID, seed),
            store,
            config,
            mailer,
            remote,
        })
    }

    pub fn public_key(&self) -> String {
        self.key.public_key()
    }

    fn expired(&self, session: &ValidationSession) -> bool {
        let lifetime = millis(self.config.validation_session_lifetime);
        now_ms() - session.created_at > lifetime
    }

    /// Takes a token from `who`'s bucket for `class`, if limits are on: the limits per user,
    /// beside the router's per client address.
    fn limit(&self, who: Who, class: &'static str) -> Result<(), MatrixError> {
        match &self.config.limiter {
            Some(limiter) => limiter
                .check(who, class)
                .map_err(crate::ratelimit::rate_limited),
            None => Ok(()),
        }
    }

    /// A v2 caller who may act: with no terms, anyone; else one who agreed to them all.
    async fn require_terms(&self, caller: &AccountCaller) -> Result<(), MatrixError> {
        if !self.config.terms.any() {
            return Ok(());
        }
        let accepted = self
            .store
            .accepted_terms(&caller.user_id)
            .await
            .map_err(internal)?;
        if self.config.terms.agreed(&accepted) {
            Ok(())
        } else {
            Err(error(
                StatusCode::FORBIDDEN,
                MatrixErrorCode::TermsNotSigned,
                "Terms not signed",
            ))
        }
    }

    // ---- Validation sessions -------------------------------------------------------------

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

    /// Checks a token sent to the session's 3pid, of `medium`: whether it was the one.
    async fn submit_token(
        &self,
        medium: &str,
        sid: &str,
        client_secret: &str,
        token: &str,
    ) -> Result<bool, MatrixError> {
        let session = self.session(sid, client_secret).await?;
        if session.medium != medium {
            return Err(no_valid_session());
        }
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

    // Long because it is the rule sequence of `requestToken`: checks, session reuse, mail.
    /// Starts (or, for a retry, returns) a session validating `email`: its sid.
    async fn request_email_token(
        &self,
        client_secret: &str,
        email: &str,
        send_attempt: i64,
    ) -> Result<String, MatrixError> {
        if !threepid::valid_client_secret(client_secret) {
            return Err(MatrixError::invalid_parameter("Invalid client_secret"));
        }
        let Some(email) = threepid::parse_email(email) else {
            return Err(bad_request(
                MatrixErrorCode::InvalidEmail,
                "The email address is not valid",
            ));
        };
        let existing = self
            .store
            .validation_session_for(client_secret, "email", &email)
            .await
            .map_err(internal)?
            .filter(|s| !self.expired(s));
        // A send attempt no greater than the last one is a retry: same session, no email.
        if let Some(session) = &existing
            && send_attempt <= session.send_attempt
        {
            return Ok(session.sid.clone());
        }
        let token = random_token(32);
        let sid = match existing {
            Some(session) => {
                self.store
                    .renew_validation_token(&session.sid, &token_hash(&token), send_attempt)
                    .await
                    .map_err(internal)?;
                session.sid
            }
            None => {
                let session = ValidationSession {
                    sid: random_token(24),
                    client_secret: client_secret.to_owned(),
                    medium: "email".into(),
                    address: email.clone(),
                    token_hash: token_hash(&token),
                    send_attempt,
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
            ("client_secret", client_secret),
            ("token", token.as_str()),
        ])
        .map_err(internal)?;
        // The v1 link: it takes no account token, so a mail reader can open it as it is.
        let link = format!(
            "{}/_matrix/identity/api/v1/validate/email/submitToken?{query}",
            self.config.public_url.trim_end_matches('/')
        );
        let variables = BTreeMap::from([
            ("link".to_owned(), link),
            ("token".to_owned(), token),
            ("ipaddress".to_owned(), String::new()),
            (
                "subject_header_value".to_owned(),
                "Confirm your email address for Matrix".to_owned(),
            ),
        ]);
        self.send_email(Template::Verification, &email, variables)
            .await
            .map_err(|()| {
                bad_request(
                    MatrixErrorCode::EmailSendError,
                    "The validation email could not be sent",
                )
            })?;
        Ok(sid)
    }

    /// Renders `template` for `to` and sends it; failures are logged here (without the
    /// message, which holds the secret being mailed).
    async fn send_email(
        &self,
        template: Template,
        to: &str,
        variables: BTreeMap<String, String>,
    ) -> Result<(), ()> {
        let mut all = email::envelope_variables(
            to,
            &self.config.email_from,
            self.config.server_name.as_str(),
        );
        all.extend(variables);
        let message = self
            .config
            .templates
            .render(template, &all)
            .map_err(|error| tracing::error!(%error, "email not rendered"))?;
        self.mailer
            .send_message(&self.config.email_from, to, &message)
            .await
            .map_err(|error| tracing::error!(%error, "email not sent"))
    }

    // ---- Associations ----------------------------------------------------------------------

    /// Binds the 3pid a validated session proves to `mxid`: the signed association. Pending
    /// invitations to the address go to the user's homeserver.
    async fn bind_session(
        &self,
        sid: &str,
        client_secret: &str,
        mxid: &str,
    ) -> Result<Value, MatrixError> {
        let session = self.validated_session(sid, client_secret).await?;
        let now = now_ms();
        let association = Association {
            medium: session.medium.clone(),
            address: threepid::casefold(&session.medium, &session.address),
            mxid: mxid.to_owned(),
            ts: now,
            not_before: now,
            not_after: now + ASSOCIATION_LIFETIME_MS,
        };
        self.store
            .put_association(&association)
            .await
            .map_err(internal)?;
        tracing::info!(mxid = %association.mxid, "association published");
        self.deliver_invites(&association).await;
        self.signed_association(&association)
    }

    /// An association as bind answers it, signed by this server.
    fn signed_association(&self, association: &Association) -> Result<Value, MatrixError> {
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
        Ok(signed)
    }

    /// Removes the association of `threepid` with `mxid`, proved by a validated session of
    /// that very 3pid.
    async fn unbind_threepid(
        &self,
        sid: Option<&str>,
        client_secret: Option<&str>,
        mxid: &str,
        threepid: &types::ThreePid,
    ) -> Result<(), MatrixError> {
        let (Some(sid), Some(client_secret)) = (sid, client_secret) else {
            // The other way to authenticate an unbind is a homeserver's request signature,
            // which this server does not verify: refuse rather than trust.
            return Err(forbidden(
                "Unbind requests must prove the 3pid with sid and client_secret",
            ));
        };
        let session = self
            .validated_session(sid, client_secret)
            .await
            .map_err(|_| forbidden("The session does not prove this 3pid"))?;
        let address = threepid::casefold(&threepid.medium, &threepid.address);
        if threepid.medium != session.medium
            || address != threepid::casefold(&session.medium, &session.address)
        {
            return Err(forbidden("The session does not match this 3pid"));
        }
        self.store
            .delete_association(&threepid.medium, &address, mxid)
            .await
            .map_err(internal)?;
        Ok(())
    }

    // ---- Lookups ---------------------------------------------------------------------------

    /// The current pepper, read for every lookup: an operator's rotation holds at once on
    /// every node. Made at start, so missing only if its row was deleted since: then made
    /// again.
    async fn pepper(&self) -> Result<String, MatrixError> {
        match self.store.current_lookup_pepper().await.map_err(internal)? {
            Some(pepper) => Ok(pepper),
            None => self
                .store
                .lookup_pepper(&random_token(32))
                .await
                .map_err(internal),
        }
    }

    /// `POST /lookup`: the mappings of the given addresses that are bound.
    async fn hashed_lookup(
        &self,
        body: types::LookupUsersV2Body,
    ) -> Result<api::LookupUsersV2Response, MatrixError> {
        if body.addresses.len() > self.config.max_lookup_addresses {
            return Err(error(
                StatusCode::BAD_REQUEST,
                MatrixErrorCode::TooLarge,
                format!(
                    "At most {} addresses may be looked up at once",
                    self.config.max_lookup_addresses
                ),
            ));
        }
        let pepper = self.pepper().await?;
        if body.pepper != pepper {
            // With what the client needs to try again.
            let error = bad_request(
                MatrixErrorCode::InvalidPepper,
                "Unknown or invalid pepper - has it been rotated?",
            )
            .with_field("algorithm", "sha256")
            .with_field("lookup_pepper", pepper);
            return Err(error);
        }
        // Each address as the hash it is stored under, and back.
        let mut asked: BTreeMap<String, String> = BTreeMap::new();
        match body.algorithm.as_str() {
            "sha256" => {
                for address in body.addresses {
                    asked.insert(address.clone(), address);
                }
            }
            "none" => {
                for given in body.addresses {
                    let Some((address, medium)) =
                        given.split_once(' ').filter(|(address, medium)| {
                            !address.is_empty() && !medium.is_empty() && !medium.contains(' ')
                        })
                    else {
                        return Err(bad_request(
                            MatrixErrorCode::Unknown,
                            "Invalid address: `none` lookups take `address medium`",
                        ));
                    };
                    let address = threepid::casefold(medium, address);
                    asked.insert(crate::store::lookup_hash(medium, &address, &pepper), given);
                }
            }
            _ => {
                return Err(MatrixError::invalid_parameter(
                    "Unsupported algorithm: see /hash_details",
                ));
            }
        }
        let hashes: Vec<String> = asked.keys().cloned().collect();
        let found = self
            .store
            .associations_by_lookup_hash(&hashes)
            .await
            .map_err(internal)?;
        let mut mappings = BTreeMap::new();
        for association in found {
            let hash =
                crate::store::lookup_hash(&association.medium, &association.address, &pepper);
            if let Some(given) = asked.get(&hash) {
                mappings.insert(given.clone(), association.mxid);
            }
        }
        Ok(api::LookupUsersV2Response::Ok(
            types::LookupUsersV2OkBody::new(mappings),
        ))
    }

    /// The association of one 3pid, by its medium and address as given.
    async fn association_of(
        &self,
        medium: &str,
        address: &str,
    ) -> Result<Option<Association>, MatrixError> {
        let address = threepid::casefold(medium, address);
        self.store
            .association(medium, &address)
            .await
            .map_err(internal)
    }

    // ---- Keys ------------------------------------------------------------------------------

    /// Whether `public_key` is this server's long-term key, in either base64 alphabet.
    fn is_own_key(&self, public_key: &str) -> bool {
        decode_key(public_key).is_some_and(|bytes| Some(bytes) == decode_key(&self.public_key()))
    }

    /// Whether `public_key` is a live ephemeral key of an invitation, in either alphabet.
    async fn is_ephemeral_key(&self, public_key: &str) -> Result<bool, MatrixError> {
        let Some(bytes) = decode_key(public_key) else {
            return Ok(false);
        };
        self.store
            .ephemeral_key_exists(&URL_SAFE_NO_PAD.encode(bytes))
            .await
            .map_err(internal)
    }

    fn get_pub_key_body(&self, key_id: &str) -> Result<types::GetPubKeyOkBody, MatrixError> {
        if key_id != KEY_ID {
            return Err(error(
                StatusCode::NOT_FOUND,
                MatrixErrorCode::NotFound,
                "The public key was not found",
            ));
        }
        Ok(types::GetPubKeyOkBody::new(self.public_key()))
    }

    // ---- Homeservers -----------------------------------------------------------------------

    /// Where to call a homeserver, and whether it is trusted: trusted names go to their
    /// configured URL; any other is found as the server-server API resolves names (its
    /// `.well-known/matrix/server` delegation, SRV records aside) and called only on public
    /// addresses (an IP literal is checked here, a host name by the resolver of the call
    /// itself, `PublicOnly`).
    async fn homeserver(&self, name: &str) -> Result<(String, bool), MatrixError> {
        if let Some(url) = self.config.trusted_homeservers.get(name) {
            return Ok((url.clone(), true));
        }
        let parsed = server_name::parse(name).ok_or_else(|| {
            MatrixError::invalid_parameter("matrix_server_name is not a valid server name")
        })?;
        let delegated = match parsed.needs_discovery() {
            true => self.remote.well_known_server(&parsed.host).await,
            false => None,
        };
        let target = delegated
            .as_deref()
            .and_then(server_name::parse)
            .unwrap_or_else(|| parsed.clone());
        // The name itself, or where its delegation points.
        if target.ip.is_some_and(crate::addresses::is_internal) {
            tracing::warn!(
                server = name,
                "refusing to call a homeserver on an internal address"
            );
            return Err(unknown_token());
        }
        Ok((
            server_name::federation_base(&parsed, delegated.as_deref()),
            false,
        ))
    }
}

/// A base64 ed25519 public key's bytes, standard or URL-safe, padded or not.
fn decode_key(text: &str) -> Option<[u8; 32]> {
    let unpadded = text.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(unpadded)
        .or_else(|_| URL_SAFE_NO_PAD.decode(unpadded))
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
}

/// A typed answer from the JSON this server built for it.
fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, MatrixError> {
    serde_json::from_value(value).map_err(internal)
}

impl<S: IdentityStore> IdentityApi for IdentityServer<S> {
    type Caller = AccountCaller;

    async fn authenticate(&self, credential: Credential) -> Result<AccountCaller, MatrixError> {
        let token = match credential {
            Credential::AccessToken(token)
            | Credential::AccessTokenQuery(token)
            | Credential::AccessTokenBearer(token) => token,
        };
        let token_hash = token_hash(&token);
        let token = self
            .store
            .account_token(&token_hash)
            .await
            .map_err(internal)?
            .filter(|token| token.expires_at > now_ms())
            // The identity API's own answer (Sydent's too), not the client-server API's
            // `M_UNKNOWN_TOKEN`.
            .ok_or_else(|| {
                error(
                    StatusCode::UNAUTHORIZED,
                    MatrixErrorCode::Unauthorized,
                    "Unrecognised access token",
                )
            })?;
        Ok(AccountCaller {
            user_id: token.user_id,
            token_hash,
        })
    }

    // ---- Status and terms ----------------------------------------------------------------

    async fn ping(&self, _request: api::PingRequest) -> Result<api::PingResponse, MatrixError> {
        Ok(api::PingResponse::Ok(Default::default()))
    }

    async fn ping_v2(
        &self,
        _request: api::PingV2Request,
    ) -> Result<api::PingV2Response, MatrixError> {
        Ok(api::PingV2Response::Ok(Default::default()))
    }

    async fn get_versions(
        &self,
        _request: api::GetVersionsRequest,
    ) -> Result<api::GetVersionsResponse, MatrixError> {
        Ok(api::GetVersionsResponse::Ok(
            types::VersionsGetVersionsOkBody::new(
                SPEC_VERSIONS.iter().map(|v| v.to_string()).collect(),
            ),
        ))
    }

    async fn get_terms(
        &self,
        _request: api::GetTermsRequest,
    ) -> Result<api::GetTermsResponse, MatrixError> {
        Ok(api::GetTermsResponse::Ok(self.config.terms.answer()))
    }

    async fn agree_to_terms(
        &self,
        caller: AccountCaller,
        request: api::AgreeToTermsRequest,
    ) -> Result<api::AgreeToTermsResponse, MatrixError> {
        let urls = request.body.user_accepts;
        if let Some(unknown) = urls.iter().find(|url| !self.config.terms.lists(url)) {
            return Err(bad_request(
                MatrixErrorCode::Unknown,
                format!(
                    "Unrecognised URL: {}",
                    unknown.chars().take(200).collect::<String>()
                ),
            ));
        }
        self.store
            .accept_terms(&caller.user_id, &urls)
            .await
            .map_err(internal)?;
        let accepted = self
            .store
            .accepted_terms(&caller.user_id)
            .await
            .map_err(internal)?;
        if self.config.terms.agreed(&accepted) {
            tracing::info!(
                user_id = %caller.user_id,
                version = self.config.terms.master_version().unwrap_or_default(),
                "terms agreed"
            );
        }
        Ok(api::AgreeToTermsResponse::Ok(Default::default()))
    }

    // ---- Accounts ------------------------------------------------------------------------

    async fn register_account(
        &self,
        request: api::RegisterAccountRequest,
    ) -> Result<api::RegisterAccountResponse, MatrixError> {
        let openid = request.body;
        // A valid server name: the generated type refuses any other.
        let name = openid.matrix_server_name;
        let (url, trusted) = self.homeserver(&name).await?;
        let answer = self
            .remote
            .openid_userinfo(&url, trusted, &openid.access_token)
            .await
            .map_err(|e| {
                tracing::warn!(server = %name, error = %e, "OpenID token not verified");
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

    // ---- Validation: v1 --------------------------------------------------------------------

    async fn email_request_token(
        &self,
        request: api::EmailRequestTokenRequest,
    ) -> Result<api::EmailRequestTokenResponse, MatrixError> {
        let body = request.body;
        let sid = self
            .request_email_token(body.client_secret.expose(), &body.email, body.send_attempt)
            .await;
        match sid {
            Ok(sid) => Ok(api::EmailRequestTokenResponse::Ok(
                types::EmailRequestTokenOkBody::new(sid),
            )),
            Err(error) => api::EmailRequestTokenResponse::from_error(error),
        }
    }

    async fn email_submit_token_get(
        &self,
        request: api::EmailSubmitTokenGetRequest,
    ) -> Result<api::EmailSubmitTokenGetResponse, MatrixError> {
        let success = self
            .submit_token(
                "email",
                &request.sid,
                &request.client_secret,
                &request.token,
            )
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
            .submit_token("email", &body.sid, &body.client_secret, &body.token)
            .await?;
        Ok(api::EmailSubmitTokenPostResponse::Ok(
            types::EmailSubmitTokenPostOkBody::new(success),
        ))
    }

    // ---- Validation: v2 --------------------------------------------------------------------

    async fn email_request_token_v2(
        &self,
        caller: AccountCaller,
        request: api::EmailRequestTokenV2Request,
    ) -> Result<api::EmailRequestTokenV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        let body = request.body;
        let sid = self
            .request_email_token(body.client_secret.expose(), &body.email, body.send_attempt)
            .await?;
        Ok(api::EmailRequestTokenV2Response::Ok(types::Sid::new(sid)))
    }

    async fn email_submit_token_get_v2(
        &self,
        caller: AccountCaller,
        request: api::EmailSubmitTokenGetV2Request,
    ) -> Result<api::EmailSubmitTokenGetV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        if self
            .submit_token(
                "email",
                &request.sid,
                &request.client_secret,
                &request.token,
            )
            .await?
        {
            Ok(api::EmailSubmitTokenGetV2Response::Ok)
        } else {
            Err(bad_request(
                MatrixErrorCode::Unknown,
                "The token does not match the session's",
            ))
        }
    }

    async fn email_submit_token_post_v2(
        &self,
        caller: AccountCaller,
        request: api::EmailSubmitTokenPostV2Request,
    ) -> Result<api::EmailSubmitTokenPostV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        let body = request.body;
        let success = self
            .submit_token("email", &body.sid, &body.client_secret, &body.token)
            .await?;
        Ok(api::EmailSubmitTokenPostV2Response::Ok(
            types::EmailSubmitTokenPostV2OkBody::new(success),
        ))
    }

    async fn msisdn_request_token_v2(
        &self,
        caller: AccountCaller,
        _request: api::MsisdnRequestTokenV2Request,
    ) -> Result<api::MsisdnRequestTokenV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        // No SMS gateway can be configured: phone numbers are not a medium this server
        // validates (Sydent answers the same without one).
        Err(bad_request(
            MatrixErrorCode::ThreepidMediumNotSupported,
            "This server does not validate phone numbers",
        ))
    }

    async fn msisdn_submit_token_get_v2(
        &self,
        caller: AccountCaller,
        request: api::MsisdnSubmitTokenGetV2Request,
    ) -> Result<api::MsisdnSubmitTokenGetV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        // As the email form: no body to say `success`, so a wrong token is an error.
        if self
            .submit_token(
                "msisdn",
                &request.sid,
                &request.client_secret,
                &request.token,
            )
            .await?
        {
            Ok(api::MsisdnSubmitTokenGetV2Response::Ok)
        } else {
            Err(bad_request(
                MatrixErrorCode::Unknown,
                "The token does not match the session's",
            ))
        }
    }

    async fn msisdn_submit_token_post_v2(
        &self,
        caller: AccountCaller,
        request: api::MsisdnSubmitTokenPostV2Request,
    ) -> Result<api::MsisdnSubmitTokenPostV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        let body = request.body;
        let success = self
            .submit_token("msisdn", &body.sid, &body.client_secret, &body.token)
            .await?;
        Ok(api::MsisdnSubmitTokenPostV2Response::Ok(
            types::MsisdnSubmitTokenPostV2OkBody::new(success),
        ))
    }

    // ---- Associations: v1 ------------------------------------------------------------------

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
        match self
            .bind_session(&body.sid, &body.client_secret, &body.mxid)
            .await
        {
            Ok(signed) => Ok(api::BindResponse::Ok(typed(signed)?)),
            Err(error) => api::BindResponse::from_error(error),
        }
    }

    async fn unbind(
        &self,
        request: api::UnbindRequest,
    ) -> Result<api::UnbindResponse, MatrixError> {
        let body = request.body;
        let unbound = self
            .unbind_threepid(
                body.sid.as_deref(),
                body.client_secret.as_ref().map(|secret| secret.expose()),
                &body.mxid,
                &body.threepid,
            )
            .await;
        match unbound {
            Ok(()) => Ok(api::UnbindResponse::Ok(Default::default())),
            Err(error) => api::UnbindResponse::from_error(error),
        }
    }

    // ---- Associations: v2 ------------------------------------------------------------------

    async fn get_validated3pid_v2(
        &self,
        caller: AccountCaller,
        request: api::GetValidated3pidV2Request,
    ) -> Result<api::GetValidated3pidV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        let session = self
            .validated_session(&request.sid, &request.client_secret)
            .await?;
        Ok(api::GetValidated3pidV2Response::Ok(
            types::GetValidated3pidV2OkBody::new(
                session.medium,
                session.address,
                session.validated_at.unwrap_or_default(),
            ),
        ))
    }

    async fn bind_v2(
        &self,
        caller: AccountCaller,
        request: api::BindV2Request,
    ) -> Result<api::BindV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        let body = request.body;
        // An account binds 3pids to itself only (Sydent refuses any other mxid).
        if *body.mxid != *caller.user_id {
            return Err(error(
                StatusCode::FORBIDDEN,
                MatrixErrorCode::Unauthorized,
                "This account may only bind 3pids to its own user ID",
            ));
        }
        let signed = self
            .bind_session(&body.sid, &body.client_secret, &body.mxid)
            .await?;
        Ok(api::BindV2Response::Ok(typed(signed)?))
    }

    async fn unbind_v2(
        &self,
        caller: AccountCaller,
        request: api::UnbindV2Request,
    ) -> Result<api::UnbindV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        let body = request.body;
        self.unbind_threepid(
            body.sid.as_deref(),
            body.client_secret.as_ref().map(|secret| secret.expose()),
            &body.mxid,
            &body.threepid,
        )
        .await?;
        Ok(api::UnbindV2Response::Ok(Default::default()))
    }

    // ---- Lookups -------------------------------------------------------------------------

    async fn get_hash_details(
        &self,
        caller: AccountCaller,
        _request: api::GetHashDetailsRequest,
    ) -> Result<api::GetHashDetailsResponse, MatrixError> {
        self.require_terms(&caller).await?;
        Ok(api::GetHashDetailsResponse::Ok(
            types::GetHashDetailsOkBody::new(
                self.pepper().await?,
                LOOKUP_ALGORITHMS.iter().map(|a| a.to_string()).collect(),
            ),
        ))
    }

    async fn lookup_users_v2(
        &self,
        caller: AccountCaller,
        request: api::LookupUsersV2Request,
    ) -> Result<api::LookupUsersV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        self.hashed_lookup(request.body).await
    }

    async fn lookup_user(
        &self,
        request: api::LookupUserRequest,
    ) -> Result<api::LookupUserResponse, MatrixError> {
        let answer = match self
            .association_of(&request.medium, &request.address)
            .await?
        {
            Some(association) => typed(self.signed_association(&association)?)?,
            None => types::LookupUserOkBody::default(),
        };
        Ok(api::LookupUserResponse::Ok(answer))
    }

    async fn lookup_users(
        &self,
        request: api::LookupUsersRequest,
    ) -> Result<api::LookupUsersResponse, MatrixError> {
        let threepids = request.body.threepids;
        if threepids.len() > self.config.max_lookup_addresses {
            return Err(error(
                StatusCode::BAD_REQUEST,
                MatrixErrorCode::TooLarge,
                format!(
                    "At most {} 3pids may be looked up at once",
                    self.config.max_lookup_addresses
                ),
            ));
        }
        let mut found = Vec::new();
        for pair in threepids {
            let [medium, address] = <[String; 2]>::try_from(pair).map_err(|_| {
                MatrixError::invalid_parameter("Each 3pid is a pair: [medium, address]")
            })?;
            if let Some(association) = self.association_of(&medium, &address).await? {
                found.push(vec![medium, address, association.mxid]);
            }
        }
        Ok(api::LookupUsersResponse::Ok(types::LookupUsersOkBody::new(
            found,
        )))
    }

    // ---- Invitations -----------------------------------------------------------------------

    async fn store_invite(
        &self,
        request: api::StoreInviteRequest,
    ) -> Result<api::StoreInviteResponse, MatrixError> {
        let stored = self.invite(request.body, "/_matrix/identity/api/v1").await;
        match stored {
            Ok(answer) => Ok(api::StoreInviteResponse::Ok(answer)),
            Err(error) => api::StoreInviteResponse::from_error(error),
        }
    }

    async fn store_invite_v2(
        &self,
        caller: AccountCaller,
        request: api::StoreInviteV2Request,
    ) -> Result<api::StoreInviteV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        if *request.body.sender != *caller.user_id {
            return Err(error(
                StatusCode::FORBIDDEN,
                MatrixErrorCode::Unauthorized,
                "The sender must be the account's user",
            ));
        }
        let answer = self.invite(request.body, "/_matrix/identity/v2").await?;
        Ok(api::StoreInviteV2Response::Ok(answer))
    }

    async fn blindly_sign_stuff_v2(
        &self,
        caller: AccountCaller,
        request: api::BlindlySignStuffV2Request,
    ) -> Result<api::BlindlySignStuffV2Response, MatrixError> {
        self.require_terms(&caller).await?;
        let body = request.body;
        let signed = self
            .sign_invite(&body.mxid, &body.token, &body.private_key)
            .await?;
        Ok(api::BlindlySignStuffV2Response::Ok(typed(signed)?))
    }

    // ---- Keys ----------------------------------------------------------------------------

    async fn get_pub_key(
        &self,
        request: api::GetPubKeyRequest,
    ) -> Result<api::GetPubKeyResponse, MatrixError> {
        match self.get_pub_key_body(&request.key_id) {
            Ok(body) => Ok(api::GetPubKeyResponse::Ok(body)),
            Err(error) => api::GetPubKeyResponse::from_error(error),
        }
    }

    async fn get_pub_key_v2(
        &self,
        request: api::GetPubKeyV2Request,
    ) -> Result<api::GetPubKeyV2Response, MatrixError> {
        let body = self.get_pub_key_body(&request.key_id)?;
        Ok(api::GetPubKeyV2Response::Ok(typed(
            serde_json::to_value(body).map_err(internal)?,
        )?))
    }

    async fn is_pub_key_valid(
        &self,
        request: api::IsPubKeyValidRequest,
    ) -> Result<api::IsPubKeyValidResponse, MatrixError> {
        let valid = self.is_own_key(&request.public_key);
        Ok(api::IsPubKeyValidResponse::Ok(
            types::IsPubKeyValidV2OkBody::new(valid),
        ))
    }

    async fn is_pub_key_valid_v2(
        &self,
        request: api::IsPubKeyValidV2Request,
    ) -> Result<api::IsPubKeyValidV2Response, MatrixError> {
        let valid = self.is_own_key(&request.public_key);
        Ok(api::IsPubKeyValidV2Response::Ok(
            types::IsPubKeyValidV2OkBody::new(valid),
        ))
    }

    async fn is_ephemeral_pub_key_valid(
        &self,
        request: api::IsEphemeralPubKeyValidRequest,
    ) -> Result<api::IsEphemeralPubKeyValidResponse, MatrixError> {
        let valid = self.is_ephemeral_key(&request.public_key).await?;
        Ok(api::IsEphemeralPubKeyValidResponse::Ok(
            types::IsPubKeyValidV2OkBody::new(valid),
        ))
    }

    async fn is_ephemeral_pub_key_valid_v2(
        &self,
        request: api::IsEphemeralPubKeyValidV2Request,
    ) -> Result<api::IsEphemeralPubKeyValidV2Response, MatrixError> {
        let valid = self.is_ephemeral_key(&request.public_key).await?;
        Ok(api::IsEphemeralPubKeyValidV2Response::Ok(
            types::IsEphemeralPubKeyValidV2OkBody::new(valid),
        ))
    }
}
