//! The shapes of the real Matrix spec trees that once came out wrong (`fixtures/upstream_shapes`),
//! pinned against the fixture's own text: what goes over the wire is written out here from
//! the spec, not taken from the router generated beside the client.

use std::sync::{Arc, Mutex};

use golden_upstream_shapes::media::Blob;
use golden_upstream_shapes::outgoing::BaseUrl;
use golden_upstream_shapes::rooms::{self, RoomsApi};
use golden_upstream_shapes::types::{self, ApiError};

fn endpoint() -> BaseUrl {
    BaseUrl::new("https://hs.example")
}

/// `servers: [{url: "{protocol}://{hostname}{basePath}"}]`: the path is the `basePath`
/// default, and two files that differ only there are two operations.
#[test]
fn the_base_path_is_the_server_variable_that_starts_the_path() {
    let v1 = rooms::SendInviteV1Request {
        room_id: "!r:localhost".into(),
    };
    let request = v1.to_http(&endpoint()).unwrap();
    assert_eq!(request.method(), "PUT");
    assert_eq!(
        request.uri(),
        "https://hs.example/_matrix/federation/v1/invite/%21r%3Alocalhost"
    );
    let v2 = rooms::SendInviteV2Request {
        room_id: "!r:localhost".into(),
    };
    assert_eq!(
        v2.to_http(&endpoint()).unwrap().uri(),
        "https://hs.example/_matrix/federation/v2/invite/%21r%3Alocalhost"
    );
    let paths = rooms::SEND_INVITE_V2.paths;
    assert_eq!(paths, ["/_matrix/federation/v2/invite/{roomId}"]);
}

/// `"/rooms/{roomId}/invite "`: the space tells the operations apart; the URL has none.
#[test]
fn a_path_key_s_trailing_space_is_not_in_the_url() {
    let body = types::InviteUserBody::new("@bob:localhost".into());
    let request = rooms::InviteUserRequest {
        room_id: "!r:localhost".into(),
        body,
    }
    .to_http(&endpoint())
    .unwrap();
    assert_eq!(
        request.uri(),
        "https://hs.example/_matrix/client/v3/rooms/%21r%3Alocalhost/invite"
    );
    assert_eq!(request.headers()["content-type"], "application/json");
}

/// A `Content-Type` header parameter names an upload's type; the octet-stream body does not
/// replace it. Without it, the body's own type goes out.
#[test]
fn an_upload_goes_out_as_its_own_media_type() {
    let png = vec![0x89, b'P', b'N', b'G'];
    let request = rooms::UploadContentRequest {
        content_type: Some("image/png".into()),
        body: types::UploadContentBody::OctetStream(Blob::new("", png.clone())),
    }
    .to_http(&endpoint())
    .unwrap();
    assert_eq!(request.uri(), "https://hs.example/_matrix/media/v3/upload");
    assert_eq!(request.headers()["content-type"], "image/png");
    assert_eq!(request.body(), &png);
    let request = rooms::UploadContentRequest {
        content_type: None,
        body: types::UploadContentBody::OctetStream(Blob::new("image/gif", png)),
    }
    .to_http(&endpoint())
    .unwrap();
    assert_eq!(request.headers()["content-type"], "image/gif");
}

/// A download documented as `application/octet-stream` reads any type the server names,
/// and keeps it.
#[test]
fn a_download_keeps_the_type_the_server_names() {
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "image/png")
        .body(vec![1, 2, 3])
        .unwrap();
    let rooms::GetContentResponse::Ok(types::GetContentOkBody::OctetStream(blob)) =
        rooms::GetContentResponse::from_http(response).unwrap()
    else {
        panic!("a 200 with an octet-stream body");
    };
    assert_eq!(blob, Blob::new("image/png", vec![1, 2, 3]));
}

