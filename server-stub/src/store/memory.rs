//! The in-memory backend: everything in one mutex-guarded state, so every operation is
//! atomic. Gone when the process ends.
//!
//! Tokens, the rows that come and go by the hundred thousand, are kept without heap
//! allocations of their own: each is one entry, hash and all, in its map's table, naming its
//! user and session by a shared `Arc<str>`. Small allocations made while a burst of tokens
//! has grown the allocator's arenas would each pin a page after the burst is purged (a soak
//! run showed 90% of the arenas free and most of them still resident); a few large tables,
//! shrunk after a purge, give the memory back.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::{
    AccessToken, Association, Census, ExpiringToken, HomeserverStore, IdentityStore, PendingInvite,
    RefreshExchange, StoreError, StoreResult, ThirdPartyId, TokenPair, UiaSession, User,
    ValidationSession, lookup_hash, no_pepper,
};

/// What a token is kept under: the SHA-256 of the hash the caller gives (itself a hash,
/// `secrets::token_hash`), held inline; fixed in size whatever the caller passes.
type TokenKey = [u8; 32];

fn token_key(hash: &str) -> TokenKey {
    Sha256::digest(hash.as_bytes()).into()
}

#[derive(Debug)]
struct StoredAccess {
    user_id: Arc<str>,
    chain_id: Arc<str>,
    expires_at: Option<i64>,
}

#[derive(Debug)]
struct StoredRefresh {
    user_id: Arc<str>,
    chain_id: Arc<str>,
    access_key: TokenKey,
    used: bool,
}

/// A login, OpenID or identity-account token.
#[derive(Debug)]
struct StoredExpiring {
    user_id: Arc<str>,
    expires_at: i64,
}

impl StoredExpiring {
    fn to_token(&self) -> ExpiringToken {
        ExpiringToken {
            user_id: self.user_id.to_string(),
            expires_at: self.expires_at,
        }
    }
}

/// Keeps the entries `keep` says, and gives back a table that is mostly empty, so a purged
/// burst does not stay allocated; a quarter full keeps its room, so a steady load does not
/// grow and shrink its tables at every purge.
fn retain_and_shrink<K: Eq + std::hash::Hash, V>(
    map: &mut HashMap<K, V>,
    keep: impl FnMut(&K, &mut V) -> bool,
) {
    map.retain(keep);
    if map.len() < map.capacity() / 4 {
        map.shrink_to_fit();
    }
}

/// Login, OpenID or identity-account tokens, by their key.
type ExpiringTable = HashMap<TokenKey, StoredExpiring>;

#[derive(Debug, Default)]
struct State {
    users: BTreeMap<Arc<str>, User>,
    next_localpart: u64,
    access_tokens: HashMap<TokenKey, StoredAccess>,
    refresh_tokens: HashMap<TokenKey, StoredRefresh>,
    /// Chain → its last used refresh token, the only used one kept (see
    /// `HomeserverStore::exchange_refresh_token`).
    last_used: HashMap<Arc<str>, TokenKey>,
    uia_sessions: BTreeMap<String, UiaSession>,
    /// (medium, address) → user id.
    threepids: BTreeMap<(String, String), String>,
    login_tokens: ExpiringTable,
    openid_tokens: ExpiringTable,
    validation_sessions: BTreeMap<String, ValidationSession>,
    associations: BTreeMap<(String, String), Association>,
    /// Each association's lookup hash under `lookup_pepper` → its (medium, address).
    lookup_hashes: HashMap<String, (String, String)>,
    lookup_pepper: Option<String>,
    /// User id → the terms URLs they accepted.
    accepted_terms: HashMap<String, BTreeSet<String>>,
    invites: BTreeMap<String, PendingInvite>,
    /// Ephemeral public key → when it was made.
    ephemeral_keys: HashMap<String, i64>,
    account_tokens: ExpiringTable,
    signing_key_seed: Option<[u8; 32]>,
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> StoreResult<T> {
        let mut state = self
            .state
            .lock()
            .map_err(|_| StoreError::Backend("a thread panicked while holding the store".into()))?;
        Ok(f(&mut state))
    }

    /// Stores an expiring token (login, OpenID, identity account) in the table `table`
    /// picks.
    fn insert_expiring(
        &self,
        table: fn(&mut State) -> &mut ExpiringTable,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        let key = token_key(token_hash);
        self.with(|s| {
            let token = s.expiring(token);
            table(s).insert(key, token);
        })
    }

