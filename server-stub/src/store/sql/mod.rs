//! The SQL backend, over sqlx's `Any` driver: one set of portable statements for SQLite
//! (the embedded default: one file, WAL) and PostgreSQL (for several server processes
//! sharing one database: everything a request depends on is in it).
//!
//! Writes that must not interleave are single statements that claim a row
//! (`UPDATE ... WHERE used = 0 RETURNING`, `DELETE ... RETURNING`) or transactions that
//! start with a write, so SQLite takes its write lock first and waits for it rather than
//! failing an upgrade from a read lock.

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub mod cluster;
mod homeserver;
mod identity;

use super::{
    Census, ExpiringToken, StoreError, StoreResult, TokenPair, UiaSession, ValidationSession,
};

/// The PostgreSQL advisory lock held while migrating (any number, the same in every node).
const MIGRATION_LOCK: i64 = 0x6d61_7472_6978;

/// How long a pooled connection may sit idle before it is pinged on its way out.
const IDLE_BEFORE_PING: std::time::Duration = std::time::Duration::from_secs(1);

/// A schema migration, applied at start, once.
struct Migration {
    version: i64,
    script: &'static str,
    /// Run on PostgreSQL only (what only several nodes need); SQLite records it as applied,
    /// so the versions mean the same on both.
    postgres_only: bool,
}

/// The migrations, in order.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        script: include_str!("../../../migrations/0001_initial.sql"),
        postgres_only: false,
    },
    Migration {
        version: 2,
        script: include_str!("../../../migrations/0002_account_token_expiry.sql"),
        postgres_only: false,
    },
    Migration {
        version: 3,
        script: include_str!("../../../migrations/0003_cache_notices.postgres.sql"),
        postgres_only: true,
    },
    Migration {
        version: 4,
        script: include_str!("../../../migrations/0004_lookups_terms_invites.sql"),
        postgres_only: false,
    },
];

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

/// The tables that grow with use (not the schema's bookkeeping).
const COUNTED_TABLES: [&str; 16] = [
    "users",
    "generated_localparts",
    "access_tokens",
    "refresh_tokens",
    "uia_sessions",
    "uia_completed_stages",
    "threepids",
    "login_tokens",
    "openid_tokens",
    "validation_sessions",
    "associations",
    "account_tokens",
    "signing_keys",
    "accepted_terms",
    "invites",
    "ephemeral_keys",
];

impl Census for SqlStore {
    async fn table_sizes(&self) -> StoreResult<Vec<(&'static str, u64)>> {
        let mut sizes = Vec::new();
        for table in COUNTED_TABLES {
            let row = sqlx::query(&format!("SELECT count(*) AS n FROM {table}"))
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
            let rows: i64 = get(&row, "n")?;
            sizes.push((table, rows.max(0) as u64));
        }
        Ok(sizes)
    }
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
            // sqlx pings every connection it hands out by default: on PostgreSQL one more
            // round trip per statement (a registration's five statements took ten). A
            // connection used within the last second is as fresh as a ping would show;
            // only one that sat idle longer (where a restart or an idle timeout may have
            // closed it) is pinged, and replaced if the ping fails.
            .test_before_acquire(false)
            .before_acquire(|connection, meta| {
                Box::pin(async move {
                    if meta.idle_for > IDLE_BEFORE_PING {
                        sqlx::Connection::ping(connection).await?;
                    }
                    Ok(true)
                })
            })
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
        let result = Self::apply_migrations(&mut connection, is_postgres).await;
        if is_postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(MIGRATION_LOCK)
                .execute(&mut *connection)
                .await
                .map_err(backend)?;
        }
        result
    }

    async fn apply_migrations(
        connection: &mut sqlx::AnyConnection,
        is_postgres: bool,
    ) -> StoreResult<()> {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
            .execute(&mut *connection)
            .await
            .map_err(backend)?;
        for migration in MIGRATIONS {
            let mut tx = sqlx::Connection::begin(&mut *connection)
                .await
                .map_err(backend)?;
            // Claiming the version first makes a concurrent migrator wait, then skip.
            let claimed = sqlx::query(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING",
            )
            .bind(migration.version)
            .bind(crate::clock::now_ms())
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            if claimed.rows_affected() == 0 {
                continue;
            }
            if is_postgres || !migration.postgres_only {
                apply_script(&mut tx, migration.script).await?;
            }
            tx.commit().await.map_err(backend)?;
            tracing::info!(version = migration.version, "applied schema migration");
        }
        Ok(())
    }

    /// Starts a write: waits for this process's turn (SQLite only), then takes a
    /// connection. The turn and the connection come together, so no write can forget the
    /// turn: every statement that writes runs on a [`Write`].
    async fn write(&self) -> StoreResult<Write<'_>> {
        let turn = match &self.writers {
            Some(writers) => Some(writers.lock().await),
            None => None,
        };
        let connection = self.pool.acquire().await.map_err(backend)?;
        Ok(Write {
            connection,
            _turn: turn,
        })
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

/// A connection to write on, held with this process's turn to write. Declared before the
/// turn, the connection goes back to the pool before the next writer's turn begins.
struct Write<'a> {
    connection: sqlx::pool::PoolConnection<sqlx::Any>,
    _turn: Option<tokio::sync::MutexGuard<'a, ()>>,
}

impl Write<'_> {
    /// A transaction on this write's connection, for writes of more than one statement.
    async fn transaction(&mut self) -> StoreResult<sqlx::Transaction<'_, sqlx::Any>> {
        sqlx::Connection::begin(&mut *self.connection)
            .await
            .map_err(backend)
    }
}

impl std::ops::Deref for Write<'_> {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.connection
    }
}

impl std::ops::DerefMut for Write<'_> {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.connection
    }
}

async fn delete_where(
    connection: &mut sqlx::AnyConnection,
    statement: &str,
    bound: i64,
) -> StoreResult<()> {
    sqlx::query(statement)
        .bind(bound)
        .execute(connection)
        .await
        .map(|_| ())
        .map_err(backend)
}

/// Runs a whole migration script, as the database itself splits it (SQLite's parser,
/// PostgreSQL's simple-query protocol), so a trigger or function body with `;` inside is one
/// statement. Not sqlx's `Migrator`: its bookkeeping is its own `_sqlx_migrations` table with
/// checksums, which would run migration 1 again on every database made so far (they record
/// versions in `schema_migrations`), and it does not take the advisory lock PostgreSQL
/// nodes starting together wait on; it needs sqlx's `migrate` feature for `Any` as well.
async fn apply_script(connection: &mut sqlx::AnyConnection, script: &str) -> StoreResult<()> {
    // A query without arguments goes out unprepared (PostgreSQL's simple-query protocol;
    // SQLite steps through every statement), so the script may hold several.
    sqlx::Executor::execute(&mut *connection, script)
        .await
        .map(|_| ())
        .map_err(backend)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_migration_with_a_trigger_body_runs_whole() {
        sqlx::any::install_default_drivers();
        let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect("sqlite::memory:")
            .await
            .unwrap();
        let script = "-- A trigger's body holds statements of its own.\nCREATE TABLE a (x TEXT);\nCREATE TABLE log (x TEXT);\nCREATE TRIGGER logged AFTER INSERT ON a BEGIN\n  INSERT INTO log VALUES (NEW.x);\n  INSERT INTO log VALUES (NEW.x || '!');\nEND;\nINSERT INTO a VALUES ('y');\n";
        apply_script(&mut connection, script).await.unwrap();
        let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM log")
            .fetch_one(&mut connection)
            .await
            .unwrap();
        assert_eq!(logged, 2);
    }
}
