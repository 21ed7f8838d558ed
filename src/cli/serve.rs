//! `serve`: the HTTP service, the internal schedule, and a graceful shutdown.

use super::http::{self, ConnectionLimits};
use super::signals::shutdown_signal;
use super::{default_jobs, start_app, Outcome, UsageError};
use crate::api::build_router;
use crate::app::{AppState, ServiceSettings};
use crate::config::Config;
use crate::service::schedule;
use anyhow::Context;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on (Cloud Run sets PORT).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on. Default: 0.0.0.0 on Cloud Run, 127.0.0.1 elsewhere.
    #[arg(long, env = "RP_BIND")]
    pub bind: Option<IpAddr>,
    /// Bearer token required on mutating endpoints (POST). Unset: no authentication.
    #[arg(long, env = "RP_API_TOKEN", hide_env_values = true)]
    pub api_token: Option<String>,
    /// Run the internal hourly schedule (generate at minute 0, refresh at minute 15). Default:
    /// on with the local backend; off with gcp, where Cloud Scheduler calls the endpoints.
    #[arg(long, env = "RP_SCHEDULE", action = clap::ArgAction::Set)]
    pub schedule: Option<bool>,
    /// Accept Google-signed OIDC tokens with this audience on mutating endpoints (what Cloud
    /// Scheduler sends with --oidc-token-audience; usually the service URL).
    #[arg(long, env = "RP_OIDC_AUDIENCE")]
    pub oidc_audience: Option<String>,
    /// Service accounts whose OIDC tokens are accepted, comma-separated.
    #[arg(long, env = "RP_OIDC_SERVICE_ACCOUNTS", value_delimiter = ',')]
    pub oidc_service_accounts: Vec<String>,
    /// Where the OIDC signing keys are published (default: Google's).
    #[arg(long, env = "RP_OIDC_JWKS_URL", hide = true)]
    pub oidc_jwks_url: Option<String>,
    /// Accepted OIDC issuers, comma-separated (default: Google's).
    #[arg(long, env = "RP_OIDC_ISSUERS", value_delimiter = ',', hide = true)]
    pub oidc_issuers: Vec<String>,
    /// Require authentication on read endpoints too (all but /healthz and /readyz).
    #[arg(long, env = "RP_PROTECT_READS", default_value_t = false, action = clap::ArgAction::Set)]
    pub protect_reads: bool,
    /// Most jobs running at once; more are refused with 429.
    #[arg(long, env = "RP_MAX_JOBS", default_value_t = 16, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_jobs: u16,
    /// Generation workers per generate job (default: all cores).
    #[arg(long, env = "RP_JOBS", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Seconds a client gets to send a request's headers, and a kept-alive connection to start
    /// its next request; past them the connection is closed (slow or stalled clients).
    #[arg(long, env = "RP_HEADER_READ_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_read_timeout_secs: u64,
}

/// The OIDC verifier `--oidc-audience` asks for, validated.
#[cfg(feature = "gcp")]
fn oidc_verifier(
    args: &ServeArgs,
) -> Result<Option<std::sync::Arc<crate::auth::OidcVerifier>>, UsageError> {
    use crate::auth::{OidcConfig, OidcVerifier};
    let Some(audience) = args.oidc_audience.clone() else {
        if !args.oidc_service_accounts.is_empty() {
            return Err(UsageError(
                "--oidc-service-accounts needs --oidc-audience".into(),
            ));
        }
        return Ok(None);
    };
    let accounts: Vec<String> = args
        .oidc_service_accounts
        .iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    if accounts.is_empty() {
        return Err(UsageError(
            "--oidc-audience needs --oidc-service-accounts (the Cloud Scheduler service account)"
                .into(),
        ));
    }
    let mut config = OidcConfig::google(audience, accounts);
    if let Some(url) = &args.oidc_jwks_url {
        config.jwks_url = url.clone();
    }
    if !args.oidc_issuers.is_empty() {
        config.issuers = args.oidc_issuers.clone();
    }
    OidcVerifier::new(config)
        .map(|v| Some(std::sync::Arc::new(v)))
        .map_err(|e| UsageError(format!("--oidc-audience: {}", crate::error_chain(&e))))
}

