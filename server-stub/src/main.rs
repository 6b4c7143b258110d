//! `server-stub serve` and `server-stub login-token`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use server_stub::app::defaults;
use server_stub::identity::email::EmailTemplates;
use server_stub::identity::terms::Terms;
use server_stub::mail::{SMTP_PASSWORD_VAR, SMTP_USERNAME_VAR, SmtpRelay};
use server_stub::ratelimit::RateLimit;
use server_stub::remote::HomeserverTls;
use server_stub::serve::Limits;
use server_stub::{Database, Settings};

/// A Matrix homeserver and identity server implementing the generated matrix-api traits.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the homeserver and the identity server (one process, two listeners).
    Serve(Box<ServeArgs>),
    /// Print a single-use `m.login.token` for USER_ID, valid for two minutes.
    LoginToken {
        /// The user, e.g. @alice:localhost.
        user_id: String,
        /// The database the server uses: `sqlite:PATH` or `postgres://...`.
        #[arg(
            long,
            env = "SERVER_STUB_DB",
            default_value = "sqlite:./server-stub.db"
        )]
        db: Database,
    },
    /// Replace the identity server's lookup pepper with a new random one, rehashing every
    /// association: clients then get 400 `M_INVALID_PEPPER` with the new pepper and retry.
    RotateLookupPepper {
        /// The database the server uses: `sqlite:PATH` or `postgres://...`.
        #[arg(
            long,
            env = "SERVER_STUB_DB",
            default_value = "sqlite:./server-stub.db"
        )]
        db: Database,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Where data lives: `memory`, `sqlite:PATH` (created on first start), or
    /// `postgres://USER@HOST/DB` (shared by several server processes).
    #[arg(
        long,
        env = "SERVER_STUB_DB",
        default_value = "sqlite:./server-stub.db"
    )]
    db: Database,
    /// The homeserver's (client-server API) address.
    #[arg(
        long,
        env = "SERVER_STUB_CLIENT_LISTEN",
        default_value = "127.0.0.1:8008"
    )]
    client_listen: SocketAddr,
    /// The identity server's address.
    #[arg(
        long,
        env = "SERVER_STUB_IDENTITY_LISTEN",
        default_value = "127.0.0.1:8090"
    )]
    identity_listen: SocketAddr,
    /// Run only the identity server.
    #[arg(long, conflicts_with = "no_identity_server")]
    no_homeserver: bool,
    /// Run only the homeserver.
    #[arg(long)]
    no_identity_server: bool,
    /// The homeserver's name: user ids are @localpart:NAME.
    #[arg(long, env = "SERVER_STUB_SERVER_NAME", default_value = "localhost")]
    server_name: matrix_api::types::ServerName,
    /// Directory the identity server writes emails to, one RFC 5322 file each.
    #[arg(long, env = "SERVER_STUB_OUTBOX", default_value = "./outbox")]
    outbox: PathBuf,
    /// Send emails through this SMTP relay instead: `smtps://HOST[:PORT]` (TLS, port 465),
    /// `smtp://HOST[:PORT]` (STARTTLS required, port 587), `smtp://...?tls=opportunistic`,
    /// or `smtp://...?tls=none` (plaintext, port 25). The login, if the relay wants one,
    /// comes from SERVER_STUB_SMTP_USERNAME and SERVER_STUB_SMTP_PASSWORD.
    #[arg(long, env = "SERVER_STUB_SMTP")]
    smtp: Option<SmtpRelay>,
    /// PEM certificates to trust for the SMTP relay besides the system's (an internal CA).
    #[arg(long, env = "SERVER_STUB_SMTP_CA_FILE", requires = "smtp")]
    smtp_ca_file: Option<PathBuf>,
    /// The identity server's terms of service: a file in Sydent's `terms.yaml` layout
    /// (`master_version`, `docs: {POLICY: {version, langs: {LANG: {name, url}}}}`). Without
    /// one there are no terms to agree to.
    #[arg(long, env = "SERVER_STUB_TERMS")]
    terms: Option<PathBuf>,
    /// A directory with the identity server's email templates, in Sydent's format: whole
    /// RFC 5322 messages rendered by Jinja2, `verification_template.eml.j2` and
    /// `invite_template.eml.j2`. Without one, built-in templates are used.
    #[arg(long, env = "SERVER_STUB_EMAIL_TEMPLATES")]
    email_templates: Option<PathBuf>,
    /// The `From:` of the identity server's emails (`Name <address>` or an address); by
    /// default `Matrix identity server <noreply@SERVER_NAME>`.
    #[arg(long, env = "SERVER_STUB_EMAIL_FROM")]
    email_from: Option<String>,
    /// Where invitation emails send people to join (a template's `web_client_location`).
    #[arg(long, env = "SERVER_STUB_WEB_CLIENT_LOCATION", default_value = defaults::WEB_CLIENT_LOCATION)]
    web_client_location: String,
    /// How long an invitation to a 3pid waits for the address to be bound, in seconds:
    /// 1 to 31536000. Expired invitations and their ephemeral keys are purged.
    #[arg(
        long,
        env = "SERVER_STUB_INVITE_LIFETIME",
        default_value_t = defaults::INVITE_LIFETIME.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=YEAR_SECS)
    )]
    invite_lifetime_secs: u64,
    /// The most addresses one identity lookup may ask about: 1 to 100000.
    #[arg(long, env = "SERVER_STUB_MAX_LOOKUP_ADDRESSES", default_value_t = defaults::MAX_LOOKUP_ADDRESSES as u64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    max_lookup_addresses: u64,
    /// PEM certificates the identity server trusts for homeservers (OpenID and invitation
    /// calls) besides the system's roots: a private CA.
    #[arg(long, env = "SERVER_STUB_HOMESERVER_CA_FILE")]
    homeserver_ca_file: Option<PathBuf>,
    /// For test deployments only: do not check homeservers' certificates at all (Sydent's
    /// `federation.verifycerts = False`). Logged as a warning at every start.
    #[arg(
        long,
        env = "SERVER_STUB_INSECURE_HOMESERVER_TLS",
        conflicts_with = "homeserver_ca_file"
    )]
    insecure_homeserver_tls: bool,
    /// Switch rate limiting off.
    #[arg(long, env = "SERVER_STUB_NO_RATE_LIMIT")]
    no_rate_limit: bool,
    /// Requests a client may make per second on a limited endpoint class, sustained
    /// (above 0; `--no-rate-limit` switches limits off).
    #[arg(long, env = "SERVER_STUB_RATE_LIMIT_PER_SECOND", default_value_t = 1.0, value_parser = positive_rate)]
    rate_limit_per_second: f64,
    /// Requests a client may make at once on a limited endpoint class (at least 1).
    #[arg(long, env = "SERVER_STUB_RATE_LIMIT_BURST", default_value_t = 10.0, value_parser = burst)]
    rate_limit_burst: f64,
    /// A reverse proxy (CIDR, e.g. 10.0.0.0/8 or ::1/128) whose `X-Forwarded-For` header
    /// names the client; repeat for several. Without one the header is ignored: anyone can
    /// write it.
    #[arg(
        long = "trusted-proxy",
        env = "SERVER_STUB_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Allow `kind=guest` registrations.
    #[arg(long, env = "SERVER_STUB_ALLOW_GUESTS")]
    allow_guests: bool,
    /// Trust an identity server: HOST:PORT=URL (the co-hosted one is trusted anyway).
    #[arg(long = "trusted-identity-server", value_parser = parse_mapping)]
    trusted_identity_servers: Vec<(String, String)>,
    /// Trust a homeserver: NAME=URL, called even on a private address (the co-hosted one
    /// is trusted anyway).
    #[arg(long = "trusted-homeserver", value_parser = parse_mapping)]
    trusted_homeservers: Vec<(String, String)>,
    /// Where clients reach the identity server (for links in emails).
    #[arg(long, env = "SERVER_STUB_IDENTITY_PUBLIC_URL")]
    identity_public_url: Option<String>,
    /// Lifetime of access tokens, in seconds (refresh tokens renew them): 1 to 31536000.
    #[arg(
        long,
        env = "SERVER_STUB_ACCESS_TOKEN_LIFETIME",
        default_value_t = defaults::ACCESS_TOKEN_LIFETIME.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=YEAR_SECS)
    )]
    access_token_lifetime_secs: u64,
    /// Lifetime of identity-server account tokens, in seconds: 1 to 31536000 (a client
    /// registers again with a fresh OpenID token).
    #[arg(
        long,
        env = "SERVER_STUB_IDENTITY_ACCOUNT_TOKEN_LIFETIME",
        default_value_t = defaults::IDENTITY_ACCOUNT_TOKEN_LIFETIME.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=YEAR_SECS)
    )]
    identity_account_token_lifetime_secs: u64,
    /// Lifetime of OpenID tokens, in seconds: 1 to 86400.
    #[arg(
        long,
        env = "SERVER_STUB_OPENID_TOKEN_LIFETIME",
        default_value_t = defaults::OPENID_TOKEN_LIFETIME.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=24 * 60 * 60)
    )]
    openid_token_lifetime_secs: u64,
    /// How often expired sessions and tokens are deleted, in seconds: 1 to 86400. Each purge
    /// logs the rows the store holds.
    #[arg(
        long,
        env = "SERVER_STUB_PURGE_INTERVAL",
        default_value_t = defaults::PURGE_INTERVAL.as_secs(),
        value_parser = clap::value_parser!(u64).range(1..=24 * 60 * 60)
    )]
    purge_interval_secs: u64,
    /// Seconds a client has to send a request's header, from connecting or from the end
    /// of the previous response; then the connection is closed. 1 to 3600.
    #[arg(long, env = "SERVER_STUB_HEADER_TIMEOUT_SECS", default_value_t = Limits::default().header_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    header_timeout_secs: u64,
    /// Seconds a request body may stall between two of its pieces; then the request fails.
    /// 1 to 3600.
    #[arg(long, env = "SERVER_STUB_BODY_TIMEOUT_SECS", default_value_t = Limits::default().body_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    body_timeout_secs: u64,
    /// Seconds a whole request may take, handler included; then the client gets 408 `M_UNKNOWN`.
    /// 1 to 3600.
    #[arg(long, env = "SERVER_STUB_REQUEST_TIMEOUT_SECS", default_value_t = Limits::default().request_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(1..=3600))]
    request_timeout_secs: u64,
    /// Connections served at once, per listener; more wait to be accepted. 1 to 1000000.
    #[arg(long, env = "SERVER_STUB_MAX_CONNECTIONS", default_value_t = Limits::default().max_connections as u64, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_connections: u64,
    /// Seconds a shutdown (SIGTERM, Ctrl-C) lets requests in flight finish before it
    /// closes their connections and exits. 0 to 300.
    #[arg(long, env = "SERVER_STUB_SHUTDOWN_DRAIN_SECS", default_value_t = Limits::default().drain_timeout.as_secs(), value_parser = clap::value_parser!(u64).range(0..=300))]
    shutdown_drain_secs: u64,
}

