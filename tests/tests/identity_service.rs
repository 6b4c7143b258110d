//! The identity service beyond the seeds, end to end over HTTP as Sydent behaves
//! (MATRIX-BEHAVIOUR.md's identity sections): terms, hashed lookups, the v1 lookups,
//! invitations and their delivery to a homeserver on bind, `sign-ed25519`, key validity,
//! the v2 associations and validation, each on every backend. The templates' test sends
//! through a real SMTP conversation to a sink on loopback.

#[macro_use]
mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use common::{Backend, assert_error, body, id, link_parameter, server, server_with};
use serde_json::{Value, json};
use sha2::Digest as _;

on_every_backend!(
    terms_flow,
    hashed_lookups,
    v1_lookups,
    invitations,
    v2_validation_and_associations,
    status_endpoints,
    rate_limits,
);

/// Registers `name` on the homeserver and an identity account for them (OpenID): the user
/// ID and the account token.
async fn account(server: &common::Server, name: &str) -> (String, String) {
    let (user_id, access, _) = server.register(name, "pw").await;
    let (status, openid) = server.openid_token(&user_id, &access).await;
    assert_eq!(status, 200, "{openid}");
    let request = id::RegisterAccountRequest { body: body(openid) };
    let (status, answer) = server.call(request, None).await;
    assert_eq!(status, 200, "{answer}");
    (user_id, answer["token"].as_str().unwrap().to_owned())
}

/// Sydent's `terms.yaml` layout: two policies, one in two languages.
const TERMS: &str = r#"
master_version: "2.0"
docs:
  privacy_policy:
    version: "1.2"
    langs:
      en:
        name: "Privacy Policy"
        url: "https://terms.example/privacy-1.2-en.html"
      fr:
        name: "Politique de confidentialité"
        url: "https://terms.example/privacy-1.2-fr.html"
  terms_of_service:
    version: "2.0"
    langs:
      en:
        name: "Terms of Service"
        url: "https://terms.example/tos-2.0-en.html"
"#;

