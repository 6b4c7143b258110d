//! What the server tests share: starting servers on every backend, and speaking to them.

#![allow(dead_code)]

use std::path::Path;

use matrix_api::client_server;
use matrix_api::outgoing::{Endpoint, RequestError, ResponseError, send};
use matrix_api::types::{MatrixError, RefreshBody, RegisterKind};
use serde_json::{Value, json};
use server_stub::{Database, Running, Settings};

#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Memory,
    Sqlite,
    Postgres,
}

/// Whether the PostgreSQL tests can run: `TEST_POSTGRES_URL` names an admin connection
/// (`.ci/start-postgres.sh` starts one). Outside CI they are skipped, with a message.
pub fn postgres_available() -> bool {
    if std::env::var_os("TEST_POSTGRES_URL").is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must provide PostgreSQL: TEST_POSTGRES_URL is not set (see .ci/start-postgres.sh)"
    );
    eprintln!(
        "skipped: no PostgreSQL; set TEST_POSTGRES_URL, e.g. eval \"$(bash .ci/start-postgres.sh)\""
    );
    false
}

/// A new, empty database on the test PostgreSQL: its URL.
pub async fn fresh_postgres_database() -> String {
    let admin = std::env::var("TEST_POSTGRES_URL").expect("checked by postgres_available");
    let name = format!(
        "test_{}",
        server_stub::secrets::random_token(16).to_lowercase()
    );
    sqlx::any::install_default_drivers();
    let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').expect("a URL with a database");
    format!("{base}/{name}")
}

pub struct Server {
    pub running: Option<Running>,
    pub cs: String,
    pub id: String,
    pub id_server: String,
    pub outbox: tempfile::TempDir,
    pub data: tempfile::TempDir,
    pub settings: Settings,
    pub http: reqwest::Client,
}

pub async fn database(backend: Backend, dir: &Path) -> Database {
    match backend {
        Backend::Memory => Database::Memory,
        Backend::Sqlite => Database::Sql(format!("sqlite:{}", dir.join("server.db").display())),
        Backend::Postgres => Database::Sql(fresh_postgres_database().await),
    }
}

pub async fn server(backend: Backend) -> Server {
    server_with(backend, |_| {}).await
}

pub async fn server_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> Server {
    let data = tempfile::tempdir().unwrap();
    let database = database(backend, data.path()).await;
    start_on(database, data, tweak).await
}

/// A homeserver and identity server on `database`; `data` is the directory kept for it.
pub async fn start_on(
    database: Database,
    data: tempfile::TempDir,
    tweak: impl FnOnce(&mut Settings),
) -> Server {
    let outbox = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(database, outbox.path().to_path_buf());
    tweak(&mut settings);
    let running = server_stub::start(settings.clone()).await.unwrap();
    let id_addr = running.identity_addr.unwrap();
    Server {
        cs: format!("http://{}", running.client_addr.unwrap()),
        id: format!("http://{id_addr}"),
        id_server: id_addr.to_string(),
        running: Some(running),
        outbox,
        data,
        settings,
        http: reqwest::Client::new(),
    }
}