    /// The expiring token stored under `token_hash` in the table `table` picks.
    fn expiring_token(
        &self,
        table: fn(&mut State) -> &mut ExpiringTable,
        token_hash: &str,
    ) -> StoreResult<Option<ExpiringToken>> {
        let key = token_key(token_hash);
        self.with(|s| table(s).get(&key).map(StoredExpiring::to_token))
    }
}

impl State {
    /// The user's id as the `Arc` the users map holds, so every token of a user shares it.
    fn user_ref(&self, user_id: &str) -> Arc<str> {
        self.users
            .get_key_value(user_id)
            .map_or_else(|| Arc::from(user_id), |(id, _)| Arc::clone(id))
    }

    fn expiring(&self, token: &ExpiringToken) -> StoredExpiring {
        StoredExpiring {
            user_id: self.user_ref(&token.user_id),
            expires_at: token.expires_at,
        }
    }

    /// Stores a token pair of the session `chain_id` (which is `pair.chain_id`, shared).
    fn insert_pair(&mut self, pair: &TokenPair, chain_id: Arc<str>) {
        let access_key = token_key(&pair.access_hash);
        let refresh_key = pair.refresh_hash.as_deref().map(token_key);
        let user_id = self.user_ref(&pair.user_id);
        if let Some(refresh_key) = refresh_key {
            self.refresh_tokens.insert(
                refresh_key,
                StoredRefresh {
                    user_id: Arc::clone(&user_id),
                    chain_id: Arc::clone(&chain_id),
                    access_key,
                    used: false,
                },
            );
        }
        self.access_tokens.insert(
            access_key,
            StoredAccess {
                user_id,
                chain_id,
                expires_at: pair.access_expires_at,
            },
        );
    }

    fn revoke(&mut self, keep: impl Fn(&str, &str) -> bool) {
        retain_and_shrink(&mut self.access_tokens, |_, t| {
            keep(&t.user_id, &t.chain_id)
        });
        retain_and_shrink(&mut self.refresh_tokens, |_, t| {
            keep(&t.user_id, &t.chain_id)
        });
        let refresh_tokens = &self.refresh_tokens;
        retain_and_shrink(&mut self.last_used, |_, key| {
            refresh_tokens.contains_key(key)
        });
    }
}

impl HomeserverStore for MemoryStore {
    async fn create_user(
        &self,
        user: &User,
        _created_at: i64,
        first_login: &TokenPair,
    ) -> StoreResult<()> {
        self.with(|s| {
            if s.users.contains_key(user.user_id.as_str()) {
                return Err(StoreError::Conflict);
            }
            s.users
                .insert(Arc::from(user.user_id.as_str()), user.clone());
            s.insert_pair(first_login, Arc::from(first_login.chain_id.as_str()));
            Ok(())
        })?
    }

    async fn user(&self, user_id: &str) -> StoreResult<Option<User>> {
        self.with(|s| s.users.get(user_id).cloned())
    }

