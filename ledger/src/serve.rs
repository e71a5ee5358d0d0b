//! The HTTP server: an accept loop with a limit on concurrent connections and
//! timeouts, so clients that open connections and then say nothing (or send
//! a byte now and then) cannot lock the others out.
//!
//! - At most [`HttpLimits::max_connections`] connections are served at once;
//!   one more is answered `503` (`{"error": ..}`, `Retry-After: 1`) and
//!   closed at once, so the accept queue never fills with them.
//! - A request's head must arrive within [`HttpLimits::header_timeout`]
//!   (hyper's header-read timeout), its body within
//!   [`HttpLimits::body_timeout`] (`408`, in the API's body reader).
//! - A connection on which nothing is read or written for
//!   [`HttpLimits::idle_timeout`] is closed (gracefully first: a request being
//!   answered finishes; forcibly a second later).
//!
//! Each request carries its peer's address as
//! [`axum::extract::ConnectInfo`]`<SocketAddr>`.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// Limits of the HTTP server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections served at once; more are answered 503 and closed.
    pub max_connections: usize,
    /// Time to receive a request's head (request line and headers).
    pub header_timeout: Duration,
    /// Time to receive a request's body.
    pub body_timeout: Duration,
    /// A connection with no traffic for this long is closed.
    pub idle_timeout: Duration,
}

impl Default for HttpLimits {
    /// 128 connections (well below the usual 1,024 open files), 10 s for a
    /// head, 10 s for a body, 30 s idle.
    fn default() -> Self {
        HttpLimits {
            max_connections: 128,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// A stream that records when bytes last moved.
struct Tracked {
    inner: TcpStream,
    start: Instant,
    /// Milliseconds since `start` of the last read or write.
    last: Arc<AtomicU64>,
}

impl Tracked {
    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last.store(ms, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

const BUSY_BODY: &str = "{\"error\":\"too many connections; try again in a second\"}";

/// The answer to a connection over the limit.
fn busy() -> String {
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BUSY_BODY}",
        BUSY_BODY.len()
    )
}

/// Serves `app` on `listener` until `shutdown` turns true, then waits (at
/// most a few seconds) for the open connections to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    mut shutdown: watch::Receiver<bool>,
) {
    let max = limits.max_connections.max(1);
    let permits = Arc::new(Semaphore::new(max));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    loop {
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection refused: {max} connections open");
            let _ = stream.try_write(busy().as_bytes());
            continue;
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let builder = builder.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            connection(stream, peer, app, builder, limits.idle_timeout, shutdown).await;
            drop(permit);
        });
    }
    // Every permit back means every connection closed.
    let _ = tokio::time::timeout(Duration::from_secs(5), permits.acquire_many(max as u32)).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    builder: http1::Builder,
    idle: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let last = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let io = TokioIo::new(Tracked {
        inner: stream,
        start,
        last: last.clone(),
    });
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().oneshot(req)
    });
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let tick = (idle / 4).clamp(Duration::from_millis(10), Duration::from_secs(1));
    let mut ticks = tokio::time::interval(tick);
    let mut closing: Option<Instant> = None;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%peer, "connection closed: {e}");
                }
                return;
            }
            _ = ticks.tick() => {
                let quiet = start.elapsed().saturating_sub(
                    Duration::from_millis(last.load(Ordering::Relaxed)));
                match closing {
                    // Not even a graceful close finished: drop it.
                    Some(at) if at.elapsed() >= Duration::from_secs(1) => return,
                    Some(_) => {}
                    None if quiet >= idle => {
                        tracing::debug!(%peer, "closing a connection idle for {quiet:?}");
                        conn.as_mut().graceful_shutdown();
                        closing = Some(Instant::now());
                    }
                    None => {}
                }
            }
            _ = shutdown.wait_for(|stop| *stop), if closing.is_none() => {
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now());
            }
        }
    }
}
