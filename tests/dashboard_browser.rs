//! The dashboard as a person sees it: the real `serve` binary on a loopback port with a day
//! of data loaded and a scenario running, opened by headless Chromium (Debian's `chromium`).
//! Checks that the charts have data, that the page's script refreshes it in place, and that
//! no request left 127.0.0.1 (Chromium's own network log); saves a screenshot for review.
//! Without Chromium installed the test says SKIPPED and returns.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"]
        .into_iter()
        .find_map(|name| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
}

struct Service(Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(data: &Path) -> (Service, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_retail-pipeline"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "serve",
            "--port",
            "0",
            "--bind",
            "127.0.0.1",
            "--schedule",
            "false",
        ])
        .env("RUST_LOG", "warn")
        .env_remove("RP_API_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    (Service(child), addr)
}

fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    s.read_to_string(&mut response).expect("read");
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Runs Chromium headless on `url` with a fresh profile and a network log; returns stdout.
fn run_chromium(bin: &Path, out: &Path, name: &str, url: &str, mode: &[String]) -> String {
    let profile = tempfile::tempdir().expect("profile dir");
    let net_log = out.join(format!("{name}.netlog.json"));
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-domain-reliability",
            "--metrics-recording-only",
            "--hide-scrollbars",
            // A safety net: nothing but 127.0.0.1 resolves. The log below still shows any
            // request that was attempted.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1400,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--log-net-log={}", net_log.display()))
        .args(mode)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chromium");
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            assert!(status.success(), "chromium {name} failed: {status}\n{err}");
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium {name} did not finish in 120 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let dom = reader.join().expect("stdout reader");
    assert_only_loopback(&net_log);
    dom
}

/// Every URL and host in Chromium's network log is 127.0.0.1 (or a non-network scheme).
fn assert_only_loopback(net_log: &Path) {
    let text = std::fs::read_to_string(net_log).expect("net log written");
    // Chromium may stop before closing the JSON array; close it for parsing.
    let log: Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .unwrap_or_else(|e| panic!("net log {}: {e}", net_log.display()));
    let events = log["events"].as_array().expect("events");
    assert!(
        !events.is_empty(),
        "the net log recorded the page's requests"
    );
    let mut urls = Vec::new();
    let mut hosts = Vec::new();
    for e in events {
        collect(&e["params"], &mut urls, &mut hosts);
    }
    assert!(
        urls.iter().any(|u| u.starts_with("http://127.0.0.1:")),
        "the log has the page's own requests: {urls:?}"
    );
    for url in &urls {
        let external =
            (url.starts_with("http://") || url.starts_with("https://") || url.starts_with("ws"))
                && !url
                    .split("://")
                    .nth(1)
                    .is_some_and(|rest| rest.starts_with("127.0.0.1"));
        assert!(!external, "a request left 127.0.0.1: {url}");
    }
    for host in &hosts {
        assert!(
            host.starts_with("127.0.0.1") || host.is_empty(),
            "a host other than 127.0.0.1 was looked up or connected to: {host}"
        );
    }
}

fn collect(v: &Value, urls: &mut Vec<String>, hosts: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("url" | "original_url" | "location", Value::String(s)) => urls.push(s.clone()),
                    ("host" | "hostname" | "host_port" | "server_address", Value::String(s)) => {
                        hosts.push(s.clone())
                    }
                    _ => collect(v, urls, hosts),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, urls, hosts)),
        _ => {}
    }
}

/// The inside of `<svg ... id="{id}" ...>...</svg>` in a dumped DOM.
fn chart<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("chart {id} not in the DOM"));
    let end = dom[start..].find("</svg>").expect("svg end");
    &dom[start..start + end]
}

#[test]
fn headless_chromium_sees_charts_with_data_and_nothing_leaves_loopback() {
    let Some(bin) = chromium() else {
        eprintln!(
            "SKIPPED: headless_chromium_sees_charts_with_data_and_nothing_leaves_loopback needs Debian's chromium; run apt-get install -y chromium chromium-driver"
        );
        return;
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-browser");
    std::fs::create_dir_all(&out).expect("output dir");
    let data = tempfile::tempdir().expect("data dir");
    let (_service, addr) = start(data.path());

    // The empty warehouse first: the page says what to do.
    let url = format!("http://{addr}/dashboard");
    let dom = run_chromium(&bin, &out, "empty", &url, &["--dump-dom".into()]);
    assert!(dom.contains("The warehouse is empty"), "{dom}");
    run_chromium(
        &bin,
        &out,
        "empty-shot",
        &url,
        &[format!(
            "--screenshot={}",
            out.join("dashboard-empty.png").display()
        )],
    );

    // A day of data, merged; then a scenario streaming while the page is open.
    let (status, body) = http(&addr, "POST", "/generate", r#"{"date":"2026-11-20"}"#);
    assert_eq!(status, 202, "{body}");
    let id = json(&body)["job_id"].as_str().expect("job id").to_owned();
    let deadline = Instant::now() + Duration::from_secs(300);
    while json(&http(&addr, "GET", &format!("/jobs/{id}"), "").1)["state"] == "running" {
        assert!(Instant::now() < deadline, "generate took over 300 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, body) = http(&addr, "POST", "/bq/refresh?wait=true", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["state"], "completed", "{body}");
    let (status, body) = http(&addr, "POST", "/scenarios/burst_test/start", "");
    assert_eq!(status, 202, "{body}");

    // The DOM after the script has run for a while (virtual time): charts have marks, and
    // the pipeline panel was swapped in place by the script.
    let dom = run_chromium(
        &bin,
        &out,
        "loaded",
        &url,
        &["--virtual-time-budget=8000".into(), "--dump-dom".into()],
    );
    std::fs::write(out.join("dashboard.html"), &dom).expect("save dom");
    for id in [
        "daily-revenue",
        "daily-units",
        "hourly-revenue",
        "hourly-units",
        "state-revenue",
        "store-revenue",
        "top-products",
    ] {
        let svg = chart(&dom, id);
        assert!(svg.matches("<rect").count() >= 3, "{id} has bars");
        assert!(!svg.contains("No data"), "{id} has data");
    }
    assert!(
        chart(&dom, "stock").contains("<polyline"),
        "stock has lines"
    );
    assert!(
        dom.contains("burst_test") && dom.contains("running"),
        "the scenario shows live"
    );
    assert!(
        dom.contains("Updated "),
        "the script refreshed the panel in place"
    );
    assert!(!dom.contains("Cannot reach the service"));

    // A filtered view, and the screenshot for review.
    let filtered =
        format!("http://{addr}/dashboard?category=Grocery&from=2026-11-20&to=2026-11-20");
    let dom = run_chromium(&bin, &out, "filtered", &filtered, &["--dump-dom".into()]);
    assert!(chart(&dom, "daily-revenue").contains("Grocery"));
    assert!(!chart(&dom, "top-products").contains("Beverages"));
    let shot = out.join("dashboard.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &bin,
        &out,
        "shot",
        &url,
        &[
            "--virtual-time-budget=3000".into(),
            format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 20_000,
        "a real screenshot"
    );
    eprintln!("dashboard screenshot: {}", shot.display());
}
