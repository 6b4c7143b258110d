//! The generality corpus (`fixtures/corpus`, 40 specs in seven APIs): what must hold of its
//! generated crate beyond matching the golden, and how that crate's routers behave over HTTP.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use generator::Generator;
use generator::ir::{Ir, TypeKind};
use golden_corpus::types::{self, ApiError};
use golden_corpus::{docs, geo};
use serde_json::{Value, json};

fn config() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/corpus/codegen.toml")
}

fn corpus() -> (Generator, Ir) {
    let generator = Generator::from_config_file(&config()).unwrap();
    let ir = generator.ir().unwrap();
    (generator, ir)
}

#[test]
fn the_corpus_is_forty_specs_in_several_files_and_directories() {
    let (generator, ir) = corpus();
    assert!(generator.spec_roots().len() >= 40);
    let sources: Vec<&String> = ir.sources.iter().collect();
    assert!(sources.iter().any(|s| s.starts_with("definitions/geo/")));
    assert!(sources.iter().any(|s| s.starts_with("apis/refs/shared/")));
    let operations: usize = ir.apis.iter().map(|a| a.operations.len()).sum();
    assert!(operations >= 70, "{operations} operations");
}

#[test]
fn it_generates_the_same_bytes_twice_with_only_the_expected_warning() {
    let (generator, ir) = corpus();
    assert_eq!(generator.generate().unwrap(), generator.generate().unwrap());
    let warnings: Vec<String> = ir
        .warnings
        .iter()
        .map(|w| format!("{}: {}", w.location, w.message))
        .collect();
    assert_eq!(
        warnings,
        [
            "apis/billing/subscriptions.yaml#/webhooks: webhooks are requests the API makes, not serves: ignored"
        ]
    );
}

#[test]
fn names_are_readable_and_unique() {
    let (_, ir) = corpus();
    let mut seen = BTreeSet::new();
    for def in &ir.types {
        assert!(seen.insert(&def.name), "{} twice", def.name);
        // No numbered leftovers: nothing in the corpus is named with a digit.
        assert!(
            def.name.chars().all(|c| c.is_ascii_alphabetic()),
            "type name {}",
            def.name
        );
        if let TypeKind::Union { variants, .. } = &def.kind {
            for variant in variants {
                assert!(
                    variant.name.chars().all(|c| c.is_ascii_alphabetic()),
                    "{}",
                    variant.name
                );
            }
        }
    }
}

