//! The homeserver's tables.

use super::{
    SqlStore, backend, delete_where, expiring_token_of, get, insert_pair, uia_session_of,
    unique_violation,
};
use crate::store::{
    AccessToken, ExpiringToken, HomeserverStore, RefreshExchange, StoreError, StoreResult,
    ThirdPartyId, TokenPair, UiaSession, User,
};

impl HomeserverStore for SqlStore {
    async fn create_user(
        &self,
        user: &User,
        created_at: i64,
        first_login: &TokenPair,
    ) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        sqlx::query("INSERT INTO users (user_id, password_hash, is_guest, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&user.user_id)
            .bind(&user.password_hash)
            .bind(i64::from(user.is_guest))
            .bind(created_at)
            .execute(&mut *tx)
            .await
            .map_err(|e| if unique_violation(&e) { StoreError::Conflict } else { backend(e) })?;
        insert_pair(&mut tx, first_login).await?;
        tx.commit().await.map_err(backend)
    }

    async fn user(&self, user_id: &str) -> StoreResult<Option<User>> {
        let row =
            sqlx::query("SELECT user_id, password_hash, is_guest FROM users WHERE user_id = $1")
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        row.map(|row| {
            Ok(User {
                user_id: get(&row, "user_id")?,
                password_hash: get(&row, "password_hash")?,
                is_guest: get::<i64>(&row, "is_guest")? != 0,
            })
        })
        .transpose()
    }

    async fn next_generated_localpart(&self) -> StoreResult<u64> {
        let mut write = self.write().await?;
        let row = sqlx::query("UPDATE generated_localparts SET last_value = last_value + 1 WHERE id = 1 RETURNING last_value")
            .fetch_one(&mut *write)
            .await
            .map_err(backend)?;
        Ok(get::<i64>(&row, "last_value")?.unsigned_abs())
    }