/// A Swagger 2.0 download (`produces: ["*/*"]`, `schema: {type: file}`) is bytes in the
/// type the server names, not a JSON string; its error, exemplified as `application/json`,
/// is its schema's.
#[test]
fn a_swagger_file_response_is_bytes_and_its_error_json() {
    let response = http::Response::builder()
        .status(200)
        .header("content-type", "image/jpeg")
        .body(vec![0xff, 0xd8])
        .unwrap();
    let rooms::GetLegacyContentResponse::Ok(types::GetLegacyContentOkBody::Any(blob)) =
        rooms::GetLegacyContentResponse::from_http(response).unwrap()
    else {
        panic!("a 200 is the content");
    };
    assert_eq!(blob, Blob::new("image/jpeg", vec![0xff, 0xd8]));
    let response = http::Response::builder()
        .status(502)
        .header("content-type", "application/json")
        .body(br#"{"errcode": "M_TOO_LARGE"}"#.to_vec())
        .unwrap();
    let rooms::GetLegacyContentResponse::BadGateway(error) =
        rooms::GetLegacyContentResponse::from_http(response).unwrap()
    else {
        panic!("a 502 is the error");
    };
    assert_eq!(error.errcode, "M_TOO_LARGE");
}

/// `ClientEvent = allOf[ClientEventWithoutRoomId, {unsigned: {redacted_because}}]`: the
/// two `unsigned` merge, so `age` survives.
#[test]
fn allof_parts_defining_one_property_merge_it() {
    let event: types::ClientEvent = serde_json::from_value(serde_json::json!({
        "type": "m.room.message",
        "room_id": "!r:localhost",
        "unsigned": {"age": 1234, "transaction_id": "t1", "redacted_because": {"reason": "spam"}}
    }))
    .unwrap();
    let unsigned = event.unsigned.unwrap();
    assert_eq!(unsigned.age, Some(1234));
    assert_eq!(unsigned.transaction_id.as_deref(), Some("t1"));
    assert!(unsigned.redacted_because.is_some());
}

/// An example's property that its schema does not declare is reported, not tested.
#[test]
fn undeclared_example_properties_are_reported() {
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/upstream_shapes/codegen.toml"
    );
    let (_, warnings) = generator::Generator::from_config_file(std::path::Path::new(config))
        .unwrap()
        .generate_with_warnings()
        .unwrap();
    let messages: Vec<String> = warnings
        .iter()
        .map(|w| format!("{}: {}", w.location, w.message))
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("third_party.yaml")
            && m.contains("does not declare")
            && m.contains("`/current_version`")),
        "{messages:#?}"
    );
    assert_eq!(messages.len(), 1, "{messages:#?}");
}

/// `requestBody` without `required` is optional in OpenAPI 3, whatever its schema.
#[test]
fn an_openapi_3_body_is_optional_unless_it_says_so() {
    let request = rooms::SetStateRequest {
        room_id: "!r".into(),
        body: None,
    }
    .to_http(&endpoint())
    .unwrap();
    assert!(request.body().is_empty());
    assert!(request.headers().get("content-type").is_none());
}

/// `fields`, an object in the query (`style: form`, exploded by default): a pair per
/// property, beside the other parameters.
#[test]
fn an_object_query_parameter_is_spread_over_the_query() {
    let request = rooms::QueryUserByProtocolRequest {
        protocol: "irc".into(),
        limit: Some(5),
        fields: Some([("network".to_owned(), "libera chat".to_owned())].into()),
    }
    .to_http(&endpoint())
    .unwrap();
    assert_eq!(
        request.uri(),
        "https://hs.example/_matrix/client/v3/thirdparty/user/irc?limit=5&network=libera%20chat"
    );
}

/// What the scripted server was called with.
#[derive(Default)]
struct Calls(Mutex<Vec<String>>);

impl Calls {
    fn record(&self, call: String) {
        self.0.lock().unwrap().push(call);
    }
}

