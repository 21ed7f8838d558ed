//! The dashboard's whole page: the filter form, the pipeline panel (`live.rs`), the Stream
//! section (`stream.rs`) and the charts (`charts.rs`), which the page's script also fetches alone and swaps in. Written with maud,
//! which escapes every text from data or from the request. Style and script are inline (the
//! Content-Security-Policy allows nothing else).

use super::charts::charts_fragment;
use super::components::Message;
use super::data::{Charts, Live};
use super::live::live_fragment;
use maud::{html, Markup, PreEscaped};

const CSS: &str = include_str!("dashboard.css");
const JS: &str = include_str!("dashboard.js");
/// Lower case, as the page has always begun (maud's `DOCTYPE` is upper case).
const DOCTYPE: PreEscaped<&str> = PreEscaped("<!doctype html>");

/// The filter form's current values and choices.
#[derive(Debug, Clone, Default)]
pub struct Form {
    pub from: String,
    pub to: String,
    pub category: String,
    pub state: String,
    pub store_id: String,
    pub categories: Vec<String>,
    pub states: Vec<String>,
    /// `(store_id, label)`.
    pub stores: Vec<(String, String)>,
    /// The query string the fragments are fetched with (`?from=...`), already validated.
    pub query: String,
}

/// The whole page: `live` is the pipeline panel's data and the Stream section already
/// rendered. `error` replaces the charts with the message (bad filter values).
pub fn page(
    title: &str,
    form: &Form,
    (live, stream): (&Live, &Markup),
    charts: Result<&Charts, &str>,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    h1 { (title) }
                    nav aria-label="Other pages" {
                        a href="/docs" { "API docs" } " "
                        a href="/status" { "Status (JSON)" } " "
                        a href={ "/dashboard/data" (form.query) } { "Dashboard data (JSON)" }
                    }
                }
                main {
                    (filters(form))
                    section id="live" aria-labelledby="live-h" data-src="/dashboard/live" {
                        (live_fragment(live))
                    }
                    section id="stream" aria-labelledby="stream-h" data-src="/dashboard/stream" {
                        (stream)
                    }
                    @match charts {
                        Ok(c) => {
                            section id="charts" aria-label="Charts" data-src={ "/dashboard/charts" (form.query) } {
                                (charts_fragment(c))
                            }
                        }
                        Err(message) => {
                            section id="charts" aria-label="Charts" {
                                div class="error" role="alert" {
                                    h2 { "These filters cannot be shown" }
                                    p { (Message(message)) }
                                    p { a href="/dashboard" { "Reset the filters" } }
                                }
                            }
                        }
                    }
                }
                footer {
                    p id="updated" aria-live="polite" {
                        "Server-rendered; refreshes itself every few seconds while jobs run."
                    }
                }
                script { (PreEscaped(JS)) }
            }
        }
    }
}

fn filters(form: &Form) -> Markup {
    let pairs = |v: &[String]| -> Vec<(String, String)> {
        v.iter().map(|s| (s.clone(), s.clone())).collect()
    };
    html! {
        form class="filters" method="get" action="/dashboard" aria-label="Filters" {
            label { "From" input type="date" name="from" value=(form.from); }
            label { "To" input type="date" name="to" value=(form.to); }
            (select("category", "Category", &form.category, &pairs(&form.categories)))
            (select("state", "State", &form.state, &pairs(&form.states)))
            (select("store_id", "Store", &form.store_id, &form.stores))
            button type="submit" { "Apply" }
            a class="reset" href="/dashboard" { "Reset" }
        }
    }
}

/// A choice of `(value, text)` options after "All" (the empty value).
fn select(name: &str, label: &str, current: &str, options: &[(String, String)]) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                option value="" { "All" }
                @for (value, text) in options {
                    option value=(value) selected[value == current] { (text) }
                }
            }
        }
    }
}