    async fn next_generated_localpart(&self) -> StoreResult<u64> {
        self.with(|s| {
            s.next_localpart += 1;
            s.next_localpart
        })
    }

    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_chain: Option<&str>,
    ) -> StoreResult<()> {
        self.with(|s| {
            if let Some(user) = s.users.get_mut(user_id) {
                user.password_hash = Some(password_hash.to_owned());
            }
            s.revoke(|user, chain| user != user_id || Some(chain) == keep_chain);
        })
    }

    async fn insert_tokens(&self, pair: &TokenPair) -> StoreResult<()> {
        self.with(|s| s.insert_pair(pair, Arc::from(pair.chain_id.as_str())))
    }

    async fn access_token(&self, access_hash: &str) -> StoreResult<Option<AccessToken>> {
        let key = token_key(access_hash);
        self.with(|s| {
            s.access_tokens.get(&key).map(|t| AccessToken {
                user_id: t.user_id.to_string(),
                chain_id: t.chain_id.to_string(),
                expires_at: t.expires_at,
            })
        })
    }

    async fn exchange_refresh_token(
        &self,
        refresh_hash: &str,
        new: &TokenPair,
    ) -> StoreResult<RefreshExchange> {
        let key = token_key(refresh_hash);
        self.with(|s| {
            let Some(token) = s.refresh_tokens.get_mut(&key) else {
                return RefreshExchange::Unknown;
            };
            if token.used {
                return RefreshExchange::AlreadyUsed {
                    chain_id: token.chain_id.to_string(),
                };
            }
            token.used = true;
            let old_access = token.access_key;
            let chain_id = Arc::clone(&token.chain_id);
            s.access_tokens.remove(&old_access);
            if let Some(previous) = s.last_used.insert(Arc::clone(&chain_id), key) {
                s.refresh_tokens.remove(&previous);
            }
            // The new pair is in the same session: it shares the chain's `Arc`.
            s.insert_pair(new, chain_id);
            RefreshExchange::Exchanged
        })
    }

    async fn refresh_token_owner(
        &self,
        refresh_hash: &str,
    ) -> StoreResult<Option<(String, String)>> {
        let key = token_key(refresh_hash);
        self.with(|s| {
            s.refresh_tokens
                .get(&key)
                .map(|t| (t.user_id.to_string(), t.chain_id.to_string()))
        })
    }

    async fn revoke_chain(&self, chain_id: &str) -> StoreResult<()> {
        self.with(|s| s.revoke(|_, chain| chain != chain_id))
    }

    async fn insert_uia_session(&self, session: &UiaSession) -> StoreResult<()> {
        self.with(|s| {
            s.uia_sessions.insert(session.id.clone(), session.clone());
        })
    }

    async fn uia_session(&self, id: &str) -> StoreResult<Option<UiaSession>> {
        self.with(|s| s.uia_sessions.get(id).cloned())
    }

    async fn complete_uia_stage(&self, id: &str, stage: &str) -> StoreResult<()> {
        self.with(|s| {
            if let Some(session) = s.uia_sessions.get_mut(id)
                && !session.completed.iter().any(|c| c == stage)
            {
                session.completed.push(stage.to_owned());
            }
        })
    }

    async fn delete_uia_session(&self, id: &str) -> StoreResult<bool> {
        self.with(|s| s.uia_sessions.remove(id).is_some())
    }

    async fn add_threepid(
        &self,
        user_id: &str,
        threepid: &ThirdPartyId,
        _added_at: i64,
    ) -> StoreResult<()> {
        self.with(|s| {
            let key = (threepid.medium.clone(), threepid.address.clone());
            match s.threepids.get(&key) {
                Some(owner) if owner != user_id => Err(StoreError::Conflict),
                _ => {
                    s.threepids.insert(key, user_id.to_owned());
                    Ok(())
                }
            }
        })?
    }

    async fn threepids(&self, user_id: &str) -> StoreResult<Vec<ThirdPartyId>> {
        self.with(|s| {
            s.threepids
                .iter()
                .filter(|(_, owner)| *owner == user_id)
                .map(|((medium, address), _)| ThirdPartyId {
                    medium: medium.clone(),
                    address: address.clone(),
                })
                .collect()
        })
    }

    async fn user_by_threepid(&self, threepid: &ThirdPartyId) -> StoreResult<Option<String>> {
        self.with(|s| {
            s.threepids
                .get(&(threepid.medium.clone(), threepid.address.clone()))
                .cloned()
        })
    }

    async fn insert_login_token(&self, token_hash: &str, token: &ExpiringToken) -> StoreResult<()> {
        self.insert_expiring(|s| &mut s.login_tokens, token_hash, token)
    }

    async fn take_login_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        let key = token_key(token_hash);
        self.with(|s| s.login_tokens.remove(&key).map(|t| t.to_token()))
    }

    async fn insert_openid_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        self.insert_expiring(|s| &mut s.openid_tokens, token_hash, token)
    }

    async fn openid_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        self.expiring_token(|s| &mut s.openid_tokens, token_hash)
    }

    async fn purge_expired(&self, now: i64, sessions_before: i64) -> StoreResult<()> {
        self.with(|s| {
            s.uia_sessions
                .retain(|_, session| session.created_at >= sessions_before);
            retain_and_shrink(&mut s.login_tokens, |_, token| token.expires_at > now);
            retain_and_shrink(&mut s.openid_tokens, |_, token| token.expires_at > now);
        })
    }
}

