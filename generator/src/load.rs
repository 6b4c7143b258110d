//! Stage 1, load: read the root spec files and every file their `$ref`s reach, as JSON
//! values that remember their file (and, for messages, their source text).
//!
//! Files are found by following `$ref`s textually; what the pointers inside them mean is
//! the resolve stage's business. Config overlays are applied here, so later stages only
//! ever see the patched documents.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::config::Overlay;
use crate::error::{Error, Location, Result};
use crate::paths::{join_relative, normalise};
use crate::pointer;

/// One parsed spec file.
#[derive(Debug, Clone)]
pub struct Document {
    /// Path relative to the spec root, `/`-separated and normalised.
    pub path: String,
    /// The YAML text as read, for line numbers in messages.
    pub source: String,
    /// The document as JSON (mapping keys stringified: `200:` becomes `"200"`).
    pub value: Value,
}

impl Document {
    /// The location of `pointer` in this document, with its line where it can be found.
    pub fn locate(&self, pointer: &str) -> Location {
        Location::new(self.path.clone(), pointer).with_line(line_of(&self.source, pointer))
    }
}

/// Every document reachable from the roots, keyed by normalised path.
#[derive(Debug, Clone, Default)]
pub struct DocumentSet {
    pub documents: BTreeMap<String, Document>,
}

impl DocumentSet {
    pub fn get(&self, path: &str) -> Option<&Document> {
        self.documents.get(path)
    }

    /// The location of `pointer` in `file`, with a line number where one can be found.
    pub fn locate(&self, file: &str, pointer: &str) -> Location {
        match self.documents.get(file) {
            Some(document) => document.locate(pointer),
            None => Location::new(file, pointer),
        }
    }
}

/// Loads `roots` (relative to `spec_root`) and everything they reference, applying
/// `overlays` to the files they name.
pub fn load(spec_root: &Path, roots: &[String], overlays: &[Overlay]) -> Result<DocumentSet> {
    let mut set = DocumentSet::default();
    let mut overlays_by_file: BTreeMap<String, Vec<&Overlay>> = BTreeMap::new();
    for overlay in overlays {
        overlays_by_file
            .entry(normalise(&overlay.file))
            .or_default()
            .push(overlay);
    }
    // Files to read, each with the `$ref` that led to it (none for roots). Read a level of
    // the reference graph at a time, the files of a level in parallel.
    let mut frontier: Vec<(String, Option<(Location, String)>)> =
        roots.iter().map(|root| (normalise(root), None)).collect();
    while !frontier.is_empty() {
        let parsed = crate::parallel::map(&frontier, |(path, referrer)| {
            read(spec_root, path, referrer)
        });
        let mut next = Vec::new();
        let mut queued = std::collections::BTreeSet::new();
        for document in parsed {
            // A file that cannot be read is reported at the reference that named it, whose
            // line is found only now: finding lines scans the referring file's text.
            let mut document =
                document.map_err(|e| e.with_line(|file, at| set.locate(file, at).line))?;
            if set.documents.contains_key(&document.path) {
                continue;
            }
            for overlay in overlays_by_file.get(&document.path).into_iter().flatten() {
                apply_overlay(&mut document, overlay)?;
            }
            let mut references = Vec::new();
            collect_file_refs(&document.value, "", &mut references);
            for (ref_pointer, reference) in references {
                let file_part = reference.split('#').next().unwrap_or_default();
                if file_part.is_empty() {
                    continue;
                }
                let location = Location::new(document.path.clone(), ref_pointer);
                let target =
                    join_relative(&document.path, file_part).ok_or_else(|| Error::BadRef {
                        location: document.locate(&location.pointer),
                        reference: reference.clone(),
                        message: "only relative file paths inside the spec directory are supported"
                            .into(),
                    })?;
                if !set.documents.contains_key(&target) && queued.insert(target.clone()) {
                    next.push((target, Some((location, reference))));
                }
            }
            set.documents.insert(document.path.clone(), document);
        }
        next.retain(|(path, _)| !set.documents.contains_key(path));
        frontier = next;
    }
    for (file, overlays) in &overlays_by_file {
        if !set.documents.contains_key(file) {
            let overlay = overlays[0];
            return Err(Error::invalid(
                Location::new(overlay.file.clone(), overlay.pointer.clone()),
                "an overlay names a file that no configured spec reaches",
            ));
        }
    }
    Ok(set)
}

