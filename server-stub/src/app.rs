//! Putting the servers together: storage, the generated routers with their
//! implementations, rate limits, request logs, listeners and shutdown.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower_http::trace::TraceLayer;

use crate::homeserver::{Homeserver, HomeserverConfig};
use crate::identity::email::EmailTemplates;
use crate::identity::terms::Terms;
use crate::identity::{IdentityConfig, IdentityServer};
use crate::mail::{Mailer, SmtpRelay};
use crate::ratelimit::{RateLimit, RateLimiter};
use crate::remote::HomeserverTls;
use crate::serve::Limits;
use crate::store::cached::CachedStore;
use crate::store::memory::MemoryStore;
use crate::store::sql::SqlStore;
use crate::store::sql::cluster::Cluster;
use crate::store::{Census, HomeserverStore, IdentityStore};

/// Where the servers keep their data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// Nothing survives the process.
    Memory,
    /// `sqlite:PATH` (created on first start) or `postgres://...`, shared by any number of
    /// server processes.
    Sql(String),
}

impl FromStr for Database {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "memory" {
            Ok(Database::Memory)
        } else if ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|scheme| s.starts_with(scheme))
        {
            Ok(Database::Sql(s.to_owned()))
        } else {
            Err(format!(
                "unknown database {s:?}: use `memory`, `sqlite:PATH` or `postgres://...`"
            ))
        }
    }
}

/// Everything the servers are configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: Database,
    /// The homeserver's address; `None` runs no homeserver.
    pub client_listen: Option<SocketAddr>,
    /// The identity server's address; `None` runs no identity server.
    pub identity_listen: Option<SocketAddr>,
    pub server_name: matrix_api::types::ServerName,
    pub outbox: PathBuf,
    pub smtp: Option<SmtpRelay>,
    /// `None` switches rate limiting off.
    pub rate_limit: Option<RateLimit>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (rate limits key on it).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub allow_guests: bool,
    /// `host[:port]` → base URL. The co-hosted identity server is added by `start`.
    pub trusted_identity_servers: BTreeMap<String, String>,
    /// Server name → base URL. The co-hosted homeserver is added by `start`.
    pub trusted_homeservers: BTreeMap<String, String>,
    /// Where clients reach the identity server; by default its listening address.
    pub identity_public_url: Option<String>,
    pub access_token_lifetime: Duration,
    pub uia_session_lifetime: Duration,
    pub validation_session_lifetime: Duration,
    pub openid_token_lifetime: Duration,
    /// How long an identity-server account token is valid.
    pub identity_account_token_lifetime: Duration,
    /// How often the janitor deletes what has expired.
    pub purge_interval: Duration,
    /// Timeouts, the connection cap and the shutdown's drain deadline.
    pub limits: Limits,
    /// The identity server's terms of service (none by default).
    pub terms: Terms,
    /// The identity server's email templates (built in by default).
    pub email_templates: EmailTemplates,
    /// The identity server's emails' `From:`; by default `noreply@` the server name.
    pub email_from: Option<String>,
    /// Where invitation emails send people (Sydent's `web_client_location`).
    pub web_client_location: String,
    /// How long an invitation to a 3pid (and its ephemeral key) is kept.
    pub invite_lifetime: Duration,
    /// The most addresses one identity lookup may ask about.
    pub max_lookup_addresses: usize,
    /// How the identity server's calls to homeservers check certificates.
    pub homeserver_tls: HomeserverTls,
}

/// Defaults that the command line and [`Settings::new`] share.
pub mod defaults {
    use std::time::Duration;