impl Census for MemoryStore {
    async fn table_sizes(&self) -> StoreResult<Vec<(&'static str, u64)>> {
        self.with(|s| {
            let sizes = [
                ("users", s.users.len()),
                ("access_tokens", s.access_tokens.len()),
                ("refresh_tokens", s.refresh_tokens.len()),
                ("used_refresh_tokens", s.last_used.len()),
                ("uia_sessions", s.uia_sessions.len()),
                ("threepids", s.threepids.len()),
                ("login_tokens", s.login_tokens.len()),
                ("openid_tokens", s.openid_tokens.len()),
                ("validation_sessions", s.validation_sessions.len()),
                ("associations", s.associations.len()),
                ("account_tokens", s.account_tokens.len()),
                (
                    "accepted_terms",
                    s.accepted_terms.values().map(BTreeSet::len).sum(),
                ),
                ("invites", s.invites.len()),
                ("ephemeral_keys", s.ephemeral_keys.len()),
            ];
            sizes.into_iter().map(|(t, n)| (t, n as u64)).collect()
        })
    }
}

impl IdentityStore for MemoryStore {
    async fn insert_validation_session(&self, session: &ValidationSession) -> StoreResult<()> {
        self.with(|s| {
            s.validation_sessions
                .insert(session.sid.clone(), session.clone());
        })
    }

    async fn validation_session(&self, sid: &str) -> StoreResult<Option<ValidationSession>> {
        self.with(|s| s.validation_sessions.get(sid).cloned())
    }

    async fn validation_session_for(
        &self,
        client_secret: &str,
        medium: &str,
        address: &str,
    ) -> StoreResult<Option<ValidationSession>> {
        self.with(|s| {
            s.validation_sessions
                .values()
                .find(|v| {
                    v.client_secret == client_secret && v.medium == medium && v.address == address
                })
                .cloned()
        })
    }

    async fn renew_validation_token(
        &self,
        sid: &str,
        token_hash: &str,
        send_attempt: i64,
    ) -> StoreResult<()> {
        self.with(|s| {
            if let Some(session) = s.validation_sessions.get_mut(sid) {
                session.token_hash = token_hash.to_owned();
                session.send_attempt = send_attempt;
            }
        })
    }

    async fn mark_validated(&self, sid: &str, validated_at: i64) -> StoreResult<()> {
        self.with(|s| {
            if let Some(session) = s.validation_sessions.get_mut(sid)
                && session.validated_at.is_none()
            {
                session.validated_at = Some(validated_at);
            }
        })
    }

    async fn put_association(&self, association: &Association) -> StoreResult<()> {
        self.with(|s| {
            let pepper = s.lookup_pepper.clone().ok_or_else(no_pepper)?;
            let key = (association.medium.clone(), association.address.clone());
            let hash = lookup_hash(&key.0, &key.1, &pepper);
            s.lookup_hashes.insert(hash, key.clone());
            s.associations.insert(key, association.clone());
            Ok(())
        })?
    }

    async fn associations_by_lookup_hash(
        &self,
        hashes: &[String],
    ) -> StoreResult<Vec<Association>> {
        self.with(|s| {
            hashes
                .iter()
                .filter_map(|hash| s.lookup_hashes.get(hash))
                .filter_map(|key| s.associations.get(key).cloned())
                .collect()
        })
    }

    async fn lookup_pepper(&self, candidate: &str) -> StoreResult<String> {
        self.with(|s| {
            s.lookup_pepper
                .get_or_insert_with(|| candidate.to_owned())
                .clone()
        })
    }

    async fn current_lookup_pepper(&self) -> StoreResult<Option<String>> {
        self.with(|s| s.lookup_pepper.clone())
    }

    async fn replace_lookup_pepper(&self, pepper: &str) -> StoreResult<()> {
        self.with(|s| {
            s.lookup_pepper = Some(pepper.to_owned());
            s.lookup_hashes = s
                .associations
                .keys()
                .map(|key| (lookup_hash(&key.0, &key.1, pepper), key.clone()))
                .collect();
        })
    }

    async fn accepted_terms(&self, user_id: &str) -> StoreResult<Vec<String>> {
        self.with(|s| {
            s.accepted_terms
                .get(user_id)
                .map(|urls| urls.iter().cloned().collect())
                .unwrap_or_default()
        })
    }

    async fn accept_terms(&self, user_id: &str, urls: &[String]) -> StoreResult<()> {
        self.with(|s| {
            s.accepted_terms
                .entry(user_id.to_owned())
                .or_default()
                .extend(urls.iter().cloned())
        })
    }

