//! Over a thousand broken variants of the vendored specs, and of the generality corpus, go
//! through the generator: keys dropped, values of the wrong type, `$ref`s broken, files cut
//! short. Never a panic, and every error names a file and a JSON pointer.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::Value;

/// The vendored Matrix specs.
fn matrix_specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../specs")
}

/// The generality corpus: unions, tuples, media types, 3.1, references across directories.
fn corpus_specs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/corpus")
}

/// Every spec file under `spec_root`: (path relative to it, text).
fn spec_files(spec_root: &Path) -> Vec<(String, String)> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "yaml") {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut files = Vec::new();
    walk(spec_root, spec_root, &mut files);
    files.sort();
    files
}

#[derive(Debug, Clone)]
enum Mutation {
    /// Removes the `index`th key met in a walk of the document.
    DropKey(usize),
    /// Replaces the `index`th value with one of another type.
    SwapType(usize, u8),
    /// Points the `index`th `$ref` somewhere that is not there.
    BreakRef(usize, u8),
    /// Cuts the file's text at this fraction of its length.
    Cut(u16),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0usize..400).prop_map(Mutation::DropKey),
        (0usize..400, any::<u8>()).prop_map(|(i, t)| Mutation::SwapType(i, t)),
        (0usize..20, any::<u8>()).prop_map(|(i, t)| Mutation::BreakRef(i, t)),
        (0u16..1000).prop_map(Mutation::Cut),
    ]
}

/// Sees an object, one of its keys and the key's index in document order; true stops the walk.
type KeyVisitor<'a> = dyn FnMut(&mut serde_json::Map<String, Value>, &str, usize) -> bool + 'a;

/// Visits every (object, key) pair in document order; `f` returns true to stop.
fn visit(value: &mut Value, counter: &mut usize, f: &mut KeyVisitor<'_>) -> bool {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                *counter += 1;
                if f(map, &key, *counter - 1) {
                    return true;
                }
                if let Some(child) = map.get_mut(&key)
                    && visit(child, counter, f)
                {
                    return true;
                }
            }
            false
        }
        Value::Array(items) => items.iter_mut().any(|item| visit(item, counter, f)),
        _ => false,
    }
}

fn mutate(text: &str, mutation: &Mutation) -> String {
    if let Mutation::Cut(fraction) = mutation {
        let mut cut = text.len() * usize::from(*fraction) / 1000;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        return text[..cut].to_owned();
    }
    let Ok(mut document) = serde_yaml::from_str::<Value>(text) else {
        return text.to_owned();
    };
    let mut counter = 0;
    match mutation {
        Mutation::DropKey(target) => {
            visit(&mut document, &mut counter, &mut |map, key, i| {
                i == *target && map.remove(key).is_some()
            });
        }
        Mutation::SwapType(target, kind) => {
            visit(&mut document, &mut counter, &mut |map, key, i| {
                if i != *target {
                    return false;
                }
                let replacement = match (kind % 5, &map[key]) {
                    (0, _) => Value::Null,
                    (1, Value::String(_)) => Value::from(42),
                    (1, _) => Value::from("a string"),
                    (2, _) => Value::Array(vec![Value::from(1)]),
                    (3, _) => Value::Bool(true),
                    _ => serde_json::json!({"unexpected": {"deeply": [1, "two"]}}),
                };
                map.insert(key.to_owned(), replacement);
                true
            });
        }
        Mutation::BreakRef(target, kind) => {
            let mut seen = 0;
            visit(&mut document, &mut counter, &mut |map, key, _| {
                if key != "$ref" {
                    return false;
                }
                seen += 1;
                if seen - 1 != *target {
                    return false;
                }
                let broken = match kind % 5 {
                    0 => "missing/file.yaml".to_owned(),
                    1 => "#/no/such/pointer".to_owned(),
                    2 => format!("{}#/nope", map[key].as_str().unwrap_or_default()),
                    3 => "../../../../outside.yaml".to_owned(),
                    _ => "#".to_owned(),
                };
                map.insert(key.to_owned(), Value::String(broken));
                true
            });
        }
        Mutation::Cut(_) => unreachable!(),
    }
    serde_json::to_string_pretty(&document).unwrap()
}

/// Writes the spec set under `spec_root` with `target` mutated, and runs the generator on it.
fn run(
    spec_root: &Path,
    file_index: usize,
    mutation: &Mutation,
    whole_pipeline: bool,
) -> Result<(), String> {
    let files = spec_files(spec_root);
    let (target, _) = &files[file_index % files.len()];
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in &files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        let text = if path == target {
            mutate(text, mutation)
        } else {
            text.clone()
        };
        std::fs::write(full, text).unwrap();
    }
    std::fs::copy(
        spec_root.join("codegen.toml"),
        dir.path().join("codegen.toml"),
    )
    .unwrap();
    let generator =
        generator::Generator::from_config_file(&dir.path().join("codegen.toml")).unwrap();
    let result = if whole_pipeline {
        generator.generate().map(drop)
    } else {
        generator.ir().map(drop)
    };
    match result {
        Ok(()) => Ok(()),
        Err(error) => {
            let message = error.to_string();
            if files
                .iter()
                .any(|(path, _)| message.starts_with(&format!("{path}#")))
            {
                Ok(())
            } else {
                Err(format!(
                    "{mutation:?} of {target}: the error names no spec file and pointer: {message}"
                ))
            }
        }
    }
}

/// How many mutations a property tries: `default`, or `PROPTEST_CASES` when set. CI runs the
/// defaults (about a minute in debug on two cores); a deeper run sets the variable, e.g.
/// `PROPTEST_CASES=2000 cargo test --release -p generator --test robustness`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(240), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_front_end_never_panics_and_errors_say_where(file_index in 0usize..64, mutation in mutation()) {
        run(&matrix_specs(), file_index, &mutation, false).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(120), failure_persistence: None, ..ProptestConfig::default() })]

    // Emission included: odd but valid input must not panic there either.
    #[test]
    fn the_whole_pipeline_never_panics_and_errors_say_where(file_index in 0usize..64, mutation in mutation()) {
        run(&matrix_specs(), file_index, &mutation, true).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(80), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_corpus_never_panics_and_errors_say_where(file_index in 0usize..64, mutation in mutation()) {
        run(&corpus_specs(), file_index, &mutation, true).map_err(TestCaseError::fail)?;
    }
}
