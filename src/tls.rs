//! TLS for the Google Cloud clients and the OTLP exporter: rustls with the ring provider,
//! installed once per process (rustls refuses to guess when no provider is chosen).

/// Installs ring as the process-wide rustls provider; later calls (and a provider installed
/// by someone else) are fine.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