    pub const ACCESS_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
    pub const UIA_SESSION_LIFETIME: Duration = Duration::from_secs(48 * 60 * 60);
    pub const VALIDATION_SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
    pub const OPENID_TOKEN_LIFETIME: Duration = Duration::from_secs(60 * 60);
    pub const IDENTITY_ACCOUNT_TOKEN_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
    pub const PURGE_INTERVAL: Duration = Duration::from_secs(10 * 60);
    pub const INVITE_LIFETIME: Duration = Duration::from_secs(30 * 24 * 60 * 60);
    /// Sydent's limit on the addresses of one lookup.
    pub const MAX_LOOKUP_ADDRESSES: usize = 10_000;
    pub const WEB_CLIENT_LOCATION: &str = "https://app.element.io";
}

impl Settings {
    /// The defaults of the command line, on `database`, listening on ephemeral loopback
    /// ports.
    pub fn new(database: Database, outbox: PathBuf) -> Settings {
        Settings {
            database,
            client_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            identity_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
            server_name: matrix_api::types::ServerName::parse("localhost")
                .expect("`localhost` is a server name"),
            outbox,
            smtp: None,
            rate_limit: None,
            trusted_proxies: Vec::new(),
            allow_guests: false,
            trusted_identity_servers: BTreeMap::new(),
            trusted_homeservers: BTreeMap::new(),
            identity_public_url: None,
            access_token_lifetime: defaults::ACCESS_TOKEN_LIFETIME,
            uia_session_lifetime: defaults::UIA_SESSION_LIFETIME,
            validation_session_lifetime: defaults::VALIDATION_SESSION_LIFETIME,
            openid_token_lifetime: defaults::OPENID_TOKEN_LIFETIME,
            identity_account_token_lifetime: defaults::IDENTITY_ACCOUNT_TOKEN_LIFETIME,
            purge_interval: defaults::PURGE_INTERVAL,
            limits: Limits::default(),
            terms: Terms::default(),
            email_templates: EmailTemplates::default(),
            email_from: None,
            web_client_location: defaults::WEB_CLIENT_LOCATION.to_owned(),
            invite_lifetime: defaults::INVITE_LIFETIME,
            max_lookup_addresses: defaults::MAX_LOOKUP_ADDRESSES,
            homeserver_tls: HomeserverTls::verified(),
        }
    }
}

/// The servers, running.
pub struct Running {
    pub client_addr: Option<SocketAddr>,
    pub identity_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish (within the drain deadline), and
    /// returns.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.await??;
        }
        Ok(())
    }
}

/// Opens the store and starts the servers.
pub async fn start(settings: Settings) -> anyhow::Result<Running> {
    let stop = watch::channel(false);
    match &settings.database {
        Database::Memory => {
            let store = Arc::new(MemoryStore::new());
            start_with(store, settings, stop, Vec::new()).await
        }
        // SQLite is this process's alone, so reads may be cached as they are.
        Database::Sql(url) if url.starts_with("sqlite:") => {
            let store = Arc::new(CachedStore::new(SqlStore::open(url).await?));
            start_with(store, settings, stop, Vec::new()).await
        }
        // PostgreSQL is shared by several nodes: each caches as the cluster lets it.
        Database::Sql(url) => {
            let store = SqlStore::open(url).await?;
            let caches = Arc::default();
            let (cluster, listening) =
                Cluster::join(store.clone(), url, Arc::clone(&caches), stop.1.clone()).await?;
            let listening = tokio::spawn(async move {
                listening.await;
                Ok(())
            });
            let store = Arc::new(CachedStore::coherent_by(store, caches, cluster));
            start_with(store, settings, stop, vec![listening]).await
        }
    }
}

/// Trust keys for a co-hosted server at `addr`: how clients may name it.
fn local_names(addr: SocketAddr) -> Vec<String> {
    let mut names = vec![addr.to_string()];
    if addr.ip().is_loopback() {
        names.push(format!("localhost:{}", addr.port()));
    }
    names
}

