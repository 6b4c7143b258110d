//! Two users' session against a real Synapse, through the client generated from the Matrix
//! v1.16 spec tree: registration (with its User-Interactive Authentication), login, profile,
//! media, rooms and their state, membership, messages and pagination, sync, account data,
//! tags, filters, devices, keys, to-device messages, push rules, directory and aliases,
//! receipts, typing, presence, relations and threads, redaction, reports, key backup and
//! logout. Every call must be accepted by Synapse and its answer must parse into a variant the
//! spec documents. Where Synapse and the spec disagree (a status the spec does not document, a
//! body its schema does not allow), the disagreement must be listed with its reason in the
//! file given as the second argument; one that is not listed fails the run.
//!
//! tests/synapse/run.sh copies this file into the generated crate's `examples/` and runs it
//! (`cargo run --features reqwest --example synapse_session -- URL DISAGREEMENTS`).

// The session calls deprecated operations too (`initialSync`, the old `/events`): Synapse
// still serves them, and the spec still documents them.
#![allow(deprecated)]

use std::fmt::Debug;

use matrix_spec_v1_16::client_server::{self as cs, Client, Credential};
use matrix_spec_v1_16::media::Blob;
use matrix_spec_v1_16::outgoing::{BaseUrl, ClientError, ResponseError};
use matrix_spec_v1_16::types;
use serde_json::{Value, json};

/// A disagreement between Synapse and the spec, known and explained.
#[derive(serde::Deserialize)]
struct Known {
    /// The client method: `get_presence`.
    operation: String,
    /// What Synapse answered, as the run reports it: `undocumented 404`, `undecodable 200`.
    answer: String,
    /// Why: which side is wrong, and where the spec says what.
    reason: String,
}

/// What the run found.
#[derive(Default)]
struct Run {
    known: Vec<Known>,
    calls: usize,
    /// Every operation called, once each.
    operations: std::collections::BTreeSet<String>,
    passed: usize,
    listed: Vec<String>,
    failures: Vec<String>,
}

impl Run {
    /// Checks one call's outcome: `expected` is the status it must answer with (a success,
    /// unless the session means to be refused, as the first step of User-Interactive
    /// Authentication is).
    fn check<R: Debug>(
        &mut self,
        operation: &str,
        result: &Result<R, ClientError>,
        status: impl Fn(&R) -> http::StatusCode,
        expected: Option<u16>,
    ) {
        self.calls += 1;
        self.operations.insert(operation.to_owned());
        let answer = match result {
            Ok(response) => {
                let got = status(response);
                let fine = match expected {
                    Some(code) => got.as_u16() == code,
                    None => got.is_success(),
                };
                if fine {
                    self.passed += 1;
                    println!("ok    {operation}: {got}");
                    return;
                }
                format!("refused {}", got.as_u16())
            }
            Err(ClientError::Response(ResponseError::Undocumented { status, .. })) => {
                format!("undocumented {}", status.as_u16())
            }
            Err(ClientError::Response(ResponseError::Undecodable { status, .. })) => {
                format!("undecodable {}", status.as_u16())
            }
            Err(other) => {
                let failure = format!("{operation}: {other}");
                println!("FAIL  {failure}");
                self.failures.push(failure);
                return;
            }
        };
        let detail = match result {
            Ok(response) => format!("{response:?}"),
            Err(error) => error.to_string(),
        };
        let detail: String = detail.chars().take(300).collect();
        match self
            .known
            .iter()
            .find(|k| k.operation == operation && k.answer == answer)
        {
            Some(known) => {
                println!("known {operation}: {answer}: {}", known.reason);
                self.listed.push(format!("{operation}: {answer}"));
            }
            None => {
                let failure = format!("{operation}: {answer} (not listed): {detail}");
                println!("FAIL  {failure}");
                self.failures.push(failure);
            }
        }
    }
}

/// Calls `client.method(&request)`, checks the outcome, and gives the response back.
macro_rules! call {
    ($run:expr, $client:expr, $method:ident, $request:expr) => {
        call!($run, $client, $method, $request, None)
    };
    ($run:expr, $client:expr, $method:ident, $request:expr, $expected:expr) => {{
        let result = $client.$method(&$request).await;
        $run.check(stringify!($method), &result, |r| r.status(), $expected);
        result.ok()
    }};
}

/// The body of a response's `Ok` variant, as JSON (`Null` when the call did not succeed).
macro_rules! ok {
    ($response:expr, $variant:path) => {
        match $response {
            Some($variant(body)) => serde_json::to_value(&body).unwrap_or_default(),
            _ => Value::Null,
        }
    };
}

/// A value of a generated type from JSON, as the spec's examples write it.
fn from<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{e}: {value}"))
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// A user, registered through User-Interactive Authentication (the dummy stage).
struct User {
    id: String,
    device: String,
    client: Client<reqwest::Client>,
}

async fn register(run: &mut Run, base: &Client<reqwest::Client>, name: &str) -> User {
    let body = json!({"username": name, "password": "correct horse battery staple", "initial_device_display_name": "first"});
    let request = cs::RegisterRequest {
        kind: types::RegisterKind::User,
        body: from(body.clone()),
    };
    let challenge = call!(run, base, register, request, Some(401));
    let session = match &challenge {
        Some(cs::RegisterResponse::Unauthorized(uia)) => uia.session.clone().unwrap_or_default(),
        _ => String::new(),
    };
    let mut body = body;
    body["auth"] = json!({"type": "m.login.dummy", "session": session});
    let request = cs::RegisterRequest {
        kind: types::RegisterKind::User,
        body: from(body),
    };
    let registered = ok!(
        call!(run, base, register, request),
        cs::RegisterResponse::Ok
    );
    let token = text(&registered["access_token"]);
    User {
        id: text(&registered["user_id"]),
        device: text(&registered["device_id"]),
        client: base
            .clone()
            .with_credential(Credential::AccessTokenBearer(token.into())),
    }
}