#[test]
fn every_security_scheme_reaches_its_router() {
    let (generator, ir) = corpus();
    let documents = generator.load().unwrap();
    let files = generator.generate().unwrap();
    let lowered =
        |api: &generator::config::ApiConfig| ir.apis.iter().find(|a| a.name == api.name).unwrap();
    let mut checked = 0;
    for api in &generator.config().apis {
        // The extractors are the server half's, in the module of its steps.
        let module = files
            .iter()
            .find(|f| f.path == format!("src/{}/handlers.rs", lowered(api).module))
            .unwrap();
        let lowered = lowered(api);
        for spec in &api.specs {
            let document = &documents.get(spec).unwrap().value;
            let schemes = document
                .get("securityDefinitions")
                .or_else(|| document.pointer("/components/securitySchemes"))
                .and_then(Value::as_object);
            for name in schemes.into_iter().flat_map(|s| s.keys()) {
                let scheme = lowered.security_schemes.iter().find(|s| &s.name == name);
                let scheme = scheme.unwrap_or_else(|| panic!("{spec}: {name} lost"));
                let extractor = format!("fn {}(", scheme.extractor);
                assert!(
                    module.contents.contains(&extractor),
                    "{spec}: no {extractor}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "{checked} scheme definitions");
}

#[test]
fn every_enum_becomes_a_rust_enum() {
    fn enums(value: &Value, out: &mut BTreeSet<Vec<String>>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    match (key.as_str(), child) {
                        ("enum", Value::Array(values)) => {
                            let mut values: Vec<String> = values
                                .iter()
                                .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
                                .collect();
                            values.sort();
                            out.insert(values);
                        }
                        ("const", Value::String(value)) => {
                            out.insert(vec![value.clone()]);
                        }
                        // Server variables list values too, but of a URL, not of a schema.
                        ("servers", _) => {}
                        _ => enums(child, out),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| enums(item, out)),
            _ => {}
        }
    }
    let (generator, ir) = corpus();
    let mut in_specs = BTreeSet::new();
    for document in generator.load().unwrap().documents.values() {
        enums(&document.value, &mut in_specs);
    }
    let generated: BTreeSet<Vec<String>> = ir
        .types
        .iter()
        .filter_map(|def| match &def.kind {
            TypeKind::Enum { variants, .. } => {
                let mut values: Vec<String> = variants.iter().map(|v| v.value.clone()).collect();
                values.sort();
                Some(values)
            }
            _ => None,
        })
        .collect();
    let missing: Vec<_> = in_specs.difference(&generated).collect();
    assert!(missing.is_empty(), "enums without a Rust enum: {missing:?}");
    assert!(in_specs.len() >= 30, "{} enums", in_specs.len());
}

// The geo and docs routers over HTTP, against implementations that answer from what the
// request carried.

struct Maps;

fn not_here() -> ApiError {
    ApiError::not_found("Not part of this test")
}

impl geo::GeoApi for Maps {
    type Caller = String;

    async fn authenticate(&self, credential: geo::Credential) -> Result<String, ApiError> {
        match credential {
            geo::Credential::MapsKey(key) if key == "k1" => Ok("maps-user".into()),
            _ => Err(ApiError::rejected_credential("Unknown key")),
        }
    }

    async fn get_shape(
        &self,
        _caller: String,
        _: geo::GetShapeRequest,
    ) -> Result<geo::GetShapeResponse, ApiError> {
        Err(not_here())
    }

    async fn put_shape(
        &self,
        _caller: String,
        request: geo::PutShapeRequest,
    ) -> Result<geo::PutShapeResponse, ApiError> {
        // The union was told apart by `type`: answer with what arrived.
        let kind = match &request.body {
            types::Geometry::Polygon(polygon) => {
                format!("polygon of {}", polygon.coordinates.len())
            }
            types::Geometry::PointGeometry(_) => "point".into(),
            types::Geometry::LineString(_) => "line".into(),
            types::Geometry::Other(value) => format!("other: {}", value["type"]),
        };
        Ok(geo::PutShapeResponse::PreconditionFailed(
            types::ApiErrorBody::new(types::ApiErrorCode::from("SEEN"), kind),
        ))
    }

    async fn search_places(
        &self,
        _caller: String,
        _: geo::SearchPlacesRequest,
    ) -> Result<geo::SearchPlacesResponse, ApiError> {
        Err(not_here())
    }

    async fn get_place(
        &self,
        _caller: String,
        request: geo::GetPlaceRequest,
    ) -> Result<geo::GetPlaceResponse, ApiError> {
        let point = types::Point::new(1.5, 2.5);
        Ok(geo::GetPlaceResponse::Ok(types::Place::new(
            request.place_id.clone(),
            request.place_id,
            point,
        )))
    }

    async fn plan_route(
        &self,
        _caller: String,
        _: geo::PlanRouteRequest,
    ) -> Result<geo::PlanRouteResponse, ApiError> {
        Err(not_here())
    }

    async fn get_tile(
        &self,
        request: geo::GetTileRequest,
    ) -> Result<geo::GetTileResponse, ApiError> {
        Ok(match request.scale {
            None | Some(types::GetTileScale::V2) => {
                geo::GetTileResponse::Ok(types::GetTileOkBody::Png(vec![
                    request.z as u8,
                    request.x as u8,
                    request.y as u8,
                ]))
            }
            Some(other) => geo::GetTileResponse::NotFound(types::GetTileNotFoundBody::Plain(
                format!("no tile at scale {other}"),
            )),
        })
    }

    async fn geo_search(
        &self,
        _caller: String,
        request: geo::GeoSearchRequest,
    ) -> Result<geo::GeoSearchResponse, ApiError> {
        let mut body = types::GeoSearchOkBody::new(Vec::new());
        body.page = Some(types::PageInfo::new(i64::from(request.x_page_size)));
        Ok(geo::GeoSearchResponse::Ok(body))
    }
}

struct Notes;

impl docs::DocsApi for Notes {
    type Caller = String;

    async fn authenticate(&self, credential: docs::Credential) -> Result<String, ApiError> {
        match credential {
            docs::Credential::Session(session) if session == "s1" => Ok("reader".into()),
            _ => Err(ApiError::rejected_credential("Unknown session")),
        }
    }

    async fn list_notes(
        &self,
        _caller: String,
        _: docs::ListNotesRequest,
    ) -> Result<docs::ListNotesResponse, ApiError> {
        Err(not_here())
    }

    async fn create_note(
        &self,
        _caller: String,
        request: docs::CreateNoteRequest,
    ) -> Result<docs::CreateNoteResponse, ApiError> {
        // Which variant the media type chose, told back in an error message.
        let seen = match request.body {
            types::CreateNoteBody::Markdown(text) => format!("markdown: {text}"),
            types::CreateNoteBody::Json(note) => format!("json: {}", note.title),
        };
        Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            types::ApiErrorCode::from("SEEN"),
            seen,
        ))
    }

    async fn get_page(
        &self,
        _caller: String,
        _: docs::GetPageRequest,
    ) -> Result<docs::GetPageResponse, ApiError> {
        Err(not_here())
    }

    async fn put_page(
        &self,
        _caller: String,
        _: docs::PutPageRequest,
    ) -> Result<docs::PutPageResponse, ApiError> {
        Err(not_here())
    }

    async fn get_page_history(
        &self,
        _caller: String,
        _: docs::GetPageHistoryRequest,
    ) -> Result<docs::GetPageHistoryResponse, ApiError> {
        Err(not_here())
    }

    async fn get_changelog(
        &self,
        _: docs::GetChangelogRequest,
    ) -> Result<docs::GetChangelogResponse, ApiError> {
        Err(not_here())
    }

    async fn list_comments(
        &self,
        _: docs::ListCommentsRequest,
    ) -> Result<docs::ListCommentsResponse, ApiError> {
        Err(not_here())
    }

    async fn post_comment(
        &self,
        _: docs::PostCommentRequest,
    ) -> Result<docs::PostCommentResponse, ApiError> {
        Err(not_here())
    }

    async fn search_docs(
        &self,
        _: docs::SearchDocsRequest,
    ) -> Result<docs::SearchDocsResponse, ApiError> {
        Ok(docs::SearchDocsResponse::Ok(json!({"hits": []})))
    }
}

async fn serve(router: axum::Router) -> String {
    server_stub::remote::install_tls_provider();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    base
}

async fn answer(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn the_geo_router_keeps_the_specs_meaning() {
    let base = serve(geo::router(Arc::new(Maps))).await;
    let http = reqwest::Client::new();

    // Percent-decoded path parameters: `@user:server` arrives as written.
    let (status, _, body) = answer(
        http.get(format!(
            "{base}/geo/v2/places/%40alice%3Aexample.org?key=k1"
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let place: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(place["id"], "@alice:example.org");
    assert_eq!(place["location"], json!({"lat": 1.5, "lon": 2.5}));

    // The API key in its query parameter, or an error of the configured shape.
    let (status, _, body) = answer(
        http.get(format!("{base}/geo/v2/places/x?key=wrong"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            status,
            serde_json::from_str::<Value>(&body).unwrap()["code"].clone()
        ),
        (401, json!("REJECTED_CREDENTIAL"))
    );

    // An integer enum in the query, and a response in the media type of its variant.
    let (status, content_type, _) = answer(
        http.get(format!("{base}/geo/v2/tiles/3/4/5?scale=2"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, content_type.as_str()), (200, "image/png"));
    let tile = http
        .get(format!("{base}/geo/v2/tiles/3/4/5"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(tile.as_ref(), [3, 4, 5]);
    let (status, content_type, body) = answer(
        http.get(format!("{base}/geo/v2/tiles/3/4/5?scale=7"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (404, "text/plain", "no tile at scale 7")
    );
    let (status, _, _) = answer(
        http.get(format!("{base}/geo/v2/tiles/3/4/5?scale=two"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);

    // A tagged union: chosen by `type`; an unknown type is kept, not refused.
    let shape = format!("{base}/geo/v2/shapes/0b7e2a10-3c5f-4f7e-9a61-2d1f0c9b8e77?key=k1");
    for (geometry, seen) in [
        (
            json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1]]]}),
            "polygon of 1",
        ),
        (json!({"type": "Point", "coordinates": [0, 0]}), "point"),
        (json!({"type": "Circle", "radius": 2}), "other: \"Circle\""),
    ] {
        let (status, _, body) =
            answer(http.put(&shape).json(&geometry).send().await.unwrap()).await;
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, body["message"].as_str().unwrap()), (412, seen));
    }
    // A tagged variant that does not fit its own shape is refused, with the reason.
    let (status, _, body) = answer(
        http.put(&shape)
            .json(&json!({"type": "Polygon"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // Typed header parameters: parsed, defaulted, refused when not of their type.
    let search = format!("{base}/geo/v2/search?q=cafe&key=k1");
    let request_id = "9f1c5a8e-1111-4222-8333-944455556666";
    let (status, _, body) = answer(
        http.get(&search)
            .header("X-Request-Id", request_id)
            .header("X-Page-Size", "7")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (
            status,
            serde_json::from_str::<Value>(&body).unwrap()["page"]["total"].clone()
        ),
        (200, json!(7))
    );
    let (_, _, body) = answer(
        http.get(&search)
            .header("X-Request-Id", request_id)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["page"]["total"],
        20
    );
    let (status, _, _) = answer(
        http.get(&search)
            .header("X-Request-Id", request_id)
            .header("X-Page-Size", "seven")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = answer(http.get(&search).send().await.unwrap()).await;
    assert_eq!(status, 400, "a required header is missing");
}

#[tokio::test]
async fn the_docs_router_reads_bodies_by_media_type() {
    let base = serve(docs::router(Arc::new(Notes))).await;
    let http = reqwest::Client::new();
    let notes = format!("{base}/docs/v1/notes");
    let post = |content_type: &'static str, body: &'static str| {
        http.post(&notes)
            .header("Cookie", "theme=dark; SESSION=s1")
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let message = |body: &str| serde_json::from_str::<Value>(body).unwrap()["message"].clone();

    let (status, _, body) = answer(
        post("text/markdown; charset=utf-8", "# Hello")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, message(&body)), (409, json!("markdown: # Hello")));
    let (status, _, body) = answer(
        post("application/json", r#"{"title": "T", "body": "B"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, message(&body)), (409, json!("json: T")));
    let (status, _, body) = answer(post("image/png", "\u{89}PNG").await.unwrap()).await;
    assert_eq!(
        (status, message(&body)),
        (
            415,
            json!("Unsupported media type: text/markdown, application/json")
        )
    );
    let (status, _, _) = answer(post("application/json", r#"{"title": 1}"#).await.unwrap()).await;
    assert_eq!(status, 400);

    // The session cookie is the credential; without it the router answers 401 itself.
    let (status, _, _) = answer(http.post(&notes).body("# x").send().await.unwrap()).await;
    assert_eq!(status, 401);

    // A response documented by example only carries any JSON.
    let (status, content_type, body) = answer(
        http.get(format!("{base}/docs/v1/search?q=x"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str(), body.as_str()),
        (200, "application/json", r#"{"hits":[]}"#)
    );
}

#[test]
fn union_and_tuple_values_round_trip() {
    let events: Vec<types::RoomEvent> = serde_json::from_value(json!([
        {"type": "m.room.message", "content": {"msgtype": "m.text", "body": "hi"}},
        {"type": "m.room.member", "state_key": "@bob:example.org", "content": {"membership": "join"}},
        {"type": "m.room.topic", "content": {"topic": "x"}},
    ]))
    .unwrap();
    assert!(matches!(events[0], types::RoomEvent::MessageEvent(_)));
    assert!(matches!(events[1], types::RoomEvent::MemberEvent(_)));
    assert!(matches!(events[2], types::RoomEvent::Other(_)));
    let chunk = json!({"chunk": [["$e1", "m.thread", 1700000000000_i64]]});
    let relations: types::GetRelationsOkBody = serde_json::from_value(chunk.clone()).unwrap();
    assert_eq!(
        relations.chunk[0].1,
        types::GetRelationsOkBodyChunkItemSecond::Thread
    );
    assert_eq!(serde_json::to_value(&relations).unwrap(), chunk);
    // Nested conditions: a recursive union, boxed where it recurses.
    let condition = json!({"kind": "all_of", "conditions": [{"kind": "event_match", "key": "k", "pattern": "p"}]});
    let parsed: types::Condition = serde_json::from_value(condition.clone()).unwrap();
    assert!(matches!(parsed, types::Condition::AllOfConditions(_)));
    assert_eq!(serde_json::to_value(&parsed).unwrap(), condition);
    let mut by_name = BTreeMap::new();
    by_name.insert(
        "u.work".to_owned(),
        types::GetRoomTagsOkBodyTagsValue::new(),
    );
    let tags = types::GetRoomTagsOkBody::new(by_name);
    assert_eq!(
        serde_json::to_value(&tags).unwrap(),
        json!({"tags": {"u.work": {}}})
    );
}

/// The types' serde impls are generated, not derived: they must read and write objects as
/// serde's derive did with the attributes they replace. Absent and `null` stay apart where a
/// field is optional and nullable; a missing required property and a repeated one are
/// serde's errors; properties beyond the named ones land in the extra map and go out again;
/// an empty message is not written.
#[test]
fn generated_serde_impls_keep_what_the_derive_kept() {
    let read = |json: Value| serde_json::from_value::<types::RoomSummary>(json);
    let absent = read(json!({"room_id": "!r", "visibility": "public"})).unwrap();
    assert_eq!(absent.name, None);
    let null = read(json!({"room_id": "!r", "visibility": "public", "name": null})).unwrap();
    assert_eq!(null.name, Some(None));
    assert_eq!(
        serde_json::to_value(&null).unwrap(),
        json!({"room_id": "!r", "visibility": "public", "name": null})
    );
    assert_eq!(
        serde_json::to_value(&absent).unwrap(),
        json!({"room_id": "!r", "visibility": "public"})
    );
    let missing = read(json!({"visibility": "public"})).unwrap_err();
    assert_eq!(missing.to_string(), "missing field `room_id`");
    let twice: Result<types::RoomSummary, _> =
        serde_json::from_str(r#"{"room_id": "!a", "room_id": "!b", "visibility": "public"}"#);
    assert!(
        twice
            .unwrap_err()
            .to_string()
            .starts_with("duplicate field `room_id`"),
        "a repeated property is refused"
    );

    let body = json!({"code": "E_X", "message": "", "retry_after_ms": 5, "detail": [1]});
    let error: types::ApiErrorBody = serde_json::from_value(body).unwrap();
    assert_eq!(error.retry_after_ms, Some(5));
    assert_eq!(error.extra.get("detail"), Some(&json!([1])));
    assert_eq!(
        serde_json::to_value(&error).unwrap(),
        json!({"code": "E_X", "retry_after_ms": 5, "detail": [1]})
    );
}