// Long because it wires the whole process (stores, servers, listeners, janitor) in the
// order they start.
async fn start_with<S: HomeserverStore + IdentityStore + Census>(
    store: Arc<S>,
    mut settings: Settings,
    (stop, stopped): (watch::Sender<bool>, watch::Receiver<bool>),
    mut tasks: Vec<JoinHandle<std::io::Result<()>>>,
) -> anyhow::Result<Running> {
    let client = match settings.client_listen {
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await?),
        None => None,
    };
    let identity = match settings.identity_listen {
        Some(addr) => Some(tokio::net::TcpListener::bind(addr).await?),
        None => None,
    };
    let client_addr = client.as_ref().map(|l| l.local_addr()).transpose()?;
    let identity_addr = identity.as_ref().map(|l| l.local_addr()).transpose()?;
    if let Some(addr) = identity_addr {
        for name in local_names(addr) {
            settings
                .trusted_identity_servers
                .entry(name)
                .or_insert_with(|| format!("http://{addr}"));
        }
    }
    if let Some(addr) = client_addr {
        settings
            .trusted_homeservers
            .entry(settings.server_name.to_string())
            .or_insert_with(|| format!("http://{addr}"));
    }
    let limiter = settings
        .rate_limit
        .map(|limit| Arc::new(RateLimiter::behind(limit, settings.trusted_proxies.clone())));
    let with_layers = |router: axum::Router| {
        let router = match &limiter {
            Some(limiter) => router.layer(axum::middleware::from_fn_with_state(
                limiter.clone(),
                crate::ratelimit::limit,
            )),
            None => router,
        };
        // Requests are logged by method and path: a query can hold secrets (the identity
        // API takes `client_secret` and `sid` there, OpenID takes `access_token`).
        router.layer(
            TraceLayer::new_for_http().make_span_with(|request: &http::Request<_>| {
                tracing::debug_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
    };

    let limits = settings.limits;
    tasks.push(tokio::spawn(purge_periodically(
        store.clone(),
        settings.clone(),
        stopped.clone(),
    )));
    let mut serve = |listener: tokio::net::TcpListener,
                     router: axum::Router,
                     name: &'static str| {
        tracing::info!(server = name, address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "listening");
        tasks.push(tokio::spawn(crate::serve::serve(
            listener,
            router,
            limits,
            stopped.clone(),
        )));
    };

    if let Some(listener) = client {
        let config = HomeserverConfig {
            server_name: settings.server_name.clone(),
            allow_guests: settings.allow_guests,
            access_token_lifetime: settings.access_token_lifetime,
            uia_session_lifetime: settings.uia_session_lifetime,
            openid_token_lifetime: settings.openid_token_lifetime,
            trusted_identity_servers: settings.trusted_identity_servers.clone(),
            limiter: limiter.clone(),
        };
        let homeserver = Arc::new(Homeserver::new(store.clone(), config));
        serve(
            listener,
            with_layers(matrix_api::client_server::router(homeserver)),
            "homeserver",
        );
    }
    if let (Some(listener), Some(addr)) = (identity, identity_addr) {
        let mailer = match &settings.smtp {
            Some(relay) => Mailer::smtp(relay)?,
            None => Mailer::outbox(settings.outbox.clone())?,
        };
        let config = IdentityConfig {
            server_name: settings.server_name.clone(),
            public_url: settings
                .identity_public_url
                .clone()
                .unwrap_or_else(|| format!("http://{addr}")),
            validation_session_lifetime: settings.validation_session_lifetime,
            account_token_lifetime: settings.identity_account_token_lifetime,
            trusted_homeservers: settings.trusted_homeservers.clone(),
            homeserver_tls: settings.homeserver_tls.clone(),
            terms: settings.terms.clone(),
            templates: settings.email_templates.clone(),
            email_from: settings.email_from.clone().unwrap_or_else(|| {
                format!("Matrix identity server <noreply@{}>", settings.server_name)
            }),
            web_client_location: settings.web_client_location.clone(),
            invite_lifetime: settings.invite_lifetime,
            max_lookup_addresses: settings.max_lookup_addresses,
            limiter: limiter.clone(),
        };
        if !settings.homeserver_tls.verify_certificates {
            tracing::warn!(
                "certificates of homeservers are NOT checked (OpenID and invitation calls): \
                 for test deployments only, anyone on the path can pose as any homeserver"
            );
        }
        let identity_server = Arc::new(IdentityServer::new(store.clone(), config, mailer).await?);
        serve(
            listener,
            with_layers(matrix_api::identity::router(identity_server)),
            "identity server",
        );
    }
    Ok(Running {
        client_addr,
        identity_addr,
        stop,
        tasks,
    })
}

/// How long an expired validation session is kept, so that it is still answered as expired
/// (`M_SESSION_EXPIRED`) rather than unknown for a while.
const EXPIRED_VALIDATION_SESSION_GRACE: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Every purge interval until the servers stop: deletes what has expired, gives freed memory
/// back, and logs the rows the store holds, so that growth shows.
async fn purge_periodically<S: HomeserverStore + IdentityStore + Census>(
    store: Arc<S>,
    settings: Settings,
    mut stopped: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let mut ticks = tokio::time::interval(settings.purge_interval);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return Ok(()),
        }
        let now = crate::clock::now_ms();
        let sessions_before =
            now.saturating_sub(crate::clock::millis(settings.uia_session_lifetime));
        let validations_before = now.saturating_sub(crate::clock::millis(
            settings.validation_session_lifetime + EXPIRED_VALIDATION_SESSION_GRACE,
        ));
        if let Err(error) = store.purge_expired(now, sessions_before).await {
            tracing::warn!(%error, "purging expired sessions failed");
        }
        if let Err(error) = store.purge_validation_sessions(validations_before).await {
            tracing::warn!(%error, "purging expired validation sessions failed");
        }
        if let Err(error) = store.purge_account_tokens(now).await {
            tracing::warn!(%error, "purging expired identity account tokens failed");
        }
        let invites_before = now.saturating_sub(crate::clock::millis(settings.invite_lifetime));
        if let Err(error) = store.purge_invites(invites_before).await {
            tracing::warn!(%error, "purging expired invitations failed");
        }
        crate::secrets::release_freed_memory();
        match store.table_sizes().await {
            Ok(sizes) => {
                let rows: Vec<String> = sizes.iter().map(|(t, n)| format!("{t}={n}")).collect();
                tracing::info!(rows = %rows.join(" "), "purged what has expired");
            }
            Err(error) => tracing::warn!(%error, "counting the store's rows failed"),
        }
    }
}