/// The `next_batch` of a sync (initial without `since`), with `timeout` 0.
async fn sync(run: &mut Run, user: &User, since: Option<String>, filter: Option<String>) -> String {
    let request = cs::SyncRequest {
        filter,
        since,
        full_state: None,
        set_presence: None,
        timeout: Some(0),
        use_state_after: None,
    };
    text(&ok!(call!(run, user.client, sync, request), cs::SyncResponse::Ok)["next_batch"])
}

async fn send(run: &mut Run, user: &User, room: &str, txn: &str, content: Value) -> String {
    let request = cs::SendMessageRequest {
        room_id: room.to_owned(),
        event_type: "m.room.message".into(),
        txn_id: txn.to_owned(),
        body: from(content),
    };
    let sent = ok!(
        call!(run, user.client, send_message, request),
        cs::SendMessageResponse::Ok
    );
    text(&sent["event_id"])
}

// Long because it is the session itself, in the order a client would go through it.
async fn session(run: &mut Run, url: &str) {
    let base = Client::new(BaseUrl::new(url));

    // Before logging in.
    call!(run, base, get_versions, cs::GetVersionsRequest {});
    call!(run, base, get_login_flows, cs::GetLoginFlowsRequest {});
    let available = cs::CheckUsernameAvailabilityRequest {
        username: "alice".into(),
    };
    call!(run, base, check_username_availability, available);

    let alice = register(run, &base, "alice").await;
    let bob = register(run, &base, "bob").await;

    // A second device for Alice, by password.
    let login = cs::LoginRequest {
        body: from(json!({
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": "alice"},
            "password": "correct horse battery staple",
            "initial_device_display_name": "second"
        })),
    };
    let logged_in = ok!(call!(run, base, login, login), cs::LoginResponse::Ok);
    let alice2 = User {
        id: alice.id.clone(),
        device: text(&logged_in["device_id"]),
        client: base.clone().with_credential(Credential::AccessTokenBearer(
            text(&logged_in["access_token"]).into(),
        )),
    };

    for user in [&alice, &bob] {
        call!(
            run,
            user.client,
            get_token_owner,
            cs::GetTokenOwnerRequest {}
        );
    }
    // A third login that asks for a refresh token, and refreshes.
    let refreshing = cs::LoginRequest {
        body: from(json!({
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": "bob"},
            "password": "correct horse battery staple",
            "refresh_token": true
        })),
    };
    let refreshable = ok!(call!(run, base, login, refreshing), cs::LoginResponse::Ok);
    let refresh = cs::RefreshRequest {
        body: from(json!({"refresh_token": refreshable["refresh_token"]})),
    };
    call!(run, base, refresh, refresh);
    call!(
        run,
        alice.client,
        get_account3_pi_ds,
        cs::GetAccount3PiDsRequest {}
    );
    call!(
        run,
        alice.client,
        get_capabilities,
        cs::GetCapabilitiesRequest {}
    );
    call!(
        run,
        alice.client,
        get_config_authed,
        cs::GetConfigAuthedRequest {}
    );
    call!(
        run,
        alice.client,
        get_push_rules,
        cs::GetPushRulesRequest {}
    );
    call!(
        run,
        alice.client,
        get_push_rules_global,
        cs::GetPushRulesGlobalRequest {}
    );
    call!(
        run,
        alice.client,
        get_joined_rooms,
        cs::GetJoinedRoomsRequest {}
    );
    call!(run, alice.client, get_protocols, cs::GetProtocolsRequest {});
    call!(
        run,
        alice.client,
        get_turn_server,
        cs::GetTurnServerRequest {}
    );
    let first_sync = sync(run, &alice, None, None).await;

    // Profile, with an avatar uploaded as media.
    let displayname = cs::SetProfileFieldRequest {
        user_id: alice.id.clone(),
        key_name: "displayname".into(),
        body: from(json!({"displayname": "Alice"})),
    };
    call!(run, alice.client, set_profile_field, displayname);
    let png = vec![
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, b'I', b'D',
        b'A', b'T', 0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 0x02, 0, 0x01, 0x73, 0x75, 0x01, 0x18, 0, 0,
        0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82,
    ];
    let upload = cs::UploadContentRequest {
        content_type: Some("image/png".into()),
        filename: Some("avatar.png".into()),
        body: types::UploadContentBody::OctetStream(Blob::new("", png.clone())),
    };
    let uploaded = ok!(
        call!(run, alice.client, upload_content, upload),
        cs::UploadContentResponse::Ok
    );
    let mxc = text(&uploaded["content_uri"]);
    let (server_name, media_id) = split_mxc(&mxc);
    let download = cs::GetContentAuthedRequest {
        server_name: server_name.clone(),
        media_id: media_id.clone(),
        timeout_ms: 20000,
    };
    let downloaded = call!(run, bob.client, get_content_authed, download);
    if let Some(cs::GetContentAuthedResponse::Ok(types::GetContentAuthedOkBody::OctetStream(blob))) =
        &downloaded
        && (blob.content_type != "image/png" || blob.bytes != png)
    {
        run.failures.push(format!(
            "get_content_authed: the upload came back as `{}`, {} bytes",
            blob.content_type,
            blob.bytes.len()
        ));
    }
    let named = cs::GetContentOverrideNameAuthedRequest {
        server_name: server_name.clone(),
        media_id: media_id.clone(),
        file_name: "a.png".into(),
        timeout_ms: 20000,
    };
    call!(run, bob.client, get_content_override_name_authed, named);
    let thumbnail = cs::GetContentThumbnailAuthedRequest {
        server_name: server_name.clone(),
        media_id: media_id.clone(),
        width: 1,
        height: 1,
        method: Some(types::GetContentThumbnailAuthedMethod::Scale),
        timeout_ms: 20000,
        animated: None,
    };
    call!(run, bob.client, get_content_thumbnail_authed, thumbnail);
    // An upload in two steps: the URI first, the bytes after.
    let created = ok!(
        call!(
            run,
            alice.client,
            create_content,
            cs::CreateContentRequest {}
        ),
        cs::CreateContentResponse::Ok
    );
    let later = text(&created["content_uri"]);
    let (later_server, later_id) = split_mxc(&later);
    let fill = cs::UploadContentToMxcRequest {
        server_name: later_server,
        media_id: later_id,
        content_type: Some("text/plain".into()),
        filename: Some("notes.txt".into()),
        body: types::UploadContentToMxcBody::OctetStream(Blob::new("", b"tea notes".to_vec())),
    };
    call!(run, alice.client, upload_content_to_mxc, fill);
    let avatar = cs::SetProfileFieldRequest {
        user_id: alice.id.clone(),
        key_name: "avatar_url".into(),
        body: from(json!({"avatar_url": mxc})),
    };
    call!(run, alice.client, set_profile_field, avatar);
    let status = cs::SetProfileFieldRequest {
        user_id: alice.id.clone(),
        key_name: "org.example.status".into(),
        body: from(json!({"org.example.status": "brewing"})),
    };
    call!(run, alice.client, set_profile_field, status);
    let unset = cs::DeleteProfileFieldRequest {
        user_id: alice.id.clone(),
        key_name: "org.example.status".into(),
    };
    call!(run, alice.client, delete_profile_field, unset);
    let field = cs::GetProfileFieldRequest {
        user_id: alice.id.clone(),
        key_name: "displayname".into(),
    };
    call!(run, bob.client, get_profile_field, field);
    let profile = cs::GetUserProfileRequest {
        user_id: alice.id.clone(),
    };
    call!(run, bob.client, get_user_profile, profile);

    // A room, its state, its alias and its directory entry.
    let create = cs::CreateRoomRequest {
        body: from(
            json!({"name": "Tea", "topic": "Brewing", "preset": "public_chat", "room_alias_name": "tea"}),
        ),
    };
    let room = text(
        &ok!(
            call!(run, alice.client, create_room, create),
            cs::CreateRoomResponse::Ok
        )["room_id"],
    );
    call!(
        run,
        alice.client,
        get_room_state,
        cs::GetRoomStateRequest {
            room_id: room.clone()
        }
    );
    let name = cs::GetRoomStateWithKeyRequest {
        room_id: room.clone(),
        event_type: "m.room.name".into(),
        state_key: String::new(),
        format: None,
    };
    call!(run, alice.client, get_room_state_with_key, name);
    let topic = cs::SetRoomStateWithKeyRequest {
        room_id: room.clone(),
        event_type: "m.room.topic".into(),
        state_key: String::new(),
        body: from(json!({"topic": "Brewing, and drinking"})),
    };
    call!(run, alice.client, set_room_state_with_key, topic);
    let alias = "#tea2:localhost".to_owned();
    let set_alias = cs::SetRoomAliasRequest {
        room_alias: alias.clone(),
        body: from(json!({"room_id": room})),
    };
    call!(run, alice.client, set_room_alias, set_alias);
    let resolve = cs::GetRoomIdByAliasRequest {
        room_alias: alias.clone(),
    };
    call!(run, bob.client, get_room_id_by_alias, resolve);
    call!(
        run,
        alice.client,
        get_local_aliases,
        cs::GetLocalAliasesRequest {
            room_id: room.clone()
        }
    );
    let publish = cs::SetRoomVisibilityOnDirectoryRequest {
        room_id: room.clone(),
        body: from(json!({"visibility": "public"})),
    };
    call!(run, alice.client, set_room_visibility_on_directory, publish);
    let visibility = cs::GetRoomVisibilityOnDirectoryRequest {
        room_id: room.clone(),
    };
    call!(
        run,
        bob.client,
        get_room_visibility_on_directory,
        visibility
    );
    let public = cs::GetPublicRoomsRequest {
        limit: Some(10),
        since: None,
        server: None,
    };
    call!(run, bob.client, get_public_rooms, public);
    let query = cs::QueryPublicRoomsRequest {
        server: None,
        body: from(json!({"limit": 10, "filter": {"generic_search_term": "tea"}})),
    };
    call!(run, bob.client, query_public_rooms, query);
    let summary = cs::GetRoomSummaryRequest {
        room_id_or_alias: types::GetRoomSummaryRoomIdOrAlias::RoomId(
            room.parse().expect("a room ID"),
        ),
        via: None,
    };
    call!(run, bob.client, get_room_summary, summary);

    // Bob is invited, joins, and they talk.
    let invite = cs::InviteUserRequest {
        room_id: room.clone(),
        body: from(json!({"user_id": bob.id, "reason": "tea"})),
    };
    call!(run, alice.client, invite_user, invite);
    let bob_sync = sync(run, &bob, None, None).await;
    let join = cs::JoinRoomByIdRequest {
        room_id: room.clone(),
        body: from(json!({})),
    };
    call!(run, bob.client, join_room_by_id, join);
    call!(
        run,
        bob.client,
        get_joined_rooms,
        cs::GetJoinedRoomsRequest {}
    );
    let members = cs::GetMembersByRoomRequest {
        room_id: room.clone(),
        at: None,
        membership: None,
        not_membership: None,
    };
    call!(run, bob.client, get_members_by_room, members);
    let joined = cs::GetJoinedMembersByRoomRequest {
        room_id: room.clone(),
    };
    call!(run, bob.client, get_joined_members_by_room, joined);

    let mut events = Vec::new();
    for (i, line) in ["Kettle on?", "It is.", "Green or black?", "Black."]
        .iter()
        .enumerate()
    {
        let user = if i % 2 == 0 { &alice } else { &bob };
        let txn = format!("m{i}");
        events.push(
            send(
                run,
                user,
                &room,
                &txn,
                json!({"msgtype": "m.text", "body": line}),
            )
            .await,
        );
    }
    let page = cs::GetRoomEventsRequest {
        room_id: room.clone(),
        from: None,
        to: None,
        dir: types::GetRoomEventsDir::B,
        limit: Some(2),
        filter: None,
    };
    let first_page = ok!(
        call!(run, bob.client, get_room_events, page),
        cs::GetRoomEventsResponse::Ok
    );
    let next = cs::GetRoomEventsRequest {
        room_id: room.clone(),
        from: first_page["end"].as_str().map(str::to_owned),
        to: None,
        dir: types::GetRoomEventsDir::B,
        limit: Some(2),
        filter: None,
    };
    call!(run, bob.client, get_room_events, next);
    let context = cs::GetEventContextRequest {
        room_id: room.clone(),
        event_id: events[1].clone(),
        limit: Some(2),
        filter: None,
    };
    call!(run, alice.client, get_event_context, context);
    let one = cs::GetOneRoomEventRequest {
        room_id: room.clone(),
        event_id: events[0].clone(),
    };
    call!(run, bob.client, get_one_room_event, one);
    let at_time = cs::GetEventByTimestampRequest {
        room_id: room.clone(),
        ts: 0,
        dir: types::GetEventByTimestampDir::F,
    };
    call!(run, bob.client, get_event_by_timestamp, at_time);

    // Anyone may read the history: Bob peeks into it, through the old event stream too.
    let readable = cs::SetRoomStateWithKeyRequest {
        room_id: room.clone(),
        event_type: "m.room.history_visibility".into(),
        state_key: String::new(),
        body: from(json!({"history_visibility": "world_readable"})),
    };
    call!(run, alice.client, set_room_state_with_key, readable);
    let peek = cs::PeekEventsRequest {
        from: None,
        timeout: Some(0),
        room_id: Some(room.clone()),
    };
    call!(run, bob.client, peek_events, peek);
    let stream = cs::GetEventsRequest {
        from: None,
        timeout: Some(0),
    };
    call!(run, bob.client, get_events, stream);
    let old_sync = cs::InitialSyncRequest {
        limit: Some(2),
        archived: None,
    };
    call!(run, bob.client, initial_sync, old_sync);
    let room_sync = cs::RoomInitialSyncRequest {
        room_id: room.clone(),
    };
    call!(run, bob.client, room_initial_sync, room_sync);
    let old_event = cs::GetOneEventRequest {
        event_id: events[0].clone(),
    };
    call!(run, bob.client, get_one_event, old_event);
    let hierarchy = cs::GetSpaceHierarchyRequest {
        room_id: room.clone(),
        suggested_only: None,
        limit: Some(5),
        max_depth: Some(1),
        from: None,
    };
    call!(run, bob.client, get_space_hierarchy, hierarchy);

    // Replies in a thread, a reaction, an edit; their relations.
    let root = events[2].clone();
    for (i, line) in ["Black, always.", "With milk."].iter().enumerate() {
        let content = json!({"msgtype": "m.text", "body": line, "m.relates_to": {"rel_type": "m.thread", "event_id": root}});
        send(run, &bob, &room, &format!("t{i}"), content).await;
    }
    let reaction = cs::SendMessageRequest {
        room_id: room.clone(),
        event_type: "m.reaction".into(),
        txn_id: "r0".into(),
        body: from(
            json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": root, "key": "👍"}}),
        ),
    };
    call!(run, alice.client, send_message, reaction);
    let relations = cs::GetRelatingEventsRequest {
        room_id: room.clone(),
        event_id: root.clone(),
        from: None,
        to: None,
        limit: Some(10),
        dir: None,
        recurse: None,
    };
    call!(run, alice.client, get_relating_events, relations);
    let threaded = cs::GetRelatingEventsWithRelTypeRequest {
        room_id: room.clone(),
        event_id: root.clone(),
        rel_type: "m.thread".into(),
        from: None,
        to: None,
        limit: Some(10),
        dir: None,
        recurse: None,
    };
    call!(
        run,
        alice.client,
        get_relating_events_with_rel_type,
        threaded
    );
    let reactions = cs::GetRelatingEventsWithRelTypeAndEventTypeRequest {
        room_id: room.clone(),
        event_id: root.clone(),
        rel_type: "m.annotation".into(),
        event_type: "m.reaction".into(),
        from: None,
        to: None,
        limit: Some(10),
        dir: None,
        recurse: None,
    };
    call!(
        run,
        bob.client,
        get_relating_events_with_rel_type_and_event_type,
        reactions
    );
    let threads = cs::GetThreadRootsRequest {
        room_id: room.clone(),
        include: None,
        limit: Some(5),
        from: None,
    };
    call!(run, alice.client, get_thread_roots, threads);

    // Redaction and reports.
    let spam = send(
        run,
        &bob,
        &room,
        "spam",
        json!({"msgtype": "m.text", "body": "buy now"}),
    )
    .await;
    let redact = cs::RedactEventRequest {
        room_id: room.clone(),
        event_id: spam.clone(),
        txn_id: "x0".into(),
        body: from(json!({"reason": "spam"})),
    };
    call!(run, alice.client, redact_event, redact);
    let report = cs::ReportEventRequest {
        room_id: room.clone(),
        event_id: events[1].clone(),
        body: from(json!({"reason": "rude"})),
    };
    call!(run, alice.client, report_event, report);
    let report_room = cs::ReportRoomRequest {
        room_id: room.clone(),
        body: from(json!({"reason": "a test"})),
    };
    call!(run, bob.client, report_room, report_room);
    let report_user = cs::ReportUserRequest {
        user_id: bob.id.parse().expect("a user ID"),
        body: from(json!({"reason": "a test"})),
    };
    call!(run, alice.client, report_user, report_user);

    // Receipts, read markers, typing, presence.
    let receipt = cs::PostReceiptRequest {
        room_id: room.clone(),
        receipt_type: types::PostReceiptReceiptType::Read,
        event_id: events[3].clone(),
        body: from(json!({})),
    };
    call!(run, alice.client, post_receipt, receipt);
    let markers = cs::SetReadMarkerRequest {
        room_id: room.clone(),
        body: from(json!({"m.fully_read": events[3], "m.read": events[3]})),
    };
    call!(run, bob.client, set_read_marker, markers);
    let typing = cs::SetTypingRequest {
        user_id: alice.id.clone(),
        room_id: room.clone(),
        body: from(json!({"typing": true, "timeout": 3000})),
    };
    call!(run, alice.client, set_typing, typing);
    let presence = cs::SetPresenceRequest {
        user_id: alice.id.clone(),
        body: from(json!({"presence": "online", "status_msg": "Brewing"})),
    };
    call!(run, alice.client, set_presence, presence);
    let seen = cs::GetPresenceRequest {
        user_id: alice.id.clone(),
    };
    call!(run, bob.client, get_presence, seen);

    // Account data and tags.
    let data = cs::SetAccountDataRequest {
        user_id: alice.id.clone(),
        type_: "org.example.settings".into(),
        body: from(json!({"theme": "dark"})),
    };
    call!(run, alice.client, set_account_data, data);
    let data = cs::GetAccountDataRequest {
        user_id: alice.id.clone(),
        type_: "org.example.settings".into(),
    };
    call!(run, alice.client, get_account_data, data);
    let room_data = cs::SetAccountDataPerRoomRequest {
        user_id: alice.id.clone(),
        room_id: room.clone(),
        type_: "org.example.pinned".into(),
        body: from(json!({"pinned": true})),
    };
    call!(run, alice.client, set_account_data_per_room, room_data);
    let room_data = cs::GetAccountDataPerRoomRequest {
        user_id: alice.id.clone(),
        room_id: room.clone(),
        type_: "org.example.pinned".into(),
    };
    call!(run, alice.client, get_account_data_per_room, room_data);
    let tag = cs::SetRoomTagRequest {
        user_id: alice.id.clone(),
        room_id: room.clone(),
        tag: "m.favourite".into(),
        body: from(json!({"order": 0.5})),
    };
    call!(run, alice.client, set_room_tag, tag);
    let tags = cs::GetRoomTagsRequest {
        user_id: alice.id.clone(),
        room_id: room.clone(),
    };
    call!(run, alice.client, get_room_tags, tags);
    let untag = cs::DeleteRoomTagRequest {
        user_id: alice.id.clone(),
        room_id: room.clone(),
        tag: "m.favourite".into(),
    };
    call!(run, alice.client, delete_room_tag, untag);

    // A filter, and incremental syncs with it.
    let filter = cs::DefineFilterRequest {
        user_id: bob.id.clone(),
        body: from(json!({"room": {"timeline": {"limit": 5}}, "presence": {"not_types": ["*"]}})),
    };
    let filter_id = text(
        &ok!(
            call!(run, bob.client, define_filter, filter),
            cs::DefineFilterResponse::Ok
        )["filter_id"],
    );
    let get_filter = cs::GetFilterRequest {
        user_id: bob.id.clone(),
        filter_id: filter_id.clone(),
    };
    call!(run, bob.client, get_filter, get_filter);
    let bob_sync = sync(run, &bob, Some(bob_sync), Some(filter_id)).await;
    sync(run, &alice, Some(first_sync), None).await;

    // Devices and end-to-end keys.
    call!(run, alice.client, get_devices, cs::GetDevicesRequest {});
    let device = cs::GetDeviceRequest {
        device_id: alice.device.clone(),
    };
    call!(run, alice.client, get_device, device);
    let rename = cs::UpdateDeviceRequest {
        device_id: alice.device.clone(),
        body: from(json!({"display_name": "Alice's laptop"})),
    };
    call!(run, alice.client, update_device, rename);
    for user in [&alice, &bob] {
        let keys = cs::UploadKeysRequest {
            body: from(json!({
                "device_keys": {
                    "user_id": user.id, "device_id": user.device,
                    "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
                    "keys": {
                        format!("curve25519:{}", user.device): "3C5BFWi2Y8MaVvjM8M22DBmh24PmgR0nPvJOIArzgyI",
                        format!("ed25519:{}", user.device): "lEuiRJBit0IG6nUf5pUzWTUEsRVVe/HJkoKuEww9ULI"
                    },
                    "signatures": {user.id.clone(): {format!("ed25519:{}", user.device): "dSO80A01XiigH3uBiDVx/EjzaoycHcjq9lfQX0uWsqxl2giMIiSPR8a4d291W1ihKJL/a+myXS367WT6NAIcBA"}}
                },
                "one_time_keys": {
                    "signed_curve25519:AAAAHg": {
                        "key": "zKbLg+NrIjpnagy+pIY6uPL4ZwEG2v+8F9lmgsnlZzs",
                        "signatures": {user.id.clone(): {format!("ed25519:{}", user.device): "FLWxXqGbwrb8SM3Y795eB6OA8bwBcoMZFXBqnTn58AYWZSqiD45tlBVcDa2L7RwdKXebW/VzDlnfVJ+9jok1Bw"}}
                    }
                }
            })),
        };
        call!(run, user.client, upload_keys, keys);
    }
    let query = cs::QueryKeysRequest {
        body: from(json!({"device_keys": {bob.id.clone(): []}, "timeout": 1000})),
    };
    call!(run, alice.client, query_keys, query);
    let claim = cs::ClaimKeysRequest {
        body: from(
            json!({"one_time_keys": {bob.id.clone(): {bob.device.clone(): "signed_curve25519"}}, "timeout": 1000}),
        ),
    };
    call!(run, alice.client, claim_keys, claim);
    let changes = cs::GetKeysChangesRequest {
        from: bob_sync.clone(),
        to: sync(run, &bob, Some(bob_sync.clone()), None).await,
    };
    call!(run, bob.client, get_keys_changes, changes);
    let master = "nqOvzeuGWT/sRx3h7+MHoInYj3Uk2LD/unI9kDYcHwk";
    let cross_signing = cs::UploadCrossSigningKeysRequest {
        body: from(json!({
            "master_key": {"user_id": alice.id, "usage": ["master"], "keys": {format!("ed25519:{master}"): master}}
        })),
    };
    call!(run, alice.client, upload_cross_signing_keys, cross_signing);
    let pusher = cs::PostPusherRequest {
        body: from(json!({
            "pushkey": "APA91bHPRgkF3JUikC4ENAHEeMrd41Zxv3hVZjC9KtT8OvPVGJ",
            "kind": "http", "app_id": "org.example.tea", "app_display_name": "Tea",
            "device_display_name": "Alice's phone", "lang": "en",
            "data": {"url": "https://push.example.org/_matrix/push/v1/notify", "format": "event_id_only"}
        })),
    };
    call!(run, alice.client, post_pusher, pusher);
    let to_device = cs::SendToDeviceRequest {
        event_type: "org.example.ping".into(),
        txn_id: "d0".into(),
        body: from(json!({"messages": {bob.id.clone(): {bob.device.clone(): {"hello": "bob"}}}})),
    };
    call!(run, alice.client, send_to_device, to_device);

    // Key backup.
    let backup = cs::PostRoomKeysVersionRequest {
        body: from(json!({
            "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
            "auth_data": {"public_key": "hdx+uVpSbPxLrUkMHjXvRfUSpPS5kd/Rs0FhpXwVyXg"}
        })),
    };
    let version = text(
        &ok!(
            call!(run, alice.client, post_room_keys_version, backup),
            cs::PostRoomKeysVersionResponse::Ok
        )["version"],
    );
    call!(
        run,
        alice.client,
        get_room_keys_version_current,
        cs::GetRoomKeysVersionCurrentRequest {}
    );
    let session_key = cs::PutRoomKeyBySessionIdRequest {
        version: version.clone(),
        room_id: room.clone(),
        session_id: "sess1".into(),
        body: from(json!({
            "first_message_index": 0, "forwarded_count": 0, "is_verified": true,
            "session_data": {"ephemeral": "base64+ephemeral+key", "ciphertext": "base64+ciphertext", "mac": "base64+mac"}
        })),
    };
    call!(run, alice.client, put_room_key_by_session_id, session_key);
    let update = cs::PutRoomKeysVersionRequest {
        version: version.clone(),
        body: from(json!({
            "algorithm": "m.megolm_backup.v1.curve25519-aes-sha2",
            "auth_data": {"public_key": "hdx+uVpSbPxLrUkMHjXvRfUSpPS5kd/Rs0FhpXwVyXg"},
            "version": version
        })),
    };
    call!(run, alice.client, put_room_keys_version, update);
    let session_data = json!({
        "first_message_index": 1, "forwarded_count": 0, "is_verified": true,
        "session_data": {"ephemeral": "base64+ephemeral+key", "ciphertext": "base64+ciphertext", "mac": "base64+mac"}
    });
    let room_backup = cs::PutRoomKeysByRoomIdRequest {
        version: version.clone(),
        room_id: room.clone(),
        body: from(json!({"sessions": {"sess2": session_data}})),
    };
    call!(run, alice.client, put_room_keys_by_room_id, room_backup);
    let all_backup = cs::PutRoomKeysRequest {
        version: version.clone(),
        body: from(json!({"rooms": {room.clone(): {"sessions": {"sess3": session_data}}}})),
    };
    call!(run, alice.client, put_room_keys, all_backup);
    let backed_up = cs::GetRoomKeysVersionRequest {
        version: version.clone(),
    };
    call!(run, alice.client, get_room_keys_version, backed_up);
    let session_key = cs::GetRoomKeyBySessionIdRequest {
        version: version.clone(),
        room_id: room.clone(),
        session_id: "sess1".into(),
    };
    call!(run, alice.client, get_room_key_by_session_id, session_key);
    let room_keys = cs::GetRoomKeysByRoomIdRequest {
        version: version.clone(),
        room_id: room.clone(),
    };
    call!(run, alice.client, get_room_keys_by_room_id, room_keys);
    let keys = cs::GetRoomKeysRequest {
        version: version.clone(),
    };
    call!(run, alice.client, get_room_keys, keys);
    let forget_key = cs::DeleteRoomKeyBySessionIdRequest {
        version: version.clone(),
        room_id: room.clone(),
        session_id: "sess1".into(),
    };
    call!(run, alice.client, delete_room_key_by_session_id, forget_key);
    let drop_room = cs::DeleteRoomKeysByRoomIdRequest {
        version: version.clone(),
        room_id: room.clone(),
    };
    call!(run, alice.client, delete_room_keys_by_room_id, drop_room);
    let drop_all = cs::DeleteRoomKeysRequest {
        version: version.clone(),
    };
    call!(run, alice.client, delete_room_keys, drop_all);
    let drop_backup = cs::DeleteRoomKeysVersionRequest {
        version: version.clone(),
    };
    call!(run, alice.client, delete_room_keys_version, drop_backup);

    // Push rules: one of Alice's own, switched off, its actions changed, removed.
    let rule = cs::SetPushRuleRequest {
        kind: types::SetPushRuleKind::Content,
        rule_id: "tea".into(),
        before: None,
        after: None,
        body: from(json!({"pattern": "tea", "actions": ["notify"]})),
    };
    call!(run, alice.client, set_push_rule, rule);
    let get_rule = cs::GetPushRuleRequest {
        kind: types::GetPushRuleKind::Content,
        rule_id: "tea".into(),
    };
    call!(run, alice.client, get_push_rule, get_rule);
    let off = cs::SetPushRuleEnabledRequest {
        kind: types::SetPushRuleEnabledKind::Content,
        rule_id: "tea".into(),
        body: from(json!({"enabled": false})),
    };
    call!(run, alice.client, set_push_rule_enabled, off);
    let enabled = cs::IsPushRuleEnabledRequest {
        kind: types::IsPushRuleEnabledKind::Content,
        rule_id: "tea".into(),
    };
    call!(run, alice.client, is_push_rule_enabled, enabled);
    let actions = cs::SetPushRuleActionsRequest {
        kind: types::SetPushRuleActionsKind::Content,
        rule_id: "tea".into(),
        body: from(json!({"actions": [{"set_tweak": "sound", "value": "default"}, "notify"]})),
    };
    call!(run, alice.client, set_push_rule_actions, actions);
    let actions = cs::GetPushRuleActionsRequest {
        kind: types::GetPushRuleActionsKind::Content,
        rule_id: "tea".into(),
    };
    call!(run, alice.client, get_push_rule_actions, actions);
    let remove = cs::DeletePushRuleRequest {
        kind: types::DeletePushRuleKind::Content,
        rule_id: "tea".into(),
    };
    call!(run, alice.client, delete_push_rule, remove);
    call!(run, alice.client, get_pushers, cs::GetPushersRequest {});
    let notifications = cs::GetNotificationsRequest {
        from: None,
        limit: Some(5),
        only: None,
    };
    call!(run, bob.client, get_notifications, notifications);

    // Search, the user directory, OpenID.
    let search = cs::SearchRequest {
        next_batch: None,
        body: from(
            json!({"search_categories": {"room_events": {"search_term": "black", "keys": ["content.body"]}}}),
        ),
    };
    call!(run, bob.client, search, search);
    let directory = cs::SearchUserDirectoryRequest {
        body: from(json!({"search_term": "ali", "limit": 5})),
    };
    call!(run, bob.client, search_user_directory, directory);
    let openid = cs::RequestOpenIdTokenRequest {
        user_id: alice.id.clone(),
        body: from(json!({})),
    };
    call!(run, alice.client, request_open_id_token, openid);

    let upgrade = cs::UpgradeRoomRequest {
        room_id: room.clone(),
        body: from(json!({"new_version": "10"})),
    };
    let upgraded = ok!(
        call!(run, alice.client, upgrade_room, upgrade),
        cs::UpgradeRoomResponse::Ok
    );
    let new_room = text(&upgraded["replacement_room"]);
    let members = cs::GetJoinedMembersByRoomRequest { room_id: new_room };
    call!(run, alice.client, get_joined_members_by_room, members);

    // Membership: Bob is kicked, comes back, is banned and unbanned, leaves and forgets.
    let kick = cs::KickRequest {
        room_id: room.clone(),
        body: from(json!({"user_id": bob.id, "reason": "a test"})),
    };
    call!(run, alice.client, kick, kick);
    let rejoin = cs::JoinRoomRequest {
        room_id_or_alias: alias.clone(),
        via: None,
        body: from(json!({"reason": "back"})),
    };
    call!(run, bob.client, join_room, rejoin);
    let ban = cs::BanRequest {
        room_id: room.clone(),
        body: from(json!({"user_id": bob.id, "reason": "a test"})),
    };
    call!(run, alice.client, ban, ban);
    let unban = cs::UnbanRequest {
        room_id: room.clone(),
        body: from(json!({"user_id": bob.id})),
    };
    call!(run, alice.client, unban, unban);
    let rejoin = cs::JoinRoomByIdRequest {
        room_id: room.clone(),
        body: from(json!({})),
    };
    call!(run, bob.client, join_room_by_id, rejoin);
    let leave = cs::LeaveRoomRequest {
        room_id: room.clone(),
        body: from(json!({"reason": "bye"})),
    };
    call!(run, bob.client, leave_room, leave);
    let forget = cs::ForgetRoomRequest {
        room_id: room.clone(),
    };
    call!(run, bob.client, forget_room, forget);
    let remove_alias = cs::DeleteRoomAliasRequest { room_alias: alias };
    call!(run, alice.client, delete_room_alias, remove_alias);

    // Leaving: Alice removes her second device (User-Interactive Authentication by
    // password), logs out, and Bob logs out everywhere.
    let remove = cs::DeleteDeviceRequest {
        device_id: alice2.device.clone(),
        body: from(json!({})),
    };
    let challenge = call!(run, alice.client, delete_device, remove, Some(401));
    let session = match &challenge {
        Some(cs::DeleteDeviceResponse::Unauthorized(uia)) => {
            uia.session.clone().unwrap_or_default()
        }
        _ => String::new(),
    };
    let remove = cs::DeleteDeviceRequest {
        device_id: alice2.device.clone(),
        body: from(json!({"auth": {
            "type": "m.login.password", "session": session,
            "identifier": {"type": "m.id.user", "user": "alice"},
            "password": "correct horse battery staple"
        }})),
    };
    call!(run, alice.client, delete_device, remove);
    call!(
        run,
        alice2.client,
        get_token_owner,
        cs::GetTokenOwnerRequest {},
        Some(401)
    );
    // Bob's refreshable login goes, by User-Interactive Authentication.
    let devices = cs::DeleteDevicesRequest {
        body: from(json!({"devices": [refreshable["device_id"]]})),
    };
    let challenge = call!(run, bob.client, delete_devices, devices, Some(401));
    let session = match &challenge {
        Some(cs::DeleteDevicesResponse::Unauthorized(uia)) => {
            uia.session.clone().unwrap_or_default()
        }
        _ => String::new(),
    };
    let devices = cs::DeleteDevicesRequest {
        body: from(json!({"devices": [refreshable["device_id"]], "auth": {
            "type": "m.login.password", "session": session,
            "identifier": {"type": "m.id.user", "user": "bob"},
            "password": "correct horse battery staple"
        }})),
    };
    call!(run, bob.client, delete_devices, devices);
    call!(run, alice.client, logout, cs::LogoutRequest {});
    call!(run, bob.client, logout_all, cs::LogoutAllRequest {});
    call!(
        run,
        bob.client,
        get_token_owner,
        cs::GetTokenOwnerRequest {},
        Some(401)
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(known)) = (args.next(), args.next()) else {
        eprintln!("usage: synapse_session URL DISAGREEMENTS.json");
        std::process::exit(2);
    };
    let known = std::fs::read_to_string(&known).unwrap_or_else(|e| panic!("{known}: {e}"));
    let mut run = Run {
        known: serde_json::from_str(&known).unwrap_or_else(|e| panic!("disagreements: {e}")),
        ..Run::default()
    };
    session(&mut run, &url).await;
    let unmet: Vec<String> = run
        .known
        .iter()
        .map(|k| format!("{}: {}", k.operation, k.answer))
        .filter(|k| !run.listed.contains(k))
        .collect();
    println!(
        "{} calls: {} as the spec says, {} listed disagreements, {} failures",
        run.calls,
        run.passed,
        run.listed.len(),
        run.failures.len()
    );
    for entry in &unmet {
        println!("listed but not met this time (stale?): {entry}");
    }
    for failure in &run.failures {
        eprintln!("failure: {failure}");
    }
    println!("{} client-server operations called", run.operations.len());
    if run.operations.len() < 120 {
        eprintln!(
            "only {} operations called; the session must call at least 120",
            run.operations.len()
        );
        std::process::exit(1);
    }
    if !run.failures.is_empty() {
        std::process::exit(1);
    }
}

/// The server name (a `types::ServerName`, checked) and the media ID of an `mxc://` URI
/// Synapse answered with.
fn split_mxc(mxc: &str) -> (types::ServerName, String) {
    let (server, media) = mxc
        .trim_start_matches("mxc://")
        .split_once('/')
        .expect("an mxc:// URI");
    (
        server.parse().expect("the server name of an mxc:// URI"),
        media.to_owned(),
    )
}