const YEAR_SECS: u64 = 365 * 24 * 60 * 60;

/// A sustained rate: a finite number above 0 (and at most a million a second).
fn positive_rate(value: &str) -> Result<f64, String> {
    let rate: f64 = value.parse().map_err(|e| format!("{e}"))?;
    if rate.is_finite() && rate > 0.0 && rate <= 1e6 {
        Ok(rate)
    } else {
        Err(format!(
            "{value} is not a rate above 0 and at most 1000000 (use --no-rate-limit to switch limits off)"
        ))
    }
}

/// A burst: a finite number from 1 (one request) to a million.
fn burst(value: &str) -> Result<f64, String> {
    let burst: f64 = value.parse().map_err(|e| format!("{e}"))?;
    if burst.is_finite() && (1.0..=1e6).contains(&burst) {
        Ok(burst)
    } else {
        Err(format!("{value} is not a burst from 1 to 1000000"))
    }
}

fn parse_mapping(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .ok_or_else(|| format!("expected KEY=URL, got {value:?}"))
}

impl ServeArgs {
    fn settings(self) -> anyhow::Result<Settings> {
        let mut settings = Settings::new(self.db, self.outbox);
        settings.client_listen = (!self.no_homeserver).then_some(self.client_listen);
        settings.identity_listen = (!self.no_identity_server).then_some(self.identity_listen);
        settings.server_name = self.server_name;
        settings.smtp = self
            .smtp
            .map(|relay| logged_in_and_trusting(relay, self.smtp_ca_file))
            .transpose()?;
        settings.rate_limit = (!self.no_rate_limit).then_some(RateLimit {
            per_second: self.rate_limit_per_second,
            burst: self.rate_limit_burst,
        });
        settings.trusted_proxies = self.trusted_proxies;
        settings.allow_guests = self.allow_guests;
        settings.trusted_identity_servers = self
            .trusted_identity_servers
            .into_iter()
            .collect::<BTreeMap<_, _>>();
        settings.trusted_homeservers = self.trusted_homeservers.into_iter().collect();
        settings.identity_public_url = self.identity_public_url;
        settings.access_token_lifetime = Duration::from_secs(self.access_token_lifetime_secs);
        settings.identity_account_token_lifetime =
            Duration::from_secs(self.identity_account_token_lifetime_secs);
        settings.openid_token_lifetime = Duration::from_secs(self.openid_token_lifetime_secs);
        settings.purge_interval = Duration::from_secs(self.purge_interval_secs);
        if let Some(path) = &self.terms {
            settings.terms =
                Terms::load(path).map_err(|error| anyhow::anyhow!("--terms: {error}"))?;
        }
        if let Some(dir) = &self.email_templates {
            settings.email_templates = EmailTemplates::load(dir)
                .map_err(|error| anyhow::anyhow!("--email-templates: {error}"))?;
        }
        if let Some(from) = &self.email_from {
            from.parse::<lettre::message::Mailbox>()
                .map_err(|error| anyhow::anyhow!("--email-from {from:?}: {error}"))?;
        }
        settings.email_from = self.email_from;
        settings.web_client_location = self.web_client_location;
        settings.invite_lifetime = Duration::from_secs(self.invite_lifetime_secs);
        settings.max_lookup_addresses =
            usize::try_from(self.max_lookup_addresses).unwrap_or(usize::MAX);
        if let Some(path) = &self.homeserver_ca_file {
            settings.homeserver_tls = std::fs::read(path)
                .map_err(|error| error.to_string())
                .and_then(|pem| HomeserverTls::verified().trusting(&pem))
                .map_err(|error| {
                    anyhow::anyhow!("--homeserver-ca-file {}: {error}", path.display())
                })?;
        }
        settings.homeserver_tls.verify_certificates = !self.insecure_homeserver_tls;
        settings.limits = Limits {
            header_timeout: Duration::from_secs(self.header_timeout_secs),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            drain_timeout: Duration::from_secs(self.shutdown_drain_secs),
        };
        Ok(settings)
    }
}

