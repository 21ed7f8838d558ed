//! The SQL files' `{{name}}` placeholders, filled the same way for DuckDB and BigQuery.

/// Substitutes `{{name}}` placeholders. Panics on a placeholder left unfilled: that is a
/// mismatch between a template and its caller, which each backend's tests render every
/// template to catch.
pub fn render<V: AsRef<str>>(template: &str, vars: &[(&str, V)]) -> String {
    let mut out = template.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{{{name}}}}}"), value.as_ref());
    }
    assert!(
        !out.contains("{{"),
        "SQL template has an unfilled placeholder: {}",
        out.lines().find(|l| l.contains("{{")).unwrap_or_default()
    );
    out
}
