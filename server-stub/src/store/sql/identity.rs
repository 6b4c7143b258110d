//! The identity server's tables.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use super::{SqlStore, VALIDATION_COLUMNS, backend, delete_where, get, validation_session_of};
use crate::store::{
    Association, ExpiringToken, IdentityStore, StoreError, StoreResult, ValidationSession,
};

impl IdentityStore for SqlStore {
    async fn insert_validation_session(&self, session: &ValidationSession) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query(&format!(
            "INSERT INTO validation_sessions ({VALIDATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&session.sid)
        .bind(&session.client_secret)
        .bind(&session.medium)
        .bind(&session.address)
        .bind(&session.token_hash)
        .bind(session.send_attempt)
        .bind(session.created_at)
        .bind(session.validated_at)
        .execute(&mut *write)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn validation_session(&self, sid: &str) -> StoreResult<Option<ValidationSession>> {
        let row = sqlx::query(&format!(
            "SELECT {VALIDATION_COLUMNS} FROM validation_sessions WHERE sid = $1"
        ))
        .bind(sid)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(validation_session_of).transpose()
    }

    async fn validation_session_for(
        &self,
        client_secret: &str,
        medium: &str,
        address: &str,
    ) -> StoreResult<Option<ValidationSession>> {
        let row = sqlx::query(&format!(
            "SELECT {VALIDATION_COLUMNS} FROM validation_sessions WHERE client_secret = $1 AND medium = $2 AND address = $3 ORDER BY created_at DESC"
        ))
        .bind(client_secret)
        .bind(medium)
        .bind(address)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(validation_session_of).transpose()
    }

    async fn renew_validation_token(
        &self,
        sid: &str,
        token_hash: &str,
        send_attempt: i64,
    ) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query(
            "UPDATE validation_sessions SET token_hash = $1, send_attempt = $2 WHERE sid = $3",
        )
        .bind(token_hash)
        .bind(send_attempt)
        .bind(sid)
        .execute(&mut *write)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn mark_validated(&self, sid: &str, validated_at: i64) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query("UPDATE validation_sessions SET validated_at = $1 WHERE sid = $2 AND validated_at IS NULL")
            .bind(validated_at)
            .bind(sid)
            .execute(&mut *write)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn put_association(&self, association: &Association) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query(
            "INSERT INTO associations (medium, address, mxid, ts, not_before, not_after) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (medium, address) DO UPDATE SET mxid = $3, ts = $4, not_before = $5, not_after = $6",
        )
        .bind(&association.medium)
        .bind(&association.address)
        .bind(&association.mxid)
        .bind(association.ts)
        .bind(association.not_before)
        .bind(association.not_after)
        .execute(&mut *write)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn association(&self, medium: &str, address: &str) -> StoreResult<Option<Association>> {
        let row = sqlx::query(
            "SELECT medium, address, mxid, ts, not_before, not_after FROM associations WHERE medium = $1 AND address = $2",
        )
        .bind(medium)
        .bind(address)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.map(|row| {
            Ok(Association {
                medium: get(&row, "medium")?,
                address: get(&row, "address")?,
                mxid: get(&row, "mxid")?,
                ts: get(&row, "ts")?,
                not_before: get(&row, "not_before")?,
                not_after: get(&row, "not_after")?,
            })
        })
        .transpose()
    }

    async fn delete_association(
        &self,
        medium: &str,
        address: &str,
        mxid: &str,
    ) -> StoreResult<bool> {
        let mut write = self.write().await?;
        let deleted = sqlx::query(
            "DELETE FROM associations WHERE medium = $1 AND address = $2 AND mxid = $3",
        )
        .bind(medium)
        .bind(address)
        .bind(mxid)
        .execute(&mut *write)
        .await
        .map_err(backend)?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn insert_account_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(&token.user_id)
        .bind(token.expires_at)
        .execute(&mut *write)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn account_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        let row =
            sqlx::query("SELECT user_id, expires_at FROM account_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        row.map(|row| {
            Ok(ExpiringToken {
                user_id: get(&row, "user_id")?,
                expires_at: get(&row, "expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_account_token(&self, token_hash: &str) -> StoreResult<()> {
        let mut write = self.write().await?;
        sqlx::query("DELETE FROM account_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *write)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn purge_validation_sessions(&self, before: i64) -> StoreResult<()> {
        let mut write = self.write().await?;
        delete_where(
            &mut write,
            "DELETE FROM validation_sessions WHERE created_at < $1",
            before,
        )
        .await
    }

    async fn purge_account_tokens(&self, now: i64) -> StoreResult<()> {
        let mut write = self.write().await?;
        delete_where(
            &mut write,
            "DELETE FROM account_tokens WHERE expires_at <= $1",
            now,
        )
        .await
    }

    async fn signing_key_seed(&self, candidate: [u8; 32]) -> StoreResult<[u8; 32]> {
        let mut write = self.write().await?;
        sqlx::query(
            "INSERT INTO signing_keys (id, seed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(STANDARD_NO_PAD.encode(candidate))
        .execute(&mut *write)
        .await
        .map_err(backend)?;
        let row = sqlx::query("SELECT seed FROM signing_keys WHERE id = 1")
            .fetch_one(&mut *write)
            .await
            .map_err(backend)?;
        let seed: String = get(&row, "seed")?;
        STANDARD_NO_PAD
            .decode(seed)
            .ok()
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| StoreError::Backend("the stored signing key is corrupt".into()))
    }
}
