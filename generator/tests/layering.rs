//! The generator's modules form no circle: each module (a file under `src/`, or a folder
//! with its files) uses only modules that do not use it back, directly or through others.
//! So the pipeline reads in one direction, and a stage can be understood without the
//! stages after it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules its files name as `crate::<module>`.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&src, &mut files);
    let module_of = |path: &Path| {
        let relative = path.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        first.to_string_lossy().trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| module_of(f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        if !modules.contains(&module) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let entry = deps.entry(module.clone()).or_default();
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (index, _) in line.match_indices("crate::") {
                let rest = &line[index + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // Names that are no module of ours are paths in generated code
                // (`crate::types` inside `quote!`).
                if modules.contains(&name) && name != module {
                    entry.insert(name);
                }
            }
        }
    }
    deps
}

/// Every circle, as the modules in it.
fn circles(deps: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_owned()];
        while let Some(node) = stack.pop() {
            for next in deps.get(&node).into_iter().flatten() {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        false
    };
    let mut found: Vec<Vec<String>> = Vec::new();
    for module in deps.keys() {
        if reaches(module, module) {
            let circle: Vec<String> = deps
                .keys()
                .filter(|other| reaches(module, other) && reaches(other, module))
                .cloned()
                .collect();
            if !found.contains(&circle) {
                found.push(circle);
            }
        }
    }
    found
}

#[test]
fn no_module_uses_one_that_uses_it_back() {
    let deps = dependencies();
    assert!(deps.len() >= 10, "{deps:?}");
    let circles = circles(&deps);
    assert!(circles.is_empty(), "module circles: {circles:?}\n{deps:#?}");
}

#[test]
fn the_circle_check_finds_circles() {
    let deps: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(circles(&deps), vec![vec!["a", "b", "c"]]);
}
