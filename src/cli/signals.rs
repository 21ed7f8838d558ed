//! Ctrl-C and SIGTERM: the first asks the run to stop after the hours in flight (which are
//! written whole); a second one exits at once, which is safe because writes are atomic.

use tokio_util::sync::CancellationToken;

/// Installs the handlers now (not on first poll, so a signal sent right after this call is
/// never missed) and returns the token they cancel.
pub fn cancel_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let child = token.clone();
    let mut signals = Signals::install();
    tokio::spawn(async move {
        signals.next().await;
        tracing::warn!("stopping after the hours in flight; press Ctrl-C again to exit now");
        child.cancel();
        signals.next().await;
        std::process::exit(130);
    });
    token
}

/// Resolves at the first Ctrl-C or SIGTERM; the handlers are installed when this is called.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    let mut signals = Signals::install();
    async move {
        signals.next().await;
        tracing::info!("shutdown signal received");
    }
}

#[cfg(unix)]
struct Signals {
    interrupt: Option<tokio::signal::unix::Signal>,
    terminate: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn install() -> Self {
        use tokio::signal::unix::{signal, SignalKind};
        Self {
            interrupt: signal(SignalKind::interrupt()).ok(),
            terminate: signal(SignalKind::terminate()).ok(),
        }
    }

    async fn next(&mut self) {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            () = recv(&mut self.interrupt) => {},
            () = recv(&mut self.terminate) => {},
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> Self {
        Signals
    }

    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