/// How long running jobs get to finish after SIGTERM (Cloud Run allows 10 s in all).
const DRAIN: Duration = Duration::from_secs(7);
/// How long requests in flight get to finish after SIGTERM, before the jobs' drain.
const CONNECTION_GRACE: Duration = Duration::from_secs(2);

pub async fn serve(mut config: Config, args: ServeArgs) -> anyhow::Result<Outcome> {
    config.long_running = true;
    if args
        .api_token
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(UsageError("--api-token must not be empty".into()).into());
    }
    let bind = args.bind.unwrap_or(if crate::telemetry::on_cloud_run() {
        IpAddr::from([0, 0, 0, 0])
    } else {
        IpAddr::from([127, 0, 0, 1])
    });
    #[cfg(feature = "gcp")]
    let oidc = oidc_verifier(&args)?;
    #[cfg(not(feature = "gcp"))]
    if args.oidc_audience.is_some() {
        return Err(UsageError("--oidc-audience needs a build with the gcp feature".into()).into());
    }
    if args.protect_reads && args.api_token.is_none() && args.oidc_audience.is_none() {
        return Err(UsageError(
            "--protect-reads needs --api-token or --oidc-audience: nobody could read".into(),
        )
        .into());
    }
    let settings = ServiceSettings {
        api_token: args.api_token.clone(),
        #[cfg(feature = "gcp")]
        oidc,
        protect_reads: args.protect_reads,
        schedule: args
            .schedule
            .unwrap_or(config.backend == crate::config::Backend::Local),
        max_jobs: usize::from(args.max_jobs),
        jobs_per_generate: args.jobs.map(usize::from).unwrap_or_else(default_jobs),
    };
    let json_logs = crate::telemetry::is_json(config.log_format);
    let app = start_app(config, settings).await?;
    let addr = SocketAddr::new(bind, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| UsageError(format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().context("reading the bound address")?;
    let shown = if bind.is_unspecified() {
        SocketAddr::new(IpAddr::from([127, 0, 0, 1]), local.port())
    } else {
        local
    };
    tracing::info!(addr = %local, "listening");
    let banner = format!("retail-pipeline listening on http://{shown}  (docs: http://{shown}/docs, status: http://{shown}/status)");
    if json_logs {
        // Under --log-format json every line the service prints is JSON, stdout's too.
        let mut fields = serde_json::Map::new();
        fields.insert("addr".into(), local.to_string().into());
        fields.insert("url".into(), format!("http://{shown}").into());
        println!(
            "{}",
            crate::telemetry::json_line(&tracing::Level::INFO, &banner, fields)
        );
    } else {
        println!("{banner}");
    }

    let stop = CancellationToken::new();
    let scheduler = app
        .settings
        .schedule
        .then(|| tokio::spawn(schedule::run(app.clone(), stop.clone())));
    let router = build_router(AppState(app.clone()));
    let limits = ConnectionLimits {
        header_read_timeout: Duration::from_secs(args.header_read_timeout_secs),
        shutdown_grace: CONNECTION_GRACE,
    };
    http::serve(listener, router, limits, shutdown_signal()).await;

    tracing::info!("shutting down: cancelling jobs");
    stop.cancel();
    if let Some(s) = scheduler {
        let _ = s.await;
    }
    app.jobs.cancel_all();
    let deadline = tokio::time::Instant::now() + DRAIN;
    while app.jobs.all().iter().any(|j| !j.state().is_finished()) {
        if tokio::time::Instant::now() >= deadline {
            tracing::warn!("jobs still running at shutdown; their finished hours are complete, the rest will be redone");
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.stop_streaming(Duration::from_millis(1500)).await;
    tracing::info!("stopped");
    Ok(Outcome::Done)
}