/// `relay` with the login from the environment and the certificates of `ca_file`.
fn logged_in_and_trusting(relay: SmtpRelay, ca_file: Option<PathBuf>) -> anyhow::Result<SmtpRelay> {
    let variable = |name| {
        std::env::var(name)
            .ok()
            .filter(|value: &String| !value.is_empty())
    };
    let mut relay = match (variable(SMTP_USERNAME_VAR), variable(SMTP_PASSWORD_VAR)) {
        (Some(username), Some(password)) => relay
            .with_login(username, password)
            .map_err(|error| anyhow::anyhow!("--smtp: {error}"))?,
        (None, None) => relay,
        _ => anyhow::bail!(
            "--smtp: set both {SMTP_USERNAME_VAR} and {SMTP_PASSWORD_VAR}, or neither"
        ),
    };
    if let Some(path) = ca_file {
        relay = std::fs::read(&path)
            .map_err(|error| error.to_string())
            .and_then(|pem| relay.trusting(pem))
            .map_err(|error| anyhow::anyhow!("--smtp-ca-file {}: {error}", path.display()))?;
    }
    Ok(relay)
}

/// Resolves on Ctrl-C or SIGTERM. Made before the servers start, so that a signal that
/// comes as soon as they answer is not missed.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let interrupt = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
        #[cfg(not(unix))]
        let _ = interrupt.await;
    })
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let signal = shutdown_signal()?;
            let running = server_stub::start(args.settings()?).await?;
            signal.await;
            tracing::info!("shutting down");
            running.stop().await
        }
        Command::RotateLookupPepper { db } => {
            server_stub::app::rotate_lookup_pepper(&db).await?;
            eprintln!("the lookup pepper is replaced");
            Ok(())
        }
        Command::LoginToken { user_id, db } => {
            let token =
                server_stub::app::mint_login_token(&db, &user_id, Duration::from_secs(120)).await?;
            println!("{token}");
            Ok(())
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=info,sqlx=warn".into()),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
