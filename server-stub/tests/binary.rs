//! The `server-stub` binary itself: `serve` with its SQLite default, `login-token`, and a
//! graceful stop on SIGTERM.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

// Not every offer of the relay is used here.
#[allow(dead_code)]
mod relay;

const BIN: &str = env!("CARGO_BIN_EXE_server-stub");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Serving {
    child: Child,
    base: String,
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn serve(dir: &std::path::Path) -> Serving {
    serve_on(dir, free_port()).await
}

async fn serve_on(dir: &std::path::Path, client: u16) -> Serving {
    serve_with(dir, client, &[]).await
}

async fn serve_with(dir: &std::path::Path, client: u16, args: &[&str]) -> Serving {
    serve_logged(dir, client, free_port(), args, &[], None).await
}

/// Starts the binary with `args` and `env` and waits until it answers; with `log`, every log line at every level
/// goes to that file.
async fn serve_logged(
    dir: &std::path::Path,
    client: u16,
    identity: u16,
    args: &[&str],
    env: &[(&str, &str)],
    log: Option<&std::path::Path>,
) -> Serving {
    server_stub::remote::install_tls_provider();
    let mut command = Command::new(BIN);
    command
        .current_dir(dir)
        .args(["serve", "--no-rate-limit"])
        .args(args)
        .args(["--client-listen", &format!("127.0.0.1:{client}")])
        .args(["--identity-listen", &format!("127.0.0.1:{identity}")])
        .envs(env.iter().copied());
    match log {
        Some(log) => command
            .env("RUST_LOG", "trace")
            .stderr(std::fs::File::create(log).unwrap()),
        None => command.stderr(Stdio::null()),
    };
    let child = command.spawn().unwrap();
    let base = format!("http://127.0.0.1:{client}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("{base}/_matrix/client/versions"))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Serving { child, base }
}

async fn post(url: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn login_tokens_from_the_command_line_work_once() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path()).await;
    assert!(
        dir.path().join("server-stub.db").exists(),
        "the SQLite default is created on first start"
    );
    let register = json!({"username": "xena", "password": "pw", "auth": {"type": "m.login.dummy"}});
    assert_eq!(
        post(
            &format!("{}/_matrix/client/v3/register", server.base),
            register
        )
        .await
        .0,
        200
    );

    let minted = Command::new(BIN)
        .current_dir(dir.path())
        .args(["login-token", "@xena:localhost"])
        .output()
        .unwrap();
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    assert!(token.len() >= 22);
    let login = json!({"type": "m.login.token", "token": token});
    let (status, body) = post(
        &format!("{}/_matrix/client/r0/login", server.base),
        login.clone(),
    )
    .await;
    assert_eq!(
        (status, &body["user_id"]),
        (200, &json!("@xena:localhost")),
        "{body}"
    );
    let (status, body) = post(&format!("{}/_matrix/client/r0/login", server.base), login).await;
    assert_eq!(
        (status, &body["errcode"]),
        (403, &json!("M_FORBIDDEN")),
        "used once"
    );

    let unknown = Command::new(BIN)
        .current_dir(dir.path())
        .args(["login-token", "@nobody:localhost"])
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no user @nobody:localhost"));
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = serve(dir.path()).await;
    terminate_and_wait(&mut server.child, Duration::from_secs(10)).await;
}

/// Sends SIGTERM and waits for a successful exit, failing past `within`.
async fn terminate_and_wait(child: &mut Child, within: Duration) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + within;
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            assert!(exit.success(), "{exit:?}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still running {within:?} after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for the server to close `stream`, reading (and returning) whatever it sends first;
/// `None` when it is still open after `within`.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> Option<String> {
    use tokio::io::AsyncReadExt;
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    });
    read.await.ok()?;
    Some(String::from_utf8_lossy(&received).into_owned())
}

async fn connect(server: &Serving) -> tokio::net::TcpStream {
    let address = server.base.trim_start_matches("http://");
    tokio::net::TcpStream::connect(address).await.unwrap()
}

