//! The ceiling for the server benchmarks: a trivial JSON handler built the way the real
//! servers are (axum, the same tokio runtime, request tracing, connection info), so every
//! figure can be given as a fraction of what the stack allows.
//!
//! `cargo run --release -p server-stub --example ceiling -- 127.0.0.1:8099`

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8099".into());
    let router = axum::Router::new()
        .route(
            "/ceiling",
            axum::routing::get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    r#"{"threepids":[]}"#,
                )
            }),
        )
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let listener = tokio::net::TcpListener::bind(address).await?;
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
