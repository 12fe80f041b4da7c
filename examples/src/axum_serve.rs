//! Serving an axum router with the bounds of [`ServerSettings`], which `axum::serve`
//! does not expose: an accept loop over hyper's HTTP/1 connection builder.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tower_service::Service as _;

use crate::ServerSettings;

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting (the
/// listener is closed: new connections are refused), lets each connection finish the
/// request it is serving (idle ones close at once) and waits for them at most
/// [`ServerSettings::shutdown_timeout`]. Returns whether every connection finished in
/// that time.
///
/// Each connection holds one of [`ServerSettings::max_connections`] permits; without a
/// free one the loop stops accepting and new connections wait in the backlog. hyper
/// times the wait for a request head from the moment it starts waiting, so a kept-alive
/// connection waits for its next request under the same timer as a new one for its
/// first: the timer is the shorter of the header and keep-alive bounds, and both hold
/// as upper bounds.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &ServerSettings,
    shutdown: impl Future<Output = ()>,
) -> bool {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .keep_alive(!settings.keep_alive.is_zero())
        .header_read_timeout(head_timer(settings));
    let limit = u32::try_from(settings.max_connections).unwrap_or(u32::MAX);
    let permits = Arc::new(Semaphore::new(limit as usize));
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors (EMFILE) or a connection reset before it
                    // was taken: wait a moment instead of spinning, and go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let service = RequestService {
            router: router.clone(),
            peer,
            request_timeout: settings.request_timeout,
        };
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            tokio::select! {
                done = connection.as_mut() => log_end(done),
                () = async {
                    // The guard `wait_for` returns must not live across the await below.
                    let _ = stopping.wait_for(|stop| *stop).await;
                } => {
                    // Finish the request in flight, take no further one.
                    connection.as_mut().graceful_shutdown();
                    log_end(connection.await);
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a permit until it ends: all of them back means all ended.
    tokio::time::timeout(settings.shutdown_timeout, permits.acquire_many(limit))
        .await
        .is_ok()
}

/// hyper's head timer: the shorter of the header and keep-alive bounds (see [`serve`]).
fn head_timer(settings: &ServerSettings) -> Duration {
    if settings.keep_alive.is_zero() {
        settings.header_timeout
    } else {
        settings.header_timeout.min(settings.keep_alive)
    }
}

fn log_end(done: hyper::Result<()>) {
    if let Err(e) = done {
        // A client that left, or one cut off by a timeout: not the server's failure.
        tracing::debug!(error = %e, "connection ended");
    }
}

/// One connection's requests into the router: the client's address as axum's
/// `ConnectInfo` (the portal throttles and records by it), and the whole request under
/// [`ServerSettings::request_timeout`].
#[derive(Clone)]
struct RequestService {
    router: Router,
    peer: SocketAddr,
    request_timeout: Duration,
}

impl hyper::service::Service<Request<Incoming>> for RequestService {
    type Response = Response;
    type Error = Infallible;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, mut req: Request<Incoming>) -> Self::Future {
        req.extensions_mut().insert(ConnectInfo(self.peer));
        let mut router = self.router.clone();
        let limit = self.request_timeout;
        Box::pin(async move {
            match tokio::time::timeout(limit, router.call(req)).await {
                Ok(answered) => answered,
                // Dropping the request's future rolls back any store transaction it had
                // open: nothing half-made is left.
                Err(_) => Ok(request_timeout()),
            }
        })
    }
}

/// 408, and the connection closes: what is left of the body is never read.
fn request_timeout() -> Response {
    (
        StatusCode::REQUEST_TIMEOUT,
        [(header::CONNECTION, HeaderValue::from_static("close"))],
        "Request timeout",
    )
        .into_response()
}
