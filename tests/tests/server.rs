//! The server end to end: real listeners on loopback, a real HTTP client, every flow and
//! rule of MATRIX-BEHAVIOUR.md, once per storage backend. Nothing is mocked below HTTP but
//! email, which goes to an outbox directory the tests read.

#[macro_use]
mod common;

use std::time::Duration;

use common::{
    Backend, answer, assert_error, assert_one_registration_wins, assert_refresh_token_used_once,
    body, cs, id, read_answer, registration, server, server_with,
};
use matrix_api::outgoing::{BaseUrl, HttpClient};
use matrix_api::types::RegisterKind;
use serde_json::{Value, json};
use server_stub::{Database, Settings};

on_every_backend!(
    flow_register_login_refresh_password,
    flow_email_3pid_bind_login_unbind,
    flow_openid_identity_account,
    registration_rules,
    registration_sessions,
    concurrent_registrations_of_one_name,
    login_rules,
    device_rules,
    token_rules,
    concurrent_refreshes,
    password_rules,
    password_reset_by_email,
    threepid_rules,
    validation_session_rules,
    association_rules,
    identity_account_rules,
    rate_limits,
    openid_tokens_are_limited_per_user,
    identity_account_tokens_expire,
);

/// Flow 1: register with UIA → login three ways → refresh → change password → log in anew.
async fn flow_register_login_refresh_password(backend: Backend) {
    let server = server(backend).await;
    let (status, challenge) = server
        .call(
            registration(json!({"username": "alice", "password": "old"})),
            None,
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(challenge["flows"], json!([{"stages": ["m.login.dummy"]}]));
    assert_eq!(challenge["params"], json!({}));
    let session = challenge["session"].as_str().unwrap();
    let done = json!({"username": "alice", "password": "old", "auth": {"type": "m.login.dummy", "session": session}});
    let (status, registered) = server.call(registration(done), None).await;
    assert_eq!(status, 200, "{registered}");
    assert_eq!(registered["user_id"], "@alice:localhost");
    assert_eq!(registered["home_server"], "localhost");
    let register_token = registered["access_token"].as_str().unwrap();
    assert!(register_token.len() >= 22, "at least 128 bits");

    let mut tokens = Vec::new();
    for body in [
        json!({"type": "m.login.password", "user": "alice", "password": "old"}),
        json!({"type": "m.login.password", "user": "@alice:localhost", "password": "old"}),
        json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "alice"}, "password": "old"}),
    ] {
        let (status, login) = server.login(body).await;
        assert_eq!(status, 200, "{login}");
        assert_eq!(login["user_id"], "@alice:localhost");
        tokens.push((
            login["access_token"].as_str().unwrap().to_owned(),
            login["refresh_token"].as_str().unwrap().to_owned(),
        ));
    }

    let (old_access, old_refresh) = tokens[0].clone();
    let (status, refreshed) = server.refresh(&old_refresh).await;
    assert_eq!(status, 200, "{refreshed}");
    let new_access = refreshed["access_token"].as_str().unwrap();
    assert_ne!(new_access, old_access);
    assert_error(&server.threepids(&old_access).await, 401, "M_UNKNOWN_TOKEN");
    assert_eq!(server.threepids(new_access).await.0, 200);
    assert_error(&server.refresh(&old_refresh).await, 403, "M_FORBIDDEN");

    let (caller_access, _) = tokens[1].clone();
    let change = |literal| cs::ChangePasswordRequest {
        body: body(literal),
    };
    let (status, challenge) = server
        .call(change(json!({"new_password": "new"})), Some(&caller_access))
        .await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge["flows"],
        json!([{"stages": ["m.login.password"]}])
    );
    let auth = json!({"type": "m.login.password", "user": "alice", "password": "old", "session": challenge["session"]});
    let changed = server
        .call(
            change(json!({"new_password": "new", "auth": auth})),
            Some(&caller_access),
        )
        .await;
    assert_eq!(changed, (200, json!({})));
    assert_eq!(
        server.threepids(&caller_access).await.0,
        200,
        "the caller's token survives"
    );
    for other in [register_token, &tokens[2].0] {
        assert_error(&server.threepids(other).await, 401, "M_UNKNOWN_TOKEN");
    }
    assert_error(&server.refresh(&tokens[2].1).await, 403, "M_FORBIDDEN");
    assert_error(
        &server.login_password("alice", "old").await,
        403,
        "M_FORBIDDEN",
    );
    assert_eq!(server.login_password("alice", "new").await.0, 200);
}

