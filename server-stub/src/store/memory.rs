//! The in-memory backend: everything in one mutex-guarded state, so every operation is
//! atomic. Gone when the process ends.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::{
    AccessToken, Association, Census, ExpiringToken, HomeserverStore, IdentityStore,
    RefreshExchange, StoreError, StoreResult, ThirdPartyId, TokenPair, UiaSession, User,
    ValidationSession,
};

#[derive(Debug, Default)]
struct RefreshToken {
    user_id: String,
    chain_id: String,
    access_hash: String,
    used: bool,
}

#[derive(Debug, Default)]
struct State {
    users: BTreeMap<String, User>,
    next_localpart: u64,
    access_tokens: BTreeMap<String, AccessToken>,
    refresh_tokens: BTreeMap<String, RefreshToken>,
    /// Chain → its last used refresh token, the only used one kept (see
    /// `HomeserverStore::exchange_refresh_token`).
    last_used: BTreeMap<String, String>,
    uia_sessions: BTreeMap<String, UiaSession>,
    /// (medium, address) → user id.
    threepids: BTreeMap<(String, String), String>,
    login_tokens: BTreeMap<String, ExpiringToken>,
    openid_tokens: BTreeMap<String, ExpiringToken>,
    validation_sessions: BTreeMap<String, ValidationSession>,
    associations: BTreeMap<(String, String), Association>,
    account_tokens: BTreeMap<String, ExpiringToken>,
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
}

impl State {
    fn insert_pair(&mut self, pair: &TokenPair) {
        self.access_tokens.insert(
            pair.access_hash.clone(),
            AccessToken {
                user_id: pair.user_id.clone(),
                chain_id: pair.chain_id.clone(),
                expires_at: pair.access_expires_at,
            },
        );
        if let Some(refresh) = &pair.refresh_hash {
            self.refresh_tokens.insert(
                refresh.clone(),
                RefreshToken {
                    user_id: pair.user_id.clone(),
                    chain_id: pair.chain_id.clone(),
                    access_hash: pair.access_hash.clone(),
                    used: false,
                },
            );
        }
    }

    fn revoke(&mut self, keep: impl Fn(&str, &str) -> bool) {
        self.access_tokens
            .retain(|_, t| keep(&t.user_id, &t.chain_id));
        self.refresh_tokens
            .retain(|_, t| keep(&t.user_id, &t.chain_id));
        let refresh_tokens = &self.refresh_tokens;
        self.last_used
            .retain(|_, hash| refresh_tokens.contains_key(hash));
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
            if s.users.contains_key(&user.user_id) {
                return Err(StoreError::Conflict);
            }
            s.users.insert(user.user_id.clone(), user.clone());
            s.insert_pair(first_login);
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
        self.with(|s| s.insert_pair(pair))
    }

    async fn access_token(&self, access_hash: &str) -> StoreResult<Option<AccessToken>> {
        self.with(|s| s.access_tokens.get(access_hash).cloned())
    }

    async fn exchange_refresh_token(
        &self,
        refresh_hash: &str,
        new: &TokenPair,
    ) -> StoreResult<RefreshExchange> {
        self.with(|s| {
            let Some(token) = s.refresh_tokens.get_mut(refresh_hash) else {
                return RefreshExchange::Unknown;
            };
            if token.used {
                return RefreshExchange::AlreadyUsed {
                    chain_id: token.chain_id.clone(),
                };
            }
            token.used = true;
            let old_access = token.access_hash.clone();
            let chain_id = token.chain_id.clone();
            s.access_tokens.remove(&old_access);
            if let Some(previous) = s.last_used.insert(chain_id, refresh_hash.to_owned()) {
                s.refresh_tokens.remove(&previous);
            }
            s.insert_pair(new);
            RefreshExchange::Exchanged
        })
    }

    async fn refresh_token_owner(
        &self,
        refresh_hash: &str,
    ) -> StoreResult<Option<(String, String)>> {
        self.with(|s| {
            s.refresh_tokens
                .get(refresh_hash)
                .map(|t| (t.user_id.clone(), t.chain_id.clone()))
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
        self.with(|s| {
            s.login_tokens.insert(token_hash.to_owned(), token.clone());
        })
    }

    async fn take_login_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        self.with(|s| s.login_tokens.remove(token_hash))
    }

    async fn insert_openid_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        self.with(|s| {
            s.openid_tokens.insert(token_hash.to_owned(), token.clone());
        })
    }

    async fn openid_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        self.with(|s| s.openid_tokens.get(token_hash).cloned())
    }

    async fn purge_expired(&self, now: i64, sessions_before: i64) -> StoreResult<()> {
        self.with(|s| {
            s.uia_sessions
                .retain(|_, session| session.created_at >= sessions_before);
            s.login_tokens.retain(|_, token| token.expires_at > now);
            s.openid_tokens.retain(|_, token| token.expires_at > now);
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
            let key = (association.medium.clone(), association.address.clone());
            s.associations.insert(key, association.clone());
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
            }
            matches
        })
    }

    async fn insert_account_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        self.with(|s| {
            s.account_tokens
                .insert(token_hash.to_owned(), token.clone());
        })
    }

    async fn account_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        self.with(|s| s.account_tokens.get(token_hash).cloned())
    }

    async fn delete_account_token(&self, token_hash: &str) -> StoreResult<()> {
        self.with(|s| {
            s.account_tokens.remove(token_hash);
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
        self.with(|s| s.account_tokens.retain(|_, token| token.expires_at > now))
    }
}
