//! A TCP proxy in front of an emulator that a test can cut (every connection dropped, new
//! ones closed at once) and reopen: a dead or restarting service, without stopping the
//! emulator the other tests share.

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
    cut: Arc<Mutex<CancellationToken>>,
}

impl Proxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let cut = Arc::new(Mutex::new(CancellationToken::new()));
        let (o, c) = (open.clone(), cut.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !o.load(Ordering::Acquire) {
                    drop(client);
                    continue;
                }
                let token = c.lock().unwrap().clone();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        () = token.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                    }
                });
            }
        });
        Self { addr, open, cut }
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
