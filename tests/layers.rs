//! The layers of ARCHITECTURE.md, held to the code: a module may name (`crate::x`) only
//! modules of its own layer or below. Reads the source as text: comments are left out, so a doc
//! comment may still point upwards.

use std::collections::BTreeMap;
use std::path::Path;

/// Top-level modules by layer, from the top (ARCHITECTURE.md, "Layers").
const LAYERS: &[&[&str]] = &[
    &["main", "cli"],
    &["api"],
    &["service"],
    &["app", "backends", "config", "metrics"],
    &["jobs"],
    &["lake", "bus", "warehouse", "gcp", "auth"],
    &["generate"],
    &["model", "telemetry", "tls"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The code of a Rust file without its comments (line comments and doc comments; the
/// project writes no block comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            // `//` inside a string (a URL) is kept: good enough for `crate::` paths.
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::<module>` a file names, also inside a group (`crate::{a::X, b}`).
fn named_modules(code: &str) -> Vec<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            names.push(ident(rest));
            continue;
        };
        // The group's top-level items, each up to a comma outside nested braces.
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    names.push(ident(&group[start..i]));
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    names.push(ident(&group[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    names
}

#[test]
fn a_group_names_each_of_its_modules() {
    let names =
        named_modules("use crate::{model::{Table, Scale}, lake::Lake};\nuse crate::bus::X;");
    assert_eq!(names, ["model", "lake", "bus"]);
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn each_layer_names_only_its_own_and_the_layers_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut upward = BTreeMap::new();
    let mut unplaced = Vec::new();
    for path in &files {
        let rel = path.strip_prefix(&src).expect("below src");
        let top = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .expect("a name")
            .trim_end_matches(".rs");
        if top == "lib" {
            continue;
        }
        let Some(own) = layer_of(top) else {
            unplaced.push(top.to_string());
            continue;
        };
        let text = std::fs::read_to_string(path).expect("read");
        for module in named_modules(&code(&text)) {
            match layer_of(&module) {
                Some(theirs) if theirs < own => {
                    upward.insert(rel.display().to_string(), module);
                }
                // Items of lib.rs (`crate::error_chain`) belong to every layer.
                _ => {}
            }
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules in no layer (add them to LAYERS and ARCHITECTURE.md): {unplaced:?}"
    );
    assert!(
        upward.is_empty(),
        "names a layer above its own: {upward:#?}"
    );
    // Not vacuous: the walk saw the tree and the layers' own imports.
    assert!(files.len() > 100, "{} files", files.len());
}