impl RoomsApi for Calls {
    async fn send_invite_v1(
        &self,
        _: rooms::SendInviteV1Request,
    ) -> Result<rooms::SendInviteV1Response, ApiError> {
        Err(ApiError::not_found("not scripted"))
    }
    async fn send_invite_v2(
        &self,
        _: rooms::SendInviteV2Request,
    ) -> Result<rooms::SendInviteV2Response, ApiError> {
        Err(ApiError::not_found("not scripted"))
    }
    async fn invite_user(
        &self,
        request: rooms::InviteUserRequest,
    ) -> Result<rooms::InviteUserResponse, ApiError> {
        self.record(format!("invite_user {}", request.body.user_id));
        Ok(rooms::InviteUserResponse::Ok(Default::default()))
    }
    async fn set_state(
        &self,
        request: rooms::SetStateRequest,
    ) -> Result<rooms::SetStateResponse, ApiError> {
        self.record(format!("set_state {:?}", request.body));
        Ok(rooms::SetStateResponse::Ok(Default::default()))
    }
    async fn get_event(
        &self,
        _: rooms::GetEventRequest,
    ) -> Result<rooms::GetEventResponse, ApiError> {
        Err(ApiError::not_found("not scripted"))
    }
    async fn get_legacy_content(
        &self,
        _: rooms::GetLegacyContentRequest,
    ) -> Result<rooms::GetLegacyContentResponse, ApiError> {
        Err(ApiError::not_found("not scripted"))
    }
    async fn get_events(
        &self,
        request: rooms::GetEventsRequest,
    ) -> Result<rooms::GetEventsResponse, ApiError> {
        self.record(format!("get_events {:?}", request.from));
        Ok(rooms::GetEventsResponse::Ok(Default::default()))
    }
    async fn peek_events(
        &self,
        request: rooms::PeekEventsRequest,
    ) -> Result<rooms::PeekEventsResponse, ApiError> {
        self.record(format!("peek_events {:?}", request.room_id));
        Ok(rooms::PeekEventsResponse::Ok(Default::default()))
    }
    async fn query_user_by_protocol(
        &self,
        request: rooms::QueryUserByProtocolRequest,
    ) -> Result<rooms::QueryUserByProtocolResponse, ApiError> {
        self.record(format!(
            "query_user {:?} {:?}",
            request.limit, request.fields
        ));
        Ok(rooms::QueryUserByProtocolResponse::Ok(Vec::new()))
    }
    async fn invite_by3_pid(
        &self,
        request: rooms::InviteBy3PidRequest,
    ) -> Result<rooms::InviteBy3PidResponse, ApiError> {
        self.record(format!("invite_by3_pid {}", request.body.address));
        Ok(rooms::InviteBy3PidResponse::Ok(Default::default()))
    }
    async fn upload_content(
        &self,
        request: rooms::UploadContentRequest,
    ) -> Result<rooms::UploadContentResponse, ApiError> {
        let types::UploadContentBody::OctetStream(blob) = request.body;
        self.record(format!(
            "upload {:?} {}",
            request.content_type, blob.content_type
        ));
        Ok(rooms::UploadContentResponse::Ok(
            types::UploadContentOkBody::new("mxc://x/y".into()),
        ))
    }
    async fn get_content(
        &self,
        _: rooms::GetContentRequest,
    ) -> Result<rooms::GetContentResponse, ApiError> {
        let blob = Blob::new("image/png", vec![7]);
        Ok(rooms::GetContentResponse::Ok(
            types::GetContentOkBody::OctetStream(blob),
        ))
    }
}

async fn serve(calls: Arc<Calls>) -> String {
    server_stub::remote::install_tls_provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, rooms::router(calls)).await });
    format!("http://{address}")
}

