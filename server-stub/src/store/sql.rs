//! The SQL backend, over sqlx's `Any` driver: one set of portable statements for SQLite
//! (the embedded default: one file, WAL) and PostgreSQL (for several server processes
//! sharing one database: everything a request depends on is in it).
//!
//! Writes that must not interleave are single statements that claim a row
//! (`UPDATE ... WHERE used = 0 RETURNING`, `DELETE ... RETURNING`) or transactions that
//! start with a write, so SQLite takes its write lock first and waits for it rather than
//! failing an upgrade from a read lock.

use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use super::{
    AccessToken, Association, ExpiringToken, HomeserverStore, IdentityStore, RefreshExchange,
    StoreError, StoreResult, ThirdPartyId, TokenPair, UiaSession, User, ValidationSession,
};

/// The PostgreSQL advisory lock held while migrating (any number, the same in every node).
const MIGRATION_LOCK: i64 = 0x6d61_7472_6978;

/// Schema migrations, applied in order at start, each once.
const MIGRATIONS: &[(i64, &str)] = &[(1, include_str!("../../migrations/0001_initial.sql"))];

fn backend(error: sqlx::Error) -> StoreError {
    StoreError::Backend(error.to_string())
}

fn unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.is_unique_violation())
}

#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    /// SQLite takes one writer at a time, and a writer that finds the lock taken sleeps and
    /// retries with growing back-off: many writers at once spend their time asleep. Writers
    /// of this process queue here instead, so SQLite never has to wait. (PostgreSQL locks
    /// rows, not the database: no queue.)
    writers: Option<std::sync::Arc<tokio::sync::Mutex<()>>>,
}

