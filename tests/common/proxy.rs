//! A TCP proxy in front of an emulator that a test can cut (every connection dropped, new
//! ones closed at once) and reopen: a dead or restarting service, without stopping the
//! emulator the other tests share. It can also lose the replies to Pub/Sub publishes: the
//! publish reaches the emulator and the connection drops as its answer comes back, which is how
//! a client that retries ends up publishing the same messages twice.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A TCP proxy to the emulator that can be cut (every connection dropped, new ones closed at
/// once) and reopened.
pub struct Proxy {
    pub addr: SocketAddr,
    open: Arc<AtomicBool>,
    lose_replies: Arc<AtomicBool>,
    cut: Arc<Mutex<CancellationToken>>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let lose_replies = Arc::new(AtomicBool::new(false));
        let cut = Arc::new(Mutex::new(CancellationToken::new()));
        let (o, c, l) = (open.clone(), cut.clone(), lose_replies.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !o.load(Ordering::Acquire) {
                    drop(client);
                    continue;
                }
                let token = c.lock().unwrap().clone();
                let upstream = upstream.clone();
                let lose = l.load(Ordering::Acquire);
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    if lose {
                        relay_losing_publish_replies(client, server).await;
                        return;
                    }
                    tokio::select! {
                        () = token.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        Self {
            addr,
            open,
            lose_replies,
            cut,
        }
    }

    /// From now on, publishes reach the emulator but their answers are lost: the messages are
    /// published and the client is told nothing.
    /// Open connections are dropped, so that a client's pooled connection cannot carry on.
    pub fn lose_replies(&self, on: bool) {
        self.lose_replies.store(on, Ordering::Release);
        let mut cut = self.cut.lock().unwrap();
        cut.cancel();
        *cut = CancellationToken::new();
    }

    pub fn cut(&self) {
        self.open.store(false, Ordering::Release);
        self.cut.lock().unwrap().cancel();
    }

    pub fn reopen(&self) {
        *self.cut.lock().unwrap() = CancellationToken::new();
        self.open.store(true, Ordering::Release);
    }
}

/// Relays one HTTP/1.1 connection, except that when the server starts answering a request
/// that is a Pub/Sub publish (`...:publish`), both ends are closed and the answer is lost. Other
/// requests on the connection (a topic lookup, say) are answered as usual. hyper does not
/// pipeline, so the bytes from the client since the last answer are one request.
async fn relay_losing_publish_replies(client: TcpStream, server: TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (mut from_client, mut to_client) = client.into_split();
    let (mut from_server, mut to_server) = server.into_split();
    let (mut cbuf, mut sbuf) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut request = Vec::new();
    let mut answering = false;
    loop {
        tokio::select! {
            n = from_client.read(&mut cbuf) => {
                let Ok(n @ 1..) = n else { return };
                if answering {
                    request.clear();
                    answering = false;
                }
                request.extend_from_slice(&cbuf[..n]);
                if to_server.write_all(&cbuf[..n]).await.is_err() {
                    return;
                }
            }
            n = from_server.read(&mut sbuf) => {
                let Ok(n @ 1..) = n else { return };
                if !answering && request.windows(8).any(|w| w == b":publish") {
                    return; // the publish is done upstream; the client never hears of it
                }
                answering = true;
                if to_client.write_all(&sbuf[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}
