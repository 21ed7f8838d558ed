//! `scenario run NAME`: stream a named scenario's events on the embedded backends, with a
//! progress bar, exactly as `POST /scenarios/{name}/start` would.

use super::signals::cancel_on_signals;
use super::{default_jobs, start_app, Outcome, UsageError};
use crate::app::ServiceSettings;
use crate::config::Config;
use crate::jobs::scenario::{IncidentRequest, ScenarioSpec, SCENARIOS};
use crate::jobs::JobState;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct ScenarioArgs {
    #[command(subcommand)]
    pub command: ScenarioCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum ScenarioCommand {
    /// List the named scenarios.
    List,
    /// Run a named scenario to completion (Ctrl-C cancels it, keeping what was sent).
    Run {
        /// A scenario name, as `scenario list` shows.
        name: String,
        /// Seed of the run: the same seed replays its event, order and session ids and payloads
        /// (`--seed` is the world's). Default: drawn from the OS, so ids never repeat. Called
        /// `seed` in the body of `POST /scenarios/{name}/start`.
        #[arg(long)]
        run_seed: Option<u64>,
        /// A demo incident as JSON, repeatable: `--incident '{"kind":"store_dark","start_second":60,"duration_seconds":60}'`
        /// (the `incidents` of `POST /scenarios/{name}/start`).
        #[arg(long = "incident", value_name = "JSON")]
        incidents: Vec<String>,
    },
}

pub async fn scenario(config: Config, args: ScenarioArgs) -> anyhow::Result<Outcome> {
    let (name, seed, incidents) = match args.command {
        ScenarioCommand::List => {
            for s in SCENARIOS {
                println!(
                    "{:<20} {:>4}/min x {:>2} min = {:>5} events  {}",
                    s.name,
                    s.events_per_minute,
                    s.minutes,
                    s.total_events(),
                    s.description
                );
            }
            return Ok(Outcome::Done);
        }
        ScenarioCommand::Run {
            name,
            run_seed,
            incidents,
        } => (name, run_seed, incidents),
    };
    let incidents = incidents
        .iter()
        .map(|text| serde_json::from_str::<IncidentRequest>(text))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(format!("--incident: {e}")))?;
    let spec = ScenarioSpec::named(&name)
        .and_then(|spec| spec.with_incidents(&incidents))
        .map_err(|e| UsageError(e.to_string()))?;
    let settings = ServiceSettings {
        max_jobs: 4,
        jobs_per_generate: default_jobs(),
        ..ServiceSettings::default()
    };
    let app = start_app(config, settings).await?;
    let job = crate::service::start_scenario(&app, spec, seed).await?.job;
    let cancel = cancel_on_signals();
    let bar = ProgressBar::new(job.view().target);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} events {msg} (eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    while !job.state().is_finished() {
        if cancel.is_cancelled() {
            job.cancel.cancel();
        }
        let v = job.view();
        bar.set_position(v.done);
        if let Some(rate) = v
            .detail
            .as_ref()
            .and_then(|d| d["measured_per_minute"].as_f64())
        {
            bar.set_message(format!("{rate:.1}/min"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bar.finish_and_clear();
    app.stop_streaming(Duration::from_secs(5)).await;
    let v = job.view();
    let rate = v
        .detail
        .as_ref()
        .and_then(|d| d["measured_per_minute"].as_f64())
        .unwrap_or(0.0);
    let seed = v
        .detail
        .as_ref()
        .and_then(|d| d["seed"].as_u64())
        .map_or_else(String::new, |s| format!("; replay with --run-seed {s}"));
    println!(
        "{} {}: {} of {} events in {:.1}s, {rate:.2}/min; archived under {}{seed}",
        name,
        serde_json::to_value(v.state)
            .ok()
            .and_then(|s| s.as_str().map(str::to_owned))
            .unwrap_or_default(),
        v.done,
        v.target,
        v.elapsed_secs,
        app.config.lake_dir().join("events").display()
    );
    match v.state {
        JobState::Completed => Ok(Outcome::Done),
        JobState::Cancelled => Ok(Outcome::Interrupted),
        _ => Err(anyhow::anyhow!(v
            .error
            .unwrap_or_else(|| "scenario failed".into()))),
    }
}
