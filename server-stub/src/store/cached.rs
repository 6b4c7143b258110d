//! A read cache in front of a store: the lookups every authenticated request makes (access
//! tokens, identity-account tokens) and the 3pid list are answered from memory, and every
//! write through this wrapper that could change them invalidates them first. Synapse caches
//! its token lookups the same way.
//!
//! How the cache stays true to writes made elsewhere is the [`Coherence`]: none are made
//! for SQLite, which is this process's alone ([`ThisProcessOnly`]); PostgreSQL nodes tell
//! each other (`sql::cluster`).

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::Mutex;

use super::{
    AccessToken, Association, Census, ExpiringToken, HomeserverStore, IdentityStore, PendingInvite,
    RefreshExchange, StoreResult, ThirdPartyId, TokenPair, UiaSession, User, ValidationSession,
};

/// Entries kept per map before it starts over (a bound, not a policy: misses only cost a
/// query).
const MAX_ENTRIES: usize = 100_000;

/// A map behind a mutex that drops everything when it grows past its bound, with a
/// generation that every invalidation bumps. A reader notes the generation before it
/// queries the store and stores its answer only if no invalidation came in between: an
/// answer read before a write can never be cached after that write's invalidation.
#[derive(Debug)]
struct Cache<K, V>(Mutex<(HashMap<K, V>, u64)>);

impl<K: Eq + Hash, V: Clone> Cache<K, V> {
    fn new() -> Self {
        Cache(Mutex::new((HashMap::new(), 0)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<K, V>, u64)> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached value, or the generation to pass to `put` after reading the store.
    fn get(&self, key: &K) -> Result<V, u64> {
        let guard = self.lock();
        guard.0.get(key).cloned().ok_or(guard.1)
    }

    fn put(&self, generation: u64, key: K, value: V) {
        let mut guard = self.lock();
        if guard.1 != generation {
            return;
        }
        if guard.0.len() >= MAX_ENTRIES {
            guard.0.clear();
        }
        guard.0.insert(key, value);
    }

    /// Drops the entries `stale` picks; called after the write that made them stale.
    fn invalidate(&self, stale: impl Fn(&K, &V) -> bool) {
        let mut guard = self.lock();
        guard.1 += 1;
        guard.0.retain(|k, v| !stale(k, v));
    }

    /// Drops one entry, as `invalidate` does.
    fn remove<Q>(&self, key: &Q)
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let mut guard = self.lock();
        guard.1 += 1;
        guard.0.remove(key);
    }
}

/// What is cached, as the store answered it (only answers that found something are kept for
/// the token lookups). Shared with whatever tells this process of writes made elsewhere.
#[derive(Debug)]
pub struct Caches {
    access_tokens: Cache<String, Option<AccessToken>>,
    threepids: Cache<String, Vec<ThirdPartyId>>,
    account_tokens: Cache<String, Option<ExpiringToken>>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            access_tokens: Cache::new(),
            threepids: Cache::new(),
            account_tokens: Cache::new(),
        }
    }
}

impl Caches {
    /// Forgets the access token with this hash.
    pub fn forget_access_token(&self, token_hash: &str) {
        self.access_tokens.remove(token_hash);
    }

    /// Forgets a user's 3pid list.
    pub fn forget_threepids(&self, user_id: &str) {
        self.threepids.remove(user_id);
    }

    /// Forgets the identity-server account token with this hash.
    pub fn forget_account_token(&self, token_hash: &str) {
        self.account_tokens.remove(token_hash);
    }

    /// Forgets everything (also what is being read right now).
    pub fn forget_everything(&self) {
        self.access_tokens.invalidate(|_, _| true);
        self.threepids.invalidate(|_, _| true);
        self.account_tokens.invalidate(|_, _| true);
    }
}

/// How the cache learns of writes that other processes make to the store.
pub trait Coherence: Send + Sync + 'static {
    /// Whether cached answers may be given now; when not, every read goes to the store.
    fn cache_usable(&self) -> bool;

    /// Called after a write that made cached entries stale, once this process's cache has
    /// dropped them: returns when no other process can answer from a cache that still holds
    /// them.
    fn stale_elsewhere(&self) -> impl Future<Output = ()> + Send;
}

