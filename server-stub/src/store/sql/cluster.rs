//! Caching on several nodes over one PostgreSQL database, with revocation still immediate:
//! a token revoked through node A is refused by every node from the moment A answers.
//!
//! The database announces every change to what a node may cache (triggers of migration 3, on
//! channel `matrix_cache`, in the changing transaction: delivered if and only if it commits,
//! in commit order). Each node listens, and answers from its cache only while it holds a
//! lease, renewed every second over the listening connection itself. A node that made
//! something stale does not answer its client until every other node has dropped it:
//!
//! 1. After its write commits (at time `c`) it sends a *barrier* on `matrix_cache`, and waits
//!    for each node whose lease was live after `c` to acknowledge it. Notices arrive in commit
//!    order, so a node acknowledging the barrier has applied the write's notices before.
//! 2. A node that does not acknowledge is waited for until its lease, as read after `c`,
//!    runs out. That is enough: it renews only by a statement on its listening connection,
//!    and extends its lease only after applying what arrived with the answer. A renewal
//!    that starts after `c` therefore brings the write's notices along (PostgreSQL signals
//!    listeners before it confirms a commit, and sends a listener its pending notices before
//!    `ReadyForQuery`); one that started before `c` gave a lease ending before the one read.
//!    A node counts its lease from when it *sent* the renewal, never later than the database
//!    counted it.
//! 3. A node whose lease ran out, or whose listening connection broke, answers from the
//!    database only, and forgets its whole cache before it answers from it again (a renewal
//!    on a new connection forgets, whether or not the break was noticed). A read that was in
//!    flight meanwhile is not cached (the caches' generations).
//!
//! So a healthy cluster pays one round trip and an acknowledgement per revocation, and a node
//! that hangs or dies costs a revocation at most one lease ([`LEASE`]), never strictness.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgListener, PgNotification, PgPoolOptions};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::{SqlStore, backend};
use crate::store::StoreResult;
use crate::store::cached::{Caches, Coherence};

/// How long a renewal lets a node answer from its cache, by the database's clock.
pub const LEASE: Duration = Duration::from_secs(5);
/// How often a node renews its lease.
const RENEW_EVERY: Duration = Duration::from_secs(1);
/// Taken off the lease on the node's own clock, for clocks that run at slightly different
/// rates.
const CLOCK_MARGIN: Duration = Duration::from_millis(250);
/// The `application_name` of a node's listening connection.
pub const LISTENER_NAME: &str = "server-stub cache listener";
/// The channel of the database's change notices, and of barriers.
const CHANNEL: &str = "matrix_cache";

/// Where a node hears who acknowledged its barriers.
fn ack_channel(node_id: &str) -> String {
    format!("matrix_cache_ack_{node_id}")
}

/// This node's part in the cluster: the lease, the acknowledgements it waits for. Cheap to
/// clone; the listening task holds one.
#[derive(Clone)]
pub struct Cluster(Arc<Shared>);

