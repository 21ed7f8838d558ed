//! The Google Cloud topology `terraform apply` builds, checked by meaning: the Terraform files
//! are parsed as HCL (hcl-rs) and their resources held against the service's own declarations
//! (stream tables, event types, lake tables, routes). What no emulator can play (BigQuery and
//! Cloud Storage subscriptions, external tables, alert policies) is proved only this way; the
//! README's deploy section says so.

use hcl::expr::{Expression, ObjectKey};
use hcl::{Block, Body};
use retail_pipeline::generate::events::EventType;
use retail_pipeline::model::Table;
use retail_pipeline::warehouse::bigquery::column_type;
use retail_pipeline::warehouse::stream_tables::STREAM_TABLES;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Every `.tf` file of deploy/, parsed.
fn terraform() -> Vec<Body> {
    let mut bodies = Vec::new();
    for entry in std::fs::read_dir(Path::new(ROOT).join("deploy")).expect("deploy/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path).expect("read");
            let body: Body = hcl::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid HCL: {e}", path.display()));
            bodies.push(body);
        }
    }
    assert!(bodies.len() >= 8, "the deploy/ files");
    bodies
}

/// `resource "<kind>" "<name>"` blocks, by name.
fn resources(tf: &[Body], kind: &str) -> BTreeMap<String, Block> {
    tf.iter()
        .flat_map(|b| b.blocks())
        .filter(|b| {
            b.identifier() == "resource" && b.labels().first().map(|l| l.as_str()) == Some(kind)
        })
        .map(|b| (b.labels()[1].as_str().to_string(), b.clone()))
        .collect()
}

fn attr<'a>(body: &'a Body, key: &str) -> Option<&'a Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// An attribute as HCL text (`local.event_tables`, `"${each.key}"`, `true`).
fn text(body: &Body, key: &str) -> String {
    attr(body, key)
        .map(|e| hcl::format::to_string(e).expect("format"))
        .unwrap_or_default()
}

fn block<'a>(body: &'a Body, identifier: &str) -> Option<&'a Body> {
    body.blocks()
        .find(|b| b.identifier() == identifier)
        .map(|b| b.body())
}

/// The `content` of a `dynamic "<label>"` block.
fn dynamic<'a>(body: &'a Body, label: &str) -> Option<&'a Body> {
    body.blocks()
        .find(|b| {
            b.identifier() == "dynamic" && b.labels().first().map(|l| l.as_str()) == Some(label)
        })
        .and_then(|b| block(b.body(), "content"))
}

fn local<'a>(tf: &'a [Body], name: &str) -> &'a Expression {
    tf.iter()
        .flat_map(|b| b.blocks())
        .filter(|b| b.identifier() == "locals")
        .find_map(|b| attr(b.body(), name))
        .unwrap_or_else(|| panic!("local.{name}"))
}

fn object(e: &Expression) -> BTreeMap<String, &Expression> {
    let Expression::Object(o) = e else {
        panic!("an object: {e:?}")
    };
    o.iter()
        .map(|(k, v)| {
            let key = match k {
                ObjectKey::Identifier(i) => i.as_str().to_string(),
                ObjectKey::Expression(Expression::String(s)) => s.clone(),
                other => panic!("key {other:?}"),
            };
            (key, v)
        })
        .collect()
}

fn string(e: &Expression) -> String {
    match e {
        Expression::String(s) => s.clone(),
        other => panic!("a string: {other:?}"),
    }
}

fn strings(e: &Expression) -> Vec<String> {
    match e {
        Expression::Array(items) => items.iter().map(string).collect(),
        other => panic!("an array: {other:?}"),
    }
}

/// A filter that selects the messages whose `event_type` attribute is the iterated type.
fn routes_by_event_type(filter: &str) -> bool {
    let plain = filter.replace('\\', "");
    plain.contains("attributes.event_type = \"${each.key}\"")
}

