//! Two server nodes on one PostgreSQL database, requests alternating between them: nothing a
//! request depends on may live in one node's memory.

mod common;

use common::{
    Server, assert_error, assert_one_registration_wins, assert_refresh_token_used_once,
    fresh_postgres_database, postgres_available, start_on,
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
        .post(
            &a.cs("/register"),
            None,
            json!({"username": "yara", "password": "pw"}),
        )
        .await;
    assert_eq!(status, 401);
    let done = json!({"username": "yara", "password": "pw", "auth": {"type": "m.login.dummy", "session": challenge["session"]}});
    let (status, registered) = b.post(&b.cs("/register"), None, done).await;
    assert_eq!(status, 200, "{registered}");

    // Log in on A, refresh on B; the old token is refused on A, the new one accepted.
    let (status, login) = a.login_password("yara", "pw").await;
    assert_eq!(status, 200);
    let old_access = login["access_token"].as_str().unwrap();
    let (status, refreshed) = b
        .post(
            &b.cs("/tokenrefresh"),
            None,
            json!({"refresh_token": login["refresh_token"]}),
        )
        .await;
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
    let bind = json!({"sid": sid, "client_secret": "secret", "mxid": registered["user_id"]});
    let (status, from_a) = a.post(&a.id("/api/v1/3pid/bind"), None, bind.clone()).await;
    assert_eq!(status, 200, "{from_a}");
    let validated = format!(
        "{}?sid={sid}&client_secret=secret",
        b.id("/api/v1/3pid/getValidated3pid")
    );
    let (status, body) = b.get(&validated, None).await;
    assert_eq!(
        (status, &body["address"]),
        (200, &json!("yara@example.org"))
    );
    let (status, from_b) = b.post(&b.id("/api/v1/3pid/bind"), None, bind).await;
    assert_eq!(status, 200, "{from_b}");
    let (_, key_a) = a.get(&a.id("/api/v1/pubkey/ed25519:0"), None).await;
    let (_, key_b) = b.get(&b.id("/api/v1/pubkey/ed25519:0"), None).await;
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
    assert_refresh_token_used_once(&[&a, &b], &login["refresh_token"]).await;
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