/// The same POST sent once to each of `nodes` (round robin, `times` in all) at the same
/// time: the answers.
pub async fn race(nodes: &[&Server], path: &str, body: Value, times: usize) -> Vec<(u16, Value)> {
    let attempts: Vec<_> = (0..times)
        .map(|i| {
            let node = nodes[i % nodes.len()];
            let (http, url, body) = (node.http.clone(), node.cs(path), body.clone());
            tokio::spawn(async move {
                answer(
                    http::Method::POST,
                    http.post(url).json(&body).send().await.unwrap(),
                )
                .await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for attempt in attempts {
        answers.push(attempt.await.unwrap());
    }
    answers
}

/// Registers one name `times` at once across `nodes`: exactly one may succeed, the others
/// must be told the name is taken.
pub async fn assert_one_registration_wins(nodes: &[&Server], username: &str, times: usize) {
    let body = json!({"username": username, "password": "pw", "auth": {"type": "m.login.dummy"}});
    let answers = race(nodes, "/register", body, times).await;
    for answer in answers.iter().filter(|a| a.0 != 200) {
        assert_error(answer, 400, "M_USER_IN_USE");
    }
    assert_eq!(answers.iter().filter(|a| a.0 == 200).count(), 1);
}

/// Sends one refresh token to each of `nodes` at once: at most one new pair may come back.
pub async fn assert_refresh_token_used_once(nodes: &[&Server], refresh_token: &Value) {
    let answers = race(
        nodes,
        "/tokenrefresh",
        json!({"refresh_token": refresh_token}),
        2,
    )
    .await;
    let new_pairs = answers.iter().filter(|a| a.0 == 200).count();
    assert!(
        new_pairs <= 1,
        "{new_pairs} new pairs from one refresh token: {answers:?}"
    );
}

/// The answer to a `method` request, as JSON; it must be one the spec documents for the
/// operation (see [`assert_documented`]).
pub async fn answer(method: http::Method, response: reqwest::Response) -> (u16, Value) {
    let status = response.status();
    let url = response.url().clone();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap().to_vec();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let mut answer = http::Response::new(bytes);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    assert_documented(&method, url.path(), answer);
    (
        status.as_u16(),
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

/// Panics unless `response`, the answer to `method path`, is one the spec documents for that
/// operation (status documented, body of its type) or the shared error the router answers
/// by itself (a refused token, malformed input, a rate limit, an unknown path): every
/// answer of the server, to well-formed requests and malformed ones alike, is checked
/// against the generated response types.
pub fn assert_documented(method: &http::Method, path: &str, response: http::Response<Vec<u8>>) {
    use matrix_api::{client_server as cs, identity as id};
    macro_rules! read_as {
        ($name:expr, $($operation:literal => $response:ty),* $(,)?) => {
            match $name {
                $($operation => <$response>::from_http(response).map(drop),)*
                other => panic!("no response type listed here for operation {other}"),
            }
        };
    }
    let read = if let Some(operation) = cs::operation(method, path) {
        read_as!(operation.name,
            "login" => cs::LoginResponse,
            "refresh" => cs::RefreshResponse,
            "register" => cs::RegisterResponse,
            "change_password" => cs::ChangePasswordResponse,
            "get_account_3pids" => cs::GetAccount3pidsResponse,
            "post_3pids" => cs::Post3pidsResponse,
            "get_versions" => cs::GetVersionsResponse,
            "request_open_id_token" => cs::RequestOpenIdTokenResponse,
            "exchange_open_id_token" => cs::ExchangeOpenIdTokenResponse,
        )
    } else if let Some(operation) = id::operation(method, path) {
        read_as!(operation.name,
            "register_account" => id::RegisterAccountResponse,
            "get_account" => id::GetAccountResponse,
            "logout" => id::LogoutResponse,
            "get_validated3pid" => id::GetValidated3pidResponse,
            "bind" => id::BindResponse,
            "unbind" => id::UnbindResponse,
            "email_request_token" => id::EmailRequestTokenResponse,
            "email_submit_token_get" => id::EmailSubmitTokenGetResponse,
            "email_submit_token_post" => id::EmailSubmitTokenPostResponse,
            "get_pub_key" => id::GetPubKeyResponse,
        )
    } else {
        // No operation: the router's 404 and 405, the shared error.
        let status = response.status();
        serde_json::from_slice::<matrix_api::types::MatrixErrorBody>(response.body())
            .map(drop)
            .map_err(|e| ResponseError::Undecodable {
                status,
                message: e.to_string(),
                body: response.into_body(),
            })
    };
    if let Err(error) = read
        && MatrixError::from_response_error(&error).is_none()
    {
        panic!("{method} {path}: an answer the spec does not document: {error}");
    }
}

pub fn assert_error(result: &(u16, Value), status: u16, errcode: &str) {
    assert_eq!(
        (result.0, result.1["errcode"].as_str()),
        (status, Some(errcode)),
        "{result:?}"
    );
}

impl Server {
    pub async fn post(&self, url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self.http.post(url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(http::Method::POST, request.send().await.unwrap()).await
    }

    pub async fn get(&self, url: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(http::Method::GET, request.send().await.unwrap()).await
    }

    pub fn cs(&self, path: &str) -> String {
        format!("{}/_matrix/client/v3{path}", self.cs)
    }

    pub fn id(&self, path: &str) -> String {
        format!("{}/_matrix/identity{path}", self.id)
    }

    /// Sends a request the generated client built: the answer as JSON, checked to be one
    /// the spec documents (see [`assert_documented`]).
    pub async fn documented(
        &self,
        request: Result<http::Request<Vec<u8>>, RequestError>,
    ) -> (u16, Value) {
        let request = request.expect("a well-formed request");
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let response = send(&self.http, request).await.unwrap();
        let status = response.status().as_u16();
        let text = String::from_utf8_lossy(response.body()).into_owned();
        assert_documented(&method, &path, response);
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Where the generated client sends client-server requests: this server, under `v3`.
    pub fn homeserver(&self) -> Endpoint {
        Endpoint::new(&self.cs).with_variable("CLIENT_MAJOR_VERSION", "v3")
    }

    /// Registers through the dummy stage: (user id, access token, refresh token).
    pub async fn register(&self, username: &str, password: &str) -> (String, String, String) {
        let body =
            json!({"username": username, "password": password, "auth": {"type": "m.login.dummy"}});
        let request = client_server::RegisterRequest {
            kind: RegisterKind::User,
            body: serde_json::from_value(body).unwrap(),
        };
        let (status, body) = self
            .documented(request.to_http(&self.homeserver(), None))
            .await;
        assert_eq!(status, 200, "{body}");
        let field = |name: &str| body[name].as_str().unwrap().to_owned();
        (
            field("user_id"),
            field("access_token"),
            field("refresh_token"),
        )
    }

    pub async fn login(&self, body: Value) -> (u16, Value) {
        self.post(&self.cs("/login"), None, body).await
    }

    pub async fn login_password(&self, user: &str, password: &str) -> (u16, Value) {
        let body = json!({"type": "m.login.password", "user": user, "password": password});
        let request = client_server::LoginRequest {
            body: serde_json::from_value(body).unwrap(),
        };
        self.documented(request.to_http(&self.homeserver(), None))
            .await
    }

    /// Exchanges a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        let request = client_server::RefreshRequest {
            body: RefreshBody::new(refresh_token.to_owned()),
        };
        self.documented(request.to_http(&self.homeserver(), None))
            .await
    }

    pub async fn threepids(&self, token: &str) -> (u16, Value) {
        let credential = client_server::Credential::AccessToken(token.to_owned());
        self.documented(
            client_server::GetAccount3pidsRequest {}.to_http(&self.homeserver(), Some(&credential)),
        )
        .await
    }

    /// The validation links in the outbox, oldest first.
    pub fn emailed_links(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.outbox.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        files
            .iter()
            .filter_map(|path| {
                let text = std::fs::read_to_string(path).unwrap();
                // Quoted-printable or not, the link is on a line of its own.
                let unfolded = text.replace("=\r\n", "").replace("=3D", "=");
                unfolded
                    .lines()
                    .find(|l| l.contains("/submitToken?"))
                    .map(|l| l.trim().to_owned())
            })
            .collect()
    }

    /// Requests a token for `email`, opens the emailed link: the validated session's sid.
    pub async fn validate_email(&self, email: &str, secret: &str) -> String {
        let (status, body) = self
            .post(
                &self.id("/api/v1/validate/email/requestToken"),
                None,
                json!({"email": email, "client_secret": secret, "send_attempt": 1}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let link = self.emailed_links().pop().expect("a validation email");
        let (status, body) = self.get(&link, None).await;
        assert_eq!((status, &body), (200, &json!({"success": true})));
        body_sid(&link)
    }

    pub async fn restart(&mut self) {
        self.running.take().unwrap().stop().await.unwrap();
        let mut settings = self.settings.clone();
        // The same ports, so tokens and trust stay valid.
        settings.client_listen = Some(self.cs.trim_start_matches("http://").parse().unwrap());
        settings.identity_listen = Some(self.id_server.parse().unwrap());
        self.running = Some(server_stub::start(settings).await.unwrap());
    }
}

pub fn body_sid(link: &str) -> String {
    let query = link.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs.into_iter().find(|(k, _)| k == "sid").unwrap().1
}