/// For a store no other process writes: this process's cache is the only one.
#[derive(Debug, Default)]
pub struct ThisProcessOnly;

impl Coherence for ThisProcessOnly {
    fn cache_usable(&self) -> bool {
        true
    }

    async fn stale_elsewhere(&self) {}
}

#[derive(Debug)]
pub struct CachedStore<S, C = ThisProcessOnly> {
    inner: S,
    caches: std::sync::Arc<Caches>,
    coherence: C,
}

impl<S> CachedStore<S> {
    /// A cache in front of a store only this process writes.
    pub fn new(inner: S) -> Self {
        CachedStore::coherent_by(inner, Default::default(), ThisProcessOnly)
    }
}

impl<S, C: Coherence> CachedStore<S, C> {
    /// A cache in front of a store that others write too, `coherence` telling it of their
    /// writes into `caches`.
    pub fn coherent_by(inner: S, caches: std::sync::Arc<Caches>, coherence: C) -> Self {
        CachedStore {
            inner,
            caches,
            coherence,
        }
    }

    /// Runs a write through to the store, then drops what it made stale, here and (through
    /// the coherence) everywhere. Every write of this wrapper goes through here and says what
    /// it invalidates, `Stale::Nothing` included, so none can forget (the coherence test below
    /// runs every write).
    async fn write<T>(
        &self,
        stale: Stale<'_>,
        write: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let result = write.await;
        let caches = &self.caches;
        match stale {
            Stale::Nothing => return result,
            Stale::Chain(chain_id) => caches
                .access_tokens
                .invalidate(|_, token| token.as_ref().is_some_and(|t| t.chain_id == chain_id)),
            Stale::OtherSessionsOf {
                user_id,
                keep_chain,
            } => caches.access_tokens.invalidate(|_, token| {
                token.as_ref().is_some_and(|t| {
                    t.user_id == user_id && Some(t.chain_id.as_str()) != keep_chain
                })
            }),
            Stale::Threepids(user_id) => caches.forget_threepids(user_id),
            Stale::AccountToken(token_hash) => caches.forget_account_token(token_hash),
            Stale::AccountTokensExpiredBy(now) => caches
                .account_tokens
                .invalidate(|_, token| token.as_ref().is_some_and(|t| t.expires_at <= now)),
        }
        // A failed write may have changed something all the same (a lost commit answer).
        self.coherence.stale_elsewhere().await;
        result
    }

    /// A cached read: the cached answer, or the store's, cached when `keep` says so.
    async fn read<V>(
        &self,
        cache: impl Fn(&Caches) -> &Cache<String, V>,
        key: &str,
        keep: impl Fn(&V) -> bool,
        read: impl Future<Output = StoreResult<V>>,
    ) -> StoreResult<V>
    where
        V: Clone,
    {
        if !self.coherence.cache_usable() {
            return read.await;
        }
        let cache = cache(&self.caches);
        let key = key.to_owned();
        let generation = match cache.get(&key) {
            Ok(value) => return Ok(value),
            Err(generation) => generation,
        };
        let value = read.await?;
        if keep(&value) {
            cache.put(generation, key, value.clone());
        }
        Ok(value)
    }
}