struct Shared {
    node_id: String,
    store: SqlStore,
    caches: Arc<Caches>,
    /// When this node's lease runs out: nanoseconds after `epoch`.
    lease_until: AtomicU64,
    epoch: Instant,
    next_barrier: AtomicU64,
    /// The barriers this node waits on, and where to report who acknowledged them.
    waiting: Mutex<HashMap<u64, mpsc::UnboundedSender<String>>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node_id", &self.0.node_id)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Joins the cluster of the database at `url` (which `store` is open on): starts
    /// listening and takes a first lease. The future returned with the node keeps the
    /// lease renewed and the caches true until `stop` turns true, when the node leaves
    /// (others stop waiting for it); it is the caller's to spawn.
    pub async fn join(
        store: SqlStore,
        url: &str,
        caches: Arc<Caches>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> StoreResult<(
        Cluster,
        impl std::future::Future<Output = ()> + Send + 'static,
    )> {
        let node_id = crate::secrets::random_token(12).to_ascii_lowercase();
        let cluster = Cluster(Arc::new(Shared {
            node_id,
            store,
            caches,
            lease_until: AtomicU64::new(0),
            epoch: Instant::now(),
            next_barrier: AtomicU64::new(0),
            waiting: Mutex::new(HashMap::new()),
        }));
        // Nodes that died without leaving, long ago.
        sqlx::query("DELETE FROM cache_nodes WHERE lease_until < matrix_now_ms() - 3600000")
            .execute(&cluster.0.store.pool)
            .await
            .map_err(backend)?;
        // Named, so that an operator sees it in `pg_stat_activity` (and a test can cut it).
        let options = PgConnectOptions::from_str(url)
            .map_err(backend)?
            .application_name(LISTENER_NAME);
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_lazy_with(options);
        let mut listener = PgListener::connect_with(&pool).await.map_err(backend)?;
        listener
            .listen_all([CHANNEL, ack_channel(&cluster.0.node_id).as_str()])
            .await
            .map_err(backend)?;
        cluster.renew(&mut listener).await?;
        let listening = cluster.clone().listen(listener, stop);
        Ok((cluster, listening))
    }

    fn now(&self) -> u64 {
        u64::try_from(self.0.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn waiting(&self) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::UnboundedSender<String>>> {
        self.0
            .waiting
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Applies notices and acknowledges barriers until `stop`; renews the lease between.
    async fn listen(self, mut listener: PgListener, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut next_renewal = Instant::now() + RENEW_EVERY;
        loop {
            let received = tokio::select! {
                _ = stop.changed() => break,
                // `try_recv` is cancel-safe (sqlx 0.8): a notice half-read is not lost.
                received = tokio::time::timeout_at(next_renewal, listener.try_recv()) => received,
            };
            match received {
                Ok(Ok(Some(notice))) => {
                    if let Err(error) = self.apply(&mut listener, &notice).await {
                        tracing::warn!(%error, "cache notice");
                    }
                }
                // The connection broke (it reconnects by itself): notices may be lost.
                Ok(Ok(None)) => self.lost_notices(&mut next_renewal),
                Ok(Err(error)) => {
                    tracing::warn!(%error, "listening for cache notices");
                    self.lost_notices(&mut next_renewal);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(_) => {
                    next_renewal = Instant::now() + RENEW_EVERY;
                    if let Err(error) = self.renew(&mut listener).await {
                        tracing::warn!(%error, "cache lease not renewed");
                    }
                }
            }
        }
        // Requests still draining read the database: then no one needs to wait for this node.
        self.0.lease_until.store(0, Ordering::SeqCst);
        let leave = sqlx::query("DELETE FROM cache_nodes WHERE node_id = $1")
            .bind(&self.0.node_id)
            .execute(&self.0.store.pool)
            .await;
        if let Err(error) = leave {
            tracing::warn!(%error, "leaving the cache cluster");
        }
    }

    /// Stops answering from the cache until the next renewal (now), which forgets it.
    fn lost_notices(&self, next_renewal: &mut Instant) {
        tracing::warn!("cache notices interrupted; answering from the database");
        self.0.lease_until.store(0, Ordering::SeqCst);
        *next_renewal = Instant::now();
    }

    /// Renews the lease, over the listening connection.
    async fn renew(&self, listener: &mut PgListener) -> StoreResult<()> {
        let sent = self.now();
        // The listening connection marks itself (a session setting): one without the mark
        // is a new one, and notices may have been lost while the old one died. sqlx
        // reconnects by itself, and a reconnection can happen inside a `try_recv` that the
        // renewal timer cancels, so the mark, not a reported loss, is what tells.
        let (same_connection,): (bool,) = sqlx::query_as(
            "INSERT INTO cache_nodes (node_id, lease_until) VALUES ($1, matrix_now_ms() + $2) \
             ON CONFLICT (node_id) DO UPDATE SET lease_until = excluded.lease_until \
             RETURNING coalesce(current_setting('matrix_cache.listener', true), '') = $1",
        )
        .bind(&self.0.node_id)
        .bind(i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX))
        .fetch_one(&mut *listener)
        .await
        .map_err(backend)?;
        // What came with the answer is applied before the lease is extended (step 2 above).
        while let Some(notice) = listener.next_buffered() {
            self.apply(listener, &notice).await?;
        }
        if !same_connection {
            sqlx::query("SELECT set_config('matrix_cache.listener', $1, false)")
                .bind(&self.0.node_id)
                .execute(&mut *listener)
                .await
                .map_err(backend)?;
        }
        if !same_connection || self.0.lease_until.load(Ordering::SeqCst) <= sent {
            // A new connection, or a lease that ran out: what is cached may have missed
            // notices.
            self.0.caches.forget_everything();
        }
        let lease = u64::try_from((LEASE - CLOCK_MARGIN).as_nanos()).unwrap_or(u64::MAX);
        self.0
            .lease_until
            .store(sent.saturating_add(lease), Ordering::SeqCst);
        Ok(())
    }

    /// Applies one notice: forgets what changed, acknowledges a barrier, or hands on an
    /// acknowledgement of this node's barrier.
    async fn apply(&self, listener: &mut PgListener, notice: &PgNotification) -> StoreResult<()> {
        let payload = notice.payload();
        if notice.channel() != CHANNEL {
            if let Some((barrier, node)) = payload.split_once(' ') {
                let waiter = barrier
                    .parse()
                    .ok()
                    .and_then(|barrier| self.waiting().get(&barrier).cloned());
                if let Some(waiter) = waiter {
                    let _ = waiter.send(node.to_owned());
                }
            }
            return Ok(());
        }
        let (kind, what) = payload.split_once(' ').unwrap_or((payload, ""));
        let caches = &self.0.caches;
        match kind {
            "access" => caches.forget_access_token(what),
            "account" => caches.forget_account_token(what),
            "threepids" => caches.forget_threepids(what),
            "barrier" => {
                let Some((origin, barrier)) = what.split_once(' ') else {
                    return Ok(());
                };
                if origin != self.0.node_id {
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(ack_channel(origin))
                        .bind(format!("{barrier} {}", self.0.node_id))
                        .execute(&mut *listener)
                        .await
                        .map_err(backend)?;
                }
            }
            // A notice of a newer version of this server: forget everything to be safe.
            _ => caches.forget_everything(),
        }
        Ok(())
    }

    /// Steps 1 and 2 above.
    async fn barrier(&self) -> StoreResult<()> {
        let pool = &self.0.store.pool;
        let live: Vec<(String, i64)> = sqlx::query_as(
            "SELECT node_id, lease_until - matrix_now_ms() FROM cache_nodes \
             WHERE node_id <> $1 AND lease_until > matrix_now_ms()",
        )
        .bind(&self.0.node_id)
        .fetch_all(pool)
        .await
        .map_err(backend)?;
        if live.is_empty() {
            return Ok(());
        }
        let start = Instant::now();
        let mut unacknowledged: HashMap<String, Instant> = live
            .into_iter()
            .map(|(node, left_ms)| {
                let left = Duration::from_millis(u64::try_from(left_ms).unwrap_or(0));
                (node, start + left.min(LEASE))
            })
            .collect();
        let barrier = self.0.next_barrier.fetch_add(1, Ordering::Relaxed);
        let (sender, mut acks) = mpsc::unbounded_channel();
        self.waiting().insert(barrier, sender);
        let _unregister = Unregister(self, barrier);
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(format!("barrier {} {barrier}", self.0.node_id))
            .execute(pool)
            .await
            .map_err(backend)?;
        while let Some(deadline) = unacknowledged.values().min().copied() {
            match tokio::time::timeout_at(deadline, acks.recv()).await {
                Ok(Some(node)) => {
                    unacknowledged.remove(&node);
                }
                // Every node still unacknowledged by its deadline: its lease ran out.
                Ok(None) | Err(_) => unacknowledged.retain(|_, until| *until > Instant::now()),
            }
        }
        Ok(())
    }
}

/// Stops routing a barrier's acknowledgements when its wait ends, however it ends.
struct Unregister<'a>(&'a Cluster, u64);

impl Drop for Unregister<'_> {
    fn drop(&mut self) {
        self.0.waiting().remove(&self.1);
    }
}

impl Coherence for Cluster {
    fn cache_usable(&self) -> bool {
        self.now() < self.0.lease_until.load(Ordering::SeqCst)
    }

    async fn stale_elsewhere(&self) {
        if let Err(error) = self.barrier().await {
            // Without the answers, wait as for nodes that do not answer: a whole lease.
            tracing::warn!(%error, "cache barrier failed; waiting out the lease");
            tokio::time::sleep(LEASE).await;
        }
    }
}
