//! Storage: what the servers remember, behind one trait per server. The business rules
//! live above these traits, once; each backend only stores, and makes atomic the few
//! operations whose writes must happen together (a token refresh, a password change).
//!
//! Secrets (tokens) are never stored: only their SHA-256 hashes are. Times are
//! milliseconds since the Unix epoch.

pub mod cached;
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
    /// Stores a new user with the token pair of its first login session, at once;
    /// `Conflict` (and nothing stored) when the id is taken.
    fn create_user(
        &self,
        user: &User,
        created_at: i64,
        first_login: &TokenPair,
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
    /// with it and stores `new` (in the same chain). Of the chain's used refresh tokens only
    /// this one is kept, for reuse detection (as Synapse does): a chain that is refreshed a
    /// million times holds two refresh tokens, not a million. Two concurrent calls with one refresh
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

    /// Deletes UIA sessions created before `sessions_before`, and login and OpenID tokens
    /// expired by `now`.
    fn purge_expired(
        &self,
        now: i64,
        sessions_before: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
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

/// An invitation to a 3pid, kept until the address is bound (then delivered to the bound
/// user's homeserver) or until it expires. Its token is no secret: the inviting homeserver
/// publishes it in the room as the `m.room.third_party_invite` event's state key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingInvite {
    pub token: String,
    pub medium: String,
    pub address: String,
    pub room_id: String,
    pub sender: String,
    pub created_at: i64,
}

/// The hash a `sha256` lookup finds a 3pid by: the unpadded URL-safe base64 of SHA-256 over
/// `"{address} {medium} {pepper}"` (the identity service API's "Client-side hashing").
/// Stores keep it with each association, computed with the pepper of the moment.
pub fn lookup_hash(medium: &str, address: &str, pepper: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("{address} {medium} {pepper}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// The error of a write that needs the lookup pepper before any was made.
pub(crate) fn no_pepper() -> StoreError {
    StoreError::Backend("no lookup pepper yet: `lookup_pepper` makes it".into())
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

    /// Stores an association, replacing any for the same 3pid, with its lookup hash under
    /// the pepper of the moment (read in the same transaction, so that a pepper replaced
    /// meanwhile cannot leave it with a stale hash). The pepper must exist: see
    /// [`IdentityStore::lookup_pepper`].
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

    /// The associations whose lookup hash (see [`lookup_hash`]) is one of `hashes`.
    fn associations_by_lookup_hash(
        &self,
        hashes: &[String],
    ) -> impl Future<Output = StoreResult<Vec<Association>>> + Send;
    /// The pepper of hashed lookups: `candidate` if none is stored yet, else the stored one
    /// (so every server sharing the store answers the same).
    fn lookup_pepper(&self, candidate: &str) -> impl Future<Output = StoreResult<String>> + Send;
    /// The pepper, if one was made: a read, for every lookup.
    fn current_lookup_pepper(&self) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// Replaces the pepper and recomputes every association's lookup hash with it, in one
    /// transaction.
    fn replace_lookup_pepper(&self, pepper: &str) -> impl Future<Output = StoreResult<()>> + Send;

    /// The terms URLs a user has accepted, in any order.
    fn accepted_terms(
        &self,
        user_id: &str,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Adds to the terms URLs a user has accepted (those accepted before stay).
    fn accept_terms(
        &self,
        user_id: &str,
        urls: &[String],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Stores an invitation, and the public half of the ephemeral key made for it.
    fn insert_invite(
        &self,
        invite: &PendingInvite,
        ephemeral_public_key: &str,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn invite(
        &self,
        token: &str,
    ) -> impl Future<Output = StoreResult<Option<PendingInvite>>> + Send;
    /// The invitations pending for a 3pid, oldest first.
    fn invites_for(
        &self,
        medium: &str,
        address: &str,
    ) -> impl Future<Output = StoreResult<Vec<PendingInvite>>> + Send;
    /// Forgets delivered invitations (their ephemeral keys stay valid until purged).
    fn delete_invites(&self, tokens: &[String]) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether an ephemeral public key was made by this server and not purged yet.
    fn ephemeral_key_exists(
        &self,
        public_key: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Deletes invitations and ephemeral keys made before `before`.
    fn purge_invites(&self, before: i64) -> impl Future<Output = StoreResult<()>> + Send;

    fn insert_account_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// An account token, expired or not (the caller compares `expires_at` with its clock).
    fn account_token(
        &self,
        token_hash: &str,
    ) -> impl Future<Output = StoreResult<Option<ExpiringToken>>> + Send;
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

    /// Deletes validation sessions created before `before`.
    fn purge_validation_sessions(
        &self,
        before: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Deletes account tokens expired by `now`.
    fn purge_account_tokens(&self, now: i64) -> impl Future<Output = StoreResult<()>> + Send;
}

/// How many rows each table of a store holds: what the janitor reports after each purge,
/// so that growth shows in the log (and the soak benchmark can watch it).
pub trait Census: Send + Sync {
    /// (table, rows) for every table, or map of the memory store, that grows with use.
    fn table_sizes(&self) -> impl Future<Output = StoreResult<Vec<(&'static str, u64)>>> + Send;
}

/// The same checks against every backend: the atomic primitives the rules rely on.
#[cfg(test)]
mod tests {
    use super::*;

    /// A token pair without expiry (shared with the cache's tests).
    pub(super) fn pair(user: &str, chain: &str, access: &str, refresh: &str) -> TokenPair {
        TokenPair {
            user_id: user.into(),
            chain_id: chain.into(),
            access_hash: access.into(),
            access_expires_at: None,
            refresh_hash: Some(refresh.into()),
        }
    }

    async fn primitives<S: HomeserverStore + IdentityStore + Census>(store: S) {
        let user = User {
            user_id: "@a:hs".into(),
            password_hash: None,
            is_guest: false,
        };
        store
            .create_user(&user, 0, &pair("@a:hs", "c0", "a0", "r0"))
            .await
            .unwrap();
        assert!(matches!(
            store
                .create_user(&user, 0, &pair("@a:hs", "c9", "a9", "r9"))
                .await,
            Err(StoreError::Conflict)
        ));
        let sizes = store.table_sizes().await.unwrap();
        let rows = |table: &str| sizes.iter().find(|(t, _)| *t == table).map(|(_, n)| *n);
        assert_eq!(
            (rows("users"), rows("access_tokens"), rows("refresh_tokens")),
            (Some(1), Some(1), Some(1)),
            "{sizes:?}"
        );
        let first = store.next_generated_localpart().await.unwrap();
        assert_eq!(store.next_generated_localpart().await.unwrap(), first + 1);

        store
            .insert_tokens(&pair("@a:hs", "c1", "a1", "r1"))
            .await
            .unwrap();
        let next = pair("@a:hs", "c1", "a2", "r2");
        assert_eq!(
            store.exchange_refresh_token("r1", &next).await.unwrap(),
            RefreshExchange::Exchanged
        );
        assert_eq!(
            store.access_token("a1").await.unwrap(),
            None,
            "the old access token dies"
        );
        assert!(store.access_token("a2").await.unwrap().is_some());
        let again = pair("@a:hs", "c1", "a3", "r3");
        assert_eq!(
            store.exchange_refresh_token("r1", &again).await.unwrap(),
            RefreshExchange::AlreadyUsed {
                chain_id: "c1".into()
            }
        );
        assert_eq!(
            store.exchange_refresh_token("nope", &again).await.unwrap(),
            RefreshExchange::Unknown
        );
        // A long chain keeps only its last used refresh token: the earlier ones are gone,
        // the last one still gives the reuse away.
        store
            .insert_tokens(&pair("@a:hs", "c3", "x0", "y0"))
            .await
            .unwrap();
        for i in 1..=5 {
            let next = pair("@a:hs", "c3", &format!("x{i}"), &format!("y{i}"));
            let used = format!("y{}", i - 1);
            assert_eq!(
                store.exchange_refresh_token(&used, &next).await.unwrap(),
                RefreshExchange::Exchanged
            );
        }
        for gone in ["y0", "y1", "y2", "y3"] {
            assert_eq!(
                store.refresh_token_owner(gone).await.unwrap(),
                None,
                "{gone}"
            );
        }
        assert_eq!(
            store
                .exchange_refresh_token("y4", &pair("@a:hs", "c3", "x9", "y9"))
                .await
                .unwrap(),
            RefreshExchange::AlreadyUsed {
                chain_id: "c3".into()
            }
        );
        store
            .insert_tokens(&pair("@a:hs", "c2", "b1", "s1"))
            .await
            .unwrap();
        store
            .change_password("@a:hs", "hash", Some("c2"))
            .await
            .unwrap();
        assert_eq!(store.access_token("a2").await.unwrap(), None);
        assert!(
            store.access_token("b1").await.unwrap().is_some(),
            "the kept chain survives"
        );
        assert_eq!(
            store
                .user("@a:hs")
                .await
                .unwrap()
                .unwrap()
                .password_hash
                .as_deref(),
            Some("hash")
        );

        let token = ExpiringToken {
            user_id: "@a:hs".into(),
            expires_at: 100,
        };
        store.insert_login_token("l1", &token).await.unwrap();
        assert_eq!(
            store.take_login_token("l1").await.unwrap(),
            Some(token.clone())
        );
        assert_eq!(
            store.take_login_token("l1").await.unwrap(),
            None,
            "used once"
        );

        for (id, created_at) in [("old", 10), ("new", 1000)] {
            let session = UiaSession {
                id: id.into(),
                endpoint: "register".into(),
                user_id: None,
                completed: Vec::new(),
                created_at,
            };
            store.insert_uia_session(&session).await.unwrap();
        }
        store
            .complete_uia_stage("new", "m.login.dummy")
            .await
            .unwrap();
        store
            .complete_uia_stage("new", "m.login.dummy")
            .await
            .unwrap();
        assert_eq!(
            store.uia_session("new").await.unwrap().unwrap().completed,
            ["m.login.dummy"]
        );
        store.insert_login_token("expired", &token).await.unwrap();
        store.insert_openid_token("expired", &token).await.unwrap();
        store.purge_expired(100, 500).await.unwrap();
        assert_eq!(store.uia_session("old").await.unwrap(), None);
        assert!(store.uia_session("new").await.unwrap().is_some());
        assert_eq!(store.take_login_token("expired").await.unwrap(), None);
        assert_eq!(store.openid_token("expired").await.unwrap(), None);
        assert!(store.delete_uia_session("new").await.unwrap());
        assert!(
            !store.delete_uia_session("new").await.unwrap(),
            "consumed once"
        );

        let threepid = ThirdPartyId {
            medium: "email".into(),
            address: "a@b.c".into(),
        };
        store.add_threepid("@a:hs", &threepid, 0).await.unwrap();
        store.add_threepid("@a:hs", &threepid, 0).await.unwrap();
        assert!(matches!(
            store.add_threepid("@b:hs", &threepid, 0).await,
            Err(StoreError::Conflict)
        ));

        let account = |expires_at| ExpiringToken {
            user_id: "@a:hs".into(),
            expires_at,
        };
        store
            .insert_account_token("k", &account(100))
            .await
            .unwrap();
        assert_eq!(store.account_token("k").await.unwrap(), Some(account(100)));
        store.delete_account_token("k").await.unwrap();
        assert_eq!(store.account_token("k").await.unwrap(), None);
        store
            .insert_account_token("old", &account(10))
            .await
            .unwrap();
        store
            .insert_account_token("new", &account(30))
            .await
            .unwrap();
        store.purge_account_tokens(20).await.unwrap();
        assert_eq!(store.account_token("old").await.unwrap(), None);
        assert_eq!(store.account_token("new").await.unwrap(), Some(account(30)));

        let seed = store.signing_key_seed([1; 32]).await.unwrap();
        assert_eq!(
            store.signing_key_seed([2; 32]).await.unwrap(),
            seed,
            "the first key stays"
        );
        let validation = ValidationSession {
            sid: "sid".into(),
            client_secret: "s".into(),
            medium: "email".into(),
            address: "a@b.c".into(),
            token_hash: "t".into(),
            send_attempt: 1,
            created_at: 10,
            validated_at: None,
        };
        store.insert_validation_session(&validation).await.unwrap();
        store.purge_validation_sessions(5).await.unwrap();
        assert!(store.validation_session("sid").await.unwrap().is_some());
        store.purge_validation_sessions(50).await.unwrap();
        assert_eq!(store.validation_session("sid").await.unwrap(), None);

        // Hashed lookups: no association before the pepper exists; the first pepper stays;
        // replacing it rehashes what is stored.
        let association = Association {
            medium: "email".into(),
            address: "a@b.c".into(),
            mxid: "@a:hs".into(),
            ts: 1,
            not_before: 1,
            not_after: 2,
        };
        assert!(store.put_association(&association).await.is_err());
        assert_eq!(store.current_lookup_pepper().await.unwrap(), None);
        assert_eq!(store.lookup_pepper("p1").await.unwrap(), "p1");
        assert_eq!(
            store.current_lookup_pepper().await.unwrap().as_deref(),
            Some("p1")
        );
        assert_eq!(store.lookup_pepper("p2").await.unwrap(), "p1");
        store.put_association(&association).await.unwrap();
        let by_hash = |pepper: &str| vec![lookup_hash("email", "a@b.c", pepper), "other".into()];
        assert_eq!(
            store
                .associations_by_lookup_hash(&by_hash("p1"))
                .await
                .unwrap(),
            vec![association.clone()]
        );
        store.replace_lookup_pepper("p3").await.unwrap();
        assert_eq!(store.lookup_pepper("p4").await.unwrap(), "p3");
        assert!(
            store
                .associations_by_lookup_hash(&by_hash("p1"))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store
                .associations_by_lookup_hash(&by_hash("p3"))
                .await
                .unwrap(),
            vec![association.clone()]
        );
        assert!(
            store
                .delete_association("email", "a@b.c", "@a:hs")
                .await
                .unwrap()
        );
        assert!(
            store
                .associations_by_lookup_hash(&by_hash("p3"))
                .await
                .unwrap()
                .is_empty()
        );

        // Terms: acceptances add up, once each.
        let urls = |list: &[&str]| list.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        store
            .accept_terms("@a:hs", &urls(&["u1", "u2"]))
            .await
            .unwrap();
        store
            .accept_terms("@a:hs", &urls(&["u2", "u3"]))
            .await
            .unwrap();
        let mut accepted = store.accepted_terms("@a:hs").await.unwrap();
        accepted.sort();
        assert_eq!(accepted, urls(&["u1", "u2", "u3"]));
        assert!(store.accepted_terms("@b:hs").await.unwrap().is_empty());

        // Invitations and their ephemeral keys, until delivered or purged.
        let invite = |token: &str, created_at| PendingInvite {
            token: token.into(),
            medium: "email".into(),
            address: "a@b.c".into(),
            room_id: "!r:hs".into(),
            sender: "@s:hs".into(),
            created_at,
        };
        store.insert_invite(&invite("t1", 10), "k1").await.unwrap();
        store.insert_invite(&invite("t2", 30), "k2").await.unwrap();
        assert_eq!(store.invite("t1").await.unwrap(), Some(invite("t1", 10)));
        assert_eq!(
            store.invites_for("email", "a@b.c").await.unwrap(),
            vec![invite("t1", 10), invite("t2", 30)]
        );
        assert!(store.ephemeral_key_exists("k1").await.unwrap());
        store.delete_invites(&urls(&["t1"])).await.unwrap();
        assert_eq!(store.invite("t1").await.unwrap(), None);
        assert!(
            store.ephemeral_key_exists("k1").await.unwrap(),
            "keys outlive delivery"
        );
        store.purge_invites(20).await.unwrap();
        assert!(!store.ephemeral_key_exists("k1").await.unwrap());
        assert!(store.ephemeral_key_exists("k2").await.unwrap());
        store.purge_invites(40).await.unwrap();
        assert_eq!(store.invites_for("email", "a@b.c").await.unwrap(), vec![]);
        assert!(!store.ephemeral_key_exists("k2").await.unwrap());
    }

    #[tokio::test]
    async fn memory_backend_primitives() {
        primitives(memory::MemoryStore::new()).await;
    }

    #[tokio::test]
    async fn cached_backend_primitives() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("store.db").display());
        primitives(cached::CachedStore::new(
            sql::SqlStore::open(&url).await.unwrap(),
        ))
        .await;
    }

    #[tokio::test]
    async fn sqlite_backend_primitives() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("store.db").display());
        primitives(sql::SqlStore::open(&url).await.unwrap()).await;
        // Opening again applies no migration twice.
        sql::SqlStore::open(&url).await.unwrap();
    }
}