/// Two operations on one route: the router serves the one whose request parses, and
/// answers with the first one's error when none does.
#[tokio::test]
async fn a_shared_route_serves_the_operation_whose_request_parses() {
    let calls = Arc::new(Calls::default());
    let base = serve(calls.clone()).await;
    let http = reqwest::Client::new();
    let url = format!("{base}/_matrix/client/v3/rooms/!r:localhost/invite");
    let user = http
        .post(&url)
        .body(r#"{"user_id": "@bob:localhost"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 200);
    let email = http
        .post(&url)
        .body(r#"{"medium": "email", "address": "bob@example.org"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(email.status(), 200);
    let neither = http.post(&url).body("{}").send().await.unwrap();
    assert_eq!(neither.status(), 400);
    let error: serde_json::Value = neither.json().await.unwrap();
    assert!(error.to_string().contains("user_id"), "{error}");
    assert_eq!(
        *calls.0.lock().unwrap(),
        [
            "invite_user @bob:localhost",
            "invite_by3_pid bob@example.org"
        ]
    );
}

/// `GET /events` is documented twice, and every request parses as either: the request goes
/// to the one whose query parameters it carries most of, the first among equals.
#[tokio::test]
async fn a_shared_route_prefers_the_operation_whose_parameters_the_request_carries() {
    let calls = Arc::new(Calls::default());
    let base = serve(calls.clone()).await;
    let http = reqwest::Client::new();
    for query in ["from=s1&room_id=!r", "from=s2", ""] {
        let response = http
            .get(format!("{base}/_matrix/client/v3/events?{query}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    assert_eq!(
        *calls.0.lock().unwrap(),
        [
            "peek_events Some(\"!r\")",
            "get_events Some(\"s2\")",
            "get_events None"
        ]
    );
}

/// The router reads an object spread over the query from the pairs no other parameter
/// names.
#[tokio::test]
async fn the_router_reads_a_spread_object_from_the_other_pairs() {
    let calls = Arc::new(Calls::default());
    let base = serve(calls.clone()).await;
    let client = rooms::Client::new(BaseUrl::new(&base));
    let request = rooms::QueryUserByProtocolRequest {
        protocol: "irc".into(),
        limit: Some(5),
        fields: Some(
            [
                ("network".to_owned(), "libera".to_owned()),
                ("nick".to_owned(), "bob".to_owned()),
            ]
            .into(),
        ),
    };
    client.query_user_by_protocol(&request).await.unwrap();
    let none = rooms::QueryUserByProtocolRequest {
        protocol: "irc".into(),
        limit: None,
        fields: None,
    };
    client.query_user_by_protocol(&none).await.unwrap();
    assert_eq!(
        *calls.0.lock().unwrap(),
        [
            "query_user Some(5) Some({\"network\": \"libera\", \"nick\": \"bob\"})",
            "query_user None None"
        ]
    );
}

/// The router takes an upload in any type and keeps it; a download goes out in its own.
#[tokio::test]
async fn the_router_keeps_the_media_type_both_ways() {
    let calls = Arc::new(Calls::default());
    let base = serve(calls.clone()).await;
    let client = rooms::Client::new(BaseUrl::new(&base));
    let upload = rooms::UploadContentRequest {
        content_type: Some("image/png".into()),
        body: types::UploadContentBody::OctetStream(Blob::new("", vec![1, 2])),
    };
    client.upload_content(&upload).await.unwrap();
    let download = client
        .get_content(&rooms::GetContentRequest {
            media_id: "y".into(),
        })
        .await
        .unwrap();
    let rooms::GetContentResponse::Ok(types::GetContentOkBody::OctetStream(blob)) = download else {
        panic!("a 200 with an octet-stream body: {download:?}");
    };
    assert_eq!(blob, Blob::new("image/png", vec![7]));
    let state = reqwest::Client::new()
        .put(format!("{base}/_matrix/client/v3/rooms/!r/state"))
        .send()
        .await
        .unwrap();
    assert_eq!(state.status(), 200);
    assert_eq!(
        *calls.0.lock().unwrap(),
        ["upload Some(\"image/png\") image/png", "set_state None"]
    );
}
