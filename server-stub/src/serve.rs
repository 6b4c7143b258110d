//! Serving HTTP/1 connections with the bounds a server facing slow or hostile clients needs:
//! a header that never completes, a body that stalls, a handler that never answers, more
//! connections than the process can hold, a shutdown that waits forever. Every bound is
//! hyper's, hyper-util's, tower-http's or tokio's own (`axum::serve` exposes none of them), and
//! every one has a flag.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::response::IntoResponse;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use matrix_api::types::MatrixError;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How long the server waits for a client, and how many it holds at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From a connection's start (or the end of its previous response) to the end of a
    /// request's header; then the connection is closed (hyper's `header_read_timeout`).
    pub header_timeout: Duration,
    /// Between two pieces of a request body: a body that stalls longer fails to read, and
    /// the request is answered as a bad one (tower-http's `RequestBodyTimeout`).
    pub body_timeout: Duration,
    /// A whole request, handler included: past it the client gets the router's `timeout`
    /// failure (408 `M_UNKNOWN`).
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the kernel's accept queue.
    pub max_connections: usize,
    /// How long a shutdown lets requests in flight finish before it closes them.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    /// A Matrix request is small: a client that cannot send its header or its body in ten
    /// seconds is stalled, not slow (nginx's 60 s suits uploads, which these APIs have not).
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_connections: 4096,
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves `router` on `listener` within `limits` until `stopped` turns true, then drains.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let request_timeout = limits.request_timeout;
    let router = router
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| async move {
                match tokio::time::timeout(request_timeout, next.run(request)).await {
                    Ok(response) => response,
                    // The router's own failure, so the client gets a Matrix error body.
                    Err(_) => MatrixError::timeout("Request timed out").into_response(),
                }
            },
        ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = stopping(&mut stopped) => break,
        };
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, a connection reset before it was accepted: the
                // listener itself is fine, so wait a moment and go on.
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = stopping(&mut stopped) => break,
        };
        while connections.try_join_next().is_some() {}
        let service =
            router
                .clone()
                .map_request(move |mut request: http::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(remote));
                    request
                });
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            open = connections.len(),
            "requests still in flight at the drain deadline: closing their connections"
        );
        connections.abort_all();
    }
    Ok(())
}

/// Resolves once `stopped` turns true (or its sender is gone).
async fn stopping(stopped: &mut watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}
