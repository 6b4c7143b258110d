//! What `to_http` puts on the wire for a sample of Matrix v1.16 operations, written out from
//! the spec's own text (the file and the lines each comes from are named), not from the
//! router generated beside the client. tests/spec-trees/check.sh copies this file into the
//! generated crate's `tests/`.

use matrix_spec_v1_16::outgoing::BaseUrl;
use matrix_spec_v1_16::{client_server, identity, media::Blob, server_server, types};

fn endpoint() -> BaseUrl {
    BaseUrl::new("https://matrix.example.org")
}

fn token() -> client_server::Credential {
    client_server::Credential::AccessTokenBearer("syt_token".into())
}

/// versions.yaml: `basePath` default `/_matrix/client`, path `/versions`, no security.
#[test]
fn versions() {
    let request = client_server::GetVersionsRequest {}
        .to_http(&endpoint(), None)
        .unwrap();
    assert_eq!(request.method(), "GET");
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/client/versions"
    );
    assert!(request.headers().get("authorization").is_none());
    assert!(request.body().is_empty());
}

/// login.yaml: `POST {basePath}/login`, `basePath` default `/_matrix/client/v3`, an
/// `application/json` body.
#[test]
fn login() {
    let mut body = types::LoginBody::new("m.login.password".into());
    body.password = Some("hunter2".into());
    let request = client_server::LoginRequest { body }
        .to_http(&endpoint(), None)
        .unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/client/v3/login"
    );
    assert_eq!(request.headers()["content-type"], "application/json");
    let sent: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    assert_eq!(
        sent,
        serde_json::json!({"type": "m.login.password", "password": "hunter2"})
    );
}

/// room_send.yaml: `PUT /rooms/{roomId}/send/{eventType}/{txnId}`, `accessTokenBearer`
/// (`Authorization: Bearer`), path parameters percent-encoded.
#[test]
fn send_message() {
    let mut body = serde_json::Map::new();
    body.insert("msgtype".into(), "m.text".into());
    body.insert("body".into(), "hello".into());
    let request = client_server::SendMessageRequest {
        room_id: "!636q39766251:example.com".into(),
        event_type: "m.room.message".into(),
        txn_id: "35".into(),
        body,
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(request.method(), "PUT");
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/client/v3/rooms/%21636q39766251%3Aexample.com/send/m.room.message/35"
    );
    assert_eq!(request.headers()["authorization"], "Bearer syt_token");
    assert_eq!(request.headers()["content-type"], "application/json");
}

/// content-repo.yaml: `POST /upload` under `basePath` `/_matrix/media/v3`, a `Content-Type`
/// header ("The content type of the file being uploaded"), `filename` in the query, an
/// `application/octet-stream` body.
#[test]
fn upload() {
    let request = client_server::UploadContentRequest {
        content_type: Some("image/png".into()),
        filename: Some("cat pic.png".into()),
        body: types::UploadContentBody::OctetStream(Blob::new("", vec![0x89, b'P', b'N', b'G'])),
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/media/v3/upload?filename=cat%20pic.png"
    );
    assert_eq!(request.headers()["content-type"], "image/png");
    assert_eq!(request.body(), &[0x89, b'P', b'N', b'G']);
}

/// authed-content-repo.yaml: `GET /media/download/{serverName}/{mediaId}` under
/// `/_matrix/client/v1`; its 200 is `application/octet-stream` and "the server returns the
/// upload's own `Content-Type`".
#[test]
fn download() {
    let request = client_server::GetContentAuthedRequest {
        server_name: "matrix.org".parse().unwrap(),
        media_id: "ascERGshawAWawugaAcauga".into(),
        timeout_ms: 20000,
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(
        request.uri().path(),
        "/_matrix/client/v1/media/download/matrix.org/ascERGshawAWawugaAcauga"
    );
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "image/png")
        .body(vec![1, 2, 3])
        .unwrap();
    let client_server::GetContentAuthedResponse::Ok(types::GetContentAuthedOkBody::OctetStream(
        blob,
    )) = client_server::GetContentAuthedResponse::from_http(response).unwrap()
    else {
        panic!("a 200 in any media type is the download");
    };
    assert_eq!(blob, Blob::new("image/png", vec![1, 2, 3]));
}

/// peeking_events.yaml: the key `"/events "` (with a space) is `GET /events`.
#[test]
fn peek_events() {
    let request = client_server::PeekEventsRequest {
        from: None,
        timeout: Some(30000),
        room_id: Some("!room:example.org".into()),
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/client/v3/events?timeout=30000&room_id=%21room%3Aexample.org"
    );
}

/// inviting.yaml: the key `"/rooms/{roomId}/invite "` is `POST /rooms/{roomId}/invite`.
#[test]
fn invite_user() {
    let body = types::InviteUserBody::new("@cheeky_monkey:matrix.org".into());
    let request = client_server::InviteUserRequest {
        room_id: "!d41d8cd:matrix.org".into(),
        body,
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(request.method(), "POST");
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/client/v3/rooms/%21d41d8cd%3Amatrix.org/invite"
    );
}

/// invites-v2.yaml: `basePath` default `/_matrix/federation/v2` (invites-v1.yaml's is v1).
#[test]
fn federation_invite_v2() {
    let body: types::SendInviteV2Body = serde_json::from_value(serde_json::json!({
        "room_version": "2",
        "event": {
            "type": "m.room.member", "sender": "@someone:example.org", "origin": "example.org",
            "origin_server_ts": 1549041175876_i64, "state_key": "@joe:elsewhere.com",
            "content": {"membership": "invite"}
        }
    }))
    .unwrap();
    let request = server_server::SendInviteV2Request {
        room_id: "!abc123:matrix.org".into(),
        event_id: "$abc123:example.org".into(),
        body,
    }
    .to_http(&endpoint(), None)
    .unwrap();
    assert_eq!(request.method(), "PUT");
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/federation/v2/invite/%21abc123%3Amatrix.org/%24abc123%3Aexample.org"
    );
}

/// v2_auth.yaml: `GET /account` under `/_matrix/identity/v2`, `accessTokenBearer`.
#[test]
fn identity_account() {
    let credential = identity::Credential::AccessTokenBearer("id_token".into());
    let request = identity::GetAccountRequest {}
        .to_http(&endpoint(), Some(&credential))
        .unwrap();
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/identity/v2/account"
    );
    assert_eq!(request.headers()["authorization"], "Bearer id_token");
}
