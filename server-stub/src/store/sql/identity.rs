//! The identity server's tables.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

use super::{SqlStore, VALIDATION_COLUMNS, backend, delete_where, get, validation_session_of};
use crate::store::{
    Association, ExpiringToken, IdentityStore, PendingInvite, StoreError, StoreResult,
    ValidationSession, lookup_hash, no_pepper,
};

const ASSOCIATION_COLUMNS: &str = "medium, address, mxid, ts, not_before, not_after";
const INVITE_COLUMNS: &str = "token, medium, address, room_id, sender, created_at";

fn association_of(row: &sqlx::any::AnyRow) -> StoreResult<Association> {
    Ok(Association {
        medium: get(row, "medium")?,
        address: get(row, "address")?,
        mxid: get(row, "mxid")?,
        ts: get(row, "ts")?,
        not_before: get(row, "not_before")?,
        not_after: get(row, "not_after")?,
    })
}

fn invite_of(row: &sqlx::any::AnyRow) -> StoreResult<PendingInvite> {
    Ok(PendingInvite {
        token: get(row, "token")?,
        medium: get(row, "medium")?,
        address: get(row, "address")?,
        room_id: get(row, "room_id")?,
        sender: get(row, "sender")?,
        created_at: get(row, "created_at")?,
    })
}

/// Recomputes every association's lookup hash with `pepper`, in the caller's transaction.
async fn rehash_associations(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    pepper: &str,
) -> StoreResult<()> {
    let rows = sqlx::query("SELECT medium, address FROM associations")
        .fetch_all(&mut **tx)
        .await
        .map_err(backend)?;
    for row in &rows {
        let (medium, address): (String, String) = (get(row, "medium")?, get(row, "address")?);
        sqlx::query("UPDATE associations SET lookup_hash = $1 WHERE medium = $2 AND address = $3")
            .bind(lookup_hash(&medium, &address, pepper))
            .bind(&medium)
            .bind(&address)
            .execute(&mut **tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

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
        let mut tx = write.transaction().await?;
        // Writing the pepper's row (to itself) locks it on PostgreSQL until the commit: a
        // replacement waits for this insert, or this insert for the replacement, and the
        // hash is never computed with a pepper that is no longer the one.
        let row =
            sqlx::query("UPDATE lookup_pepper SET pepper = pepper WHERE id = 1 RETURNING pepper")
                .fetch_optional(&mut *tx)
                .await
                .map_err(backend)?
                .ok_or_else(no_pepper)?;
        let pepper: String = get(&row, "pepper")?;
        sqlx::query(
            "INSERT INTO associations (medium, address, mxid, ts, not_before, not_after, lookup_hash) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (medium, address) DO UPDATE SET mxid = $3, ts = $4, not_before = $5, not_after = $6, lookup_hash = $7",
        )
        .bind(&association.medium)
        .bind(&association.address)
        .bind(&association.mxid)
        .bind(association.ts)
        .bind(association.not_before)
        .bind(association.not_after)
        .bind(lookup_hash(&association.medium, &association.address, &pepper))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn associations_by_lookup_hash(
        &self,
        hashes: &[String],
    ) -> StoreResult<Vec<Association>> {
        let mut found = Vec::new();
        // Bounded batches: SQLite and PostgreSQL each cap the parameters of a statement.
        for batch in hashes.chunks(500) {
            let placeholders = (1..=batch.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let statement = format!(
                "SELECT {ASSOCIATION_COLUMNS} FROM associations WHERE lookup_hash IN ({placeholders})"
            );
            let mut query = sqlx::query(&statement);
            for hash in batch {
                query = query.bind(hash);
            }
            let rows = query.fetch_all(&self.pool).await.map_err(backend)?;
            for row in &rows {
                found.push(association_of(row)?);
            }
        }
        Ok(found)
    }

    async fn lookup_pepper(&self, candidate: &str) -> StoreResult<String> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        let made = sqlx::query(
            "INSERT INTO lookup_pepper (id, pepper) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(candidate)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        if made.rows_affected() == 1 {
            // The first pepper: associations from before hashed lookups get their hashes.
            rehash_associations(&mut tx, candidate).await?;
        }
        let row = sqlx::query("SELECT pepper FROM lookup_pepper WHERE id = 1")
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
        let pepper = get(&row, "pepper")?;
        tx.commit().await.map_err(backend)?;
        Ok(pepper)
    }

    async fn current_lookup_pepper(&self) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT pepper FROM lookup_pepper WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| get(&row, "pepper")).transpose()
    }

    async fn replace_lookup_pepper(&self, pepper: &str) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        sqlx::query(
            "INSERT INTO lookup_pepper (id, pepper) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET pepper = $1",
        )
        .bind(pepper)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        rehash_associations(&mut tx, pepper).await?;
        tx.commit().await.map_err(backend)
    }

    async fn accepted_terms(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query("SELECT url FROM accepted_terms WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        rows.iter().map(|row| get(row, "url")).collect()
    }

    async fn accept_terms(&self, user_id: &str, urls: &[String]) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        for url in urls {
            sqlx::query(
                "INSERT INTO accepted_terms (user_id, url) VALUES ($1, $2) ON CONFLICT (user_id, url) DO NOTHING",
            )
            .bind(user_id)
            .bind(url)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn insert_invite(
        &self,
        invite: &PendingInvite,
        ephemeral_public_key: &str,
    ) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        sqlx::query(
            "INSERT INTO invites (token, medium, address, room_id, sender, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&invite.token)
        .bind(&invite.medium)
        .bind(&invite.address)
        .bind(&invite.room_id)
        .bind(&invite.sender)
        .bind(invite.created_at)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query("INSERT INTO ephemeral_keys (public_key, created_at) VALUES ($1, $2)")
            .bind(ephemeral_public_key)
            .bind(invite.created_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn invite(&self, token: &str) -> StoreResult<Option<PendingInvite>> {
        let row = sqlx::query(&format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE token = $1"
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(invite_of).transpose()
    }

    async fn invites_for(&self, medium: &str, address: &str) -> StoreResult<Vec<PendingInvite>> {
        let rows = sqlx::query(&format!(
            "SELECT {INVITE_COLUMNS} FROM invites WHERE medium = $1 AND address = $2 ORDER BY created_at"
        ))
        .bind(medium)
        .bind(address)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        rows.iter().map(invite_of).collect()
    }

    async fn delete_invites(&self, tokens: &[String]) -> StoreResult<()> {
        let mut write = self.write().await?;
        let mut tx = write.transaction().await?;
        for token in tokens {
            sqlx::query("DELETE FROM invites WHERE token = $1")
                .bind(token)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn ephemeral_key_exists(&self, public_key: &str) -> StoreResult<bool> {
        let row = sqlx::query("SELECT created_at FROM ephemeral_keys WHERE public_key = $1")
            .bind(public_key)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        Ok(row.is_some())
    }

    async fn purge_invites(&self, before: i64) -> StoreResult<()> {
        let mut write = self.write().await?;
        delete_where(
            &mut write,
            "DELETE FROM invites WHERE created_at < $1",
            before,
        )
        .await?;
        delete_where(
            &mut write,
            "DELETE FROM ephemeral_keys WHERE created_at < $1",
            before,
        )
        .await
    }

    async fn association(&self, medium: &str, address: &str) -> StoreResult<Option<Association>> {
        let row = sqlx::query(&format!(
            "SELECT {ASSOCIATION_COLUMNS} FROM associations WHERE medium = $1 AND address = $2"
        ))
        .bind(medium)
        .bind(address)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(association_of).transpose()
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