/// Reads and parses one file; a file that cannot be read is reported at the `$ref` that
/// named it.
fn read(spec_root: &Path, path: &str, referrer: &Option<(Location, String)>) -> Result<Document> {
    let full = spec_root.join(path);
    let source = std::fs::read_to_string(&full).map_err(|source| match referrer {
        Some((location, reference)) => Error::MissingRefFile {
            location: location.clone(),
            reference: reference.clone(),
            path: full.display().to_string(),
        },
        None => Error::Io {
            path: full.display().to_string(),
            source,
        },
    })?;
    parse(path, source)
}

/// Parses one YAML document into JSON: mapping keys become strings (`200:` is `"200"`),
/// anchors and aliases are expanded.
pub fn parse(path: &str, source: String) -> Result<Document> {
    let text = source.strip_prefix('\u{feff}').unwrap_or(&source);
    let value: Value = serde_yaml::from_str(text).map_err(|e| Error::Yaml {
        location: Location::new(path, "").with_line(e.location().map(|l| l.line())),
        message: e.to_string(),
    })?;
    Ok(Document {
        path: path.to_owned(),
        source,
        value,
    })
}

/// Keys whose values are literal data wherever they appear: a `$ref` in there is not one.
/// (`default` is not among them: in a responses map it is a response.)
pub fn is_data_key(key: &str) -> bool {
    is_example_key(key) || key.starts_with("x-")
}

/// Keys whose values are examples: literal data, except that a `$ref` in them names the
/// file (or the place) that holds the value.
pub fn is_example_key(key: &str) -> bool {
    matches!(key, "example" | "examples")
}

fn collect_file_refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                out.push((at.to_owned(), reference.clone()));
            }
            for (key, child) in map {
                if is_example_key(key) || !is_data_key(key) {
                    collect_file_refs(child, &pointer::push(at, key), out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_file_refs(item, &pointer::push(at, &i.to_string()), out);
            }
        }
        _ => {}
    }
}

fn apply_overlay(document: &mut Document, overlay: &Overlay) -> Result<()> {
    let location = Location::new(document.path.clone(), overlay.pointer.clone());
    if pointer::tokens(&overlay.pointer).is_none() {
        return Err(Error::invalid(
            location,
            "overlay pointer must start with `/`",
        ));
    }
    let target = pointer::get_mut(&mut document.value, &overlay.pointer).ok_or_else(|| {
        Error::invalid(
            location.clone(),
            "overlay pointer does not exist in the spec",
        )
    })?;
    for removed in &overlay.remove {
        remove_at(target, removed).ok_or_else(|| {
            Error::invalid(
                Location::new(
                    location.file.clone(),
                    format!("{}{removed}", location.pointer),
                ),
                "overlay `remove` names a value that does not exist in the spec",
            )
        })?;
    }
    if !overlay.merge.is_null() {
        merge_patch(target, &overlay.merge);
    }
    Ok(())
}

/// Removes the value at `relative` (a JSON pointer) under `target`; `None` when there is none.
fn remove_at(target: &mut Value, relative: &str) -> Option<Value> {
    let (parent, last) = relative.rsplit_once('/')?;
    let last = last.replace("~1", "/").replace("~0", "~");
    match pointer::get_mut(target, parent)? {
        Value::Object(map) => map.remove(&last),
        Value::Array(items) => {
            let index = pointer::index(&last).filter(|i| *i < items.len())?;
            Some(items.remove(index))
        }
        _ => None,
    }
}

/// JSON Merge Patch (RFC 7386).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Best-effort line of `pointer` in block-style YAML: follows keys by indentation. Where
/// the path runs into flow style (`{type: string}`), the line of the last key found, which
/// holds the rest; `None` when not even the first key is found.
fn line_of(source: &str, pointer: &str) -> Option<usize> {
    let tokens = pointer::tokens(pointer)?;
    let lines: Vec<&str> = source.lines().collect();
    let mut found = None;
    let mut start = 0;
    let mut parent_indent: isize = -1;
    for token in tokens {
        let next = match pointer::index(&token) {
            Some(index) => find_item(&lines, start, parent_indent, index)
                .or_else(|| find_key(&lines, start, parent_indent, &token)),
            None => find_key(&lines, start, parent_indent, &token),
        };
        let Some((line, indent)) = next else {
            return found.filter(|&line: &usize| lines[line - 1].contains(['{', '[']));
        };
        start = line;
        parent_indent = indent;
        found = Some(line + 1);
    }
    found.or(Some(start + 1))
}