/// What a write makes stale in the cache. Only what exists is cached, so a write that
/// adds something stales nothing.
enum Stale<'a> {
    Nothing,
    /// The access tokens of a login session.
    Chain(&'a str),
    /// A user's access tokens but those of one session.
    OtherSessionsOf {
        user_id: &'a str,
        keep_chain: Option<&'a str>,
    },
    /// A user's 3pid list.
    Threepids(&'a str),
    /// An identity-server account token.
    AccountToken(&'a str),
    /// The identity-server account tokens expired by a time.
    AccountTokensExpiredBy(i64),
}

impl<S: HomeserverStore, C: Coherence> HomeserverStore for CachedStore<S, C> {
    async fn create_user(
        &self,
        user: &User,
        created_at: i64,
        first_login: &TokenPair,
    ) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner.create_user(user, created_at, first_login),
        )
        .await
    }

    async fn user(&self, user_id: &str) -> StoreResult<Option<User>> {
        self.inner.user(user_id).await
    }

    async fn next_generated_localpart(&self) -> StoreResult<u64> {
        self.write(Stale::Nothing, self.inner.next_generated_localpart())
            .await
    }

    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_chain: Option<&str>,
    ) -> StoreResult<()> {
        self.write(
            Stale::OtherSessionsOf {
                user_id,
                keep_chain,
            },
            self.inner
                .change_password(user_id, password_hash, keep_chain),
        )
        .await
    }

    async fn insert_tokens(&self, pair: &TokenPair) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.insert_tokens(pair))
            .await
    }

    async fn access_token(&self, access_hash: &str) -> StoreResult<Option<AccessToken>> {
        // Only what exists is cached: a token made later is simply a miss now.
        let read = self.inner.access_token(access_hash);
        self.read(|c| &c.access_tokens, access_hash, Option::is_some, read)
            .await
    }

    async fn exchange_refresh_token(
        &self,
        refresh_hash: &str,
        new: &TokenPair,
    ) -> StoreResult<RefreshExchange> {
        // The access token that dies is of the same chain as the new pair.
        let stale = Stale::Chain(&new.chain_id);
        self.write(stale, self.inner.exchange_refresh_token(refresh_hash, new))
            .await
    }

    async fn refresh_token_owner(
        &self,
        refresh_hash: &str,
    ) -> StoreResult<Option<(String, String)>> {
        self.inner.refresh_token_owner(refresh_hash).await
    }

    async fn revoke_chain(&self, chain_id: &str) -> StoreResult<()> {
        self.write(Stale::Chain(chain_id), self.inner.revoke_chain(chain_id))
            .await
    }

    async fn insert_uia_session(&self, session: &UiaSession) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.insert_uia_session(session))
            .await
    }

    async fn uia_session(&self, id: &str) -> StoreResult<Option<UiaSession>> {
        self.inner.uia_session(id).await
    }

    async fn complete_uia_stage(&self, id: &str, stage: &str) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.complete_uia_stage(id, stage))
            .await
    }

    async fn delete_uia_session(&self, id: &str) -> StoreResult<bool> {
        self.write(Stale::Nothing, self.inner.delete_uia_session(id))
            .await
    }

    async fn add_threepid(
        &self,
        user_id: &str,
        threepid: &ThirdPartyId,
        added_at: i64,
    ) -> StoreResult<()> {
        let write = self.inner.add_threepid(user_id, threepid, added_at);
        self.write(Stale::Threepids(user_id), write).await
    }

    async fn threepids(&self, user_id: &str) -> StoreResult<Vec<ThirdPartyId>> {
        let read = self.inner.threepids(user_id);
        self.read(|c| &c.threepids, user_id, |_| true, read).await
    }

    async fn user_by_threepid(&self, threepid: &ThirdPartyId) -> StoreResult<Option<String>> {
        self.inner.user_by_threepid(threepid).await
    }

    async fn insert_login_token(&self, token_hash: &str, token: &ExpiringToken) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner.insert_login_token(token_hash, token),
        )
        .await
    }

    async fn take_login_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        self.write(Stale::Nothing, self.inner.take_login_token(token_hash))
            .await
    }

    async fn insert_openid_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner.insert_openid_token(token_hash, token),
        )
        .await
    }

    async fn openid_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        self.inner.openid_token(token_hash).await
    }

    async fn purge_expired(&self, now: i64, sessions_before: i64) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner.purge_expired(now, sessions_before),
        )
        .await
    }
}

impl<S: Census, C: Coherence> Census for CachedStore<S, C> {
    /// The store's tables (the cache is bounded by itself).
    async fn table_sizes(&self) -> StoreResult<Vec<(&'static str, u64)>> {
        self.inner.table_sizes().await
    }
}