#[test]
fn every_event_type_has_its_typed_table_subscription_and_archive() {
    let tf = terraform();
    let event_tables: BTreeMap<String, String> = object(local(&tf, "event_tables"))
        .into_iter()
        .map(|(k, v)| (k, string(v)))
        .collect();
    let want: BTreeMap<String, String> = EventType::ALL
        .iter()
        .map(|t| (t.as_str().to_string(), t.table().to_string()))
        .collect();
    assert_eq!(
        event_tables, want,
        "local.event_tables: each event type's table"
    );

    let subs = resources(&tf, "google_pubsub_subscription");
    let typed = subs["events_to_bigquery"].body();
    assert_eq!(text(typed, "for_each"), "local.event_tables");
    assert!(routes_by_event_type(&text(typed, "filter")));
    let bq = block(typed, "bigquery_config").expect("bigquery_config");
    assert_eq!(
        text(bq, "use_table_schema"),
        "true",
        "the message's fields are the columns"
    );
    assert_eq!(
        text(bq, "write_metadata"),
        "true",
        "message id and publish time kept"
    );
    assert_eq!(
        text(bq, "drop_unknown_fields"),
        "false",
        "a new field fails loudly"
    );
    assert!(text(bq, "table").contains("google_bigquery_table.stream[each.value]"));
    assert!(
        block(typed, "dead_letter_policy").is_some(),
        "refused messages go somewhere"
    );

    let archive = subs["events_to_archive"].body();
    assert_eq!(text(archive, "for_each"), "local.event_tables");
    assert!(routes_by_event_type(&text(archive, "filter")));
    let gcs = block(archive, "cloud_storage_config").expect("cloud_storage_config");
    assert!(text(gcs, "bucket").contains("google_storage_bucket.lake.name"));
    assert_eq!(text(gcs, "filename_prefix"), "\"events/${each.key}/\"");
    assert_eq!(
        text(gcs, "filename_datetime_format"),
        "\"YYYY/MM/DD/hh/mm/\""
    );
    assert_eq!(text(gcs, "filename_suffix"), "\".jsonl\"");
    // The layout the in-process subscriber's archive uses: events/<type>/YYYY/MM/DD/HH/MM/.
    let local_archive =
        std::fs::read_to_string(Path::new(ROOT).join("src/bus/archive.rs")).expect("archive.rs");
    assert!(
        local_archive.contains("events/"),
        "the local archive's layout"
    );
}

#[test]
fn nothing_published_to_the_events_topic_is_acknowledged_into_nothing() {
    let tf = terraform();
    let subs = resources(&tf, "google_pubsub_subscription");
    let unrouted = subs["events_unrouted"].body();
    assert_eq!(text(unrouted, "filter"), "local.unrouted_filter");
    assert!(text(unrouted, "topic").contains("google_pubsub_topic.events"));
    let filter = hcl::format::to_string(local(&tf, "unrouted_filter")).expect("filter");
    assert!(filter.contains("NOT attributes:event_type"), "{filter}");
    assert!(filter.contains("local.event_tables"), "{filter}");
    for name in ["events_unrouted", "dead_letter_to_bigquery"] {
        let bq = block(subs[name].body(), "bigquery_config").expect(name);
        assert!(
            text(bq, "table").contains("stream[\"dead_letter_events\"]"),
            "{name} lands in dead_letter_events"
        );
        assert_eq!(text(bq, "write_metadata"), "true", "{name}");
    }
    // Every subscription that can refuse a message names a dead-letter topic, and that topic
    // is read.
    for name in ["alerts_to_bigquery", "events_to_bigquery"] {
        let policy = block(subs[name].body(), "dead_letter_policy").expect(name);
        assert!(text(policy, "dead_letter_topic").contains("google_pubsub_topic.dead_letter"));
    }
    assert!(text(subs["dead_letter_to_bigquery"].body(), "topic").contains("dead_letter"));
}

#[test]
fn the_stream_tables_terraform_creates_are_the_services() {
    let tf = terraform();
    let tables = resources(&tf, "google_bigquery_table");
    let stream = tables["stream"].body();
    assert_eq!(text(stream, "for_each"), "local.stream_tables");
    assert!(text(stream, "schema").contains("sql/bigquery/schemas/${each.key}.json"));
    let declared = object(local(&tf, "stream_tables"));
    let names: BTreeSet<&str> = declared.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = STREAM_TABLES.iter().map(|t| t.name).collect();
    assert_eq!(names, want);
    for table in STREAM_TABLES {
        let options = object(declared[table.name]);
        assert_eq!(
            string(options["partition_by"]),
            table.partition_by,
            "{}",
            table.name
        );
        assert_eq!(
            strings(options["cluster_by"]),
            table.cluster_by,
            "{}",
            table.name
        );
    }
    let partitioning = block(stream, "time_partitioning").expect("time_partitioning");
    assert_eq!(text(partitioning, "field"), "each.value.partition_by");
}