async fn terms_flow(backend: Backend) {
    let terms = server_stub::identity::terms::Terms::parse(TERMS).unwrap();
    let with_terms = server_with(backend, |s| s.terms = terms).await;
    let server = &with_terms;
    let (_, token) = account(server, "tess").await;

    // Anyone may read the terms, as the file has them.
    let (status, published) = server.call(id::GetTermsRequest {}, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        published,
        json!({"policies": {
            "privacy_policy": {
                "version": "1.2",
                "en": {"name": "Privacy Policy", "url": "https://terms.example/privacy-1.2-en.html"},
                "fr": {"name": "Politique de confidentialité", "url": "https://terms.example/privacy-1.2-fr.html"},
            },
            "terms_of_service": {
                "version": "2.0",
                "en": {"name": "Terms of Service", "url": "https://terms.example/tos-2.0-en.html"},
            },
        }})
    );

    // Until every policy is accepted, every other v2 endpoint that acts for the account
    // refuses; the account itself is readable.
    let details = || server.call(id::GetHashDetailsRequest {}, Some(&token));
    assert_error(&details().await, 403, "M_TERMS_NOT_SIGNED");
    assert_eq!(
        server.call(id::GetAccountRequest {}, Some(&token)).await.0,
        200
    );
    let agree = |urls: Value| id::AgreeToTermsRequest {
        body: body(json!({ "user_accepts": urls })),
    };
    assert_error(
        &server
            .call(
                agree(json!(["https://terms.example/other.html"])),
                Some(&token),
            )
            .await,
        400,
        "M_UNKNOWN",
    );
    assert_error(
        &server
            .call(
                agree(json!(["https://terms.example/tos-2.0-en.html"])),
                None,
            )
            .await,
        401,
        "M_UNAUTHORIZED",
    );
    // One policy, in French: not yet all of them.
    let (status, _) = server
        .call(
            agree(json!(["https://terms.example/privacy-1.2-fr.html"])),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    assert_error(&details().await, 403, "M_TERMS_NOT_SIGNED");
    let lookup = id::LookupUsersV2Request {
        body: body(json!({"algorithm": "none", "pepper": "x", "addresses": []})),
    };
    assert_error(
        &server.call(lookup, Some(&token)).await,
        403,
        "M_TERMS_NOT_SIGNED",
    );
    // The other one, in a later call: acceptances add up.
    let (status, _) = server
        .call(
            agree(json!(["https://terms.example/tos-2.0-en.html"])),
            Some(&token),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(details().await.0, 200);

    // Without terms, nothing asks for agreement.
    let plain = common::server(backend).await;
    assert_eq!(
        plain.call(id::GetTermsRequest {}, None).await,
        (200, json!({"policies": {}}))
    );
    let (_, token) = account(&plain, "tom").await;
    assert_eq!(
        plain
            .call(id::GetHashDetailsRequest {}, Some(&token))
            .await
            .0,
        200
    );
}

/// The hash a `sha256` lookup sends, computed here from the spec's own words: the
/// unpadded URL-safe base64 of SHA-256 over `"{address} {medium} {pepper}"`.
fn lookup_hash(address: &str, medium: &str, pepper: &str) -> String {
    let digest = sha2::Sha256::digest(format!("{address} {medium} {pepper}"));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
}

/// Validates and binds `email` to `mxid` through the v1 API (no account needed).
async fn bind(server: &common::Server, email: &str, mxid: &str) -> Value {
    let sid = server.validate_email(email, "secret").await;
    let request = id::BindRequest {
        body: body(json!({"sid": sid, "client_secret": "secret", "mxid": mxid})),
    };
    let (status, association) = server.call(request, None).await;
    assert_eq!(status, 200, "{association}");
    association
}

async fn hashed_lookups(backend: Backend) {
    let server = server_with(backend, |s| s.max_lookup_addresses = 3).await;
    bind(&server, "Lou@Example.org", "@lou:localhost").await;
    let (_, token) = account(&server, "reader").await;

    let (status, details) = server
        .call(id::GetHashDetailsRequest {}, Some(&token))
        .await;
    assert_eq!(status, 200);
    assert_eq!(details["algorithms"], json!(["none", "sha256"]));
    let pepper = details["lookup_pepper"].as_str().unwrap().to_owned();
    assert!(!pepper.is_empty());

    let lookup = |algorithm: &str, pepper: &str, addresses: Vec<String>| id::LookupUsersV2Request {
        body: body(json!({"algorithm": algorithm, "pepper": pepper, "addresses": addresses})),
    };
    let bound = lookup_hash("lou@example.org", "email", &pepper);
    let unbound = lookup_hash("nobody@example.org", "email", &pepper);
    assert_eq!(
        server
            .call(
                lookup("sha256", &pepper, vec![bound.clone(), unbound]),
                Some(&token)
            )
            .await,
        (200, json!({"mappings": {bound.clone(): "@lou:localhost"}}))
    );
    // `none`: the address and medium as they are (the address as the user typed it).
    let given = "Lou@Example.org email".to_owned();
    assert_eq!(
        server
            .call(lookup("none", &pepper, vec![given.clone()]), Some(&token))
            .await,
        (200, json!({"mappings": {given: "@lou:localhost"}}))
    );

    // A pepper that is not the current one: the answer says which is, so a client can
    // retry.
    let (status, wrong) = server
        .call(lookup("sha256", "stale", vec![bound.clone()]), Some(&token))
        .await;
    assert_eq!(
        (
            status,
            &wrong["errcode"],
            &wrong["lookup_pepper"],
            &wrong["algorithm"]
        ),
        (
            400,
            &json!("M_INVALID_PEPPER"),
            &json!(pepper),
            &json!("sha256")
        )
    );
    assert_error(
        &server
            .call(lookup("md5", &pepper, vec![bound.clone()]), Some(&token))
            .await,
        400,
        "M_INVALID_PARAM",
    );
    for malformed in ["lou@example.org", "lou@example.org  email", " email"] {
        assert_error(
            &server
                .call(
                    lookup("none", &pepper, vec![malformed.into()]),
                    Some(&token),
                )
                .await,
            400,
            "M_UNKNOWN",
        );
    }
    let four = (0..4).map(|i| format!("{i}@example.org email")).collect();
    assert_error(
        &server
            .call(lookup("none", &pepper, four), Some(&token))
            .await,
        400,
        "M_TOO_LARGE",
    );
    assert_error(
        &server.call(lookup("sha256", &pepper, vec![]), None).await,
        401,
        "M_UNAUTHORIZED",
    );
    assert_error(
        &server
            .call(lookup("sha256", &pepper, vec![]), Some("not-a-token"))
            .await,
        401,
        "M_UNAUTHORIZED",
    );

    // An operator replaces the pepper (SQL backends: the command works on the database):
    // the old one is refused, the new one finds the same association under its new hash.
    if let server_stub::Database::Sql(_) = &server.settings.database {
        server_stub::app::rotate_lookup_pepper(&server.settings.database)
            .await
            .unwrap();
        let (status, refused) = server
            .call(lookup("sha256", &pepper, vec![bound]), Some(&token))
            .await;
        assert_eq!(
            (status, &refused["errcode"]),
            (400, &json!("M_INVALID_PEPPER"))
        );
        let rotated = refused["lookup_pepper"].as_str().unwrap();
        assert_ne!(rotated, pepper);
        let rehashed = lookup_hash("lou@example.org", "email", rotated);
        assert_eq!(
            server
                .call(
                    lookup("sha256", rotated, vec![rehashed.clone()]),
                    Some(&token)
                )
                .await,
            (200, json!({"mappings": {rehashed: "@lou:localhost"}}))
        );
    }
}

async fn v1_lookups(backend: Backend) {
    let server = server(backend).await;
    let association = bind(&server, "Vi@Example.org", "@vi:localhost").await;

    // The signed association, as bind answered it, for any case of the address.
    let request = id::LookupUserRequest {
        medium: "email".into(),
        address: "VI@example.org".into(),
    };
    let (status, found) = server.call(request, None).await;
    assert_eq!((status, &found), (200, &association));
    let (_, key) = server.public_key("ed25519:0").await;
    assert!(server_stub::signing::verify(
        &found,
        "localhost",
        "ed25519:0",
        key["public_key"].as_str().unwrap()
    ));
    let unknown = id::LookupUserRequest {
        medium: "email".into(),
        address: "nobody@example.org".into(),
    };
    assert_eq!(server.call(unknown, None).await, (200, json!({})));

    let bulk = id::LookupUsersRequest {
        body: body(json!({"threepids": [
            ["email", "vi@example.org"],
            ["email", "nobody@example.org"],
            ["msisdn", "447700900000"],
        ]})),
    };
    assert_eq!(
        server.call(bulk, None).await,
        (
            200,
            json!({"threepids": [["email", "vi@example.org", "@vi:localhost"]]})
        )
    );
    // A 3pid that is not a pair is refused, as the body is read.
    let (status, answer) = server
        .post_raw(
            &server.id("/api/v1/bulk_lookup"),
            None,
            json!({"threepids": [["email"]]}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
}

/// A homeserver on loopback that keeps what `3pid/onbind` brings it.
async fn onbind_homeserver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    let router = axum::Router::new().route(
        "/_matrix/federation/v1/3pid/onbind",
        axum::routing::post(move |body: String| async move {
            kept.lock()
                .unwrap()
                .push(serde_json::from_str(&body).unwrap_or(Value::Null));
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                "{}",
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, received)
}

// Long because it is one invitation's whole life: stored, checked, emailed, signed,
// delivered on bind, forgotten.
async fn invitations(backend: Backend) {
    let (homeserver, delivered) = onbind_homeserver().await;
    let server = server_with(backend, |s| {
        s.trusted_homeservers
            .insert("invitee.example".into(), homeserver);
    })
    .await;
    let (alice, token) = account(&server, "alice").await;
    let invite = |sender: &str, medium: &str, address: &str| id::StoreInviteV2Request {
        body: body(json!({
            "medium": medium, "address": address, "room_id": "!room:localhost",
            "sender": sender, "room_name": "Tea", "sender_display_name": "Alice",
            "org.matrix.web_client_location": "https://chat.example",
        })),
    };

    let (status, stored) = server
        .call(invite(&alice, "email", "Zed@Example.org"), Some(&token))
        .await;
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["display_name"], "z...@e...");
    let invite_token = stored["token"].as_str().unwrap().to_owned();
    let keys = stored["public_keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let (_, server_key) = server.public_key("ed25519:0").await;
    assert_eq!(keys[0]["public_key"], server_key["public_key"]);
    assert_eq!(
        keys[0]["key_validity_url"],
        format!("{}/_matrix/identity/v2/pubkey/isvalid", server.id)
    );
    assert_eq!(
        keys[1]["key_validity_url"],
        format!("{}/_matrix/identity/v2/pubkey/ephemeral/isvalid", server.id)
    );
    let ephemeral = keys[1]["public_key"].as_str().unwrap().to_owned();

    // Both keys are valid where the answer says; others are not.
    for (long_term, key, valid) in [
        (true, keys[0]["public_key"].as_str().unwrap(), true),
        (true, ephemeral.as_str(), false),
        (false, ephemeral.as_str(), true),
        (false, keys[0]["public_key"].as_str().unwrap(), false),
        (false, "bm90IGEga2V5", false),
    ] {
        let public_key = key.to_owned();
        let (v2, v1) = if long_term {
            (
                server
                    .call(
                        id::IsPubKeyValidV2Request {
                            public_key: public_key.clone(),
                        },
                        None,
                    )
                    .await,
                server
                    .call(id::IsPubKeyValidRequest { public_key }, None)
                    .await,
            )
        } else {
            (
                server
                    .call(
                        id::IsEphemeralPubKeyValidV2Request {
                            public_key: public_key.clone(),
                        },
                        None,
                    )
                    .await,
                server
                    .call(id::IsEphemeralPubKeyValidRequest { public_key }, None)
                    .await,
            )
        };
        assert_eq!(
            v2,
            (200, json!({ "valid": valid })),
            "{key} long-term {long_term}"
        );
        assert_eq!(v1, v2);
    }

    // The invitation email: to the address, with the link that carries the token and the
    // ephemeral private key (Sydent's `web_client_location` from the request).
    let email = server
        .outbox_messages()
        .into_iter()
        .find(|message| message.contains("To: zed@example.org"))
        .expect("an invitation email");
    assert!(email.contains("Alice"), "{email}");
    let link = email
        .lines()
        .find(|line| line.starts_with("https://chat.example/#/room/"))
        .expect("a link to join")
        .to_owned();
    let sign_url = link_parameter(&link, "signurl");
    assert_eq!(link_parameter(&sign_url, "token"), invite_token);
    let private_key = link_parameter(&sign_url, "private_key");

    // The invitee's homeserver has the invitation signed with that private key.
    let sign = |token: &str| id::BlindlySignStuffV2Request {
        body: body(
            json!({"mxid": "@zed:invitee.example", "token": token, "private_key": private_key}),
        ),
    };
    let (status, signed) = server.call(sign(&invite_token), Some(&token)).await;
    assert_eq!(status, 200, "{signed}");
    assert_eq!(
        (&signed["mxid"], &signed["sender"], &signed["token"]),
        (
            &json!("@zed:invitee.example"),
            &json!(alice),
            &json!(invite_token)
        )
    );
    let ephemeral_standard = ephemeral.replace('-', "+").replace('_', "/");
    assert!(server_stub::signing::verify(
        &signed,
        "localhost",
        "ed25519:0",
        &ephemeral_standard
    ));
    assert_error(
        &server.call(sign("no-such-token"), Some(&token)).await,
        404,
        "M_UNRECOGNIZED",
    );

    // What a sender may not do.
    assert_error(
        &server
            .call(
                invite("@mallory:localhost", "email", "zed@example.org"),
                Some(&token),
            )
            .await,
        403,
        "M_UNAUTHORIZED",
    );
    assert_error(
        &server
            .call(invite(&alice, "msisdn", "447700900000"), Some(&token))
            .await,
        400,
        "M_UNRECOGNIZED",
    );
    assert_error(
        &server
            .call(invite(&alice, "email", "zed@@example.org"), Some(&token))
            .await,
        400,
        "M_INVALID_EMAIL",
    );
    // v1: no account, and the key validity URLs under v1.
    let v1 = id::StoreInviteRequest {
        body: body(
            json!({"medium": "email", "address": "zed@example.org", "room_id": "!other:localhost", "sender": alice}),
        ),
    };
    let (status, stored_v1) = server.call(v1, None).await;
    assert_eq!(status, 200, "{stored_v1}");
    assert_eq!(
        stored_v1["public_keys"][1]["key_validity_url"],
        format!(
            "{}/_matrix/identity/api/v1/pubkey/ephemeral/isvalid",
            server.id
        )
    );

    // Zed binds the address: both pending invitations reach Zed's homeserver, signed by
    // the identity server, and are forgotten.
    let association = bind(&server, "zed@example.org", "@zed:invitee.example").await;
    let onbind = wait_for(&delivered, 1).await;
    assert_eq!(
        (
            &onbind[0]["medium"],
            &onbind[0]["address"],
            &onbind[0]["mxid"]
        ),
        (
            &json!("email"),
            &json!("zed@example.org"),
            &json!("@zed:invitee.example")
        )
    );
    let invites = onbind[0]["invites"].as_array().unwrap();
    assert_eq!(invites.len(), 2, "{invites:?}");
    let rooms: Vec<_> = invites.iter().map(|i| i["room_id"].clone()).collect();
    assert_eq!(rooms, [json!("!room:localhost"), json!("!other:localhost")]);
    for invite in invites {
        assert_eq!(invite["sender"], json!(alice));
        assert_eq!(invite["mxid"], "@zed:invitee.example");
        assert_eq!(invite["signed"]["mxid"], "@zed:invitee.example");
        assert!(server_stub::signing::verify(
            &invite["signed"],
            "localhost",
            "ed25519:0",
            server_key["public_key"].as_str().unwrap()
        ));
    }
    assert_eq!(invites[0]["signed"]["token"], json!(invite_token));
    // Forgotten once delivered: the next bind of the address brings nothing.
    bind(&server, "zed@example.org", "@zed:invitee.example").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(delivered.lock().unwrap().len(), 1);
    assert_error(
        &server.call(sign(&invite_token), Some(&token)).await,
        404,
        "M_UNRECOGNIZED",
    );

    // A bound address is not invited: the answer names who it is bound to.
    let (status, refused) = server
        .call(invite(&alice, "email", "ZED@example.org"), Some(&token))
        .await;
    assert_eq!(
        (status, &refused["errcode"], &refused["mxid"]),
        (400, &json!("M_THREEPID_IN_USE"), &association["mxid"])
    );
}

/// What `received` holds once it holds `count` things (within five seconds).
async fn wait_for<T: Clone>(received: &Arc<Mutex<Vec<T>>>, count: usize) -> Vec<T> {
    for _ in 0..100 {
        let now = received.lock().unwrap().clone();
        if now.len() >= count {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("nothing received in five seconds");
}

async fn v2_validation_and_associations(backend: Backend) {
    let server = server(backend).await;
    let (user_id, token) = account(&server, "val").await;

    // Validation through v2: the same sessions as v1, an account needed.
    let request = |email: &str| id::EmailRequestTokenV2Request {
        body: body(json!({"client_secret": "s3cret", "email": email, "send_attempt": 1})),
    };
    assert_error(
        &server.call(request("val@example.org"), None).await,
        401,
        "M_UNAUTHORIZED",
    );
    assert_error(
        &server.call(request("val@@example.org"), Some(&token)).await,
        400,
        "M_INVALID_EMAIL",
    );
    let (status, started) = server.call(request("Val@Example.org"), Some(&token)).await;
    assert_eq!(status, 200, "{started}");
    let sid = started["sid"].as_str().unwrap().to_owned();
    let link = server
        .emailed_links()
        .into_iter()
        .find(|link| link_parameter(link, "sid") == sid)
        .expect("a validation email");
    let emailed_token = link_parameter(&link, "token");
    let submit = |token: &str| id::EmailSubmitTokenPostV2Request {
        body: body(json!({"sid": sid, "client_secret": "s3cret", "token": token})),
    };
    assert_eq!(
        server.call(submit("wrong"), Some(&token)).await,
        (200, json!({"success": false}))
    );
    let validated = || id::GetValidated3pidV2Request {
        sid: sid.clone(),
        client_secret: "s3cret".into(),
    };
    assert_error(
        &server.call(validated(), Some(&token)).await,
        400,
        "M_SESSION_NOT_VALIDATED",
    );
    // The GET form, as a link would be opened with the account's token: a wrong token is
    // an error (the answer has no body to say `success`), the right one validates.
    let open = |token: &str| id::EmailSubmitTokenGetV2Request {
        sid: sid.clone(),
        client_secret: "s3cret".into(),
        token: token.into(),
    };
    assert_error(
        &server.call(open("wrong"), Some(&token)).await,
        400,
        "M_UNKNOWN",
    );
    assert_eq!(server.call(open(&emailed_token), Some(&token)).await.0, 200);
    assert_eq!(
        server.call(submit(&emailed_token), Some(&token)).await,
        (200, json!({"success": true}))
    );
    let (status, threepid) = server.call(validated(), Some(&token)).await;
    assert_eq!(
        (status, &threepid["medium"], &threepid["address"]),
        (200, &json!("email"), &json!("val@example.org"))
    );

    // Bind through v2: to the account's own user only.
    let bind = |mxid: &str| id::BindV2Request {
        body: body(json!({"sid": sid, "client_secret": "s3cret", "mxid": mxid})),
    };
    assert_error(
        &server.call(bind("@other:localhost"), Some(&token)).await,
        403,
        "M_UNAUTHORIZED",
    );
    let (status, association) = server.call(bind(&user_id), Some(&token)).await;
    assert_eq!((status, &association["mxid"]), (200, &json!(user_id)));
    let (_, key) = server.public_key("ed25519:0").await;
    let (status, key_v2) = server
        .call(
            id::GetPubKeyV2Request {
                key_id: "ed25519:0".into(),
            },
            None,
        )
        .await;
    assert_eq!((status, &key_v2), (200, &key));
    assert!(server_stub::signing::verify(
        &association,
        "localhost",
        "ed25519:0",
        key["public_key"].as_str().unwrap()
    ));
    let unbind = id::UnbindV2Request {
        body: body(
            json!({"sid": sid, "client_secret": "s3cret", "mxid": user_id, "threepid": {"medium": "email", "address": "val@example.org"}}),
        ),
    };
    assert_eq!(server.call(unbind, Some(&token)).await, (200, json!({})));

    // Phone numbers: no SMS gateway, so not a medium this server validates.
    let phone = id::MsisdnRequestTokenV2Request {
        body: body(
            json!({"client_secret": "s3cret", "country": "GB", "phone_number": "07700900000", "send_attempt": 1}),
        ),
    };
    assert_error(
        &server.call(phone, Some(&token)).await,
        400,
        "M_THREEPID_MEDIUM_NOT_SUPPORTED",
    );
    // An email session is no phone session.
    let phone_submit = id::MsisdnSubmitTokenPostV2Request {
        body: body(json!({"sid": sid, "client_secret": "s3cret", "token": emailed_token})),
    };
    assert_error(
        &server.call(phone_submit, Some(&token)).await,
        404,
        "M_NO_VALID_SESSION",
    );
    let phone_open = id::MsisdnSubmitTokenGetV2Request {
        sid: sid.clone(),
        client_secret: "s3cret".into(),
        token: emailed_token.clone().into(),
    };
    assert_error(
        &server.call(phone_open, Some(&token)).await,
        404,
        "M_NO_VALID_SESSION",
    );
}

async fn rate_limits(backend: Backend) {
    let server = server_with(backend, |s| {
        s.rate_limit = Some(server_stub::ratelimit::RateLimit {
            per_second: 0.01,
            burst: 2.0,
        })
    })
    .await;
    // Lookups, per client address.
    let lookup = || id::LookupUserRequest {
        medium: "email".into(),
        address: "a@example.org".into(),
    };
    for _ in 0..2 {
        assert_eq!(server.call(lookup(), None).await.0, 200);
    }
    assert_error(&server.call(lookup(), None).await, 429, "M_LIMIT_EXCEEDED");

    // Invitations, per sender too: v1 and v2 are two endpoints with a bucket each per
    // address, but one sender's invitations share one bucket.
    let (alice, token) = account(&server, "alice").await;
    let invite = json!({"medium": "email", "address": "x@example.org", "room_id": "!r:localhost", "sender": alice});
    let v2 = || id::StoreInviteV2Request {
        body: body(invite.clone()),
    };
    assert_eq!(server.call(v2(), Some(&token)).await.0, 200);
    let v1 = id::StoreInviteRequest {
        body: body(invite.clone()),
    };
    assert_eq!(server.call(v1, None).await.0, 200);
    // The address's v2 bucket has a token left; the sender's has none.
    assert_error(
        &server.call(v2(), Some(&token)).await,
        429,
        "M_LIMIT_EXCEEDED",
    );
}

async fn status_endpoints(backend: Backend) {
    let server = server(backend).await;
    assert_eq!(
        server.call(id::PingV2Request {}, None).await,
        (200, json!({}))
    );
    assert_eq!(
        server.call(id::PingRequest {}, None).await,
        (200, json!({}))
    );
    let (status, versions) = server.call(id::GetVersionsRequest {}, None).await;
    assert_eq!(status, 200);
    let versions = versions["versions"].as_array().unwrap();
    assert!(versions.contains(&json!("v1.16")), "{versions:?}");
    assert!(versions.contains(&json!("r0.3.0")), "{versions:?}");
}

/// A verification template in Sydent's layout: a whole multipart message, its headers from
/// Sydent's variables (`|safe`), the link raw in the text part and HTML-escaped in the HTML
/// part, as Jinja2 with autoescape renders `{{ link }}`.
const SYDENT_LAYOUT_VERIFICATION: &str = "Date: {{ date|safe }}
From: {{ from|safe }}
To: {{ to|safe }}
Message-ID: {{ messageid|safe }}
Subject: Confirm your address for Example Chat
MIME-Version: 1.0
Content-Type: multipart/alternative;
\tboundary=\"{{ multipart_boundary|safe }}\"

--{{ multipart_boundary|safe }}
Content-Type: text/plain; charset=UTF-8
Content-Disposition: inline

To confirm {{ to|safe }}, open {{ link|safe }}
or enter {{ token|safe }}.

--{{ multipart_boundary|safe }}
Content-Type: text/html; charset=UTF-8
Content-Disposition: inline

<p>To confirm your address, <a href=\"{{ link }}\">open this link</a>.</p>

--{{ multipart_boundary|safe }}--
";

/// An SMTP server on loopback that keeps each message's DATA (dot-unstuffed): its address.
async fn smtp_sink() -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                    let reply: &[u8] = match verb.as_str() {
                        "DATA" => {
                            write.write_all(b"354 go on\r\n").await.unwrap();
                            let mut message = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                let line = line.strip_prefix('.').unwrap_or(&line);
                                message.push_str(line);
                                message.push_str("\r\n");
                            }
                            kept.lock().unwrap().push(message);
                            b"250 kept\r\n"
                        }
                        "QUIT" => {
                            write.write_all(b"221 bye\r\n").await.unwrap();
                            return;
                        }
                        _ => b"250 ok\r\n",
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (address, received)
}

/// The template with each `{{ variable }}` a capture: what any rendering of it matches,
/// whole, and nothing else. The variables' names, in order.
fn template_pattern(template: &str) -> (regex_lite::Regex, Vec<(String, bool)>) {
    let placeholder = regex_lite::Regex::new(r"\{\{ (\w+)(\|safe)? \}\}").unwrap();
    let text = template.replace('\n', "\r\n");
    let (mut pattern, mut names, mut at) = (String::from("^"), Vec::new(), 0);
    for found in placeholder.captures_iter(&text) {
        let whole = found.get(0).unwrap();
        pattern.push_str(&regex_lite::escape(&text[at..whole.start()]));
        pattern.push_str("(.*?)");
        names.push((found[1].to_owned(), found.get(2).is_some()));
        at = whole.end();
    }
    pattern.push_str(&regex_lite::escape(&text[at..]));
    pattern.push('$');
    let pattern = regex_lite::RegexBuilder::new(&pattern)
        .dot_matches_new_line(false)
        .build()
        .unwrap();
    (pattern, names)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operators_sydent_template_is_what_the_smtp_server_receives() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::write(
        templates.path().join("verification_template.eml.j2"),
        SYDENT_LAYOUT_VERIFICATION,
    )
    .unwrap();
    std::fs::write(
        templates.path().join("invite_template.eml.j2"),
        "Subject: {{ subject_header_value|safe }}\n\n{{ token|safe }}\n",
    )
    .unwrap();
    let loaded = server_stub::identity::email::EmailTemplates::load(templates.path()).unwrap();
    let (relay, received) = smtp_sink().await;
    let server = server_with(Backend::Memory, |s| {
        s.smtp = Some(format!("smtp://{relay}?tls=none").parse().unwrap());
        s.email_templates = loaded;
        s.email_from = Some("Example Chat <id@chat.example>".into());
    })
    .await;
    let (status, started) = server
        .request_email_token("Sink@Example.org", "s3cret")
        .await;
    assert_eq!(status, 200, "{started}");
    let messages = wait_for(&received, 1).await;
    assert_eq!(messages.len(), 1);
    let message = &messages[0];

    // The message is the template, every variable in its place, and nothing else.
    let (pattern, names) = template_pattern(SYDENT_LAYOUT_VERIFICATION);
    let captures = pattern
        .captures(message)
        .unwrap_or_else(|| panic!("not the template's rendering:\n{message}"));
    let mut values: std::collections::BTreeMap<String, String> = Default::default();
    for (i, (name, safe)) in names.iter().enumerate() {
        let value = captures[i + 1].to_owned();
        // HTML-escaped where the template does not say `|safe`, as Jinja2 escapes.
        let value = if *safe {
            value
        } else {
            value
                .replace("&amp;", "&")
                .replace("&#x2f;", "/")
                .replace("&quot;", "\"")
        };
        if let Some(earlier) = values.insert(name.clone(), value.clone()) {
            assert_eq!(earlier, value, "`{name}` renders the same everywhere");
        }
    }
    assert_eq!(values["to"], "sink@example.org");
    assert_eq!(values["from"], "Example Chat <id@chat.example>");
    let date = regex_lite::Regex::new(
        r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$",
    )
    .unwrap();
    assert!(date.is_match(&values["date"]), "{}", values["date"]);
    assert!(values["messageid"].starts_with('<') && values["messageid"].ends_with("@localhost>"));
    let boundary = &values["multipart_boundary"];
    assert!(boundary.len() == 32 && boundary.chars().all(|c| c.is_ascii_alphanumeric()));
    let link = &values["link"];
    assert_eq!(
        link_parameter(link, "sid"),
        started["sid"].as_str().unwrap()
    );
    assert_eq!(link_parameter(link, "token"), values["token"]);
    // And the link in it works.
    let (status, opened) = server.open_link(link).await;
    assert_eq!((status, opened), (200, json!({"success": true})));
}