/// Flow 2: validate an email → bind it to an account → log in by it → verify the signed
/// association → unbind.
async fn flow_email_3pid_bind_login_unbind(backend: Backend) {
    let server = server(backend).await;
    let (user_id, access, _) = server.register("bob", "secret").await;
    let sid = server.validate_email("Bob@Example.org", "s3cret").await;
    let (status, validated) = server.validated_3pid(&sid, "s3cret").await;
    assert_eq!(status, 200, "{validated}");
    assert_eq!(
        (&validated["medium"], &validated["address"]),
        (&json!("email"), &json!("bob@example.org"))
    );
    assert!(validated["validated_at"].as_i64().unwrap() > 0);

    let creds = json!({"sid": sid, "client_secret": "s3cret", "id_server": server.id_server});
    let added = cs::Post3pidsRequest {
        body: body(json!({"three_pid_creds": creds, "bind": true})),
    };
    assert_eq!(server.call(added, Some(&access)).await, (200, json!({})));
    let (_, listed) = server.threepids(&access).await;
    assert_eq!(
        listed,
        json!({"threepids": [{"medium": "email", "address": "bob@example.org"}]})
    );

    for body in [
        json!({"type": "m.login.password", "medium": "email", "address": "bob@example.org", "password": "secret"}),
        json!({"type": "m.login.password", "identifier": {"type": "m.id.thirdparty", "medium": "email", "address": "BOB@example.org"}, "password": "secret"}),
    ] {
        let (status, login) = server.login(body).await;
        assert_eq!(
            (status, &login["user_id"]),
            (200, &json!(user_id)),
            "{login}"
        );
    }

    let bind = id::BindRequest {
        body: body(json!({"sid": sid, "client_secret": "s3cret", "mxid": user_id})),
    };
    let (status, association) = server.call(bind, None).await;
    assert_eq!(status, 200, "{association}");
    assert_eq!(association["address"], "bob@example.org");
    let ts = association["ts"].as_i64().unwrap();
    assert_eq!(association["not_before"].as_i64(), Some(ts));
    assert!(association["not_after"].as_i64().unwrap() - ts >= 100 * 365 * 24 * 3600 * 1000);
    let (status, key) = server.public_key("ed25519:0").await;
    assert_eq!(status, 200);
    let public_key = key["public_key"].as_str().unwrap();
    assert!(server_stub::signing::verify(
        &association,
        "localhost",
        "ed25519:0",
        public_key
    ));
    let mut forged = association.clone();
    forged["mxid"] = json!("@mallory:localhost");
    assert!(!server_stub::signing::verify(
        &forged,
        "localhost",
        "ed25519:0",
        public_key
    ));
    assert_error(&server.public_key("ed25519:1").await, 404, "M_NOT_FOUND");

    let unbind = json!({"sid": sid, "client_secret": "s3cret", "mxid": user_id, "threepid": {"medium": "email", "address": "bob@example.org"}});
    let unbind = id::UnbindRequest { body: body(unbind) };
    assert_eq!(server.call(unbind, None).await, (200, json!({})));
}

/// Flow 3: OpenID token from the homeserver → identity account → logout.
async fn flow_openid_identity_account(backend: Backend) {
    let server = server(backend).await;
    let (user_id, access, _) = server.register("carol", "pw").await;
    let (status, openid) = server.openid_token(&user_id, &access).await;
    assert_eq!(status, 200, "{openid}");
    assert_eq!(
        (&openid["token_type"], &openid["matrix_server_name"]),
        (&json!("Bearer"), &json!("localhost"))
    );
    let account = id::RegisterAccountRequest {
        body: body(openid.clone()),
    };
    let (status, account) = server.call(account, None).await;
    assert_eq!(status, 200, "{account}");
    let token = account["token"].as_str().unwrap();
    assert_eq!(
        server.call(id::GetAccountRequest {}, Some(token)).await,
        (200, json!({"user_id": user_id}))
    );
    assert_eq!(
        server.call(id::LogoutRequest {}, Some(token)).await,
        (200, json!({}))
    );
    // The identity API's answer to a dead token is its own.
    assert_error(
        &server.call(id::GetAccountRequest {}, Some(token)).await,
        401,
        "M_UNAUTHORIZED",
    );
    assert_error(
        &server.call(id::LogoutRequest {}, Some(token)).await,
        401,
        "M_UNAUTHORIZED",
    );
    // The homeserver answers userinfo only for live tokens, and only for its own user.
    assert_error(
        &server.openid_token("@dave:localhost", &access).await,
        403,
        "M_FORBIDDEN",
    );
    let userinfo = cs::ExchangeOpenIdTokenRequest {
        access_token: "forged".into(),
    };
    assert_error(&server.call(userinfo, None).await, 401, "M_UNKNOWN_TOKEN");
}

