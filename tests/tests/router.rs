//! The generated routers' transport rules (MATRIX-BEHAVIOUR.md, "Transport"), over real
//! HTTP on loopback, against a trivial implementation of the generated traits.

use std::sync::Arc;

use matrix_api::client_server::{self, ClientServerApi};
use matrix_api::identity::{self, IdentityApi};
use matrix_api::types::{self, MatrixError, MatrixErrorCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Knows one token, `valid` (of `@alice:test`); `expired` is a token that was valid once.
struct Trivial;

async fn authenticate(credential: client_server::Credential) -> Result<String, MatrixError> {
    let client_server::Credential::AccessToken(token) = credential;
    match token.expose() {
        "valid" => Ok("@alice:test".into()),
        "expired" => {
            Err(MatrixError::rejected_credential("Token expired").with_field("soft_logout", true))
        }
        _ => Err(MatrixError::rejected_credential("Unknown token")),
    }
}

impl ClientServerApi for Trivial {
    type Caller = String;

    async fn authenticate(
        &self,
        credential: client_server::Credential,
    ) -> Result<String, MatrixError> {
        authenticate(credential).await
    }

    async fn login(
        &self,
        request: client_server::LoginRequest,
    ) -> Result<client_server::LoginResponse, MatrixError> {
        let body = request.body;
        if body.user.as_deref() == Some("flood") {
            return Err(
                MatrixError::rate_limited("Too many requests").with_field("retry_after_ms", 1500)
            );
        }
        if body.type_ != types::LoginBodyType::Password {
            return Ok(client_server::LoginResponse::BadRequest(
                types::MatrixErrorBody::new(MatrixErrorCode::Unknown, "Bad login type."),
            ));
        }
        let mut ok = types::LoginOkBody::new();
        ok.user_id = body
            .user
            .map(|user| types::UserId::parse(format!("@{user}:test")).expect("a user ID"));
        Ok(client_server::LoginResponse::Ok(ok))
    }

    async fn refresh(
        &self,
        caller: Option<Result<String, MatrixError>>,
        request: client_server::RefreshRequest,
    ) -> Result<client_server::RefreshResponse, MatrixError> {
        // Echo what became of the optional credential, so the test can see it.
        let mut ok = types::RefreshOkBody::new();
        ok.access_token = Some(
            match caller {
                None => "nobody".to_owned(),
                Some(Ok(caller)) => caller,
                Some(Err(error)) => error.body.errcode.to_string(),
            }
            .into(),
        );
        ok.refresh_token = Some(request.body.refresh_token);
        Ok(client_server::RefreshResponse::Ok(ok))
    }

    async fn register(
        &self,
        request: client_server::RegisterRequest,
    ) -> Result<client_server::RegisterResponse, MatrixError> {
        let mut ok = types::RegisterOkBody::new();
        // The kind, as the user ID's server name, so the test can see it.
        let user_id = format!(
            "@{}:{}",
            request.body.username.unwrap_or_default(),
            request.kind
        );
        ok.user_id = Some(types::UserId::parse(user_id).expect("a user ID"));
        Ok(client_server::RegisterResponse::Ok(ok))
    }

    async fn change_password(
        &self,
        _caller: Option<Result<String, MatrixError>>,
        request: client_server::ChangePasswordRequest,
    ) -> Result<client_server::ChangePasswordResponse, MatrixError> {
        let _ = request;
        Ok(client_server::ChangePasswordResponse::Ok(Default::default()))
    }

    async fn get_account_3pids(
        &self,
        caller: String,
        _request: client_server::GetAccount3pidsRequest,
    ) -> Result<client_server::GetAccount3pidsResponse, MatrixError> {
        let mut threepid = types::ThirdPartyIdentifier::new();
        threepid.medium = Some(types::ThirdPartyIdentifierMedium::Email);
        threepid.address = Some(caller);
        let mut ok = types::GetAccount3pidsOkBody::new();
        ok.threepids = Some(vec![threepid]);
        Ok(client_server::GetAccount3pidsResponse::Ok(ok))
    }

    async fn post_3pids(
        &self,
        _caller: String,
        request: client_server::Post3pidsRequest,
    ) -> Result<client_server::Post3pidsResponse, MatrixError> {
        let _ = request;
        Ok(client_server::Post3pidsResponse::Ok(Default::default()))
    }

    async fn get_versions(
        &self,
        _request: client_server::GetVersionsRequest,
    ) -> Result<client_server::GetVersionsResponse, MatrixError> {
        Ok(client_server::GetVersionsResponse::Ok(
            types::GetVersionsOkBody::new(vec!["v1.1".into()]),
        ))
    }

    async fn request_open_id_token(
        &self,
        caller: String,
        request: client_server::RequestOpenIdTokenRequest,
    ) -> Result<client_server::RequestOpenIdTokenResponse, MatrixError> {
        // Echo the decoded path parameter, so the test can see it.
        Ok(client_server::RequestOpenIdTokenResponse::Ok(
            types::OpenIdToken::new(
                request.user_id.into_string().into(),
                "Bearer".into(),
                types::ServerName::parse(caller.split_once(':').map_or("", |(_, server)| server))
                    .expect("the caller's server name"),
                3600,
            ),
        ))
    }

    async fn exchange_open_id_token(
        &self,
        request: client_server::ExchangeOpenIdTokenRequest,
    ) -> Result<client_server::ExchangeOpenIdTokenResponse, MatrixError> {
        Ok(client_server::ExchangeOpenIdTokenResponse::Ok(
            types::ExchangeOpenIdTokenOkBody::new(
                types::UserId::parse(request.access_token.into_string())
                    .map_err(|error| MatrixError::invalid_parameter(error.to_string()))?,
            ),
        ))
    }
}

/// What this test server answers for an operation it does not serve.
fn not_served<T>() -> Result<T, MatrixError> {
    Err(MatrixError::new(
        http::StatusCode::NOT_FOUND,
        MatrixErrorCode::Unrecognized,
        "Not served by this test server",
    ))
}

impl IdentityApi for Trivial {
    type Caller = String;

    async fn authenticate(&self, credential: identity::Credential) -> Result<String, MatrixError> {
        let (identity::Credential::AccessToken(token)
        | identity::Credential::AccessTokenQuery(token)
        | identity::Credential::AccessTokenBearer(token)) = credential;
        authenticate(client_server::Credential::AccessToken(token)).await
    }

    async fn register_account(
        &self,
        request: identity::RegisterAccountRequest,
    ) -> Result<identity::RegisterAccountResponse, MatrixError> {
        Ok(identity::RegisterAccountResponse::Ok(
            types::RegisterAccountOkBody::new(request.body.matrix_server_name.into_string().into()),
        ))
    }

    async fn get_account(
        &self,
        caller: String,
        _request: identity::GetAccountRequest,
    ) -> Result<identity::GetAccountResponse, MatrixError> {
        Ok(identity::GetAccountResponse::Ok(
            types::GetAccountOkBody::new(types::UserId::parse(caller).expect("a user ID")),
        ))
    }

    async fn logout(
        &self,
        _caller: String,
        request: identity::LogoutRequest,
    ) -> Result<identity::LogoutResponse, MatrixError> {
        let _ = request;
        Ok(identity::LogoutResponse::Ok(Default::default()))
    }

    async fn get_validated3pid(
        &self,
        request: identity::GetValidated3pidRequest,
    ) -> Result<identity::GetValidated3pidResponse, MatrixError> {
        Ok(identity::GetValidated3pidResponse::NotFound(
            types::MatrixErrorBody::new(
                MatrixErrorCode::NoValidSession,
                format!("No session {}", request.sid),
            ),
        ))
    }

    async fn bind(
        &self,
        request: identity::BindRequest,
    ) -> Result<identity::BindResponse, MatrixError> {
        let body = request.body;
        Ok(identity::BindResponse::Ok(types::BindOkBody::new(
            body.sid,
            "email".into(),
            body.mxid,
            0,
            0,
            0,
            Default::default(),
        )))
    }

    async fn unbind(
        &self,
        request: identity::UnbindRequest,
    ) -> Result<identity::UnbindResponse, MatrixError> {
        let _ = request;
        Ok(identity::UnbindResponse::Ok(Default::default()))
    }

    async fn email_request_token(
        &self,
        request: identity::EmailRequestTokenRequest,
    ) -> Result<identity::EmailRequestTokenResponse, MatrixError> {
        Ok(identity::EmailRequestTokenResponse::Ok(
            types::EmailRequestTokenOkBody::new(request.body.email),
        ))
    }

    async fn email_submit_token_get(
        &self,
        request: identity::EmailSubmitTokenGetRequest,
    ) -> Result<identity::EmailSubmitTokenGetResponse, MatrixError> {
        Ok(identity::EmailSubmitTokenGetResponse::Ok(
            types::EmailSubmitTokenGetOkBody::new(request.token == "right"),
        ))
    }

    async fn email_submit_token_post(
        &self,
        request: identity::EmailSubmitTokenPostRequest,
    ) -> Result<identity::EmailSubmitTokenPostResponse, MatrixError> {
        Ok(identity::EmailSubmitTokenPostResponse::Ok(
            types::EmailSubmitTokenPostOkBody::new(request.body.token == "right"),
        ))
    }

    // The operations the tests here do not reach: answered as an unknown endpoint.
    async fn get_versions(
        &self,
        _request: identity::GetVersionsRequest,
    ) -> Result<identity::GetVersionsResponse, MatrixError> {
        not_served()
    }

    async fn ping_v2(
        &self,
        _request: identity::PingV2Request,
    ) -> Result<identity::PingV2Response, MatrixError> {
        not_served()
    }

    async fn get_terms(
        &self,
        _request: identity::GetTermsRequest,
    ) -> Result<identity::GetTermsResponse, MatrixError> {
        not_served()
    }

    async fn agree_to_terms(
        &self,
        _caller: String,
        _request: identity::AgreeToTermsRequest,
    ) -> Result<identity::AgreeToTermsResponse, MatrixError> {
        not_served()
    }

    async fn get_hash_details(
        &self,
        _caller: String,
        _request: identity::GetHashDetailsRequest,
    ) -> Result<identity::GetHashDetailsResponse, MatrixError> {
        not_served()
    }

    async fn lookup_users_v2(
        &self,
        _caller: String,
        _request: identity::LookupUsersV2Request,
    ) -> Result<identity::LookupUsersV2Response, MatrixError> {
        not_served()
    }

    async fn get_validated3pid_v2(
        &self,
        _caller: String,
        _request: identity::GetValidated3pidV2Request,
    ) -> Result<identity::GetValidated3pidV2Response, MatrixError> {
        not_served()
    }

    async fn bind_v2(
        &self,
        _caller: String,
        _request: identity::BindV2Request,
    ) -> Result<identity::BindV2Response, MatrixError> {
        not_served()
    }

    async fn unbind_v2(
        &self,
        _caller: String,
        _request: identity::UnbindV2Request,
    ) -> Result<identity::UnbindV2Response, MatrixError> {
        not_served()
    }

    async fn email_request_token_v2(
        &self,
        _caller: String,
        _request: identity::EmailRequestTokenV2Request,
    ) -> Result<identity::EmailRequestTokenV2Response, MatrixError> {
        not_served()
    }

    async fn email_submit_token_get_v2(
        &self,
        _caller: String,
        _request: identity::EmailSubmitTokenGetV2Request,
    ) -> Result<identity::EmailSubmitTokenGetV2Response, MatrixError> {
        not_served()
    }

    async fn email_submit_token_post_v2(
        &self,
        _caller: String,
        _request: identity::EmailSubmitTokenPostV2Request,
    ) -> Result<identity::EmailSubmitTokenPostV2Response, MatrixError> {
        not_served()
    }

    async fn msisdn_request_token_v2(
        &self,
        _caller: String,
        _request: identity::MsisdnRequestTokenV2Request,
    ) -> Result<identity::MsisdnRequestTokenV2Response, MatrixError> {
        not_served()
    }

    async fn msisdn_submit_token_get_v2(
        &self,
        _caller: String,
        _request: identity::MsisdnSubmitTokenGetV2Request,
    ) -> Result<identity::MsisdnSubmitTokenGetV2Response, MatrixError> {
        not_served()
    }

    async fn msisdn_submit_token_post_v2(
        &self,
        _caller: String,
        _request: identity::MsisdnSubmitTokenPostV2Request,
    ) -> Result<identity::MsisdnSubmitTokenPostV2Response, MatrixError> {
        not_served()
    }

    async fn store_invite_v2(
        &self,
        _caller: String,
        _request: identity::StoreInviteV2Request,
    ) -> Result<identity::StoreInviteV2Response, MatrixError> {
        not_served()
    }

    async fn blindly_sign_stuff_v2(
        &self,
        _caller: String,
        _request: identity::BlindlySignStuffV2Request,
    ) -> Result<identity::BlindlySignStuffV2Response, MatrixError> {
        not_served()
    }

    async fn get_pub_key_v2(
        &self,
        _request: identity::GetPubKeyV2Request,
    ) -> Result<identity::GetPubKeyV2Response, MatrixError> {
        not_served()
    }

    async fn is_pub_key_valid_v2(
        &self,
        _request: identity::IsPubKeyValidV2Request,
    ) -> Result<identity::IsPubKeyValidV2Response, MatrixError> {
        not_served()
    }

    async fn is_ephemeral_pub_key_valid_v2(
        &self,
        _request: identity::IsEphemeralPubKeyValidV2Request,
    ) -> Result<identity::IsEphemeralPubKeyValidV2Response, MatrixError> {
        not_served()
    }

    async fn ping(
        &self,
        _request: identity::PingRequest,
    ) -> Result<identity::PingResponse, MatrixError> {
        not_served()
    }

    async fn lookup_user(
        &self,
        _request: identity::LookupUserRequest,
    ) -> Result<identity::LookupUserResponse, MatrixError> {
        not_served()
    }

    async fn lookup_users(
        &self,
        _request: identity::LookupUsersRequest,
    ) -> Result<identity::LookupUsersResponse, MatrixError> {
        not_served()
    }

    async fn store_invite(
        &self,
        _request: identity::StoreInviteRequest,
    ) -> Result<identity::StoreInviteResponse, MatrixError> {
        not_served()
    }

    async fn is_pub_key_valid(
        &self,
        _request: identity::IsPubKeyValidRequest,
    ) -> Result<identity::IsPubKeyValidResponse, MatrixError> {
        not_served()
    }

    async fn is_ephemeral_pub_key_valid(
        &self,
        _request: identity::IsEphemeralPubKeyValidRequest,
    ) -> Result<identity::IsEphemeralPubKeyValidResponse, MatrixError> {
        not_served()
    }

    async fn get_pub_key(
        &self,
        request: identity::GetPubKeyRequest,
    ) -> Result<identity::GetPubKeyResponse, MatrixError> {
        Ok(identity::GetPubKeyResponse::Ok(
            types::GetPubKeyOkBody::new(request.key_id),
        ))
    }
}

/// Serves both routers on ephemeral loopback ports: (client-server base, identity base).
async fn serve() -> (String, String) {
    server_stub::remote::install_tls_provider();
    let mut bases = Vec::new();
    for router in [
        client_server::router(Arc::new(Trivial)),
        identity::router(Arc::new(Trivial)),
    ] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        bases.push(format!("http://{}", listener.local_addr().unwrap()));
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    }
    (bases.remove(0), bases.remove(0))
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}")),
    )
}

