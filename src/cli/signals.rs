//! Ctrl-C and SIGTERM: the first asks the run to stop after the hours in flight (which are
//! written whole); a second one exits at once, which is safe because writes are atomic.

use tokio_util::sync::CancellationToken;

pub fn cancel_on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let child = token.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::warn!("stopping after the hours in flight; press Ctrl-C again to exit now");
        child.cancel();
        shutdown_signal().await;
        std::process::exit(130);
    });
    token
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