async fn registration_rules(backend: Backend) {
    let server = server(backend).await;
    let register = |username: Value, password: &str| json!({"username": username, "password": password, "auth": {"type": "m.login.dummy"}});
    let (status, registered) = server
        .call(registration(register(json!("Eve"), "pw")), None)
        .await;
    assert_eq!(
        (status, &registered["user_id"]),
        (200, &json!("@eve:localhost")),
        "usernames are lowercased"
    );
    let long = "a".repeat(256 - "@:localhost".len());
    for bad in ["", "_eve", "12345", "ev e", "évé", &long] {
        let result = server
            .call(registration(register(json!(bad), "pw")), None)
            .await;
        assert_error(&result, 400, "M_INVALID_USERNAME");
    }
    // Checked before authentication: no session needed to learn the name is taken.
    let taken = server
        .call(
            registration(json!({"username": "eve", "password": "pw"})),
            None,
        )
        .await;
    assert_error(&taken, 400, "M_USER_IN_USE");
    let (status, registered) = server
        .call(
            registration(json!({"password": "pw", "auth": {"type": "m.login.dummy"}})),
            None,
        )
        .await;
    assert_eq!(status, 200, "{registered}");
    let localpart = registered["user_id"]
        .as_str()
        .unwrap()
        .trim_start_matches('@')
        .split(':')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        localpart.chars().all(|c| c.is_ascii_digit()),
        "a generated numeric localpart: {localpart}"
    );
    assert_error(
        &server
            .call(
                registration(register(json!("frank"), &"p".repeat(513))),
                None,
            )
            .await,
        400,
        "M_INVALID_PARAM",
    );
    assert_eq!(
        server
            .call(
                registration(register(json!("frank"), &"p".repeat(512))),
                None
            )
            .await
            .0,
        200
    );
    // Without the password the spec requires: a body the client cannot send.
    assert_error(
        &server
            .post_raw(&server.cs("/register"), None, json!({"username": "x"}))
            .await,
        400,
        "M_MISSING_PARAM",
    );
    let as_guest = |literal| cs::RegisterRequest {
        kind: RegisterKind::Guest,
        body: body(literal),
    };
    let guest = server
        .call(as_guest(register(json!("g"), "pw")), None)
        .await;
    assert_error(&guest, 403, "M_GUEST_ACCESS_FORBIDDEN");
    // A kind the spec does not have.
    let other = server
        .post_raw(
            &format!("{}?kind=admin", server.cs("/register")),
            None,
            register(json!("g"), "pw"),
        )
        .await;
    assert_eq!(other.0, 400, "{other:?}");

    let guests = server_with(backend, |s| s.allow_guests = true).await;
    let (status, registered) = guests
        .call(as_guest(register(json!("ignored"), "pw")), None)
        .await;
    assert_eq!(status, 200, "{registered}");
}

async fn registration_sessions(backend: Backend) {
    let server = server_with(backend, |s| s.uia_session_lifetime = Duration::from_secs(2)).await;
    let register = |session: &str| json!({"username": "gina", "password": "pw", "auth": {"type": "m.login.dummy", "session": session}});
    for session in ["unknown", "\"><script>alert(1)</script>"] {
        assert_error(
            &server.call(registration(register(session)), None).await,
            400,
            "M_UNKNOWN",
        );
    }
    // A session started on another endpoint is no good here.
    let (_, access, _) = server.register("henry", "pw").await;
    let change = cs::ChangePasswordRequest {
        body: body(json!({"new_password": "x"})),
    };
    let (status, challenge) = server.call(change, Some(&access)).await;
    assert_eq!(status, 401);
    let foreign = challenge["session"].as_str().unwrap();
    assert_error(
        &server.call(registration(register(foreign)), None).await,
        400,
        "M_UNKNOWN",
    );
    // A completed session cannot be replayed.
    let (_, challenge) = server
        .call(
            registration(json!({"username": "gina", "password": "pw"})),
            None,
        )
        .await;
    let session = challenge["session"].as_str().unwrap().to_owned();
    assert_eq!(
        server.call(registration(register(&session)), None).await.0,
        200
    );
    let replay = json!({"username": "ida", "password": "pw", "auth": {"type": "m.login.dummy", "session": session}});
    assert_error(
        &server.call(registration(replay), None).await,
        400,
        "M_UNKNOWN",
    );
    // Sessions expire.
    let (_, challenge) = server
        .call(
            registration(json!({"username": "jane", "password": "pw"})),
            None,
        )
        .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let late = json!({"username": "jane", "password": "pw", "auth": {"type": "m.login.dummy", "session": challenge["session"]}});
    assert_error(
        &server.call(registration(late), None).await,
        400,
        "M_UNKNOWN",
    );
    // An unknown stage type completes nothing.
    let unheard_of =
        json!({"username": "kim", "password": "pw", "auth": {"type": "m.login.unheard_of"}});
    let (status, challenge) = server.call(registration(unheard_of), None).await;
    assert_eq!(status, 401, "{challenge}");
}

async fn concurrent_registrations_of_one_name(backend: Backend) {
    let server = server(backend).await;
    assert_one_registration_wins(&[&server], "popular", 50).await;
}