#[test]
fn every_lake_table_has_an_external_table_reading_the_lake_with_hive_partitioning() {
    let tf = terraform();
    let lake = object(local(&tf, "lake_tables"));
    assert_eq!(
        lake.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        Table::ALL.iter().map(|t| t.name()).collect::<BTreeSet<_>>()
    );
    for table in Table::ALL {
        let Expression::Array(columns) = lake[table.name()] else {
            panic!("{}: a list of columns", table.name())
        };
        let listed: Vec<(String, String)> = columns
            .iter()
            .map(|c| (strings(c)[0].clone(), strings(c)[1].clone()))
            .collect();
        // The alert files' own date and hour are renamed: the partition columns have those
        // names. The types are the load jobs' (`column_type`), in the JSON schema's spelling.
        let want: Vec<(String, String)> = table
            .columns()
            .iter()
            .zip(table.column_types())
            .map(|(c, kind)| {
                let name = match (table, *c) {
                    (Table::NegativeInventoryAlerts, "date" | "hour") => format!("alert_{c}"),
                    _ => c.to_string(),
                };
                let ty = match column_type(*kind) {
                    "INT64" => "INTEGER",
                    other => other,
                };
                (name, ty.to_string())
            })
            .collect();
        assert_eq!(
            listed,
            want,
            "{}: the file's columns in order",
            table.name()
        );
    }
    let external = resources(&tf, "google_bigquery_table")["lake_external"].clone();
    let body = external.body();
    assert_eq!(text(body, "for_each"), "local.lake_tables");
    assert_eq!(text(body, "table_id"), "\"${each.key}_ext\"");
    let config = block(body, "external_data_configuration").expect("external config");
    // Its own table's prefix only: never `_manifests/` or `_lake.json`.
    assert!(text(config, "source_uris").contains("/${each.key}/*"));
    // The lake's format decides the source format (CSV or PARQUET), CSV's options and schema.
    assert_eq!(text(config, "source_format"), "upper(var.lake_format)");
    assert!(text(config, "schema").starts_with("var.lake_format == \"csv\" ?"));
    let hive = dynamic(config, "hive_partitioning_options").expect("hive partitioning");
    assert_eq!(text(hive, "mode"), "\"CUSTOM\"");
    assert!(text(hive, "source_uri_prefix").ends_with("/${each.key}/{date:DATE}/{hour:INTEGER}\""));
    let csv = dynamic(config, "csv_options").expect("csv_options");
    assert_eq!(text(csv, "skip_leading_rows"), "1");
}

#[test]
fn apis_alerts_and_probes_are_declared() {
    let tf = terraform();
    let apis = resources(&tf, "google_project_service");
    let listed = hcl::format::to_string(attr(apis["apis"].body(), "for_each").expect("for_each"))
        .expect("format");
    for api in [
        "run",
        "pubsub",
        "bigquery",
        "storage",
        "cloudscheduler",
        "monitoring",
        "logging",
    ] {
        assert!(
            listed.contains(&format!("\"{api}.googleapis.com\"")),
            "{api}"
        );
    }
    let policies = resources(&tf, "google_monitoring_alert_policy");
    for name in [
        "failed_jobs",
        "dead_letters",
        "failed_scheduler_runs",
        "warehouse_behind",
    ] {
        let policy = policies
            .get(name)
            .unwrap_or_else(|| panic!("alert policy {name}"));
        assert_eq!(
            text(policy.body(), "notification_channels"),
            "local.notification_channels"
        );
    }
    let channel = &resources(&tf, "google_monitoring_notification_channel")["email"];
    assert_eq!(text(channel.body(), "type"), "\"email\"");
    // The lag alert reads the field the service logs at the end of every refresh.
    let metric = &resources(&tf, "google_logging_metric")["warehouse_lag"];
    assert!(text(metric.body(), "value_extractor").contains("jsonPayload.lag_hours"));
    let refresh = std::fs::read_to_string(Path::new(ROOT).join("src/service/refresh.rs"))
        .expect("service/refresh.rs");
    assert!(refresh.contains("lag_hours, \"refresh ended\""));

    // Cloud Run's probes use paths it does not reserve (none ending in `z`), served by the
    // router.
    let run = &resources(&tf, "google_cloud_run_v2_service")["pipeline"];
    let template = block(run.body(), "template").expect("template");
    let containers = block(template, "containers").expect("containers");
    let spec =
        serde_json::to_value(<retail_pipeline::api::docs::ApiDoc as utoipa::OpenApi>::openapi())
            .expect("openapi");
    for probe in ["startup_probe", "liveness_probe"] {
        let get = block(block(containers, probe).expect(probe), "http_get").expect("http_get");
        let path = string(attr(get, "path").expect("path"));
        assert!(!path.ends_with('z'), "{probe}: {path}");
        assert!(
            spec["paths"][&path].is_object(),
            "{probe}: {path} is served"
        );
    }
}
