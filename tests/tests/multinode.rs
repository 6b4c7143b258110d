//! Two server nodes on one PostgreSQL database, requests alternating between them: nothing a
//! request depends on may live in one node's memory.

mod common;

use common::{
    Server, assert_error, assert_one_registration_wins, assert_refresh_token_used_once, body, cs,
    fresh_postgres_database, id, postgres_available, registration, start_on,
};
use serde_json::json;
use server_stub::Database;

/// Two nodes (each a homeserver and an identity server) on one fresh database.
async fn two_nodes() -> (Server, Server) {
    let url = fresh_postgres_database().await;
    let a = start_on(
        Database::Sql(url.clone()),
        tempfile::tempdir().unwrap(),
        |_| {},
    )
    .await;
    let b = start_on(Database::Sql(url), tempfile::tempdir().unwrap(), |_| {}).await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_flows_across_nodes() {
    if !postgres_available() {
        return;
    }
    let (a, b) = two_nodes().await;
    // Register: UIA starts on A, completes on B.
    let (status, challenge) = a
        .call(
            registration(json!({"username": "yara", "password": "pw"})),
            None,
        )
        .await;
    assert_eq!(status, 401);
    let done = json!({"username": "yara", "password": "pw", "auth": {"type": "m.login.dummy", "session": challenge["session"]}});
    let (status, registered) = b.call(registration(done), None).await;
    assert_eq!(status, 200, "{registered}");

    // Log in on A, refresh on B; the old token is refused on A, the new one accepted.
    let (status, login) = a.login_password("yara", "pw").await;
    assert_eq!(status, 200);
    let old_access = login["access_token"].as_str().unwrap();
    let (status, refreshed) = b.refresh(login["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_error(&a.threepids(old_access).await, 401, "M_UNKNOWN_TOKEN");
    assert_eq!(
        a.threepids(refreshed["access_token"].as_str().unwrap())
            .await
            .0,
        200
    );

    // Validate and bind on A; B knows the session and signs with the same key.
    let sid = a.validate_email("yara@example.org", "secret").await;
    let bind = id::BindRequest {
        body: body(json!({"sid": sid, "client_secret": "secret", "mxid": registered["user_id"]})),
    };
    let (status, from_a) = a.call(bind.clone(), None).await;
    assert_eq!(status, 200, "{from_a}");
    let (status, validated) = b.validated_3pid(&sid, "secret").await;
    assert_eq!(
        (status, &validated["address"]),
        (200, &json!("yara@example.org"))
    );
    let (status, from_b) = b.call(bind, None).await;
    assert_eq!(status, 200, "{from_b}");
    let (_, key_a) = a.public_key("ed25519:0").await;
    let (_, key_b) = b.public_key("ed25519:0").await;
    assert_eq!(key_a, key_b, "one key for all nodes");
    let key = key_a["public_key"].as_str().unwrap();
    for association in [&from_a, &from_b] {
        assert!(server_stub::signing::verify(
            association,
            "localhost",
            "ed25519:0",
            key
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_holds_across_nodes() {
    if !postgres_available() {
        return;
    }
    let (a, b) = two_nodes().await;
    assert_one_registration_wins(&[&a, &b], "zoe", 50).await;
    let (_, login) = a.login_password("zoe", "pw").await;
    let refresh_token = login["refresh_token"].as_str().unwrap();
    assert_refresh_token_used_once(&[&a, &b], refresh_token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_together_migrate_once() {
    if !postgres_available() {
        return;
    }
    let url = fresh_postgres_database().await;
    let opens = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            server_stub::store::sql::SqlStore::open(&url)
                .await
                .map(|_| ())
        })
    });
    for open in opens {
        open.await.unwrap().unwrap();
    }
}

/// A token revoked through one node is refused by the other on the very next request, each
/// time right after that node answered it (from its cache, the second time): 100 revocations,
/// by refresh, by password change and by identity-server logout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_revoked_on_one_node_is_refused_by_the_other_at_once() {
    if !postgres_available() {
        return;
    }
    let (a, b) = two_nodes().await;
    let (user_id, mut access, mut refresh) = a.register("una", "pw0").await;
    let mut password = String::from("pw0");
    for round in 0..100 {
        served_twice(&b, &access).await;
        match round % 10 {
            // A password change (through A's session) ends every other session.
            3 => {
                let (status, other) = b.login_password("una", &password).await;
                assert_eq!(status, 200, "{other}");
                let other = other["access_token"].as_str().unwrap().to_owned();
                served_twice(&b, &other).await;
                let new_password = format!("pw{round}");
                change_password(&a, &access, &password, &new_password).await;
                password = new_password;
                assert_error(&b.threepids(&other).await, 401, "M_UNKNOWN_TOKEN");
            }
            // An identity-server account token, logged out on A.
            6 => {
                let token = identity_account(&a, &user_id, &access).await;
                for _ in 0..2 {
                    let (status, _) = b.call(id::GetAccountRequest {}, Some(&token)).await;
                    assert_eq!(status, 200);
                }
                let (status, _) = a.call(id::LogoutRequest {}, Some(&token)).await;
                assert_eq!(status, 200);
                assert_error(
                    &b.call(id::GetAccountRequest {}, Some(&token)).await,
                    401,
                    "M_UNAUTHORIZED",
                );
            }
            // A refresh on A kills the access token B just answered.
            _ => refresh_on_refused_by(&a, &b, &mut access, &mut refresh).await,
        }
    }
}

/// A node whose listening connection breaks may have missed notices: it answers from the
/// database until it listens again, and forgets what it had cached. Here both nodes' listening
/// connections are cut right after B cached a token, and A revokes it at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_may_have_missed_notices_does_not_answer_from_its_cache() {
    if !postgres_available() {
        return;
    }
    let (a, b) = two_nodes().await;
    let (_, mut access, mut refresh) = a.register("vera", "pw").await;
    let mut database = database_of(&a).await;
    // Ten rounds: a round after a lease was waited out cuts the connections just before the
    // nodes renew, while they reconnect, which is where a lost notice would hide.
    for _ in 0..10 {
        served_twice(&b, &access).await;
        let cut = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = $1 AND datname = current_database()",
        )
        .bind(server_stub::store::sql::cluster::LISTENER_NAME)
        .fetch_all(&mut database)
        .await
        .unwrap();
        assert_eq!(cut.len(), 2, "one listening connection per node");
        refresh_on_refused_by(&a, &b, &mut access, &mut refresh).await;
    }
}

/// A node that holds a lease but never acknowledges (hung, or cut off from the database
/// after its last renewal) may still answer from its cache until its lease runs out: a
/// revocation is answered only after that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_does_not_acknowledge_is_waited_out() {
    if !postgres_available() {
        return;
    }
    let (a, _b) = two_nodes().await;
    let (_, _, refresh) = a.register("wren", "pw").await;
    let mut database = database_of(&a).await;
    sqlx::query(
        "INSERT INTO cache_nodes (node_id, lease_until) VALUES ('hung', matrix_now_ms() + 1500)",
    )
    .execute(&mut database)
    .await
    .unwrap();
    let (status, body) = a.refresh(&refresh).await;
    assert_eq!(status, 200, "{body}");
    let (expired,): (i64,) = sqlx::query_as(
        "SELECT CASE WHEN lease_until <= matrix_now_ms() THEN 1 ELSE 0 END FROM cache_nodes WHERE node_id = 'hung'",
    )
    .fetch_one(&mut database)
    .await
    .unwrap();
    assert_eq!(expired, 1, "answered while the hung node's lease still ran");
}

/// A pooled connection that sat idle is checked before use: one the database closed (a
/// restart, an idle timeout, here `pg_terminate_backend`) is replaced, not handed to a
/// request that would then fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_closed_are_replaced() {
    if !postgres_available() {
        return;
    }
    let (a, _b) = two_nodes().await;
    a.register("xena", "pw").await;
    let mut database = database_of(&a).await;
    for _ in 0..3 {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let cut = sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(&mut database)
        .await
        .unwrap();
        assert!(!cut.is_empty(), "the nodes had connections open");
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let (status, body) = a.login_password("xena", "pw").await;
        assert_eq!(status, 200, "{body}");
    }
}

