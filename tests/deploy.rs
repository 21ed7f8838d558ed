//! The deployment files agree with the service: every name Terraform sets is one the binary
//! reads, their defaults match, Cloud Scheduler calls endpoints that exist, the Dockerfile builds
//! the way the scripts do, and the shell scripts and Terraform pass their own linters.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;
use utoipa::OpenApi;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn help(subcommand: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"))
        .args([subcommand, "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// `name = value` lines of a Terraform block that starts with `opening` (one level deep).
fn hcl_assignments(text: &str, opening: &str) -> BTreeMap<String, String> {
    let start = text
        .find(opening)
        .unwrap_or_else(|| panic!("no block {opening}"));
    let mut out = BTreeMap::new();
    for line in text[start..].lines().skip(1) {
        let line = line.trim();
        if line == "}" {
            break;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    out
}

/// The default of a Terraform variable, unquoted.
fn tf_default(variables: &str, name: &str) -> String {
    hcl_assignments(variables, &format!("variable \"{name}\""))["default"]
        .trim_matches('"')
        .to_string()
}

/// The lines of `--help` that describe `flag`: from its line to the next option's.
fn option_help<'a>(help: &'a str, flag: &str) -> &'a str {
    let start = help
        .lines()
        .position(|l| l.trim_start().starts_with(&format!("{flag} ")))
        .unwrap_or_else(|| panic!("{flag} not in --help"));
    let lines: Vec<&str> = help.lines().collect();
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('-'))
        .map_or(lines.len(), |n| start + 1 + n);
    let from = help.find(lines[start]).unwrap_or(0);
    let to = if end < lines.len() {
        help[from..]
            .find(lines[end])
            .map_or(help.len(), |n| from + n)
    } else {
        help.len()
    };
    &help[from..to]
}

#[test]
fn every_variable_terraform_sets_is_read_by_the_service() {
    let env = hcl_assignments(&read("deploy/locals.tf"), "service_env = {");
    assert!(env.len() >= 10, "{env:?}");
    let serve = help("serve");
    let backfill = help("backfill");
    for name in env.keys() {
        assert!(
            serve.contains(&format!("[env: {name}=")),
            "deploy/locals.tf sets {name}, which `serve` does not read"
        );
        // The backfill job gets the same variables, minus the service-only ones.
        if !name.starts_with("RP_OIDC") && name != "RP_SCHEDULE" {
            assert!(
                backfill.contains(&format!("[env: {name}=")),
                "backfill ignores {name}"
            );
        }
    }
    for name in ["CLOUD_RUN_TASK_INDEX", "CLOUD_RUN_TASK_COUNT"] {
        assert!(backfill.contains(&format!("[env: {name}=")), "{name}");
    }
}

#[test]
fn terraform_defaults_are_the_services_defaults() {
    let variables = read("deploy/variables.tf");
    let serve = help("serve");
    for (var, flag) in [
        ("dataset_id", "--bq-dataset"),
        ("bq_location", "--bq-location"),
        ("alerts_topic", "--alerts-topic"),
        ("events_topic", "--events-topic"),
        ("seed", "--seed"),
        ("scale", "--scale"),
    ] {
        let default = tf_default(&variables, var);
        let flag_help = option_help(&serve, flag);
        assert!(
            flag_help.contains(&format!("[default: {default}]")),
            "{var} = {default} but {flag}: {flag_help}"
        );
    }
    // cloudbuild.yaml deploys the service and repository that Terraform creates.
    let cloudbuild = read("cloudbuild.yaml");
    for (sub, var) in [("_SERVICE", "service_name"), ("_REPO", "repository")] {
        let line = format!("{sub}: {}", tf_default(&variables, var));
        assert!(cloudbuild.contains(&line), "cloudbuild.yaml lacks `{line}`");
    }
}

#[test]
fn cloud_scheduler_calls_endpoints_that_exist() {
    let scheduler = read("deploy/scheduler.tf");
    let spec = serde_json::to_value(retail_pipeline::api::docs::ApiDoc::openapi()).unwrap();
    let mut calls = 0;
    for line in scheduler
        .lines()
        .filter(|l| l.trim_start().starts_with("uri"))
    {
        let path = line.split("uri}").nth(1).unwrap().trim_end_matches('"');
        assert!(
            spec["paths"][path]["post"].is_object(),
            "Cloud Scheduler POSTs {path}, which the API lacks"
        );
        calls += 1;
    }
    assert_eq!(calls, 2);
    assert!(scheduler.contains("schedule         = var.generate_schedule"));
    let variables = read("deploy/variables.tf");
    assert_eq!(tf_default(&variables, "generate_schedule"), "0 * * * *");
    assert_eq!(tf_default(&variables, "refresh_schedule"), "15 * * * *");
}

#[test]
fn the_image_builds_like_the_scripts_and_runs_as_non_root() {
    let build = "cargo build --release --locked";
    let dockerfile = read("Dockerfile");
    assert!(
        dockerfile.contains(&format!("&& {build}\n")),
        "dependency layer"
    );
    assert!(dockerfile.contains(&format!("RUN touch src/main.rs src/lib.rs && {build}\n")));
    assert!(read("scripts/run.sh").contains(build));
    let user = dockerfile
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("a USER line");
    assert!(user != "root" && user != "0", "runs as {user}");
    assert!(dockerfile.contains("PORT=8080") && dockerfile.contains("/health"));
    // Cloud Build runs the README's test command, as .ci/run does.
    assert!(read("cloudbuild.yaml").contains("scripts/test.sh"));
    assert!(read(".ci/run").contains("scripts/test.sh"));
    assert!(read("README.md").contains("scripts/test.sh"));
}

#[test]
fn terraform_is_formatted_and_parses() {
    let Ok(out) = Command::new("terraform")
        .args(["fmt", "-check", "-recursive", "-diff"])
        .current_dir(Path::new(ROOT).join("deploy"))
        .env("TF_CLI_CONFIG_FILE", "/dev/null")
        .output()
    else {
        common::skip_or_fail("terraform_is_formatted_and_parses needs terraform on PATH");
        return;
    };
    assert!(
        out.status.success(),
        "terraform fmt -check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn shell_scripts_pass_shellcheck() {
    let mut scripts = vec![".ci/run".to_string()];
    for dir in ["scripts", "scripts/lib", "benches"] {
        for entry in std::fs::read_dir(Path::new(ROOT).join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "sh") {
                scripts.push(path.strip_prefix(ROOT).unwrap().display().to_string());
            }
        }
    }
    assert!(scripts.len() >= 5, "{scripts:?}");
    let Ok(out) = Command::new("shellcheck")
        .args(&scripts)
        .current_dir(ROOT)
        .output()
    else {
        common::skip_or_fail(
            "shell_scripts_pass_shellcheck needs shellcheck (apt install shellcheck)",
        );
        return;
    };
    assert!(
        out.status.success(),
        "shellcheck:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The text of the Terraform block that starts with `opening`, up to its closing brace at
/// the start of a line.
fn hcl_block<'a>(text: &'a str, opening: &str) -> &'a str {
    let start = text
        .find(opening)
        .unwrap_or_else(|| panic!("no block {opening}"));
    let end = text[start..].find("\n}").map_or(text.len(), |n| start + n);
    &text[start..end]
}

/// Whitespace runs as one space: Terraform's alignment of `=` is not part of the meaning.
fn squash(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `(name, type)` of each `{ name = "...", type = "...", ... }` line of a Terraform schema.
fn tf_schema_columns(block: &str) -> Vec<(String, String)> {
    let quoted = |line: &str, key: &str| {
        let rest = line.split(&format!("{key} = \"")).nth(1)?;
        rest.split('"').next().map(str::to_owned)
    };
    block
        .lines()
        .filter_map(|l| Some((quoted(l, "name")?, quoted(l, "type")?)))
        .collect()
}

/// The tables of `CREATE TABLE IF NOT EXISTS` statements: name, `(column, type)` in order, and
/// the statement's text after the column list (partitioning, clustering).
fn sql_tables(sql: &str) -> BTreeMap<String, (Vec<(String, String)>, String)> {
    let prefix = "CREATE TABLE IF NOT EXISTS `${project}.${dataset}.";
    let mut out = BTreeMap::new();
    for statement in sql.split(';') {
        let Some(start) = statement.find(prefix) else {
            continue;
        };
        let rest = &statement[start + prefix.len()..];
        let name = rest.split('`').next().unwrap_or_default().to_string();
        let body = rest.split_once("(\n").map_or("", |(_, b)| b);
        let (columns, options) = body.split_once("\n)").unwrap_or((body, ""));
        let columns = columns
            .lines()
            .filter_map(|l| {
                let mut words = l.trim().trim_end_matches(',').split_whitespace();
                Some((words.next()?.to_string(), words.next()?.to_string()))
            })
            .collect();
        out.insert(name, (columns, options.to_string()));
    }
    out
}

/// The names of `${project}.${dataset}.NAME` that follow `keyword` in `sql`.
fn sql_names_after(sql: &str, keyword: &str) -> BTreeSet<String> {
    let marker = format!("{keyword} `${{project}}.${{dataset}}.");
    sql.split(&marker)
        .skip(1)
        .filter_map(|rest| rest.split('`').next().map(str::to_owned))
        .collect()
}

/// The alerts' Pub/Sub landing table that the service creates when missing (so that its view
/// can be created anywhere) is the one Terraform creates in deployment, with the same columns
/// and partitioning; the view reads exactly that table; and it is documented. (The event
/// tables: tests/deploy_topology.rs.)
#[cfg(feature = "gcp")]
#[test]
fn the_alerts_landing_table_agrees_between_terraform_and_its_view() {
    use retail_pipeline::warehouse::bigquery::PUBSUB_VIEWS;
    let tf = read("deploy/bigquery.tf");
    let opening = "resource \"google_bigquery_table\" \"alerts_stream\"";
    let block = hcl_block(&tf, opening);
    let tf_columns = tf_schema_columns(hcl_block(block, "schema = jsonencode("));
    let names: Vec<&str> = tf_columns.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "subscription_name",
            "message_id",
            "publish_time",
            "data",
            "attributes"
        ],
        "the columns of a BigQuery subscription with write_metadata"
    );
    assert!(squash(block).contains("table_id = \"negative_inventory_alerts_pubsub\""));
    assert!(squash(block).contains("type = \"DAY\" field = \"publish_time\""));

    let created = sql_tables(&read("sql/bigquery/05_pubsub_raw_tables.sql"));
    let views_sql = read("sql/bigquery/06_pubsub_views.sql");
    let want_raw: BTreeSet<String> = PUBSUB_VIEWS.iter().map(|v| v.raw.to_string()).collect();
    let want_views: BTreeSet<String> = PUBSUB_VIEWS.iter().map(|v| v.view.to_string()).collect();
    assert_eq!(sql_names_after(&views_sql, "FROM"), want_raw);
    assert_eq!(
        sql_names_after(&views_sql, "CREATE OR REPLACE VIEW"),
        want_views
    );
    assert_eq!(created.keys().cloned().collect::<BTreeSet<_>>(), want_raw);
    for (name, (columns, options)) in &created {
        assert_eq!(columns, &tf_columns, "{name}: Terraform's columns");
        assert!(
            options.contains("PARTITION BY DATE(publish_time)"),
            "{name}"
        );
    }
    let sql_readme = read("sql/bigquery/README.md");
    for view in PUBSUB_VIEWS {
        assert!(
            sql_readme.contains(view.view),
            "sql/bigquery/README.md: {}",
            view.view
        );
        assert!(
            sql_readme.contains(view.raw),
            "sql/bigquery/README.md: {}",
            view.raw
        );
    }
}
