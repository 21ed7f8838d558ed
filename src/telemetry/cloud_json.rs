//! JSON lines in the shape Cloud Logging reads: `severity`, `message`, `time`, the source
//! location, the trace of the request or job (`logging.googleapis.com/trace`, from
//! `telemetry::link_logs`), then every field of the event and of its spans. <https://cloud.google.com/logging/docs/structured-logging>

use super::LogTrace;
use serde_json::{Map, Value};
use std::fmt;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// Key Cloud Logging reads the trace from; its value is `projects/P/traces/T`.
pub const TRACE_KEY: &str = "logging.googleapis.com/trace";
pub const SPAN_KEY: &str = "logging.googleapis.com/spanId";
pub const SAMPLED_KEY: &str = "logging.googleapis.com/trace_sampled";
const SOURCE_KEY: &str = "logging.googleapis.com/sourceLocation";

/// The event formatter. Span fields must be recorded with [`JsonFields`] (the subscriber's
/// `fmt_fields`), which stores each span's fields as a JSON object this formatter reads back.
#[derive(Debug, Clone, Default)]
pub struct CloudJson {
    /// The Google Cloud project, needed to name a trace. Without it the trace key holds the
    /// bare trace id.
    pub project: Option<String>,
}

pub fn severity(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG | Level::TRACE => "DEBUG",
    }
}

impl<S, N> FormatEvent<S, N> for CloudJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert("severity".into(), severity(meta.level()).into());
        line.insert(
            "time".into(),
            chrono::Utc::now()
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
                .into(),
        );
        line.insert("target".into(), meta.target().into());
        if let (Some(file), Some(l)) = (meta.file(), meta.line()) {
            line.insert(
                SOURCE_KEY.into(),
                serde_json::json!({ "file": file, "line": l.to_string() }),
            );
        }
        // Spans from the outermost in, so an inner span's field (and trace) wins over an outer
        // one's. `otel.*` fields are instructions to the OpenTelemetry layer, not data.
        let mut trace = None;
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(t) = extensions.get::<LogTrace>() {
                    trace = Some(t.clone());
                }
                let Some(fields) = extensions.get::<FormattedFields<JsonFields>>() else {
                    continue;
                };
                if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(fields) {
                    line.extend(map.into_iter().filter(|(k, _)| !k.starts_with("otel.")));
                }
            }
        }
        let mut visitor = FieldVisitor(&mut line);
        event.record(&mut visitor);
        if let Some(trace) = trace {
            self.place_trace(&mut line, trace);
        }
        let text = serde_json::to_string(&line).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

impl CloudJson {
    /// The trace under the keys Cloud Logging reads. With a project the trace is named as
    /// Cloud Logging links it to Cloud Trace (`projects/P/traces/T`); without one the key holds
    /// the bare trace id, the id the spans are exported under, so lines still group by it.
    fn place_trace(&self, line: &mut Map<String, Value>, trace: LogTrace) {
        let name = match &self.project {
            Some(project) => format!("projects/{project}/traces/{}", trace.trace_id),
            None => trace.trace_id,
        };
        line.insert(TRACE_KEY.into(), name.into());
        line.insert(SPAN_KEY.into(), trace.span_id.into());
        line.insert(SAMPLED_KEY.into(), trace.sampled.into());
    }
}

/// One JSON line in the same shape as the log lines, for what is printed rather than logged
/// (the service's banner on stdout under `--log-format json`).
pub fn json_line(level: &Level, message: &str, fields: Map<String, Value>) -> String {
    let mut line = Map::new();
    line.insert("severity".into(), severity(level).into());
    line.insert(
        "time".into(),
        chrono::Utc::now()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            .into(),
    );
    line.insert("message".into(), message.into());
    line.extend(fields);
    Value::Object(line).to_string()
}

/// Writes an event's fields into the line; `message` is the event's text.
struct FieldVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0.insert(field.name().into(), value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}