async fn post(url: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    json_of(
        reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

fn assert_error(result: &(u16, Value), status: u16, errcode: &str) {
    assert_eq!(result.0, status, "{result:?}");
    assert_eq!(result.1["errcode"], errcode, "{result:?}");
    assert!(result.1["error"].is_string(), "{result:?}");
}

#[tokio::test]
async fn access_tokens_come_from_the_header_or_the_query_never_both() {
    let (cs, _) = serve().await;
    let url = format!("{cs}/_matrix/client/v3/account/3pid");
    let client = reqwest::Client::new();
    let header = json_of(client.get(&url).bearer_auth("valid").send().await.unwrap()).await;
    assert_eq!(header.0, 200);
    assert_eq!(header.1["threepids"][0]["address"], "@alice:test");
    let query = json_of(
        client
            .get(format!("{url}?access_token=valid"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(query, header);

    assert_unusable_tokens_answered(&url, "M_MISSING_TOKEN").await;
    let unknown = json_of(client.get(&url).bearer_auth("forged").send().await.unwrap()).await;
    assert_error(&unknown, 401, "M_UNKNOWN_TOKEN");
    let expired = json_of(
        client
            .get(&url)
            .bearer_auth("expired")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&expired, 401, "M_UNKNOWN_TOKEN");
    assert_eq!(expired.1["soft_logout"], true);
}

/// A GET of `url` without a token, with one in two places, and with malformed
/// `Authorization` headers: each answered 401 with `errcode`.
async fn assert_unusable_tokens_answered(url: &str, errcode: &str) {
    let client = reqwest::Client::new();
    assert_error(
        &json_of(client.get(url).send().await.unwrap()).await,
        401,
        errcode,
    );
    let both = client
        .get(format!("{url}?access_token=valid"))
        .bearer_auth("valid")
        .send()
        .await
        .unwrap();
    assert_error(&json_of(both).await, 401, errcode);
    for malformed in ["Basic dmFsaWQ=", "Bearer", "Bearer a b", "valid"] {
        let response = client
            .get(url)
            .header("Authorization", malformed)
            .send()
            .await
            .unwrap();
        assert_error(&json_of(response).await, 401, errcode);
    }
}

#[tokio::test]
async fn the_identity_api_answers_an_unusable_token_its_own_way() {
    // `[api.credential_errors]`: 401 `M_UNAUTHORIZED` where the client-server API says
    // `M_MISSING_TOKEN`, for the seeds' operations and the v1.16 ones alike.
    let (_, id) = serve().await;
    for path in [
        "/_matrix/identity/v2/account",
        "/_matrix/identity/v2/hash_details",
    ] {
        assert_unusable_tokens_answered(&format!("{id}{path}"), "M_UNAUTHORIZED").await;
    }
}

#[tokio::test]
async fn an_optional_credential_is_passed_on_with_its_verdict() {
    let (cs, _) = serve().await;
    let url = format!("{cs}/_matrix/client/r0/tokenrefresh");
    let body = r#"{"refresh_token": "r"}"#;
    assert_eq!(post(&url, body).await.1["access_token"], "nobody");
    let client = reqwest::Client::new();
    let expired = client
        .post(&url)
        .bearer_auth("expired")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(expired).await.1["access_token"], "M_UNKNOWN_TOKEN");
    let valid = client
        .post(&url)
        .bearer_auth("valid")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(json_of(valid).await.1["access_token"], "@alice:test");
}

#[tokio::test]
async fn bodies_that_are_not_json_or_not_the_right_json_get_matrix_errors() {
    let (cs, _) = serve().await;
    let url = format!("{cs}/_matrix/client/v3/login");
    for not_json in [
        "",
        "{",
        "not json",
        r#"{"type": NaN}"#,
        r#"{"type": Infinity}"#,
    ] {
        assert_error(&post(&url, not_json).await, 400, "M_NOT_JSON");
    }
    assert_error(
        &post(&url, vec![b'{', 0xff, 0xfe, b'}']).await,
        400,
        "M_NOT_JSON",
    );
    // Nesting 10,000 deep is JSON of the wrong shape (or, inside a field, skipped as
    // unknown): a 400 either way, never a crash.
    let deep_array = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_error(&post(&url, deep_array).await, 400, "M_BAD_JSON");
    let deep_object = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let result = post(&url, deep_object).await;
    assert_eq!(result.0, 400, "{result:?}");
    assert_error(&result, 400, "M_MISSING_PARAM");
    for bad_json in [
        "[]",
        "\"a string\"",
        "42",
        r#"{"type": 5}"#,
        r#"{"type": "m.login.password", "user": []}"#,
    ] {
        assert_error(&post(&url, bad_json).await, 400, "M_BAD_JSON");
    }
    assert_error(
        &post(
            &url,
            r#"{"type": "m.login.password", "type": "m.login.token"}"#,
        )
        .await,
        400,
        "M_BAD_JSON",
    );
    let missing = post(&url, r#"{"user": "alice"}"#).await;
    assert_error(&missing, 400, "M_MISSING_PARAM");
    assert!(
        missing.1["error"].as_str().unwrap().contains("type"),
        "{missing:?}"
    );
    // Whatever the declared content type, the body is read as JSON: never a 415.
    let client = reqwest::Client::new();
    let response = client
        .post(&url)
        .header("Content-Type", "text/plain")
        .body(r#"{"type": "m.login.password", "user": "alice"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(response).await,
        (200, json!({"user_id": "@alice:test"}))
    );
}

#[tokio::test]
async fn bodies_over_512_kib_are_refused_and_their_clients_read_the_413() {
    let (cs, _) = serve().await;
    let url = format!("{cs}/_matrix/client/v3/login");
    let big = format!(
        r#"{{"type": "m.login.password", "user": "{}"}}"#,
        "a".repeat(600 * 1024)
    );
    assert_error(&post(&url, big).await, 413, "M_TOO_LARGE");
    // Several times the limit, still being sent when the server has decided: the client
    // reads the 413 rather than a reset connection.
    let bigger = format!(
        r#"{{"type": "m.login.password", "user": "{}"}}"#,
        "a".repeat(12 * 1024 * 1024)
    );
    for _ in 0..5 {
        assert_error(&post(&url, bigger.clone()).await, 413, "M_TOO_LARGE");
    }
    // A plain client that writes the whole request before it reads.
    let address = cs.trim_start_matches("http://").to_owned();
    let raw = format!(
        "POST /_matrix/client/v3/login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{bigger}",
        bigger.len()
    );
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&address).unwrap();
        stream
            .write_all(raw.as_bytes())
            .map_err(|e| format!("writing: {e}"))?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .map_err(|e| format!("reading: {e}"))?;
        Ok::<_, String>(answer)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A declared length past what is worth draining is answered before a byte of the body
    // is sent.
    let address = cs.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /_matrix/client/v3/login HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        1024 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("M_TOO_LARGE"), "{answer}");

    // Without a declared length, reading stops at the limit.
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /_matrix/client/v3/login HTTP/1.1\r\nHost: {address}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    for _ in 0..9 {
        let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
        frame.extend_from_slice(&chunk);
        frame.extend_from_slice(b"\r\n");
        if stream.write_all(&frame).await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn unknown_paths_and_methods_are_unrecognized() {
    let (cs, id) = serve().await;
    let client = reqwest::Client::new();
    let unknown = json_of(
        client
            .get(format!("{cs}/_matrix/client/v3/nowhere"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&unknown, 404, "M_UNRECOGNIZED");
    let wrong_method = json_of(
        client
            .get(format!("{cs}/_matrix/client/v3/login"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&wrong_method, 405, "M_UNRECOGNIZED");
    let wrong_method = json_of(
        client
            .delete(format!("{id}/_matrix/identity/v2/account"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&wrong_method, 405, "M_UNRECOGNIZED");
    // The client-server routes are not on the identity router, and the reverse.
    let elsewhere = json_of(
        client
            .post(format!("{id}/_matrix/client/v3/login"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_error(&elsewhere, 404, "M_UNRECOGNIZED");
}

#[tokio::test]
async fn every_response_carries_cors_headers_and_options_is_always_answered() {
    let (cs, _) = serve().await;
    let client = reqwest::Client::new();
    let check = |response: &reqwest::Response| {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(header("access-control-allow-origin").as_deref(), Some("*"));
        assert_eq!(
            header("access-control-allow-methods").as_deref(),
            Some("GET, POST, PUT, DELETE, OPTIONS")
        );
        assert_eq!(
            header("access-control-allow-headers").as_deref(),
            Some("Origin, X-Requested-With, Content-Type, Accept, Authorization")
        );
    };
    for url in [
        "/_matrix/client/v3/login",
        "/_matrix/client/r0/account/3pid",
        "/anything/at/all",
    ] {
        let response = client
            .request(reqwest::Method::OPTIONS, format!("{cs}{url}"))
            .send()
            .await
            .unwrap();
        assert!(matches!(response.status().as_u16(), 200 | 204), "{url}");
        check(&response);
        assert!(response.text().await.unwrap().is_empty());
    }
    let ok = client
        .get(format!("{cs}/_matrix/client/v3/account/3pid"))
        .bearer_auth("valid")
        .send()
        .await
        .unwrap();
    check(&ok);
    let error = client
        .get(format!("{cs}/_matrix/client/v3/account/3pid"))
        .send()
        .await
        .unwrap();
    check(&error);
    let not_found = client.get(format!("{cs}/nowhere")).send().await.unwrap();
    check(&not_found);
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let (cs, _) = serve().await;
    let response = reqwest::Client::new()
        .post(format!("{cs}/_matrix/client/v3/login"))
        .body(r#"{"type": "m.login.password", "user": "flood"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("retry-after").unwrap(), "2");
    let result = json_of(response).await;
    assert_error(&result, 429, "M_LIMIT_EXCEEDED");
    assert_eq!(result.1["retry_after_ms"], 1500);
}

#[tokio::test]
async fn documented_responses_go_out_with_their_status() {
    let (cs, id) = serve().await;
    let bad_type = post(
        &format!("{cs}/_matrix/client/v3/login"),
        r#"{"type": "m.login.token"}"#,
    )
    .await;
    assert_eq!(
        bad_type,
        (
            400,
            json!({"errcode": "M_UNKNOWN", "error": "Bad login type."})
        )
    );
    let not_found = json_of(
        reqwest::get(format!(
            "{id}/_matrix/identity/api/v1/3pid/getValidated3pid?sid=1&client_secret=s"
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_error(&not_found, 404, "M_NO_VALID_SESSION");
}

#[tokio::test]
async fn query_parameters_are_parsed_with_defaults_and_required_ones_enforced() {
    let (cs, id) = serve().await;
    let body = r#"{"username": "bob", "password": "p"}"#;
    let default = post(&format!("{cs}/_matrix/client/v3/register"), body).await;
    assert_eq!(default.1["user_id"], "@bob:user");
    let guest = post(&format!("{cs}/_matrix/client/v3/register?kind=guest"), body).await;
    assert_eq!(guest.1["user_id"], "@bob:guest");
    // An open enum passes values the spec does not list on to the implementation.
    let other = post(&format!("{cs}/_matrix/client/v3/register?kind=admin"), body).await;
    assert_eq!(other.1["user_id"], "@bob:admin");
    let missing = json_of(
        reqwest::get(format!(
            "{id}/_matrix/identity/api/v1/3pid/getValidated3pid?sid=1"
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_error(&missing, 400, "M_MISSING_PARAM");
    assert!(
        missing.1["error"]
            .as_str()
            .unwrap()
            .contains("client_secret")
    );
}

#[tokio::test]
async fn form_bodies_are_accepted_where_the_config_allows_them() {
    let (cs, id) = serve().await;
    let client = reqwest::Client::new();
    let form = client
        .post(format!("{id}/_matrix/identity/api/v1/3pid/bind"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("sid=1234&client_secret=s3cret&mxid=%40ears%3Amatrix.org")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(form).await;
    assert_eq!(
        (status, &body["sid"], &body["mxid"]),
        (200, &Value::Null, &json!("@ears:matrix.org"))
    );
    assert_eq!(body["address"], "1234");
    let json_body = post(
        &format!("{id}/_matrix/identity/api/v1/3pid/bind"),
        r#"{"sid": "1", "client_secret": "s", "mxid": "@a:b"}"#,
    )
    .await;
    assert_eq!(json_body.0, 200);
    // Elsewhere a form is not JSON.
    let login_form = client
        .post(format!("{cs}/_matrix/client/v3/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("type=m.login.password")
        .send()
        .await
        .unwrap();
    assert_error(&json_of(login_form).await, 400, "M_NOT_JSON");
}

#[tokio::test]
async fn path_parameters_are_percent_decoded() {
    let (cs, id) = serve().await;
    let client = reqwest::Client::new();
    let response = client
        .post(format!(
            "{cs}/_matrix/client/v3/user/%40bob%3Aexample.org/openid/request_token"
        ))
        .bearer_auth("valid")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status, &body["access_token"], &body["matrix_server_name"]),
        (200, &json!("@bob:example.org"), &json!("test"))
    );
    let key = json_of(
        reqwest::get(format!("{id}/_matrix/identity/api/v1/pubkey/ed25519:0"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(key, (200, json!({"public_key": "ed25519:0"})));
}

/// A path parameter of a format with a type of its own (`userId`, a `UserId`) that is not
/// of the format is the router's 400 `M_INVALID_PARAM`, naming the parameter and the format:
/// the implementation never sees it.
#[tokio::test]
async fn a_path_parameter_of_a_typed_format_is_checked() {
    let (cs, _) = serve().await;
    let response = reqwest::Client::new()
        .post(format!(
            "{cs}/_matrix/client/v3/user/bob/openid/request_token"
        ))
        .bearer_auth("valid")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!((status, &body["errcode"]), (400, &json!("M_INVALID_PARAM")));
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("`userId`: not a valid `mx-user-id`"),
        "{message}"
    );
}

#[tokio::test]
async fn the_same_path_serves_get_and_post() {
    let (_, id) = serve().await;
    let url = format!("{id}/_matrix/identity/api/v1/validate/email/submitToken");
    let get = json_of(
        reqwest::get(format!("{url}?sid=1&client_secret=s&token=right"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(get, (200, json!({"success": true})));
    let post = post(
        &url,
        r#"{"sid": "1", "client_secret": "s", "token": "wrong"}"#,
    )
    .await;
    assert_eq!(post, (200, json!({"success": false})));
}

/// The `client` feature's `Client` runs over whatever transport the application gives it:
/// here the router itself, called as a tower service in the same process, with no socket and
/// no reqwest. The request and the answer still go through `to_http` and `from_http` whole.
#[tokio::test]
async fn a_client_runs_over_the_applications_own_transport() {
    use matrix_api::outgoing::{BaseUrl, ClientError, HttpClient, TransportError};
    use tower::ServiceExt;

    #[derive(Clone)]
    struct InProcess(axum::Router);

    impl HttpClient for InProcess {
        async fn send(
            &self,
            request: http::Request<Vec<u8>>,
        ) -> Result<http::Response<Vec<u8>>, TransportError> {
            let response = self
                .0
                .clone()
                .oneshot(request.map(axum::body::Body::from))
                .await?;
            let (parts, body) = response.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await?;
            Ok(http::Response::from_parts(parts, body.to_vec()))
        }
    }

    let transport = InProcess(identity::router(Arc::new(Trivial)));
    let client = identity::Client::with_http(transport, BaseUrl::new("http://in-process"));
    let key = client
        .get_pub_key(&identity::GetPubKeyRequest {
            key_id: "ed25519:0".to_owned(),
        })
        .await
        .unwrap()
        .into_result()
        .unwrap();
    assert_eq!(key, types::GetPubKeyOkBody::new("ed25519:0".to_owned()));

    // A transport that fails is the client's `Transport` error, with the cause kept.
    struct Unreachable;
    impl HttpClient for Unreachable {
        async fn send(
            &self,
            _: http::Request<Vec<u8>>,
        ) -> Result<http::Response<Vec<u8>>, TransportError> {
            Err("no route to the server".into())
        }
    }
    let client = identity::Client::with_http(Unreachable, BaseUrl::new("http://nowhere"));
    let error = client
        .get_pub_key(&identity::GetPubKeyRequest {
            key_id: "ed25519:0".to_owned(),
        })
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Transport(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "the request failed: no route to the server"
    );
}

/// The server half on another framework: `server::serve` answers a request, given its parts,
/// its path parameters as that framework matched them and its body, exactly as the axum
/// router answers the same request (status, headers, body), errors included.
#[tokio::test]
async fn a_server_on_another_framework_answers_as_the_router_does() {
    use matrix_api::server::serve;
    use tower::ServiceExt;

    let router = identity::router(Arc::new(Trivial));
    let routed = |request: http::Request<Vec<u8>>| {
        let router = router.clone();
        async move {
            let response = router
                .oneshot(request.map(axum::body::Body::from))
                .await
                .unwrap();
            let (mut parts, body) = response.into_parts();
            // CORS is the router's layer over every answer, and `Content-Length` axum's
            // (hyper's on the wire), not the operation's.
            for name in [
                "content-length",
                "access-control-allow-origin",
                "access-control-allow-methods",
                "access-control-allow-headers",
            ] {
                parts.headers.remove(name);
            }
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            http::Response::from_parts(parts, body.to_vec())
        }
    };
    let request = |method: &str, uri: &str, body: &[u8]| {
        http::Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .unwrap()
    };
    let same = |ours: &http::Response<Vec<u8>>, theirs: &http::Response<Vec<u8>>| {
        assert_eq!(ours.status(), theirs.status());
        assert_eq!(ours.headers(), theirs.headers());
        assert_eq!(ours.body(), theirs.body());
    };

    // A path parameter, as the framework decoded it.
    let get_key = request("GET", "/_matrix/identity/api/v1/pubkey/ed25519%3A0", b"");
    let (parts, _) = get_key.clone().into_parts();
    let path = [("keyId".to_owned(), "ed25519:0".to_owned())];
    let ours = serve::<Trivial, identity::GetPubKeyRequest>(&Trivial, &parts, &path, b"").await;
    assert_eq!(ours.status(), 200);
    let key: Value = serde_json::from_slice(ours.body()).unwrap();
    assert_eq!(key["public_key"], "ed25519:0");
    same(&ours, &routed(get_key).await);

    // A body that is not JSON, and one without a required property: Matrix errors.
    for body in [&b"{"[..], br#"{"matrix_server_name": "example.org"}"#] {
        let register = request("POST", "/_matrix/identity/v2/account/register", body);
        let (parts, _) = register.clone().into_parts();
        let ours =
            serve::<Trivial, identity::RegisterAccountRequest>(&Trivial, &parts, &[], body).await;
        assert_eq!(
            ours.status(),
            400,
            "{:?}",
            String::from_utf8_lossy(ours.body())
        );
        same(&ours, &routed(register).await);
    }

    // An operation that needs a credential, called without one.
    let account = request("GET", "/_matrix/identity/v2/account", b"");
    let (parts, _) = account.clone().into_parts();
    let ours = serve::<Trivial, identity::GetAccountRequest>(&Trivial, &parts, &[], b"").await;
    assert_eq!(ours.status(), 401);
    same(&ours, &routed(account).await);
}

/// A documented error status becomes its variant, carrying the body only (so the variant,
/// not the body, says the status); an undocumented one stays an error with its own status.
#[test]
fn errors_become_their_documented_variant_or_stay_errors() {
    use axum::http::StatusCode;
    use client_server::LoginResponse;

    let forbidden = MatrixError::new(
        StatusCode::FORBIDDEN,
        MatrixErrorCode::Forbidden,
        "Invalid password",
    );
    let answer = LoginResponse::from_error(forbidden.clone()).unwrap();
    assert_eq!(answer, LoginResponse::Forbidden(forbidden.body.clone()));
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    // Login documents no 500: the error comes back, to be returned as `Err`.
    let internal = MatrixError::internal("boom");
    assert_eq!(LoginResponse::from_error(internal.clone()), Err(internal));
}