async fn login_rules(backend: Backend) {
    let server = server(backend).await;
    server.register("liam", "right").await;
    let wrong_password = server.login_password("liam", "wrong").await;
    let unknown_user = server.login_password("nobody", "right").await;
    let unknown_threepid = server
        .login(json!({"type": "m.login.password", "medium": "email", "address": "no@one.org", "password": "right"}))
        .await;
    let bad_token = server
        .login(json!({"type": "m.login.token", "token": "forged"}))
        .await;
    // One answer for all: nothing tells which part was wrong.
    for result in [
        &wrong_password,
        &unknown_user,
        &unknown_threepid,
        &bad_token,
    ] {
        assert_error(result, 403, "M_FORBIDDEN");
        assert_eq!(result.1, wrong_password.1);
    }
    assert_error(
        &server.login(json!({"type": "m.login.magic"})).await,
        400,
        "M_UNKNOWN",
    );
    assert_error(
        &server.login_password("@liam:elsewhere", "right").await,
        403,
        "M_FORBIDDEN",
    );
}

async fn device_rules(backend: Backend) {
    let server = server(backend).await;
    let body = json!({"username": "dora", "password": "pw", "device_id": "PHONE", "auth": {"type": "m.login.dummy"}});
    let (status, registered) = server.call(registration(body), None).await;
    assert_eq!(
        (status, &registered["device_id"]),
        (200, &json!("PHONE")),
        "{registered}"
    );
    let (_, generated) = server.login_password("dora", "pw").await;
    let generated_device = generated["device_id"].as_str().unwrap();
    assert!(!generated_device.is_empty() && generated_device != "PHONE");
    // Logging a device in again ends its earlier session; other devices are untouched.
    let login =
        json!({"type": "m.login.password", "user": "dora", "password": "pw", "device_id": "PHONE"});
    let (status, again) = server.login(login).await;
    assert_eq!((status, &again["device_id"]), (200, &json!("PHONE")));
    assert_error(
        &server
            .threepids(registered["access_token"].as_str().unwrap())
            .await,
        401,
        "M_UNKNOWN_TOKEN",
    );
    assert_eq!(
        server
            .threepids(again["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    assert_eq!(
        server
            .threepids(generated["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    // Another user's device of the same name is another device.
    let body = json!({"username": "eli", "password": "pw", "device_id": "PHONE", "auth": {"type": "m.login.dummy"}});
    assert_eq!(server.call(registration(body), None).await.0, 200);
    assert_eq!(
        server
            .threepids(again["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );
    let bad = json!({"type": "m.login.password", "user": "dora", "password": "pw", "device_id": "a\u{1}b"});
    assert_error(&server.login(bad).await, 400, "M_INVALID_PARAM");
}

async fn token_rules(backend: Backend) {
    let server = server_with(backend, |s| {
        s.access_token_lifetime = Duration::from_secs(2)
    })
    .await;
    let (_, access, refresh) = server.register("mia", "pw").await;
    assert_eq!(server.threepids(&access).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let expired = server.threepids(&access).await;
    assert_error(&expired, 401, "M_UNKNOWN_TOKEN");
    assert_eq!(expired.1["soft_logout"], true);
    // Refreshing works with the expired token, and without any.
    let with_expired_token = cs::RefreshRequest {
        body: body(json!({"refresh_token": refresh})),
    };
    let (status, refreshed) = server.call(with_expired_token, Some(&access)).await;
    assert_eq!(status, 200, "{refreshed}");
    let second_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    let second_access = refreshed["access_token"].as_str().unwrap().to_owned();
    assert_error(&server.refresh("nope").await, 403, "M_FORBIDDEN");
    // Reusing an exchanged refresh token kills the whole chain, the new pair too.
    assert_error(&server.refresh(&refresh).await, 403, "M_FORBIDDEN");
    assert_error(
        &server.threepids(&second_access).await,
        401,
        "M_UNKNOWN_TOKEN",
    );
    assert_error(&server.refresh(&second_refresh).await, 403, "M_FORBIDDEN");
    // Tokens are looked up, not trusted: similar text is nothing.
    let forged = format!("{}x", &access[..access.len() - 1]);
    assert_error(&server.threepids(&forged).await, 401, "M_UNKNOWN_TOKEN");
}

async fn concurrent_refreshes(backend: Backend) {
    let server = server(backend).await;
    let (_, _, refresh) = server.register("nina", "pw").await;
    assert_refresh_token_used_once(&[&server], &refresh).await;
}

async fn password_rules(backend: Backend) {
    let server = server(backend).await;
    let (_, access, _) = server.register("olga", "right").await;
    let change = |literal| cs::ChangePasswordRequest {
        body: body(literal),
    };
    let (_, challenge) = server
        .call(change(json!({"new_password": "x"})), Some(&access))
        .await;
    let auth = json!({"type": "m.login.password", "user": "olga", "password": "wrong", "session": challenge["session"]});
    let (status, refused) = server
        .call(
            change(json!({"new_password": "x", "auth": auth})),
            Some(&access),
        )
        .await;
    assert_eq!(
        (status, &refused["errcode"]),
        (401, &json!("M_FORBIDDEN")),
        "{refused}"
    );
    assert!(refused["flows"].is_array());
    // A token that is presented must be valid.
    assert_error(
        &server
            .call(change(json!({"new_password": "x"})), Some("forged"))
            .await,
        401,
        "M_UNKNOWN_TOKEN",
    );
    let (status, challenge) = server
        .call(change(json!({"new_password": "x"})), None)
        .await;
    assert_eq!(
        (status, &challenge["flows"]),
        (401, &json!([{"stages": ["m.login.email.identity"]}]))
    );
    let long = "p".repeat(513);
    assert_error(
        &server
            .call(change(json!({"new_password": long})), Some(&access))
            .await,
        400,
        "M_INVALID_PARAM",
    );
    // Login takes no password that could never have been set: refused before it is
    // normalised (NFKC expands `ﷺ` eighteen-fold) or hashed.
    let huge = "\u{FDFA}".repeat(170_000);
    for password in [long.as_str(), huge.as_str()] {
        let (status, refused) = server.login_password("olga", password).await;
        assert_eq!(
            (status, &refused["errcode"]),
            (400, &json!("M_INVALID_PARAM")),
            "{refused}"
        );
    }
}

async fn password_reset_by_email(backend: Backend) {
    let server = server(backend).await;
    let (_, access, _) = server.register("pia", "forgotten").await;
    let sid = server.validate_email("pia@example.org", "secret1").await;
    let creds = json!({"sid": sid, "client_secret": "secret1", "id_server": server.id_server});
    let added = cs::Post3pidsRequest {
        body: body(json!({"three_pid_creds": creds})),
    };
    assert_eq!(server.call(added, Some(&access)).await.0, 200);
    let reset_sid = server.validate_email("pia@example.org", "secret2").await;
    let change = |literal| cs::ChangePasswordRequest {
        body: body(literal),
    };
    let (_, challenge) = server
        .call(change(json!({"new_password": "remembered"})), None)
        .await;
    let auth = json!({
        "type": "m.login.email.identity",
        "session": challenge["session"],
        "threepid_creds": {"sid": reset_sid, "client_secret": "secret2", "id_server": server.id_server},
    });
    let changed = server
        .call(
            change(json!({"new_password": "remembered", "auth": auth})),
            None,
        )
        .await;
    assert_eq!(changed, (200, json!({})));
    assert_error(&server.threepids(&access).await, 401, "M_UNKNOWN_TOKEN");
    assert_eq!(server.login_password("pia", "remembered").await.0, 200);
}

async fn threepid_rules(backend: Backend) {
    let server = server(backend).await;
    let (_, access, _) = server.register("quinn", "pw").await;
    let (_, other_access, _) = server.register("rita", "pw").await;
    let sid = server.validate_email("shared@example.org", "secret").await;
    let add = |id_server: &str, secret: &str, sid: &str| cs::Post3pidsRequest {
        body: body(
            json!({"three_pid_creds": {"sid": sid, "client_secret": secret, "id_server": id_server}}),
        ),
    };
    let id_server = server.id_server.clone();
    for (id_server, secret) in [
        ("untrusted.example:8090", "secret"),
        (&format!("{id_server}/path") as &str, "secret"),
        (&format!("{id_server}?x=1"), "secret"),
        (&format!("{id_server}#x"), "secret"),
        (&"a".repeat(400_000), "secret"),
        (&id_server, "secret\n"),
        (&id_server, "wrong"),
        (&id_server, &"s".repeat(256)),
    ] {
        let result = server
            .call(add(id_server, secret, &sid), Some(&access))
            .await;
        assert_error(&result, 403, "M_THREEPID_AUTH_FAILED");
    }
    let unvalidated = server.request_email_token("later@example.org", "s2").await;
    let unvalidated_sid = unvalidated.1["sid"].as_str().unwrap();
    assert_error(
        &server
            .call(add(&id_server, "s2", unvalidated_sid), Some(&access))
            .await,
        403,
        "M_THREEPID_AUTH_FAILED",
    );
    assert_eq!(
        server
            .call(add(&id_server, "secret", &sid), Some(&access))
            .await
            .0,
        200
    );
    assert_error(
        &server
            .call(add(&id_server, "secret", &sid), Some(&other_access))
            .await,
        400,
        "M_THREEPID_IN_USE",
    );
}

async fn validation_session_rules(backend: Backend) {
    let server = server_with(backend, |s| {
        s.validation_session_lifetime = Duration::from_secs(2)
    })
    .await;
    for secret in ["", "with/slash", "trailing\n", &"s".repeat(256)] {
        assert_error(
            &server.request_email_token("a@example.org", secret).await,
            400,
            "M_INVALID_PARAM",
        );
    }
    let long_email = format!("{}@example.org", "a".repeat(501 - "@example.org".len()));
    for email in ["a@b@c", "not-an-email", &long_email] {
        assert_error(
            &server.request_email_token(email, "secret").await,
            400,
            "M_INVALID_EMAIL",
        );
    }
    // A retry with the same send attempt is the same session, and sends nothing.
    let first = server
        .request_email_token("tom@example.org", "secret")
        .await;
    let again = server
        .request_email_token("tom@example.org", "secret")
        .await;
    assert_eq!(first.1["sid"], again.1["sid"]);
    assert_eq!(server.emailed_links().len(), 1);
    let sid = first.1["sid"].as_str().unwrap();
    assert_error(
        &server.validated_3pid(sid, "secret").await,
        400,
        "M_SESSION_NOT_VALIDATED",
    );
    let wrong_secret = server.validated_3pid(sid, "other").await;
    let unknown_sid = server.validated_3pid("nope", "secret").await;
    assert_error(&wrong_secret, 404, "M_NO_VALID_SESSION");
    assert_eq!(wrong_secret, unknown_sid, "one answer for both");
    let guess = id::EmailSubmitTokenPostRequest {
        body: body(json!({"sid": sid, "client_secret": "secret", "token": "guess"})),
    };
    let wrong_token = server.call(guess, None).await;
    assert_eq!(wrong_token, (200, json!({"success": false})));
    let link = server.emailed_links().pop().unwrap();
    assert_eq!(
        server.open_link(&link).await,
        (200, json!({"success": true}))
    );
    assert_eq!(server.validated_3pid(sid, "secret").await.0, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_error(
        &server.validated_3pid(sid, "secret").await,
        400,
        "M_SESSION_EXPIRED",
    );
}

async fn association_rules(backend: Backend) {
    let mut server = server(backend).await;
    let sid = server.validate_email("Uma@Example.org", "secret").await;
    // A form body, which the server takes beside the JSON the spec documents.
    let form = server
        .http
        .post(server.id("/api/v1/3pid/bind"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "sid={sid}&client_secret=secret&mxid=%40uma%3Alocalhost"
        ))
        .send()
        .await
        .unwrap();
    let (status, association) = answer(http::Method::POST, form).await;
    assert_eq!(status, 200, "{association}");
    assert_eq!(
        association["address"], "uma@example.org",
        "emails are casefolded"
    );
    let (_, key) = server.public_key("ed25519:0").await;
    assert!(server_stub::signing::verify(
        &association,
        "localhost",
        "ed25519:0",
        key["public_key"].as_str().unwrap()
    ));
    let bind = |literal| id::BindRequest {
        body: body(literal),
    };
    assert_error(
        &server
            .call(
                bind(json!({"sid": sid, "client_secret": "wrong", "mxid": "@uma:localhost"})),
                None,
            )
            .await,
        404,
        "M_NO_VALID_SESSION",
    );
    // Not a user ID: the generated `UserId` refuses it as the body is read, naming the
    // field. The client cannot build such a request, so it goes raw.
    let too_long = format!("@{}:localhost", "u".repeat(400_000));
    for mxid in [
        "uma",
        "@uma:",
        "@:localhost",
        "@uma:local\r\nhost",
        "@u\u{0}ma:localhost",
        too_long.as_str(),
    ] {
        let body = json!({"sid": sid, "client_secret": "secret", "mxid": mxid});
        let answer = server
            .post_raw(&server.id("/api/v1/3pid/bind"), None, body)
            .await;
        assert_invalid_field(&answer, "mxid", "mx-user-id");
    }

    let unbind = |literal| id::UnbindRequest {
        body: body(literal),
    };
    let threepid = json!({"medium": "email", "address": "uma@example.org"});
    for literal in [
        json!({"mxid": "@uma:localhost", "threepid": threepid}),
        json!({"sid": sid, "client_secret": "wrong", "mxid": "@uma:localhost", "threepid": threepid}),
        json!({"sid": sid, "client_secret": "secret", "mxid": "@uma:localhost", "threepid": {"medium": "email", "address": "other@example.org"}}),
    ] {
        assert_error(
            &server.call(unbind(literal), None).await,
            403,
            "M_FORBIDDEN",
        );
    }
    let literal = json!({"sid": sid, "client_secret": "secret", "mxid": "@uma:localhost", "threepid": {"medium": "email", "address": "UMA@example.org"}});
    assert_eq!(server.call(unbind(literal), None).await, (200, json!({})));

    // The signing key outlives the process where there is a database to keep it.
    if let Backend::Sqlite = backend {
        server.restart().await;
        let (_, after) = server.public_key("ed25519:0").await;
        assert_eq!(after, key);
    }
}

/// A homeserver that vouches for whatever user `sub` says.
async fn fake_homeserver(sub: Value) -> String {
    let router = axum::Router::new().route(
        "/_matrix/federation/v1/openid/userinfo",
        axum::routing::get(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                json!({"sub": sub}).to_string(),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

async fn identity_account_rules(backend: Backend) {
    let liar = fake_homeserver(json!("@user:evil.example")).await;
    let not_a_string = fake_homeserver(json!(42)).await;
    let server = server_with(backend, |s| {
        s.trusted_homeservers.insert("liar.example".into(), liar);
        s.trusted_homeservers
            .insert("weird.example".into(), not_a_string);
    })
    .await;
    let register = |name: &str| id::RegisterAccountRequest {
        body: body(
            json!({"access_token": "t", "token_type": "Bearer", "matrix_server_name": name, "expires_in": 3600}),
        ),
    };
    // Not a server name at all: the generated `ServerName` refuses it as the body is read,
    // naming the field. The client cannot build such a request, so it goes raw.
    for name in ["example.com#", "host/x?", "evil.com@good.com", "", "[::1"] {
        let body = json!({"access_token": "t", "token_type": "Bearer", "matrix_server_name": name, "expires_in": 3600});
        let answer = server
            .post_raw(&server.id("/v2/account/register"), None, body)
            .await;
        assert_invalid_field(&answer, "matrix_server_name", "mx-server-name");
    }
    // The format's grammar allows any five digits as the port; the server refuses ports
    // no server listens on.
    for name in ["localhost:08448", "localhost:70000"] {
        assert_error(
            &server.call(register(name), None).await,
            400,
            "M_INVALID_PARAM",
        );
    }
    // Internal addresses are refused unless the operator trusts the server by name.
    // A host name is checked by the resolver of the call itself (`localhost` resolves to
    // loopback only, so no connection is made); IPv6 forms that carry an internal IPv4
    // address (NAT64, 6to4) are judged by it.
    for name in [
        "10.0.0.1:22",
        "[::ffff:127.0.0.1]",
        "127.0.0.1:8448",
        "[::1]:8448",
        "localhost:8448",
        "[64:ff9b::7f00:1]",
        "[2002:7f00:1::1]",
        "[fec0::1]",
        "198.18.0.1",
    ] {
        assert_error(
            &server.call(register(name), None).await,
            401,
            "M_UNKNOWN_TOKEN",
        );
    }
    for name in ["liar.example", "weird.example"] {
        assert_error(
            &server.call(register(name), None).await,
            401,
            "M_UNKNOWN_TOKEN",
        );
    }
    // A token the trusted co-hosted homeserver does not know.
    assert_error(
        &server.call(register("localhost"), None).await,
        401,
        "M_UNKNOWN_TOKEN",
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
    for _ in 0..2 {
        assert_error(
            &server.login_password("nobody", "pw").await,
            403,
            "M_FORBIDDEN",
        );
    }
    let login = cs::LoginRequest {
        body: body(json!({"type": "m.login.password", "user": "nobody", "password": "pw"})),
    };
    let request = server.http_request(&login, None).unwrap();
    let path = request.uri().path().to_owned();
    let response = server.http.send(request).await.unwrap();
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let limited = read_answer(&http::Method::POST, &path, response);
    assert_error(&limited, 429, "M_LIMIT_EXCEEDED");
    assert!(limited.1["retry_after_ms"].as_u64().unwrap() > 0);
    assert!(retry_after >= 1);
    // Other endpoint classes have buckets of their own; unlimited ones have none.
    assert_eq!(server.call(cs::GetVersionsRequest {}, None).await.0, 200);
    assert_eq!(
        server
            .call(
                registration(json!({"username": "v", "password": "pw"})),
                None
            )
            .await
            .0,
        401
    );
}

/// A burst of OpenID tokens is refused past the burst, per address and per user: a user who
/// calls from many addresses gets one budget (each token is kept in memory for an hour).
async fn openid_tokens_are_limited_per_user(backend: Backend) {
    let server = server_with(backend, |s| {
        s.rate_limit = Some(server_stub::ratelimit::RateLimit {
            per_second: 0.01,
            burst: 10.0,
        })
    })
    .await;
    let (user_id, access, _) = server.register("opal", "pw").await;
    let mut statuses = Vec::new();
    // One address: the address's bucket.
    for _ in 0..30 {
        statuses.push(server.openid_token(&user_id, &access).await.0);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        10,
        "{statuses:?}"
    );
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    // Twenty more loopback addresses, each with a fresh bucket of its own: the user's is
    // empty already.
    for last in 2..22u8 {
        let client = reqwest::Client::builder()
            .local_address(std::net::IpAddr::from([127, 0, 0, last]))
            .build()
            .unwrap();
        let request = cs::RequestOpenIdTokenRequest {
            user_id: matrix_api::types::UserId::parse(user_id.clone()).expect("a user ID"),
            body: serde_json::Map::new(),
        };
        let request = server.http_request(&request, Some(&access)).unwrap();
        let path = request.uri().path().to_owned();
        let response = client.send(request).await.unwrap();
        let (status, _) = read_answer(&http::Method::POST, &path, response);
        assert_eq!(status, 429, "from 127.0.0.{last}");
    }
}

/// An identity-server account token dies at the end of its lifetime.
async fn identity_account_tokens_expire(backend: Backend) {
    let server = server_with(backend, |s| {
        s.identity_account_token_lifetime = std::time::Duration::from_secs(1)
    })
    .await;
    let (user_id, access, _) = server.register("ines", "pw").await;
    let (_, openid) = server.openid_token(&user_id, &access).await;
    let account = id::RegisterAccountRequest { body: body(openid) };
    let (status, account) = server.call(account, None).await;
    assert_eq!(status, 200, "{account}");
    let token = account["token"].as_str().unwrap();
    assert_eq!(
        server.call(id::GetAccountRequest {}, Some(token)).await.0,
        200
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_error(
        &server.call(id::GetAccountRequest {}, Some(token)).await,
        401,
        "M_UNAUTHORIZED",
    );
}

#[tokio::test]
async fn sqlite_data_survives_a_restart() {
    let mut server = server(Backend::Sqlite).await;
    let (_, access, refresh) = server.register("wendy", "pw").await;
    server.restart().await;
    assert_eq!(server.login_password("wendy", "pw").await.0, 200);
    assert_eq!(server.threepids(&access).await.0, 200);
    assert_eq!(server.refresh(&refresh).await.0, 200);
    assert!(server.data.path().join("server.db").exists());
}

#[tokio::test]
async fn the_servers_run_alone_too() {
    let outbox = tempfile::tempdir().unwrap();
    let mut settings = Settings::new(Database::Memory, outbox.path().to_path_buf());
    settings.identity_listen = None;
    let homeserver = server_stub::start(settings.clone()).await.unwrap();
    assert!(homeserver.identity_addr.is_none());
    let http = reqwest::Client::new();
    let at = |addr: Option<std::net::SocketAddr>| BaseUrl::new(format!("http://{}", addr.unwrap()));
    let versions = cs::GetVersionsRequest {}.to_http(&at(homeserver.client_addr), None);
    let versions = http.send(versions.unwrap()).await.unwrap();
    assert_eq!(versions.status(), 200);
    settings.identity_listen = Some("127.0.0.1:0".parse().unwrap());
    settings.client_listen = None;
    let identity = server_stub::start(settings).await.unwrap();
    let key = id::GetPubKeyRequest {
        key_id: "ed25519:0".to_owned(),
    };
    let key = http
        .send(key.to_http(&at(identity.identity_addr), None).unwrap())
        .await
        .unwrap();
    assert_eq!(key.status(), 200);
    homeserver.stop().await.unwrap();
    identity.stop().await.unwrap();
}

/// README's client example, as written there, against the server: one generic `send` for
/// every request, `into_result` putting documented errors on `Err` (with their status), a
/// password that `Debug` hides, and a typed user ID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_client_example() {
    use matrix_api::client_server::{
        Client, Credential, GetAccount3pidsRequest, LoginRequest, LoginResponse,
    };
    use matrix_api::types::{LoginBody, LoginBodyType};

    let server = server(Backend::Memory).await;
    server.register("alice", "correct horse").await;
    let login = |password: &str| {
        let mut body = LoginBody::new(LoginBodyType::Password);
        body.user = Some("alice".into());
        body.password = Some(password.into());
        LoginRequest { body }
    };
    let mut client = Client::new(server.homeserver());

    let refused = client.send(&login("wrong")).await.unwrap().into_result();
    let error = refused.expect_err("a wrong password is refused");
    assert_eq!(error.status, http::StatusCode::FORBIDDEN);
    assert!(
        matches!(*error.response, LoginResponse::Forbidden(ref body) if body.errcode == matrix_api::types::MatrixErrorCode::Forbidden),
        "{error}"
    );

    let request = login("correct horse");
    assert!(!format!("{request:?}").contains("correct horse"));
    let session = client.send(&request).await.unwrap().into_result().unwrap();
    assert_eq!(session.user_id.unwrap(), "@alice:localhost");
    client.set_credential(session.access_token.map(Credential::AccessToken));
    let threepids = client.send(&GetAccount3pidsRequest {}).await.unwrap();
    assert!(
        threepids
            .into_result()
            .unwrap()
            .threepids
            .unwrap_or_default()
            .is_empty()
    );
}

/// A body the router refused because `field` is not of `format` (a format with a type of
/// its own): 400 `M_BAD_JSON`, its message naming both.
fn assert_invalid_field(answer: &(u16, Value), field: &str, format: &str) {
    assert_error(answer, 400, "M_BAD_JSON");
    let message = answer.1["error"].as_str().unwrap_or_default();
    let expected = format!("`{field}`: not a valid `{format}`");
    assert!(message.contains(&expected), "{message}");
}