/// Refreshes the session on `a`; `b` refuses the old access token at once. The new tokens
/// replace the old.
async fn refresh_on_refused_by(a: &Server, b: &Server, access: &mut String, refresh: &mut String) {
    let (status, refreshed) = a.refresh(refresh).await;
    assert_eq!(status, 200, "{refreshed}");
    assert_error(&b.threepids(access).await, 401, "M_UNKNOWN_TOKEN");
    *access = refreshed["access_token"].as_str().unwrap().to_owned();
    *refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
}

/// A connection to the database `node` runs on.
async fn database_of(node: &Server) -> sqlx::AnyConnection {
    let Database::Sql(url) = &node.settings.database else {
        unreachable!("the nodes share a PostgreSQL database")
    };
    <sqlx::AnyConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap()
}

/// Asks `node` for the 3pids with `token` twice, so that the second answer can come from its
/// cache.
async fn served_twice(node: &Server, token: &str) {
    for _ in 0..2 {
        assert_eq!(node.threepids(token).await.0, 200);
    }
}

/// Changes the password through the session of `access`, by UIA with the old password.
async fn change_password(node: &Server, access: &str, old: &str, new: &str) {
    let change = |literal| cs::ChangePasswordRequest {
        body: body(literal),
    };
    let (status, challenge) = node
        .call(change(json!({"new_password": new})), Some(access))
        .await;
    assert_eq!(status, 401, "{challenge}");
    let auth = json!({"type": "m.login.password", "user": "una", "password": old, "session": challenge["session"]});
    let (status, changed) = node
        .call(
            change(json!({"new_password": new, "auth": auth})),
            Some(access),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
}

/// An identity-server account token for the user of `access`, through OpenID.
async fn identity_account(node: &Server, user_id: &str, access: &str) -> String {
    let (status, openid) = node.openid_token(user_id, access).await;
    assert_eq!(status, 200, "{openid}");
    let account = id::RegisterAccountRequest { body: body(openid) };
    let (status, account) = node.call(account, None).await;
    assert_eq!(status, 200, "{account}");
    account["token"].as_str().unwrap().to_owned()
}
