//! What `to_http` puts on the wire for a sample of Matrix v1.7 operations (Swagger 2.0),
//! written out from the spec's own text (the file each comes from is named), not from the
//! router generated beside the client. tests/spec-trees/check.sh copies this file into the
//! generated crate's `tests/`.

use matrix_spec_v1_7::outgoing::BaseUrl;
use matrix_spec_v1_7::{client_server, media::Blob, server_server, types};

fn endpoint() -> BaseUrl {
    BaseUrl::new("https://matrix.example.org")
}

fn token() -> client_server::Credential {
    client_server::Credential::AccessToken("syt_token".into())
}

/// login.yaml: `basePath: /_matrix/client/v3`, `POST /login`, `consumes` JSON.
#[test]
fn login() {
    let mut body = types::LoginBody::new(types::LoginBodyType::Password);
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
}

/// room_send.yaml: `PUT /rooms/{roomId}/send/{eventType}/{txnId}`, `accessToken`: an
/// `access_token` query key, which the config lets go as `Authorization: Bearer`.
#[test]
fn send_message() {
    let request = client_server::SendMessageRequest {
        room_id: "!636q39766251:example.com".into(),
        event_type: "m.room.message".into(),
        txn_id: "35".into(),
        body: serde_json::Map::new(),
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/client/v3/rooms/%21636q39766251%3Aexample.com/send/m.room.message/35"
    );
    assert_eq!(request.headers()["authorization"], "Bearer syt_token");
}

/// content-repo.yaml: `basePath: /_matrix`, `POST /media/v3/upload` with a `Content-Type`
/// header; the body is the file's bytes (the config's overlay, with its reason).
#[test]
fn upload() {
    let request = client_server::UploadContentRequest {
        content_type: Some("application/pdf".into()),
        filename: Some("War and Peace.pdf".into()),
        body: types::UploadContentBody::OctetStream(Blob::new("", b"%PDF".to_vec())),
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/media/v3/upload?filename=War%20and%20Peace.pdf"
    );
    assert_eq!(request.headers()["content-type"], "application/pdf");
    assert_eq!(request.body(), b"%PDF");
}

/// content-repo.yaml: `GET /media/v3/download/{serverName}/{mediaId}`, `produces: */*`, a
/// 200 of `type: file`: the bytes, in the type the server names.
#[test]
fn download() {
    let request = client_server::GetContentRequest {
        server_name: "matrix.org".into(),
        media_id: "ascERGshawAWawugaAcauga".into(),
        allow_remote: true,
        timeout_ms: 20000,
        allow_redirect: false,
    }
    .to_http(&endpoint(), None)
    .unwrap();
    assert_eq!(
        request.uri().path(),
        "/_matrix/media/v3/download/matrix.org/ascERGshawAWawugaAcauga"
    );
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "image/png")
        .body(vec![1, 2, 3])
        .unwrap();
    let client_server::GetContentResponse::Ok(types::GetContentOkBody::Any(blob)) =
        client_server::GetContentResponse::from_http(response).unwrap()
    else {
        panic!("a 200 is the content");
    };
    assert_eq!(blob, Blob::new("image/png", vec![1, 2, 3]));
}

/// peeking_events.yaml: the key `"/events "` is `GET /events`.
#[test]
fn peek_events() {
    let request = client_server::PeekEventsRequest {
        from: Some("s3457_9_0".into()),
        timeout: None,
        room_id: Some("!room:example.org".into()),
    }
    .to_http(&endpoint(), Some(&token()))
    .unwrap();
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/client/v3/events?from=s3457_9_0&room_id=%21room%3Aexample.org"
    );
}

/// server-server/invites-v2.yaml: `basePath: /_matrix/federation/v2`; `signedRequest` is a
/// key in the `Authorization` header itself (`X-Matrix ...`), sent as it is.
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
    let signature = r#"X-Matrix origin="origin.hs.example.com",key="ed25519:key1",sig="ABCDEF""#;
    let credential = server_server::Credential::SignedRequest(signature.into());
    let request = server_server::SendInviteV2Request {
        room_id: "!abc123:matrix.org".into(),
        event_id: "$abc123:example.org".into(),
        body,
    }
    .to_http(&endpoint(), Some(&credential))
    .unwrap();
    assert_eq!(
        request.uri(),
        "https://matrix.example.org/_matrix/federation/v2/invite/%21abc123%3Amatrix.org/%24abc123%3Aexample.org"
    );
    assert_eq!(request.headers()["authorization"], signature);
}
