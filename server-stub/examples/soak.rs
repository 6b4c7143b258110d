//! The load of the soak benchmark (`tests/bench/soak.sh`), through the generated client:
//! `WORKERS` users each repeat a 3pid read, an OpenID token request and a token refresh (which
//! replaces their tokens) until `REQUESTS` requests in all have been answered, while one more
//! task logs in as often as hashing allows. Every answer must be the operation's documented
//! success; anything else is counted and the first few printed.
//!
//! Usage: `soak URL REQUESTS WORKERS NAME` (URL: the homeserver, e.g.
//! `http://127.0.0.1:18008`; NAME: the users' name prefix, new for each run on one server).
//! Prints one line: `requests logins failures seconds`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use matrix_api::client_server::{
    Client, Credential, GetAccount3pidsRequest, GetAccount3pidsResponse, LoginRequest,
    LoginResponse, RefreshRequest, RefreshResponse, RegisterRequest, RegisterResponse,
    RequestOpenIdTokenRequest, RequestOpenIdTokenResponse,
};
use matrix_api::outgoing::BaseUrl;
use matrix_api::types::{RefreshBody, RegisterKind, RegisterOkBody};

/// What all tasks count.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    logins: AtomicU64,
    failures: AtomicU64,
    done: AtomicBool,
}

impl Tally {
    /// Counts one answer; `false` once the budget of requests is spent.
    fn answered(&self, budget: u64) -> bool {
        let n = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= budget {
            self.done.store(true, Ordering::Relaxed);
        }
        !self.done.load(Ordering::Relaxed)
    }

    fn failed(&self, what: &str, answer: impl std::fmt::Debug) {
        if self.failures.fetch_add(1, Ordering::Relaxed) < 5 {
            eprintln!("{what}: {answer:?}");
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args: Vec<String> = std::env::args().collect();
    let [_, url, requests, workers, name] = args.as_slice() else {
        anyhow::bail!("usage: soak URL REQUESTS WORKERS NAME");
    };
    let budget: u64 = requests.parse()?;
    let workers: usize = workers.parse()?;
    let endpoint = BaseUrl::new(url.as_str()).with_variable("CLIENT_MAJOR_VERSION", "v3");
    let http = reqwest::Client::new();
    let tally = Arc::new(Tally::default());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let client = Client::with_http(http.clone(), endpoint.clone());
        tasks.push(tokio::spawn(session(
            client,
            format!("{name}{worker}"),
            tally.clone(),
            budget,
        )));
    }
    let client = Client::with_http(http.clone(), endpoint.clone());
    tasks.push(tokio::spawn(log_in_repeatedly(
        client,
        format!("{name}login"),
        tally.clone(),
        budget,
    )));
    for task in tasks {
        task.await??;
    }
    println!(
        "{} {} {} {:.1}",
        tally.requests.load(Ordering::Relaxed),
        tally.logins.load(Ordering::Relaxed),
        tally.failures.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Registers `username` with the password `pw`.
async fn register(
    client: &Client<reqwest::Client>,
    username: &str,
) -> anyhow::Result<RegisterOkBody> {
    let register = RegisterRequest {
        kind: RegisterKind::User,
        body: serde_json::from_value(serde_json::json!({
            "username": username, "password": "pw", "auth": {"type": "m.login.dummy"}
        }))?,
    };
    match client.register(&register).await? {
        RegisterResponse::Ok(registered) => Ok(registered),
        other => anyhow::bail!("{username} could not register: {other:?}"),
    }
}

/// Registers `username`, then reads, asks for OpenID tokens and refreshes until the budget
/// is spent.
async fn session(
    mut client: Client<reqwest::Client>,
    username: String,
    tally: Arc<Tally>,
    budget: u64,
) -> anyhow::Result<()> {
    let registered = register(&client, &username).await?;
    let user_id = registered
        .user_id
        .ok_or_else(|| anyhow::anyhow!("the registration answered no user ID"))?;
    let mut refresh_token = registered.refresh_token.unwrap_or_default();
    client.set_credential(registered.access_token.map(Credential::AccessToken));
    loop {
        match client.get_account_3pids(&GetAccount3pidsRequest {}).await {
            Ok(GetAccount3pidsResponse::Ok(_)) => {}
            other => tally.failed("3pid read", other),
        }
        if !tally.answered(budget) {
            return Ok(());
        }
        let openid = RequestOpenIdTokenRequest {
            user_id: user_id.clone(),
            body: serde_json::Map::new(),
        };
        match client.request_open_id_token(&openid).await {
            Ok(RequestOpenIdTokenResponse::Ok(_)) => {}
            other => tally.failed("OpenID token", other),
        }
        if !tally.answered(budget) {
            return Ok(());
        }
        let refresh = RefreshRequest {
            body: RefreshBody::new(refresh_token.clone()),
        };
        match client.refresh(&refresh).await {
            Ok(RefreshResponse::Ok(pair)) => {
                refresh_token = pair.refresh_token.unwrap_or_default();
                client.set_credential(pair.access_token.map(Credential::AccessToken));
            }
            other => {
                tally.failed("refresh", other);
                anyhow::bail!("{username} lost its session");
            }
        }
        if !tally.answered(budget) {
            return Ok(());
        }
    }
}

/// Logs in as a user of its own, over and over: each login is a session that lives on.
async fn log_in_repeatedly(
    client: Client<reqwest::Client>,
    username: String,
    tally: Arc<Tally>,
    budget: u64,
) -> anyhow::Result<()> {
    register(&client, &username).await?;
    let login = LoginRequest {
        body: serde_json::from_value(serde_json::json!({
            "type": "m.login.password", "user": username, "password": "pw"
        }))?,
    };
    loop {
        match client.login(&login).await {
            Ok(LoginResponse::Ok(_)) => {
                tally.logins.fetch_add(1, Ordering::Relaxed);
            }
            other => tally.failed("login", other),
        }
        if !tally.answered(budget) {
            return Ok(());
        }
    }
}