impl SqlStore {
    /// Opens (creating a SQLite file where needed) and migrates the database at `url`:
    /// `sqlite:PATH` or `postgres://...`.
    pub async fn open(url: &str) -> StoreResult<SqlStore> {
        sqlx::any::install_default_drivers();
        let is_sqlite = url.starts_with("sqlite:");
        let url = if is_sqlite && !url.contains('?') {
            format!("{url}?mode=rwc")
        } else {
            url.to_owned()
        };
        let options = AnyConnectOptions::from_str(&url).map_err(backend)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 8 } else { 16 })
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    if is_sqlite {
                        // WAL: readers never wait for the writer, and a committed write
                        // survives the process being killed.
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = NORMAL",
                            "PRAGMA busy_timeout = 10000",
                        ] {
                            sqlx::query(pragma).execute(&mut *connection).await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(backend)?;
        let store = SqlStore {
            pool,
            writers: is_sqlite.then(Default::default),
        };
        store.migrate(!is_sqlite).await?;
        Ok(store)
    }

    /// Applies the migrations not applied yet. On PostgreSQL, nodes starting together take
    /// turns under an advisory lock; SQLite has one writer at a time anyway.
    async fn migrate(&self, is_postgres: bool) -> StoreResult<()> {
        let mut connection = self.pool.acquire().await.map_err(backend)?;
        if is_postgres {
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *connection)
                .await
                .map_err(backend)?;
        }
        let result = Self::apply_migrations(&mut connection).await;
        if is_postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *connection)
                .await
                .map_err(backend)?;
        }
        result
    }

    async fn apply_migrations(connection: &mut sqlx::AnyConnection) -> StoreResult<()> {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .execute(&mut *connection)
            .await
            .map_err(backend)?;
        for (version, script) in MIGRATIONS {
            let mut tx = sqlx::Connection::begin(&mut *connection)
                .await
                .map_err(backend)?;
            // Claiming the version first makes a concurrent migrator wait, then skip.
            let claimed = sqlx::query(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING",
            )
            .bind(version)
            .bind(crate::clock::now_ms())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if claimed.rows_affected() == 0 {
                continue;
            }
            for statement in statements(script) {
                sqlx::query(&statement)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            tx.commit().await.map_err(backend)?;
            tracing::info!(version, "applied schema migration");
        }
        Ok(())
    }

    /// Waits for this process's turn to write (SQLite only).
    async fn writer(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.writers {
            Some(writers) => Some(writers.lock().await),
            None => None,
        }
    }

    /// Checks the database file's integrity (SQLite's `PRAGMA integrity_check`).
    pub async fn integrity_check(&self) -> StoreResult<String> {
        let row = sqlx::query("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        row.try_get(0).map_err(backend)
    }
}

/// The statements of a migration script: split on `;` at line ends, comments dropped.
fn statements(script: &str) -> Vec<String> {
    let without_comments: String = script
        .lines()
        .filter(|line| !line.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(";\n")
        .map(|s| s.trim().trim_end_matches(';').trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn get<T>(row: &AnyRow, column: &str) -> StoreResult<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get(column).map_err(backend)
}

fn uia_session_of(row: &AnyRow, completed: Vec<String>) -> StoreResult<UiaSession> {
    Ok(UiaSession {
        id: get(row, "id")?,
        endpoint: get(row, "endpoint")?,
        user_id: get(row, "user_id")?,
        completed,
        created_at: get(row, "created_at")?,
    })
}

fn validation_session_of(row: &AnyRow) -> StoreResult<ValidationSession> {
    Ok(ValidationSession {
        sid: get(row, "sid")?,
        client_secret: get(row, "client_secret")?,
        medium: get(row, "medium")?,
        address: get(row, "address")?,
        token_hash: get(row, "token_hash")?,
        send_attempt: get(row, "send_attempt")?,
        created_at: get(row, "created_at")?,
        validated_at: get(row, "validated_at")?,
    })
}

fn expiring_token_of(row: &AnyRow) -> StoreResult<ExpiringToken> {
    Ok(ExpiringToken {
        user_id: get(row, "user_id")?,
        expires_at: get(row, "expires_at")?,
    })
}

const VALIDATION_COLUMNS: &str =
    "sid, client_secret, medium, address, token_hash, send_attempt, created_at, validated_at";

async fn insert_pair(connection: &mut sqlx::AnyConnection, pair: &TokenPair) -> StoreResult<()> {
    sqlx::query("INSERT INTO access_tokens (token_hash, user_id, chain_id, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&pair.access_hash)
        .bind(&pair.user_id)
        .bind(&pair.chain_id)
        .bind(pair.access_expires_at)
        .execute(&mut *connection)
        .await
        .map_err(backend)?;
    if let Some(refresh) = &pair.refresh_hash {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, chain_id, access_hash, used) VALUES ($1, $2, $3, $4, 0)",
        )
        .bind(refresh)
        .bind(&pair.user_id)
        .bind(&pair.chain_id)
        .bind(&pair.access_hash)
        .execute(&mut *connection)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

impl HomeserverStore for SqlStore {
    async fn create_user(
        &self,
        user: &User,
        created_at: i64,
        first_login: &TokenPair,
    ) -> StoreResult<()> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let _writer = self.writer().await;
        let row = sqlx::query("UPDATE generated_localparts SET last_value = last_value + 1 WHERE id = 1 RETURNING last_value")
            .fetch_one(&self.pool)
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
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        let claimed = sqlx::query("UPDATE refresh_tokens SET used = 1 WHERE token_hash = $1 AND used = 0 RETURNING access_hash")
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
        sqlx::query("DELETE FROM access_tokens WHERE token_hash = $1")
            .bind(&old_access)
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
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO uia_sessions (id, endpoint, user_id, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&session.id)
        .bind(&session.endpoint)
        .bind(&session.user_id)
        .bind(session.created_at)
        .execute(&self.pool)
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
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO uia_completed_stages (session_id, stage, completed_at) VALUES ($1, $2, $3) ON CONFLICT (session_id, stage) DO NOTHING",
        )
        .bind(id)
        .bind(stage)
        .bind(crate::clock::now_ms())
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn delete_uia_session(&self, id: &str) -> StoreResult<bool> {
        let _writer = self.writer().await;
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let _writer = self.writer().await;
        let inserted = sqlx::query(
            "INSERT INTO threepids (medium, address, user_id, added_at) VALUES ($1, $2, $3, $4) ON CONFLICT (medium, address) DO NOTHING",
        )
        .bind(&threepid.medium)
        .bind(&threepid.address)
        .bind(user_id)
        .bind(added_at)
        .execute(&self.pool)
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
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO login_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(&token.user_id)
        .bind(token.expires_at)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn take_login_token(&self, token_hash: &str) -> StoreResult<Option<ExpiringToken>> {
        let _writer = self.writer().await;
        let row = sqlx::query(
            "DELETE FROM login_tokens WHERE token_hash = $1 RETURNING user_id, expires_at",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        row.as_ref().map(expiring_token_of).transpose()
    }

    async fn insert_openid_token(
        &self,
        token_hash: &str,
        token: &ExpiringToken,
    ) -> StoreResult<()> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO openid_tokens (token_hash, user_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(&token.user_id)
        .bind(token.expires_at)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn purge_expired(&self, now: i64, sessions_before: i64) -> StoreResult<()> {
        let _writer = self.writer().await;
        self.delete_where(
            "DELETE FROM uia_completed_stages WHERE session_id IN (SELECT id FROM uia_sessions WHERE created_at < $1)",
            sessions_before,
        )
        .await?;
        self.delete_where(
            "DELETE FROM uia_sessions WHERE created_at < $1",
            sessions_before,
        )
        .await?;
        self.delete_where("DELETE FROM login_tokens WHERE expires_at <= $1", now)
            .await?;
        self.delete_where("DELETE FROM openid_tokens WHERE expires_at <= $1", now)
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

impl SqlStore {
    async fn delete_where(&self, statement: &str, bound: i64) -> StoreResult<()> {
        sqlx::query(statement)
            .bind(bound)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(backend)
    }
}

impl IdentityStore for SqlStore {
    async fn insert_validation_session(&self, session: &ValidationSession) -> StoreResult<()> {
        let _writer = self.writer().await;
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
        .execute(&self.pool)
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
        let _writer = self.writer().await;
        sqlx::query(
            "UPDATE validation_sessions SET token_hash = $1, send_attempt = $2 WHERE sid = $3",
        )
        .bind(token_hash)
        .bind(send_attempt)
        .bind(sid)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(backend)
    }

    async fn mark_validated(&self, sid: &str, validated_at: i64) -> StoreResult<()> {
        let _writer = self.writer().await;
        sqlx::query("UPDATE validation_sessions SET validated_at = $1 WHERE sid = $2 AND validated_at IS NULL")
            .bind(validated_at)
            .bind(sid)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn put_association(&self, association: &Association) -> StoreResult<()> {
        let _writer = self.writer().await;
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
        .execute(&self.pool)
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
        let _writer = self.writer().await;
        let deleted = sqlx::query(
            "DELETE FROM associations WHERE medium = $1 AND address = $2 AND mxid = $3",
        )
        .bind(medium)
        .bind(address)
        .bind(mxid)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        Ok(deleted.rows_affected() > 0)
    }

    async fn insert_account_token(&self, token_hash: &str, user_id: &str) -> StoreResult<()> {
        let _writer = self.writer().await;
        sqlx::query("INSERT INTO account_tokens (token_hash, user_id) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(user_id)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn account_token(&self, token_hash: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT user_id FROM account_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?;
        row.map(|row| get(&row, "user_id")).transpose()
    }

    async fn delete_account_token(&self, token_hash: &str) -> StoreResult<()> {
        let _writer = self.writer().await;
        sqlx::query("DELETE FROM account_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn purge_validation_sessions(&self, before: i64) -> StoreResult<()> {
        let _writer = self.writer().await;
        self.delete_where(
            "DELETE FROM validation_sessions WHERE created_at < $1",
            before,
        )
        .await
    }

    async fn signing_key_seed(&self, candidate: [u8; 32]) -> StoreResult<[u8; 32]> {
        let _writer = self.writer().await;
        sqlx::query(
            "INSERT INTO signing_keys (id, seed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(STANDARD_NO_PAD.encode(candidate))
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        let row = sqlx::query("SELECT seed FROM signing_keys WHERE id = 1")
            .fetch_one(&self.pool)
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

#[cfg(test)]
mod tests {
    use super::statements;

    #[test]
    fn migration_scripts_split_into_statements() {
        let script = "-- comment\nCREATE TABLE a (x TEXT);\n\nINSERT INTO a VALUES ('y');\n";
        assert_eq!(
            statements(script),
            ["CREATE TABLE a (x TEXT)", "INSERT INTO a VALUES ('y')"]
        );
    }
}