#[tokio::test]
async fn half_sent_headers_and_stalled_bodies_are_closed_at_their_timeouts() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--header-timeout-secs",
        "1",
        "--body-timeout-secs",
        "1",
        "--db",
        "memory",
    ];
    let server = serve_with(dir.path(), free_port(), &args).await;
    // Slowloris: fifty connections, each with half a header.
    let mut slow = Vec::new();
    for _ in 0..50 {
        let mut stream = connect(&server).await;
        stream
            .write_all(b"GET /_matrix/client/versions HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    // Far past the one-second timeout, but far short of a test that hangs.
    for stream in &mut slow {
        assert!(
            closed_within(stream, Duration::from_secs(15))
                .await
                .is_some(),
            "a connection with half a header is still open"
        );
    }
    // A body that stalls after ten of its hundred bytes.
    let mut stream = connect(&server).await;
    stream
        .write_all(b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"type\": \"")
        .await
        .unwrap();
    let answer = closed_within(&mut stream, Duration::from_secs(15))
        .await
        .expect("a connection whose body stalls is still open");
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    // The server still serves.
    let (status, _) = post(
        &format!("{}/_matrix/client/v3/login", server.base),
        json!({}),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_request_over_its_time_gets_a_matrix_timeout() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--request-timeout-secs",
        "1",
        "--body-timeout-secs",
        "30",
        "--db",
        "memory",
    ];
    let server = serve_with(dir.path(), free_port(), &args).await;
    let mut stream = connect(&server).await;
    stream
        .write_all(b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"type\": \"")
        .await
        .unwrap();
    let answer = closed_within(&mut stream, Duration::from_secs(15))
        .await
        .expect("a request past its time is still open");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains(r#""errcode":"M_UNKNOWN""#), "{answer}");
}

#[tokio::test]
async fn sigterm_exits_by_the_drain_deadline_with_a_stalled_request() {
    use tokio::io::AsyncWriteExt;
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "--body-timeout-secs",
        "600",
        "--request-timeout-secs",
        "600",
        "--shutdown-drain-secs",
        "1",
        "--db",
        "memory",
    ];
    let mut server = serve_with(dir.path(), free_port(), &args).await;
    let mut stalled = connect(&server).await;
    stalled
        .write_all(
            b"POST /_matrix/client/v3/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The drain deadline is one second; fifteen leave room for a slow machine.
    terminate_and_wait(&mut server.child, Duration::from_secs(15)).await;
}

#[test]
fn numeric_flags_out_of_range_are_refused_by_name() {
    for (flag, value) in [
        ("--rate-limit-per-second", "0"),
        ("--rate-limit-per-second", "NaN"),
        ("--rate-limit-burst", "0.5"),
        ("--access-token-lifetime-secs", "0"),
        ("--identity-account-token-lifetime-secs", "0"),
        ("--openid-token-lifetime-secs", "0"),
        ("--openid-token-lifetime-secs", "86401"),
        ("--purge-interval-secs", "0"),
        ("--header-timeout-secs", "0"),
        ("--body-timeout-secs", "0"),
        ("--request-timeout-secs", "0"),
        ("--max-connections", "0"),
        ("--shutdown-drain-secs", "301"),
    ] {
        let out = Command::new(BIN)
            .args(["serve", "--db", "memory", flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{flag} {value} was taken: {stderr}"
        );
        assert!(stderr.contains(flag), "{flag} {value}: {stderr}");
    }
}

#[test]
fn bad_arguments_are_refused_with_a_message() {
    let out = Command::new(BIN)
        .args(["serve", "--db", "mysql://x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown database"));
    let out = Command::new(BIN)
        .args(["login-token", "@a:b", "--db", "memory"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite"));
}

/// A relay's login only from the environment and only over TLS; a CA file that holds a
/// certificate.
#[test]
fn smtp_settings_that_would_leak_a_login_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let not_pem = not_pem.to_str().unwrap();
    let login = [
        ("SERVER_STUB_SMTP_USERNAME", "alice"),
        ("SERVER_STUB_SMTP_PASSWORD", "relay-secret"),
    ];
    for (args, env, code, complaint) in [
        (
            &["--smtp", "smtps://alice:relay-secret@relay.example"][..],
            &[][..],
            2,
            "SERVER_STUB_SMTP_PASSWORD",
        ),
        (
            &["--smtp", "smtp://relay.example?tls=none"],
            &login,
            1,
            "only over TLS",
        ),
        (
            &["--smtp", "smtp://relay.example?tls=opportunistic"],
            &login,
            1,
            "only over TLS",
        ),
        (&["--smtp", "smtps://relay.example"], &login[..1], 1, "both"),
        (&["--smtp", "imap://relay.example"], &[], 2, "--smtp"),
        (
            &[
                "--smtp",
                "smtps://relay.example",
                "--smtp-ca-file",
                "/nonexistent",
            ],
            &[],
            1,
            "--smtp-ca-file",
        ),
        (
            &["--smtp", "smtps://relay.example", "--smtp-ca-file", not_pem],
            &[],
            1,
            "no PEM certificate",
        ),
        (&["--smtp-ca-file", not_pem], &[], 2, "--smtp"),
    ] {
        let out = Command::new(BIN)
            .args(["serve", "--db", "memory"])
            .args(args)
            .envs(env.iter().copied())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?} {env:?}: {stderr}");
        assert!(stderr.contains(complaint), "{args:?} {env:?}: {stderr}");
        if !env.is_empty() {
            assert!(!stderr.contains("relay-secret"), "{stderr}");
        }
    }
}

/// The validation email of a running server goes through a relay that wants TLS and a
/// login, with the login from the environment.
#[tokio::test]
async fn validation_mail_goes_through_a_tls_relay_that_wants_a_login() {
    let authority = relay::Authority::new();
    let (relay_port, received) = relay::start("127.0.0.1", relay::Offer::Tls, &authority).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), &authority.ca_pem).unwrap();
    let relay_url = format!("smtps://127.0.0.1:{relay_port}");
    let identity = free_port();
    let args = [
        "--db",
        "memory",
        "--smtp",
        relay_url.as_str(),
        "--smtp-ca-file",
        "ca.pem",
    ];
    let env = [
        ("SERVER_STUB_SMTP_USERNAME", "identity"),
        ("SERVER_STUB_SMTP_PASSWORD", "relay-secret"),
    ];
    let _server = serve_logged(dir.path(), free_port(), identity, &args, &env, None).await;
    let (status, body) = post(
        &format!("http://127.0.0.1:{identity}/_matrix/identity/api/v1/validate/email/requestToken"),
        json!({"client_secret": "mail-secret", "email": "louise@bobs.burgers", "send_attempt": 1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let delivery = tokio::time::timeout(Duration::from_secs(20), received)
        .await
        .unwrap()
        .unwrap();
    assert!(delivery.encrypted);
    assert_eq!(delivery.login.as_deref(), Some("\0identity\0relay-secret"));
    assert!(
        delivery.message.contains("To: louise@bobs.burgers"),
        "{delivery:?}"
    );
    assert!(delivery.message.contains("submitToken?"), "{delivery:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answered_registrations_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut server = serve_on(dir.path(), port).await;
    let started = Instant::now();
    // Requests cut off by the kill must fail, not wait on a dead connection.
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = format!("{}/_matrix/client/v3/register", server.base);
    let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..1000 {
        let (http, url, answered) = (http.clone(), url.clone(), answered.clone());
        tokio::spawn(async move {
            let body = json!({"username": format!("durable{i}"), "password": format!("pw{i}"), "auth": {"type": "m.login.dummy"}});
            if let Ok(response) = http.post(url).json(&body).send().await
                && response.status() == 200
            {
                let _ = answered.send(i);
            }
        });
    }
    drop(answered);
    // Kill the server mid-flight, once a good number of registrations were answered.
    let mut registered = Vec::new();
    while registered.len() < 50 {
        registered.push(answers.recv().await.expect("registrations are answered"));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    eprintln!("killed after {:?}", started.elapsed());
    while let Some(i) = answers.recv().await {
        registered.push(i);
    }
    assert!(
        registered.len() < 1000,
        "the kill came after every registration: nothing was in flight"
    );

    eprintln!("in-flight requests settled after {:?}", started.elapsed());
    let server = serve_on(dir.path(), port).await;
    let login = format!("{}/_matrix/client/v3/login", server.base);
    for i in &registered {
        let body = json!({"type": "m.login.password", "user": format!("durable{i}"), "password": format!("pw{i}")});
        let (status, answer) = post(&login, body).await;
        assert_eq!(
            status, 200,
            "registration {i} was answered 200 but cannot log in: {answer}"
        );
    }
    drop(server);
    let url = format!("sqlite:{}", dir.path().join("server-stub.db").display());
    let store = server_stub::store::sql::SqlStore::open(&url).await.unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    eprintln!(
        "{} of 1000 registrations answered before kill -9; all log in after restart",
        registered.len()
    );
}

/// Runs the calls that fail against unreachable servers (an identity server, a homeserver
/// and an SMTP relay, all on a closed loopback port) with every log on, and looks for each
/// secret the calls carried in what the server wrote.
#[tokio::test]
async fn no_secret_reaches_the_log_at_debug() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let closed = free_port();
    let client = free_port();
    let identity = free_port();
    let trusted_identity = format!("127.0.0.1:{closed}=http://127.0.0.1:{closed}");
    let trusted_homeserver = format!("dead.example=http://127.0.0.1:{closed}");
    let args = [
        "--db",
        "memory",
        "--trusted-identity-server",
        trusted_identity.as_str(),
        "--trusted-homeserver",
        trusted_homeserver.as_str(),
    ];
    let relay = format!("smtps://127.0.0.1:{closed}");
    let args = [&args[..], &["--smtp", relay.as_str()]].concat();
    let relay_password = "relay-password-3f9a07";
    let env = [
        ("SERVER_STUB_SMTP_USERNAME", "identity"),
        ("SERVER_STUB_SMTP_PASSWORD", relay_password),
    ];
    let mut server = serve_logged(dir.path(), client, identity, &args, &env, Some(&log)).await;
    let password = "correct-horse-battery-staple";
    let register =
        json!({"username": "sam", "password": password, "auth": {"type": "m.login.dummy"}});
    let (status, session) = post(
        &format!("{}/_matrix/client/v3/register", server.base),
        register,
    )
    .await;
    assert_eq!(status, 200, "{session}");
    let access_token = session["access_token"].as_str().unwrap().to_owned();
    let refresh_token = session["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (client_secret, sid) = ("client-secret-d8f2a1", "session-id-77c3e9");

    // The homeserver asks the unreachable identity server about a 3pid session.
    let creds = json!({"three_pid_creds": {"client_secret": client_secret, "id_server": format!("127.0.0.1:{closed}"), "sid": sid}});
    let answer = reqwest::Client::new()
        .post(format!("{}/_matrix/client/v3/account/3pid", server.base))
        .bearer_auth(&access_token)
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 403);
    // The identity server asks the unreachable homeserver whose OpenID token it was given.
    let openid_token = "openid-token-5b1e0c";
    let openid = json!({"access_token": openid_token, "token_type": "Bearer", "matrix_server_name": "dead.example", "expires_in": 3600});
    let (status, _) = post(
        &format!("http://127.0.0.1:{identity}/_matrix/identity/v2/account/register"),
        openid,
    )
    .await;
    assert_eq!(status, 401);
    // And the identity API's own query secrets.
    let query = format!(
        "http://127.0.0.1:{identity}/_matrix/identity/api/v1/3pid/getValidated3pid?sid={sid}&client_secret={client_secret}"
    );
    let _ = reqwest::get(query).await.unwrap();
    // The identity server logs in to the unreachable SMTP relay.
    let (status, _) = post(
        &format!("http://127.0.0.1:{identity}/_matrix/identity/api/v1/validate/email/requestToken"),
        json!({"client_secret": client_secret, "email": "sam@example.org", "send_attempt": 1}),
    )
    .await;
    assert_eq!(status, 400);
    // The v2 identity API with an account token: lookups, an invitation the relay cannot
    // carry, and the private key of `sign-ed25519`.
    let http = reqwest::Client::new();
    let user_id = session["user_id"].as_str().unwrap().replace('@', "%40");
    let openid: Value = http
        .post(format!(
            "{}/_matrix/client/v3/user/{user_id}/openid/request_token",
            server.base
        ))
        .bearer_auth(&access_token)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (status, account) = post(
        &format!("http://127.0.0.1:{identity}/_matrix/identity/v2/account/register"),
        openid,
    )
    .await;
    assert_eq!(status, 200, "{account}");
    let account_token = account["token"].as_str().unwrap().to_owned();
    let private_key = "cHJpdmF0ZS1rZXktOWU0YjFhLXByaXZhdGUta2V5LQ";
    let invite_token = "invite-token-2c7d41";
    for (path, body) in [
        (
            "/v2/lookup",
            json!({"algorithm": "none", "pepper": "x", "addresses": ["sam@example.org email"]}),
        ),
        (
            "/v2/store-invite",
            json!({"medium": "email", "address": "sam@example.org", "room_id": "!r:localhost", "sender": "@sam:localhost"}),
        ),
        (
            "/v2/sign-ed25519",
            json!({"mxid": "@sam:localhost", "token": invite_token, "private_key": private_key}),
        ),
    ] {
        let answer = http
            .post(format!(
                "http://127.0.0.1:{identity}/_matrix/identity{path}"
            ))
            .bearer_auth(&account_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            answer.status().is_client_error(),
            "{path}: {}",
            answer.status()
        );
    }

    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(
        written.contains("3pid credentials refused") && written.contains("email not sent"),
        "the failing flows were not logged:\n{written}"
    );
    for secret in [
        password,
        &access_token,
        &refresh_token,
        client_secret,
        sid,
        openid_token,
        relay_password,
        &account_token,
        private_key,
        invite_token,
    ] {
        assert!(!secret.is_empty());
        assert!(
            !written.contains(secret),
            "`{secret}` is in the log:\n{written}"
        );
    }
}

/// Registers an identity account with an OpenID token vouched for by `tls.example`: the
/// status and errcode.
async fn register_with_tls_homeserver(serving: &Serving, identity: u16) -> (u16, Value) {
    let _ = serving;
    post(
        &format!("http://127.0.0.1:{identity}/_matrix/identity/v2/account/register"),
        json!({"access_token": "t0p-secret-openid", "token_type": "Bearer", "matrix_server_name": "tls.example", "expires_in": 60}),
    )
    .await
}

#[tokio::test]
async fn homeserver_certificates_are_checked_against_the_ca_file_unless_switched_off() {
    let authority = relay::Authority::new();
    let port = relay::https_json(&authority, json!({"sub": "@u:tls.example"}).to_string()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &authority.ca_pem).unwrap();
    let trusted = format!("tls.example=https://127.0.0.1:{port}");
    for (extra, expected, logged) in [
        // The system's roots only: a private CA's certificate is refused, and the log says
        // it was TLS, without the token.
        (vec![], 401, "(TLS)"),
        (
            vec!["--homeserver-ca-file", ca.to_str().unwrap()],
            200,
            "identity account registered",
        ),
        // Checks off: a warning at start.
        (
            vec!["--insecure-homeserver-tls"],
            200,
            "certificates of homeservers are NOT checked",
        ),
    ] {
        let run = tempfile::tempdir().unwrap();
        let log = run.path().join("server.log");
        let identity = free_port();
        let mut args = vec!["--db", "memory", "--trusted-homeserver", trusted.as_str()];
        args.extend(extra.iter().copied());
        let serving = serve_logged(run.path(), free_port(), identity, &args, &[], Some(&log)).await;
        let (status, answer) = register_with_tls_homeserver(&serving, identity).await;
        assert_eq!(status, expected, "{extra:?}: {answer}");
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains(logged), "{extra:?}: no {logged:?} in\n{text}");
        assert!(
            !text.contains("t0p-secret-openid"),
            "the token was logged:\n{text}"
        );
    }
}

#[test]
fn identity_operator_files_are_checked_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let terms = dir.path().join("terms.yaml");
    std::fs::write(
        &terms,
        "master_version: '1'\ndocs: {p: {version: '1', langs: {}}}",
    )
    .unwrap();
    let empty = dir.path().join("templates");
    std::fs::create_dir(&empty).unwrap();
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    for (flag, value, complaint) in [
        ("--terms", terms.to_str().unwrap(), "no language"),
        ("--terms", "/nonexistent/terms.yaml", "cannot read"),
        (
            "--email-templates",
            empty.to_str().unwrap(),
            "verification_template.eml.j2",
        ),
        (
            "--homeserver-ca-file",
            not_pem.to_str().unwrap(),
            "--homeserver-ca-file",
        ),
        ("--email-from", "not an address", "--email-from"),
    ] {
        let out = Command::new(BIN)
            .current_dir(dir.path())
            .args(["serve", "--db", "memory", flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{flag} {value}: {stderr}");
        assert!(stderr.contains(complaint), "{flag} {value}: {stderr}");
    }
}