    async fn insert_invite(
        &self,
        invite: &PendingInvite,
        ephemeral_public_key: &str,
    ) -> StoreResult<()> {
        self.with(|s| {
            s.invites.insert(invite.token.clone(), invite.clone());
            s.ephemeral_keys
                .insert(ephemeral_public_key.to_owned(), invite.created_at);
        })
    }

    async fn invite(&self, token: &str) -> StoreResult<Option<PendingInvite>> {
        self.with(|s| s.invites.get(token).cloned())
    }

    async fn invites_for(&self, medium: &str, address: &str) -> StoreResult<Vec<PendingInvite>> {
        self.with(|s| {
            let mut invites: Vec<_> = s
                .invites
                .values()
                .filter(|invite| invite.medium == medium && invite.address == address)
                .cloned()
                .collect();
            invites.sort_by_key(|invite| invite.created_at);
            invites
        })
    }

    async fn delete_invites(&self, tokens: &[String]) -> StoreResult<()> {
        self.with(|s| {
            for token in tokens {
                s.invites.remove(token);
            }
        })
    }

    async fn ephemeral_key_exists(&self, public_key: &str) -> StoreResult<bool> {
        self.with(|s| s.ephemeral_keys.contains_key(public_key))
    }

    async fn purge_invites(&self, before: i64) -> StoreResult<()> {
        self.with(|s| {
            s.invites.retain(|_, invite| invite.created_at >= before);
            s.ephemeral_keys
                .retain(|_, created_at| *created_at >= before);
            s.ephemeral_keys.shrink_to_fit();
        })
    }

    async fn association(&self, medium: &str, address: &str) -> StoreResult<Option<Association>> {
        self.with(|s| {
            s.associations
                .get(&(medium.to_owned(), address.to_owned()))
                .cloned()
        })
    }

    async fn delete_association(
        &self,
        medium: &str,
        address: &str,
        mxid: &str,
    ) -> StoreResult<bool> {
        self.with(|s| {
            let key = (medium.to_owned(), address.to_owned());
            let matches = s.associations.get(&key).is_some_and(|a| a.mxid == mxid);
            if matches {
                s.associations.remove(&key);
                if let Some(pepper) = &s.lookup_pepper {
                    s.lookup_hashes.remove(&lookup_hash(&key.0, &key.1, pepper));
                }
            }
            matches
        })
    }

    async fn insert_account_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        self.insert_expiring(|s| &mut s.account_tokens, token_hash, token)
    }

    async fn account_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        self.expiring_token(|s| &mut s.account_tokens, token_hash)
    }

    async fn delete_account_token(&self, token_hash: &str) -> StoreResult<()> {
        let key = token_key(token_hash);
        self.with(|s| {
            s.account_tokens.remove(&key);
        })
    }

    async fn signing_key_seed(&self, candidate: [u8; 32]) -> StoreResult<[u8; 32]> {
        self.with(|s| *s.signing_key_seed.get_or_insert(candidate))
    }

    async fn purge_validation_sessions(&self, before: i64) -> StoreResult<()> {
        self.with(|s| {
            s.validation_sessions
                .retain(|_, session| session.created_at >= before)
        })
    }

    async fn purge_account_tokens(&self, now: i64) -> StoreResult<()> {
        self.with(|s| retain_and_shrink(&mut s.account_tokens, |_, token| token.expires_at > now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_purged_burst_of_tokens_gives_its_table_back() {
        let store = MemoryStore::new();
        for i in 0..10_000 {
            let token = ExpiringToken {
                user_id: "@a:hs".into(),
                expires_at: 1 + i % 2,
            };
            store
                .insert_openid_token(&format!("openid{i}"), &token)
                .await
                .unwrap();
        }
        let burst = store.with(|s| s.openid_tokens.capacity()).unwrap();
        store.purge_expired(1, 0).await.unwrap();
        let (left, capacity) = store
            .with(|s| (s.openid_tokens.len(), s.openid_tokens.capacity()))
            .unwrap();
        assert_eq!(left, 5_000, "the tokens that expire at 1 or later stay");
        assert!(
            capacity > burst / 2,
            "half full, the table keeps its room: {capacity} of {burst}"
        );
        assert!(store.openid_token("openid1").await.unwrap().is_some());

        store.purge_expired(2, 0).await.unwrap();
        let capacity = store.with(|s| s.openid_tokens.capacity()).unwrap();
        assert!(capacity < burst / 100, "{capacity} of {burst} slots kept");
        assert_eq!(store.openid_token("openid1").await.unwrap(), None, "purged");
    }
}