/// Indentation and content of a line, seeing through a leading `- `.
fn split_line(line: &str) -> Option<(isize, &str, bool)> {
    let content = line.trim_start();
    if content.is_empty() || content.starts_with('#') {
        return None;
    }
    let indent = (line.len() - content.len()) as isize;
    Some(match content.strip_prefix("- ") {
        Some(rest) => (indent, rest.trim_start(), true),
        None => (indent, content, false),
    })
}

fn find_key(lines: &[&str], start: usize, parent: isize, key: &str) -> Option<(usize, isize)> {
    for (i, line) in lines.iter().enumerate().skip(start) {
        let Some((indent, content, dash)) = split_line(line) else {
            continue;
        };
        let key_indent = if dash { indent + 2 } else { indent };
        if key_indent <= parent && i != start {
            return None;
        }
        if key_indent > parent
            && [
                format!("{key}:"),
                format!("\"{key}\":"),
                format!("'{key}':"),
            ]
            .iter()
            .any(|k| content.starts_with(k.as_str()))
        {
            return Some((i, key_indent));
        }
    }
    None
}

fn find_item(lines: &[&str], start: usize, parent: isize, index: usize) -> Option<(usize, isize)> {
    let mut item_indent = None;
    let mut seen = 0;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        let Some((indent, _, dash)) = split_line(line) else {
            continue;
        };
        if indent <= parent {
            return None;
        }
        if dash && item_indent.is_none_or(|d| d == indent) {
            item_indent = Some(indent);
            if seen == index {
                return Some((i, indent));
            }
            seen += 1;
        } else if item_indent.is_some_and(|d| indent < d) {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn overlays_remove_what_toml_cannot_null_then_merge() {
        let mut document = parse(
            "a.yaml",
            "r:\n  examples:\n    application/json: '{}'\n    schema: {type: object}\n".into(),
        )
        .unwrap();
        let overlay = |remove: &[&str]| Overlay {
            file: "a.yaml".into(),
            pointer: "/r".into(),
            reason: "test".into(),
            remove: remove.iter().map(|r| r.to_string()).collect(),
            merge: json!({"schema": {"type": "object"}}),
        };
        apply_overlay(&mut document, &overlay(&["/examples/schema"])).unwrap();
        assert_eq!(
            document.value,
            json!({"r": {"examples": {"application/json": "{}"}, "schema": {"type": "object"}}})
        );
        let error = apply_overlay(&mut document, &overlay(&["/examples/schema"])).unwrap_err();
        assert!(
            error.to_string().starts_with("a.yaml#/r/examples/schema"),
            "{error}"
        );
    }

    #[test]
    fn yaml_keys_become_strings_and_bom_is_ignored() {
        let doc = parse(
            "a.yaml",
            "\u{feff}responses:\n  200:\n    description: ok\n".into(),
        )
        .unwrap();
        assert_eq!(
            doc.value,
            json!({"responses": {"200": {"description": "ok"}}})
        );
    }

    #[test]
    fn yaml_syntax_errors_name_file_and_line() {
        let err = parse("dir/bad.yaml", "a: b\n  c: [\n".into()).unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("dir/bad.yaml#"), "{message}");
        assert!(message.contains("line"), "{message}");
    }

    #[test]
    fn lines_are_found_through_keys_and_items() {
        let source = "paths:\n  /a:\n    post:\n      parameters:\n        - in: body\n          name: x\n        - in: query\n          name: y\n";
        assert_eq!(line_of(source, "/paths/~1a/post"), Some(3));
        assert_eq!(line_of(source, "/paths/~1a/post/parameters/1"), Some(7));
        assert_eq!(
            line_of(source, "/paths/~1a/post/parameters/1/name"),
            Some(8)
        );
        assert_eq!(line_of(source, "/paths/~1b"), None);
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut target = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge_patch(&mut target, &json!({"a": null, "b": {"c": 4}, "e": [1]}));
        assert_eq!(target, json!({"b": {"c": 4, "d": 3}, "e": [1]}));
    }
}
