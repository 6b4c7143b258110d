//! A read cache in front of a store that this process alone writes (SQLite): the lookups
//! every authenticated request makes (access tokens, identity-account tokens) and the
//! 3pid list are answered from memory, and every write through this wrapper that could
//! change them invalidates them first. Synapse caches its token lookups the same way.
//!
//! Not for a database that other processes write (PostgreSQL with several nodes): a token
//! revoked by another node would stay valid here.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use super::{
    AccessToken, Association, ExpiringToken, HomeserverStore, IdentityStore, RefreshExchange,
    StoreResult, ThirdPartyId, TokenPair, UiaSession, User, ValidationSession,
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
}

#[derive(Debug)]
pub struct CachedStore<S> {
    inner: S,
    access_tokens: Cache<String, AccessToken>,
    threepids: Cache<String, Vec<ThirdPartyId>>,
    account_tokens: Cache<String, ExpiringToken>,
}

impl<S> CachedStore<S> {
    pub fn new(inner: S) -> Self {
        CachedStore {
            inner,
            access_tokens: Cache::new(),
            threepids: Cache::new(),
            account_tokens: Cache::new(),
        }
    }

    /// Runs a write through to the store, then drops what it made stale. Every write of
    /// this wrapper goes through here and says what it invalidates, `Stale::Nothing`
    /// included, so none can forget (the coherence test below runs every write).
    async fn write<T>(
        &self,
        stale: Stale<'_>,
        write: impl std::future::Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        let result = write.await;
        match stale {
            Stale::Nothing => {}
            Stale::Chain(chain_id) => self
                .access_tokens
                .invalidate(|_, token| token.chain_id == chain_id),
            Stale::OtherSessionsOf {
                user_id,
                keep_chain,
            } => self.access_tokens.invalidate(|_, token| {
                token.user_id == user_id && Some(token.chain_id.as_str()) != keep_chain
            }),
            Stale::Threepids(user_id) => self.threepids.invalidate(|owner, _| owner == user_id),
            Stale::AccountToken(token_hash) => {
                self.account_tokens.invalidate(|hash, _| hash == token_hash)
            }
            Stale::AccountTokensExpiredBy(now) => self
                .account_tokens
                .invalidate(|_, token| token.expires_at <= now),
        }
        result
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

impl<S: HomeserverStore> HomeserverStore for CachedStore<S> {
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
        let key = access_hash.to_owned();
        let generation = match self.access_tokens.get(&key) {
            Ok(token) => return Ok(Some(token)),
            Err(generation) => generation,
        };
        let token = self.inner.access_token(access_hash).await?;
        // Only what exists is cached: a token made later is simply a miss now.
        if let Some(token) = &token {
            self.access_tokens.put(generation, key, token.clone());
        }
        Ok(token)
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
        let key = user_id.to_owned();
        let generation = match self.threepids.get(&key) {
            Ok(threepids) => return Ok(threepids),
            Err(generation) => generation,
        };
        let threepids = self.inner.threepids(user_id).await?;
        self.threepids.put(generation, key, threepids.clone());
        Ok(threepids)
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

impl<S: IdentityStore> IdentityStore for CachedStore<S> {
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
        let key = token_hash.to_owned();
        let generation = match self.account_tokens.get(&key) {
            Ok(token) => return Ok(Some(token)),
            Err(generation) => generation,
        };
        let token = self.inner.account_token(token_hash).await?;
        if let Some(token) = &token {
            self.account_tokens.put(generation, key, token.clone());
        }
        Ok(token)
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
