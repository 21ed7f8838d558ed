//! The HTTP/1 accept loop under the router: hyper with a timer, so that a client which stops
//! half-way through its request headers (or never sends the next request on a kept-alive
//! connection) is disconnected after `header_read_timeout` instead of holding a connection and
//! a task forever. `axum::serve` builds its hyper connections without a timer and offers no way
//! to set one.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Limits on each connection.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Most time from the start of a request's head (or from when a kept-alive connection waits
    /// for its next request) to its last header line; past it the connection is closed.
    pub header_read_timeout: Duration,
    /// Most time connections in flight get to finish after the shutdown signal (requests are
    /// bounded by the router's own timeout; this bounds the rest).
    pub shutdown_grace: Duration,
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, lets the
/// connections in flight finish their requests (up to `limits.shutdown_grace`) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let service =
        router.map_request(|req: axum::http::Request<Incoming>| req.map(axum::body::Body::new));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = shutdown.as_mut() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file handles, say: wait rather than spin, as axum::serve does.
                    tracing::error!(error = %crate::error_chain(&e), "accepting a connection failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let connection = builder.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(service.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Errors here are the client's (a reset, a timeout, a malformed head): not ours.
            if let Err(e) = connection.await {
                tracing::debug!(error = %crate::error_chain(&e), "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::info!("connections still open at shutdown are dropped");
    }
}

/// Accept errors that concern one connection only: go on with the next.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