    async fn change_password(
        &self,
        user_id: &str,
        password_hash: &str,
        keep_chain: Option<&str>,
    ) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE user_id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        // An empty string is no chain id, so `keep_chain = None` keeps nothing.
        let keep = keep_chain.unwrap_or("");
        for table in ["access_tokens", "refresh_tokens"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE user_id = $1 AND chain_id <> $2"
            ))
            .bind(user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn insert_tokens(&self, pair: &TokenPair) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        insert_pair(&mut tx, pair).await?;
        tx.commit().await.map_err(backend)
    }

    async fn access_token(&self, access_hash: &str) -> StoreResult<Option<AccessToken>> {
        let row = sqlx::query(
            "SELECT user_id, chain_id, expires_at FROM access_tokens WHERE token_hash = $1",
        )
        .bind(access_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| {
            Ok(AccessToken {
                user_id: get(&row, "user_id")?,
                chain_id: get(&row, "chain_id")?,
                expires_at: get(&row, "expires_at")?,
            })
        })
        .transpose()
    }

    async fn exchange_refresh_token(
        &self,
        refresh_hash: &str,
        new: &TokenPair,
    ) -> StoreResult<RefreshExchange> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        let claimed = sqlx::query("UPDATE refresh_tokens SET used = 1 WHERE token_hash = $1 AND used = 0 RETURNING access_hash, chain_id")
            .bind(refresh_hash)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
        let Some(claimed) = claimed else {
            let existing = sqlx::query("SELECT chain_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(refresh_hash)
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?;
            tx.rollback().await.map_err(backend)?;
            return match existing {
                Some(row) => Ok(RefreshExchange::AlreadyUsed {
                    chain_id: get(&row, "chain_id")?,
                }),
                None => Ok(RefreshExchange::Unknown),
            };
        };
        let old_access: String = get(&claimed, "access_hash")?;
        let chain_id: String = get(&claimed, "chain_id")?;
        sqlx::query("DELETE FROM access_tokens WHERE token_hash = $1")
            .bind(&old_access)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "DELETE FROM refresh_tokens WHERE chain_id = $1 AND used = 1 AND token_hash <> $2",
        )
        .bind(&chain_id)
        .bind(refresh_hash)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        insert_pair(&mut tx, new).await?;
        tx.commit().await.map_err(backend)?;
        Ok(RefreshExchange::Exchanged)
    }

    async fn refresh_token_owner(
        &self,
        refresh_hash: &str,
    ) -> StoreResult<Option<(String, String)>> {
        let row = sqlx::query("SELECT user_id, chain_id FROM refresh_tokens WHERE token_hash = $1")
            .bind(refresh_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| Ok((get(&row, "user_id")?, get(&row, "chain_id")?)))
            .transpose()
    }

    async fn revoke_chain(&self, chain_id: &str) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        for table in ["access_tokens", "refresh_tokens"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE chain_id = $1"))
                .bind(chain_id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn insert_uia_session(&self, session: &UiaSession) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query(
            "INSERT INTO uia_sessions (id, endpoint, user_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.id)
        .bind(&session.endpoint)
        .bind(&session.user_id)
        .bind(session.created_at)
        .execute(&mut *write)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn uia_session(&self, id: &str) -> StoreResult<Option<UiaSession>> {
        let Some(row) =
            sqlx::query("SELECT id, endpoint, user_id, created_at FROM uia_sessions WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?
        else {
            return Ok(None);
        };
        let completed = sqlx::query("SELECT stage FROM uia_completed_stages WHERE session_id = $1 ORDER BY completed_at, stage")
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|row| get(row, "stage"))
            .collect::<StoreResult<Vec<String>>>()?;
        uia_session_of(&row, completed).map(Some)
    }

    async fn complete_uia_stage(&self, id: &str, stage: &str) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query(
            "INSERT INTO uia_completed_stages (session_id, stage, completed_at) VALUES ($1, $2, $3) ON CONFLICT (session_id, stage) DO NOTHING",
        )
        .bind(id)
        .bind(stage)
        .bind(crate::clock::now_ms())
        .execute(&mut *write)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn delete_uia_session(&self, id: &str) -> StoreResult<bool> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        let deleted = sqlx::query("DELETE FROM uia_sessions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query("DELETE FROM uia_completed_stages WHERE session_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn add_threepid(
        &self,
        user_id: &str,
        threepid: &ThirdPartyId,
        added_at: i64,
    ) -> StoreResult<()> {
        let mut write = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO threepids (medium, address, user_id, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (medium, address) DO NOTHING",
        )
        .bind(&threepid.medium)
        .bind(&threepid.address)
        .bind(user_id)
        .bind(added_at)
        .execute(&mut *write)
        .await
        .map_err(backend)?;
        if inserted.rows_affected() > 0 {
            return Ok(());
        }
        match self.user_by_threepid(threepid).await? {
            Some(owner) if owner == user_id => Ok(()),
            _ => Err(StoreError::Conflict),
        }
    }

    async fn threepids(&self, user_id: &str) -> StoreResult<Vec<ThirdPartyId>> {
        sqlx::query("SELECT medium, address FROM threepids WHERE user_id = $1 ORDER BY added_at, medium, address")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|row| {
                Ok(ThirdPartyId {
                    medium: get(row, "medium")?,
                    address: get(row, "address")?,
                })
            })
            .collect()
    }

    async fn user_by_threepid(&self, threepid: &ThirdPartyId) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT user_id FROM threepids WHERE medium = $1 AND address = $2")
            .bind(&threepid.medium)
            .bind(&threepid.address)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| get(&row, "user_id")).transpose()
    }

    async fn insert_login_token(&self, token_hash: &str, token: &ExpiringToken) -> StoreResult<()> {
        let mut write = self.write().await?;
        insert_expiring(&mut write, "login_tokens", token_hash, token).await
    }

    async fn take_login_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        let mut write = self.write().await?;
        let row = sqlx::query(
            "DELETE FROM login_tokens WHERE token_hash = $1 RETURNING user_id, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&mut *write)
        .await
        .map_err(backend)?;
        row.as_ref().map(expiring_token_of).transpose()
    }

    async fn insert_openid_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        let mut write = self.write().await?;
        insert_expiring(&mut write, "openid_tokens", token_hash, token).await
    }

    async fn purge_expired(&self, now: i64, sessions_before: i64) -> StoreResult<()> {
        let mut write = self.write().await?;
        delete_where(&mut write,
            "DELETE FROM uia_completed_stages WHERE session_id IN (SELECT id FROM uia_sessions WHERE created_at < $1)",
            sessions_before,
        )
        .await?;
        delete_where(
            &mut write,
            "DELETE FROM uia_sessions WHERE created_at < $1",
            sessions_before,
        )
        .await?;
        delete_where(
            &mut write,
            "DELETE FROM login_tokens WHERE expires_at <= $1",
            now,
        )
        .await?;
        delete_where(
            &mut write,
            "DELETE FROM openid_tokens WHERE expires_at <= $1",
            now,
        )
        .await
    }

    async fn openid_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        let row =
            sqlx::query("SELECT user_id, expires_at FROM openid_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        row.as_ref().map(expiring_token_of).transpose()
    }
}

/// An expiring single-use token (`login_tokens`, `openid_tokens`: the same columns).
async fn insert_expiring(
    connection: &mut sqlx::AnyConnection,
    table: &str,
    token_hash: &str,
    token: &ExpiringToken,
) -> StoreResult<()> {
    sqlx::query(&format!(
        "INSERT INTO {table} (token_hash, user_id, expires_at) VALUES ($1, $2, $3)"
    ))
    .bind(token_hash)
    .bind(&token.user_id)
    .bind(token.expires_at)
    .execute(connection)
    .await
    .map(|_| ())
    .map_err(backend)
}
