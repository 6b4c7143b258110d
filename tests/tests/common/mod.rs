//! What the server tests share: starting servers on every backend, and speaking to them.

#![allow(dead_code)]

/// A module of tests, `memory::`, `sqlite::` and `postgres::`, each running every listed
/// `async fn(Backend)` of the file on that backend (PostgreSQL where CI provides one).
#[allow(unused_macros)]
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod memory {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() { super::$test(super::Backend::Memory).await })*
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() { super::$test(super::Backend::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                if super::common::postgres_available() {
                    super::$test(super::Backend::Postgres).await
                }
            })*
        }
    };
}

use std::path::Path;

use matrix_api::metadata::{Authentication, Metadata};
use matrix_api::outgoing::{BaseUrl, Endpoint, HttpClient, RequestError, ResponseError};
use matrix_api::types::{MatrixError, RefreshBody, RegisterKind};
pub use matrix_api::{client_server as cs, identity as id};
use serde::de::DeserializeOwned;
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

/// The same request sent once to each of `nodes` (round robin, `times` in all) at the same
/// time: the answers.
pub async fn race<R>(nodes: &[&Server], request: R, times: usize) -> Vec<(u16, Value)>
where
    R: Endpoint,
    R::Credential: SuiteCredential,
{
    let attempts: Vec<_> = (0..times)
        .map(|i| {
            let node = nodes[i % nodes.len()];
            let request = node.http_request(&request, None).unwrap();
            let http = node.http.clone();
            tokio::spawn(async move {
                let (method, path) = (request.method().clone(), request.uri().path().to_owned());
                read_answer(&method, &path, http.send(request).await.unwrap())
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
    let request = registration(
        json!({"username": username, "password": "pw", "auth": {"type": "m.login.dummy"}}),
    );
    let answers = race(nodes, request, times).await;
    for answer in answers.iter().filter(|a| a.0 != 200) {
        assert_error(answer, 400, "M_USER_IN_USE");
    }
    assert_eq!(answers.iter().filter(|a| a.0 == 200).count(), 1);
}

/// Sends one refresh token to each of `nodes` at once: at most one new pair may come back.
pub async fn assert_refresh_token_used_once(nodes: &[&Server], refresh_token: &str) {
    let request = cs::RefreshRequest {
        body: RefreshBody::new(refresh_token.into()),
    };
    let answers = race(nodes, request, 2).await;
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
    let mut answer = http::Response::new(bytes);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    read_answer(&method, url.path(), answer)
}

/// The answer to `method path`, as JSON, once [`assert_documented`] has checked it.
pub fn read_answer(
    method: &http::Method,
    path: &str,
    response: http::Response<Vec<u8>>,
) -> (u16, Value) {
    let status = response.status().as_u16();
    let json = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    assert_documented(method, path, response);
    (status, json)
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
            "get_versions" => id::GetVersionsResponse,
            "ping_v2" => id::PingV2Response,
            "get_terms" => id::GetTermsResponse,
            "agree_to_terms" => id::AgreeToTermsResponse,
            "get_hash_details" => id::GetHashDetailsResponse,
            "lookup_users_v2" => id::LookupUsersV2Response,
            "get_validated3pid_v2" => id::GetValidated3pidV2Response,
            "bind_v2" => id::BindV2Response,
            "unbind_v2" => id::UnbindV2Response,
            "email_request_token_v2" => id::EmailRequestTokenV2Response,
            "email_submit_token_get_v2" => id::EmailSubmitTokenGetV2Response,
            "email_submit_token_post_v2" => id::EmailSubmitTokenPostV2Response,
            "msisdn_request_token_v2" => id::MsisdnRequestTokenV2Response,
            "msisdn_submit_token_get_v2" => id::MsisdnSubmitTokenGetV2Response,
            "msisdn_submit_token_post_v2" => id::MsisdnSubmitTokenPostV2Response,
            "store_invite_v2" => id::StoreInviteV2Response,
            "blindly_sign_stuff_v2" => id::BlindlySignStuffV2Response,
            "get_pub_key_v2" => id::GetPubKeyV2Response,
            "is_pub_key_valid_v2" => id::IsPubKeyValidV2Response,
            "is_ephemeral_pub_key_valid_v2" => id::IsEphemeralPubKeyValidV2Response,
            "ping" => id::PingResponse,
            "lookup_user" => id::LookupUserResponse,
            "lookup_users" => id::LookupUsersResponse,
            "store_invite" => id::StoreInviteResponse,
            "is_pub_key_valid" => id::IsPubKeyValidResponse,
            "is_ephemeral_pub_key_valid" => id::IsEphemeralPubKeyValidResponse,
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

/// A generated body type from a JSON literal (the tests write bodies as literals): panics
/// when the literal is not one the type can hold, for a malformed body is sent raw
/// ([`Server::post_raw`]), never through the client.
pub fn body<T: DeserializeOwned>(literal: Value) -> T {
    serde_json::from_value(literal.clone())
        .unwrap_or_else(|e| panic!("not a well-formed body ({e}): {literal}"))
}

/// A registration of a user (not a guest) with `literal` as its body.
pub fn registration(literal: Value) -> cs::RegisterRequest {
    cs::RegisterRequest {
        kind: RegisterKind::User,
        body: body(literal),
    }
}

/// A credential of one of the seeded APIs: where that API's requests go in this suite, and
/// the credential made of a bare access token. With the generated `Endpoint` trait, every
/// request of either API can be sent by one generic function.
pub trait SuiteCredential: Sized {
    fn base(server: &Server) -> BaseUrl;
    /// `token` as the credential `operation` takes.
    fn access_token(token: &str, operation: &Metadata) -> Self;
}

impl SuiteCredential for cs::Credential {
    fn base(server: &Server) -> BaseUrl {
        server.homeserver()
    }
    fn access_token(token: &str, _operation: &Metadata) -> Self {
        cs::Credential::AccessToken(token.into())
    }
}

impl SuiteCredential for id::Credential {
    fn base(server: &Server) -> BaseUrl {
        server.identity_server()
    }
    /// The seeds' account operations take `accessToken`; the v1.16 ones take
    /// `accessTokenBearer` (or the deprecated `accessTokenQuery`).
    fn access_token(token: &str, operation: &Metadata) -> Self {
        match operation.authentication {
            Authentication::Required(schemes) | Authentication::Optional(schemes)
                if schemes.contains(&"accessTokenBearer") =>
            {
                id::Credential::AccessTokenBearer(token.into())
            }
            _ => id::Credential::AccessToken(token.into()),
        }
    }
}

impl Server {
    /// Sends `request` through the generated client, with `token` as the credential: the
    /// answer as JSON, checked to be one the spec documents (see [`assert_documented`]).
    pub async fn call<R>(&self, request: R, token: Option<&str>) -> (u16, Value)
    where
        R: Endpoint,
        R::Credential: SuiteCredential,
    {
        self.documented(self.http_request(&request, token)).await
    }

    /// The HTTP request the generated client makes of `request` for this server, with
    /// `token` as the credential.
    pub fn http_request<R>(
        &self,
        request: &R,
        token: Option<&str>,
    ) -> Result<http::Request<Vec<u8>>, RequestError>
    where
        R: Endpoint,
        R::Credential: SuiteCredential,
    {
        let credential = token.map(|token| R::Credential::access_token(token, &R::METADATA));
        request.to_http(&R::Credential::base(self), credential.as_ref())
    }

    /// A POST the client would not send (a malformed body, a media type or parameter the
    /// spec does not have): its answer is checked all the same.
    pub async fn post_raw(&self, url: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut request = self.http.post(url).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(http::Method::POST, request.send().await.unwrap()).await
    }

    /// A GET the client would not send; its answer is checked all the same.
    pub async fn get_raw(&self, url: &str, token: Option<&str>) -> (u16, Value) {
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
        let response = self.http.send(request).await.unwrap();
        read_answer(&method, &path, response)
    }

    /// Where the generated client sends client-server requests: this server, under `v3`.
    pub fn homeserver(&self) -> BaseUrl {
        BaseUrl::new(&self.cs).with_variable("CLIENT_MAJOR_VERSION", "v3")
    }

    /// Where the generated client sends identity-service requests.
    pub fn identity_server(&self) -> BaseUrl {
        BaseUrl::new(&self.id)
    }

    /// Registers through the dummy stage: (user id, access token, refresh token).
    pub async fn register(&self, username: &str, password: &str) -> (String, String, String) {
        let request = registration(
            json!({"username": username, "password": password, "auth": {"type": "m.login.dummy"}}),
        );
        let (status, body) = self.call(request, None).await;
        assert_eq!(status, 200, "{body}");
        let field = |name: &str| body[name].as_str().unwrap().to_owned();
        (
            field("user_id"),
            field("access_token"),
            field("refresh_token"),
        )
    }

    pub async fn login(&self, literal: Value) -> (u16, Value) {
        self.call(
            cs::LoginRequest {
                body: body(literal),
            },
            None,
        )
        .await
    }

    pub async fn login_password(&self, user: &str, password: &str) -> (u16, Value) {
        self.login(json!({"type": "m.login.password", "user": user, "password": password}))
            .await
    }

    /// Exchanges a refresh token.
    pub async fn refresh(&self, refresh_token: &str) -> (u16, Value) {
        let body = RefreshBody::new(refresh_token.into());
        self.call(cs::RefreshRequest { body }, None).await
    }

    pub async fn threepids(&self, token: &str) -> (u16, Value) {
        self.call(cs::GetAccount3pidsRequest {}, Some(token)).await
    }

    /// Asks for an OpenID token for `user_id`.
    pub async fn openid_token(&self, user_id: &str, token: &str) -> (u16, Value) {
        let request = cs::RequestOpenIdTokenRequest {
            user_id: matrix_api::types::UserId::parse(user_id).expect("a user ID"),
            body: serde_json::Map::new(),
        };
        self.call(request, Some(token)).await
    }

    /// The identity server's view of the session `sid`.
    pub async fn validated_3pid(&self, sid: &str, client_secret: &str) -> (u16, Value) {
        let request = id::GetValidated3pidRequest {
            sid: sid.to_owned(),
            client_secret: client_secret.into(),
        };
        self.call(request, None).await
    }

    /// One of the identity server's public keys.
    pub async fn public_key(&self, key_id: &str) -> (u16, Value) {
        let request = id::GetPubKeyRequest {
            key_id: key_id.to_owned(),
        };
        self.call(request, None).await
    }

    /// Asks the identity server to email a validation token for `email`.
    pub async fn request_email_token(&self, email: &str, client_secret: &str) -> (u16, Value) {
        let literal = json!({"email": email, "client_secret": client_secret, "send_attempt": 1});
        self.call(
            id::EmailRequestTokenRequest {
                body: body(literal),
            },
            None,
        )
        .await
    }

    /// Opens an emailed validation link: the request it names, sent through the client.
    pub async fn open_link(&self, link: &str) -> (u16, Value) {
        assert!(
            link.starts_with(&self.id("/api/v1/validate/email/submitToken?")),
            "a validation link of this server: {link}"
        );
        let request = id::EmailSubmitTokenGetRequest {
            sid: link_parameter(link, "sid"),
            client_secret: link_parameter(link, "client_secret").into(),
            token: link_parameter(link, "token").into(),
        };
        self.call(request, None).await
    }

    /// The emails in the outbox, whole, oldest first (emails sent within one tick of the
    /// file system's clock in any order).
    pub fn outbox_messages(&self) -> Vec<String> {
        let mut files: Vec<_> = std::fs::read_dir(self.outbox.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).unwrap().modified().unwrap());
        files
            .iter()
            .map(|path| std::fs::read_to_string(path).unwrap())
            .collect()
    }

    /// The validation links in the outbox, oldest first.
    pub fn emailed_links(&self) -> Vec<String> {
        self.outbox_messages()
            .into_iter()
            .filter_map(|text| {
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
        let (status, body) = self.request_email_token(email, secret).await;
        assert_eq!(status, 200, "{body}");
        // The session's own email: two sent within the file system's clock tick have the
        // same modification time, so "the newest" is not always the last one sent.
        let sid = body["sid"].as_str().expect("a sid");
        let link = self
            .emailed_links()
            .into_iter()
            .find(|link| link_parameter(link, "sid") == sid)
            .expect("a validation email for the session");
        let (status, body) = self.open_link(&link).await;
        assert_eq!((status, &body), (200, &json!({"success": true})));
        sid.to_owned()
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

/// The query parameter `name` of `link`, decoded.
pub fn link_parameter(link: &str, name: &str) -> String {
    let query = link.split_once('?').expect("a link with a query").1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let found = pairs.into_iter().find(|(key, _)| key == name);
    found.unwrap_or_else(|| panic!("no {name} in {link}")).1
}