/// Mints a single-use login token in the database (the `login-token` command).
pub async fn mint_login_token(
    database: &Database,
    user_id: &str,
    lifetime: Duration,
) -> anyhow::Result<String> {
    match database {
        Database::Memory => anyhow::bail!(
            "a login token in a memory database would die with this command; use sqlite:PATH or postgres://..."
        ),
        Database::Sql(url) => {
            let store = SqlStore::open(url).await?;
            crate::homeserver::mint_login_token(&store, user_id, lifetime).await
        }
    }
}

/// Replaces the identity server's lookup pepper with a random one, rehashing every
/// association (`server-stub rotate-lookup-pepper`).
pub async fn rotate_lookup_pepper(database: &Database) -> anyhow::Result<()> {
    match database {
        Database::Memory => anyhow::bail!("a memory database has no pepper to rotate"),
        Database::Sql(url) => {
            let store = SqlStore::open(url).await?;
            store
                .replace_lookup_pepper(&crate::secrets::random_token(32))
                .await?;
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Database;

    #[test]
    fn databases_are_named_by_url() {
        assert_eq!("memory".parse(), Ok(Database::Memory));
        for url in [
            "sqlite:./a.db",
            "postgres://u@h/db",
            "postgresql://u@h:5433/db",
        ] {
            assert_eq!(url.parse(), Ok(Database::Sql(url.into())));
        }
        for bad in ["mysql://x", "", "sqlite"] {
            assert!(bad.parse::<Database>().unwrap_err().contains("postgres://"));
        }
    }
}
