//! Reading the dashboard's Stream section back from its HTML (served or as Chromium dumped
//! it): the attributes of every element that carries a given data attribute.

use std::collections::BTreeMap;

/// The attributes of each start tag holding `marker` (`data-step`), in document order,
/// within the element whose `id` is `within` (up to its first `</table>` or `</div>`).
pub fn tagged(html: &str, within: &str, marker: &str) -> Vec<BTreeMap<String, String>> {
    let start = html
        .find(&format!(r#"id="{within}""#))
        .unwrap_or_else(|| panic!("#{within} not in the page"));
    let rest = &html[start..];
    let end = ["</table>", "</div></div>"]
        .iter()
        .filter_map(|e| rest.find(e))
        .min()
        .unwrap_or(rest.len());
    let scope = &rest[..end];
    let mut out = Vec::new();
    for (i, _) in scope.match_indices(&format!("{marker}=\"")) {
        let open = scope[..i].rfind('<').expect("a start tag");
        let close = i + scope[i..].find('>').expect("the tag's end");
        out.push(attributes(&scope[open..close]));
    }
    out
}

/// `name="value"` pairs of one start tag (values unescaped for `&amp;` only).
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find("=\"") {
        let name = rest[..eq].rsplit(' ').next().unwrap_or("").to_string();
        let value_end = rest[eq + 2..].find('"').map_or(rest.len(), |e| eq + 2 + e);
        out.insert(name, rest[eq + 2..value_end].replace("&amp;", "&"));
        rest = &rest[(value_end + 1).min(rest.len())..];
    }
    out
}

/// One attribute as a number.
pub fn int(attrs: &BTreeMap<String, String>, name: &str) -> i64 {
    attrs
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("{name} in {attrs:?}"))
}

/// The activity funnel as the Stream section shows it: each step and its events, in order.
pub fn shown_funnel(html: &str) -> Vec<(String, i64)> {
    tagged(html, "stream-funnel-steps", "data-step")
        .iter()
        .map(|s| (s["data-step"].clone(), int(s, "data-events")))
        .collect()
}

/// The `key` and the integer `value` of each row of an analytics answer, in its order (the
/// steps of `/analytics/activity-funnel` and their events, say).
pub fn keyed_counts(answer: &serde_json::Value, key: &str, value: &str) -> Vec<(String, i64)> {
    answer
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            let k = r[key].as_str().unwrap_or_else(|| panic!("{key}: {r}"));
            (
                k.to_owned(),
                r[value].as_i64().unwrap_or_else(|| panic!("{value}: {r}")),
            )
        })
        .collect()
}

/// The events of each type in the window, as the Stream section's rate tiles show them.
pub fn window_counts(html: &str) -> BTreeMap<String, i64> {
    tagged(html, "stream-rate-values", "data-event-type")
        .iter()
        .map(|t| (t["data-event-type"].clone(), int(t, "data-events-window")))
        .collect()
}

/// An `/analytics/stream-rates` answer's events summed per type.
pub fn rate_totals(rows: &serde_json::Value) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for r in rows.as_array().expect("rows") {
        *out.entry(r["event_type"].as_str().expect("type").to_owned())
            .or_default() += r["events"].as_i64().expect("events");
    }
    out
}