impl<S: IdentityStore, C: Coherence> IdentityStore for CachedStore<S, C> {
    async fn insert_validation_session(&self, session: &ValidationSession) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner.insert_validation_session(session),
        )
        .await
    }

    async fn validation_session(&self, sid: &str) -> StoreResult<Option<ValidationSession>> {
        self.inner.validation_session(sid).await
    }

    async fn validation_session_for(
        &self,
        client_secret: &str,
        medium: &str,
        address: &str,
    ) -> StoreResult<Option<ValidationSession>> {
        self.inner
            .validation_session_for(client_secret, medium, address)
            .await
    }

    async fn renew_validation_token(
        &self,
        sid: &str,
        token_hash: &str,
        send_attempt: i64,
    ) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner
                .renew_validation_token(sid, token_hash, send_attempt),
        )
        .await
    }

    async fn mark_validated(&self, sid: &str, validated_at: i64) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.mark_validated(sid, validated_at))
            .await
    }

    async fn put_association(&self, association: &Association) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.put_association(association))
            .await
    }

    async fn association(&self, medium: &str, address: &str) -> StoreResult<Option<Association>> {
        self.inner.association(medium, address).await
    }

    async fn delete_association(
        &self,
        medium: &str,
        address: &str,
        mxid: &str,
    ) -> StoreResult<bool> {
        self.write(
            Stale::Nothing,
            self.inner.delete_association(medium, address, mxid),
        )
        .await
    }

    async fn insert_account_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner.insert_account_token(token_hash, token),
        )
        .await
    }

    async fn account_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        let read = self.inner.account_token(token_hash);
        self.read(|c| &c.account_tokens, token_hash, Option::is_some, read)
            .await
    }

    async fn delete_account_token(&self, token_hash: &str) -> StoreResult<()> {
        let write = self.inner.delete_account_token(token_hash);
        self.write(Stale::AccountToken(token_hash), write).await
    }

    async fn signing_key_seed(&self, candidate: [u8; 32]) -> StoreResult<[u8; 32]> {
        self.write(Stale::Nothing, self.inner.signing_key_seed(candidate))
            .await
    }

    async fn purge_validation_sessions(&self, before: i64) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.purge_validation_sessions(before))
            .await
    }

    async fn purge_account_tokens(&self, now: i64) -> StoreResult<()> {
        let stale = Stale::AccountTokensExpiredBy(now);
        self.write(stale, self.inner.purge_account_tokens(now))
            .await
    }

    // Lookups, terms and invitations are not cached: every call reads the store.

    async fn associations_by_lookup_hash(
        &self,
        hashes: &[String],
    ) -> StoreResult<Vec<Association>> {
        self.inner.associations_by_lookup_hash(hashes).await
    }

    async fn lookup_pepper(&self, candidate: &str) -> StoreResult<String> {
        self.inner.lookup_pepper(candidate).await
    }

    async fn current_lookup_pepper(&self) -> StoreResult<Option<String>> {
        self.inner.current_lookup_pepper().await
    }

    async fn replace_lookup_pepper(&self, pepper: &str) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.replace_lookup_pepper(pepper))
            .await
    }

    async fn accepted_terms(&self, user_id: &str) -> StoreResult<Vec<String>> {
        self.inner.accepted_terms(user_id).await
    }

    async fn accept_terms(&self, user_id: &str, urls: &[String]) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.accept_terms(user_id, urls))
            .await
    }

    async fn insert_invite(
        &self,
        invite: &PendingInvite,
        ephemeral_public_key: &str,
    ) -> StoreResult<()> {
        self.write(
            Stale::Nothing,
            self.inner.insert_invite(invite, ephemeral_public_key),
        )
        .await
    }

    async fn invite(&self, token: &str) -> StoreResult<Option<PendingInvite>> {
        self.inner.invite(token).await
    }

    async fn invites_for(&self, medium: &str, address: &str) -> StoreResult<Vec<PendingInvite>> {
        self.inner.invites_for(medium, address).await
    }

    async fn delete_invites(&self, tokens: &[String]) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.delete_invites(tokens))
            .await
    }

    async fn ephemeral_key_exists(&self, public_key: &str) -> StoreResult<bool> {
        self.inner.ephemeral_key_exists(public_key).await
    }

    async fn purge_invites(&self, before: i64) -> StoreResult<()> {
        self.write(Stale::Nothing, self.inner.purge_invites(before))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemoryStore;
    use crate::store::tests::pair;

    const ACCESS: [&str; 4] = ["a1", "a2", "b1", "new"];
    const USERS: [&str; 2] = ["@a:hs", "@b:hs"];
    const ACCOUNT_TOKENS: [&str; 2] = ["t1", "t2"];

    fn threepid(address: &str) -> ThirdPartyId {
        ThirdPartyId {
            medium: "email".into(),
            address: address.into(),
        }
    }

    /// Fills every cache with what the store holds.
    async fn warm(store: &CachedStore<MemoryStore>) {
        for hash in ACCESS {
            store.access_token(hash).await.unwrap();
        }
        for user in USERS {
            store.threepids(user).await.unwrap();
        }
        for token in ACCOUNT_TOKENS {
            store.account_token(token).await.unwrap();
        }
    }

    /// Every cached lookup answers what the store behind it answers.
    async fn assert_coherent(store: &CachedStore<MemoryStore>, after: &str) {
        for hash in ACCESS {
            assert_eq!(
                store.access_token(hash).await.unwrap(),
                store.inner.access_token(hash).await.unwrap(),
                "access token {hash} after {after}"
            );
        }
        for user in USERS {
            assert_eq!(
                store.threepids(user).await.unwrap(),
                store.inner.threepids(user).await.unwrap(),
                "3pids of {user} after {after}"
            );
        }
        for token in ACCOUNT_TOKENS {
            assert_eq!(
                store.account_token(token).await.unwrap(),
                store.inner.account_token(token).await.unwrap(),
                "account token {token} after {after}"
            );
        }
    }

    /// Warms the caches, runs one write, checks the caches against the store.
    macro_rules! check {
        ($store:ident, $($write:tt)*) => {{
            warm(&$store).await;
            let _ = $store.$($write)*.await;
            assert_coherent(&$store, stringify!($($write)*)).await;
        }};
    }

    /// Every write of both store traits, each once, in an order that gives each something
    /// to change: one that forgets to invalidate fails here.
    #[tokio::test]
    async fn every_write_leaves_the_cache_agreeing_with_the_store() {
        let store = CachedStore::new(MemoryStore::new());
        let user = |id: &str| User {
            user_id: id.into(),
            password_hash: None,
            is_guest: false,
        };
        check!(
            store,
            create_user(&user("@a:hs"), 0, &pair("@a:hs", "ca", "a1", "ra1"))
        );
        check!(
            store,
            create_user(&user("@b:hs"), 0, &pair("@b:hs", "cb", "b1", "rb1"))
        );
        check!(store, insert_tokens(&pair("@a:hs", "ca2", "a2", "ra2")));
        check!(store, next_generated_localpart());
        check!(
            store,
            exchange_refresh_token("ra1", &pair("@a:hs", "ca", "new", "ra3"))
        );
        check!(store, change_password("@a:hs", "hash", Some("ca")));
        check!(store, revoke_chain("ca"));
        check!(store, add_threepid("@a:hs", &threepid("a@x"), 0));
        check!(
            store,
            insert_uia_session(&UiaSession {
                id: "s".into(),
                endpoint: "register".into(),
                user_id: None,
                completed: Vec::new(),
                created_at: 0,
            })
        );
        check!(store, complete_uia_stage("s", "m.login.dummy"));
        check!(store, delete_uia_session("s"));
        let token = ExpiringToken {
            user_id: "@a:hs".into(),
            expires_at: 1,
        };
        check!(store, insert_login_token("l", &token));
        check!(store, take_login_token("l"));
        check!(store, insert_openid_token("o", &token));
        check!(store, purge_expired(10, 10));
        let account = |expires_at| ExpiringToken {
            user_id: "@b:hs".into(),
            expires_at,
        };
        check!(store, insert_account_token("t1", &token));
        check!(store, insert_account_token("t2", &account(5)));
        check!(store, insert_account_token("t3", &account(50)));
        check!(store, delete_account_token("t1"));
        check!(
            store,
            insert_validation_session(&ValidationSession {
                sid: "v".into(),
                client_secret: "secret".into(),
                medium: "email".into(),
                address: "a@x".into(),
                token_hash: "h".into(),
                send_attempt: 1,
                created_at: 0,
                validated_at: None,
            })
        );
        check!(store, renew_validation_token("v", "h2", 2));
        check!(store, mark_validated("v", 5));
        check!(
            store,
            put_association(&Association {
                medium: "email".into(),
                address: "a@x".into(),
                mxid: "@a:hs".into(),
                ts: 0,
                not_before: 0,
                not_after: 1,
            })
        );
        check!(store, delete_association("email", "a@x", "@a:hs"));
        check!(store, signing_key_seed([7; 32]));
        check!(store, purge_validation_sessions(10));
        check!(store, purge_account_tokens(10));
    }
}
