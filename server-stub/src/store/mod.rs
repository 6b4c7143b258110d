//! Storage: what the servers remember, behind one trait per server. The business rules
//! live above these traits, once; each backend only stores, and makes atomic the few
//! operations whose writes must happen together (a token refresh, a password change).
//!
//! Secrets (tokens) are never stored: only their SHA-256 hashes are. Times are
//! milliseconds since the Unix epoch.

pub mod memory;
pub mod sql;

use std::future::Future;

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A row with the same key exists (a taken user id, a 3pid on another account).
    #[error("already exists")]
    Conflict,
    #[error("storage failed: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub user_id: String,
    /// The PHC string of the argon2id hash of the NFKC form of the password.
    pub password_hash: Option<String>,
    pub is_guest: bool,
}

/// An access token, and the refresh token issued with it, of one login session ("chain").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    pub user_id: String,
    /// The session the pair belongs to: refreshing keeps it, reusing a refresh token kills it.
    pub chain_id: String,
    pub access_hash: String,
    pub access_expires_at: Option<i64>,
    pub refresh_hash: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub user_id: String,
    pub chain_id: String,
    pub expires_at: Option<i64>,
}

/// What became of a refresh token presented for exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshExchange {
    /// It was unused: it, and the access token issued with it, are now dead, and the new
    /// pair is stored.
    Exchanged,
    /// No such refresh token.
    Unknown,
    /// It was exchanged before: someone replays it.
    AlreadyUsed { chain_id: String },
}

/// A User-Interactive Authentication session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UiaSession {
    pub id: String,
    /// The endpoint the session was started on; it is good for that endpoint only.
    pub endpoint: String,
    /// The user it authenticates, where the endpoint knows one.
    pub user_id: Option<String>,
    pub completed: Vec<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThirdPartyId {
    pub medium: String,
    pub address: String,
}

/// A login token, an OpenID token: a short-lived secret naming a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringToken {
    pub user_id: String,
    pub expires_at: i64,
}

/// The homeserver's memory.
pub trait HomeserverStore: Send + Sync + 'static {
    /// Stores a new user; `Conflict` when the id is taken.
    fn create_user(
        &self,
        user: &User,
        created_at: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn user(&self, user_id: &str) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    /// A number no earlier call returned, for generated localparts.
    fn next_generated_localpart(&self) -> impl Future<Output = StoreResult<u64>> + Send;
    /// Sets the password and revokes every token of the user except those of `keep_chain`,
    /// at once.
    fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_chain: Option<&str>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn insert_tokens(&self, pair: &TokenPair) -> impl Future<Output = StoreResult<()>> + Send;
    fn access_token(
        &self,
        access_hash: &str,
    ) -> impl Future<Output = StoreResult<Option<AccessToken>>> + Send;
    /// Claims an unused refresh token, and in the same step deletes the access token issued
    /// with it and stores `new` (in the same chain). Two concurrent calls with one refresh
    /// token: one `Exchanged`, the other `AlreadyUsed`.
    fn exchange_refresh_token(
        &self,
        refresh_hash: &str,
        new: &TokenPair,
    ) -> impl Future<Output = StoreResult<RefreshExchange>> + Send;
    /// The user a refresh token belongs to, and its chain, used or not.
    fn refresh_token_owner(
        &self,
        refresh_hash: &str,
    ) -> impl Future<Output = StoreResult<Option<(String, String)>>> + Send;
    /// Deletes every access and refresh token of a chain.
    fn revoke_chain(&self, chain_id: &str) -> impl Future<Output = StoreResult<()>> + Send;

    fn insert_uia_session(
        &self,
        session: &UiaSession,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn uia_session(&self, id: &str)
    -> impl Future<Output = StoreResult<Option<UiaSession>>> + Send;
    fn complete_uia_stage(
        &self,
        id: &str,
        stage: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes a session; true when it existed (so a session is consumed once).
    fn delete_uia_session(&self, id: &str) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Adds a 3pid to a user; `Conflict` when another user has it.
    fn add_threepid(
        &self,
        user_id: &str,
        threepid: &ThirdPartyId,
        added_at: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn threepids(
        &self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<ThirdPartyId>>> + Send;
    fn user_by_threepid(
        &self,
        threepid: &ThirdPartyId,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;

    fn insert_login_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Removes and returns a login token: each can be used once.
    fn take_login_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = StoreResult<Option<ExpiringToken>>> + Send;

    fn insert_openid_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn openid_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = StoreResult<Option<ExpiringToken>>> + Send;
}

/// An email (or other 3pid) validation session of the identity server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationSession {
    pub sid: String,
    pub client_secret: String,
    pub medium: String,
    pub address: String,
    pub token_hash: String,
    pub send_attempt: i64,
    pub created_at: i64,
    pub validated_at: Option<i64>,
}

/// A published 3pid → Matrix user id association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    pub medium: String,
    pub address: String,
    pub mxid: String,
    pub ts: i64,
    pub not_before: i64,
    pub not_after: i64,
}

/// The identity server's memory.
pub trait IdentityStore: Send + Sync + 'static {
    fn insert_validation_session(
        &self,
        session: &ValidationSession,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn validation_session(
        &self,
        sid: &str,
    ) -> impl Future<Output = StoreResult<Option<ValidationSession>>> + Send;
    /// The session a client secret opened for an address, if any.
    fn validation_session_for(
        &self,
        client_secret: &str,
        medium: &str,
        address: &str,
    ) -> impl Future<Output = StoreResult<Option<ValidationSession>>> + Send;
    /// A new token for a session: a later send attempt.
    fn renew_validation_token(
        &self,
        sid: &str,
        token_hash: &str,
        send_attempt: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn mark_validated(
        &self,
        sid: &str,
        validated_at: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Stores an association, replacing any for the same 3pid.
    fn put_association(
        &self,
        association: &Association,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn association(
        &self,
        medium: &str,
        address: &str,
    ) -> impl Future<Output = StoreResult<Option<Association>>> + Send;
    /// Deletes the association of a 3pid with a user id; true when it existed.
    fn delete_association(
        &self,
        medium: &str,
        address: &str,
        mxid: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn insert_account_token(
        &self,
        token_hash: &str,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn account_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    fn delete_account_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// The signing key's seed: `candidate` if none is stored yet, else the stored one (so
    /// every server sharing the store signs with one key).
    fn signing_key_seed(
        &self,
        candidate: [u8; 32],
    ) -> impl Future<Output = StoreResult<[u8; 32]>> + Send;
}
