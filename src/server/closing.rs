//! The site's listener, closed in two steps when the server stops, so that
//! a proxy in front loses no request:
//! 1. it takes the connections the kernel has already queued, then closes:
//!    a proxy's next connection is refused, which it may retry on another
//!    instance even for a POST (nothing was sent);
//! 2. the connections just accepted get a moment to send their requests
//!    before the server tells its connections to finish, since it closes
//!    at once a connection whose request it has not read, and a proxy may
//!    not resend a POST it has sent.

use std::{io, net::SocketAddr, time::Duration};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

/// How long the connections accepted last have to send their requests.
const SETTLE: Duration = Duration::from_millis(500);

/// `listener`, and what closes it.
pub fn closing(listener: TcpListener) -> io::Result<(ClosingListener, Closer)> {
    let addr = listener.local_addr()?;
    let (stop, stopping) = watch::channel(false);
    let (closed, is_closed) = watch::channel(false);
    Ok((
        ClosingListener {
            inner: Some(listener),
            addr,
            stopping,
            closed,
        },
        Closer {
            stop,
            closed: is_closed,
        },
    ))
}

pub struct ClosingListener {
    inner: Option<TcpListener>,
    addr: SocketAddr,
    stopping: watch::Receiver<bool>,
    closed: watch::Sender<bool>,
}

/// Closes a [`ClosingListener`].
pub struct Closer {
    stop: watch::Sender<bool>,
    closed: watch::Receiver<bool>,
}

impl Closer {
    /// Closes the listener (after taking what is queued), then waits for
    /// the connections accepted last to send their requests.
    pub async fn close(mut self) {
        let _ = self.stop.send(true);
        let _ = self.closed.wait_for(|closed| *closed).await;
        tokio::time::sleep(SETTLE).await;
    }
}

impl axum::serve::Listener for ClosingListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (TcpStream, SocketAddr) {
        loop {
            let Some(listener) = self.inner.as_ref() else {
                return std::future::pending().await;
            };
            if *self.stopping.borrow() {
                // Polled once: a connection the kernel queued, or none.
                if let Ok(Ok(connection)) =
                    tokio::time::timeout(Duration::ZERO, listener.accept()).await
                {
                    return connection;
                }
                self.inner = None;
                let _ = self.closed.send(true);
                continue;
            }
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(connection) => return connection,
                    Err(error) => {
                        // Out of file descriptors, say: wait, then go on.
                        tracing::warn!("accepting a connection failed: {error}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                changed = self.stopping.changed() => {
                    if changed.is_err() {
                        // Nobody can close it any more: serve on.
                        self.stopping = watch::channel(false).1;
                    }
                }
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}
