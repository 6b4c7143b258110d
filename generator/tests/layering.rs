//! Modules form no circle: each module (a file) uses only modules that do not use it back,
//! directly or through others, in the generator and in server-stub alike. So a pipeline
//! reads in one direction, and a module can be understood without those that use it.
//!
//! A module uses another when a path outside macros names it or an item in it: `crate::a::b`,
//! `super::b`, `self::b`, or a child by its name. Paths inside macros are generated code
//! (`quote! { super::Credential }`), not uses. Submodules count: two files of one folder
//! that use each other (`emit::api` calling `emit::router`, which imports helpers back from
//! `super::api`) are a circle. A module may use its ancestors: a folder's `mod.rs` is the
//! scope its files live in (the context type they extend, such as `lower::Lowerer`), not a
//! peer. The crate root (`lib.rs`, `main.rs`) only declares and re-exports, and is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module, as its path from the crate root (`["emit", "api"]`).
type Module = Vec<String>;

/// Every module of the crate at `src` → the modules it uses.
fn dependencies(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, files);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(src, &mut files);
    let module_of = |file: &Path| -> Module {
        let relative = file.strip_prefix(src).unwrap().with_extension("");
        let mut path: Module = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if path.last().is_some_and(|last| last == "mod") {
            path.pop();
        }
        if path.len() == 1 && (path[0] == "lib" || path[0] == "main") {
            path.clear();
        }
        path
    };
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(f)).collect();
    let mut deps = BTreeMap::new();
    for file in &files {
        let module = module_of(file);
        if module.is_empty() {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        let syntax = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut paths = Paths::default();
        paths.visit_file(&syntax);
        let used: BTreeSet<Module> = paths
            .found
            .iter()
            .filter_map(|path| resolve(&module, path, &modules))
            .filter(|used| !used.is_empty() && !module.starts_with(used))
            .collect();
        deps.insert(module, used);
    }
    deps
}

/// The module a path used in `module` names (or names an item of): the longest module
/// its absolute form starts with. `None` for paths outside the crate.
fn resolve(module: &Module, path: &[String], modules: &BTreeSet<Module>) -> Option<Module> {
    let mut absolute: Vec<String> = match path.first()?.as_str() {
        "crate" => path[1..].to_vec(),
        "self" => module.iter().chain(&path[1..]).cloned().collect(),
        "super" => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            let parent = module.len().checked_sub(supers)?;
            module[..parent]
                .iter()
                .chain(&path[supers..])
                .cloned()
                .collect()
        }
        first => {
            // A child of this module, by its name.
            let mut child = module.clone();
            child.push(first.to_owned());
            if !modules.contains(&child) {
                return None;
            }
            module.iter().chain(path).cloned().collect()
        }
    };
    while !absolute.is_empty() {
        if modules.contains(&absolute) {
            return Some(absolute);
        }
        absolute.pop();
    }
    None
}

/// Every path a file names outside macros, `use` trees flattened.
#[derive(Default)]
struct Paths {
    found: Vec<Vec<String>>,
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        self.found
            .push(path.segments.iter().map(|s| s.ident.to_string()).collect());
        syn::visit::visit_path(self, path);
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        fn flatten(tree: &syn::UseTree, prefix: &mut Vec<String>, found: &mut Vec<Vec<String>>) {
            match tree {
                syn::UseTree::Path(path) => {
                    prefix.push(path.ident.to_string());
                    flatten(&path.tree, prefix, found);
                    prefix.pop();
                }
                syn::UseTree::Name(name) => found.push(
                    prefix
                        .iter()
                        .cloned()
                        .chain([name.ident.to_string()])
                        .collect(),
                ),
                syn::UseTree::Rename(rename) => found.push(
                    prefix
                        .iter()
                        .cloned()
                        .chain([rename.ident.to_string()])
                        .collect(),
                ),
                syn::UseTree::Glob(_) => found.push(prefix.clone()),
                syn::UseTree::Group(group) => {
                    for tree in &group.items {
                        flatten(tree, prefix, found);
                    }
                }
            }
        }
        flatten(&item.tree, &mut Vec::new(), &mut self.found);
    }
}

/// Collapses modules to their top-level module (`emit::api` → `emit`).
fn top_level(deps: &BTreeMap<Module, BTreeSet<Module>>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut top: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, used) in deps {
        let from = vec![module[0].clone()];
        let entry = top.entry(from.clone()).or_default();
        entry.extend(
            used.iter()
                .map(|u| vec![u[0].clone()])
                .filter(|u| *u != from),
        );
    }
    top
}

/// Every circle, as the modules in it.
fn circles(deps: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    let reaches = |from: &Module, to: &Module| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
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
    let mut found: Vec<Vec<Module>> = Vec::new();
    for module in deps.keys() {
        if reaches(module, module) {
            let circle: Vec<Module> = deps
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

fn assert_no_circles(src: &Path) {
    let deps = dependencies(src);
    assert!(deps.len() >= 10, "{deps:?}");
    for graph in [top_level(&deps), deps.clone()] {
        let circles = circles(&graph);
        assert!(
            circles.is_empty(),
            "module circles in {}: {circles:?}\n{graph:#?}",
            src.display()
        );
    }
}

#[test]
fn no_generator_module_uses_one_that_uses_it_back() {
    assert_no_circles(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
}

#[test]
fn no_server_stub_module_uses_one_that_uses_it_back() {
    assert_no_circles(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../server-stub/src"));
}

fn module(path: &str) -> Module {
    path.split("::").map(str::to_owned).collect()
}

#[test]
fn the_circle_check_finds_circles() {
    let deps: BTreeMap<Module, BTreeSet<Module>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(k, v)| (module(k), v.into_iter().map(module).collect()))
    .collect();
    assert_eq!(
        circles(&deps),
        vec![vec![module("a"), module("b"), module("c")]]
    );
}

#[test]
fn paths_resolve_through_super_self_and_children_and_skip_macros() {
    let modules: BTreeSet<Module> = ["emit", "emit::api", "emit::router", "ir"]
        .into_iter()
        .map(module)
        .collect();
    let router = module("emit::router");
    let path = |p: &str| -> Vec<String> { p.split("::").map(str::to_owned).collect() };
    assert_eq!(
        resolve(&router, &path("super::api::request_name"), &modules),
        Some(module("emit::api"))
    );
    assert_eq!(
        resolve(&router, &path("super::Part"), &modules),
        Some(module("emit"))
    );
    assert_eq!(
        resolve(&router, &path("crate::ir::Api"), &modules),
        Some(module("ir"))
    );
    assert_eq!(
        resolve(&module("emit"), &path("api::parts"), &modules),
        Some(module("emit::api"))
    );
    assert_eq!(resolve(&router, &path("quote::quote"), &modules), None);
    let mut paths = Paths::default();
    paths.visit_file(
        &syn::parse_str("fn f() { quote!(super::Credential); super::api::g(); }").unwrap(),
    );
    assert_eq!(paths.found, vec![path("quote"), path("super::api::g")]);
}
